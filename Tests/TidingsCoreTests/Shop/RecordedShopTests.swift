import Foundation
import Testing
import TidingsDevKit

@testable import TidingsCore

@Suite struct RecordedShopTests {
    @Test func sameSeedSameBytes() {
        let first = RecordedShopGenerator(seed: 7, randomCustomers: 10).files()
        let second = RecordedShopGenerator(seed: 7, randomCustomers: 10).files()
        #expect(first.map(\.path) == second.map(\.path))
        #expect(first.map(\.contents) == second.map(\.contents))
        let other = RecordedShopGenerator(seed: 8, randomCustomers: 10).files()
        #expect(other.map(\.contents) != first.map(\.contents))
    }

    /// The committed Events/shop is exactly the generator's output. With
    /// TIDINGS_REGENERATE_SHOP=1 the test writes the shop there first (delete the folder before).
    @Test func committedShopMatchesGenerator() throws {
        let generator = RecordedShopGenerator()
        if ProcessInfo.processInfo.environment["TIDINGS_REGENERATE_SHOP"] == "1" {
            try generator.write(to: ShopPaths.recordedShop)
        }
        let temporary = FileManager.default.temporaryDirectory
            .appendingPathComponent("tidings-shop-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: temporary) }
        try generator.write(to: temporary)

        let expected = try files(under: temporary)
        let committed = try files(under: ShopPaths.recordedShop)
        #expect(committed == expected, "Events/shop differs in its file list from the generator's output")
        for path in expected {
            let generated = FileManager.default.contents(atPath: temporary + "/" + path)
            let stored = FileManager.default.contents(atPath: ShopPaths.recordedShop + "/" + path)
            #expect(generated == stored, "Events/shop/\(path) differs from the generator's output")
        }
    }

    @Test func shopIsSizedAndShaped() {
        let shop = GeneratedShop.build(seed: RecordedShopGenerator.defaultSeed, randomCustomers: 72)
        #expect(shop.products.count == 36)
        #expect(Set(shop.products.map(\.category)).count == 10)
        #expect(shop.products.filter { $0.inventory == 0 }.map(\.shopifyID).count == 4)
        #expect(shop.products[2].category == "Jackets")
        #expect(shop.products[10].category == "Base Layers")
        let shopifyOrders = shop.orders(on: .shopify)
        #expect((200...400).contains(shopifyOrders.count))
        #expect(shopifyOrders.allSatisfy { $0.createdAt >= GeneratedShop.firstOrderDay })
        #expect(shopifyOrders.allSatisfy { $0.createdAt <= GeneratedShop.lastOrderDay })
    }

    @Test func timesRenderWithTheirOffsets() {
        #expect(ShopTime(2026, 11, 20, 15, 12).shopify == "2026-11-20T10:12:00-05:00")
        #expect(ShopTime(2025, 7, 4, 16, 0).shopify == "2025-07-04T12:00:00-04:00")
        #expect(ShopTime(2026, 11, 20, 15, 12).rfc2822 == "Fri, 20 Nov 2026 15:12:00 +0000")
        #expect(Cents(17_900).fourDecimals == "179.0000")
        #expect(Cents(1_250).jsonNumber == "12.5")
    }

    private func files(under root: String) throws -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: root) else { return [] }
        var paths: [String] = []
        while let path = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &isDirectory),
                !isDirectory.boolValue
            {
                paths.append(path)
            }
        }
        return paths.sorted()
    }
}
