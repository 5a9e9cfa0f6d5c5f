import Crypto
import Foundation
import TidingsCore

/// How a delivery reached the function, which decides whether it has to prove its origin
/// (docs/decisions/webhook-trust.md).
package enum Channel: String, Sendable {
    /// An HTTP request anyone can send: API Gateway / Function URL, or an SQS record the HTTP
    /// route queued (`tidings-channel: http`). Where any secret is configured, it must be signed.
    case http
    /// The body as it came, perhaps with headers that travelled with it (stdin, a direct invoke, a
    /// recorded delivery, SQS message attributes): a delivery with headers is
    /// checked against the platform it claims, where that one has a secret; a bare body is trusted
    /// (whoever could invoke the function or write to its queue is already authorized).
    case headers
    /// The invoking service authenticated the sender: EventBridge's Shopify partner source (the
    /// payload was re-encoded on the way, so no signature is left to check) or a Pub/Sub push
    /// subscription (the topic's publisher and the push request are authenticated by Google).
    case authenticated
}

/// The verdict on a delivery's origin.
package enum TrustVerdict: Sendable, Equatable {
    /// Go on with the pipeline.
    case accepted
    /// Stop: `code` is `signature_missing` or `signature_invalid`; nothing else happens.
    case rejected(code: String, reason: String)
}

/// Webhook authentication: Shopify's `X-Shopify-Hmac-Sha256` (base64 of HMAC-SHA256 of the raw
/// body, keyed with the app's client secret) and BigCommerce's shared-secret header (set when the
/// hook is created; BigCommerce does not sign bodies). Comparisons run in constant time.
package struct WebhookTrust: Sendable {
    /// The header BigCommerce hooks are created with (deploy/bigcommerce/create-hooks.sh).
    package static let bigCommerceHeader = "x-tidings-webhook-secret"
    /// The SQS message attribute the HTTP route sets, so queued requests keep their channel.
    package static let channelAttribute = "tidings-channel"

    let secrets: WebhookSecrets
    let decoder: EventDecoder

    /// Checks with `secrets`; `maximumBodyBytes` bounds the recorded-delivery unwrapping.
    package init(secrets: WebhookSecrets, maximumBodyBytes: Int) {
        self.secrets = secrets
        decoder = EventDecoder(maximumBodyBytes: maximumBodyBytes)
    }

    /// Checks one delivery. A recorded delivery (`{"headers":…,"body":"…"}`) is checked on its
    /// inner headers and raw body, as the original request was.
    package func verify(_ delivery: InboundDelivery, channel: Channel) -> TrustVerdict {
        verify(decoder.read(delivery), channel: channel)
    }

    /// Checks one delivery already read: the signature on the exact body bytes that arrived, the
    /// claimed platform from the parsed body, which is not parsed again.
    package func verify(_ delivery: ParsedDelivery, channel: Channel) -> TrustVerdict {
        guard channel != .authenticated, !secrets.isEmpty else { return .accepted }
        // Bytes that cannot be unwrapped are left to the decoder, which rejects them as bad input,
        // except over HTTP: there they must still prove their origin on the raw bytes, or an
        // unsigned request could fill the dead-letter folder.
        let unwrapped = try? delivery.content.get()
        if unwrapped == nil, channel != .http { return .accepted }
        let (inner, document) = unwrapped.map { ($0.delivery, $0.document) } ?? (delivery.raw, JSONValue.null)
        let effective: Channel = channel == .http ? .http : (inner.headers.isEmpty ? .authenticated : .headers)
        guard effective != .authenticated else { return .accepted }

        switch Self.claimedPlatform(inner.headers, document) {
        case .shopify?:
            guard let secret = secrets.shopify else { return unclaimed(effective, platform: "Shopify") }
            guard let signature = inner.headers["x-shopify-hmac-sha256"], !signature.isEmpty else {
                return .rejected(code: "signature_missing", reason: "no X-Shopify-Hmac-Sha256 header")
            }
            guard Self.shopifySignatureIsValid(signature, body: inner.body, secret: secret) else {
                return .rejected(
                    code: "signature_invalid", reason: "X-Shopify-Hmac-Sha256 does not match the body")
            }
            return .accepted
        case .bigcommerce?:
            guard let secret = secrets.bigcommerce else { return unclaimed(effective, platform: "BigCommerce") }
            guard let presented = inner.headers[Self.bigCommerceHeader], !presented.isEmpty else {
                return .rejected(code: "signature_missing", reason: "no X-Tidings-Webhook-Secret header")
            }
            guard ConstantTime.equals(presented.utf8, secret.bytes) else {
                return .rejected(code: "signature_invalid", reason: "X-Tidings-Webhook-Secret is wrong")
            }
            return .accepted
        default:
            return unclaimed(effective, platform: nil)
        }
    }

    /// A delivery whose platform has no secret: accepted where headers travelled with it (the
    /// operator chose not to check that platform), refused over HTTP, where it would be a way
    /// around the platforms that are checked.
    private func unclaimed(_ channel: Channel, platform: String?) -> TrustVerdict {
        guard channel == .http else { return .accepted }
        let what = platform.map { "a \($0) delivery, but no secret is configured for \($0)" } ?? "no platform signature"
        return .rejected(code: "signature_missing", reason: "HTTP request with \(what)")
    }

    /// The platform the delivery says it comes from: Shopify's headers, BigCommerce's secret
    /// header or callback shape (`scope: store/…`).
    static func claimedPlatform(_ headers: [String: String], _ document: JSONValue) -> EventPlatform? {
        if headers.keys.contains(where: { $0.hasPrefix("x-shopify-") }) { return .shopify }
        if headers[bigCommerceHeader] != nil { return .bigcommerce }
        if case .object(let members) = document, case .string(let scope)? = members["scope"],
            scope.hasPrefix("store/")
        {
            return .bigcommerce
        }
        return nil
    }

    /// Whether `signature` is base64(HMAC-SHA256(secret, body)); constant time in the digest.
    package static func shopifySignatureIsValid(_ signature: String, body: [UInt8], secret: Secret) -> Bool {
        guard let presented = Data(base64Encoded: signature.trimmingCharacters(in: .whitespaces)) else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(
            presented, authenticating: body, using: SymmetricKey(data: secret.bytes))
    }

    /// base64(HMAC-SHA256(secret, body)): what Shopify puts in `X-Shopify-Hmac-Sha256`.
    package static func shopifySignature(body: [UInt8], secret: Secret) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: secret.bytes))).base64EncodedString()
    }

    /// "stale: …" when the platform's `Triggered-At` is older than the flow's window, so a
    /// delivery retried or replayed long after the fact is not written to; with the event id the
    /// delivery names (`X-Shopify-Event-Id`, else `X-Shopify-Webhook-Id`), for the audit.
    package func staleness(_ delivery: InboundDelivery, now: Date, window: TimeInterval) -> (
        reason: String, eventID: String?
    )? {
        staleness(decoder.read(delivery), now: now, window: window)
    }

    /// `staleness(_:now:window:)` for a delivery already read: its headers, or the recorded
    /// delivery's inside it, without parsing anything.
    package func staleness(_ delivery: ParsedDelivery, now: Date, window: TimeInterval) -> (
        reason: String, eventID: String?
    )? {
        let headers = (try? delivery.content.get().delivery.headers) ?? delivery.raw.headers
        guard let text = headers["x-shopify-triggered-at"], let triggeredAt = Timestamp.parse(text) else { return nil }
        let age = now.timeIntervalSince(triggeredAt)
        guard age > window else { return nil }
        return (
            "stale: the webhook was triggered at \(text), \(Int(age / 3600)) h ago; the window is \(Int(window / 3600)) h",
            headers["x-shopify-event-id"] ?? headers["x-shopify-webhook-id"]
        )
    }
}
