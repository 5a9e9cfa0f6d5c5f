import Foundation

/// One HTTP request, as the clients of the outside systems build it.
package struct TransportRequest: Sendable, Hashable {
    /// The HTTP method, upper-case ("GET", "POST").
    package var method: String
    /// Full URL: scheme, host, path and query.
    package var url: String
    /// Request headers; names as the client writes them.
    package var headers: [String: String]
    /// The request body; empty for GET.
    package var body: [UInt8]

    /// Creates a request; headers and body default to empty.
    package init(method: String, url: String, headers: [String: String] = [:], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// One HTTP response.
package struct TransportResponse: Sendable, Hashable {
    /// The HTTP status code (200, 429, 503, ...); transports return non-2xx without throwing.
    package var status: Int
    /// Header names lower-cased.
    package var headers: [String: String]
    /// The response body as received, not decoded.
    package var body: [UInt8]

    /// Creates a response; pass header names lower-cased.
    package init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// The one way Tidings talks HTTP. Production uses libcurl; the embedded defaults answer from
/// files, and tests use loopback servers or in-memory transports.
package protocol HTTPTransport: Sendable {
    /// Sends the request and returns the response, whatever its status. Throws only when no
    /// response arrived (connection refused, timeout).
    func send(_ request: TransportRequest) async throws -> TransportResponse
}
