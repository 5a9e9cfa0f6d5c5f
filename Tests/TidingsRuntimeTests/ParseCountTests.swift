import Foundation
import Testing
import TidingsCore
import TidingsDevKit

@testable import TidingsRuntime

/// Each byte sequence of an invocation is parsed once on its way to a `LifecycleEvent`: the
/// envelope, and the webhook body inside it when that is a string of its own (issue 9).
@Suite("Parse once")
struct ParseCountTests {
    /// The recorded, signed Shopify delivery the first three cases are made from.
    static let recorded = "shopify-first-time-buyer.json"

    /// How the invocation is built: a file under Events/cartAbandoned, or its recorded delivery's bare body.
    enum Input: Sendable, CustomStringConvertible {
        case file(String)
        case bareBody(String)

        var description: String {
            switch self {
            case .file(let name): name
            case .bareBody(let name): "the body of \(name)"
            }
        }

        func bytes() throws -> [UInt8] {
            switch self {
            case .file(let name):
                return Array(try Data(contentsOf: RuntimeTestSupport.cartEvents.appendingPathComponent(name)))
            case .bareBody(let name):
                let recording = try JSONParser.parse(Input.file(name).bytes())
                return Array(try #require(recording.objectValue?["body"]?.stringValue).utf8)
            }
        }
    }

    @Test("A syntax error handed on by an envelope is the decoder's own error, at the same path and line")
    func handedSyntaxError() throws {
        let bytes = Array("{\"event\": \"cart_abandoned\",\n \"payload\": }".utf8)
        let decoder = EventDecoder()
        var direct: InputError?
        do { _ = try decoder.decode(InboundDelivery(body: bytes)) } catch { direct = error }
        let envelope = EnvelopeDecoder().unwrap(bytes)
        let item = try #require(envelope.items.first)
        let counter = JSONParser.ParseCounter()
        let handed = JSONParser.$counter.withValue(counter) { decoder.read(item.delivery, parsed: item.parsed) }
        #expect(counter.count == 0)
        guard case .failure(let error) = handed.content else {
            Issue.record("broken JSON was read")
            return
        }
        #expect(error == direct)
        #expect(error.path == "$" && error.reason.contains("line 2"))
        #expect(handed.raw.body == bytes)
    }

    @Test(
        "Parses from bytes to the event: one per JSON text the invocation holds",
        arguments: [
            // A raw webhook body is one text.
            (Input.bareBody(recorded), false, 1),
            // A recorded delivery is two: the recording and the body string inside it; checking its
            // signature and its staleness reads the same parse (today's code parsed it seven times).
            (.file(recorded), false, 2),
            (.file(recorded), true, 2),
            // API Gateway v2 and a Function URL: the request and its body.
            (.file("envelopes/apigateway-v2-checkouts-update.json"), true, 2),
            (.file("envelopes/function-url-checkouts-update.base64.json"), true, 2),
            // EventBridge: the event alone; `detail.payload` is handed on parsed.
            (.file("envelopes/eventbridge-checkouts-update.json"), true, 1),
            // SQS: the batch and each record's body (the HTTP route's; then three EventBridge
            // events, one of them truncated, whose failed parse is the only one either).
            (.file("envelopes/sqs-http-route-checkouts-update.json"), true, 2),
            (.file("envelopes/sqs-eventbridge-batch.json"), true, 4),
            // Pub/Sub: the push request and the base64 message data.
            (.file("envelopes/pubsub-push-cart-updated.json"), true, 2),
        ] as [(Input, Bool, Int)])
    func parsesOnce(input: Input, signed: Bool, expected: Int) async throws {
        let bytes = try input.bytes()
        try await withScratch { scratch in
            let configuration = try RuntimeTestSupport.configuration(
                dataDirectory: scratch, extra: signed ? RuntimeTestSupport.webhookSecrets : [:])
            let audit = InMemoryAuditLog()
            var stages = try FunctionEnvironment.embeddedStages(
                function: .cartAbandoned, configuration: configuration,
                clock: FixedClock(
                    Replayer(configuration: configuration, logger: RuntimeTestSupport.quietLogger)
                        .replayTime(bytes, delay: configuration.settings(for: .cartAbandoned).delay)))
            stages.audit = audit
            stages.email = RecordingEmailService()
            stages.review = RecordingReviewQueue()
            let flow = try #require(Flow.named(.cartAbandoned, configuration))
            let handler = InvocationHandler(
                pipeline: try Pipeline(flow: flow, configuration: configuration, stages: stages))
            // The first handling gives each event its final outcome, so the second stops as a
            // duplicate right after normalizing: what it parses is exactly the way to the event
            // (enrichment reads the recorded shop's JSON, which is not the event's).
            let first = await handler.handle(
                bytes, deadline: nil, correlationID: "first", logger: RuntimeTestSupport.quietLogger)
            #expect(first.reports.contains { $0.outcome == .sent }, "\(first.reports)")
            let counter = JSONParser.ParseCounter()
            let second = await JSONParser.$counter.withValue(counter) {
                await handler.handle(
                    bytes, deadline: nil, correlationID: "second", logger: RuntimeTestSupport.quietLogger)
            }
            #expect(second.reports.contains { $0.outcome == .duplicate }, "\(second.reports)")
            #expect(counter.count == expected, "\(input) signed: \(signed)")
        }
    }
}
