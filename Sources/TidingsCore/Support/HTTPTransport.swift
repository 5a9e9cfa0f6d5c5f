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

/// A transport that can say how many HTTP attempts a request took (`RetryingTransport`). The model
/// writers report the count as `ModelAnswer.attempts`; any other transport counts as one attempt.
package protocol AttemptCountingTransport: HTTPTransport {
    /// Sends like `send`, and returns the attempts made with the last response.
    func sendCounting(_ request: TransportRequest) async throws -> (response: TransportResponse, attempts: Int)
}

/// No HTTP response arrived: the connection or the transfer failed. An HTTP error status is not a
/// `TransportError` (transports return it as a response).
package struct TransportError: Error, Sendable, CustomStringConvertible {
    /// What failed, for retry decisions, the audit and tests.
    package enum Code: String, Sendable {
        /// The host could not be resolved or the connection was refused.
        case connectFailed = "connect_failed"
        /// The connect or total timeout passed.
        case timedOut = "timed_out"
        /// The peer reset or closed the connection mid-exchange.
        case connectionReset = "connection_reset"
        /// TLS could not be established or the certificate did not verify.
        case tlsFailed = "tls_failed"
        /// The response body passed the transport's size bound.
        case responseTooLarge = "response_too_large"
        /// The invocation's deadline leaves no time for the request (or another attempt).
        case deadline
        /// The waiting task was cancelled.
        case cancelled
        /// Any other transfer failure.
        case other
    }

    /// What kind of failure.
    package var code: Code
    /// The upstream's host (never a URL with credentials or a query).
    package var host: String
    /// Detail for logs: libcurl's message, the bound that was passed. Never holds a secret.
    package var detail: String

    /// Creates a transport error.
    package init(_ code: Code, host: String, detail: String) {
        self.code = code
        self.host = host
        self.detail = detail
    }

    /// Whether another attempt can help: connection failures, resets and timeouts can; a TLS
    /// failure, an oversized body, the deadline and cancellation cannot.
    package var isRetryable: Bool {
        switch code {
        case .connectFailed, .timedOut, .connectionReset, .other: return true
        case .tlsFailed, .responseTooLarge, .deadline, .cancelled: return false
        }
    }

    /// "host: code (detail)".
    package var description: String { "\(host): \(code.rawValue) (\(detail))" }
}

/// The deadline of the invocation being handled, bound by the handler for the task tree of the
/// run, so that retries and waits deep inside a shared transport stop in time without every call
/// passing it down. Nil outside an invocation (CLI runs, tests) means no deadline.
package enum InvocationDeadline {
    /// When the platform ends the current invocation.
    @TaskLocal package static var current: Date?
}
