import Foundation

/// When and how long `RetryingTransport` waits before another attempt. Every figure is documented
/// with its default; docs/decisions/http-transport.md says where they come from.
package struct RetryPolicy: Sendable, Hashable {
    /// Most retries after the first attempt (default 3, so at most 4 attempts).
    package var maxRetries: Int
    /// The backoff's base in seconds (default 0.5): before retry n (0-based) the wait is random
    /// in 0...min(`maxBackoff`, `baseDelay` * 2^n) ("full jitter").
    package var baseDelay: TimeInterval
    /// The backoff's cap in seconds (default 8).
    package var maxBackoff: TimeInterval
    /// The longest server-asked wait (`Retry-After`, `retry-after-ms`) honoured, in seconds
    /// (default 60); a longer or negative one falls back to the backoff.
    package var maxServerWait: TimeInterval
    /// Seconds an attempt needs at least (default 1): a wait that would leave less than this
    /// before the invocation's deadline is not taken.
    package var minimumAttemptTime: TimeInterval

    /// A policy; the defaults are 3 retries, 0.5 s base, 8 s cap, 60 s longest server wait and 1 s
    /// of minimum attempt time.
    package init(
        maxRetries: Int = 3, baseDelay: TimeInterval = 0.5, maxBackoff: TimeInterval = 8,
        maxServerWait: TimeInterval = 60, minimumAttemptTime: TimeInterval = 1
    ) {
        precondition(maxRetries >= 0 && baseDelay >= 0 && maxBackoff >= 0, "a retry policy's figures are ≥ 0")
        self.maxRetries = maxRetries
        self.baseDelay = baseDelay
        self.maxBackoff = maxBackoff
        self.maxServerWait = maxServerWait
        self.minimumAttemptTime = minimumAttemptTime
    }

    /// Whether a response asks for another attempt: `x-should-retry: true|false` when the server
    /// sends it, otherwise 408, 409, 429 and 5xx (529 included) do and every other status does not.
    package func shouldRetry(_ response: TransportResponse) -> Bool {
        switch response.headers["x-should-retry"]?.trimmingCharacters(in: .whitespaces).lowercased() {
        case "true": return true
        case "false": return false
        default: return [408, 409, 429].contains(response.status) || (500...599).contains(response.status)
        }
    }

    /// The wait the server asks for, in seconds: `retry-after-ms` (milliseconds, Anthropic and
    /// OpenAI), else `Retry-After` as delta seconds or an HTTP date (measured from `now`). Nil
    /// when there is none, it does not parse, or it is negative or longer than `maxServerWait`.
    package func serverWait(_ response: TransportResponse, now: Date) -> TimeInterval? {
        var wait: TimeInterval?
        if let text = response.headers["retry-after-ms"],
            let milliseconds = Double(text.trimmingCharacters(in: .whitespaces))
        {
            wait = milliseconds / 1000
        } else if let text = response.headers["retry-after"]?.trimmingCharacters(in: .whitespaces) {
            if let seconds = Int(text) {
                wait = TimeInterval(seconds)
            } else if let date = Timestamp.parseRFC2822(text) {
                wait = max(0, date.timeIntervalSince(now))
            }
        }
        guard let wait, wait.isFinite, wait >= 0, wait <= maxServerWait else { return nil }
        return wait
    }

    /// The upper end of the jittered wait before retry `retry` (0-based): min(cap, base * 2^retry).
    package func backoffCeiling(retry: Int) -> TimeInterval {
        min(maxBackoff, baseDelay * pow(2, Double(min(retry, 62))))
    }
}

/// Wraps any transport with retries: bounded in count, exponential backoff with full jitter,
/// honouring the server's `Retry-After` / `retry-after-ms` / `x-should-retry`, and never waiting
/// past the invocation's deadline (`InvocationDeadline.current`). Clock, sleep and randomness are
/// injected, so tests run without real time.
package struct RetryingTransport: AttemptCountingTransport {
    /// The transport each attempt goes through.
    package let inner: any HTTPTransport
    /// When to retry and how long to wait.
    package let policy: RetryPolicy
    private let clock: any TimeSource
    private let sleep: @Sendable (TimeInterval) async throws -> Void
    private let random: @Sendable (ClosedRange<Double>) -> Double

    /// Wraps `inner`. `sleep` waits the given seconds (default `Task.sleep`); `random` draws the
    /// jittered wait from a range (default `Double.random(in:)`).
    package init(
        _ inner: any HTTPTransport, policy: RetryPolicy = RetryPolicy(), clock: any TimeSource = SystemClock(),
        sleep: @escaping @Sendable (TimeInterval) async throws -> Void = { seconds in
            try await Task.sleep(nanoseconds: UInt64(max(0, seconds) * 1e9))
        },
        random: @escaping @Sendable (ClosedRange<Double>) -> Double = { Double.random(in: $0) }
    ) {
        self.inner = inner
        self.policy = policy
        self.clock = clock
        self.sleep = sleep
        self.random = random
    }

    /// `sendCounting(_:)` without the count.
    package func send(_ request: TransportRequest) async throws -> TransportResponse {
        try await sendCounting(request).response
    }

    /// Sends with retries and returns the last response with how many attempts it took (1 when
    /// the first answered). A response that still asks for a retry when the attempts or the time
    /// are used up is returned as it is. Throws the last `TransportError` when the last attempt
    /// got no response, one that cannot be retried at once, `.deadline` when the invocation's
    /// deadline had passed before the first attempt, and `.cancelled` when a wait is cancelled.
    package func sendCounting(_ request: TransportRequest) async throws -> (response: TransportResponse, attempts: Int)
    {
        let deadline = InvocationDeadline.current
        if let deadline, clock.now >= deadline {
            throw TransportError(.deadline, host: Self.host(request), detail: "the invocation's deadline has passed")
        }
        var attempts = 0
        while true {
            attempts += 1
            let retry = attempts - 1
            let outcome: Result<TransportResponse, TransportError>
            let wait: TimeInterval
            do {
                let response = try await inner.send(request)
                guard retry < policy.maxRetries, policy.shouldRetry(response) else { return (response, attempts) }
                outcome = .success(response)
                wait = policy.serverWait(response, now: clock.now) ?? jittered(retry: retry)
            } catch let error as TransportError where error.isRetryable && retry < policy.maxRetries {
                outcome = .failure(error)
                wait = jittered(retry: retry)
            }
            if let deadline, clock.now.addingTimeInterval(wait + policy.minimumAttemptTime) > deadline {
                return (try outcome.get(), attempts)
            }
            do {
                try await sleep(wait)
            } catch {
                throw TransportError(.cancelled, host: Self.host(request), detail: "cancelled while waiting to retry")
            }
        }
    }

    private func jittered(retry: Int) -> TimeInterval {
        random(0...policy.backoffCeiling(retry: retry))
    }

    private static func host(_ request: TransportRequest) -> String {
        URLComponents(string: request.url)?.host ?? "unknown host"
    }
}
