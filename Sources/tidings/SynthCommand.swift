import ArgumentParser
import Foundation
import TidingsCore
import TidingsDevKit

/// `tidings synth`: a synthetic shop of any size drawn from known lifetime-model parameters.
struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Write a synthetic Shopify shop whose purchases follow BG/NBD and Gamma-Gamma with known parameters.",
        discussion: """
            The shop is written as the Shopify REST Admin API 2026-07 answers (the paged orders listing, \
            grouped by customer, plus the catalog), so the production client reads it through FileTransport. \
            synth.json records the true parameters. Memory stays flat: one page is held at a time.
            """)

    @Option(help: "Number of customers.")
    var customers = 10_000

    @Option(help: "Random seed; the same seed writes the same bytes.")
    var seed: UInt64 = 1

    @Option(help: "Output folder: new or empty (a folder with files in it is refused).")
    var out: String

    @Flag(help: "Also write customers/{id}.json and customers/{id}/orders.json (for small shops).")
    var customerFiles = false

    @Option(help: "True BG/NBD parameters r,alpha,a,b (weeks).")
    var bgnbd: String?

    @Option(help: "True Gamma-Gamma parameters p,q,gamma (USD).")
    var gammaGamma: String?

    func run() throws {
        // Writing over another shop would leave its customers' files among the new ones.
        if let contents = try? FileManager.default.contentsOfDirectory(atPath: out), !contents.isEmpty {
            throw ValidationError("--out \(out) is not empty: choose a new folder or empty this one")
        }
        var shop = SyntheticShop(customers: customers, seed: seed, customerFiles: customerFiles)
        if let bgnbd {
            let v = try numbers(bgnbd, count: 4, option: "--bgnbd")
            shop.bgnbd = BGNBD(r: v[0], alpha: v[1], a: v[2], b: v[3])
        }
        if let gammaGamma {
            let v = try numbers(gammaGamma, count: 3, option: "--gamma-gamma")
            shop.gammaGamma = GammaGamma(p: v[0], q: v[1], gamma: v[2])
        }
        let start = Date()
        let written = try shop.write(to: out)
        print(
            "Wrote \(written.customers) customers, \(written.orders) orders (\(written.lines) bulk JSONL lines) to \(out) in \(String(format: "%.1f", Date().timeIntervalSince(start))) s"
        )
    }

    private func numbers(_ text: String, count: Int, option: String) throws -> [Double] {
        let values = text.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard values.count == count, values.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw ValidationError("\(option) needs \(count) positive numbers separated by commas")
        }
        return values
    }
}
