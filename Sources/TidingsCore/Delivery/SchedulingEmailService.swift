import Foundation

/// An ESP that cannot schedule (SES) in front of the scheduled outbox: an email whose send time has
/// come goes to the ESP, one planned for later (a step of an order's series) waits in the outbox,
/// the queue that `tidings dispatch` (`OutboxDispatcher`) sends from when its time comes. So no step
/// leaves days early, and `cancelScheduled` stops the waiting ones in the outbox. A service that
/// schedules itself (`holdsScheduledMessages`: Mandrill, Braze) is given every email at once, with
/// its time, and the outbox only answers for what an earlier configuration left in it.
package struct SchedulingEmailService: EmailService {
    /// The service that sends at once (SES).
    package let now: any EmailService
    /// The scheduled outbox that holds what is not due.
    package let queue: any EmailService
    /// Tells whether a send time has come.
    package let clock: any TimeSource
    /// Seconds of lead a send time may have and still count as due (default 60): the pipeline dates
    /// a message "now" while it works, and a minute early is not a scheduled step.
    package let tolerance: TimeInterval

    /// Sends due email through `now` and queues the rest in `queue`.
    package init(now: any EmailService, queue: any EmailService, clock: any TimeSource, tolerance: TimeInterval = 60) {
        self.now = now
        self.queue = queue
        self.clock = clock
        self.tolerance = tolerance
    }

    /// Hands the email to `now` when `sendAt` has come (within the tolerance) or `now` schedules
    /// itself, else to `queue`; the receipt says which ("ses", "mandrill" or "outbox"). Throws what
    /// the chosen service throws.
    package func deliver(_ email: RenderedEmail) async throws -> DeliveryReceipt {
        if now.holdsScheduledMessages || email.sendAt.timeIntervalSince(clock.now) <= tolerance {
            return try await now.deliver(email)
        }
        return try await queue.deliver(email)
    }

    /// True: no step goes before its time, whichever of the two holds it.
    package var holdsScheduledMessages: Bool { true }

    /// Cancels in the queue (and asks `now`, which may hold scheduled messages of its own).
    package func cancelScheduled(series: String, after: Date) async throws -> [String] {
        try await queue.cancelScheduled(series: series, after: after)
            + now.cancelScheduled(series: series, after: after)
    }
}
