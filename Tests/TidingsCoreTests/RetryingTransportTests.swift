import Foundation
import Synchronization
import Testing

@testable import TidingsCore

/// Answers each send with the next scripted outcome (the last one repeats) and counts the sends.
final class ScriptedStatusTransport: HTTPTransport, Sendable {
    enum Step: Sendable {
        case status(Int, [String: String])
        case fail(TransportError.Code)
    }

    private let state: Mutex<(steps: [Step], sent: Int)>
    init(_ steps: [Step]) { state = Mutex((steps, 0)) }
    var sent: Int { state.withLock { $0.sent } }

    func send(_ request: TransportRequest) async throws -> TransportResponse {
        let step = state.withLock { state in
            defer { state.sent += 1 }
            return state.steps[min(state.sent, state.steps.count - 1)]
        }
        switch step {
        case .status(let status, let headers): return TransportResponse(status: status, headers: headers)
        case .fail(let code): throw TransportError(code, host: "upstream.test", detail: "scripted")
        }
    }
}

/// Records the ranges the jitter is drawn from and answers their upper end.
final class CeilingRandom: Sendable {
    private let ranges = Mutex<[ClosedRange<Double>]>([])
    var ceilings: [Double] { ranges.withLock { $0.map(\.upperBound) } }
    func draw(_ range: ClosedRange<Double>) -> Double {
        ranges.withLock { $0.append(range) }
        return range.upperBound
    }
}

@Suite struct RetryingTransportTests {
    let request = TransportRequest(method: "POST", url: "https://upstream.test/v1/messages", body: Array("{}".utf8))

    func retrying(
        _ inner: ScriptedStatusTransport, clock: ManualClock, random: CeilingRandom = CeilingRandom(),
        policy: RetryPolicy = RetryPolicy()
    ) -> RetryingTransport {
        RetryingTransport(
            inner, policy: policy, clock: clock, sleep: { clock.advance($0) }, random: { random.draw($0) })
    }

    @Test func backoffDoublesFromTheBaseUpToTheCapAndStopsAfterMaxRetries() async throws {
        let inner = ScriptedStatusTransport([.status(503, [:])])
        let clock = ManualClock()
        let random = CeilingRandom()
        let policy = RetryPolicy(maxRetries: 4, baseDelay: 0.5, maxBackoff: 3)
        let (response, attempts) = try await retrying(inner, clock: clock, random: random, policy: policy)
            .sendCounting(request)
        #expect(response.status == 503)
        #expect(attempts == 5)
        #expect(inner.sent == 5)
        #expect(random.ceilings == [0.5, 1, 2, 3])
        #expect(clock.sleeps == [0.5, 1, 2, 3])
    }

    @Test func fullJitterDrawsEachWaitBetweenZeroAndTheCeiling() async throws {
        var waits: [TimeInterval] = []
        for _ in 0..<50 {
            let clock = ManualClock()
            let transport = RetryingTransport(
                ScriptedStatusTransport([.fail(.connectionReset), .status(200, [:])]), clock: clock,
                sleep: { clock.advance($0) })
            let (response, attempts) = try await transport.sendCounting(request)
            #expect(response.status == 200 && attempts == 2)
            waits += clock.sleeps
        }
        #expect(waits.count == 50)
        #expect(waits.allSatisfy { (0...0.5).contains($0) })
        // Full jitter spreads the waits: not all in one half of the range.
        #expect(waits.contains { $0 < 0.25 } && waits.contains { $0 > 0.25 })
    }

    @Test func retryAfterSecondsIsHonoured() async throws {
        let inner = ScriptedStatusTransport([.status(429, ["retry-after": "7"]), .status(200, [:])])
        let clock = ManualClock()
        let (response, attempts) = try await retrying(inner, clock: clock).sendCounting(request)
        #expect(response.status == 200 && attempts == 2)
        #expect(clock.sleeps == [7])
    }

    @Test func retryAfterHTTPDateIsMeasuredFromTheClock() async throws {
        // ManualClock starts at 1,000,000 s after the epoch: Mon, 12 Jan 1970 13:46:40 GMT.
        let inner = ScriptedStatusTransport([
            .status(503, ["retry-after": "Mon, 12 Jan 1970 13:46:52 GMT"]), .status(200, [:]),
        ])
        let clock = ManualClock()
        let (_, attempts) = try await retrying(inner, clock: clock).sendCounting(request)
        #expect(attempts == 2)
        #expect(clock.sleeps == [12])
    }

    @Test func retryAfterMillisecondsWinsOverRetryAfter() async throws {
        let inner = ScriptedStatusTransport([
            .status(529, ["retry-after-ms": "1500", "retry-after": "9"]), .status(200, [:]),
        ])
        let clock = ManualClock()
        let (_, attempts) = try await retrying(inner, clock: clock).sendCounting(request)
        #expect(attempts == 2)
        #expect(clock.sleeps == [1.5])
    }

    @Test func aServerWaitPastTheLongestHonouredFallsBackToTheBackoff() async throws {
        let inner = ScriptedStatusTransport([.status(429, ["retry-after": "3600"]), .status(200, [:])])
        let clock = ManualClock()
        let (_, attempts) = try await retrying(inner, clock: clock).sendCounting(request)
        #expect(attempts == 2)
        #expect(clock.sleeps == [0.5])
    }

    @Test func shouldRetryFalseStopsA500() async throws {
        let inner = ScriptedStatusTransport([.status(500, ["x-should-retry": "false"]), .status(200, [:])])
        let clock = ManualClock()
        let (response, attempts) = try await retrying(inner, clock: clock).sendCounting(request)
        #expect(response.status == 500 && attempts == 1 && inner.sent == 1)
        #expect(clock.sleeps.isEmpty)
    }

    @Test func shouldRetryTrueRetriesA400() async throws {
        let inner = ScriptedStatusTransport([.status(400, ["x-should-retry": "true"]), .status(200, [:])])
        let (response, attempts) = try await retrying(inner, clock: ManualClock()).sendCounting(request)
        #expect(response.status == 200 && attempts == 2)
    }

    @Test(arguments: [408, 409, 429, 500, 502, 503, 504, 529])
    func retryableStatusesRetry(status: Int) async throws {
        let inner = ScriptedStatusTransport([.status(status, [:]), .status(200, [:])])
        let (response, attempts) = try await retrying(inner, clock: ManualClock()).sendCounting(request)
        #expect(response.status == 200 && attempts == 2)
    }

    @Test(arguments: [400, 401, 403, 404, 413, 422])
    func otherClientErrorsDoNotRetry(status: Int) async throws {
        let inner = ScriptedStatusTransport([.status(status, [:]), .status(200, [:])])
        let (response, attempts) = try await retrying(inner, clock: ManualClock()).sendCounting(request)
        #expect(response.status == status && attempts == 1)
    }

    @Test func retryableTransportErrorsRetryUntilTheAttemptsAreUsedUp() async throws {
        let inner = ScriptedStatusTransport([.fail(.connectFailed)])
        let clock = ManualClock()
        await #expect(throws: TransportError.self) {
            try await retrying(inner, clock: clock).sendCounting(request)
        }
        #expect(inner.sent == 4)
        #expect(clock.sleeps == [0.5, 1, 2])
    }

    @Test(arguments: [TransportError.Code.tlsFailed, .responseTooLarge, .cancelled])
    func errorsThatCannotBeRetriedAreThrownAtOnce(code: TransportError.Code) async throws {
        let inner = ScriptedStatusTransport([.fail(code), .status(200, [:])])
        let error = await #expect(throws: TransportError.self) {
            try await retrying(inner, clock: ManualClock()).sendCounting(request)
        }
        #expect(error?.code == code)
        #expect(inner.sent == 1)
    }

    @Test func aServerWaitPastTheDeadlineReturnsTheLastResponse() async throws {
        let inner = ScriptedStatusTransport([.status(429, ["retry-after": "10"]), .status(200, [:])])
        let clock = ManualClock()
        let (response, attempts) = try await InvocationDeadline.$current.withValue(clock.now.addingTimeInterval(5)) {
            try await retrying(inner, clock: clock).sendCounting(request)
        }
        #expect(response.status == 429 && attempts == 1)
        #expect(clock.sleeps.isEmpty)
    }

    @Test func backoffStopsWhenTheNextWaitAndAnAttemptWouldPassTheDeadline() async throws {
        // Waits 0.5 then 1 (ceilings); each needs 1 s of attempt after it: 0.5 + 1 fits in 2.2 s,
        // 0.5 + 1 + 1 does not, so the second error is thrown.
        let inner = ScriptedStatusTransport([.fail(.connectionReset)])
        let clock = ManualClock()
        let error = await #expect(throws: TransportError.self) {
            try await InvocationDeadline.$current.withValue(clock.now.addingTimeInterval(2.2)) {
                try await retrying(inner, clock: clock).sendCounting(request)
            }
        }
        #expect(error?.code == .connectionReset)
        #expect(inner.sent == 2)
        #expect(clock.sleeps == [0.5])
    }

    @Test func aPassedDeadlineSendsNothing() async throws {
        let inner = ScriptedStatusTransport([.status(200, [:])])
        let clock = ManualClock()
        let error = await #expect(throws: TransportError.self) {
            try await InvocationDeadline.$current.withValue(clock.now.addingTimeInterval(-1)) {
                try await retrying(inner, clock: clock).sendCounting(request)
            }
        }
        #expect(error?.code == .deadline)
        #expect(error?.host == "upstream.test")
        #expect(inner.sent == 0)
    }

    @Test func aCancelledWaitThrowsCancelled() async throws {
        let inner = ScriptedStatusTransport([.status(503, [:]), .status(200, [:])])
        let transport = RetryingTransport(inner, sleep: { _ in throw CancellationError() })
        let error = await #expect(throws: TransportError.self) { try await transport.send(request) }
        #expect(error?.code == .cancelled)
        #expect(inner.sent == 1)
    }
}
