import ArgumentParser
import Foundation
import Logging
import TidingsCore
import TidingsDevKit
import TidingsRuntime

/// `tidings bench invocations`: whole invocations a second through `InvocationHandler` (envelope,
/// webhook signature, staleness, pipeline) for each way a delivery arrives, with the outbox,
/// review queue and audit in memory. docs/BENCHMARKS.md records the figures.
struct InvocationBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invocations",
        abstract: "Measure invocations a second for each delivery shape (raw body, recorded, signed, envelopes).",
        discussion: """
            Every invocation carries its own checkout (its own token, id and event id), signed with a bench \
            secret where the shape is signed, built from the recorded delivery --event. Run from the repository \
            root (the recorded shop is read from Events/shop).
            """)

    @Option(help: "Invocations per shape.")
    var events = 2000

    @Option(help: "The recorded Shopify checkout delivery the invocations are made from.")
    var event = "Events/cartAbandoned/shopify-first-time-buyer.json"

    /// How the invocation's bytes wrap the webhook.
    enum Shape: String, CaseIterable {
        case raw = "raw webhook body"
        case recorded = "recorded delivery"
        case signed = "signed recorded delivery"
        case apiGateway = "API Gateway v2"
        case eventBridge = "EventBridge"
        case sqs = "SQS (EventBridge event)"
        case pubSub = "Pub/Sub push"
    }

    static let secret = Secret("bench-webhook-secret")

    func run() async throws {
        let recording = try JSONObjectReader(
            try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: event)))))
        let body = try recording.string("body")
        var headers: [String: String] = [:]
        for (name, value) in try recording.object("headers").members {
            if case .string(let text) = value { headers[name.lowercased()] = text }
        }
        headers["x-shopify-hmac-sha256"] = nil
        // When the event is due, as a replay would handle it, so every run takes the same path.
        let configuration = try Configuration.load(environment: ProcessInfo.processInfo.environment)
        let due = Replayer(configuration: configuration, logger: Logger(label: "bench")).replayTime(
            Array(try Data(contentsOf: URL(fileURLWithPath: event))),
            delay: configuration.settings(for: .cartAbandoned).delay)
        let checkout = try EventDecoder().decode(InboundDelivery(body: Array(body.utf8), headers: headers))
        // The checkout's numeric id, made unique per invocation as its token is.
        let checkoutID = try JSONObjectReader(try JSONParser.parse(body)).id("id")
        print(
            "Invocations through InvocationHandler, in-memory sinks, one task; \(events - 1) timed each way (\(event))")
        for shape in Shape.allCases {
            // An unsigned recorded delivery is one read where no secret is configured.
            let handler = try handler(due: due, signed: shape != .recorded)
            var logger = Logger(label: "bench")
            logger.logLevel = .critical
            let invocations = (0..<events).map { index in
                // Its own checkout and event, so none is a duplicate or the second answer for a cart.
                let unique = body.replacingOccurrences(
                    of: "\"\(checkout.subject.id)\"", with: "\"\(checkout.subject.id)\(index)\""
                ).replacingOccurrences(of: "\"id\": \(checkoutID),", with: "\"id\": \(checkoutID)\(index),")
                var own = headers
                own["x-shopify-event-id"] = "bench-\(index)"
                return Self.bytes(shape, body: unique, headers: own, index: index)
            }
            _ = await handler.handle(invocations[0], deadline: nil, correlationID: "warmup", logger: logger)
            var outcomes: [String: Int] = [:]
            let start = ContinuousClock.now
            for bytes in invocations.dropFirst() {
                let answer = await handler.handle(bytes, deadline: nil, correlationID: "bench", logger: logger)
                for report in answer.reports { outcomes[report.outcome.rawValue, default: 0] += 1 }
            }
            let seconds = (ContinuousClock.now - start).seconds
            // The same delivery again, as platforms redeliver: it stops as a duplicate right after
            // it is read, checked and decoded, so reading the bytes is most of what it costs.
            var again: [String: Int] = [:]
            let redeliveries = ContinuousClock.now
            for _ in invocations.dropFirst() {
                let answer = await handler.handle(invocations[0], deadline: nil, correlationID: "again", logger: logger)
                for report in answer.reports { again[report.outcome.rawValue, default: 0] += 1 }
            }
            let redelivered = (ContinuousClock.now - redeliveries).seconds
            func summary(_ outcomes: [String: Int]) -> String {
                outcomes.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " ")
            }
            print(
                "\(shape.rawValue): new \(Int(Double(events - 1) / seconds)) invocations/s (\(summary(outcomes)));"
                    + " redelivered \(Int(Double(events - 1) / redelivered)) invocations/s (\(summary(again)))")
        }
    }

    /// A handler on the embedded stages with in-memory sinks, checking Shopify signatures if `signed`.
    func handler(due: Date, signed: Bool) throws -> InvocationHandler {
        var environment = ProcessInfo.processInfo.environment
        environment["SHOPIFY_WEBHOOK_SECRET"] = signed ? String(decoding: Self.secret.bytes, as: UTF8.self) : nil
        environment["TIDINGS_DATA_DIR"] = NSTemporaryDirectory() + "tidings-bench-invocations"
        let configuration = try Configuration.load(environment: environment)
        guard let flow = Flow.named(.cartAbandoned, configuration) else {
            throw ValidationError("cartAbandoned is not implemented in this build")
        }
        var stages = try FunctionEnvironment.embeddedStages(
            function: .cartAbandoned, configuration: configuration, clock: FixedClock(due))
        stages.email = RecordingEmailService()
        stages.review = RecordingReviewQueue()
        stages.audit = InMemoryAuditLog()
        stages.content = InMemoryContentStore()
        return InvocationHandler(pipeline: try Pipeline(flow: flow, configuration: configuration, stages: stages))
    }

    /// The invocation's bytes: the webhook (`body`, `headers`) as `shape` delivers it.
    static func bytes(_ shape: Shape, body: String, headers: [String: String], index: Int) -> [UInt8] {
        var signed = headers
        signed["x-shopify-hmac-sha256"] = WebhookTrust.shopifySignature(body: Array(body.utf8), secret: secret)
        let strings = { (map: [String: String]) in JSONValue.object(map.mapValues(JSONValue.string)) }
        func eventBridge() -> JSONValue {
            [
                "version": "0", "id": .string("bench-\(index)"), "detail-type": "shopifyWebhook",
                "source": "aws.partner/shopify.com/1/tidings", "time": "2026-11-21T13:30:01Z",
                "detail": ["payload": (try? JSONParser.parse(body)) ?? .null, "metadata": strings(headers)],
            ]
        }
        let value: JSONValue
        switch shape {
        case .raw: return Array(body.utf8)
        case .recorded: value = ["headers": strings(headers), "body": .string(body)]
        case .signed: value = ["headers": strings(signed), "body": .string(body)]
        case .apiGateway:
            value = [
                "version": "2.0", "routeKey": "POST /webhooks", "rawPath": "/webhooks", "headers": strings(signed),
                "requestContext": ["http": ["method": "POST", "path": "/webhooks"]], "body": .string(body),
                "isBase64Encoded": false,
            ]
        case .eventBridge: value = eventBridge()
        case .sqs:
            let inner = String(decoding: encode(eventBridge()), as: UTF8.self)
            value = [
                "Records": [["messageId": .string("m-\(index)"), "eventSource": "aws:sqs", "body": .string(inner)]]
            ]
        case .pubSub:
            value = [
                "subscription": "projects/northwind/subscriptions/tidings",
                "message": [
                    "data": .string(Data(body.utf8).base64EncodedString()), "attributes": strings(headers),
                    "messageId": .string("p-\(index)"),
                ],
            ]
        }
        return encode(value)
    }

    static func encode(_ value: JSONValue) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(value)) ?? Data())
    }
}
