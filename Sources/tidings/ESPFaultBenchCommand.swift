import ArgumentParser
import Foundation
import TidingsCore
import TidingsDevKit
import TidingsRuntime

/// `tidings bench esp-faults`: issue 12's fault run (docs/BENCHMARKS.md, "Email service under
/// injected faults"). Distinct cart events through the pipeline and the production Klaviyo
/// service against the loopback fake with a share of faults, then the failed ones replayed with
/// faults off; prints the figures and fails when a check does not hold.
struct ESPFaultBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "esp-faults",
        abstract: "Run distinct events through Klaviyo with injected upstream faults and check that none is lost.",
        discussion: """
            Starts Tests/Fixtures/fakes/klaviyo-fake.py (python3) with Retry-After --retry-after and hangs \
            of --hang seconds. Pass 1: --events cart events (each its own cart and event id), --concurrency \
            in flight, every request answered with a fault with probability --fault-rate, drawn evenly from \
            429 (Retry-After), 500, 503, a reset before handling, a reset after handling (the event recorded, \
            the answer lost) and a hang past --timeout. Pass 2: the events that failed, faults off. Checks: \
            the audit verifies; each handling has one terminal record and each event one `sent`; pass 1 \
            failures are retryable delivery failures only; no request took more than 1 + --max-retries attempts; the fake \
            found every request valid and recorded each unique_id once. Run from the repository root.
            """)

    @Option(help: "Distinct events.")
    var events = 1000

    @Option(help: "Share of requests answered with a fault in pass 1.")
    var faultRate = 0.2

    @Option(help: "Events in flight at once.")
    var concurrency = 8

    @Option(help: "Seconds one HTTP exchange may take (KLAVIYO_TIMEOUT_SECONDS).")
    var timeout = 2.0

    @Option(help: "Retry-After seconds of the fake's 429s.")
    var retryAfter = 1

    @Option(help: "Seconds a hanging request hangs.")
    var hang = 10

    @Option(help: "The fake's random seed.")
    var seed = 7

    @Option(help: "Retries after a request's first attempt (production: 3).")
    var maxRetries = 3

    func run() async throws {
        let root = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let fake = try ModelFakeProcess(
            script: root.appendingPathComponent("Tests/Fixtures/fakes/klaviyo-fake.py"),
            arguments: ["--retry-after", "\(retryAfter)", "--hang", "\(hang)"])
        defer { fake.stop() }
        let scratch = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
            "tidings-esp-faults-\(getpid())")
        defer { try? FileManager.default.removeItem(at: scratch) }
        var options = ESPFaultRun.Options(root: root)
        options.events = events
        options.faultRate = faultRate
        options.concurrency = concurrency
        options.timeout = timeout
        options.seed = seed
        options.policy = RetryPolicy(maxRetries: maxRetries)
        print(
            "Klaviyo under injected faults: \(events) events, fault rate \(faultRate), \(concurrency) in flight, "
                + "timeout \(timeout) s, Retry-After \(retryAfter) s, \(maxRetries) retries (\(ProcessInfo.processInfo.activeProcessorCount) cores visible)"
        )
        let figures = try await ESPFaultRun.run(
            baseURL: fake.root, key: "pk_tidings_test", data: scratch, options: options,
            makeTransport: { FunctionEnvironment.curlTransport(name: "klaviyo", timeout: $0) })
        for line in figures.lines { print(line) }
        if !figures.problems.isEmpty { throw ExitCode(1) }
    }
}
