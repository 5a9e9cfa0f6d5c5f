import Foundation
import Synchronization

/// A state store opened when it is first used, not when the function starts: a data folder that
/// breaks after start-up (or is unusable from the start) then fails the event that needs it,
/// retryably, as the audit does, instead of stopping every invocation of the process. Opening is
/// tried again on the next use after a failure.
package final class StateStoreOnFirstUse: StateStore {
    private let open: @Sendable () throws(StateStoreError) -> any StateStore
    private let opened = Mutex<(any StateStore)?>(nil)

    /// A store that `open` makes on first use.
    package init(_ open: @escaping @Sendable () throws(StateStoreError) -> any StateStore) {
        self.open = open
    }

    /// The store, opened now if it is not yet.
    private func store() throws(StateStoreError) -> any StateStore {
        let result: Result<any StateStore, StateStoreError> = opened.withLock { store in
            if let store { return .success(store) }
            do throws(StateStoreError) {
                let made = try open()
                store = made
                return .success(made)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    package func claim(_ key: String, owner: String, leaseUntil: Date, now: Date) async throws(StateStoreError)
        -> ClaimOutcome
    {
        try await store().claim(key, owner: owner, leaseUntil: leaseUntil, now: now)
    }

    package func complete(_ key: String, owner: String, result: String, expiresAt: Date) async throws(StateStoreError) {
        try await store().complete(key, owner: owner, result: result, expiresAt: expiresAt)
    }

    package func release(_ key: String, owner: String) async throws(StateStoreError) {
        try await store().release(key, owner: owner)
    }

    package func completedResult(_ key: String) async throws(StateStoreError) -> String? {
        try await store().completedResult(key)
    }

    @discardableResult
    package func writeTombstone(_ key: String, time: Date, expiresAt: Date) async throws(StateStoreError) -> Date {
        try await store().writeTombstone(key, time: time, expiresAt: expiresAt)
    }

    package func tombstone(_ key: String) async throws(StateStoreError) -> Date? {
        try await store().tombstone(key)
    }

    package func increment(_ key: String, by amount: Int64, in window: CounterWindow, cap: Int64?)
        async throws(StateStoreError) -> CounterOutcome
    {
        try await store().increment(key, by: amount, in: window, cap: cap)
    }

    package func count(_ key: String, in window: CounterWindow) async throws(StateStoreError) -> Int64 {
        try await store().count(key, in: window)
    }

    package func addSuppression(_ entry: SuppressionEntry) async throws(StateStoreError) {
        try await store().addSuppression(entry)
    }

    package func suppression(customerID: String?, addressHash: String?) async throws(StateStoreError)
        -> SuppressionEntry?
    {
        try await store().suppression(customerID: customerID, addressHash: addressHash)
    }
}
