import Foundation
import Testing
import TidingsDevKit

@testable import TidingsCore

/// The SNS signature check: the certificate read out of its DER, RSA PKCS#1 v1.5 with SHA-1 and
/// SHA-256, the topic, age and certificate-URL rules, and the caching fetcher. The signed envelopes
/// in Tests/Fixtures/sns were made by Python `cryptography` (make-sns-fixtures.py), so the verifier
/// is checked against a signer other than swift-crypto; the tests also sign AWS's other SES samples
/// with swift-crypto (`SNSSigner`).
@Suite("SNS signature")
struct SNSSignatureTests {
    static let folder = TestPaths.root.appendingPathComponent("Tests/Fixtures/sns")
    static let certificateURL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-tidings-test.pem"
    static let topic = "arn:aws:sns:us-east-1:123456789012:tidings-ses-feedback"
    /// Three minutes after the fixtures' Timestamp.
    static let now = Timestamp.parse("2026-11-21T19:05:00Z")!

    static func text(_ name: String) throws -> String {
        try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
    }

    static func message(_ name: String) throws -> SNSMessage {
        try SNSMessage.parse(Array(try text(name).utf8))
    }

    /// A verifier for the test topic whose SNS serves `certificate` at the test URL.
    static func verifier(certificate: String = "signing-cert.pem") throws -> (SNSVerifier, InMemorySNS) {
        let sns = InMemorySNS(certificates: [certificateURL: try text(certificate)])
        return (SNSVerifier(topics: [topic], fetcher: SNSFetcher(transport: sns)), sns)
    }

    @Test("the certificate's validity dates and its 2048-bit RSA key are read out of the X.509 DER")
    func certificate() throws {
        let certificate = try SNSSigningCertificate(pem: try Self.text("signing-cert.pem"))
        #expect(certificate.notBefore == Timestamp.parse("2026-01-01T00:00:00Z"))
        #expect(certificate.notAfter == Timestamp.parse("2036-01-01T00:00:00Z"))
        #expect(certificate.publicKey.keySizeInBits == 2048)
        let expired = try SNSSigningCertificate(pem: try Self.text("expired-cert.pem"))
        #expect(expired.notAfter == Timestamp.parse("2020-01-01T00:00:00Z"))
        #expect(throws: SNSError(field: "SigningCertURL", reason: "the PEM holds a PRIVATE KEY, not a certificate")) {
            try SNSSigningCertificate(pem: try Self.text("signing-key.pem"))
        }
        #expect(throws: SNSError.self) { try SNSSigningCertificate(pem: "not a certificate") }
        #expect(throws: SNSError.self) { try SNSSigningCertificate(der: [0x30, 0x03, 0x02, 0x01, 0x01]) }
    }

    @Test("bounces signed by another implementation verify, SignatureVersion 1 and 2; the certificate is fetched once")
    func fixturesVerify() async throws {
        let (verifier, sns) = try Self.verifier()
        for name in ["bounce-v1.json", "bounce-v2.json", "subscription-confirmation.json"] {
            try await verifier.verify(try Self.message(name), now: Self.now)
        }
        #expect(verifier.fetcher.certificateFetches == 1)
        #expect(sns.received.map(\.url) == [Self.certificateURL])
        #expect(sns.received.first?.method == "GET")
    }

    @Test("every SES sample, signed here with SignatureVersion 1 and 2, verifies", arguments: ["1", "2"])
    func samplesSignedHereVerify(_ version: String) async throws {
        let (verifier, _) = try Self.verifier()
        let signer = try SNSSigner(pem: try Self.text("signing-key.pem"))
        var message = try Self.message("bounce-v1.json")
        for sample in ["bounce-permanent-dsn.json", "bounce-no-dsn.json", "complaint-feedback.json", "delivery.json"] {
            message.message = try SESFeedbackTests.sample(sample)
            message.subject = sample == "delivery.json" ? "Amazon SES Email Event Notification" : nil
            let signed = try signer.sign(message, version: version, certificateURL: Self.certificateURL)
            // Through the wire form and back, as the endpoint receives it.
            try await verifier.verify(try SNSMessage.parse(SNSSigner.body(signed)), now: Self.now)
        }
    }

    /// How each refusal is made from a genuine message, and the code it must be refused with.
    static let forgeries: [(String, FeedbackRefusal.Code)] = [
        ("altered Message", .badSignature), ("altered Subject", .badSignature), ("wrong key", .badSignature),
        ("v1 signature labelled v2", .badSignature), ("wrong certificate URL host", .untrustedURL),
        ("http certificate URL", .untrustedURL), ("SignatureVersion 3", .unknownSignatureVersion),
        ("expired certificate", .certificateExpired), ("wrong topic", .wrongTopic),
        ("Timestamp two hours old", .staleMessage), ("Timestamp ten minutes ahead", .staleMessage),
        ("certificate not found", .certificateUnreadable), ("Signature not base64", .badSignature),
    ]

    @Test("a forged, altered, stale or misdirected message is refused with the reason's code", arguments: forgeries)
    func refusals(_ forgery: String, _ code: FeedbackRefusal.Code) async throws {
        var message = try Self.message("bounce-v2.json")
        var now = Self.now
        var certificate = "signing-cert.pem"
        switch forgery {
        case "altered Message":
            message.message = message.message.replacingOccurrences(of: "jane@example.com", with: "ceo@example.com")
        case "altered Subject": message.subject = "added"
        case "wrong key":
            message = try SNSSigner(pem: try Self.text("other-key.pem"))
                .sign(message, version: "2", certificateURL: Self.certificateURL)
        case "v1 signature labelled v2":
            message.signature = try Self.message("bounce-v1.json").signature
        case "wrong certificate URL host":
            message.signingCertURL = "https://sns.us-east-1.amazonaws.com.attacker.example/cert.pem"
        case "http certificate URL":
            message.signingCertURL = Self.certificateURL.replacingOccurrences(of: "https:", with: "http:")
        case "SignatureVersion 3": message.signatureVersion = "3"
        case "expired certificate": certificate = "expired-cert.pem"
        case "wrong topic": message.topicArn = "arn:aws:sns:us-east-1:999999999999:someone-elses"
        case "Timestamp two hours old": now = now.addingTimeInterval(2 * 3_600)
        case "Timestamp ten minutes ahead": now = now.addingTimeInterval(-600 - 180)
        case "certificate not found":
            message.signingCertURL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-other.pem"
        default: message.signature = "%%%"
        }
        let (verifier, sns) = try Self.verifier(certificate: certificate)
        do {
            try await verifier.verify(message, now: now)
            Issue.record("\(forgery) was accepted")
        } catch {
            #expect(error.code == code, "\(forgery): \(error)")
        }
        // The URL rule is applied before anything is fetched.
        if code == .untrustedURL || code == .wrongTopic || code == .unknownSignatureVersion {
            #expect(sns.received.isEmpty)
        }
    }

    @Test("an expired certificate in the cache is still refused; a configured list with no topic refuses all")
    func expiryAndNoTopics() async throws {
        let (verifier, _) = try Self.verifier()
        let message = try Self.message("bounce-v1.json")
        try await verifier.verify(message, now: Self.now)
        // Ten years on, the same message (re-dated) meets a certificate past its end.
        var late = message
        late.timestamp = "2036-06-01T00:00:00.000Z"
        do {
            try await verifier.verify(late, now: Timestamp.parse("2036-06-01T00:01:00Z")!)
            Issue.record("accepted")
        } catch {
            // Validity is checked before the signature, and the cached certificate is not trusted blindly.
            #expect(error.code == .certificateExpired)
        }
        let closed = SNSVerifier(topics: [], fetcher: verifier.fetcher)
        do {
            try await closed.verify(message, now: Self.now)
            Issue.record("accepted without topics")
        } catch {
            #expect(error.code == .notConfigured)
        }
    }

    @Test("a SubscribeURL is confirmed with one GET, and only on an SNS host")
    func confirmation() async throws {
        let (verifier, sns) = try Self.verifier()
        let message = try Self.message("subscription-confirmation.json")
        let url = try #require(message.subscribeURL)
        #expect(try await verifier.fetcher.confirm(subscribeURL: url) == 200)
        #expect(sns.received.map(\.url) == [url])
        await #expect(throws: FeedbackRefusal.self) {
            _ = try await verifier.fetcher.confirm(subscribeURL: "https://attacker.example/?Action=ConfirmSubscription")
        }
        #expect(sns.received.count == 1)
    }
}
