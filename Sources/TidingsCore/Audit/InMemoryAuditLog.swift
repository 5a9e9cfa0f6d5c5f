import Foundation
import Synchronization

/// An audit log that keeps its entries in memory: for tests of the other stages, which can then
/// assert on exactly what was recorded. Finality follows the same rule as `JSONLAuditLog`.
public final class InMemoryAuditLog: AuditLog {
    private let stored: Mutex<[AuditEntry]>

    /// An empty log, or one that already holds `entries` (say, an earlier delivery of an event).
    public init(entries: [AuditEntry] = []) {
        stored = Mutex(entries)
    }

    /// Everything appended, in order.
    public var entries: [AuditEntry] {
        stored.withLock { $0 }
    }

    /// Records the entry; never throws.
    public func append(_ entry: AuditEntry) throws {
        stored.withLock { $0.append(entry) }
    }

    /// Whether an entry for `eventID` at or after `since` is a final outcome.
    public func hasFinalOutcome(eventID: String, since: Date) throws -> Bool {
        stored.withLock { entries in
            entries.contains { $0.eventID == eventID && $0.time >= since && $0.isFinalOutcome }
        }
    }
}
