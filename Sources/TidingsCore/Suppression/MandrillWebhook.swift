import Crypto
import Foundation

/// Mailchimp Transactional (Mandrill) webhooks: the signature check and what a batch of events adds
/// to the suppression list. Mandrill POSTs `application/x-www-form-urlencoded` with one field,
/// `mandrill_events`, a JSON array of events, and signs it in `X-Mandrill-Signature`: base64 of
/// HMAC-SHA1 under the webhook key over the webhook URL exactly as configured at Mandrill followed
/// by each POST field's name and value, fields sorted by name.
package enum MandrillWebhook {
    /// The `source` of the entries.
    package static let source = "mandrill_webhook"
    /// The message metadata key that carries the Tidings customer id, when the sender set it.
    package static let customerIDKey = "tidings_customer_id"

    /// One event that adds an entry: the entry and the event's id (`_id`, for the audit).
    package struct Addition: Sendable, Hashable {
        /// What goes on the list.
        package var entry: SuppressionEntry
        /// Mandrill's id of the event, or of its message when the event has none.
        package var eventID: String?
        /// The recipient's address: never stored (the list keeps its hash), only used to write a
        /// complaint back to the platform's consent.
        package var address: String
    }

    /// The signature Mandrill sends for `fields` POSTed to `url` under `key`.
    package static func signature(url: String, fields: [String: String], key: [UInt8]) -> String {
        var signed = url
        for name in fields.keys.sorted() { signed += name + (fields[name] ?? "") }
        let code = HMAC<Insecure.SHA1>.authenticationCode(for: Array(signed.utf8), using: SymmetricKey(data: key))
        return Data(code).base64EncodedString()
    }

    /// Checks `header` against the signature of `fields`; throws `FeedbackRefusal` when it is
    /// missing or does not match (compared in constant time).
    package static func verify(
        signature header: String?, url: String, fields: [String: String], key: [UInt8]
    ) throws(FeedbackRefusal) {
        guard let header, !header.isEmpty else {
            throw FeedbackRefusal(.missingSignature, "no X-Mandrill-Signature header")
        }
        let expected = signature(url: url, fields: fields, key: key)
        guard ConstantTime.equals(Array(header.utf8), Array(expected.utf8)) else {
            throw FeedbackRefusal(
                .badSignature, "X-Mandrill-Signature does not match the body signed for MANDRILL_WEBHOOK_URL")
        }
    }

    /// The entries the events in `mandrillEvents` (the field's JSON) ask for, dated `now`:
    /// `hard_bounce` as hard_bounce, `spam` as complaint, `unsub` as unsubscribe, each by the
    /// hash of `msg.email` and, when `msg.metadata` carries `tidings_customer_id`, by that id too.
    /// Every other event (`reject`, `soft_bounce`, `send`, `open`, `click`, ...) adds nothing.
    /// Throws `SNSError` naming the field when the JSON or an acted-on event is malformed.
    package static func additions(mandrillEvents: String, now: Date) throws(SNSError) -> [Addition] {
        let parsed: JSONValue
        do {
            parsed = try JSONParser.parse(mandrillEvents)
        } catch {
            throw SNSError(field: "mandrill_events", reason: "not JSON: \(error)")
        }
        guard case .array(let events) = parsed else {
            throw SNSError(field: "mandrill_events", reason: "not a JSON array")
        }
        var additions: [Addition] = []
        for (index, event) in events.enumerated() {
            guard let object = event.objectValue, let kind = object["event"]?.stringValue else {
                throw SNSError(field: "mandrill_events[\(index)].event", reason: "missing")
            }
            let reason: SuppressionReason
            switch kind {
            case "hard_bounce": reason = .hardBounce
            case "spam": reason = .complaint
            case "unsub": reason = .unsubscribe
            default: continue
            }
            guard let message = object["msg"]?.objectValue, let email = message["email"]?.stringValue,
                email.contains("@")
            else {
                throw SNSError(field: "mandrill_events[\(index)].msg.email", reason: "missing or not an address")
            }
            let customerID = message["metadata"]?.objectValue?[customerIDKey]?.stringValue.flatMap { id in
                id.isEmpty || id.count > OneClickUnsubscribe.maximumCustomerIDLength ? nil : id
            }
            additions.append(
                Addition(
                    entry: SuppressionEntry(
                        customerID: customerID, addressHash: SuppressionKeys.addressHash(email), reason: reason,
                        source: source, time: now),
                    eventID: (object["_id"] ?? message["_id"])?.stringValue, address: email))
        }
        return additions
    }
}
