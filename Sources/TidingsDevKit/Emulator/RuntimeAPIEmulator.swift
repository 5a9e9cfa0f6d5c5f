import Foundation
import TidingsCore
import TidingsRuntime

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A loopback Lambda Runtime API (shared/specs/aws-lambda-runtime/runtime-api.yaml), written from
/// the specification rather than from the client, for `tidings emulate` and the tests: it hands
/// out queued invocations one at a time and records every answer. Tests script it further (a
/// status per post, invocations without some header, a hold on an answer).
package final class RuntimeAPIEmulator: @unchecked Sendable {
    /// An invocation to hand out.
    package struct Invocation: Sendable {
        /// The event document.
        package var body: [UInt8]
        /// `Lambda-Runtime-Aws-Request-Id`; nil leaves the header out (a broken API).
        package var requestID: String?
        /// `Lambda-Runtime-Deadline-Ms`; nil leaves the header out.
        package var deadline: Date?
        /// `Lambda-Runtime-Trace-Id`.
        package var traceID: String?

        /// An invocation with a fresh request id and a deadline `timeout` seconds away.
        package init(body: [UInt8], requestID: String? = UUID().uuidString.lowercased(), timeout: TimeInterval? = 30) {
            self.body = body
            self.requestID = requestID
            self.deadline = timeout.map { Date().addingTimeInterval($0) }
            self.traceID =
                "Root=1-\(String(Int(Date().timeIntervalSince1970), radix: 16))-\(UUID().uuidString.prefix(24));Sampled=0"
        }
    }

    /// One post the runtime made.
    package struct Post: Sendable {
        /// `response`, `error` or `init-error`.
        package var kind: String
        /// The request id from the path (empty for `init-error`).
        package var requestID: String
        /// `Lambda-Runtime-Function-Error-Type`, for errors.
        package var errorType: String?
        /// The posted body.
        package var body: [UInt8]
        /// The status the emulator answered.
        package var status: Int
    }

    /// The status to answer a post with (202 unless a test says otherwise). Called on the server thread.
    package var postStatus: @Sendable (_ kind: String, _ requestID: String) -> Int = { _, _ in 202 }
    /// Called before a post is answered (on the server thread); a test can hold the runtime here.
    package var beforeAnswering: @Sendable (Post) -> Void = { _ in }

    private let listener: Int32
    /// The port bound on 127.0.0.1.
    package let port: UInt16
    private let condition = NSCondition()
    private var queue: [Invocation] = []
    private var posts: [Post] = []
    private var nextCalls = 0
    private var accepted = 0
    private var stopped = false
    private var connections: [Int32] = []

    // The specification's paths and headers, spelled out here rather than taken from the client's
    // RuntimeAPIWire, so that a mistake in the client cannot be mirrored by the server.
    static let nextPath = "/2018-06-01/runtime/invocation/next"
    static let initErrorPath = "/2018-06-01/runtime/init/error"
    static let invocationPrefix = "/2018-06-01/runtime/invocation/"
    static let errorTypeHeader = "lambda-runtime-function-error-type"

    /// `host:port`, as `AWS_LAMBDA_RUNTIME_API` wants it.
    package var address: String { "127.0.0.1:\(port)" }

    /// Binds 127.0.0.1 on a free port and starts serving.
    package init() throws(SocketError) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw SocketError("socket") }
        var one: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(descriptor, 8) == 0 else {
            let error = SocketError("bind 127.0.0.1")
            _ = close(descriptor)
            throw error
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        listener = descriptor
        port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "runtime-api-emulator"
        thread.start()
    }

    deinit { stop() }

    /// Queues an invocation; the runtime's waiting `next` receives it.
    package func enqueue(_ invocation: Invocation) {
        condition.lock()
        queue.append(invocation)
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until `count` posts have arrived (or `timeout` passes) and returns all posts so far.
    package func waitForPosts(_ count: Int, timeout: TimeInterval = 30) -> [Post] {
        let limit = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while posts.count < count, condition.wait(until: limit) {}
        return posts
    }

    /// Waits until the runtime has called `next` `count` times (it is then idle, waiting for work).
    package func waitForNextCalls(_ count: Int, timeout: TimeInterval = 30) -> Bool {
        let limit = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while nextCalls < count, condition.wait(until: limit) {}
        return nextCalls >= count
    }

    /// How many times the runtime has asked for the next invocation.
    package var nextCallCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return nextCalls
    }

    /// How many connections the runtime has opened (one, for a keep-alive client).
    package var connectionCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return accepted
    }

    /// Every post so far.
    package var recordedPosts: [Post] {
        condition.lock()
        defer { condition.unlock() }
        return posts
    }

    /// Stops serving: closes the listener and every connection (a waiting runtime sees the loss).
    package func stop() {
        condition.lock()
        let alreadyStopped = stopped
        stopped = true
        let open = connections
        connections = []
        condition.broadcast()
        condition.unlock()
        guard !alreadyStopped else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        _ = close(listener)
        for descriptor in open { shutdown(descriptor, Int32(SHUT_RDWR)) }
    }

    private func acceptLoop() {
        while true {
            let descriptor = accept(listener, nil, nil)
            if descriptor < 0 {
                if errno == EINTR { continue }
                return
            }
            condition.lock()
            if stopped {
                condition.unlock()
                _ = close(descriptor)
                return
            }
            connections.append(descriptor)
            accepted += 1
            condition.unlock()
            let thread = Thread { [self] in serve(HTTPSocket(descriptor: descriptor)) }
            thread.start()
        }
    }

    private func serve(_ connection: HTTPSocket) {
        defer {
            condition.lock()
            connections.removeAll { $0 == connection.descriptor }
            condition.unlock()
        }
        while let request = try? connection.readMessage() {
            guard request.startLine.count == 3 else { return }
            let (method, path) = (request.startLine[0], request.startLine[1])
            do {
                if method == "GET", path == Self.nextPath {
                    guard let invocation = waitForInvocation() else { return }
                    var headers: [(String, String)] = [("Content-Type", "application/json")]
                    if let id = invocation.requestID { headers.append(("Lambda-Runtime-Aws-Request-Id", id)) }
                    if let deadline = invocation.deadline {
                        headers.append(
                            ("Lambda-Runtime-Deadline-Ms", String(Int64(deadline.timeIntervalSince1970 * 1000))))
                    }
                    headers.append(
                        (
                            "Lambda-Runtime-Invoked-Function-Arn",
                            "arn:aws:lambda:us-east-1:000000000000:function:emulated"
                        ))
                    if let trace = invocation.traceID { headers.append(("Lambda-Runtime-Trace-Id", trace)) }
                    try connection.writeMessage("HTTP/1.1 200 OK", headers: headers, body: invocation.body)
                } else if method == "POST", let (kind, requestID) = Self.post(path) {
                    var post = Post(
                        kind: kind, requestID: requestID,
                        errorType: request.headers[Self.errorTypeHeader], body: request.body,
                        status: 0)
                    post.status = postStatus(kind, requestID)
                    beforeAnswering(post)
                    let body: [UInt8] =
                        post.status == 202
                        ? Array(#"{"status":"OK"}"#.utf8)
                        : Array(#"{"errorMessage":"emulated status","errorType":"Emulated"}"#.utf8)
                    condition.lock()
                    posts.append(post)
                    condition.broadcast()
                    condition.unlock()
                    try connection.writeMessage(
                        "HTTP/1.1 \(post.status) \(post.status == 202 ? "Accepted" : "Error")",
                        headers: [("Content-Type", "application/json")], body: body)
                } else {
                    try connection.writeMessage(
                        "HTTP/1.1 404 Not Found", headers: [("Content-Type", "application/json")],
                        body: Array(#"{"errorMessage":"unknown path","errorType":"InvalidRequest"}"#.utf8))
                }
            } catch {
                return
            }
        }
    }

    private func waitForInvocation() -> Invocation? {
        condition.lock()
        defer { condition.unlock() }
        nextCalls += 1
        condition.broadcast()
        while queue.isEmpty && !stopped { condition.wait() }
        return stopped ? nil : queue.removeFirst()
    }

    /// `("response", id)`, `("error", id)` or `("init-error", "")` for a post path.
    static func post(_ path: String) -> (String, String)? {
        if path == initErrorPath { return ("init-error", "") }
        let prefix = invocationPrefix
        guard path.hasPrefix(prefix) else { return nil }
        let parts = path.dropFirst(prefix.count).split(separator: "/")
        guard parts.count == 2, parts[1] == "response" || parts[1] == "error" else { return nil }
        return (String(parts[1]), String(parts[0]))
    }
}
