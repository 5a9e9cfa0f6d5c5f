import Foundation
import Logging
import Synchronization
import TidingsCore
import TidingsRuntime

/// Issue 12's fault proof: many distinct cart events through the real pipeline and the production
/// Klaviyo service (libcurl under `RetryingTransport`), against the Klaviyo fake answering a share
/// of all requests with faults. A first pass with faults on, a second that replays the failed
/// events with faults off (what SQS's redelivery or a dead-letter replay does), then the checks:
/// one terminal outcome per handling and one final outcome per event in the audit, failures only
/// retryable delivery failures, attempts per request within 1 + max retries, every request valid,
/// and each unique_id recorded once by the fake. Used by `tidings bench esp-faults` (1,000 events)
/// and by the test suite (200).
package enum ESPFaultRun {
    /// What to run.
    package struct Options: Sendable {
        /// Distinct events (default 1,000).
        package var events = 1000
        /// Share of requests answered with a fault in the first pass (default 0.2).
        package var faultRate = 0.2
        /// The fault kinds the fake draws from, evenly (klaviyo-fake.py's names).
        package var kinds = ["429", "500", "503", "reset", "late-reset", "hang"]
        /// The fake's random seed.
        package var seed = 7
        /// Events in flight at once (default 8).
        package var concurrency = 8
        /// Seconds one HTTP exchange may take before it counts as a timeout (default 2).
        package var timeout: TimeInterval = 2
        /// The transport's retry policy (default: production's, 3 retries).
        package var policy = RetryPolicy()
        /// The recorded shop the events are enriched from.
        package var shopDirectory: URL
        /// The recorded cart event every generated one is a copy of (own cart, own event id).
        package var eventFile: URL

        /// Options with the defaults above, for a repository checked out at `root`.
        package init(root: URL) {
            shopDirectory = root.appendingPathComponent("Events/shop")
            eventFile = root.appendingPathComponent("Events/cartAbandoned/canonical-returning-customer.json")
        }
    }

    /// What a run found. The `problems` list is empty when every check held.
    package struct Figures: Sendable {
        package var events = 0
        /// First-pass outcomes by kind ("sent", "failed", ...).
        package var firstPass: [String: Int] = [:]
        /// Second-pass (replay) outcomes by kind.
        package var replay: [String: Int] = [:]
        /// How many events took n HTTP attempts in the first pass (two requests when sent).
        package var attemptsPerEvent: [Int: Int] = [:]
        /// The most attempts one request (one event's one path) took.
        package var maxAttemptsPerRequest = 0
        /// Attempts beyond the first of each request, both passes.
        package var retries = 0
        /// Requests the fake answered with a fault, by kind.
        package var faults: [String: Int] = [:]
        /// Requests the fake received.
        package var requests = 0
        /// Events the fake recorded; unique_ids that arrived more than once (deduplicated).
        package var recorded = 0
        package var deduplicated = 0
        /// Wall time of each pass in seconds.
        package var firstPassSeconds = 0.0
        package var replaySeconds = 0.0
        /// Audit records verified.
        package var auditRecords = 0
        /// Every broken check, in words.
        package var problems: [String] = []

        /// The figures as lines for a terminal.
        package var lines: [String] {
            func counts<Key: Comparable>(_ values: [Key: Int]) -> String {
                values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            }
            return [
                "events: \(events)",
                "first pass (faults on): \(counts(firstPass)) in \(String(format: "%.1f", firstPassSeconds)) s",
                "faults injected: \(counts(faults)) of \(requests) requests",
                "replay of the failed (faults off): \(replay.isEmpty ? "none" : counts(replay)) in \(String(format: "%.1f", replaySeconds)) s",
                "HTTP attempts per event, first pass: \(counts(attemptsPerEvent))",
                "most attempts for one request: \(maxAttemptsPerRequest); retries in all: \(retries)",
                "Klaviyo fake: \(recorded) events recorded, \(deduplicated) unique_ids arrived more than once and were kept once",
                "audit: \(auditRecords) records verified",
                problems.isEmpty ? "all checks held" : "PROBLEMS:\n  " + problems.joined(separator: "\n  "),
            ]
        }
    }

    /// Counts attempts by the event of the task that sends them (`event`), and by path.
    final class AttemptLedger: HTTPTransport, Sendable {
        @TaskLocal static var event: String?
        let inner: any HTTPTransport
        let counts = Mutex<[String: [String: Int]]>([:])

        init(_ inner: any HTTPTransport) { self.inner = inner }

        func send(_ request: TransportRequest) async throws -> TransportResponse {
            if let event = Self.event {
                let path = URLComponents(string: request.url)?.path ?? request.url
                counts.withLock { $0[event, default: [:]][path, default: 0] += 1 }
            }
            return try await inner.send(request)
        }

        /// Takes the counts so far and starts again.
        func drain() -> [String: [String: Int]] {
            counts.withLock { counts in
                defer { counts = [:] }; return counts
            }
        }
    }

    /// Runs both passes against the fake at `baseURL` (which accepts `key`), with the pipeline's
    /// data under `data`. `makeTransport(timeout)` gives one bare attempt-per-send transport.
    package static func run(
        baseURL: String, key: String, data: URL, options: Options,
        makeTransport: (TimeInterval) -> any HTTPTransport
    ) async throws -> Figures {
        var figures = Figures(events: options.events)
        let control = makeTransport(10)
        let environment = [
            "TIDINGS_DATA_DIR": data.path, "TIDINGS_SHOP_DIR": options.shopDirectory.path,
            "TIDINGS_LOG_LEVEL": "critical",
        ]
        let configuration = try Configuration.load(environment: environment)
        guard let flow = Flow.named(.cartAbandoned, configuration) else { throw FaultRunError("no cartAbandoned flow") }
        let body = Array(try Data(contentsOf: options.eventFile))
        var logger = Logger(label: "esp-faults")
        logger.logLevel = .critical
        let due = Replayer(configuration: configuration, logger: logger)
            .replayTime(body, delay: configuration.settings(for: .cartAbandoned).delay)
        var stages = try FunctionEnvironment.embeddedStages(
            function: .cartAbandoned, configuration: configuration, clock: FixedClock(due))
        let ledger = AttemptLedger(makeTransport(options.timeout))
        let service = KlaviyoEmailService(
            baseURL: baseURL, apiKey: Secret(key), transport: RetryingTransport(ledger, policy: options.policy))
        // As FunctionEnvironment.handler wires any sending service: due mail goes now.
        stages.email = SchedulingEmailService(now: service, queue: stages.email, clock: stages.clock)
        let pipeline = try Pipeline(flow: flow, configuration: configuration, stages: stages)

        let event = try EventDecoder().decode(InboundDelivery(body: body))
        let text = String(decoding: body, as: UTF8.self)
        let deliveries = (0..<options.events).map { index in
            let unique = text.replacingOccurrences(
                of: "\"\(event.subject.id)\"", with: "\"\(event.subject.id)-f\(index)\""
            ).replacingOccurrences(of: "\"\(event.id)\"", with: "\"\(event.id)-f\(index)\"")
            return InboundDelivery(body: Array(unique.utf8), headers: ["x-tidings-event-id": "faults-\(index)"])
        }

        let quiet = logger
        func pass(_ indices: [Int], label: String) async -> [Int: OutcomeReport] {
            await Self.pass(
                pipeline: pipeline, deliveries: deliveries, indices: indices, label: label,
                concurrency: options.concurrency, logger: quiet)
        }

        func perRequestBound(_ counts: [String: [String: Int]]) {
            for (event, paths) in counts {
                for (path, attempts) in paths {
                    figures.maxAttemptsPerRequest = max(figures.maxAttemptsPerRequest, attempts)
                    figures.retries += attempts - 1
                    if attempts > options.policy.maxRetries + 1 {
                        figures.problems.append(
                            "\(event) \(path): \(attempts) attempts > 1 + \(options.policy.maxRetries)")
                    }
                }
            }
        }

        // Pass 1: faults on.
        try await post(control, baseURL + "/_reset", "{}")
        try await post(
            control, baseURL + "/_faults",
            #"{"rate": \#(options.faultRate), "seed": \#(options.seed), "kinds": [\#(options.kinds.map { "\"\($0)\"" }.joined(separator: ","))]}"#
        )
        var clock = ContinuousClock.now
        let first = await pass(Array(0..<options.events), label: "faults")
        figures.firstPassSeconds = seconds(ContinuousClock.now - clock)
        let firstCounts = ledger.drain()
        for index in 0..<options.events {
            let attempts = firstCounts["faults-\(index)"]?.values.reduce(0, +) ?? 0
            figures.attemptsPerEvent[attempts, default: 0] += 1
        }
        perRequestBound(firstCounts)
        var failed: [Int] = []
        for (index, report) in first.sorted(by: { $0.key < $1.key }) {
            figures.firstPass[report.outcome.rawValue, default: 0] += 1
            switch report.outcome {
            case .sent: break
            case .failed where report.retryable == true && report.reason?.hasPrefix("delivery_failed") == true:
                failed.append(index)
            default:
                figures.problems.append("faults-\(index): \(report.outcome.rawValue) \(report.reason ?? "")")
            }
        }
        if first.count != options.events {
            figures.problems.append("\(options.events - first.count) events without a report")
        }

        // Pass 2: faults off, the failed ones again, as a redelivery would bring them.
        try await post(control, baseURL + "/_faults", "{}")
        clock = ContinuousClock.now
        let second = await pass(failed, label: "replay")
        figures.replaySeconds = seconds(ContinuousClock.now - clock)
        perRequestBound(ledger.drain())
        for (index, report) in second {
            figures.replay[report.outcome.rawValue, default: 0] += 1
            if report.outcome != .sent {
                figures.problems.append("replay of faults-\(index): \(report.outcome.rawValue)")
            }
        }

        try await checkFake(control, baseURL: baseURL, reports: first.merging(second) { $1 }, figures: &figures)
        try checkAudit(data.appendingPathComponent("audit"), events: options.events, figures: &figures)
        return figures
    }

    /// The fake's view: every request valid, one recorded event per sent event, under the
    /// unique_id the receipt names, and how many faults of each kind it answered.
    static func checkFake(
        _ control: any HTTPTransport, baseURL: String, reports: [Int: OutcomeReport], figures: inout Figures
    ) async throws {
        let requests = try await get(control, baseURL + "/_requests?bodies=0")
        figures.requests = requests.count
        for request in requests {
            let fields = request.objectValue ?? [:]
            if let fault = fields["fault"]?.stringValue, fault != "clean" { figures.faults[fault, default: 0] += 1 }
            if case .array(let problems)? = fields["problems"], !problems.isEmpty {
                figures.problems.append("a request the spec refuses: \(problems.prefix(2))")
            }
        }
        let recorded = try await get(control, baseURL + "/_events?bodies=0").compactMap(\.objectValue)
        figures.recorded = recorded.count
        figures.deduplicated = recorded.filter { ($0["seen"] ?? .int(1)) != .int(1) }.count
        let uniqueIDs = recorded.compactMap { $0["unique_id"]?.stringValue }
        if Set(uniqueIDs).count != uniqueIDs.count { figures.problems.append("a unique_id recorded twice") }
        let receipts = Set(reports.values.filter { $0.outcome == .sent }.flatMap { $0.messages ?? [] })
        if receipts != Set(uniqueIDs) {
            figures.problems.append(
                "sent receipts (\(receipts.count)) and recorded unique_ids (\(uniqueIDs.count)) differ")
        }
    }

    /// The audit's view: the chain verifies with nothing interrupted; each handling (event id and
    /// correlation id) has exactly one terminal record; each event exactly one final one (`sent`).
    static func checkAudit(_ root: URL, events: Int, figures: inout Figures) throws {
        let report = try AuditVerifier(root: root, key: nil).verify()
        figures.auditRecords = report.goodRecords
        for problem in report.problems { figures.problems.append("audit: \(problem)") }
        for warning in report.warnings where warning.kind == .interrupted || warning.kind == .torn {
            figures.problems.append("audit: \(warning)")
        }
        var terminal: [String: Int] = [:]
        var final: [String: Int] = [:]
        let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
        while let file = files?.nextObject() as? URL {
            guard file.pathExtension == "jsonl" else { continue }
            for line in try String(contentsOf: file, encoding: .utf8).split(separator: "\n") {
                guard let record = try? JSONParser.parse(Array(line.utf8)).objectValue,
                    record["stage"]?.stringValue == "outcome",
                    let event = record["event_id"]?.stringValue, event.hasPrefix("faults-"),
                    let correlation = record["correlation_id"]?.stringValue
                else { continue }
                terminal[event + " " + correlation, default: 0] += 1
                if record["outcome"]?.stringValue == "sent" { final[event, default: 0] += 1 }
            }
        }
        for (handling, count) in terminal where count != 1 {
            figures.problems.append("audit: \(handling) has \(count) terminal records")
        }
        if final.count != events || final.values.contains(where: { $0 != 1 }) {
            figures.problems.append("audit: \(final.count) of \(events) events end sent exactly once")
        }
    }

    /// Handles `deliveries[indices]` with at most `concurrency` in flight, each under its event's
    /// name for the attempt ledger and its own correlation id; returns the reports by index.
    static func pass(
        pipeline: Pipeline, deliveries: [InboundDelivery], indices: [Int], label: String, concurrency: Int,
        logger: Logger
    ) async -> [Int: OutcomeReport] {
        await withTaskGroup(of: (Int, OutcomeReport).self) { group in
            var reports: [Int: OutcomeReport] = [:]
            var next = indices.makeIterator()
            var inFlight = 0
            while true {
                while inFlight < max(1, concurrency), let index = next.next() {
                    inFlight += 1
                    group.addTask {
                        let report = await AttemptLedger.$event.withValue("faults-\(index)") {
                            await pipeline.handle(deliveries[index], correlationID: "\(label)-\(index)", logger: logger)
                        }
                        return (index, report)
                    }
                }
                guard let (index, report) = await group.next() else { break }
                inFlight -= 1
                reports[index] = report
            }
            return reports
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func post(_ transport: any HTTPTransport, _ url: String, _ body: String) async throws {
        let response = try await transport.send(TransportRequest(method: "POST", url: url, body: Array(body.utf8)))
        guard response.status == 200 else { throw FaultRunError("POST \(url): HTTP \(response.status)") }
    }

    static func get(_ transport: any HTTPTransport, _ url: String) async throws -> [JSONValue] {
        let response = try await transport.send(TransportRequest(method: "GET", url: url))
        guard case .array(let items) = try JSONParser.parse(response.body) else {
            throw FaultRunError("GET \(url): not a JSON array")
        }
        return items
    }
}

/// A fault run that could not be set up or could not read the fake's record.
package struct FaultRunError: Error, CustomStringConvertible {
    package var description: String
    init(_ description: String) { self.description = description }
}
