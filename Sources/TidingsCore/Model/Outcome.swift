import Foundation

/// The one terminal outcome every event ends in.
package enum Outcome: String, Sendable, Codable, CaseIterable {
    case sent
    case queuedForReview = "queued_for_review"
    case suppressed
    /// An experiment's holdout with `no_email`: the customer was deliberately not written to, so
    /// the report can measure what the email adds. Final: the event and its keys are consumed.
    case heldOut = "held_out"
    case duplicate
    case rejectedInput = "rejected_input"
    /// A webhook whose signature (or shared-secret header) is missing or wrong where a secret is
    /// configured: nothing else was done with it.
    case unauthenticated
    case failed
}

/// How an event ended: the outcome and what a caller needs to act on it. This is the result JSON.
package struct OutcomeReport: Sendable, Codable, Hashable {
    /// The flow that handled the event, as `FlowKind`'s raw value ("cartAbandoned").
    package var function: String
    /// The event's id (`LifecycleEvent.id`), written as `event_id`.
    package var eventID: String
    /// How the event ended.
    package var outcome: Outcome
    /// Why, for every outcome but `sent`: a short code and its explanation ("no_consent: ...").
    /// Prose for people and the audit; a caller decides by `code`, never by parsing this.
    package var reason: String?
    /// Why, as a value (STYLE rule 16): what the runtime maps to a Runtime API error type. Not
    /// part of the result JSON, whose bytes stay as they were; nil for `sent` and for reports
    /// rebuilt from the audit or decoded from JSON.
    package var code: OutcomeCode? = nil
    /// For `failed` (and retryable suppressions): whether handling the event again can help.
    package var retryable: Bool?
    /// The chosen subject when a message was written.
    package var subject: String?
    /// Where the messages went: outbox files, review items.
    package var messages: [String]?

    /// Creates a report; leave `reason` nil only for `sent`.
    package init(
        function: String, eventID: String, outcome: Outcome, reason: String? = nil, code: OutcomeCode? = nil,
        retryable: Bool? = nil, subject: String? = nil, messages: [String]? = nil
    ) {
        self.function = function
        self.eventID = eventID
        self.outcome = outcome
        self.reason = reason
        self.code = code
        self.retryable = retryable
        self.subject = subject
        self.messages = messages
    }

    enum CodingKeys: String, CodingKey {
        case function, outcome, reason, retryable, subject, messages
        case eventID = "event_id"
    }

    /// Whether this outcome consumes the event id, so that a later delivery of the same event is a
    /// duplicate. Retryable suppressions and failures do not: the retry must be handled.
    package var isFinal: Bool {
        switch outcome {
        case .sent, .queuedForReview, .heldOut: return true
        case .suppressed: return retryable != true
        case .duplicate, .rejectedInput, .unauthenticated, .failed: return false
        }
    }
}

/// Why an event ended as it did, as a value a caller can switch on. Each case carries the code
/// enum of the part that decided; `rawValue` is the code the report's `reason` opens with.
package enum OutcomeCode: Sendable, Hashable {
    /// A guard stopped the event (`suppressed` or `duplicate`); a stale delivery is `.guarded(.stale)`.
    /// On a `sent` outcome, `.guarded(.orderCancelled)`: the order was cancelled while its series
    /// was handed over, and the messages not due yet were withdrawn (the rest had gone out).
    case guarded(GuardVerdict.Code)
    /// The input was refused (`rejected_input`).
    case input(InputError.Code)
    /// The event failed.
    case failure(FailureCode)
    /// A webhook failed authentication (`unauthenticated`).
    case unauthenticated
    /// A message waits for a human (`queued_for_review`).
    case review
    /// A win-back scan that ended without failing: its reason is the scan's summary.
    case scan
    /// An experiment held the customer out (`held_out`).
    case heldOut

    /// The code as text ("too_soon", "delivery_failed"): the suffix of `Tidings.<code>` Runtime API
    /// error types.
    package var rawValue: String {
        switch self {
        case .guarded(let code): return code.rawValue
        case .input(let code): return code.rawValue
        case .failure(let code): return code.rawValue
        case .unauthenticated: return "unauthenticated"
        case .review: return "review"
        case .scan: return "scan"
        case .heldOut: return "held_out"
        }
    }
}
