import Foundation

/// The suppression list kept in the state store (`TIDINGS_STATE`): each entry under its customer
/// key and its address-hash key, so a lookup is one or two exact reads whatever the list's size,
/// and every instance (SQLite on one machine, DynamoDB across Lambda instances) sees an addition
/// at once. Entries a data folder gathered before the store existed stay in the JSON Lines file
/// (`legacy`), which is read only when the store has no entry and the file exists; new entries
/// go to the store alone (docs/decisions/suppression.md).
package struct StateSuppressionList: SuppressionList {
    /// Where the entries are kept.
    package let store: any StateStore
    /// The list as it was before the store, read on a miss.
    package let legacy: JSONLSuppressionList?

    /// The list in `store`, with `legacy` read when the store has no entry.
    package init(store: any StateStore, legacy: JSONLSuppressionList?) {
        self.store = store
        self.legacy = legacy
    }

    package func add(_ entry: SuppressionEntry) async throws(SuppressionError) {
        do {
            try await store.addSuppression(entry)
        } catch {
            throw SuppressionError(.unwritable, path: "state store", reason: "\(error)")
        }
    }

    package func entry(customerID: String?, address: String?) async throws(SuppressionError) -> SuppressionEntry? {
        let hash = address.map(SuppressionKeys.addressHash)
        guard customerID != nil || hash != nil else { return nil }
        let found: SuppressionEntry?
        do {
            found = try await store.suppression(customerID: customerID, addressHash: hash)
        } catch {
            throw SuppressionError(.unreadable, path: "state store", reason: "\(error)")
        }
        if let found { return found }
        guard let legacy, FileManager.default.fileExists(atPath: legacy.path) else { return nil }
        return try legacy.entry(customerID: customerID, address: address)
    }
}
