import CSQLite
import Foundation

/// The embedded `StateStore` (`TIDINGS_STATE=sqlite`, the default): one SQLite database file,
/// `<data>/state.sqlite3`, shared by every process on the machine. WAL mode, so readers never wait
/// for the writer; `synchronous=FULL`, so a committed claim survives a power cut; each operation
/// that reads then writes runs in one `BEGIN IMMEDIATE` transaction, which takes the write lock
/// first, so two processes never both see a key free. A lock held by another process is waited for
/// up to the busy timeout (5 s), then the operation throws `.busy` (retryable).
///
/// Right for every process on one machine; not for a network file system (EFS, NFS): SQLite's
/// locks there are unreliable and WAL needs shared memory on one host (docs/decisions/state-store.md).
///
/// One connection per store, used by one caller at a time (a lock); an operation blocks its thread
/// while it waits for the file lock.
package final class SQLiteStateStore: StateStore, @unchecked Sendable {
    /// The file name under the data folder.
    package static let fileName = "state.sqlite3"

    // Guarded by `lock`: a connection serves one caller at a time (opened with SQLITE_OPEN_NOMUTEX).
    private let database: SQLiteDatabase
    private let lock = NSLock()
    /// The database file.
    package let path: String

    /// Opens (creating it and the folder if needed) `<folder>/state.sqlite3`. Throws
    /// `StateStoreError.unavailable` when the folder cannot be made, libsqlite3 cannot be loaded,
    /// or the file cannot be opened or set up; `.busy` when another process holds it too long.
    package init(folder: URL, busyTimeout: Int32 = 5_000) throws(StateStoreError) {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw StateStoreError(code: .unavailable, key: "", reason: "cannot create \(folder.path): \(error)")
        }
        let path = folder.appendingPathComponent(Self.fileName).path
        do {
            let database = try SQLiteDatabase(path: path, busyTimeout: busyTimeout)
            try database.execute("PRAGMA journal_mode=WAL")
            try database.execute("PRAGMA synchronous=NORMAL")
            try database.execute(Self.schema)
            self.database = database
        } catch {
            throw StateStoreError(code: error.isBusy ? .busy : .unavailable, key: "", reason: error.description)
        }
        self.path = path
    }

    /// One table for every kind of entry, as in DynamoDB: the key, its kind (`claimed`,
    /// `completed`, `tombstone`, `counter`, `suppression`) and the columns that kind uses. Times in
    /// milliseconds since 1970, `expires_at` in seconds (what DynamoDB's TTL attribute holds).
    static let schema = """
        CREATE TABLE IF NOT EXISTS state (
            key TEXT PRIMARY KEY NOT NULL,
            kind TEXT NOT NULL,
            owner TEXT,
            lease_until INTEGER,
            result TEXT,
            amount INTEGER,
            time INTEGER,
            expires_at INTEGER
        ) WITHOUT ROWID
        """

    package func claim(_ key: String, owner: String, leaseUntil: Date, now: Date) async throws(StateStoreError)
        -> ClaimOutcome
    {
        try StateKey.validate(key)
        return try run(key) { database throws(SQLiteError) in
            try database.immediateTransaction { () throws(SQLiteError) -> ClaimOutcome in
                let rows = try database.query(
                    "SELECT kind, owner, lease_until, result, expires_at FROM state WHERE key = ?", [.text(key)])
                let lease: [SQLiteDatabase.Value] = [
                    .text(owner), .integer(Self.milliseconds(leaseUntil)), .integer(Self.claimExpiry(leaseUntil)),
                    .text(key),
                ]
                guard let row = rows.first else {
                    try database.query(
                        "INSERT INTO state (owner, lease_until, expires_at, key, kind) VALUES (?, ?, ?, ?, 'claimed')",
                        lease)
                    return .claimed(tookOverFrom: nil)
                }
                let holder = row[1].text ?? ""
                switch row[0].text {
                case "completed":
                    // A result kept past its expiry no longer answers: the key is free again.
                    if let expires = row[4].integer, expires <= Self.wholeSeconds(now) {
                        try database.query(
                            """
                            UPDATE state SET kind = 'claimed', result = NULL, owner = ?, lease_until = ?, expires_at = ?
                            WHERE key = ?
                            """, lease)
                        return .claimed(tookOverFrom: nil)
                    }
                    return .completed(result: row[3].text ?? "")
                case "claimed":
                    let until = row[2].integer ?? 0
                    if until > Self.milliseconds(now) {
                        return .heldBy(owner: holder, until: Date(timeIntervalSince1970: Double(until) / 1000))
                    }
                    try database.query(
                        "UPDATE state SET owner = ?, lease_until = ?, expires_at = ? WHERE key = ?", lease)
                    return .claimed(tookOverFrom: holder)
                default:
                    throw SQLiteError(
                        code: SQLITE_MISMATCH, operation: "claim",
                        message: "the key holds a \(row[0].text ?? "null") entry, not a claim")
                }
            }
        }
    }

    package func complete(_ key: String, owner: String, result: String, expiresAt: Date) async throws(StateStoreError) {
        try StateKey.validate(key)
        let changed = try run(key) { database throws(SQLiteError) in
            try database.query(
                """
                UPDATE state SET kind = 'completed', result = ?, lease_until = NULL, expires_at = ?
                WHERE key = ? AND kind = 'claimed' AND owner = ?
                """,
                [.text(result), .integer(Self.seconds(expiresAt)), .text(key), .text(owner)])
            return database.changes
        }
        if changed == 0 { throw try notHolder(key, owner: owner) }
    }

    package func release(_ key: String, owner: String) async throws(StateStoreError) {
        try StateKey.validate(key)
        let changed = try run(key) { database throws(SQLiteError) in
            try database.query(
                "DELETE FROM state WHERE key = ? AND kind = 'claimed' AND owner = ?", [.text(key), .text(owner)])
            return database.changes
        }
        if changed == 0 { throw try notHolder(key, owner: owner) }
    }

    package func completedResult(_ key: String) async throws(StateStoreError) -> String? {
        try StateKey.validate(key)
        return try run(key) { database throws(SQLiteError) in
            try database.query("SELECT result FROM state WHERE key = ? AND kind = 'completed'", [.text(key)])
                .first?[0].text
        }
    }

    @discardableResult
    package func writeTombstone(_ key: String, time: Date, expiresAt: Date) async throws(StateStoreError) -> Date {
        try StateKey.validate(key)
        let row = try run(key) { database throws(SQLiteError) in
            try database.immediateTransaction { () throws(SQLiteError) -> [SQLiteDatabase.Value] in
                try database.query(
                    "INSERT INTO state (key, kind, time, expires_at) VALUES (?, 'tombstone', ?, ?) ON CONFLICT (key) DO NOTHING",
                    [.text(key), .integer(Self.milliseconds(time)), .integer(Self.seconds(expiresAt))])
                return try database.query("SELECT kind, time FROM state WHERE key = ?", [.text(key)]).first ?? []
            }
        }
        return try tombstoneTime(row, key: key) ?? time
    }

    package func tombstone(_ key: String) async throws(StateStoreError) -> Date? {
        try StateKey.validate(key)
        let row = try run(key) { database throws(SQLiteError) in
            try database.query("SELECT kind, time FROM state WHERE key = ?", [.text(key)]).first
        }
        guard let row else { return nil }
        return try tombstoneTime(row, key: key)
    }

    package func increment(_ key: String, by amount: Int64, in window: CounterWindow, cap: Int64?)
        async throws(StateStoreError) -> CounterOutcome
    {
        try StateKey.validate(key)
        guard amount > 0 || (amount < 0 && cap == nil) else {
            throw StateStoreError(
                code: .invalidKey, key: key, reason: "the amount \(amount) is not positive (or negative without a cap)")
        }
        let stored = window.storageKey(key)
        return try run(key) { database throws(SQLiteError) in
            try database.immediateTransaction { () throws(SQLiteError) -> CounterOutcome in
                let current = try counter(database, stored)
                let total = current.addingReportingOverflow(amount)
                if let cap, total.overflow || total.partialValue > cap { return .capReached(total: current) }
                // A take-back of more than the counter holds changes nothing (as DynamoDB's condition).
                if amount < 0, total.partialValue < 0 { return .counted(total: current) }
                try database.query(
                    """
                    INSERT INTO state (key, kind, amount, expires_at) VALUES (?, 'counter', ?, ?)
                    ON CONFLICT (key) DO UPDATE SET amount = excluded.amount
                    """,
                    [.text(stored), .integer(total.partialValue), .integer(Self.seconds(window.end) + 86_400)])
                return .counted(total: total.partialValue)
            }
        }
    }

    package func count(_ key: String, in window: CounterWindow) async throws(StateStoreError) -> Int64 {
        try StateKey.validate(key)
        return try run(key) { database throws(SQLiteError) in try counter(database, window.storageKey(key)) }
    }

    package func addSuppression(_ entry: SuppressionEntry) async throws(StateStoreError) {
        let keys = Self.suppressionKeys(entry)
        guard let first = keys.first else {
            throw StateStoreError(
                code: .invalidKey, key: "suppression", reason: "the entry has neither a customer id nor an address hash"
            )
        }
        for key in keys { try StateKey.validate(key) }
        try run(first) { database throws(SQLiteError) in
            try database.immediateTransaction { () throws(SQLiteError) in
                for key in keys {
                    try database.query(
                        """
                        INSERT INTO state (key, kind, result, time) VALUES (?, 'suppression', ?, ?)
                        ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, result = excluded.result, time = excluded.time
                        """,
                        [.text(key), .text(entry.stateValue), .integer(Self.milliseconds(entry.time))])
                }
            }
        }
    }

    package func suppression(customerID: String?, addressHash: String?) async throws(StateStoreError)
        -> SuppressionEntry?
    {
        let keys = [
            customerID.map(StateKey.suppression(customerID:)), addressHash.map(StateKey.suppression(addressHash:)),
        ]
        for case let key? in keys {
            try StateKey.validate(key)
            let value = try run(key) { database throws(SQLiteError) in
                try database.query("SELECT result FROM state WHERE key = ? AND kind = 'suppression'", [.text(key)])
                    .first?[0].text
            }
            if let value { return try SuppressionEntry(stateValue: value, key: key) }
        }
        return nil
    }

    /// The keys an entry is stored under: its customer's, then its address hash's.
    static func suppressionKeys(_ entry: SuppressionEntry) -> [String] {
        [
            entry.customerID.map(StateKey.suppression(customerID:)),
            entry.addressHash.map(StateKey.suppression(addressHash:)),
        ]
        .compactMap { $0 }
    }

    // MARK: - Helpers

    private func run<Result>(_ key: String, _ body: (SQLiteDatabase) throws(SQLiteError) -> Result)
        throws(StateStoreError) -> Result
    {
        do {
            lock.lock()
            defer { lock.unlock() }
            return try body(database)
        } catch {
            let code: StateStoreError.Code =
                error.isBusy ? .busy : error.code == SQLITE_MISMATCH ? .corrupt : .failed
            throw StateStoreError(code: code, key: key, reason: error.description)
        }
    }

    private func counter(_ database: SQLiteDatabase, _ key: String) throws(SQLiteError) -> Int64 {
        let row = try database.query("SELECT kind, amount FROM state WHERE key = ?", [.text(key)]).first
        guard let row else { return 0 }
        guard row[0].text == "counter" else {
            throw SQLiteError(
                code: SQLITE_MISMATCH, operation: "count", message: "the key holds a \(row[0].text ?? "null") entry")
        }
        return row[1].integer ?? 0
    }

    private func tombstoneTime(_ row: [SQLiteDatabase.Value], key: String) throws(StateStoreError) -> Date? {
        guard row.count == 2 else { return nil }
        guard row[0].text == "tombstone", let time = row[1].integer else {
            throw StateStoreError(
                code: .corrupt, key: key, reason: "the key holds a \(row[0].text ?? "null") entry, not a tombstone")
        }
        return Date(timeIntervalSince1970: Double(time) / 1000)
    }

    private func notHolder(_ key: String, owner: String) throws(StateStoreError) -> StateStoreError {
        let row = try run(key) { database throws(SQLiteError) in
            try database.query("SELECT kind, owner FROM state WHERE key = ?", [.text(key)]).first
        }
        let found =
            switch row?[0].text {
            case nil: "the key is not claimed"
            case "claimed": "it is held by \(row?[1].text ?? "")"
            case let kind?: "the key is \(kind)"
            }
        return StateStoreError(code: .notHolder, key: key, reason: "\(owner) does not hold the claim: \(found)")
    }

    /// Milliseconds since 1970.
    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded(.down)) }

    /// Seconds since 1970, rounded up (the TTL attribute's unit).
    static func seconds(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970.rounded(.up)) }

    /// When an abandoned claim may be forgotten: a day after its lease.
    /// `date` in whole Unix seconds, rounded down: "has this expiry passed by now".
    static func wholeSeconds(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970.rounded(.down)) }

    static func claimExpiry(_ leaseUntil: Date) -> Int64 { seconds(leaseUntil) + 86_400 }
}
