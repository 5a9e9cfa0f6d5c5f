import Crypto
import Foundation

/// Turns a delivery into a `LifecycleEvent`: unwraps the recorded-delivery form, recognizes the
/// payload (Shopify, BigCommerce, canonical Tidings event) by its topic header or its shape, and
/// normalizes it. Every failure is an `InputError` naming the field.
package struct EventDecoder: Sendable {
    /// Bodies above this size are refused before parsing.
    package var maximumBodyBytes: Int

    /// Creates a decoder that refuses bodies above `maximumBodyBytes` (default 256 KiB).
    package init(maximumBodyBytes: Int = 256 * 1024) {
        self.maximumBodyBytes = maximumBodyBytes
    }

    /// Reads a delivery: refuses an oversized body, parses it once, and unwraps a recorded
    /// delivery (`{"headers":…,"body":…}`, its body string parsed once too), so a replay goes
    /// through the same checks as the original delivery. Never throws: bad input is the result's
    /// failure, for whoever needs it first.
    package func read(_ delivery: InboundDelivery) -> ParsedDelivery {
        read(delivery, parsed: nil)
    }

    /// `read(_:)` for a delivery whose body the caller has already parsed (an envelope decoder
    /// that had to look inside), or found not to be JSON: `parsed` must be what
    /// `JSONParser.parse(delivery.body)` returns, and the body is not parsed again.
    package func read(_ delivery: InboundDelivery, parsed: Result<JSONValue, JSONParser.SyntaxError>?) -> ParsedDelivery
    {
        do throws(InputError) {
            return ParsedDelivery(raw: delivery, content: .success(try unwrap(delivery, parsed: parsed)))
        } catch {
            return ParsedDelivery(raw: delivery, content: .failure(error))
        }
    }

    /// The webhook a delivery holds and its parsed body; `read(_:)` as a throwing call.
    package func unwrap(_ delivery: InboundDelivery) throws(InputError) -> (
        delivery: InboundDelivery, document: JSONValue
    ) {
        let content = try unwrap(delivery, parsed: nil)
        return (content.delivery, content.document)
    }

    func unwrap(_ delivery: InboundDelivery, parsed: Result<JSONValue, JSONParser.SyntaxError>?) throws(InputError)
        -> ParsedDelivery.Content
    {
        guard delivery.body.count <= maximumBodyBytes else {
            throw InputError(
                .oversized, path: "$",
                reason: "body is \(delivery.body.count) bytes; the limit is \(maximumBodyBytes)")
        }
        let document: JSONValue
        switch parsed {
        case .success(let value)?: document = value
        case .failure(let error)?: throw Self.malformed(error, path: "$")
        case nil: document = try Self.parseDocument(delivery.body, path: "$")
        }
        guard case .object(let members) = document, case .object(let headerMembers)? = members["headers"],
            let body = members["body"]
        else { return ParsedDelivery.Content(delivery: delivery, document: document) }

        let recording = JSONObjectReader(members)
        var headers: [String: String] = [:]
        for (name, value) in headerMembers {
            guard case .string(let text) = value else {
                throw InputError(.invalidField, path: "$.headers.\(name)", reason: "header values must be strings")
            }
            headers[name] = text
        }
        let receivedAt = try recording.optionalDate("received_at")
        switch body {
        case .string(let raw):
            // The body as the exact bytes that arrived: what a signature covers.
            let bytes = Array(raw.utf8)
            let inner = InboundDelivery(body: bytes, headers: headers, receivedAt: receivedAt)
            return ParsedDelivery.Content(delivery: inner, document: try Self.parseDocument(bytes, path: "$.body"))
        case .object:
            let bytes = Array((try? JSONEncoder().encode(body)) ?? Data())
            return ParsedDelivery.Content(
                delivery: InboundDelivery(body: bytes, headers: headers, receivedAt: receivedAt), document: body)
        default:
            throw InputError(
                .invalidField, path: "$.body", reason: "expected the webhook body as an object or a string")
        }
    }

    /// Decodes a delivery into the event it reports.
    package func decode(_ raw: InboundDelivery) throws(InputError) -> LifecycleEvent {
        try decode(read(raw))
    }

    /// Decodes a delivery already read into the event it reports, from its parsed body: nothing
    /// is parsed here.
    package func decode(_ parsed: ParsedDelivery) throws(InputError) -> LifecycleEvent {
        let content = try parsed.content.get()
        let (delivery, document) = (content.delivery, content.document)
        let root = try JSONObjectReader(document, path: delivery.headers.isEmpty ? "$" : "$.body")
        let headers = delivery.headers

        if let topic = headers["x-shopify-topic"] {
            if topic.hasPrefix("orders/") {
                return try ShopifyOrderDecoder.decode(root, topic: topic, headers: headers)
            }
            return try ShopifyCheckoutDecoder.decode(root, topic: topic, headers: headers)
        }
        if WinBackEventDecoder.isScheduledEvent(root) {
            return try WinBackEventDecoder.decodeScheduled(root, headers: headers)
        }
        if root.value("event") != nil, root.value("payload") != nil {
            return try CanonicalEventDecoder.decode(root, headers: headers)
        }
        if root.value("scope") != nil, root.value("store_id") != nil || root.value("producer") != nil {
            return try BigCommerceCallbackDecoder.decode(root, headers: headers)
        }
        // A bare Shopify order: cancelled_at tells the two order topics apart.
        if root.value("order_number") != nil, root.value("line_items") != nil {
            let cancelled = root.value("cancelled_at").map { $0 != .null } ?? false
            return try ShopifyOrderDecoder.decode(
                root, topic: cancelled ? "orders/cancelled" : "orders/create", headers: headers)
        }
        if root.value("abandoned_checkout_url") != nil
            || (root.value("line_items") != nil && root.value("token") != nil)
        {
            return try ShopifyCheckoutDecoder.decode(root, topic: "checkouts/update", headers: headers)
        }
        throw InputError(
            .unrecognizedShape, path: root.path,
            reason:
                "not a Shopify checkout or order, a BigCommerce callback, a canonical Tidings event or a recorded delivery"
        )
    }

    /// A stable id for bytes that could not be understood, so the audit can still name them.
    package static func fallbackEventID(for body: [UInt8]) -> String {
        let digest = SHA256.hash(data: body)
        return "sha256:" + Hex.encode(digest.prefix(8))
    }

    static func parseDocument(_ bytes: [UInt8], path: String) throws(InputError) -> JSONValue {
        do {
            return try JSONParser.parse(bytes)
        } catch {
            throw malformed(error, path: path)
        }
    }

    static func malformed(_ error: JSONParser.SyntaxError, path: String) -> InputError {
        InputError(.malformedJSON, path: path, reason: "not valid JSON (\(error))")
    }
}
