import Foundation

/// One fact of one stage, as a stage reports it. The log adds sequence numbers and the chain.
package struct AuditEntry: Sendable {
    /// When it happened, by the pipeline's clock (a replay records the replayed time).
    package var time: Date
    /// The platform's id of the event; a final outcome consumes it (see `hasFinalOutcome`).
    package var eventID: String
    /// Ties together the records of one invocation (the Lambda request id, or a fresh id).
    package var correlationID: String
    /// The function name ("cartAbandoned").
    package var function: String
    /// The pipeline stage ("received", "normalize", "guards", ..., "outcome").
    package var stage: String
    /// The terminal outcome; set on exactly one record per event, the last.
    package var outcome: Outcome?
    /// What the stage found. Never secrets; never an email address (the `deliver` record names the
    /// recipient by `SuppressionKeys.addressHash`, as `to_hash`).
    package var facts: [String: JSONValue]

    /// Makes an entry; `outcome` only on the event's last record.
    package init(
        time: Date, eventID: String, correlationID: String, function: String, stage: String,
        outcome: Outcome? = nil, facts: [String: JSONValue] = [:]
    ) {
        self.time = time
        self.eventID = eventID
        self.correlationID = correlationID
        self.function = function
        self.stage = stage
        self.outcome = outcome
        self.facts = facts
    }
}

/// The append-only audit trail.
package protocol AuditLog: Sendable {
    /// Appends one record. Throws when it could not be written; the caller treats that as a
    /// retryable failure, because an unaudited send must not happen.
    func append(_ entry: AuditEntry) throws
    /// Whether an event with this id reached a final outcome (see `OutcomeReport.isFinal`) at or
    /// after `since`. Reads only the days it needs.
    func hasFinalOutcome(eventID: String, since: Date) throws -> Bool
}

extension AuditLog {
    /// Whether a final outcome named `key` among its `dedupe_keys` facts (or as its event id) at or
    /// after `since`. Flows use keys such as `cartAbandoned:shopify:cart:<token>` so that two
    /// events about one cart are not both written to; keys share the event ids' index.
    package func hasFinalOutcome(forKey key: String, since: Date) throws -> Bool {
        try hasFinalOutcome(eventID: key, since: since)
    }
}

extension AuditEntry {
    /// The fact a terminal record lists its extra duplicate keys under.
    package static let dedupeKeysFact = "dedupe_keys"

    /// The event id and the `dedupe_keys` facts: every key a final outcome answers for.
    package var finalOutcomeKeys: [String] {
        var keys = [eventID]
        if case .array(let extra)? = facts[Self.dedupeKeysFact] {
            keys += extra.compactMap(\.stringValue)
        }
        return keys
    }
}
