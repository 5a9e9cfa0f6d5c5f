import Crypto
import Foundation

/// Turns a delivery into a `LifecycleEvent`: unwraps the recorded-delivery form, recognizes the
/// payload (Shopify, BigCommerce, canonical Tidings event) by its topic header or its shape, and
/// normalizes it. Every failure is an `InputError` naming the field.
public struct EventDecoder: Sendable {
    /// Bodies above this size are refused before parsing.
    public var maximumBodyBytes: Int

    /// Creates a decoder that refuses bodies above `maximumBodyBytes` (default 256 KiB).
    public init(maximumBodyBytes: Int = 256 * 1024) {
        self.maximumBodyBytes = maximumBodyBytes
    }

    /// A delivery whose body is itself a recorded delivery (`{"headers":…,"body":…}`) is unwrapped
    /// first, so a replay goes through the same checks as the original delivery.
    public func unwrap(_ delivery: Delivery) throws(InputError) -> (delivery: Delivery, document: JSONValue) {
        guard delivery.body.count <= maximumBodyBytes else {
            throw InputError(
                .oversized, path: "$",
                reason: "body is \(delivery.body.count) bytes; the limit is \(maximumBodyBytes)")
        }
        let document = try Self.parseDocument(delivery.body, path: "$")
        guard case .object(let members) = document, case .object(let headerMembers)? = members["headers"],
            let body = members["body"]
        else { return (delivery, document) }

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
            let inner = Delivery(body: bytes, headers: headers, receivedAt: receivedAt)
            return (inner, try Self.parseDocument(bytes, path: "$.body"))
        case .object:
            let bytes = Array((try? JSONEncoder().encode(body)) ?? Data())
            return (Delivery(body: bytes, headers: headers, receivedAt: receivedAt), body)
        default:
            throw InputError(
                .invalidField, path: "$.body", reason: "expected the webhook body as an object or a string")
        }
    }

    /// Decodes a delivery into the event it reports.
    public func decode(_ raw: Delivery) throws(InputError) -> LifecycleEvent {
        let (delivery, document) = try unwrap(raw)
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
    public static func fallbackEventID(for body: [UInt8]) -> String {
        let digest = SHA256.hash(data: body)
        return "sha256:" + Hex.encode(digest.prefix(8))
    }

    static func parseDocument(_ bytes: [UInt8], path: String) throws(InputError) -> JSONValue {
        do {
            return try JSONParser.parse(bytes)
        } catch {
            throw InputError(.malformedJSON, path: path, reason: "not valid JSON (\(error))")
        }
    }
}
