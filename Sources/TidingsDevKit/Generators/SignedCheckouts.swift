import Foundation
import TidingsCore
import TidingsRuntime

/// One webhook request as a platform sends it: the exact body bytes and the headers.
package struct WebhookRequest: Sendable {
    /// The body, byte for byte what the signature covers.
    package var body: [UInt8]
    /// The headers, names lower-cased.
    package var headers: [String: String]
    /// The event id the headers name (`X-Shopify-Event-Id`).
    package var eventID: String

    /// A request from its parts.
    package init(body: [UInt8], headers: [String: String], eventID: String) {
        self.body = body
        self.headers = headers
        self.eventID = eventID
    }
}

/// Distinct, signed copies of a recorded Shopify `checkouts/update` delivery, for load and
/// receiver tests: copy `i` has its own checkout token, numeric id, event id and webhook id (so
/// none is a duplicate of another or a second event about the same cart) and a valid
/// `X-Shopify-Hmac-Sha256` under `secret`.
package enum SignedCheckouts {
    /// `count` copies of the recorded delivery `recording` (`{"headers":…,"body":"…"}`), event
    /// ids `<prefix>-<i>`. Throws `InputError` when the recording is not such a delivery.
    package static func copies(of recording: [UInt8], count: Int, secret: Secret, prefix: String) throws
        -> [WebhookRequest]
    {
        let reader = try JSONObjectReader(try JSONParser.parse(recording))
        let body = try reader.string("body")
        var headers: [String: String] = [:]
        for (name, value) in try reader.object("headers").members {
            if case .string(let text) = value { headers[name.lowercased()] = text }
        }
        let checkout = try EventDecoder().decode(InboundDelivery(body: Array(body.utf8), headers: headers))
        let checkoutID = try JSONObjectReader(try JSONParser.parse(Array(body.utf8))).id("id")
        return (0..<count).map { index in
            let unique = body.replacingOccurrences(
                of: "\"\(checkout.subject.id)\"", with: "\"\(checkout.subject.id)\(index)\""
            ).replacingOccurrences(of: "\"id\": \(checkoutID),", with: "\"id\": \(checkoutID)\(index),")
            var own = headers
            own["x-shopify-event-id"] = "\(prefix)-\(index)"
            own["x-shopify-webhook-id"] = "\(prefix)-webhook-\(index)"
            let bytes = Array(unique.utf8)
            own["x-shopify-hmac-sha256"] = WebhookTrust.shopifySignature(body: bytes, secret: secret)
            return WebhookRequest(body: bytes, headers: own, eventID: "\(prefix)-\(index)")
        }
    }
}
