import Foundation
import Synchronization

/// BigCommerce's rate-limit headers, honoured in front of the network (docs/decisions/bigcommerce-live.md).
///
/// Every answer may carry `X-Rate-Limit-Requests-Left` and `X-Rate-Limit-Time-Reset-Ms` (the
/// milliseconds until the store's window refills). When a response says no request is left, the
/// next request through this transport (any task of the process: copies share the window) waits
/// until the window resets. A 429 that names the reset gets it as `retry-after-ms`, the header
/// `RetryingTransport` (which wraps this one) already honours, so one loop does the retrying; a
/// 429 without the header is left to that loop's jittered backoff. No wait runs past the
/// invocation's deadline (`InvocationDeadline.current`): a request that would have to wait past
/// it throws `TransportError` `.deadline` instead.
package struct BigCommerceRateLimiter: HTTPTransport {
    /// The transport requests go through (libcurl in production).
    package let inner: any HTTPTransport
    /// The longest reset honoured, in seconds (default 60; BigCommerce's windows are 30 s or less);
    /// a longer or malformed one is ignored.
    package var maximumWait: TimeInterval = 60
    /// Seconds a request needs at least after a wait (default 1), as in `RetryPolicy`.
    package var minimumAttemptTime: TimeInterval = 1
    private let window = Window()
    private let clock: any TimeSource
    private let sleep: @Sendable (TimeInterval) async throws -> Void

    /// Wraps `inner`; `sleep` waits the given seconds (default `Task.sleep`).
    package init(
        _ inner: any HTTPTransport, clock: any TimeSource = SystemClock(),
        sleep: @escaping @Sendable (TimeInterval) async throws -> Void = { seconds in
            try await Task.sleep(nanoseconds: UInt64(max(0, seconds) * 1e9))
        }
    ) {
        self.inner = inner
        self.clock = clock
        self.sleep = sleep
    }

    /// Waits while the window is empty, sends, and reads the answer's rate-limit headers. Throws
    /// what `inner` throws, `.deadline` when the wait would pass the invocation's deadline, and
    /// `.cancelled` when the wait is cancelled.
    package func send(_ request: TransportRequest) async throws -> TransportResponse {
        if let until = window.emptyUntil.withLock({ $0 }) {
            let wait = until.timeIntervalSince(clock.now)
            if wait > 0 {
                if let deadline = InvocationDeadline.current,
                    clock.now.addingTimeInterval(wait + minimumAttemptTime) > deadline
                {
                    throw TransportError(
                        .deadline, host: Self.host(request),
                        detail: "the rate-limit window resets in \(Int(wait * 1000)) ms, past the invocation's deadline"
                    )
                }
                do {
                    try await sleep(wait)
                } catch {
                    throw TransportError(
                        .cancelled, host: Self.host(request),
                        detail: "cancelled while waiting for the rate-limit window")
                }
            }
        }
        var response = try await inner.send(request)
        let reset = resetSeconds(response)
        let left = response.headers["x-rate-limit-requests-left"].flatMap {
            Int($0.trimmingCharacters(in: .whitespaces))
        }
        if let reset, response.status == 429 || left == 0 {
            let until = clock.now.addingTimeInterval(reset)
            window.emptyUntil.withLock { current in
                if current.map({ $0 < until }) ?? true { current = until }
            }
            if response.status == 429, response.headers["retry-after-ms"] == nil, response.headers["retry-after"] == nil
            {
                response.headers["retry-after-ms"] = String(Int((reset * 1000).rounded(.up)))
            }
        }
        return response
    }

    /// `X-Rate-Limit-Time-Reset-Ms` in seconds; nil when absent, malformed, negative or past `maximumWait`.
    private func resetSeconds(_ response: TransportResponse) -> TimeInterval? {
        guard let text = response.headers["x-rate-limit-time-reset-ms"],
            let milliseconds = Double(text.trimmingCharacters(in: .whitespaces)), milliseconds.isFinite,
            milliseconds >= 0, milliseconds / 1000 <= maximumWait
        else { return nil }
        return milliseconds / 1000
    }

    private static func host(_ request: TransportRequest) -> String {
        URLComponents(string: request.url)?.host ?? "unknown host"
    }

    // A class so that copies of the transport (one per client value) share one window.
    private final class Window: Sendable {
        let emptyUntil = Mutex<Date?>(nil)
    }
}
