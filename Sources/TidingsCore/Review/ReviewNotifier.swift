import Foundation
import Logging

/// What a reviewer is told about an item: enough to decide whether to look now, no more customer
/// data than that (no address, no last name; the subject may carry a first name, as the email does).
package struct ReviewNotice: Sendable, Hashable {
    /// Why the notice goes out.
    package enum Kind: String, Sendable {
        /// An item was queued.
        case queued
        /// An item waited past the flow's `escalate_after`.
        case escalated
    }

    /// Why the notice goes out.
    package var kind: Kind
    /// The review id (`tidings review show ID`).
    package var reviewID: String
    /// The flow that wrote the draft.
    package var flow: FlowKind
    /// The customer's tier; nil when unknown.
    package var tier: String?
    /// The email's subject line.
    package var subject: String
    /// Why it waits for a person.
    package var reasons: [String]
    /// For an escalation: how long it has waited past its send time, in hours.
    package var waitedHours: Int?

    /// Creates a notice from its parts.
    package init(
        kind: Kind, reviewID: String, flow: FlowKind, tier: String?, subject: String, reasons: [String],
        waitedHours: Int? = nil
    ) {
        self.kind = kind
        self.reviewID = reviewID
        self.flow = flow
        self.tier = tier
        self.subject = subject
        self.reasons = reasons
        self.waitedHours = waitedHours
    }
}

/// Where reviewers hear of items: a Slack incoming webhook in production, a recorder in tests.
package protocol ReviewNotifier: Sendable {
    /// Tells the reviewers. Throws when the notice could not be delivered; callers log that and go
    /// on, since a missed notice must never fail an event (the item waits in the queue regardless).
    func notify(_ notice: ReviewNotice) async throws
}

/// A review queue that tells the reviewers of every item it queues. The notice is sent after the
/// item is stored; a notice that fails is logged (never the webhook URL) and the enqueue succeeds.
package struct NotifyingReviewQueue: ReviewQueue {
    /// The queue that stores the items.
    package let queue: any ReviewQueue
    /// Who hears of them.
    package let notifier: any ReviewNotifier
    /// Where a failed notice is logged.
    package let logger: Logger

    /// Wraps `queue` so that `notifier` hears of each queued item.
    package init(queue: any ReviewQueue, notifier: any ReviewNotifier, logger: Logger) {
        self.queue = queue
        self.notifier = notifier
        self.logger = logger
    }

    /// Stores the item, then sends its notice; returns the queue's reference.
    package func enqueue(_ item: ReviewItem) async throws -> String {
        let reference = try await queue.enqueue(item)
        let notice = ReviewNotice(
            kind: .queued, reviewID: URL(fileURLWithPath: reference).deletingPathExtension().lastPathComponent,
            flow: item.flow, tier: item.context?.tier, subject: item.email.subject, reasons: item.reasons)
        await Self.send(notice, to: notifier, logger: logger)
        return reference
    }

    /// Passes the withdrawal to the queue.
    package func withdraw(series: String) async throws -> [String] {
        try await queue.withdraw(series: series)
    }

    /// Sends a notice, logging a failure instead of throwing it.
    package static func send(_ notice: ReviewNotice, to notifier: any ReviewNotifier, logger: Logger) async {
        do {
            try await notifier.notify(notice)
        } catch {
            logger.warning(
                "review notice not delivered",
                metadata: ["review.id": "\(notice.reviewID)", "notice": "\(notice.kind.rawValue)", "error": "\(error)"])
        }
    }
}

/// The Slack incoming-webhook notice: one POST of a Block Kit message
/// (https://api.slack.com/messaging/webhooks, https://api.slack.com/block-kit) through the given
/// transport (libcurl with bounded retries in production). The webhook URL is the credential: it
/// is held as a `Secret` and never appears in an error.
package struct SlackReviewNotifier: ReviewNotifier {
    /// The incoming webhook's URL.
    let webhook: Secret
    /// The transport the POST goes through.
    let transport: any HTTPTransport

    /// A notifier posting to `webhook` through `transport`.
    package init(webhook: Secret, transport: any HTTPTransport) {
        self.webhook = webhook
        self.transport = transport
    }

    /// Posts the notice. Throws `DeliveryError` (service "slack") when no 2xx answer came.
    package func notify(_ notice: ReviewNotice) async throws {
        let request = TransportRequest(
            method: "POST", url: String(decoding: webhook.bytes, as: UTF8.self),
            headers: ["Content-Type": "application/json; charset=utf-8"],
            body: CanonicalJSON.bytes(Self.message(notice)))
        let response: TransportResponse
        do {
            response = try await transport.send(request)
        } catch let error as TransportError {
            throw DeliveryError(service: "slack", reason: error.code.rawValue, isRetryable: true, code: .unreachable)
        }
        guard (200...299).contains(response.status) else {
            // Slack answers a short plain-text code ("invalid_payload", "no_service"); no secret in it.
            let body = String(decoding: response.body.prefix(120), as: UTF8.self)
            throw DeliveryError(
                service: "slack", reason: "HTTP \(response.status): \(body)", isRetryable: response.status >= 500,
                code: response.status >= 500 ? .upstreamFailure : .badRequest)
        }
    }

    /// The Block Kit message: a header, the flow, tier and review id as fields, the subject, the
    /// reasons, and the command that shows the item. `text` is the fallback notifications show.
    package static func message(_ notice: ReviewNotice) -> JSONValue {
        let title =
            notice.kind == .queued
            ? "A draft is waiting for review"
            : "A draft has waited \(notice.waitedHours ?? 0) h past its send time"
        let fields: [JSONValue] = [
            markdown("*Flow*\n\(escape(notice.flow.rawValue))"),
            markdown("*Tier*\n\(escape(notice.tier ?? "unknown"))"),
            markdown("*Review id*\n`\(escape(notice.reviewID))`"),
        ]
        let reasons = notice.reasons.prefix(10).map { "• " + escape(String($0.prefix(300))) }.joined(separator: "\n")
        let blocks: [JSONValue] = [
            .object(["type": "header", "text": .object(["type": "plain_text", "text": .string(title)])]),
            .object(["type": "section", "fields": .array(fields)]),
            .object(["type": "section", "text": markdown("*Subject*\n\(escape(notice.subject))")]),
            .object(["type": "section", "text": markdown("*Why*\n\(reasons.isEmpty ? "no reason recorded" : reasons)")]
            ),
            .object([
                "type": "context",
                "elements": .array([markdown("`tidings review show \(escape(notice.reviewID))`")]),
            ]),
        ]
        return .object([
            "text": .string("\(title): \(notice.flow.rawValue), review id \(notice.reviewID)"),
            "blocks": .array(blocks),
        ])
    }

    private static func markdown(_ text: String) -> JSONValue {
        .object(["type": "mrkdwn", "text": .string(String(text.prefix(3000)))])
    }

    /// Slack's three control characters in message text (https://api.slack.com/reference/surfaces/formatting#escaping).
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
