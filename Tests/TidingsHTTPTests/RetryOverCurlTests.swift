import Foundation
import Synchronization
import Testing
import TidingsCore
import TidingsHTTP

/// RetryingTransport over CurlTransport against the loopback server's scripted statuses. The
/// waits are recorded, not slept, so the figures the server asked for can be checked.
@Suite struct RetryOverCurlTests {
    final class Sleeps: Sendable {
        private let waits = Mutex<[TimeInterval]>([])
        var recorded: [TimeInterval] { waits.withLock { $0 } }
        func record(_ seconds: TimeInterval) { waits.withLock { $0.append(seconds) } }
    }

    func run(_ server: FaultServer, _ query: String) async throws -> (
        status: Int, attempts: Int, hits: Int, sleeps: [TimeInterval]
    ) {
        let curl = CurlTransport(.init(name: "faults"))
        let sleeps = Sleeps()
        let retrying = RetryingTransport(curl, sleep: { sleeps.record($0) }, random: { $0.upperBound })
        let key = UUID().uuidString
        let (response, attempts) = try await retrying.sendCounting(
            TransportRequest(method: "POST", url: server.base + "/flaky?key=\(key)&\(query)", body: Array("{}".utf8)))
        let hits = try await server.counter("/hits?key=\(key)", "hits", through: curl)
        return (response.status, attempts, hits, sleeps.recorded)
    }

    @Test func a429WithRetryAfterIsRetriedAfterTheAskedWait() async throws {
        try await FaultServer.with { server in
            let result = try await run(server, "statuses=429,200&retry_after=2")
            #expect(result.status == 200 && result.attempts == 2 && result.hits == 2)
            #expect(result.sleeps == [2])
        }
    }

    @Test func a503TwiceThenA200TakesThreeAttemptsWithBackoff() async throws {
        try await FaultServer.with { server in
            let result = try await run(server, "statuses=503,503,200")
            #expect(result.status == 200 && result.attempts == 3 && result.hits == 3)
            #expect(result.sleeps == [0.5, 1])
        }
    }

    @Test func a400IsNotRetried() async throws {
        try await FaultServer.with { server in
            let result = try await run(server, "statuses=400,200")
            #expect(result.status == 400 && result.attempts == 1 && result.hits == 1)
            #expect(result.sleeps.isEmpty)
        }
    }

    @Test func an529WithShouldRetryFalseIsNotRetried() async throws {
        try await FaultServer.with { server in
            let result = try await run(server, "statuses=529,200&should_retry=false&retry_after_ms=10")
            #expect(result.status == 529 && result.attempts == 1 && result.hits == 1)
        }
    }
}
