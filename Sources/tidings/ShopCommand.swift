import ArgumentParser
import Foundation
import TidingsCore

/// `tidings shop generate`: writes the recorded shop the embedded commerce platform reads.
struct ShopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shop", abstract: "Work with the recorded shop.", subcommands: [Generate.self])

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
}
