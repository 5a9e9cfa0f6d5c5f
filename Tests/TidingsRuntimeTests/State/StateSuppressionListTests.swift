import Foundation
import Testing
import TidingsCore

/// The suppression list in the state store: additions go to the store alone, a lookup by customer
/// or by address finds them, and an entry a data folder's JSON Lines list kept from before the
/// store is still honoured.
@Suite("Suppression list in the state store")
struct StateSuppressionListTests {
    let time = Date(timeIntervalSince1970: 1_795_000_000)

    @Test("an addition is found by customer and by address, in the store and not in the JSON Lines file")
    func addsToTheStore() async throws {
        try await withScratch { data in
            let legacy = JSONLSuppressionList(directory: data.appendingPathComponent("suppression"))
            let list = StateSuppressionList(store: try SQLiteStateStore(folder: data), legacy: legacy)
            #expect(try await list.entry(customerID: "7", address: "Lena@Example.com") == nil)
            let bounce = SuppressionEntry(
                customerID: "7", addressHash: SuppressionKeys.addressHash("lena@example.com"), reason: .hardBounce,
                source: "ses_sns", time: time)
            try await list.add(bounce)
            #expect(try await list.entry(customerID: "7", address: nil) == bounce)
            #expect(try await list.entry(customerID: nil, address: " LENA@example.com ") == bounce)
            #expect(try await list.entry(customerID: "8", address: "other@example.com") == nil)
            #expect(!FileManager.default.fileExists(atPath: legacy.path), "new entries go to the store alone")
            // Another process's store on the same file sees it at once.
            let other = StateSuppressionList(store: try SQLiteStateStore(folder: data), legacy: nil)
            #expect(try await other.entry(customerID: "7", address: nil)?.reason == .hardBounce)
        }
    }

    @Test("an entry of the JSON Lines list from before the store is still honoured; the store's comes first")
    func readsTheLegacyList() async throws {
        try await withScratch { data in
            let legacy = JSONLSuppressionList(directory: data.appendingPathComponent("suppression"))
            try legacy.add(
                SuppressionEntry(
                    customerID: "9", addressHash: nil, reason: .unsubscribe, source: "one_click", time: time))
            let list = StateSuppressionList(store: try SQLiteStateStore(folder: data), legacy: legacy)
            #expect(try await list.entry(customerID: "9", address: nil)?.reason == .unsubscribe)
            try await list.add(
                SuppressionEntry(
                    customerID: "9", addressHash: nil, reason: .complaint, source: "mandrill_webhook",
                    time: time.addingTimeInterval(60)))
            #expect(try await list.entry(customerID: "9", address: nil)?.reason == .complaint)
            #expect(
                try await StateSuppressionList(store: try SQLiteStateStore(folder: data), legacy: nil)
                    .entry(customerID: "9", address: nil)?.reason == .complaint)
        }
    }
}
