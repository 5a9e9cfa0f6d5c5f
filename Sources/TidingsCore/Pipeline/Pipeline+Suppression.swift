import Foundation

/// The suppression list in a run: read it for the event's customer before any guard, and screen
/// each planned message's recipient before anything is written (docs/decisions/suppression.md).
extension Run {
    /// The entry covering this customer id or address; a list that cannot be read fails the event,
    /// retryably, since marketing must not go out to someone who may have opted out.
    func suppression(customerID: String?, address: String?) async throws -> SuppressionEntry? {
        do {
            return try await stages.suppression.entry(customerID: customerID, address: address)
        } catch {
            throw Failure(.suppressionUnavailable, "\(error)", retryable: true)
        }
    }

    /// `messages` less the marketing ones to a suppressed recipient (by the unsubscribe identity the
    /// message carries, or its address). When some are dropped and others stay (an order's
    /// thank-you goes, its marketing steps do not), a `suppression` record names the dropped steps.
    func screenSuppressed(_ messages: [PlannedMessage]) async throws -> (kept: [PlannedMessage], verdict: GuardVerdict?)
    {
        var entries: [Int: SuppressionEntry] = [:]
        for (index, message) in messages.enumerated() where !message.isTransactional {
            entries[index] = try await suppression(customerID: message.customerID, address: message.recipient.address)
        }
        let screened = Guards.screenSuppressed(messages, entries: entries)
        if screened.verdict == nil, let first = screened.dropped.first {
            try record(
                "suppression",
                [
                    "dropped": .array(screened.dropped.map { .string($0.step) }),
                    "reason": .string(GuardVerdict.Code(first.entry.reason).rawValue),
                ])
        }
        return (screened.kept, screened.verdict)
    }
}
