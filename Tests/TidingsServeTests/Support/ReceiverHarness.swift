import Foundation
import Logging
import Testing
import TidingsCore
import TidingsDevKit
import TidingsHTTP
import TidingsRuntime
import TidingsServe

/// A data folder and the configuration the receiver tests run on: the recorded shop, the
/// fixtures' webhook secrets (Tests/Fixtures/make-envelopes.py), the business clock pinned.
struct ReceiverHarness {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let shopifySecret = "northwind-webhook-secret"
    static let bigCommerceSecret = "northwind-bigcommerce-secret"

    let data: URL
    var environment: [String: String]

    /// A fresh data folder; `now` pins `TIDINGS_NOW`.
    init(now: Date, extra: [String: String] = [:]) throws {
        data = FileManager.default.temporaryDirectory.appendingPathComponent("receiver-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        environment = [
            "TIDINGS_DATA_DIR": data.path,
            "TIDINGS_SHOP_DIR": Self.root.appendingPathComponent("Events/shop").path,
            "TIDINGS_NOW": Timestamp.format(now),
            "SHOPIFY_WEBHOOK_SECRET": Self.shopifySecret,
            "BIGCOMMERCE_WEBHOOK_SECRET": Self.bigCommerceSecret,
            "TIDINGS_LOG_LEVEL": "critical",
        ].merging(extra) { _, new in new }
    }

    func remove() { try? FileManager.default.removeItem(at: data) }

    /// A server with the receiver on this folder; `workers: 0` accepts and queues only.
    func start(workers: Int = 2, configure: (inout WebhookReceiver.Settings) -> Void = { _ in }) async throws
        -> RunningServer
    {
        var settings = WebhookReceiver.Settings()
        settings.workers = workers
        configure(&settings)
        let receiver = try WebhookReceiver.make(environment: environment, settings: settings, logger: Self.quiet)
        let configuration = try Configuration.load(environment: environment)
        return try await RunningServer(.forTest(configuration, parts: [receiver]))
    }

    static var quiet: Logger {
        var logger = Logger(label: "receiver-test")
        logger.logLevel = .critical
        return logger
    }

    // MARK: Fixtures

    /// The bytes of a file in the repository.
    static func file(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: root.appendingPathComponent(path)))
    }

    /// A recorded delivery's body and headers (`{"headers":…,"body":"…"}`), names lower-cased.
    static func recorded(_ path: String) throws -> WebhookRequest {
        let reader = try JSONObjectReader(try JSONParser.parse(try file(path)))
        var headers: [String: String] = [:]
        for (name, value) in try reader.object("headers").members {
            if case .string(let text) = value { headers[name.lowercased()] = text }
        }
        return WebhookRequest(
            body: Array(try reader.string("body").utf8), headers: headers, eventID: headers["x-shopify-event-id"] ?? "")
    }

    /// When the recorded event at `path` is due, as a replay handles it (so it is neither too soon nor stale).
    static func due(_ path: String, flow: FlowKind) throws -> Date {
        let configuration = try Configuration.load(environment: [
            "TIDINGS_SHOP_DIR": root.appendingPathComponent("Events/shop").path
        ])
        return Replayer(configuration: configuration, logger: quiet).replayTime(
            try file(path), delay: configuration.settings(for: flow).delay)
    }

    // MARK: What the data folder holds

    func names(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: data.appendingPathComponent(folder).path)) ?? [])
            .filter { !$0.hasPrefix(".") }.sorted()
    }

    /// The .eml files in the outbox.
    var emails: [String] { names("outbox").filter { $0.hasSuffix(".eml") } }
    /// The queue's pending deliveries.
    var pending: [String] { names("receiver/pending") }
    /// The dead-letter folder's files.
    var deadLetters: [String] { names("dead-letter") }

    /// Every audit record with an outcome (the terminal ones), in file order.
    func terminalRecords() -> [[String: Any]] {
        let audit = data.appendingPathComponent("audit")
        guard let walker = FileManager.default.enumerator(at: audit, includingPropertiesForKeys: nil) else { return [] }
        var records: [[String: Any]] = []
        for case let url as URL in walker where url.pathExtension == "jsonl" {
            guard let text = try? String(contentsOf: url, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n") {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    object["outcome"] != nil
                else { continue }
                records.append(object)
            }
        }
        return records
    }

    /// The outcomes of the terminal records of `eventID`, sorted.
    func outcomes(of eventID: String) -> [String] {
        terminalRecords().filter { $0["event_id"] as? String == eventID }.compactMap { $0["outcome"] as? String }
            .sorted()
    }

    /// Waits (up to 60 s, polling) until `condition` holds; records an issue if it never does.
    func eventually(
        _ what: String, sourceLocation: SourceLocation = #_sourceLocation, _ condition: () -> Bool
    ) async throws {
        let deadline = Date().addingTimeInterval(60)
        while !condition() {
            guard Date() < deadline else {
                Issue.record("timed out waiting until \(what)", sourceLocation: sourceLocation)
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}

extension RunningServer {
    /// POSTs a webhook to `path`.
    func post(_ path: String, _ request: WebhookRequest) async throws -> TransportResponse {
        try await send("POST", path, headers: request.headers, body: request.body)
    }
}

extension TransportResponse {
    /// The body as a JSON object.
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]) ?? [:]
    }
}
