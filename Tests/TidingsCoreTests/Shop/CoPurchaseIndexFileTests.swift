import Foundation
import Testing

@testable import TidingsCore

/// The stored co-purchase index that handlers read must be exactly what a scan of every order
/// through the production client gives, or recommendations drift from the shop's history.
@Suite("Stored co-purchase index")
struct CoPurchaseIndexFileTests {
    @Test("The committed Shopify index equals a scan of every recorded order through the client")
    func shopify() async throws {
        let scanned = try await recordedShopify().catalog().coPurchases
        let stored = try CoPurchaseIndex(contentsOf: ShopPaths.recordedShop + "/derived/shopify-co-purchases.json")
        #expect(!stored.counts.isEmpty)
        #expect(stored == scanned)
    }

    @Test("The committed BigCommerce index equals a scan of every recorded order through the client")
    func bigCommerce() async throws {
        let scanned = try await recordedBigCommerce().catalog().coPurchases
        let stored = try CoPurchaseIndex(contentsOf: ShopPaths.recordedShop + "/derived/bigcommerce-co-purchases.json")
        #expect(stored == scanned)
    }

    @Test("A client reading the stored index makes no order requests")
    func storedSkipsTheScan() async throws {
        let recording = RecordingTransport(fallback: FileTransport(root: ShopPaths.recordedShop + "/shopify"))
        let client = recordedShopify(
            recording, coPurchases: .stored(path: ShopPaths.recordedShop + "/derived/shopify-co-purchases.json"))
        let catalog = try await client.catalog()
        #expect(catalog.products.count == 36)
        #expect(catalog.coPurchases.counts["7400000005"]?.isEmpty == false)
        #expect(!recording.requests.isEmpty)
        // Only the products' pages: no order is read.
        #expect(
            recording.requests.allSatisfy {
                String(decoding: $0.body, as: UTF8.self).contains(#""operationName":"TidingsProducts""#)
            })
    }

    @Test("The file form round-trips, and a damaged file names the field")
    func roundTrip() throws {
        var index = CoPurchaseIndex()
        index.add(productIDs: ["a", "b", "c"])
        index.add(productIDs: ["a", "b"])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("co-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(index.encoded()).write(to: URL(fileURLWithPath: path))
        #expect(try CoPurchaseIndex(contentsOf: path) == index)
        try Data(#"{"orders":{"a":"many"},"pairs":{}}"#.utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: PlatformError.self) { try CoPurchaseIndex(contentsOf: path) }
    }
}
