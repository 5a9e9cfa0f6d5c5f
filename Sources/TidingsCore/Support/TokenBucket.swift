import Foundation

/// A token bucket: at most `burst` requests at once, refilled at `rate` a second. Callers reserve
/// a token and then wait until it is theirs, so waiting callers are served in order and the
/// long-run rate never exceeds `rate`. The clock and the sleeper are injected, so tests run
/// without real time.
package actor TokenBucket {
    /// Tokens added a second.
    package let rate: Double
    /// Most tokens the bucket holds.
    package let burst: Double
    private let clock: any TimeSource
    private let sleep: @Sendable (TimeInterval) async throws -> Void
    private var tokens: Double
    private var updated: Date

    /// A full bucket of `burst` tokens refilled at `rate` a second (both > 0). `sleep` waits the
    /// given seconds (the default is `Task.sleep`).
    package init(
        rate: Double, burst: Double = 1, clock: any TimeSource = SystemClock(),
        sleep: @escaping @Sendable (TimeInterval) async throws -> Void = { seconds in
            try await Task.sleep(nanoseconds: UInt64(max(0, seconds) * 1e9))
        }
    ) {
        precondition(rate > 0 && burst >= 1, "a token bucket needs rate > 0 and burst ≥ 1")
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.sleep = sleep
        self.tokens = burst
        self.updated = clock.now
    }

    /// Takes `amount` tokens (default one), waiting until they are available. Throws only when
    /// the sleep is cancelled.
    package func acquire(_ amount: Double = 1) async throws {
        let wait = reserve(amount)
        if wait > 0 { try await sleep(wait) }
    }

    /// Gives back `amount` tokens (or, when negative, takes more without waiting): how a caller
    /// that took an estimate settles it once the real count is known. Never above `burst`.
    package func settle(_ amount: Double) {
        refill()
        tokens = min(burst, tokens + amount)
    }

    /// Seconds until the reserved tokens are available (0 when they are there now). Tokens may go
    /// negative: that is the queue of callers already waiting.
    private func reserve(_ amount: Double) -> TimeInterval {
        refill()
        tokens -= amount
        return tokens >= 0 ? 0 : -tokens / rate
    }

    private func refill() {
        let now = clock.now
        tokens = min(burst, tokens + max(0, now.timeIntervalSince(updated)) * rate)
        updated = now
    }
}
