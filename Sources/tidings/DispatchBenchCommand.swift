import ArgumentParser
import Foundation
import Synchronization
import TidingsCore

/// `tidings bench dispatch`: how fast the dispatcher drains a backlog of due messages from the
/// scheduled outbox, against a simulated service of a given latency, per concurrency; and what a
/// message costs the dispatcher itself (claim, re-read, suppression check, move, audit) with an
/// instant service. docs/BENCHMARKS.md records the figures.
struct DispatchBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dispatch",
        abstract: "Measure the outbox dispatcher: messages a second per concurrency against a simulated email service.",
        discussion: """
            For each --latency-ms and --concurrency, a fresh scheduled outbox with --messages due messages \
            (each a ~12 KB rendered email with its Tidings headers and signed unsubscribe link), a JSONL \
            audit and a suppression list of --suppressed entries, drained by one dispatcher run through a \
            service that takes the latency per send. Prints wall time, messages a second, the bound \
            messages × latency / concurrency (or messages / rate under --rate) and the share over it, and \
            checks that every message was sent exactly once.
            """)

    @Option(help: "Due messages in the outbox per run.")
    var messages = 2000

    @Option(help: "Latencies of the simulated service in milliseconds, comma-separated.")
    var latencyMs = "0,100"

    @Option(help: "Messages in flight, comma-separated.")
    var concurrency = "1,4,16,32"

    @Option(help: "A send-rate ceiling (sends a second) for every run; 0: none.")
    var rate: Double = 0

    @Option(help: "Entries in the suppression list every marketing message is checked against.")
    var suppressed = 1000

    @Flag(help: "Keep the suppression entries in the data folder's JSON Lines list (as before the state store).")
    var legacySuppression = false

    @Option(
        help: """
            simulated: the service only waits; ses: the production SES service (SendEmail body, base64 of \
            the raw message, SigV4) over an in-process transport that waits and answers a MessageId.
            """)
    var service = "simulated"

    func run() async throws {
        let latencies = try Self.numbers(latencyMs, name: "--latency-ms").map { Int($0) }
        let levels = try Self.numbers(concurrency, name: "--concurrency").map { Int($0) }
        guard messages > 0, levels.allSatisfy({ $0 >= 1 }) else {
            throw ValidationError("--messages and every --concurrency must be at least 1")
        }
        guard ["simulated", "ses"].contains(service) else {
            throw ValidationError("--service is simulated or ses, not '\(service)'")
        }
        print(
            "dispatch: \(messages) due messages a run, \(suppressed) suppression entries"
                + (rate > 0 ? ", at most \(rate) sends/s" : ""))
        print("latency_ms  concurrency       wall    msgs/s      bound   over  sent once")
        for latency in latencies {
            for level in levels {
                let figures = try await measure(latencyMs: latency, concurrency: level)
                let bound =
                    rate > 0
                    ? max(Double(messages) / rate, Double(messages) * Double(latency) / 1000 / Double(level))
                    : Double(messages) * Double(latency) / 1000 / Double(level)
                let over = bound > 0 ? String(format: "%5.1f%%", (figures.wall / bound - 1) * 100) : "    -"
                print(
                    String(
                        format: "%10d  %11d  %8.2fs  %8.0f  %8.2fs  %@  %@", latency, level, figures.wall,
                        Double(messages) / figures.wall, bound, over, figures.exactlyOnce ? "yes" : "NO"))
            }
        }
    }

    struct Figures {
        var wall: TimeInterval
        var exactlyOnce: Bool
    }

    func measure(latencyMs: Int, concurrency: Int) async throws -> Figures {
        let root = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("tidings-bench-dispatch-\(getpid())-\(latencyMs)-\(concurrency)")
        defer { try? FileManager.default.removeItem(at: root) }
        let outbox = root.appendingPathComponent("outbox")
        let start = Date(timeIntervalSince1970: 1_796_000_000)
        let queue = OutboxEmailService(directory: outbox)
        for index in 0..<messages {
            _ = try await queue.deliver(Self.email(index, sendAt: start.addingTimeInterval(Double(index % 600))))
        }
        // The list the functions use: entries in the state store (SQLite here), the data folder's
        // JSON Lines list only read on a miss (`--legacy-suppression` puts the entries there).
        let legacy = JSONLSuppressionList(directory: root.appendingPathComponent("suppression"))
        let stored = StateSuppressionList(store: try SQLiteStateStore(folder: root), legacy: legacy)
        let suppression: any SuppressionList = legacySuppression ? legacy : stored
        for index in 0..<suppressed {
            try await suppression.add(
                SuppressionEntry(
                    customerID: "gid-\(index)-x", addressHash: SuppressionKeys.addressHash("gone\(index)@example.net"),
                    reason: .unsubscribe, source: "bench", time: start))
        }
        let recorder = SimulatedService(latency: .milliseconds(latencyMs))
        let sender: any EmailService =
            service == "ses"
            ? SESEmailService(
                endpoint: "https://email.eu-west-1.amazonaws.com", region: "eu-west-1",
                credentials: AWSCredentials(
                    accessKeyID: "AKIDEXAMPLE", secretAccessKey: Secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")),
                configurationSet: "tidings", transport: SimulatedSES(recorder: recorder))
            : recorder
        let dispatcher = OutboxDispatcher(
            directory: outbox, service: sender,
            audit: JSONLAuditLog(root: root.appendingPathComponent("audit"), writerID: "bench-dispatch"),
            clock: FixedClock(start.addingTimeInterval(3600)), owner: "bench", suppression: stored)
        let began = Date()
        let summary = try await dispatcher.run(
            pacing: DispatchPacing(concurrency: concurrency, ratePerSecond: rate > 0 ? rate : nil),
            correlationID: "bench")
        let wall = Date().timeIntervalSince(began)
        let sent = recorder.sent
        return Figures(
            wall: wall,
            exactlyOnce: summary.count(.sent) == messages && sent.count == messages && Set(sent).count == messages)
    }

    /// A due marketing message as the handlers leave it in the outbox.
    static func email(_ index: Int, sendAt: Date) -> RenderedEmail {
        let paragraph = String(repeating: "Your cart is still waiting, with the pieces you picked. ", count: 24)
        let html = "<html><body>" + String(repeating: "<p>\(paragraph)</p>", count: 8) + "</body></html>"
        // The outbox names a file by the first 12 hex digits of the Message-ID: make them distinct
        // (an odd multiplier is a bijection modulo 2^48).
        let hex = String(format: "%012llx", (UInt64(index) &* 0x9E37_79B9_7F4B) & 0xFFFF_FFFF_FFFF)
        return RenderedEmail(
            messageID: "\(hex)0000@tidings.example",
            from: Mailbox(name: "Northwind", address: "hello@northwind.example"),
            to: Mailbox(name: nil, address: "customer\(index)@example.com"), subject: "Still thinking it over?",
            preheader: "Your cart is saved", html: html, text: paragraph,
            unsubscribeURL: "https://northwind.example/unsubscribe?c=gid-\(index)&t=signature",
            unsubscribeMailto: "mailto:unsubscribe@northwind.example", date: sendAt, sendAt: sendAt,
            extraHeaders: [
                .init("X-Tidings-Flow", "cartAbandoned"), .init("X-Tidings-Event-Id", "bench-\(index)"),
                .init("X-Tidings-Category", "marketing"),
                .init("X-Tidings-Send-At", Timestamp.format(sendAt, milliseconds: false)),
            ])
    }

    static func numbers(_ text: String, name: String) throws -> [Double] {
        let values = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil && $0! >= 0 }) else {
            throw ValidationError("\(name) takes comma-separated numbers, not '\(text)'")
        }
        return values.compactMap { $0 }
    }
}

/// SES's `SendEmail` answered in process: the request is decoded (so its cost is counted like the
/// network's would be) and the raw message's Message-ID handed to the recorder, which waits.
private struct SimulatedSES: HTTPTransport {
    let recorder: SimulatedService

    func send(_ request: TransportRequest) async throws -> TransportResponse {
        let body = try JSONParser.parse(request.body).objectValue ?? [:]
        let raw = body["Content"]?.objectValue?["Raw"]?.objectValue?["Data"]?.stringValue ?? ""
        let message = String(decoding: Data(base64Encoded: raw) ?? Data(), as: UTF8.self)
        let id =
            message.components(separatedBy: "\r\n").first { $0.hasPrefix("Message-ID: <") }
            .map { String($0.dropFirst("Message-ID: <".count).dropLast()) } ?? ""
        let receipt = try await recorder.deliver(
            RenderedEmail(
                messageID: id, from: Mailbox(name: nil, address: "-"), to: Mailbox(name: nil, address: "-"),
                subject: "", preheader: "", html: "", text: "", unsubscribeURL: "", unsubscribeMailto: "",
                date: Date(), sendAt: Date(), extraHeaders: []))
        return TransportResponse(status: 200, body: Array(#"{"MessageId":"\#(receipt.reference)"}"#.utf8))
    }
}

/// An email service that takes `latency` a send and remembers what it was handed.
private final class SimulatedService: EmailService {
    let latency: Duration
    private let handed = Mutex<[String]>([])

    init(latency: Duration) { self.latency = latency }

    var sent: [String] { handed.withLock { $0 } }

    func deliver(_ email: RenderedEmail) async throws -> DeliveryReceipt {
        if latency > .zero { try await Task.sleep(for: latency) }
        handed.withLock { $0.append(email.messageID) }
        return DeliveryReceipt(service: "simulated", reference: email.messageID)
    }

    func cancelScheduled(series: String, after: Date) async throws -> [String] { [] }
}
