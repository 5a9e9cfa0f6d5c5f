import ArgumentParser
import Foundation
import Logging
import TidingsCore
import TidingsDevKit
import TidingsRuntime

/// `tidings bench models`: hosted-model figures over the production path (docs/BENCHMARKS.md
/// records them). Every email goes through the handler a deployment builds from its environment
/// (`FunctionEnvironment.handler`): the real writer on libcurl with bounded retries, under
/// ModelGovernance, with the whole pipeline behind it; the model is the loopback fake.
struct ModelBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract:
            "Measure emails a second with a hosted model at N calls in flight, the win-back scan against N/R, and tokens and cost per email.",
        discussion: """
            Starts Tests/Fixtures/fakes/model-fake.py (python3 with jsonschema) once per phase, so that its \
            max-in-flight figure is that phase's, unless --base-url names a server already running. Phases:

            1. in flight: a win-back scan over a synthetic base (written with `tidings synth`'s generator \
            unless --shop is given) with the event's `concurrency` at each --in-flight value and no rate \
            limit, `max_selected` = max(12, --rounds × N); the fake answers each call after a uniform \
            --latency-ms (default 1000-2000, i.e. 1.5 s ± 0.5 s). Prints emails a second against the \
            ideal N / mean latency, and the fake's max in flight. First the same scan with the offline \
            copywriter: the pipeline's own time for that scan.

            2. rate: the same scan with `rate_per_second` = --rate and concurrency 32, --rate-emails \
            selected: wall time against the N/R bound.

            3. tokens: --token-events events of each flow (cartAbandoned, orderCreated's steps, \
            orderCancelled, a win-back scan) per provider, the fake answering at once and its prompt cache \
            warmed by one event of each flow first (printed as cold); tokens per email from the audit's \
            generate records, request bytes from the content store, and cost per 1,000 emails from the \
            price table in --prices (the config file's models.prices), by the model the fake says \
            answered (gpt-5-mini for openai, claude-haiku-4-5 for anthropic).

            Run from the repository root (the recorded shop and events are read from Events/).
            """)

    @Option(help: "The writer of phases 1 and 2: openai, anthropic or openai-compatible.")
    var provider = "openai"

    @Option(help: "Providers of phase 3, comma-separated.")
    var tokenProviders = "openai,anthropic"

    @Option(help: "A model server already running (the OpenAI /v1 URL, or Anthropic's root); default: start the fake.")
    var baseURL: String?

    @Option(help: "Model calls in flight in phase 1, comma-separated.")
    var inFlight = "1,8,32"

    @Option(help: "Emails per in-flight slot in phase 1 (at least 12 emails per run).")
    var rounds = 6

    @Option(help: "The fake's answer time in milliseconds: A-B (uniform) or A.")
    var latencyMs = "1000-2000"

    @Option(help: "rate_per_second of phase 2's scan (0 skips the phase).")
    var rate = 8.0

    @Option(help: "Emails selected in phase 2.")
    var rateEmails = 80

    @Option(help: "Events of each flow in phase 3 (0 skips the phase).")
    var tokenEvents = 5

    @Option(help: "A customer base from `tidings synth`; default: 20,000 customers written to a scratch folder.")
    var shop: String?

    @Option(help: "The config file whose models.prices prices phase 3.")
    var prices = "Benchmarks/model-prices.json"

    @Option(help: "The model fake's script.")
    var fake = "Tests/Fixtures/fakes/model-fake.py"

    @Flag(
        help: "Keep the scratch folder (data folders with their audits, for `tidings audit show`) and print its path.")
    var keep = false

    func run() async throws {
        guard let writer = ModelSettings.Provider(rawValue: provider), writer != .offline else {
            throw ValidationError("--provider: '\(provider)' is not openai, anthropic or openai-compatible")
        }
        let levels = inFlight.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !levels.isEmpty, levels.allSatisfy({ (1...256).contains($0) }) else {
            throw ValidationError("--in-flight: expected numbers from 1 to 256 separated by commas")
        }
        let bounds = latencyMs.split(separator: "-").compactMap { Double($0) }
        guard (1...2).contains(bounds.count), bounds.allSatisfy({ $0 >= 0 }), bounds.first! <= bounds.last! else {
            throw ValidationError("--latency-ms: expected A or A-B in milliseconds, A ≤ B")
        }
        let meanLatency = (bounds.first! + bounds.last!) / 2000
        let slowStep = "slow" + bounds.map { String(Int($0)) }.joined(separator: "-")
        let cwd = FileManager.default.currentDirectoryPath
        let scratch = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
            "tidings-bench-models-\(getpid())")
        defer {
            if keep {
                print("scratch kept: \(scratch.path)")
            } else {
                try? FileManager.default.removeItem(at: scratch)
            }
        }
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)

        var load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?"
        load = load.split(separator: " ").prefix(3).joined(separator: " ")
        print(
            "model benchmarks: \(ProcessInfo.processInfo.activeProcessorCount) cores visible, load average \(load)"
        )

        let base: String
        if let shop {
            base = shop
        } else {
            base = scratch.appendingPathComponent("shop").path
            let written = try SyntheticShop(customers: 20_000, seed: 3).write(to: base)
            print("customer base: \(written.customers) synthetic customers, \(written.orders) orders (seed 3)")
        }
        let bench = Bench(
            scratch: scratch, base: base, prices: URL(fileURLWithPath: prices, relativeTo: URL(fileURLWithPath: cwd)),
            fakeScript: URL(fileURLWithPath: fake, relativeTo: URL(fileURLWithPath: cwd)), baseURL: baseURL)

        // 1. Calls in flight, after the pipeline alone on the same scan. A first scan fits the
        // lifetime model and its parameters are copied into every later run's data folder, so
        // that no run below times a refit.
        let most = levels.max()!
        _ = try await bench.scan(
            "fit", provider: .offline, model: "", concurrency: 1, selected: 1, rate: nil)
        let parameters = scratch.appendingPathComponent("fit/data").appendingPathComponent(
            LifetimeParameters.relativePath)
        let offline = try await bench.scan(
            "offline", provider: .offline, model: "", concurrency: most, selected: max(12, rounds * most), rate: nil,
            parameters: parameters)
        print(
            "\n1. in flight: winBack scan over \(base), \(writer.rawValue) writer, fake answering in \(latencyMs) ms"
        )
        print(
            "  pipeline alone (offline copywriter), \(most) in flight: \(offline.emails) emails in \(f(offline.toLastEmail)) s"
                + " to the last = \(f(Double(offline.emails) / offline.toLastEmail, 1)) emails/s; scan wall \(f(offline.wall)) s"
        )
        for level in levels {
            let run = try await bench.scan(
                "inflight-\(level)", provider: writer, model: Bench.modelName(writer) + "@" + slowStep,
                concurrency: level, selected: max(12, rounds * level), rate: nil, parameters: parameters)
            let perSecond = Double(run.emails) / run.toLastEmail
            let ideal = Double(level) / meanLatency
            print(
                "  \(level) in flight: \(run.emails) emails (\(run.modelDrafts) model drafts) in \(f(run.toLastEmail)) s to the last = "
                    + "\(f(perSecond)) emails/s; ideal N/latency \(f(ideal)) → \(f(perSecond / ideal)) of ideal; "
                    + "fake max in flight \(run.maxInFlight.map(String.init) ?? "n/a"); scan wall \(f(run.wall)) s")
        }

        // 2. The rate limit as the bound.
        if rate > 0 {
            let run = try await bench.scan(
                "rate", provider: writer, model: Bench.modelName(writer) + "@" + slowStep, concurrency: 32,
                selected: rateEmails, rate: rate, parameters: parameters)
            let bound = Double(run.emails) / rate
            print(
                "\n2. rate: winBack scan, rate_per_second \(f(rate, 1)), concurrency 32, model over HTTP (\(latencyMs) ms)"
            )
            print(
                "  \(run.emails) emails in \(f(run.toLastEmail)) s to the last vs N/R bound \(f(bound)) s: "
                    + "\(f(run.toLastEmail / bound)) of the bound (\(f((run.toLastEmail / bound - 1) * 100, 1))% over); "
                    + "scan wall \(f(run.wall)) s; fake max in flight "
                    + "\(run.maxInFlight.map(String.init) ?? "n/a") (R × latency ≈ \(f(rate * meanLatency, 1)))")
        }

        // 3. Tokens and cost per email, per flow.
        guard tokenEvents > 0 else { return }
        let providers = tokenProviders.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        for name in providers {
            guard let tokenWriter = ModelSettings.Provider(rawValue: name), tokenWriter != .offline else {
                throw ValidationError("--token-providers: '\(name)' is not openai, anthropic or openai-compatible")
            }
            let (cold, warm) = try await bench.tokens(provider: tokenWriter, events: tokenEvents)
            let table = try Configuration.load(environment: ["TIDINGS_CONFIG_FILE": bench.prices.path]).models
            print(
                "\n3. tokens, \(tokenWriter.rawValue) (model \(Bench.modelName(tokenWriter)); the fake's counts: bytes / 4)"
            )
            print(
                "  flow / step (warm: cache primed; cold: first call)  emails  input  cached  cache-write  output  request bytes (≈ tokens at 4 B)  USD per 1,000 emails (priced as; if nothing were cached)"
            )
            for (label, tally) in [("warm", warm), ("cold", cold)] {
                for row in tally.rows {
                    let use = row.perEmail
                    // The same calls with no prompt cache: every input token at the full rate.
                    let uncached = table.price(for: row.pricedAs.sorted()).map { _, price in
                        price.cost(
                            of: TokenUsage(
                                input: row.usage.input + row.usage.cachedInput + row.usage.cacheWrite,
                                output: row.usage.output)) * 1000 / Decimal(max(1, row.emails))
                    }
                    let name = "\(row.function) / \(row.step) (\(label))"
                    print(
                        "  \(name.padding(toLength: 50, withPad: " ", startingAt: 0)) \(pad(row.emails, 5)) \(pad(use.input, 6)) "
                            + "\(pad(use.cachedInput, 7)) \(pad(use.cacheWrite, 12)) \(pad(use.output, 7))  "
                            + "\(pad(row.requestBytesPerCall, 13)) (≈ \(row.requestBytesPerCall / 4))"
                            + "                  \(money(row.costPerThousandEmails)) (\(row.pricedAs.sorted().joined(separator: ", "))"
                            + "; \(uncached.map(money) ?? "n/a"))"
                    )
                }
            }
        }
        print("\nprices: \(prices) (models.prices; list prices as looked up 2026-12-07)")
    }

    func f(_ value: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", value) }
    func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: " ", count: max(0, width - text.count)) + text
    }
    func money(_ value: Decimal) -> String {
        String(format: "%.4f", NSDecimalNumber(decimal: value).doubleValue)
    }
}

/// The runs of `tidings bench models`: each a fresh data folder and a handler built from an
/// environment as a deployment's would be.
struct Bench {
    var scratch: URL
    var base: String
    var prices: URL
    var fakeScript: URL
    var baseURL: String?

    /// What one scan produced.
    struct ScanRun {
        /// Emails handed to the outbox or the review queue.
        var emails: Int
        /// Model calls that reported tokens (the offline copywriter reports none).
        var modelDrafts: Int
        /// Seconds from the invocation to its answer, the rest of the base read after the last selection included.
        var wall: Double
        /// Seconds from the invocation to the last email's hand-over.
        var toLastEmail: Double
        /// The fake's max in flight; nil with --base-url.
        var maxInFlight: Int?
    }

    /// The model name the fake is asked for: the price table's key, so that the audit prices each call.
    static func modelName(_ provider: ModelSettings.Provider) -> String {
        provider == .anthropic ? "claude-haiku-4-5" : "gpt-5-mini"
    }

    /// The environment of a handler writing with `provider` against `url` into `data`.
    func environment(provider: ModelSettings.Provider, model: String, url: String?, data: URL, now: Date)
        -> [String: String]
    {
        var environment = [
            "TIDINGS_DATA_DIR": data.path, "TIDINGS_CUSTOMER_BASE_DIR": base, "TIDINGS_NOW": Timestamp.format(now),
            "TIDINGS_CONFIG_FILE": prices.path, "TIDINGS_MODEL": provider.rawValue,
        ]
        let key = "bench-key-not-a-secret"
        switch provider {
        case .offline:
            break
        case .openAI, .openAICompatible:
            environment["OPENAI_BASE_URL"] = url
            environment["OPENAI_API_KEY"] = key
            environment["OPENAI_MODEL"] = model
        case .anthropic:
            environment["ANTHROPIC_BASE_URL"] = url
            environment["ANTHROPIC_API_KEY"] = key
            environment["ANTHROPIC_MODEL"] = model
        }
        return environment
    }

    /// A fake for one phase (nil with --base-url) and the URL the writer is given.
    func server(for provider: ModelSettings.Provider) throws -> (ModelFakeProcess?, String?) {
        if provider == .offline { return (nil, nil) }
        if let baseURL { return (nil, baseURL) }
        let fake = try ModelFakeProcess(script: fakeScript)
        return (fake, provider == .anthropic ? fake.root : fake.v1)
    }

    /// The handler of `function` on that environment; a bad one stops the benchmark naming the key.
    func handler(_ function: FlowKind, _ environment: [String: String]) throws -> InvocationHandler {
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        return try FunctionEnvironment.handler(function: function, environment: environment, logger: logger)
    }

    /// One win-back scan through the handler, timed from invocation to answer.
    func scan(
        _ name: String, provider: ModelSettings.Provider, model: String, concurrency: Int, selected: Int,
        rate: Double?, parameters: URL? = nil
    ) async throws -> ScanRun {
        let (fake, url) = try server(for: provider)
        defer { fake?.stop() }
        let data = scratch.appendingPathComponent(name).appendingPathComponent("data")
        if let parameters {
            let target = data.appendingPathComponent(LifetimeParameters.relativePath)
            try FileManager.default.createDirectory(
                at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: parameters, to: target)
        }
        var handler = try handler(
            .winBack,
            environment(provider: provider, model: model, url: url, data: data, now: Self.scanTime))
        let times = HandOverTimes()
        handler.pipeline.stages.email = TimedEmailService(handler.pipeline.stages.email, times: times)
        handler.pipeline.stages.review = TimedReviewQueue(handler.pipeline.stages.review, times: times)
        let event = Self.scanEvent(id: "bench:\(name)", concurrency: concurrency, selected: selected, rate: rate)
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        let start = ContinuousClock.now
        let answer = await handler.handle(event, deadline: nil, correlationID: name, logger: logger)
        let wall = (ContinuousClock.now - start).seconds
        let toLastEmail = times.last.map { ($0 - start).seconds } ?? wall
        if let report = answer.reports.first, report.outcome == .failed {
            throw ValidationError("the \(name) scan failed: \(report.reason ?? "no reason")")
        }
        let emails =
            Self.files(data.appendingPathComponent("outbox")) + Self.files(data.appendingPathComponent("review"))
        let tally = try ModelTokenTally.read(auditRoot: data.appendingPathComponent("audit"))
        return ScanRun(
            emails: emails, modelDrafts: tally.rows.reduce(0) { $0 + $1.calls }, wall: wall,
            toLastEmail: toLastEmail, maxInFlight: try fake?.maxInFlight())
    }

    /// Phase 3 for one provider: one event of each flow into a warm-up folder (the fake's prompt
    /// cache sees each flow's prefix first there), then `events` of each flow into the measured one.
    func tokens(provider: ModelSettings.Provider, events: Int) async throws -> (
        cold: ModelTokenTally, warm: ModelTokenTally
    ) {
        let (fake, url) = try server(for: provider)
        defer { fake?.stop() }
        let model = Self.modelName(provider)
        var tallies: [ModelTokenTally] = []
        for (phase, count) in [("cold", 1), ("warm", events)] {
            let data = scratch.appendingPathComponent("tokens-\(provider.rawValue)-\(phase)")
            for (function, file) in BenchCommand.events.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                let body = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
                let configuration = try Configuration.load(environment: ["TIDINGS_CONFIG_FILE": prices.path])
                let due = Replayer(configuration: configuration, logger: Logger(label: "bench"))
                    .replayTime(body, delay: configuration.settings(for: function).delay)
                let handler = try handler(
                    function, environment(provider: provider, model: model, url: url, data: data, now: due))
                let event = try EventDecoder().decode(InboundDelivery(body: body))
                let text = String(decoding: body, as: UTF8.self)
                for index in 0..<count {
                    // Each its own cart or order and event, so none is a duplicate of another.
                    let unique = text.replacingOccurrences(
                        of: "\"\(event.subject.id)\"", with: "\"\(event.subject.id)-\(phase)-\(index)\""
                    ).replacingOccurrences(of: "\"\(event.id)\"", with: "\"\(event.id)-\(phase)-\(index)\"")
                    var logger = Logger(label: "bench")
                    logger.logLevel = .critical
                    _ = await handler.handle(
                        Array(unique.utf8), deadline: nil, correlationID: "tokens", logger: logger)
                }
            }
            let handler = try handler(
                .winBack, environment(provider: provider, model: model, url: url, data: data, now: Self.scanTime))
            var logger = Logger(label: "bench")
            logger.logLevel = .critical
            _ = await handler.handle(
                Self.scanEvent(id: "bench:tokens-\(phase)", concurrency: 4, selected: count, rate: nil),
                deadline: nil, correlationID: "tokens", logger: logger)
            tallies.append(try ModelTokenTally.read(auditRoot: data.appendingPathComponent("audit")))
        }
        return (tallies[0], tallies[1])
    }

    /// When the scans run: the morning after the synthetic base's last day.
    static let scanTime = SyntheticShop.observedUntil.addingTimeInterval(6 * 3600)

    /// A `schedule.win_back` event with the criteria the recorded EventBridge schedule uses.
    static func scanEvent(id: String, concurrency: Int, selected: Int, rate: Double?) -> [UInt8] {
        let rateMember = rate.map { #", "rate_per_second": \#($0)"# } ?? ""
        return Array(
            #"""
            {"event": "schedule.win_back", "event_id": "\#(id)", "triggered_at": "\#(Timestamp.format(scanTime))",
             "source": "bench", "payload": {"criteria": {"p_alive_min": 0.05, "p_alive_max": 0.7, "min_clv": 20,
             "lapse_factor": 1.5, "quiet_days": 60, "max_selected": \#(selected), "concurrency": \#(concurrency)\#(rateMember)}}}
            """#.utf8)
    }

    /// The emails in an outbox or review folder (one `.eml` each; a review item also has its `.json`).
    static func files(_ folder: URL) -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".eml") }
            .count
    }
}
