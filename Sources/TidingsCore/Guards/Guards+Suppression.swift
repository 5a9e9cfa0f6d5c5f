import Foundation

extension GuardVerdict.Code {
    /// The verdict code for a suppression entry's reason: `unsubscribed`, `hard_bounce`, `complaint`.
    package init(_ reason: SuppressionReason) {
        switch reason {
        case .unsubscribe: self = .unsubscribed
        case .hardBounce: self = .hardBounce
        case .complaint: self = .complaint
        }
    }
}

extension Guards {
    /// The recipient is on the suppression list: no marketing to them, whatever the flow's other
    /// guards would say. Transactional messages are not asked about (`screenSuppressed`).
    package static func checkSuppression(_ entry: SuppressionEntry?) -> GuardVerdict? {
        guard let entry else { return nil }
        return GuardVerdict(
            GuardVerdict.Code(entry.reason),
            "the recipient is on the suppression list since \(Timestamp.format(entry.time)) (\(entry.source))")
    }

    /// A plan's messages less the marketing ones whose recipient is suppressed (`entries`, by the
    /// message's index; a transactional message always stays). When nothing is left, the verdict
    /// of the first suppressed message stops the event.
    package static func screenSuppressed(_ messages: [PlannedMessage], entries: [Int: SuppressionEntry]) -> (
        kept: [PlannedMessage], dropped: [(step: String, entry: SuppressionEntry)], verdict: GuardVerdict?
    ) {
        var kept: [PlannedMessage] = []
        var dropped: [(step: String, entry: SuppressionEntry)] = []
        for (index, message) in messages.enumerated() {
            if !message.isTransactional, let entry = entries[index] {
                dropped.append((message.step, entry))
            } else {
                kept.append(message)
            }
        }
        let verdict = kept.isEmpty ? dropped.first.flatMap { checkSuppression($0.entry) } : nil
        return (kept, dropped, verdict)
    }
}
