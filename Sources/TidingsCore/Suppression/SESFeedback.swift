import Foundation

/// An SNS HTTP(S) message as SNS POSTs it (`Notification`, `SubscriptionConfirmation`,
/// `UnsubscribeConfirmation`), with the checks that need no network: the string SNS signs and
/// where its signing certificate and subscribe link may point. The RSA signature is checked by
/// `SNSVerifier` with the fetched `SNSSigningCertificate` (docs/decisions/suppression.md).
package struct SNSMessage: Sendable, Hashable {
    package var type: String
    package var messageID: String
    package var topicArn: String
    package var subject: String?
    package var message: String
    package var timestamp: String
    package var signatureVersion: String
    package var signature: String
    package var signingCertURL: String
    package var subscribeURL: String?
    package var token: String?

    /// Parses the POST body; a missing or non-string field is an error naming it.
    package static func parse(_ body: [UInt8]) throws(SNSError) -> SNSMessage {
        guard let object = (try? JSONParser.parse(body))?.objectValue else {
            throw SNSError(field: "body", reason: "not a JSON object")
        }
        func required(_ name: String) throws(SNSError) -> String {
            guard let value = object[name] else { throw SNSError(field: name, reason: "missing") }
            guard let text = value.stringValue else { throw SNSError(field: name, reason: "not a string") }
            return text
        }
        let type = try required("Type")
        let confirmation = type == "SubscriptionConfirmation" || type == "UnsubscribeConfirmation"
        guard type == "Notification" || confirmation else {
            throw SNSError(field: "Type", reason: "'\(type.prefix(40))' is not an SNS message type")
        }
        return SNSMessage(
            type: type, messageID: try required("MessageId"), topicArn: try required("TopicArn"),
            subject: object["Subject"]?.stringValue, message: try required("Message"),
            timestamp: try required("Timestamp"), signatureVersion: try required("SignatureVersion"),
            signature: try required("Signature"), signingCertURL: try required("SigningCertURL"),
            subscribeURL: confirmation ? try required("SubscribeURL") : nil,
            token: confirmation ? try required("Token") : nil)
    }

    /// The bytes SNS signs: "Name\nvalue\n" for each signed field in byte order of the names, a
    /// notification's Subject only when present; a confirmation signs SubscribeURL and Token instead.
    package var stringToSign: String {
        var fields: [(String, String?)] = [("Message", message), ("MessageId", messageID)]
        if type == "Notification" {
            fields.append(("Subject", subject))
        } else {
            fields.append(("SubscribeURL", subscribeURL))
        }
        fields.append(("Timestamp", timestamp))
        if type != "Notification" { fields.append(("Token", token)) }
        fields += [("TopicArn", topicArn), ("Type", type)]
        return fields.compactMap { name, value in value.map { "\(name)\n\($0)\n" } }.joined()
    }

    /// The digest the signature is over: SHA1withRSA for version 1, SHA256withRSA for version 2.
    package var signatureAlgorithm: String {
        get throws(SNSError) {
            switch signatureVersion {
            case "1": "SHA1withRSA"
            case "2": "SHA256withRSA"
            default: throw SNSError(field: "SignatureVersion", reason: "'\(signatureVersion.prefix(8))' is not 1 or 2")
            }
        }
    }

    /// Refuses a signing certificate that is not an https `.pem` on `sns.<region>.amazonaws.com`
    /// (or `.amazonaws.com.cn`): anyone can sign with a certificate of their own host.
    package static func checkCertificateURL(_ text: String) throws(SNSError) {
        guard let url = URLComponents(string: text), url.scheme == "https", let host = url.host?.lowercased(),
            url.port == nil, url.user == nil, url.path.hasSuffix(".pem")
        else {
            throw SNSError(field: "SigningCertURL", reason: "not an https URL of a .pem file")
        }
        guard isSNSHost(host) else {
            throw SNSError(field: "SigningCertURL", reason: "host \(host) is not sns.<region>.amazonaws.com")
        }
    }

    /// Refuses a subscription link that is not https on an SNS host.
    package static func checkSubscribeURL(_ text: String) throws(SNSError) {
        guard let url = URLComponents(string: text), url.scheme == "https", let host = url.host?.lowercased(),
            url.user == nil, isSNSHost(host)
        else {
            throw SNSError(field: "SubscribeURL", reason: "not an https URL on sns.<region>.amazonaws.com")
        }
    }

    /// `sns.<region>.amazonaws.com` or `sns.<region>.amazonaws.com.cn`, region letters, digits and "-".
    static func isSNSHost(_ host: String) -> Bool {
        let labels = host.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let tail = Array(labels.dropFirst(2))
        guard labels.count >= 4, labels[0] == "sns",
            tail == ["amazonaws", "com"] || tail == ["amazonaws", "com", "cn"]
        else { return false }
        let region = labels[1]
        return !region.isEmpty && region.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }
    }
}

/// A bad feedback message (an SNS message, an SES notification, a Mandrill webhook), naming the field.
package struct SNSError: Error, Sendable, Hashable, CustomStringConvertible {
    package var field: String
    package var reason: String

    package init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    /// "<field>: <reason>".
    package var description: String { "\(field): \(reason)" }
}

/// What an SES notification (the `Message` of an SNS notification) adds to the suppression list:
/// each recipient of a permanent bounce (`hard_bounce`) or a complaint (`complaint`), by address
/// hash, source `ses_sns`. Transient and undetermined bounces, deliveries and other types add
/// nothing. Both shapes are read: feedback notifications (`notificationType`) and event publishing
/// (`eventType`).
package enum SESFeedback {
    /// The `source` of the entries.
    package static let source = "ses_sns"

    /// The entries `message` asks for, dated `now`.
    package static func entries(message: String, now: Date) throws(SNSError) -> [SuppressionEntry] {
        try additions(message: message, now: now).map(\.entry)
    }

    /// `entries(message:now:)` with each recipient's address beside its entry: never stored (the
    /// list keeps the hash), only used to write a complaint back to the platform's consent.
    package static func additions(message: String, now: Date) throws(SNSError) -> [(
        entry: SuppressionEntry, address: String
    )] {
        let parsed: JSONValue
        do {
            parsed = try JSONParser.parse(message)
        } catch {
            throw SNSError(field: "Message", reason: "not JSON: \(error)")
        }
        guard let object = parsed.objectValue else { throw SNSError(field: "Message", reason: "not a JSON object") }
        guard let kind = (object["notificationType"] ?? object["eventType"])?.stringValue else {
            throw SNSError(field: "notificationType", reason: "missing")
        }
        let reason: SuppressionReason
        let recipients: [JSONValue]
        switch kind {
        case "Bounce":
            guard let bounce = object["bounce"]?.objectValue else { throw SNSError(field: "bounce", reason: "missing") }
            guard bounce["bounceType"]?.stringValue == "Permanent" else { return [] }
            reason = .hardBounce
            recipients = Self.array(bounce["bouncedRecipients"])
        case "Complaint":
            guard let complaint = object["complaint"]?.objectValue else {
                throw SNSError(field: "complaint", reason: "missing")
            }
            reason = .complaint
            recipients = Self.array(complaint["complainedRecipients"])
        default:
            return []
        }
        var entries: [(entry: SuppressionEntry, address: String)] = []
        for (index, recipient) in recipients.enumerated() {
            guard let address = recipient.objectValue?["emailAddress"]?.stringValue, address.contains("@") else {
                throw SNSError(field: "recipients[\(index)].emailAddress", reason: "missing or not an address")
            }
            entries.append(
                (
                    SuppressionEntry(
                        customerID: nil, addressHash: SuppressionKeys.addressHash(address), reason: reason,
                        source: source, time: now), address
                ))
        }
        return entries
    }

    /// The elements of an array value; none for anything else.
    static func array(_ value: JSONValue?) -> [JSONValue] {
        if case .array(let elements) = value { return elements }
        return []
    }
}
