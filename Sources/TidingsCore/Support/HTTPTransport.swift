import Foundation

/// One HTTP request, as the clients of the outside systems build it.
public struct TransportRequest: Sendable, Hashable {
    /// The HTTP method, upper-case ("GET", "POST").
    public var method: String
    /// Full URL: scheme, host, path and query.
    public var url: String
    /// Request headers; names as the client writes them.
    public var headers: [String: String]
    /// The request body; empty for GET.
    public var body: [UInt8]

    /// Creates a request; headers and body default to empty.
    public init(method: String, url: String, headers: [String: String] = [:], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// One HTTP response.
public struct TransportResponse: Sendable, Hashable {
    /// The HTTP status code (200, 429, 503, ...); transports return non-2xx without throwing.
    public var status: Int
    /// Header names lower-cased.
    public var headers: [String: String]
    /// The response body as received, not decoded.
    public var body: [UInt8]

    /// Creates a response; pass header names lower-cased.
    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// The one way Tidings talks HTTP. Production uses libcurl; the embedded defaults answer from
/// files, and tests use loopback servers or in-memory transports.
public protocol HTTPTransport: Sendable {
    /// Sends the request and returns the response, whatever its status. Throws only when no
    /// response arrived (connection refused, timeout).
    func send(_ request: TransportRequest) async throws -> TransportResponse
}
