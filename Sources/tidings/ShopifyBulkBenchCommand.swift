import ArgumentParser
import Foundation
import TidingsCore
import TidingsDevKit

/// `tidings bench shopify-bulk`: the Shopify bulk export's JSONL reader over a generated file, and
/// the win-back scan's selector on top, with the peak RSS at 100k customers and at the end, to
/// show that memory does not grow with the file (docs/BENCHMARKS.md records the figures).
struct ShopifyBulkBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shopify-bulk",
        abstract:
            "Measure the Shopify bulk-export reader: customers read a second and peak memory at 100k and at the end.",
        discussion: """
            Writes a bulk JSONL of --customers customers (a quarter without orders, the others with 1 to 3) \
            as bulkOperationRunQuery(groupObjects: true) writes it, then: 1. reads it through ShopifyBulkJSONL \
            (the scan's reader), 2. fits the lifetime model on a reservoir sample and runs the win-back scan's \
            selector over the stream (selected customers counted, not written). Prints customers a second and \
            the process's peak RSS (getrusage ru_maxrss) after 100,000 customers and at the end, and how long \
            the reservoir sample and the fit took.
            """)

    @Option(help: "Customers in the generated file.")
    var customers = 1_000_000

    @Option(help: "Where to write the JSONL (default a temporary file, removed afterwards).")
    var file: String?

    @Flag(help: "Skip the selector phase.")
    var readOnly = false

    func run() async throws {
        let path =
            file.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("tidings-bulk-bench-\(UUID().uuidString).jsonl")
        defer { if file == nil { try? FileManager.default.removeItem(at: path) } }
        let writeStart = Date()
        let bytes = try ShopifyBulkJSONLWriter.write(customers: customers, to: path)
        Self.say(
            "generated \(customers) customers (\(ShopifyBulkJSONLWriter.orders(customers)) orders), \(WinBackBenchCommand.format(Double(bytes) / 1_048_576, 1)) MiB in \(WinBackBenchCommand.format(Date().timeIntervalSince(writeStart))) s; peak RSS \(WinBackBenchCommand.peakRSSMiB()) MiB"
        )

        // 1. The reader alone.
        var read = 0
        var start = Date()
        try await ShopifyBulkJSONL.forEachHistory(in: path) { _ in
            read += 1
            if read == 100_000 { Self.checkpoint("read", read, since: start) }
        }
        Self.checkpoint("read", read, since: start)
        guard !readOnly else { return }

        // 2. Fit on a reservoir sample, then the scan's selector over the stream.
        let source = BulkFileSource(file: path)
        let now = Date(timeIntervalSince1970: 1_793_000_000)
        start = Date()
        let (sample, seen) = try await source.reservoirSample(size: 20_000, seed: 1, now: now)
        Self.say(
            "sample: \(sample.count) of \(seen) customers in \(WinBackBenchCommand.format(Date().timeIntervalSince(start))) s; peak RSS \(WinBackBenchCommand.peakRSSMiB()) MiB"
        )
        start = Date()
        let parameters = LifetimeParameters.fit(sample, at: now)
        Self.say(
            "fit: \(parameters.bgnbd == nil ? "rules" : "BG/NBD"), \(parameters.gammaGamma == nil ? "no spend model" : "Gamma-Gamma") in \(WinBackBenchCommand.format(Date().timeIntervalSince(start))) s\(parameters.fallbackReason.map { " (\($0))" } ?? ""); peak RSS \(WinBackBenchCommand.peakRSSMiB()) MiB"
        )
        let selector = WinBackSelector(
            criteria: WinBackCriteria(), scorer: LifetimeScorer(parameters: parameters), categories: [:])
        start = Date()
        var scored = 0
        let summary = try await WinBackScan(selector: selector, now: now, concurrency: 1).run(
            source: source, limiter: nil, recentlyEmailed: { _ in false },
            record: { _ in
                scored += 1
                if scored == 100_000 { Self.checkpoint("scan", scored, since: start) }
            },
            write: { _ in "counted" })
        Self.checkpoint("scan", summary.scanned, since: start)
        Self.say("  selected \(summary.selected); skipped \(summary.skipped.sorted { $0.key < $1.key })")
    }

    /// Writes a line at once (print buffers a piped stdout to the end), so a long run shows its
    /// phases as they finish.
    static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    static func checkpoint(_ phase: String, _ count: Int, since start: Date) {
        let seconds = Date().timeIntervalSince(start)
        Self.say(
            "\(phase): \(count) customers with orders in \(WinBackBenchCommand.format(seconds)) s = \(Int(Double(count) / seconds)) customers/s; peak RSS \(WinBackBenchCommand.peakRSSMiB()) MiB"
        )
    }
}

/// A bulk JSONL file on disk as a customer base.
struct BulkFileSource: CustomerBaseStreaming {
    let file: URL

    func forEachCustomerHistory(_ body: (CustomerHistory) async throws -> Void) async throws {
        try await ShopifyBulkJSONL.forEachHistory(in: file, body)
    }
}
