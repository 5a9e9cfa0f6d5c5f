import Foundation
import Testing

@testable import TidingsCore

/// SES feedback through SNS, against AWS's sample notifications
/// (Tests/Fixtures/specs/aws/ses-notifications, copied from shared/specs/aws/ses-notifications.md).
@Suite("SES feedback through SNS")
struct SESFeedbackTests {
    static let folder = TestPaths.specs.appendingPathComponent("aws/ses-notifications")
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func sample(_ name: String) throws -> String {
        try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
    }

    @Test("a permanent bounce suppresses each bounced recipient by address hash, reason hard_bounce")
    func permanentBounce() throws {
        for name in ["bounce-permanent-dsn.json", "bounce-no-dsn.json"] {
            let entries = try SESFeedback.entries(message: try Self.sample(name), now: Self.now)
            #expect(!entries.isEmpty, "\(name)")
            #expect(entries.allSatisfy { $0.reason == .hardBounce && $0.source == "ses_sns" && $0.customerID == nil })
        }
        let entries = try SESFeedback.entries(message: try Self.sample("bounce-permanent-dsn.json"), now: Self.now)
        #expect(entries.map(\.addressHash) == [SuppressionKeys.addressHash("jane@example.com")])
    }

    @Test("a complaint suppresses the complaining recipients; a delivery and a transient bounce add nothing")
    func complaintAndOthers() throws {
        let complaint = try SESFeedback.entries(message: try Self.sample("complaint-feedback.json"), now: Self.now)
        #expect(!complaint.isEmpty && complaint.allSatisfy { $0.reason == .complaint })
        #expect(try SESFeedback.entries(message: try Self.sample("delivery.json"), now: Self.now).isEmpty)
        let transient = try Self.sample("bounce-permanent-dsn.json")
            .replacingOccurrences(of: "\"Permanent\"", with: "\"Transient\"")
        #expect(try SESFeedback.entries(message: transient, now: Self.now).isEmpty)
        #expect(throws: SNSError(field: "recipients[0].emailAddress", reason: "missing or not an address")) {
            try SESFeedback.entries(
                message: #"{"notificationType":"Complaint","complaint":{"complainedRecipients":[{}]}}"#, now: Self.now)
        }
    }

    static let notification = #"""
        {"Type":"Notification","MessageId":"22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        "TopicArn":"arn:aws:sns:us-west-2:123456789012:MyTopic","Subject":"My First Message",
        "Message":"Hello world!","Timestamp":"2012-05-02T00:54:06.655Z","SignatureVersion":"1",
        "Signature":"EXAMPLEw6JRN...",
        "SigningCertURL":"https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
        "UnsubscribeURL":"https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe"}
        """#

    @Test("the string SNS signs lists the signed fields in order, Subject only when present")
    func stringToSign() throws {
        var message = try SNSMessage.parse(Array(Self.notification.utf8))
        #expect(try message.signatureAlgorithm == "SHA1withRSA")
        #expect(
            message.stringToSign
                == "Message\nHello world!\nMessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\nSubject\nMy First Message\n"
                + "Timestamp\n2012-05-02T00:54:06.655Z\nTopicArn\narn:aws:sns:us-west-2:123456789012:MyTopic\n"
                + "Type\nNotification\n")
        message.subject = nil
        #expect(!message.stringToSign.contains("Subject"))
        message.type = "SubscriptionConfirmation"
        message.subscribeURL = "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription"
        message.token = "tok"
        #expect(
            message.stringToSign.hasSuffix(
                "SubscribeURL\nhttps://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription\n"
                    + "Timestamp\n2012-05-02T00:54:06.655Z\nToken\ntok\n"
                    + "TopicArn\narn:aws:sns:us-west-2:123456789012:MyTopic\nType\nSubscriptionConfirmation\n"))
        message.signatureVersion = "3"
        #expect(throws: SNSError.self) { try message.signatureAlgorithm }
    }

    @Test("a missing field is named; a confirmation needs SubscribeURL and Token")
    func badMessages() {
        #expect(throws: SNSError(field: "MessageId", reason: "missing")) {
            try SNSMessage.parse(Array(#"{"Type":"Notification"}"#.utf8))
        }
        let confirmation = Self.notification.replacingOccurrences(
            of: "\"Notification\"", with: "\"SubscriptionConfirmation\"")
        #expect(throws: SNSError(field: "SubscribeURL", reason: "missing")) {
            try SNSMessage.parse(Array(confirmation.utf8))
        }
        #expect(throws: SNSError(field: "Type", reason: "'Other' is not an SNS message type")) {
            try SNSMessage.parse(Array(#"{"Type":"Other"}"#.utf8))
        }
    }

    @Test("the signing certificate must be an https .pem on sns.<region>.amazonaws.com")
    func certificateURL() throws {
        try SNSMessage.checkCertificateURL("https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3.pem")
        try SNSMessage.checkCertificateURL("https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-a.pem")
        for bad in [
            "http://sns.us-west-2.amazonaws.com/a.pem", "https://sns.us-west-2.amazonaws.com.evil.example/a.pem",
            "https://evil.example/sns.us-west-2.amazonaws.com/a.pem", "https://s3.us-west-2.amazonaws.com/a.pem",
            "https://sns.us-west-2.amazonaws.com/a.txt", "https://sns.us-west-2.amazonaws.com:8443/a.pem",
            "https://x@sns.us-west-2.amazonaws.com/a.pem", "https://sns..amazonaws.com/a.pem",
        ] {
            #expect(throws: SNSError.self, "\(bad)") { try SNSMessage.checkCertificateURL(bad) }
        }
        try SNSMessage.checkSubscribeURL("https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&Token=1")
        #expect(throws: SNSError.self) { try SNSMessage.checkSubscribeURL("https://attacker.example/?x=amazonaws.com") }
    }
}
