import Foundation
import Testing

@testable import TidingsCore
@testable import TidingsRuntime

/// A test-only `HTTPTransport` on the raw-socket client the Runtime API uses: one connection per
/// request, no TLS, no retries. It reaches the loopback model fake until the libcurl transport
/// replaces it in these tests.
struct SocketTransport: HTTPTransport {
    func send(_ request: TransportRequest) async throws -> TransportResponse {
        guard let url = URL(string: request.url), let host = url.host, let port = url.port else {
            throw TransportError(.other, host: "?", detail: "not an http://host:port URL")
        }
        let target = url.path + (url.query.map { "?" + $0 } ?? "")
        return try await withCheckedThrowingContinuation { continuation in
            // A thread per request: the blocking socket must not hold one of the few threads of
            // the cooperative pool or of Dispatch's global queue while calls are in flight.
            Thread {
                continuation.resume(with: Result { try Self.exchange(request, host: host, port: port, target: target) })
            }.start()
        }
    }

    private static func exchange(_ request: TransportRequest, host: String, port: Int, target: String) throws
        -> TransportResponse
    {
        let socket: HTTPSocket
        do {
            socket = try HTTPSocket.connect(host: host, port: UInt16(port))
        } catch {
            throw TransportError(.connectFailed, host: host, detail: "\(error)")
        }
        defer { socket.close() }
        let headers =
            [("Host", "\(host):\(port)"), ("Connection", "close")] + request.headers.sorted { $0.key < $1.key }
        do {
            try socket.writeMessage("\(request.method) \(target) HTTP/1.1", headers: headers, body: request.body)
            let message = try socket.readMessage()
            return TransportResponse(status: message.status, headers: message.headers, body: message.body)
        } catch {
            throw TransportError(.connectionReset, host: host, detail: "\(error)")
        }
    }
}

/// The loopback model fake (Tests/Fixtures/fakes/model-fake.py), scoped: started on a free port,
/// handed to `body`, killed afterwards.
struct ModelFake {
    /// The fake's port on 127.0.0.1.
    let port: Int

    /// `http://127.0.0.1:PORT`: Anthropic's base URL form.
    var root: String { "http://127.0.0.1:\(port)" }
    /// `http://127.0.0.1:PORT/v1`: OpenAI's base URL form.
    var v1: String { root + "/v1" }

    static let script = RuntimeTestSupport.root.appendingPathComponent("Tests/Fixtures/fakes/model-fake.py")

    /// One request as the fake recorded it.
    struct Received {
        var path: String
        var headers: [String: String]
        var body: JSONValue
        var problems: [String]
        var step: String?
    }

    /// Everything the fake received, in order.
    func received() async throws -> [Received] {
        let response = try await SocketTransport().send(TransportRequest(method: "GET", url: root + "/_requests"))
        guard case .array(let records) = try JSONParser.parse(response.body) else { return [] }
        return records.map { record in
            let members = record.objectValue ?? [:]
            var headers: [String: String] = [:]
            for (name, value) in members["headers"]?.objectValue ?? [:] { headers[name] = value.stringValue }
            var problems: [String] = []
            if case .array(let list)? = members["problems"] { problems = list.compactMap(\.stringValue) }
            return Received(
                path: members["path"]?.stringValue ?? "", headers: headers, body: members["body"] ?? .null,
                problems: problems, step: members["step"]?.stringValue)
        }
    }

    /// The most requests the fake has answered at once.
    func maxInFlight() async throws -> Int {
        let response = try await SocketTransport().send(TransportRequest(method: "GET", url: root + "/_stats"))
        if case .int(let count)? = try JSONParser.parse(response.body).objectValue?["max_in_flight"] { return count }
        return 0
    }

    /// `python3` from PATH (the fake needs the `jsonschema` package, which the interpreter on PATH
    /// has; .ci/run must provide it).
    static func python(_ arguments: [String]) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        return process
    }

    /// Starts the fake, runs `body`, and stops the fake whatever happens.
    static func with<Result>(_ body: (ModelFake) async throws -> Result) async throws -> Result {
        let process = python([script.path])
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        defer {
            // SIGKILL: the test runner's blocked SIGTERM would be inherited by a careless fake.
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        // Read on a thread of its own: the interpreter takes a second to start, and a blocked
        // cooperative thread would stall every other test meanwhile.
        let line = await withCheckedContinuation { continuation in
            Thread {
                let data = output.fileHandleForReading.availableDataUntilNewline()
                continuation.resume(returning: String(decoding: data, as: UTF8.self))
            }.start()
        }
        guard let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            process.waitUntilExit()
            let reason = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            Issue.record("the model fake did not start (it needs python3 with jsonschema): \(reason.suffix(600))")
            throw CancellationError()
        }
        return try await body(ModelFake(port: port))
    }
}

enum ModelLoopbackFixtures {
    /// A fake key, searched for in every error and kept body.
    static let key = "sk-test-K3Y-must-never-leak-0123456789"

    /// The cart_abandoned prompt for Tests/Fixtures/model/prompt-context.json.
    static func prompt() throws -> Prompt {
        let url = RuntimeTestSupport.root.appendingPathComponent("Tests/Fixtures/model/prompt-context.json")
        // The fixture is PromptContext's own Codable form (Swift property names).
        let context = try JSONDecoder().decode(PromptContext.self, from: Data(contentsOf: url))
        return try PromptLibrary().prompt("cart_abandoned", context: context)
    }
}
