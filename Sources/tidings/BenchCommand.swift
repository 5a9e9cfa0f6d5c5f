import ArgumentParser
import Foundation
import Logging
import TidingsCore
import TidingsDevKit
import TidingsRuntime

#if canImport(Glibc)
    import Glibc
#endif

/// `tidings bench`: prints the figures docs/BENCHMARKS.md records. Figures, not pass/fail: the
/// machine is shared and noisy, so compare ratios measured in one run.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure pipeline throughput, handler cold start against a hello-world binary, and the audit log.",
        discussion: """
            Build the binaries the way the container image does first (the command checks they are there \
            before it starts):

              swift build -c release --static-swift-stdlib --product cartAbandoned
              swift build -c release --static-swift-stdlib --product orderCreated
              swift build -c release --static-swift-stdlib --product orderCancelled
              swift build -c release --static-swift-stdlib --product hello-baseline

            `tidings bench winback` measures the win-back scan; `tidings bench models` a hosted model over HTTP; \
            `tidings bench dispatch` the outbox dispatcher; `tidings bench esp-faults` an email service under injected faults; \
            `tidings bench shopify-bulk` the Shopify bulk-export reader; \
            `tidings bench serve-webhooks` the webhook receiver of `tidings serve`.
            """,
        subcommands: [
            WinBackBenchCommand.self, InvocationBenchCommand.self, ModelBenchCommand.self, DispatchBenchCommand.self,
            ESPFaultBenchCommand.self, ShopifyBulkBenchCommand.self, ServeWebhooksBenchCommand.self,
        ])

    @Option(help: "Events for the in-process throughput run.")
    var events = 5000

    @Option(help: "Cold starts per binary.")
    var runs = 30

    @Option(help: "Audit records for the append/verify run.")
    var auditRecords = 200_000

    @Option(help: "The folder holding the handler binaries and hello-baseline, built as above.")
    var binaries = ".build/release"

    @Option(help: "The handlers to measure, comma-separated.")
    var handlers = "cartAbandoned,orderCreated,orderCancelled"

    /// The recorded event each handler runs: one that ends in a send, so every run takes the whole path.
    static let events: [FlowKind: String] = [
        .cartAbandoned: "Events/cartAbandoned/canonical-returning-customer.json",
        .orderCreated: "Events/orderCreated/canonical-order-created.json",
        .orderCancelled: "Events/orderCancelled/canonical-order-cancelled.json",
    ]

    func run() async throws {
        let scratch = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("tidings-bench-\(getpid())")
        defer { try? FileManager.default.removeItem(at: scratch) }
        // Check every binary before the first measurement, not minutes into the run.
        var missing: [String] = []
        for name in handlers.split(separator: ",").map(String.init) + ["hello-baseline"] {
            let path = URL(fileURLWithPath: binaries).appendingPathComponent(name).path
            if !FileManager.default.isExecutableFile(atPath: path) { missing.append(path) }
        }
        guard missing.isEmpty else {
            throw ValidationError(
                "no release binary at \(missing.joined(separator: ", ")): build them first "
                    + "(swift build -c release --static-swift-stdlib --product <name>) or pass --binaries")
        }
        let configuration = try Configuration.load(environment: ProcessInfo.processInfo.environment)
        print("Tidings benchmarks (\(ProcessInfo.processInfo.activeProcessorCount) cores visible)")
        for name in handlers.split(separator: ",") {
            guard let kind = FlowKind(rawValue: String(name)), let event = Self.events[kind] else {
                throw ValidationError("no benchmark event for handler '\(name)'")
            }
            let body = Array(try Data(contentsOf: URL(fileURLWithPath: event)))
            // Every run happens when the event is due, as a replay would handle it, so each one takes
            // the same path (a send) whatever today's date.
            let due = Replayer(configuration: configuration, logger: Logger(label: "bench"))
                .replayTime(body, delay: configuration.settings(for: kind).delay)
            print("\n\(kind.rawValue), event: \(event)")
            let bench = HandlerBench(kind: kind, event: event, body: body, due: due)
            try await throughput(bench, scratch: scratch.appendingPathComponent("\(kind)-pipeline"), sinks: .files)
            try await throughput(bench, scratch: scratch.appendingPathComponent("\(kind)-memory"), sinks: .memory)
            try coldStart(bench, scratch: scratch.appendingPathComponent("\(kind)-cold"))
            try runtimeLoop(bench, scratch: scratch.appendingPathComponent("\(kind)-loop"))
        }
        print("")
        let audit = try AuditBenchmark.run(
            records: auditRecords, directory: scratch.appendingPathComponent("audit"),
            key: configuration.auditKey.map(AuditKey.init))
        print("audit (\(configuration.auditKey == nil ? "SHA-256" : "HMAC-SHA256, TIDINGS_AUDIT_KEY")):")
        print("audit: \(audit.records) records appended at \(Int(audit.appendPerSecond)) records/s (target ≥ 100,000)")
        print("audit: verified at \(Int(audit.verifyPerSecond)) records/s (target ≥ 500,000, i.e. 1,000,000 in 2 s)")
    }

    /// Where the pipeline's output goes in a throughput run.
    enum Sinks: String {
        /// The embedded defaults: .eml files in the outbox, JSONL audit files.
        case files = "outbox and audit files"
        /// The same stages with the outbox, review queue and audit in memory: the compute alone.
        case memory = "in-memory outbox and audit"
    }

    /// One handler's benchmark: its flow, recorded event and when that event is due.
    struct HandlerBench {
        var kind: FlowKind
        var event: String
        var body: [UInt8]
        var due: Date
    }

    /// Events a second through the whole pipeline in this process, on one task (one core).
    func throughput(_ bench: HandlerBench, scratch: URL, sinks: Sinks) async throws {
        var environment = ProcessInfo.processInfo.environment
        environment["TIDINGS_DATA_DIR"] = scratch.path
        let configuration = try Configuration.load(environment: environment)
        guard let flow = Flow.named(bench.kind, configuration) else {
            throw ValidationError("\(bench.kind.rawValue) is not implemented in this build")
        }
        let body = bench.body
        let event = try EventDecoder().decode(InboundDelivery(body: body))
        var stages = try FunctionEnvironment.embeddedStages(
            function: bench.kind, configuration: configuration, clock: FixedClock(bench.due))
        if sinks == .memory {
            stages.email = RecordingEmailService()
            stages.review = RecordingReviewQueue()
            stages.audit = InMemoryAuditLog()
            stages.content = InMemoryContentStore()
        }
        let pipeline = try Pipeline(flow: flow, configuration: configuration, stages: stages)
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        // Each delivery is its own event about its own cart or order, as distinct ones would be, so
        // none is a duplicate and none is the second answer for the same cart or order.
        let text = String(decoding: body, as: UTF8.self)
        let deliveries = (0..<events).map { index in
            let unique = text.replacingOccurrences(
                of: "\"\(event.subject.id)\"", with: "\"\(event.subject.id)-\(index)\""
            ).replacingOccurrences(of: "\"\(event.id)\"", with: "\"\(event.id)-\(index)\"")
            return InboundDelivery(body: Array(unique.utf8), headers: ["x-tidings-event-id": "bench-\(index)"])
        }
        _ = await pipeline.handle(deliveries[0], correlationID: "warmup", logger: logger)
        var outcomes: [Outcome: Int] = [:]
        let start = ContinuousClock.now
        for delivery in deliveries.dropFirst() {
            let report = await pipeline.handle(delivery, correlationID: "bench", logger: logger)
            outcomes[report.outcome, default: 0] += 1
        }
        let seconds = (ContinuousClock.now - start).seconds
        let rate = Double(events - 1) / seconds
        let summary = outcomes.map { "\($0.key.rawValue)=\($0.value)" }.sorted().joined(separator: " ")
        print(
            "pipeline (\(sinks.rawValue)): \(events - 1) events in \(String(format: "%.2f", seconds)) s"
                + " = \(Int(rate)) events/s on one task (target ≥ 20,000); \(summary)")
    }

    /// Exec to exit of the handler on the recorded event, against a hello-world binary.
    func coldStart(_ bench: HandlerBench, scratch: URL) throws {
        let baseline = binaries + "/hello-baseline"
        let handler = binaries + "/" + bench.kind.rawValue
        let event = bench.event
        let due = bench.due
        for binary in [baseline, handler] where !FileManager.default.isExecutableFile(atPath: binary) {
            throw ValidationError(
                "\(binary) is not built; see tidings bench --help")
        }
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        var environment = ProcessInfo.processInfo.environment
        environment["TIDINGS_LOG_LEVEL"] = "error"
        environment["TIDINGS_NOW"] = Timestamp.format(due)
        let base = try measure(baseline, stdin: event, runs: runs, environment: environment, scratch: scratch)
        let handled = try measure(handler, stdin: event, runs: runs, environment: environment, scratch: scratch)
        print(
            "cold start: hello-baseline median \(format(base.median)) ms, peak RSS \(format(Double(base.peakKiB) / 1024)) MiB"
        )
        print(
            "cold start: \(bench.kind.rawValue) median \(format(handled.median)) ms, peak RSS \(format(Double(handled.peakKiB) / 1024)) MiB"
                + " (exit \(handled.lastStatus))")
        print("cold start: ratio \(String(format: "%.2f", handled.median / base.median))x (target ≤ 2x, RSS ≤ 32 MiB)")
    }

    /// The Lambda path: the handler against the loopback Runtime API. Time from process start to
    /// the first posted response (median of `runs` fresh processes), then warm invocations a
    /// second through the loop in one process, each its own cart.
    func runtimeLoop(_ bench: HandlerBench, scratch: URL) throws {
        let body = bench.body
        let due = bench.due
        let handler = binaries + "/" + bench.kind.rawValue
        var environment = ProcessInfo.processInfo.environment
        environment["TIDINGS_LOG_LEVEL"] = "error"
        environment["TIDINGS_NOW"] = Timestamp.format(due)
        let binary = URL(fileURLWithPath: handler)
        let event = try EventDecoder().decode(InboundDelivery(body: body))
        let text = String(decoding: body, as: UTF8.self)
        // Its own cart or order and its own event id (a recorded delivery carries the id header),
        // as in the throughput run, so no invocation is a duplicate.
        func unique(_ index: Int) -> [UInt8] {
            let body = text.replacingOccurrences(
                of: "\"\(event.subject.id)\"", with: "\"\(event.subject.id)-loop-\(index)\""
            )
            .replacingOccurrences(of: "\"\(event.id)\"", with: "\"loop-\(index)\"")
            return Array(#"{"headers": {"X-Tidings-Event-Id": "loop-\#(index)"}, "body": \#(body)}"#.utf8)
        }
        var firsts: [Double] = []
        for run in 0..<runs {
            let api = try RuntimeAPIEmulator()
            api.enqueue(.init(body: unique(run)))
            var env = environment
            env["TIDINGS_DATA_DIR"] = scratch.appendingPathComponent("first-\(run)").path
            env["AWS_LAMBDA_RUNTIME_API"] = api.address
            let start = ContinuousClock.now
            let process = try Self.startQuietly(binary, environment: env)
            _ = api.waitForPosts(1, timeout: 30)
            firsts.append((ContinuousClock.now - start).seconds * 1000)
            process.terminate()
            process.waitUntilExit()
            api.stop()
        }
        firsts.sort()
        print(
            "runtime loop: \(bench.kind.rawValue) first response \(format(firsts[firsts.count / 2])) ms after process start (median of \(runs))"
        )

        let api = try RuntimeAPIEmulator()
        for index in 0..<events { api.enqueue(.init(body: unique(1_000_000 + index))) }
        var env = environment
        env["TIDINGS_DATA_DIR"] = scratch.appendingPathComponent("warm").path
        env["AWS_LAMBDA_RUNTIME_API"] = api.address
        let process = try Self.startQuietly(binary, environment: env)
        _ = api.waitForPosts(1, timeout: 30)
        let start = ContinuousClock.now
        let posts = api.waitForPosts(events, timeout: 600)
        let seconds = (ContinuousClock.now - start).seconds
        process.terminate()
        process.waitUntilExit()
        api.stop()
        let outcomes = Dictionary(grouping: posts) { post in
            (try? JSONParser.parse(post.body).objectValue?["outcome"]?.stringValue) ?? post.kind
        }
        let summary = outcomes.map { "\($0.key)=\($0.value.count)" }.sorted().joined(separator: " ")
        print(
            "runtime loop: \(bench.kind.rawValue) \(posts.count - 1) warm invocations in \(format(seconds)) s = "
                + "\(Int(Double(posts.count - 1) / seconds)) invocations/s (one at a time); \(summary)")
    }

    struct Timing {
        var median: Double
        var peakKiB: Int
        var lastStatus: Int32
    }

    func measure(_ binary: String, stdin: String, runs: Int, environment: [String: String], scratch: URL) throws
        -> Timing
    {
        var times: [Double] = []
        var status: Int32 = 0
        let name = URL(fileURLWithPath: binary).lastPathComponent
        for run in 0..<runs {
            var env = environment
            env["TIDINGS_DATA_DIR"] = scratch.appendingPathComponent("\(name)-\(run)").path
            let result = try spawnAndWait(binary, arguments: [], stdinPath: stdin, environment: env)
            times.append(result.milliseconds)
            status = result.status
        }
        times.sort()
        var env = environment
        env["TIDINGS_DATA_DIR"] = scratch.appendingPathComponent("\(name)-rss").path
        return Timing(
            median: times[times.count / 2],
            peakKiB: try peakRSS(binary, stdin: stdin, environment: env, scratch: scratch),
            lastStatus: status)
    }

    /// Peak RSS in KiB through /usr/bin/time: it forks (not vforks) the binary, so the figure is
    /// the binary's own. A child spawned straight from this process would inherit this process's
    /// high-water mark at exec and report that instead.
    func peakRSS(_ binary: String, stdin: String, environment: [String: String], scratch: URL) throws -> Int {
        let time = "/usr/bin/time"
        guard FileManager.default.isExecutableFile(atPath: time) else { return -1 }
        let report = scratch.appendingPathComponent("rss-\(UUID().uuidString)").path
        _ = try spawnAndWait(
            time, arguments: ["-f", "%M", "-o", report, binary], stdinPath: stdin, environment: environment)
        let text = (try? String(contentsOfFile: report, encoding: .utf8)) ?? ""
        return Int(text.split(separator: "\n").last.map(String.init) ?? "") ?? -1
    }

    /// Starts a handler with its output discarded (the Runtime API carries its answers).
    static func startQuietly(_ binary: URL, environment: [String: String]) throws -> Process {
        let process = Process()
        process.executableURL = binary
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    func format(_ value: Double) -> String { String(format: "%.2f", value) }

    /// posix_spawn + waitpid: the figure is exec to exit.
    func spawnAndWait(_ path: String, arguments: [String], stdinPath: String, environment: [String: String]) throws
        -> (milliseconds: Double, status: Int32)
    {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdinPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let start = ContinuousClock.now
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, envp)
        guard spawned == 0 else { throw ValidationError("cannot start \(path): errno \(spawned)") }
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
        let elapsed = (ContinuousClock.now - start).seconds * 1000
        return (elapsed, (status >> 8) & 0xff)
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
