import Foundation
import Synchronization
import TidingsCore

/// An audit log that keeps its entries in memory: for tests of the other stages, which can then
/// assert on exactly what was recorded, and for benchmarks of the stages without disk I/O.
/// Finality follows the same rule as `JSONLAuditLog`.
package final class InMemoryAuditLog: AuditLog {
    private struct State {
        var entries: [AuditEntry]
        /// Event id -> latest time of a final outcome, so the duplicate check is a lookup.
        var finalOutcomes: [String: Date] = [:]

        mutating func add(_ entry: AuditEntry) {
            entries.append(entry)
            if entry.isFinalOutcome {
                for key in entry.finalOutcomeKeys {
                    finalOutcomes[key] = max(finalOutcomes[key] ?? entry.time, entry.time)
                }
            }
        }
    }

    private let state: Mutex<State>

    /// An empty log, or one that already holds `entries` (say, an earlier delivery of an event).
    package init(entries: [AuditEntry] = []) {
        var initial = State(entries: [])
        for entry in entries { initial.add(entry) }
        state = Mutex(initial)
    }

    /// Everything appended, in order.
    package var entries: [AuditEntry] {
        state.withLock { $0.entries }
    }

    /// Records the entry; never throws.
    package func append(_ entry: AuditEntry) throws {
        state.withLock { $0.add(entry) }
    }

    /// Whether an entry for `eventID` at or after `since` is a final outcome.
    package func hasFinalOutcome(eventID: String, since: Date) throws -> Bool {
        state.withLock { state in state.finalOutcomes[eventID].map { $0 >= since } ?? false }
    }
}
