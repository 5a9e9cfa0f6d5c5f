import ArgumentParser
import Foundation
import TidingsCore

/// `tidings shop generate`: writes the recorded shop the embedded commerce platform reads.
struct ShopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shop", abstract: "Work with the recorded shop.", subcommands: [Generate.self, Index.self])

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate a recorded shop (Shopify and BigCommerce API responses) deterministically from a seed.")

        @Option(help: "Output folder.")
        var out = "Events/shop"

        @Option(help: "Random seed; the committed shop uses the default.")
        var seed: UInt64 = RecordedShopGenerator.defaultSeed

        @Option(help: "Customers beyond the fixed personas.")
        var customers: Int = RecordedShopGenerator.defaultRandomCustomers

        func run() throws {
            try RecordedShopGenerator(seed: seed, randomCustomers: customers).write(to: out)
            print("Wrote the recorded shop (seed \(seed), \(customers) random customers) to \(out)")
        }
    }

    /// `tidings shop index`: rebuilds the co-purchase indexes handlers read, by scanning every
    /// order through the production clients. Run it whenever the orders change (for a real shop,
    /// on a schedule).
    struct Index: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild the co-purchase indexes (derived/*.json) from every order of the recorded shop.")

        @Option(help: "The recorded shop folder.")
        var shop = "Events/shop"

        func run() async throws {
            let root = URL(fileURLWithPath: shop)
            let storefront = Brand.northwind.storefrontURL
            let shopify = ShopifyAdminClient(
                shop: "northwind-outfitters.myshopify.com", accessToken: "recorded", storefrontURL: storefront,
                transport: FileTransport(root: root.appendingPathComponent("shopify").path))
            let bigCommerce = BigCommerceClient(
                storeHash: "nw4x7k2q", accessToken: "recorded", storefrontURL: storefront,
                transport: FileTransport(
                    root: root.appendingPathComponent("bigcommerce").path,
                    notFoundBody: FileTransport.bigCommerceNotFound))
            let derived = root.appendingPathComponent("derived")
            try FileManager.default.createDirectory(at: derived, withIntermediateDirectories: true)
            for (name, platform) in [("shopify", shopify as any CommercePlatform), ("bigcommerce", bigCommerce)] {
                let index = try await platform.catalog().coPurchases
                let file = derived.appendingPathComponent("\(name)-co-purchases.json")
                try Data(index.encoded()).write(to: file, options: .atomic)
                print(
                    "\(file.path): \(index.orderCounts.count) products, \(index.counts.values.reduce(0) { $0 + $1.count } / 2) pairs"
                )
            }
        }
    }
}
