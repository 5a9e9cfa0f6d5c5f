import ArgumentParser
import Foundation
import TidingsCore
import TidingsDevKit
import TidingsRuntime

/// `tidings shop generate`: writes the recorded shop the embedded commerce platform reads;
/// `tidings shop check`: tries the configured live shop's credentials.
struct ShopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shop", abstract: "Work with the recorded shop, or check a live shop's credentials.",
        subcommands: [Generate.self, Index.self, Check.self])

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
            let platforms = RecordedShop.clients(
                root: root, storefrontURL: Brand.northwind.storefrontURL, readStoredIndex: false)
            for (name, platform) in platforms.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                let index = try await platform.catalog().coPurchases
                let file = root.appendingPathComponent(RecordedShop.coPurchasesFile(name))
                try FileManager.default.createDirectory(
                    at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(index.encoded()).write(to: file, options: .atomic)
                print(
                    "\(file.path): \(index.orderCounts.count) products, \(index.counts.values.reduce(0) { $0 + $1.count } / 2) pairs"
                )
            }
        }
    }
}
