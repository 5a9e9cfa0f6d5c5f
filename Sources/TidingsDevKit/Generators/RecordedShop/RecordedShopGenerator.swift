import Foundation
import TidingsCore

/// Writes the recorded shop, "Northwind Outfitters", in both platforms' API response shapes:
/// Shopify Admin GraphQL 2026-04 answers under `shopify/admin/api/2026-04/graphql/` and BigCommerce V2/V3 under
/// `bigcommerce/stores/nw4x7k2q/`, laid out as `FileTransport` serves them, plus a README that
/// lists what was generated.
///
/// The output depends only on `seed` and `randomCustomers`: same parameters, same bytes. Fixed
/// personas (the event fixtures rely on their ids and facts) come first; random customers with
/// realistic baskets (boots with socks, tents with sleeping bags and headlamps) come in addition,
/// on both platforms, so that co-purchase recommendations have something to learn from.
package struct RecordedShopGenerator: Sendable {
    /// The seed the committed shop under Events/shop was generated with.
    package static let defaultSeed: UInt64 = 20_261_121
    /// The number of random customers in the committed shop.
    package static let defaultRandomCustomers = 72

    /// The random stream's seed.
    package var seed: UInt64
    /// Customers generated in addition to the fixed personas.
    package var randomCustomers: Int

    /// A generator; the defaults reproduce the committed shop.
    package init(seed: UInt64 = defaultSeed, randomCustomers: Int = defaultRandomCustomers) {
        self.seed = seed
        self.randomCustomers = max(0, randomCustomers)
    }

    /// Every file of the shop: path relative to the root, and contents. Sorted by path.
    package func files() -> [(path: String, contents: String)] {
        let shop = GeneratedShop.build(seed: seed, randomCustomers: randomCustomers)
        var files = shop.shopifyGraphQLFiles() + shop.bigCommerceFiles()
        files.append(("README.md", shop.readme(seed: seed, randomCustomers: randomCustomers)))
        for platform in [ShopPlatform.shopify, .bigCommerce] {
            files.append((GeneratedShop.coPurchasesPath(platform), shop.coPurchases(on: platform)))
        }
        return files.sorted { $0.path < $1.path }
    }

    /// The recorded shop's Shopify GraphQL exchanges: each request the client sends (operation
    /// and variables) and its recorded answer, for the test that validates them against the schema.
    package func shopifyGraphQLExchanges() -> [GeneratedShop.GraphQLExchange] {
        GeneratedShop.build(seed: seed, randomCustomers: randomCustomers).shopifyGraphQLExchanges()
    }

    /// Writes the shop into `root`, creating folders as needed and replacing files of the same
    /// name. Files of an earlier, larger shop are not removed: write into an empty folder.
    /// Throws the file system's error when a folder or file cannot be written.
    package func write(to root: String) throws {
        let manager = FileManager.default
        for file in files() {
            let url = URL(fileURLWithPath: root).appendingPathComponent(file.path)
            try manager.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(file.contents.utf8).write(to: url)
        }
    }
}
