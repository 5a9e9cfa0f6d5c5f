import ArgumentParser
import Foundation
import Logging
import TidingsCore
import TidingsDevKit
import TidingsHTTP
import TidingsRuntime

/// `tidings state ...` (hidden, for tests and benchmarks): claims on the state store the functions
/// would use (`TIDINGS_STATE`, docs/decisions/state-store.md), from a process of its own, so tests
/// can race real processes against one SQLite file.
struct StateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state", abstract: "Claim keys on the state store, or time claims (for tests).",
        shouldDisplay: false, subcommands: [Claim.self, Bench.self])

    /// The store `TIDINGS_STATE` names, SQLite under `dataDir`.
    static func store(dataDir: String?) throws -> any StateStore {
        let environment = ProcessInfo.processInfo.environment
        let folder = URL(fileURLWithPath: dataDir ?? environment["TIDINGS_DATA_DIR"] ?? ".tidings")
        return try StateSettings.load(environment: environment).makeStore(dataFolder: folder) {
            CurlTransport(CurlTransport.Configuration(name: "dynamodb"))
        }
    }

    /// `tidings state claim KEY...`: claims each key (for `--rounds` rounds), completing each one
    /// it claims with the owner as the result unless `--no-complete`; prints one line per attempt:
    /// `KEY claimed`, `KEY claimed took-over-from OWNER`, `KEY held-by OWNER` or `KEY completed RESULT`.
    struct Claim: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Claim keys and print what each claim found.")

        @Argument(help: "The keys.")
        var keys: [String]

        @Option(help: "Who claims (default: pid-<process id>).")
        var owner: String?

        @Option(help: "Seconds the lease lasts.")
        var leaseSeconds: Double = 30

        @Option(help: "How many times to go over the keys.")
        var rounds: Int = 1

        @Flag(help: "Hold the claims: do not complete them.")
        var noComplete = false

        @Option(help: "The data folder (default: $TIDINGS_DATA_DIR or .tidings).")
        var dataDir: String?

        func run() async throws {
            let store = try StateCommand.store(dataDir: dataDir)
            let owner = self.owner ?? "pid-\(getpid())"
            for _ in 0..<max(1, rounds) {
                for key in keys {
                    let now = Date()
                    let line: String
                    switch try await store.claim(key, owner: owner, leaseUntil: now + leaseSeconds, now: now) {
                    case .claimed(let previous):
                        if !noComplete {
                            try await store.complete(key, owner: owner, result: owner, expiresAt: now + 86_400)
                        }
                        line = previous.map { "claimed took-over-from \($0)" } ?? "claimed"
                    case .heldBy(let holder, _): line = "held-by \(holder)"
                    case .completed(let result): line = "completed \(result)"
                    }
                    print("\(key) \(line)")
                }
            }
        }
    }

    /// `tidings state bench`: times claim + complete on fresh keys and prints median and p99.
    struct Bench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Time claim + complete on the state store.")

        @Option(help: "How many keys to claim and complete.")
        var count: Int = 2_000

        @Option(help: "The data folder (default: $TIDINGS_DATA_DIR or .tidings).")
        var dataDir: String?

        @Option(
            help: """
                Instead, handle this many distinct cart events (sends) through the cartAbandoned \
                pipeline in this process, on the embedded stages and the store TIDINGS_STATE names, \
                and print what the claim adds per event next to the event's whole time.
                """)
        var pipeline: Int?

        func run() async throws {
            if let pipeline {
                return try await runPipeline(count: max(1, pipeline))
            }
            let store = try StateCommand.store(dataDir: dataDir)
            let report = try await StateStoreBenchmark.run(store, count: max(1, count), prefix: "bench:\(UUID())")
            print(
                String(
                    format: "%d claim+complete: median %.1f µs, p99 %.1f µs, max %.1f µs", report.count, report.median,
                    report.p99, report.max))
        }

        /// The recorded cart each pipeline event is a copy of (with its own event and cart id).
        static let event = "Events/cartAbandoned/canonical-returning-customer.json"

        func runPipeline(count: Int) async throws {
            var environment = ProcessInfo.processInfo.environment
            environment["TIDINGS_DATA_DIR"] = dataDir ?? environment["TIDINGS_DATA_DIR"] ?? ".tidings"
            let configuration = try Configuration.load(environment: environment)
            let kind = FlowKind.cartAbandoned
            guard let flow = Flow.named(kind, configuration) else {
                throw ValidationError("cartAbandoned is not implemented in this build")
            }
            let body = Array(try Data(contentsOf: URL(fileURLWithPath: Self.event)))
            var logger = Logger(label: "bench")
            logger.logLevel = .critical
            let due = Replayer(configuration: configuration, logger: logger)
                .replayTime(body, delay: configuration.settings(for: kind).delay)
            var stages = try FunctionEnvironment.embeddedStages(
                function: kind, configuration: configuration, clock: FixedClock(due))
            let timing = ClaimTimingStore(stages.state)
            stages.state = timing
            let pipeline = try Pipeline(flow: flow, configuration: configuration, stages: stages)
            // Each delivery is its own event about its own cart, so each one is claimed fresh and sent.
            let event = try EventDecoder().decode(InboundDelivery(body: body))
            let text = String(decoding: body, as: UTF8.self)
            let run = UUID().uuidString.prefix(8)
            let deliveries = (0...count).map { index in
                let unique = text.replacingOccurrences(
                    of: "\"\(event.subject.id)\"", with: "\"\(event.subject.id)-\(run)-\(index)\""
                ).replacingOccurrences(of: "\"\(event.id)\"", with: "\"\(event.id)-\(run)-\(index)\"")
                return InboundDelivery(body: Array(unique.utf8))
            }
            // The first event opens the store and warms the caches: not timed.
            _ = await pipeline.handle(deliveries[0], correlationID: "warmup", logger: logger)
            let report = await StateStoreBenchmark.pipeline(
                pipeline, timing: timing, deliveries: Array(deliveries.dropFirst()), logger: logger)
            let outcomes = report.outcomes.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " ")
            print(
                String(
                    format:
                        "%d events (%@): claim median %.1f µs, p99 %.1f µs; whole event median %.1f µs, p99 %.1f µs",
                    report.count, outcomes, report.claimMedian, report.claimP99, report.eventMedian, report.eventP99))
        }
    }
}
