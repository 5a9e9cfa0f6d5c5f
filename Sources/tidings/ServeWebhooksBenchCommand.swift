import ArgumentParser
import Foundation
import Logging
import TidingsCore
import TidingsDevKit
import TidingsHTTP
import TidingsRuntime
import TidingsServe

/// `tidings bench serve-webhooks`: signed Shopify webhooks accepted a second by `tidings serve`'s
/// receiver on loopback, and the distribution of the time to the answer, per concurrency. Each
/// request is a distinct signed checkout, checked on receipt and written durably to the queue
/// (two fsyncs) before its 202. docs/BENCHMARKS.md records the figures.
struct ServeWebhooksBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve-webhooks",
        abstract: "Measure webhooks accepted a second by `tidings serve` on loopback, with answer times.",
        discussion: """
            Starts the receiver in this process on 127.0.0.1 (a free port) over a fresh data folder, and \
            posts --requests distinct signed copies of --event to /webhooks/shopify/checkouts/update from \
            libcurl, --concurrency at a time (one series per level, each after a warm-up). The client runs in \
            the same process and shares the cores. With --workers above 0 the queue worker hands deliveries \
            to the cartAbandoned handler meanwhile, and the time to drain the queue is reported too. Run from \
            the repository root (the recorded shop is read from Events/shop).
            """)

    @Option(help: "Requests per concurrency level.")
    var requests = 2000

    @Option(help: "Requests in flight, comma-separated.")
    var concurrency = "1,8,32"

    @Option(help: "Queue workers handling deliveries during the run (0: accept only).")
    var workers = 0

    @Option(help: "The recorded Shopify checkout delivery the requests are made from.")
    var event = "Events/cartAbandoned/shopify-first-time-buyer.json"

    static let secret = "bench-webhook-secret"
    static let route = "/webhooks/shopify/checkouts/update"

    func run() async throws {
        let levels = try concurrency.split(separator: ",").map { text in
            guard let level = Int(text.trimmingCharacters(in: .whitespaces)), level >= 1 else {
                throw ValidationError("--concurrency takes whole numbers of at least 1, not '\(text)'")
            }
            return level
        }
        guard requests > 0, workers >= 0 else {
            throw ValidationError("--requests must be at least 1, --workers 0 or more")
        }
        let recording = Array(try Data(contentsOf: URL(fileURLWithPath: event)))
        let scratch = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
            "tidings-bench-serve-\(getpid())")
        defer { try? FileManager.default.removeItem(at: scratch) }

        var environment = ProcessInfo.processInfo.environment
        environment["TIDINGS_DATA_DIR"] = scratch.path
        environment["SHOPIFY_WEBHOOK_SECRET"] = Self.secret
        // Statuses are counted below; the server's own log would only report the shutdown at the end.
        environment["TIDINGS_LOG_LEVEL"] = "critical"
        // When the cart is due, as a replay would handle it: every copy is neither stale nor too soon.
        let base = try Configuration.load(environment: environment)
        let due = Replayer(configuration: base, logger: Logger(label: "bench")).replayTime(
            recording, delay: base.settings(for: .cartAbandoned).delay)
        environment["TIDINGS_NOW"] = Timestamp.format(due)
        let logger = FunctionEnvironment.logger(label: "tidings.bench.serve", environment: environment)
        var settings = WebhookReceiver.Settings()
        settings.workers = workers
        let receiver = try WebhookReceiver.make(environment: environment, settings: settings, logger: logger)
        let server = ServeServer(
            configuration: try Configuration.load(environment: environment),
            address: ServeAddress(host: "127.0.0.1", port: 0), parts: [receiver], logger: logger)

        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let running = Task {
            defer { continuation.finish() }
            try await server.run { port in continuation.yield(port) }
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            _ = try await running.value
            return
        }
        let client = CurlTransport(.init(name: "bench-client", connectTimeout: 5, totalTimeout: 30))
        let url = "http://127.0.0.1:\(port)\(Self.route)"
        print(
            "serve-webhooks: \(requests) signed checkouts/update a level to \(url), \(workers) queue workers, "
                + "\(ProcessInfo.processInfo.activeProcessorCount) cores visible")
        print("concurrency   accepted/s     p50 ms     p90 ms     p99 ms     max ms   statuses")
        for level in levels {
            let deliveries = try SignedCheckouts.copies(
                of: recording, count: requests + level, secret: Secret(Self.secret), prefix: "bench-c\(level)")
            // Warm-up: one request per connection, not timed.
            _ = try await Self.send(Array(deliveries.prefix(level)), to: url, concurrency: level, client: client)
            let start = ContinuousClock.now
            let results = try await Self.send(
                Array(deliveries.dropFirst(level)), to: url, concurrency: level, client: client)
            let wall = (ContinuousClock.now - start).seconds
            let times = results.map(\.milliseconds).sorted()
            func rank(_ q: Double) -> Double {
                times[min(times.count - 1, Int((Double(times.count) * q).rounded(.up)) - 1)]
            }
            let statuses = Dictionary(grouping: results, by: \.status).map { "\($0.key)=\($0.value.count)" }.sorted()
            let accepted = results.filter { $0.status == 202 }.count
            print(
                String(
                    format: "%11d  %11.0f  %9.2f  %9.2f  %9.2f  %9.2f   %@", level, Double(accepted) / wall, rank(0.5),
                    rank(0.9), rank(0.99), times.last ?? 0, statuses.joined(separator: " ")))
        }
        if workers > 0 {
            let start = ContinuousClock.now
            while receiver.queue.count > 0 { try await Task.sleep(for: .milliseconds(20)) }
            print(String(format: "queue drained %.2f s after the last answer", (ContinuousClock.now - start).seconds))
        }
        running.cancel()
        _ = try? await running.value
    }

    struct Result: Sendable {
        var status: Int
        var milliseconds: Double
    }

    /// Posts every delivery, `concurrency` at a time, timing each from send to answer.
    static func send(_ deliveries: [WebhookRequest], to url: String, concurrency: Int, client: CurlTransport)
        async throws -> [Result]
    {
        try await withThrowingTaskGroup(of: [Result].self) { group in
            // Sender `lane` posts deliveries lane, lane + concurrency, ... one after the other.
            for lane in 0..<concurrency {
                group.addTask {
                    var results: [Result] = []
                    for delivery in stride(from: lane, to: deliveries.count, by: concurrency).map({ deliveries[$0] }) {
                        let start = ContinuousClock.now
                        let response = try await client.send(
                            TransportRequest(method: "POST", url: url, headers: delivery.headers, body: delivery.body))
                        results.append(
                            Result(status: response.status, milliseconds: (ContinuousClock.now - start).seconds * 1000))
                    }
                    return results
                }
            }
            var all: [Result] = []
            for try await part in group { all += part }
            return all
        }
    }
}
