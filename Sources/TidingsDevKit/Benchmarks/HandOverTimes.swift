import Foundation
import Synchronization
import TidingsCore

/// When emails left the pipeline: a count and the instant of the last hand-over, shared by the
/// `TimedEmailService` and `TimedReviewQueue` of one run. `tidings bench models` times a scan to
/// its last email with it, so that reading the rest of the base after the last selection is not
/// counted as writing time. Safe to share between tasks.
package final class HandOverTimes: Sendable {
    private let state = Mutex<(count: Int, last: ContinuousClock.Instant?)>((0, nil))

    /// No hand-over yet.
    package init() {}

    /// Counts one hand-over, now.
    package func mark() {
        let now = ContinuousClock.now
        state.withLock { $0 = ($0.count + 1, now) }
    }

    /// Hand-overs so far.
    package var count: Int { state.withLock { $0.count } }

    /// The instant of the last hand-over; nil before the first.
    package var last: ContinuousClock.Instant? { state.withLock { $0.last } }
}

/// An `EmailService` that marks each successful delivery of the service it wraps in `times`.
package struct TimedEmailService: EmailService {
    let inner: any EmailService
    let times: HandOverTimes

    /// Wraps `inner`; deliveries go through unchanged.
    package init(_ inner: any EmailService, times: HandOverTimes) {
        self.inner = inner
        self.times = times
    }

    /// Delivers through the wrapped service, then marks the hand-over.
    package func deliver(_ email: RenderedEmail) async throws -> DeliveryReceipt {
        let receipt = try await inner.deliver(email)
        times.mark()
        return receipt
    }

    /// The wrapped service's answer, unmarked.
    package func cancelScheduled(series: String, after: Date) async throws -> [String] {
        try await inner.cancelScheduled(series: series, after: after)
    }

    /// The wrapped service's: timing does not change who holds a scheduled step.
    package var holdsScheduledMessages: Bool { inner.holdsScheduledMessages }
}

/// A `ReviewQueue` that marks each item the queue it wraps accepts in `times`.
package struct TimedReviewQueue: ReviewQueue {
    let inner: any ReviewQueue
    let times: HandOverTimes

    /// Wraps `inner`; items go through unchanged.
    package init(_ inner: any ReviewQueue, times: HandOverTimes) {
        self.inner = inner
        self.times = times
    }

    /// Enqueues through the wrapped queue, then marks the hand-over.
    package func enqueue(_ item: ReviewItem) async throws -> String {
        let path = try await inner.enqueue(item)
        times.mark()
        return path
    }

    /// The wrapped queue's answer, unmarked.
    package func withdraw(series: String) async throws -> [String] {
        try await inner.withdraw(series: series)
    }
}
