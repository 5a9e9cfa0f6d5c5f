import Crypto
import Foundation
import Logging
import TidingsCore
import TidingsHTTP

/// Builds the review desk and the review notice from a configuration, for the handlers, the CLI's
/// `tidings review` and (later) the dashboard, so that all of them decide and announce items alike.
package enum ReviewDeskEnvironment {
    /// The Slack notifier when `SLACK_WEBHOOK_URL` is set: libcurl with the same bounded,
    /// jittered retries as the email services (a 429 or 5xx is tried again), 10 s per exchange.
    package static func notifier(_ configuration: Configuration) -> (any ReviewNotifier)? {
        guard let webhook = configuration.reviewDesk.slackWebhook else { return nil }
        return SlackReviewNotifier(
            webhook: webhook,
            transport: RetryingTransport(
                FunctionEnvironment.curlTransport(name: "slack", timeout: 10), policy: RetryPolicy(maxRetries: 2)))
    }

    /// `queue` with the Slack notice in front when one is configured; `queue` itself otherwise.
    package static func announcing(_ queue: any ReviewQueue, _ configuration: Configuration, logger: Logger)
        -> any ReviewQueue
    {
        guard let notifier = notifier(configuration) else { return queue }
        return NotifyingReviewQueue(queue: queue, notifier: notifier, logger: logger)
    }

    /// The desk over `<data>/review`: approvals go to the service `TIDINGS_ESP` names in front of the
    /// scheduled outbox, exactly as the handlers hand email over; decisions go to an audit writer
    /// of their own (`review-…`) under `<data>/audit`. Throws `ConfigurationError` when the
    /// unsubscribe key cannot key the renderer.
    package static func desk(_ configuration: Configuration, logger: Logger, clock: (any TimeSource)? = nil)
        throws(ConfigurationError) -> ReviewDesk
    {
        let clock: any TimeSource = clock ?? configuration.pinnedNow.map { FixedClock($0) } ?? SystemClock()
        let data = configuration.dataDirectory
        let auditRoot = data.appendingPathComponent("audit")
        let outbox = OutboxEmailService(directory: data.appendingPathComponent("outbox"))
        var email: any EmailService = outbox
        if let service = FunctionEnvironment.sendingService(
            configuration.email, clock: clock, logger: logger, dataDirectory: data)
        {
            email = SchedulingEmailService(now: service, queue: outbox, clock: clock)
        }
        let renderer: EmailRenderer
        do {
            renderer = try EmailRenderer(unsubscribeKey: SymmetricKey(data: configuration.unsubscribeKey.bytes))
        } catch {
            throw ConfigurationError(key: "TIDINGS_UNSUBSCRIBE_SECRET", reason: "\(error)")
        }
        return ReviewDesk(
            store: FolderReviewQueue(directory: data.appendingPathComponent("review")),
            settings: configuration.reviewDesk,
            validator: DraftValidator(policy: configuration.policy, brand: configuration.brand),
            brand: configuration.brand, renderer: renderer, email: email,
            audit: JSONLAuditLog(
                root: auditRoot, writerID: JSONLAuditLog.makeWriterID(function: "review"),
                key: configuration.auditKey.map(AuditKey.init)),
            content: FolderContentStore(directory: FolderContentStore.directory(auditRoot: auditRoot)),
            auditRoot: auditRoot, clock: clock, notifier: notifier(configuration), logger: logger,
            suppression: FunctionEnvironment.suppressionList(
                configuration, state: FunctionEnvironment.stateStore(configuration)))
    }
}
