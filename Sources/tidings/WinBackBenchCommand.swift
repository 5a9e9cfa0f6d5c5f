import ArgumentParser
import Foundation
import Synchronization
import TidingsCore
import TidingsDevKit

#if canImport(Glibc)
    import Glibc
#endif

/// `tidings bench winback`: the win-back scan's figures over a synthetic shop written by
/// `tidings synth` (docs/BENCHMARKS.md records them).
struct WinBackBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "winback",
        abstract: "Measure the win-back scan: customers scored a second, peak memory, and rate-limited wall time.",
        discussion: """
            Write the shop first, e.g. `tidings synth --customers 1000000 --seed 1 --out /tmp/shop-1m`, then \
            `tidings bench winback --shop /tmp/shop-1m`. Phases:

            1. fit: BG/NBD and Gamma-Gamma on a reservoir sample of the base (as a scan does when the stored \
            parameters are stale), against the truth in synth.json;

            2. scan: every customer streamed through the production Shopify GraphQL client's bulk export \
            (FileTransport answers the bulk operation and serves its JSONL, no cache), \
            summarized, scored and selected; selected customers are counted, not written. Prints customers \
            scored a second and the process's peak RSS (getrusage), which must not grow with the base;

            3. with --rate R: the same scan writing to every selected customer (or the first --selected) \
            through a simulated model taking --latency seconds a call, under a token bucket of R a second, \
            with --concurrency calls in flight; prints the wall time against the N_selected / R bound. A cap \
            leaves the rest of the base to be read after the last write, which the bound does not count: size \
            the shop and R so that N_selected / R dominates.
            """)

    @Option(help: "The synthetic shop folder (tidings synth --out).")
    var shop: String

    @Option(help: "Customers in the fit's reservoir sample.")
    var fitSample = 20_000

    @Option(help: "Token-bucket rate of the simulated model, requests a second (phase 3 runs only when given).")
    var rate: Double?

    @Option(help: "Stop selecting after this many in phase 3 (default: no cap, every selected customer is written).")
    var selected: Int?

    @Option(help: "Seconds each simulated model call takes.")
    var latency = 0.2

    @Option(help: "Model calls in flight in phase 3; default ceil(rate × latency) + 2.")
    var concurrency: Int?

    @Option(help: "Token-bucket burst in phase 3; default 50 ms of tokens (rate × 0.05), as the winBack flow uses.")
    var burst: Double?

    func run() async throws {
        let root = URL(fileURLWithPath: shop)
        let client = ShopifyGraphQLClient(
            baseURL: RecordedShop.shopifyBaseURL, accessToken: Secret("recorded"),
            storefrontURL: RecordedShop.storefrontURL,
            coPurchases: .stored(path: root.appendingPathComponent("derived/shopify-co-purchases.json").path),
            transport: FileTransport(root: root.appendingPathComponent("shopify").path, cachesResponses: false))
        let now = SyntheticShop.observedUntil
        print("win-back scan benchmark: \(shop) (\(ProcessInfo.processInfo.activeProcessorCount) cores visible)")

        // 1. Fit on a reservoir sample.
        let fitStart = Date()
        var (sample, seen) = try await client.reservoirSample(size: fitSample, seed: 1, now: now)
        let readSeconds = Date().timeIntervalSince(fitStart)
        let parameters = LifetimeParameters.fit(sample, at: now)
        let fitSeconds = Date().timeIntervalSince(fitStart) - readSeconds
        sample = []
        print(
            "fit: read \(seen) customers in \(Self.format(readSeconds)) s, fitted a sample of \(min(seen, fitSample)) in \(Self.format(fitSeconds)) s"
        )
        if let model = parameters.bgnbd {
            print(
                "  BG/NBD r=\(Self.format(model.r, 3)) alpha=\(Self.format(model.alpha, 3)) a=\(Self.format(model.a, 3)) b=\(Self.format(model.b, 3))"
            )
        }
        if let model = parameters.gammaGamma {
            print(
                "  Gamma-Gamma p=\(Self.format(model.p, 3)) q=\(Self.format(model.q, 3)) gamma=\(Self.format(model.gamma, 3))"
            )
        }
        if let truth = try? String(contentsOf: root.appendingPathComponent("synth.json"), encoding: .utf8) {
            let compact = truth.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined()
            print("  truth: \(compact)")
        }

        // 2. The scan, counting selections.
        let catalog = try await client.catalog()
        let categories = catalog.products.mapValues(\.category)
        let selector = WinBackSelector(
            criteria: WinBackCriteria(), scorer: LifetimeScorer(parameters: parameters), categories: categories)
        let scanStart = Date()
        let summary = try await WinBackScan(selector: selector, now: now, concurrency: 1).run(
            source: client, limiter: nil, recentlyEmailed: { _ in false }, record: { _ in },
            write: { _ in "counted" })
        let scanSeconds = Date().timeIntervalSince(scanStart)
        print(
            "scan: \(summary.scanned) customers scored in \(Self.format(scanSeconds)) s = \(Int(Double(summary.scanned) / scanSeconds)) customers/s; selected \(summary.selected)"
        )
        print(
            "  skipped: \(summary.skipped.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))"
        )
        print("  peak RSS so far: \(Self.peakRSSMiB()) MiB")

        // 3. Rate-limited writing through a simulated model.
        guard let rate else { return }
        var criteria = WinBackCriteria()
        criteria.maximumSelected = selected
        let limited = WinBackSelector(
            criteria: criteria, scorer: LifetimeScorer(parameters: parameters), categories: categories)
        let inFlight = concurrency ?? Int((rate * latency).rounded(.up)) + 2
        let burst = max(1, self.burst ?? rate * 0.05)
        let bucket = TokenBucket(rate: rate, burst: burst)
        let latency = self.latency
        let calls = Mutex(0)
        let start = Date()
        let written = try await WinBackScan(selector: limited, now: now, concurrency: inFlight).run(
            source: client, limiter: bucket, recentlyEmailed: { _ in false }, record: { _ in },
            write: { _ in
                try await Task.sleep(nanoseconds: UInt64(latency * 1e9))
                calls.withLock { $0 += 1 }
                return "sent"
            })
        let wall = Date().timeIntervalSince(start)
        let bound = Double(written.selected) / rate
        print(
            "rate: \(written.selected) written at R=\(Self.format(rate)) /s (burst \(Self.format(burst, 0))) with \(Self.format(latency)) s a call, \(inFlight) in flight: wall \(Self.format(wall)) s vs N/R bound \(Self.format(bound)) s (\(Self.format((wall / bound - 1) * 100, 1))% over); \(calls.withLock { $0 }) calls"
        )
        print("  peak RSS: \(Self.peakRSSMiB()) MiB")
    }

    static func format(_ value: Double, _ digits: Int = 2) -> String {
        String(format: "%.\(digits)f", value)
    }

    /// The process's peak resident set, from getrusage (kilobytes on Linux).
    static func peakRSSMiB() -> String {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return format(Double(usage.ru_maxrss) / 1024, 1)
    }
}
