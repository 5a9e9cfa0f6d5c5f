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

    /// `tidings shop check`: connects to the shop `TIDINGS_COMMERCE` names with the configured
    /// credentials and prints what it can read and which access scopes are missing, naming each,
    /// so a wrong token shows before the first webhook. Exits 1 when any check fails. One case
    /// per platform.
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the configured shop's credentials and access scopes (TIDINGS_COMMERCE).")

        @Option(help: "A customer id to read as well (with their orders).")
        var customer: String?

        func run() async throws {
            let environment = ProcessInfo.processInfo.environment
            let configuration: Configuration
            do {
                configuration = try Configuration.load(environment: environment)
            } catch {
                throw CommandFailure("bad configuration: \(error)")
            }
            let lines: [ShopifyShopCheck.Line]
            switch configuration.commerce.source {
            case .recorded:
                print(
                    "TIDINGS_COMMERCE is recorded: the recorded shop under \(configuration.shopDirectory.path) needs no credentials"
                )
                return
            case .shopify:
                guard let settings = configuration.commerce.shopify else { return }
                print("shopify \(settings.shop) (API \(settings.apiVersion), \(settings.baseURL))")
                let client = FunctionEnvironment.shopifyClient(settings, configuration: configuration)
                lines = await ShopifyShopCheck.run(client, customerID: customer)
            }
            for line in lines {
                print("\(line.passed ? "ok  " : "FAIL") \(line.what): \(line.detail)")
            }
            if lines.contains(where: { !$0.passed }) { throw ExitCode(1) }
        }
    }

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
