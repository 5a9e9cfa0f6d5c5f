import Foundation

/// The counts a scan ends with: its terminal outcome carries these, not one line per customer.
package struct WinBackScanSummary: Sendable, Hashable {
    /// Customers read from the platform.
    package var scanned = 0
    /// Customers selected for a message.
    package var selected = 0
    /// Skipped customers by reason.
    package var skipped: [String: Int] = [:]
    /// Written customers by the outcome of their message ("sent", "queued_for_review", "failed", ...).
    package var outcomes: [String: Int] = [:]

    /// An empty summary.
    package init() {}

    /// The summary as audit facts.
    package var facts: [String: JSONValue] {
        [
            "scanned": .int(scanned), "selected": .int(selected),
            "skipped": .object(skipped.mapValues { .int($0) }),
            "outcomes": .object(outcomes.mapValues { .int($0) }),
        ]
    }
}

/// The streaming win-back scan: reads every customer with orders page by page, decides about
/// each with a `WinBackSelector`, records the decision, and writes to the selected ones with at
/// most `concurrency` messages in flight, each started only when the token bucket allows.
/// Memory is flat in the size of the base: one page, one history and `concurrency` targets.
package struct WinBackScan: Sendable {
    /// Decides per customer.
    package var selector: WinBackSelector
    /// The scan's clock reading: every customer is judged at this instant.
    package var now: Date
    /// Most messages composed at once (the model's latency × the rate limit, plus one, keeps the
    /// bucket busy).
    package var concurrency: Int

    /// A scan at `now`; `concurrency` ≥ 1.
    package init(selector: WinBackSelector, now: Date, concurrency: Int) {
        self.selector = selector
        self.now = now
        self.concurrency = max(1, concurrency)
    }

    /// Runs the scan. `recentlyEmailed` answers the quiet-period question from the audit;
    /// `record` audits each decision (awaited in order); `write` composes and delivers one
    /// message and returns its outcome's name; a `write` that throws counts as "failed" and the
    /// scan goes on. Throws what the source, `record` or `recentlyEmailed` throws.
    package func run(
        source: some CustomerBaseStreaming, limiter: TokenBucket?,
        recentlyEmailed: (String) throws -> Bool,
        record: (WinBackDecision) async throws -> Void,
        write: @escaping @Sendable (WinBackTarget) async throws -> String
    ) async throws -> WinBackScanSummary {
        var summary = WinBackScanSummary()
        let cap = selector.criteria.maximumSelected
        try await withThrowingTaskGroup(of: String.self) { group in
            var inFlight = 0
            try await source.forEachCustomerHistory { history in
                summary.scanned += 1
                var (decision, target) = try selector.decide(history, now: now, emailedRecently: recentlyEmailed)
                if target != nil, let cap, summary.selected >= cap {
                    decision.skip = .capReached
                    target = nil
                }
                try await record(decision)
                guard let target else {
                    summary.skipped[decision.skip!.rawValue, default: 0] += 1
                    return
                }
                summary.selected += 1
                if inFlight >= concurrency, let outcome = try await group.next() {
                    summary.outcomes[outcome, default: 0] += 1
                    inFlight -= 1
                }
                try await limiter?.acquire()
                inFlight += 1
                group.addTask {
                    do { return try await write(target) } catch { return "failed" }
                }
            }
            for try await outcome in group { summary.outcomes[outcome, default: 0] += 1 }
        }
        return summary
    }
}
