import Foundation
import Testing

@testable import TidingsCore

/// BigCommerce's rate-limit headers (`BigCommerceRateLimiter`) under `RetryingTransport`, with a
/// manual clock: how long each wait is, and that none passes the invocation's deadline.
@Suite struct BigCommerceRateLimiterTests {
    let request = TransportRequest(method: "GET", url: "https://api.bigcommerce.com/stores/abc/v3/customers?id:in=1")

    func stack(_ inner: ScriptedStatusTransport, clock: ManualClock, random: CeilingRandom = CeilingRandom())
        -> RetryingTransport
    {
        RetryingTransport(
            BigCommerceRateLimiter(inner, clock: clock, sleep: { clock.advance($0) }), clock: clock,
            sleep: { clock.advance($0) }, random: { random.draw($0) })
    }

    @Test func anEmptyWindowHoldsTheNextRequestUntilItResets() async throws {
        let inner = ScriptedStatusTransport([
            .status(200, ["x-rate-limit-requests-left": "0", "x-rate-limit-time-reset-ms": "1500"]),
            .status(200, ["x-rate-limit-requests-left": "149", "x-rate-limit-time-reset-ms": "30000"]),
        ])
        let clock = ManualClock()
        let limiter = BigCommerceRateLimiter(inner, clock: clock, sleep: { clock.advance($0) })
        _ = try await limiter.send(request)
        #expect(clock.sleeps.isEmpty)
        _ = try await limiter.send(request)
        #expect(clock.sleeps == [1.5])
        // A window with requests left never waits.
        _ = try await limiter.send(request)
        #expect(clock.sleeps == [1.5])
        #expect(inner.sent == 3)
    }

    @Test func a429WithTheResetHeaderIsRetriedAfterTheReset() async throws {
        let inner = ScriptedStatusTransport([
            .status(429, ["x-rate-limit-requests-left": "0", "x-rate-limit-time-reset-ms": "2500"]),
            .status(200, [:]),
        ])
        let clock = ManualClock()
        let random = CeilingRandom()
        let (response, attempts) = try await stack(inner, clock: clock, random: random).sendCounting(request)
        #expect(response.status == 200 && attempts == 2)
        // The retry loop waited the reset (as retry-after-ms), not a jittered backoff, and the
        // limiter found the window open again.
        #expect(clock.sleeps == [2.5])
        #expect(random.ceilings.isEmpty)
    }

    @Test func a429WithoutHeadersBacksOffWithJitter() async throws {
        let inner = ScriptedStatusTransport([.status(429, [:]), .status(429, [:]), .status(200, [:])])
        let clock = ManualClock()
        let random = CeilingRandom()
        let (response, attempts) = try await stack(inner, clock: clock, random: random).sendCounting(request)
        #expect(response.status == 200 && attempts == 3)
        #expect(random.ceilings == [0.5, 1])
        #expect(clock.sleeps == [0.5, 1])
    }

    @Test func noWaitRunsPastTheInvocationDeadline() async throws {
        let inner = ScriptedStatusTransport([
            .status(200, ["x-rate-limit-requests-left": "0", "x-rate-limit-time-reset-ms": "20000"]),
            .status(200, [:]),
        ])
        let clock = ManualClock()
        let limiter = BigCommerceRateLimiter(inner, clock: clock, sleep: { clock.advance($0) })
        _ = try await limiter.send(request)
        let error = await InvocationDeadline.$current.withValue(clock.now.addingTimeInterval(5)) {
            await #expect(throws: TransportError.self) { try await limiter.send(request) }
        }
        #expect(error?.code == .deadline)
        #expect(clock.sleeps.isEmpty && inner.sent == 1)

        // A 429 whose reset passes the deadline is returned as it is, without waiting.
        let throttled = ScriptedStatusTransport([
            .status(429, ["x-rate-limit-requests-left": "0", "x-rate-limit-time-reset-ms": "20000"])
        ])
        let retryClock = ManualClock()
        let (response, attempts) = try await InvocationDeadline.$current.withValue(
            retryClock.now.addingTimeInterval(5)
        ) {
            try await stack(throttled, clock: retryClock).sendCounting(request)
        }
        #expect(response.status == 429 && attempts == 1 && retryClock.sleeps.isEmpty)
    }

    @Test func malformedOrHugeResetsAreIgnored() async throws {
        let inner = ScriptedStatusTransport([
            .status(200, ["x-rate-limit-requests-left": "0", "x-rate-limit-time-reset-ms": "soon"]),
            .status(200, ["x-rate-limit-requests-left": "0", "x-rate-limit-time-reset-ms": "86400000"]),
            .status(200, [:]),
        ])
        let clock = ManualClock()
        let limiter = BigCommerceRateLimiter(inner, clock: clock, sleep: { clock.advance($0) })
        for _ in 0..<3 { _ = try await limiter.send(request) }
        #expect(clock.sleeps.isEmpty && inner.sent == 3)
    }
}
