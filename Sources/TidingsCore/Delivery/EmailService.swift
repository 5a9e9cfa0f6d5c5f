import Foundation

/// Where a finished email goes: an ESP in production, the outbox folder by default.
package protocol EmailService: Sendable {
    /// Hands the email over. Returns where it went (an ESP message id or an outbox path).
    /// Throws `DeliveryError` when it could not; its `isRetryable` says whether to try again.
    func deliver(_ email: RenderedEmail) async throws -> DeliveryReceipt
    /// Stops the messages of a series (`X-Tidings-Series`) that are scheduled after `after` and so
    /// not sent yet; returns their references. Messages already due are left alone: they went out.
    /// Throws `DeliveryError` when the service cannot say.
    func cancelScheduled(series: String, after: Date) async throws -> [String]
    /// Whether the service holds a message until its `sendAt` itself (Mandrill `send_at`, Braze
    /// schedules), so a later step of a series is handed to it at once, with its time, instead of
    /// waiting in the scheduled outbox for the dispatcher (`SchedulingEmailService` reads it).
    /// False by default: docs/decisions/scheduled-sends.md says which service does what.
    var holdsScheduledMessages: Bool { get }
}

extension EmailService {
    /// False: the service sends what it is given at once, so scheduled steps wait in the outbox.
    package var holdsScheduledMessages: Bool { false }
}

/// Proof of hand-over.
package struct DeliveryReceipt: Sendable, Hashable {
    /// "outbox", "klaviyo", ...
    package var service: String
    /// The provider's id for the message, or the outbox file path.
    package var reference: String

    /// Creates a receipt from the service name and its reference for the message.
    package init(service: String, reference: String) {
        self.service = service
        self.reference = reference
    }
}

/// A hand-over that failed.
package struct DeliveryError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure, for callers that decide by it (retry, suppress, alert).
    package enum Code: String, Sendable {
        /// The service asks to slow down (SES `TooManyRequestsException`, HTTP 429).
        case throttled
        /// A sending quota is used up for now (SES `LimitExceededException`).
        case quotaExceeded = "quota_exceeded"
        /// Sending is paused for the account or the configuration set (SES `SendingPausedException`).
        case sendingPaused = "sending_paused"
        /// The account may not send (SES `AccountSuspendedException`).
        case accountSuspended = "account_suspended"
        /// The service refused this message (SES `MessageRejected`, an unverified sender).
        case messageRejected = "message_rejected"
        /// The sender's domain is not set up (SES `MailFromDomainNotVerifiedException`).
        case senderNotVerified = "sender_not_verified"
        /// The credentials or the signature were refused (HTTP 401/403).
        case unauthorized
        /// The request was malformed or named something that does not exist (other 4xx).
        case badRequest = "bad_request"
        /// The service failed (5xx) or answered something that cannot be read.
        case upstreamFailure = "upstream_failure"
        /// No answer arrived (connection, timeout, deadline).
        case unreachable
        /// Anything else (local files of the outbox and review folder).
        case other
    }

    /// The service that failed ("outbox", "review", "klaviyo", ...).
    package var service: String
    /// What went wrong, in plain words; may quote the upstream status or file system error.
    package var reason: String
    /// Whether handing the same email over again later can succeed (a full disk, a 5xx) or not.
    package var isRetryable: Bool
    /// What kind of failure; `.other` unless the service says.
    package var code: Code

    /// Creates an error for a service; set `isRetryable` only when a retry can help.
    package init(service: String, reason: String, isRetryable: Bool, code: Code = .other) {
        self.service = service
        self.reason = reason
        self.isRetryable = isRetryable
        self.code = code
    }

    /// "service: reason", for logs and the outcome's reason.
    package var description: String { "\(service): \(reason)" }
}

/// A draft a human must look at before it goes out.
package struct ReviewItem: Sendable {
    /// The event the draft was written for; the review folder keys items by it.
    package var eventID: String
    /// The flow that wrote it.
    package var flow: FlowKind
    /// Why it needs a human: the review rules that matched.
    package var reasons: [String]
    /// The validator's score, 0 to 100.
    package var score: Int
    /// The draft as written, for a reviewer who wants to edit it.
    package var draft: Draft
    /// The email as it would be sent, so the reviewer sees exactly that.
    package var email: RenderedEmail
    /// The message's step when it belongs to a series (one event may queue several); nil otherwise.
    package var step: String?
    /// The series it belongs to, so a cancellation can withdraw it; nil for a single message.
    package var seriesKey: String?
    /// What a reviewer's decision needs to validate and render the draft again (tier, prompt,
    /// writer, the validator's facts); nil only for items made without an event (tests).
    package var context: ReviewContext?

    /// Creates a review item; `score` is the validator's 0-to-100 score.
    package init(
        eventID: String, flow: FlowKind, reasons: [String], score: Int, draft: Draft, email: RenderedEmail,
        step: String? = nil, seriesKey: String? = nil, context: ReviewContext? = nil
    ) {
        self.context = context
        self.step = step
        self.seriesKey = seriesKey
        self.eventID = eventID
        self.flow = flow
        self.reasons = reasons
        self.score = score
        self.draft = draft
        self.email = email
    }
}

/// Where drafts wait for a human: a folder and the CLI by default, with a Slack notice later.
package protocol ReviewQueue: Sendable {
    /// Stores the item; returns its reference (a path or id).
    func enqueue(_ item: ReviewItem) async throws -> String
    /// Takes the items of a series out of the queue (an order cancelled while its message waited
    /// for a person); returns their references. Throws `DeliveryError` when the queue cannot say.
    func withdraw(series: String) async throws -> [String]
}
