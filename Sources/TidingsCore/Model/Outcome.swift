import Foundation

/// The one terminal outcome every event ends in.
public enum Outcome: String, Sendable, Codable, CaseIterable {
    case sent
    case queuedForReview = "queued_for_review"
    case suppressed
    case duplicate
    case rejectedInput = "rejected_input"
    /// A webhook whose signature (or shared-secret header) is missing or wrong where a secret is
    /// configured: nothing else was done with it.
    case unauthenticated
    case failed
}

/// How an event ended: the outcome and what a caller needs to act on it. This is the result JSON.
public struct OutcomeReport: Sendable, Codable, Hashable {
    /// The flow that handled the event, as `FlowKind`'s raw value ("cartAbandoned").
    public var function: String
    /// The event's id (`LifecycleEvent.id`), written as `event_id`.
    public var eventID: String
    /// How the event ended.
    public var outcome: Outcome
    /// Why, for every outcome but `sent`: a short code and its explanation ("no_consent: ...").
    public var reason: String?
    /// For `failed` (and retryable suppressions): whether handling the event again can help.
    public var retryable: Bool?
    /// The chosen subject when a message was written.
    public var subject: String?
    /// Where the messages went: outbox files, review items.
    public var messages: [String]?

    /// Creates a report; leave `reason` nil only for `sent`.
    public init(
        function: String, eventID: String, outcome: Outcome, reason: String? = nil, retryable: Bool? = nil,
        subject: String? = nil, messages: [String]? = nil
    ) {
        self.function = function
        self.eventID = eventID
        self.outcome = outcome
        self.reason = reason
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
    public var isFinal: Bool {
        switch outcome {
        case .sent, .queuedForReview: return true
        case .suppressed: return retryable != true
        case .duplicate, .rejectedInput, .unauthenticated, .failed: return false
        }
    }
}
