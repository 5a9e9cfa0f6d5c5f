import Foundation

/// Bytes as they reached a function, before anything is understood: the body, the delivery's
/// headers when the transport had any, and when it arrived.
public struct Delivery: Sendable {
    /// The raw body, exactly as received (signatures are computed over these bytes).
    public var body: [UInt8]
    /// Header names lower-cased.
    public var headers: [String: String]
    /// When the delivery arrived, if the recording says so.
    public var receivedAt: Date?

    /// Creates a delivery; header names are lower-cased here, the body is kept byte for byte.
    public init(body: [UInt8], headers: [String: String] = [:], receivedAt: Date? = nil) {
        self.body = body
        self.headers = Dictionary(
            headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { _, last in last })
        self.receivedAt = receivedAt
    }
}
