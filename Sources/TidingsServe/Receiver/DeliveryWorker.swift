import Foundation
import Logging
import ServiceLifecycle
import TidingsCore
import TidingsRuntime

/// The receiver's background worker: hands each queued delivery to its function's handler (the
/// same `InvocationHandler` the function binary runs), at most `workers` at once, and removes it
/// only after a terminal outcome. A handling that wants a retry (a failure a retry can help, a
/// retryable suppression) stays queued and is tried again after a growing wait; one that still
/// wants a retry `giveUpAfter` after its receipt is moved to `failed/` and logged as an error.
/// At start it picks up every delivery a stop or a crash left pending.
struct DeliveryWorker: Service {
    let queue: DeliveryQueue
    let handlers: [FlowKind: InvocationHandler]
    let settings: WebhookReceiver.Settings
    let logger: Logger

    func run() async throws {
        let pending = queue.load()
        if pending > 0 {
            logger.info("receiver queue: picking up pending deliveries", metadata: ["count": "\(pending)"])
        }
        await withDiscardingTaskGroup { group in
            // The earliest retry a timer is set for, so that waiting deliveries get one timer, not one each.
            var timer: Date?
            for await _ in queue.signals.cancelOnGracefulShutdown() {
                let now = Date()
                while let name = queue.take(limit: settings.workers, now: now) {
                    group.addTask { await handle(name) }
                }
                if let retry = queue.nextRetry(), timer.map({ retry < $0 || $0 <= now }) ?? true {
                    timer = retry
                    group.addTask {
                        try? await Task.sleep(for: .seconds(max(0, retry.timeIntervalSinceNow)))
                        queue.wake()
                    }
                }
            }
            // Graceful shutdown or cancellation: the group waits for the handlings under way; what
            // they leave pending is picked up at the next start.
            group.cancelAll()
        }
    }

    /// Hands one queued delivery to its handler and settles it by the outcome.
    func handle(_ name: String) async {
        let delivery: QueuedDelivery
        do {
            delivery = try queue.read(name)
        } catch {
            logger.error("receiver queue: unreadable delivery moved to failed/", metadata: ["error": "\(error)"])
            queue.giveUp(name, reason: error.description)
            return
        }
        guard let handler = handlers[delivery.function] else {
            queue.giveUp(name, reason: "no handler for \(delivery.function.rawValue) in this server")
            return
        }
        var logger = logger
        logger[metadataKey: "correlation.id"] = "\(delivery.correlationID)"
        logger[metadataKey: "function"] = "\(delivery.function.rawValue)"
        // The receipt checked the signature on these bytes: the handler is told so rather than given
        // the BigCommerce secret again (the queue does not keep it).
        let answer = await handler.handleHTTPRequest(
            body: delivery.body, headers: delivery.headers, channel: .authenticated,
            deadline: Date().addingTimeInterval(settings.handlingTime), correlationID: delivery.correlationID,
            logger: logger)
        guard let report = answer.reports.first else {
            queue.giveUp(name, reason: "the handler answered without an outcome")
            return
        }
        guard InvocationAnswer.wantsRetry(report) else {
            logger.debug(
                "receiver queue: handled",
                metadata: ["outcome": "\(report.outcome.rawValue)", "event.id": "\(report.eventID)"])
            queue.finish(name)
            return
        }
        let now = Date()
        let reason = report.reason ?? report.outcome.rawValue
        if now.timeIntervalSince(delivery.receivedAt) >= settings.giveUpAfter {
            logger.error(
                "receiver queue: still failing after the retry window; moved to failed/",
                metadata: ["event.id": "\(report.eventID)", "reason": "\(reason)"])
            queue.giveUp(name, reason: "\(report.outcome.rawValue): \(reason)")
            return
        }
        let delay = settings.backoff(attempt: queue.attempts(name))
        let attempts = queue.retryLater(name, after: delay, now: now)
        logger.warning(
            "receiver queue: handling wants a retry",
            metadata: [
                "event.id": "\(report.eventID)", "reason": "\(reason)", "attempts": "\(attempts)",
                "retry_in_s": "\(Int(delay.rounded(.up)))",
            ])
    }
}
