import Foundation

/// One HTTP request, as the clients of the outside systems build it.
public struct HTTPRequest: Sendable, Hashable {
    public var method: String
    /// Full URL: scheme, host, path and query.
    public var url: String
    public var headers: [String: String]
    public var body: [UInt8]

    public init(method: String, url: String, headers: [String: String] = [:], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// One HTTP response.
public struct HTTPResponse: Sendable, Hashable {
    public var status: Int
    /// Header names lower-cased.
    public var headers: [String: String]
    public var body: [UInt8]

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
    func send(_ request: HTTPRequest) async throws -> HTTPResponse
}
