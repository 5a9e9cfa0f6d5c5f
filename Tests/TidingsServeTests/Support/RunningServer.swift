import Foundation
import Logging
import TidingsCore
import TidingsHTTP
import TidingsServe

/// A `ServeServer` running in this process on a free loopback port, for one test. `stop()`
/// cancels its task, which shuts Hummingbird down gracefully.
final class RunningServer: Sendable {
    let port: Int
    let task: Task<Void, any Error>
    let client: CurlTransport

    var base: String { "http://127.0.0.1:\(port)" }

    init(_ server: ServeServer) async throws {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        task = Task {
            defer { continuation.finish() }
            try await server.run { port in continuation.yield(port) }
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            _ = try await task.value
            throw CancellationError()
        }
        self.port = port
        client = CurlTransport(.init(name: "serve-test", connectTimeout: 5, totalTimeout: 30))
    }

    func send(
        _ method: String, _ path: String, headers: [String: String] = [:], body: [UInt8] = []
    ) async throws -> TransportResponse {
        try await client.send(TransportRequest(method: method, url: base + path, headers: headers, body: body))
    }

    func stop() async {
        task.cancel()
        _ = try? await task.value
    }
}

extension ServeServer {
    /// A server on the test's configuration, loopback, a free port.
    static func forTest(_ configuration: Configuration, parts: [any ServePart]) -> ServeServer {
        var logger = Logger(label: "tidings.serve.test")
        logger.logLevel = .critical
        return ServeServer(
            configuration: configuration, address: ServeAddress(host: "127.0.0.1", port: 0), parts: parts,
            logger: logger)
    }
}
