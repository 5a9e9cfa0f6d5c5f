import Foundation

/// One invocation as `GET /runtime/invocation/next` hands it over.
package struct RuntimeInvocation: Sendable {
    /// `Lambda-Runtime-Aws-Request-Id`: the path segment of this invocation's response or error.
    package var requestID: String
    /// `Lambda-Runtime-Deadline-Ms` as an instant; nil when the header was missing or unreadable.
    package var deadline: Date?
    /// `Lambda-Runtime-Invoked-Function-Arn`.
    package var invokedFunctionARN: String?
    /// `Lambda-Runtime-Trace-Id`: exported as `_X_AMZN_TRACE_ID` for the invocation's duration.
    package var traceID: String?
    /// The event document.
    package var body: [UInt8]
}

/// An error reported to the Runtime API: the standard Lambda error document.
package struct FunctionError: Sendable, Hashable {
    /// `errorType`, also sent as `Lambda-Runtime-Function-Error-Type` ("Retryable.PlatformUnavailable").
    package var type: String
    /// `errorMessage`.
    package var message: String

    /// An error of `type` ("Tidings.<code>", "Runtime.ConfigurationError") with its message.
    package init(type: String, message: String) {
        self.type = type
        self.message = message
    }

    /// `{"errorMessage":…,"errorType":…,"stackTrace":[]}`.
    package var document: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body: [String: JSONStringOrArray] = [
            "errorMessage": .string(message), "errorType": .string(type), "stackTrace": .array([]),
        ]
        return Array((try? encoder.encode(body)) ?? Data())
    }
}

private enum JSONStringOrArray: Encodable {
    case string(String)
    case array([String])

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let text): try container.encode(text)
        case .array(let items): try container.encode(items)
        }
    }
}

/// What the Runtime API said to a posted response or error.
package enum PostResult: Sendable, Equatable {
    /// 202 Accepted.
    case accepted
    /// 400, 403 or 413: this invocation's answer was refused; log it and go on to the next.
    case refused(status: Int, message: String)
}

/// Why the loop must stop: the API answered 500, an unexpected status, or the connection is gone.
package enum RuntimeAPIError: Error, Sendable, CustomStringConvertible {
    /// 500 (or any status the specification does not list): "Runtime should exit promptly".
    case containerError(path: String, status: Int, message: String)
    /// The connection failed, was refused or closed mid-message.
    case connectionLost(path: String, SocketError)
    /// `next` answered without `Lambda-Runtime-Aws-Request-Id`: the invocation cannot be answered.
    case missingRequestID
    /// SIGTERM arrived while waiting for the next invocation.
    case terminated

    /// What happened, for the log line before the process exits.
    package var description: String {
        switch self {
        case .containerError(let path, let status, let message): "\(path) answered \(status): \(message)"
        case .connectionLost(let path, let error): "\(path): connection lost (\(error))"
        case .missingRequestID: "next invocation without Lambda-Runtime-Aws-Request-Id"
        case .terminated: "terminated"
        }
    }
}

/// The Runtime API as the loop uses it: one small protocol, a socket implementation for
/// production and whatever a test needs (STYLE.md 2).
package protocol RuntimeAPI {
    /// Blocks until the next invocation (no timeout). Throws `.terminated` when woken by SIGTERM.
    func next() throws(RuntimeAPIError) -> RuntimeInvocation
    /// Posts the invocation's result.
    func respond(_ requestID: String, body: [UInt8]) throws(RuntimeAPIError) -> PostResult
    /// Posts a function error, so that the invoking service treats the invocation as failed (and retries).
    func fail(_ requestID: String, error: FunctionError) throws(RuntimeAPIError) -> PostResult
    /// Posts an initialization error; the runtime exits afterwards.
    func initializationFailed(_ error: FunctionError) throws(RuntimeAPIError) -> PostResult
}

/// The Runtime API wire format, kept in one place (STYLE.md 4): paths, headers, statuses.
package enum RuntimeAPIWire {
    /// The version prefix of every path.
    package static let prefix = "/2018-06-01"
    /// `GET`: blocks until the next invocation.
    package static let nextPath = prefix + "/runtime/invocation/next"
    /// `POST`: a start-up failure, before the first `next`.
    package static let initErrorPath = prefix + "/runtime/init/error"
    /// `POST`: an invocation's result.
    package static func responsePath(_ requestID: String) -> String {
        prefix + "/runtime/invocation/\(requestID)/response"
    }
    /// `POST`: an invocation's error (the invoking service may retry).
    package static func errorPath(_ requestID: String) -> String {
        prefix + "/runtime/invocation/\(requestID)/error"
    }
    /// Header names as read (lower-cased) and written.
    package static let requestIDHeader = "lambda-runtime-aws-request-id"
    package static let deadlineHeader = "lambda-runtime-deadline-ms"
    package static let functionARNHeader = "lambda-runtime-invoked-function-arn"
    package static let traceIDHeader = "lambda-runtime-trace-id"
    package static let errorTypeHeader = "Lambda-Runtime-Function-Error-Type"
    package static let errorContentType = "application/vnd.aws.lambda.error+json"

    /// Reads an invocation from `next`'s answer. Only the request id is required.
    package static func invocation(_ message: HTTPMessage) throws(RuntimeAPIError) -> RuntimeInvocation {
        guard let requestID = message.headers[requestIDHeader], !requestID.isEmpty else {
            throw .missingRequestID
        }
        return RuntimeInvocation(
            requestID: requestID,
            deadline: message.headers[deadlineHeader].flatMap { Int64($0) }.map {
                Date(timeIntervalSince1970: TimeInterval($0) / 1000)
            },
            invokedFunctionARN: message.headers[functionARNHeader], traceID: message.headers[traceIDHeader],
            body: message.body)
    }

    /// Maps a post's status to the loop's decision.
    package static func postResult(_ message: HTTPMessage, path: String) throws(RuntimeAPIError) -> PostResult {
        switch message.status {
        case 200..<300: return .accepted
        case 400, 403, 413: return .refused(status: message.status, message: errorMessage(message))
        default: throw .containerError(path: path, status: message.status, message: errorMessage(message))
        }
    }

    static func errorMessage(_ message: HTTPMessage) -> String {
        let text = String(decoding: message.body.prefix(512), as: UTF8.self)
        return text.isEmpty ? "(no body)" : text
    }
}

/// The production client: one keep-alive HTTP/1.1 connection to `AWS_LAMBDA_RUNTIME_API`, opened
/// lazily and reopened only when the server announced `Connection: close`; any other loss ends the loop.
package final class SocketRuntimeAPI: RuntimeAPI {
    let host: String
    let port: UInt16
    /// Read end of the SIGTERM pipe; readable means "stop waiting for work".
    let wake: Int32?
    private var socket: HTTPSocket?

    /// A client for `address` ("127.0.0.1:9001", "[::1]:9001", "localhost:9001").
    package init(address: String, wake: Int32? = nil) throws(RuntimeAPIError) {
        guard let colon = address.lastIndex(of: ":"), let port = UInt16(address[address.index(after: colon)...]) else {
            throw .connectionLost(
                path: address, SocketError("AWS_LAMBDA_RUNTIME_API '\(address)' is not host:port", code: 0))
        }
        var host = String(address[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.host = host
        self.port = port
        self.wake = wake
    }

    /// `GET next` on the keep-alive connection; no timeout, woken by SIGTERM.
    package func next() throws(RuntimeAPIError) -> RuntimeInvocation {
        let message = try exchange("GET", RuntimeAPIWire.nextPath, headers: [], body: [], waitForWork: true)
        // 403 and 500 alike leave the runtime without work; retrying at once would only spin.
        guard message.status == 200 else {
            throw .containerError(
                path: RuntimeAPIWire.nextPath, status: message.status, message: RuntimeAPIWire.errorMessage(message))
        }
        return try RuntimeAPIWire.invocation(message)
    }

    /// `POST …/response` with the answer document.
    package func respond(_ requestID: String, body: [UInt8]) throws(RuntimeAPIError) -> PostResult {
        let path = RuntimeAPIWire.responsePath(requestID)
        let message = try exchange("POST", path, headers: [("Content-Type", "application/json")], body: body)
        return try RuntimeAPIWire.postResult(message, path: path)
    }

    /// `POST …/error` with the Lambda error document and its type header.
    package func fail(_ requestID: String, error: FunctionError) throws(RuntimeAPIError) -> PostResult {
        try postError(error, to: RuntimeAPIWire.errorPath(requestID))
    }

    /// `POST /runtime/init/error`.
    package func initializationFailed(_ error: FunctionError) throws(RuntimeAPIError) -> PostResult {
        try postError(error, to: RuntimeAPIWire.initErrorPath)
    }

    /// Posts the Lambda error document with its content type and error-type header.
    private func postError(_ error: FunctionError, to path: String) throws(RuntimeAPIError) -> PostResult {
        let message = try exchange(
            "POST", path,
            headers: [
                ("Content-Type", RuntimeAPIWire.errorContentType), (RuntimeAPIWire.errorTypeHeader, error.type),
            ], body: error.document)
        return try RuntimeAPIWire.postResult(message, path: path)
    }

    private func exchange(
        _ method: String, _ path: String, headers: [(String, String)], body: [UInt8], waitForWork: Bool = false
    ) throws(RuntimeAPIError) -> HTTPMessage {
        do {
            let connection: HTTPSocket
            if let socket, socket.descriptor >= 0 {
                connection = socket
            } else {
                connection = try HTTPSocket.connect(host: host, port: port)
                socket = connection
            }
            try connection.writeMessage(
                "\(method) \(path) HTTP/1.1",
                headers: [("Host", "\(host):\(port)"), ("User-Agent", "tidings-runtime")] + headers, body: body)
            let message = try connection.readMessage(wake: waitForWork ? wake : nil)
            if message.closesConnection {
                connection.close()
                socket = nil
            }
            return message
        } catch is WokenUp {
            throw .terminated
        } catch let error as SocketError {
            socket?.close()
            socket = nil
            throw .connectionLost(path: path, error)
        } catch {
            throw .connectionLost(path: path, SocketError("\(error)", code: 0))
        }
    }
}
