import Foundation

/// Bytes as they reached a function, before anything is understood: the body, the delivery's
/// headers when the transport had any, and when it arrived.
package struct InboundDelivery: Sendable {
    /// The raw body, exactly as received (signatures are computed over these bytes).
    package var body: [UInt8]
    /// Header names lower-cased.
    package var headers: [String: String]
    /// When the delivery arrived, if the recording says so.
    package var receivedAt: Date?

    /// Creates a delivery; header names are lower-cased here, the body is kept byte for byte.
    package init(body: [UInt8], headers: [String: String] = [:], receivedAt: Date? = nil) {
        self.body = body
        self.headers = Dictionary(
            headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { _, last in last })
        self.receivedAt = receivedAt
    }
}
