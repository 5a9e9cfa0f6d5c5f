import Foundation
import Logging
import Testing
import TidingsCore
import TidingsDevKit

@testable import TidingsRuntime

/// Bounces and complaints end to end (issue 12, "Done when"): an SES permanent bounce, signed like
/// SNS signs it, POSTed to the `unsubscribe` function's `/feedback/ses` route suppresses the
/// address, and the next cart event for that address ends `suppressed` with reason hard_bounce;
/// a signed Mandrill `spam` webhook does the same through the binary. The SNS half runs the handler
/// in process, because only there can the certificate be served by an in-memory SNS (the binary
/// would fetch it from AWS); the cart events run the handler binaries on the same data folder.
@Suite("SES and Mandrill feedback through the unsubscribe function", .serialized)
struct FeedbackTests {
    static let cartEvent = RuntimeTestSupport.root.appendingPathComponent(
        "Events/cartAbandoned/shopify-first-time-buyer.json")
    static let fixtures = RuntimeTestSupport.root.appendingPathComponent("Tests/Fixtures")
    static let certificateURL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-tidings-test.pem"
    static let topic = "arn:aws:sns:us-east-1:123456789012:tidings-ses-feedback"
    static let mandrillKey = "mandrill-test-webhook-key"
    static let mandrillURL = "https://abc123.lambda-url.us-east-1.on.aws/feedback/mandrill"
    /// The cart event's customer, Maya Okafor of the recorded shop.
    static let address = "maya.okafor@example.com"

    func environment(_ data: URL, now: String) -> [String: String] {
        RuntimeTestSupport.webhookSecrets.merging([
            "TIDINGS_DATA_DIR": data.path, "TIDINGS_NOW": now, "TIDINGS_LOG_LEVEL": "critical",
            "TIDINGS_SHOP_DIR": RuntimeTestSupport.root.appendingPathComponent("Events/shop").path,
        ]) { _, new in new }
    }

    /// A function URL request (payload 2.0) to `path`.
    func envelope(_ method: String, path: String, headers: [String: String], body: String) throws -> Data {
        try JSONSerialization.data(withJSONObject: [
            "version": "2.0", "rawPath": path, "rawQueryString": "", "headers": headers,
            "requestContext": ["http": ["method": method, "path": path], "requestId": UUID().uuidString],
            "isBase64Encoded": false, "body": body,
        ])
    }

    func cartOutcome(_ data: URL) throws -> [String: JSONValue] {
        let run = try RuntimeTestSupport.execute(
            "cartAbandoned", event: Self.cartEvent, environment: environment(data, now: "2026-11-21T19:10:00Z"))
        return try JSONParser.parse(Array(run.stdout)).objectValue ?? [:]
    }

    func answer(_ bytes: [UInt8]) -> (status: Int, body: String) {
        let object = (try? JSONParser.parse(bytes).objectValue) ?? [:]
        guard case .int(let status)? = object["statusCode"] else { return (0, String(decoding: bytes, as: UTF8.self)) }
        return (status, object["body"]?.stringValue ?? "")
    }

    /// AWS's sample permanent bounce, re-addressed to `address`, in an SNS envelope signed (v2)
    /// with the test key whose certificate the in-memory SNS serves.
    func signedBounce(to address: String) throws -> String {
        let sample = try String(
            contentsOf: Self.fixtures.appendingPathComponent("specs/aws/ses-notifications/bounce-permanent-dsn.json"),
            encoding: .utf8)
        var message = try SNSMessage.parse(
            Array(try Data(contentsOf: Self.fixtures.appendingPathComponent("sns/bounce-v2.json"))))
        message.message = sample.replacingOccurrences(of: "jane@example.com", with: address)
        message.timestamp = "2026-11-21T19:04:00.000Z"
        let signer = try SNSSigner(
            pem: try String(contentsOf: Self.fixtures.appendingPathComponent("sns/signing-key.pem"), encoding: .utf8))
        return String(
            decoding: SNSSigner.body(try signer.sign(message, version: "2", certificateURL: Self.certificateURL)),
            as: UTF8.self)
    }

    @Test(
        "An SES permanent bounce POSTed to /feedback/ses suppresses the address; the next cart ends suppressed: hard_bounce"
    )
    func sesBounceSuppressesTheNextCart() async throws {
        try await withScratch { scratch in
            let data = scratch.appendingPathComponent("data")
            var env = environment(data, now: "2026-11-21T19:05:00Z")
            env["TIDINGS_SNS_TOPIC_ARNS"] = Self.topic
            let sns = InMemorySNS(certificates: [
                Self.certificateURL: try String(
                    contentsOf: Self.fixtures.appendingPathComponent("sns/signing-cert.pem"), encoding: .utf8)
            ])
            let handler = UnsubscribeHandler.make(
                configuration: try Configuration.load(environment: env),
                feedback: try FeedbackSettings.load(environment: env), fetcher: SNSFetcher(transport: sns))
            let logger = Logger(label: "test")

            // Altered after signing: refused, nothing suppressed, the cart still goes.
            let forged = try signedBounce(to: Self.address).replacingOccurrences(of: "Permanent", with: "Permanent ")
            let refused = await handler.handle(
                Array(
                    try envelope(
                        "POST", path: "/feedback/ses", headers: ["x-amz-sns-message-type": "Notification"],
                        body: forged)), deadline: nil, correlationID: "sns-0", logger: logger)
            #expect(answer(refused.body).status == 403)
            #expect(refused.exitStatus == .unauthenticated)
            #expect(RuntimeTestSupport.storedSuppressions(data).isEmpty)

            let accepted = await handler.handle(
                Array(
                    try envelope(
                        "POST", path: "/feedback/ses", headers: ["x-amz-sns-message-type": "Notification"],
                        body: try signedBounce(to: Self.address))), deadline: nil, correlationID: "sns-1",
                logger: logger)
            #expect(answer(accepted.body).status == 200, "\(answer(accepted.body))")
            #expect(accepted.reports.first?.outcome == .suppressed)
            // Kept in the state store, under the address hash (and no address in the clear).
            let stored = RuntimeTestSupport.storedSuppressions(data)
            #expect(stored.count == 1 && stored.allSatisfy { $0.contains("\"reason\":\"hard_bounce\"") }, "\(stored)")
            #expect(stored.allSatisfy { !$0.contains("@") })

            let cart = try cartOutcome(data)
            #expect(cart["outcome"] == "suppressed", "\(cart)")
            #expect(cart["reason"]?.stringValue?.hasPrefix("hard_bounce: ") == true, "\(cart)")
            #expect(cart["reason"]?.stringValue?.contains("ses_sns") == true, "\(cart)")
            let outbox = data.appendingPathComponent("outbox")
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: outbox.path)) ?? []).isEmpty)
            // The audit holds the addition by hash only, and no address anywhere.
            let lines = try ReplayGoldenTests.auditLines(data)
            #expect(lines.contains { $0.contains(SuppressionKeys.addressHash(Self.address)) })
            #expect(lines.allSatisfy { !$0.contains("@") })
            // Each request is an event with one terminal record: the chain and the events verify.
            let verified = try AuditVerifyCommandTests().verify(data)
            #expect(verified.status == 0, "\(verified.output)")
        }
    }

    /// Runs the unsubscribe binary on one request.
    func run(_ request: Data, data: URL, scratch: URL, extra: [String: String] = [:]) throws -> (
        status: Int, body: String, exit: Int32
    ) {
        let file = scratch.appendingPathComponent("request-\(UUID().uuidString).json")
        try request.write(to: file)
        let run = try RuntimeTestSupport.execute(
            "unsubscribe", event: file,
            environment: environment(data, now: "2026-11-21T19:05:00Z").merging(extra) { _, new in new })
        let (status, body) = answer(Array(run.stdout))
        return (status, body, run.status)
    }

    @Test(
        "A signed Mandrill spam event POSTed to the binary suppresses the address; the next cart ends suppressed: complaint"
    )
    func mandrillSpamThroughTheBinary() throws {
        try withScratchSync { scratch in
            let data = scratch.appendingPathComponent("data")
            let configured = ["MANDRILL_WEBHOOK_KEY": Self.mandrillKey, "MANDRILL_WEBHOOK_URL": Self.mandrillURL]
            let events =
                #"[{"event":"spam","msg":{"email":"Maya.Okafor@example.com","_id":"m1","metadata":{"tidings_customer_id":"6100000001"}},"_id":"e1","ts":1795000000}]"#
            let body = "mandrill_events=\(PercentEncoding.encode(events))"
            let signature = MandrillWebhook.signature(
                url: Self.mandrillURL, fields: ["mandrill_events": events], key: Array(Self.mandrillKey.utf8))
            let headers = ["content-type": "application/x-www-form-urlencoded", "x-mandrill-signature": signature]

            // Mandrill's check when the webhook is added.
            let probe = try run(
                try envelope("HEAD", path: "/feedback/mandrill", headers: [:], body: ""), data: data, scratch: scratch)
            #expect(probe.status == 200)
            // Signed with another key: refused.
            var wrong = headers
            wrong["x-mandrill-signature"] = MandrillWebhook.signature(
                url: Self.mandrillURL, fields: ["mandrill_events": events], key: Array("other".utf8))
            let refused = try run(
                try envelope("POST", path: "/feedback/mandrill", headers: wrong, body: body), data: data,
                scratch: scratch, extra: configured)
            #expect(refused.status == 403)
            #expect(refused.exit == ExitStatus.unauthenticated.rawValue)
            #expect(RuntimeTestSupport.storedSuppressions(data).isEmpty)

            let accepted = try run(
                try envelope("POST", path: "/feedback/mandrill", headers: headers, body: body), data: data,
                scratch: scratch, extra: configured)
            #expect(accepted.status == 200, "\(accepted)")
            #expect(accepted.exit == 0)
            let stored = RuntimeTestSupport.storedSuppressions(data)
            #expect(stored.count == 1 && stored.allSatisfy { $0.contains("\"reason\":\"complaint\"") }, "\(stored)")
            let cart = try cartOutcome(data)
            #expect(cart["outcome"] == "suppressed", "\(cart)")
            #expect(cart["reason"]?.stringValue?.hasPrefix("complaint: ") == true, "\(cart)")
            let lines = try ReplayGoldenTests.auditLines(data)
            #expect(lines.allSatisfy { !$0.contains("@") && !$0.contains(Self.mandrillKey) })
        }
    }

    @Test("The binary without TIDINGS_SNS_TOPIC_ARNS refuses every SNS message (403) and suppresses nothing")
    func snsUnconfiguredThroughTheBinary() throws {
        try withScratchSync { scratch in
            let data = scratch.appendingPathComponent("data")
            let answer = try run(
                try envelope(
                    "POST", path: "/feedback/ses", headers: ["x-amz-sns-message-type": "Notification"],
                    body: try signedBounce(to: Self.address)), data: data, scratch: scratch)
            #expect(answer.status == 403)
            #expect(answer.body.hasPrefix("refused: not_configured"))
            #expect(RuntimeTestSupport.storedSuppressions(data).isEmpty)
        }
    }

    @Test(
        "Routes: the feedback paths (stage prefix or trailing slash allowed); every other path is the unsubscribe link")
    func routes() {
        #expect(UnsubscribeHandler.Route(path: "/feedback/ses") == .ses)
        #expect(UnsubscribeHandler.Route(path: "/prod/feedback/ses/") == .ses)
        #expect(UnsubscribeHandler.Route(path: "/feedback/mandrill") == .mandrill)
        #expect(UnsubscribeHandler.Route(path: "/") == .unsubscribe)
        #expect(UnsubscribeHandler.Route(path: "/unsubscribe") == .unsubscribe)
        #expect(UnsubscribeHandler.Route(path: "/feedback/sesx") == .unsubscribe)
    }
}
