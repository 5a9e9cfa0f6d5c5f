import Foundation

/// The state every instance of every function shares, where a guarantee spans events: claims on
/// event ids (exactly once), tombstones (an order's cancellation), counters in a time window
/// (frequency caps, model spend) and the suppression list. Each operation is one atomic step in
/// the store, so two processes or two Lambda instances asking at the same moment get answers that
/// agree: one claims, the other learns who holds the key.
///
/// Two implementations: `SQLiteStateStore` (`TIDINGS_STATE=sqlite`, the default: a database file
/// under the data folder, right for every process on one machine and wrong on a network file
/// system) and `DynamoDBStateStore` (`TIDINGS_STATE=dynamodb`, for Lambda). Both pass the same
/// conformance suite (Tests/TidingsRuntimeTests/State). docs/decisions/state-store.md says why.
///
/// Times are passed in (`now`), never read from a clock inside the store, so a replay with a
/// pinned clock sees the same leases. Keys are at most `StateKey.maximumLength` UTF-8 bytes.
package protocol StateStore: Sendable {
    /// Claims `key` for `owner` until `leaseUntil`, in one atomic step. Answers `.claimed` when
    /// the key was free or its holder's lease had expired by `now` (a crashed holder's claim is
    /// taken over; `tookOverFrom` names it), `.heldBy` when another live claim holds it (the same
    /// owner claiming again also gets `.heldBy`, so a claim is never granted twice), and
    /// `.completed` with the first handling's result when the key is done. A result whose
    /// `expiresAt` (of `complete`) has passed by `now` no longer answers: the key is claimed afresh.
    func claim(_ key: String, owner: String, leaseUntil: Date, now: Date) async throws(StateStoreError) -> ClaimOutcome

    /// Marks `key` done with `result`, kept until `expiresAt`. Throws `.notHolder` when `owner`
    /// does not hold a claim on the key (it expired and was taken over, or never existed).
    func complete(_ key: String, owner: String, result: String, expiresAt: Date) async throws(StateStoreError)

    /// Gives up `owner`'s claim on `key` so the next delivery handles it (a retryable failure).
    /// Throws `.notHolder` when `owner` does not hold it.
    func release(_ key: String, owner: String) async throws(StateStoreError)

    /// The result `complete` stored for `key`; nil when the key is free or only claimed.
    func completedResult(_ key: String) async throws(StateStoreError) -> String?

    /// Writes the tombstone `key` (`StateKey.orderCancelled(...)`) at `time`, kept until
    /// `expiresAt`. Returns the time of the tombstone that stands: `time` when this call wrote it,
    /// the first writer's time when one was there already (the first write wins).
    @discardableResult
    func writeTombstone(_ key: String, time: Date, expiresAt: Date) async throws(StateStoreError) -> Date

    /// When the tombstone `key` was written; nil when there is none.
    func tombstone(_ key: String) async throws(StateStoreError) -> Date?

    /// Adds `amount` (> 0) to the counter `key` in `window`, in one atomic step, and reads the new
    /// total. With a `cap`, the addition happens only when the total stays at or below it;
    /// otherwise nothing changes and the answer is `.capReached` with the total as it is.
    /// A negative `amount` without a cap takes back an earlier increment (a hand-over that failed
    /// after it was counted); one larger than the total changes nothing, so the total never goes
    /// below 0. A zero amount, or a negative one with a cap, is refused (`.invalidKey`).
    func increment(_ key: String, by amount: Int64, in window: CounterWindow, cap: Int64?)
        async throws(StateStoreError) -> CounterOutcome

    /// The counter `key`'s total in `window`; 0 when nothing was counted.
    func count(_ key: String, in window: CounterWindow) async throws(StateStoreError) -> Int64

    /// Adds `entry` to the suppression list, findable by its customer id and by its address hash.
    /// A later entry for the same customer or address replaces the earlier one.
    func addSuppression(_ entry: SuppressionEntry) async throws(StateStoreError)

    /// The entry that covers the customer id or the address hash (the customer's first); nil when
    /// neither is suppressed.
    func suppression(customerID: String?, addressHash: String?) async throws(StateStoreError) -> SuppressionEntry?
}

/// What a claim found.
package enum ClaimOutcome: Sendable, Hashable {
    /// The caller holds the key now. `tookOverFrom` names the holder whose lease had expired, nil
    /// when the key was free.
    case claimed(tookOverFrom: String?)
    /// Another live claim holds the key until `until`; try again after it, or answer "in progress".
    case heldBy(owner: String, until: Date)
    /// The key was completed with `result`: a duplicate answers with it.
    case completed(result: String)
}

/// What an increment did.
package enum CounterOutcome: Sendable, Hashable {
    /// The amount was added; `total` is the counter after it.
    case counted(total: Int64)
    /// The cap would have been passed; nothing was added and `total` is the counter as it is.
    case capReached(total: Int64)
}

/// A fixed time window of a counter: the counter starts at 0 in each window. Windows are aligned
/// to the Unix epoch (a day window runs midnight to midnight UTC), so every instance agrees on
/// which window a moment is in without asking one another.
package struct CounterWindow: Sendable, Hashable {
    /// When the window starts.
    package var start: Date
    /// Its length in seconds (> 0).
    package var length: TimeInterval

    /// The window of `length` seconds that holds `time`.
    package init(containing time: Date, length: TimeInterval) {
        precondition(length > 0, "a counter window has a positive length")
        let seconds = time.timeIntervalSince1970
        self.start = Date(timeIntervalSince1970: (seconds / length).rounded(.down) * length)
        self.length = length
    }

    /// The UTC day that holds `time`.
    package static func day(containing time: Date) -> CounterWindow {
        CounterWindow(containing: time, length: 86_400)
    }

    /// When the window ends; its counter may be forgotten after.
    package var end: Date { start.addingTimeInterval(length) }

    /// The key the store keeps the counter of `key` in this window under: `key@START` (Unix seconds).
    package func storageKey(_ key: String) -> String { "\(key)@\(Int64(start.timeIntervalSince1970))" }
}

/// The keys the flows use, built in one place so the SQLite file and the DynamoDB table hold the
/// same names.
package enum StateKey {
    /// Keys longer than this (in UTF-8 bytes) are refused: DynamoDB's partition key limit is 2048,
    /// and a derived key (a counter's `@start`, a suppression's prefix) must still fit.
    package static let maximumLength = 1024

    /// `event:<flow>:<event id>`: the claim that makes handling an event happen once.
    package static func event(flow: String, id: String) -> String { "event:\(flow):\(id)" }

    /// `order:<platform>:<id>:cancelled`: the tombstone a cancellation writes before it stops the
    /// order's series; a create that finds it plans nothing.
    package static func orderCancelled(platform: String, orderID: String) -> String {
        "order:\(platform):\(orderID):cancelled"
    }

    /// `suppression:customer:<id>`, where the entry for a customer is kept.
    package static func suppression(customerID: String) -> String { "suppression:customer:\(customerID)" }

    /// `suppression:address:<hash>`, where the entry for an address hash is kept.
    package static func suppression(addressHash: String) -> String { "suppression:address:\(addressHash)" }

    /// Throws `.invalidKey` when `key` is empty or longer than `maximumLength`.
    package static func validate(_ key: String) throws(StateStoreError) {
        guard !key.isEmpty, key.utf8.count <= maximumLength else {
            throw StateStoreError(
                code: .invalidKey, key: String(key.prefix(80)),
                reason: key.isEmpty ? "the key is empty" : "the key is longer than \(maximumLength) bytes")
        }
    }
}

/// A state store operation that failed, naming the key and what happened. Callers decide by
/// `code`; `isRetryable` says whether trying again later can succeed.
package struct StateStoreError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    package enum Code: String, Sendable {
        /// The key is empty or too long, or an argument is out of range (a caller's bug).
        case invalidKey = "invalid_key"
        /// `complete` or `release` by an owner that does not hold the claim.
        case notHolder = "not_holder"
        /// The store is busy or throttling (SQLite's busy timeout passed, DynamoDB throttled).
        case busy
        /// The store could not be reached or opened (the file, the library, the endpoint).
        case unavailable
        /// The store refused the request or answered something unexpected.
        case failed
        /// What the store holds under the key cannot be read (a foreign or corrupt value).
        case corrupt
    }

    /// What went wrong.
    package var code: Code
    /// The key the operation was about ("" for the store as a whole).
    package var key: String
    /// What the store said, never a secret.
    package var reason: String

    /// Creates an error.
    package init(code: Code, key: String, reason: String) {
        self.code = code
        self.key = key
        self.reason = reason
    }

    /// Whether a retry later can succeed: a busy or unreachable store.
    package var isRetryable: Bool { code == .busy || code == .unavailable }

    /// "state store CODE: KEY: REASON".
    package var description: String {
        key.isEmpty ? "state store \(code.rawValue): \(reason)" : "state store \(code.rawValue): \(key): \(reason)"
    }
}
