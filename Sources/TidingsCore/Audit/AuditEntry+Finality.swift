extension AuditEntry {
    /// Whether this record ends its event for good, so a later delivery of the same event id is a
    /// duplicate: `sent`, `queued_for_review`, `held_out`, or `suppressed` unless its `retryable` fact is true.
    /// The rule itself is `OutcomeReport.isFinal`; this only reads the entry's fields into it.
    package var isFinalOutcome: Bool {
        guard let outcome else { return false }
        var retryable: Bool?
        if case .bool(let flag) = facts["retryable"] { retryable = flag }
        return OutcomeReport(function: function, eventID: eventID, outcome: outcome, retryable: retryable)
            .isFinal
    }
}
