import Foundation
import Testing
import TidingsCore
import TidingsHTTP

@testable import TidingsRuntime

/// The review queue's Slack notice over the production libcurl transport, against the loopback
/// fake of an incoming webhook (Tests/Fixtures/fakes/slack-webhook-fake.py), which checks the
/// Block Kit shape from Slack's pages.
@Suite("Slack review notice")
struct SlackNoticeTests {
    static let script = RuntimeTestSupport.root.appendingPathComponent("Tests/Fixtures/fakes/slack-webhook-fake.py")

    static func withFake<Result>(_ body: (Int) async throws -> Result) async throws -> Result {
        try await TestPython.withServer("the Slack webhook fake", [script.path], body)
    }

    static func requests(_ port: Int) async throws -> [[String: JSONValue]] {
        let response = try await CurlTransport(CurlTransport.Configuration(name: "fake")).send(
            TransportRequest(method: "GET", url: "http://127.0.0.1:\(port)/_requests"))
        guard case .array(let items) = try JSONParser.parse(response.body) else { return [] }
        return items.compactMap(\.objectValue)
    }

    /// Runs the recorded VIP cart through the handler built from `environment` (so the queue is
    /// wrapped as in production) and returns its outcome.
    static func handleVIP(_ environment: [String: String]) async throws -> OutcomeReport {
        let handler = try FunctionEnvironment.handler(
            function: .cartAbandoned, environment: environment, logger: RuntimeTestSupport.quietLogger)
        let document =
            try JSONSerialization.jsonObject(with: Data(contentsOf: ReviewDeskTests.vipEvent)) as! [String: Any]
        return await handler.pipeline.handle(
            InboundDelivery(
                body: Array((document["body"] as! String).utf8), headers: document["headers"] as! [String: String]),
            correlationID: "t", logger: RuntimeTestSupport.quietLogger)
    }

    @Test("A queued VIP draft is announced in Block Kit, after a 503 retried, with no address or last name")
    func queuedNotice() async throws {
        try await Self.withFake { port in
            try await withScratch { scratch in
                let transport = CurlTransport(CurlTransport.Configuration(name: "fake"))
                _ = try await transport.send(
                    TransportRequest(
                        method: "POST", url: "http://127.0.0.1:\(port)/_plan", body: Array(#"{"steps":["503"]}"#.utf8)))
                var environment = try ReviewDeskTests.environment(scratch)
                environment["SLACK_WEBHOOK_URL"] = "http://127.0.0.1:\(port)/services/T0001/B0001/hook-secret"
                let report = try await Self.handleVIP(environment)
                #expect(report.outcome == .queuedForReview)
                let requests = try await Self.requests(port)
                #expect(requests.map { $0["step"]?.stringValue } == ["503", "ok"], "retried once after the 503")
                let last = try #require(requests.last)
                #expect(last["problems"] == .array([]), "\(String(describing: last["problems"]))")
                let body = String(decoding: CanonicalJSON.bytes(try #require(last["body"])), as: UTF8.self)
                let id = try #require(
                    try FolderReviewQueue(directory: scratch.appendingPathComponent("data/review")).pending().first?.id)
                #expect(body.contains("cartAbandoned"))
                #expect(body.contains("*Tier*\\nvip"))
                #expect(body.contains(id))
                #expect(body.contains("Cascade Down Parka"), "the subject")
                #expect(body.contains("tier vip is reviewed by rule"), "the reasons")
                #expect(!body.contains("@example.com"), "no email address")
                #expect(!body.contains("Lindqvist"), "no last name")
                #expect(!body.contains("hook-secret"))
            }
        }
    }

    @Test("A webhook that keeps failing is logged, and the event is still queued for review")
    func failingWebhookNeverFailsTheEvent() async throws {
        try await Self.withFake { port in
            try await withScratch { scratch in
                let transport = CurlTransport(CurlTransport.Configuration(name: "fake"))
                _ = try await transport.send(
                    TransportRequest(
                        method: "POST", url: "http://127.0.0.1:\(port)/_plan",
                        body: Array(#"{"steps":["500","500","500","500"]}"#.utf8)))
                var environment = try ReviewDeskTests.environment(scratch)
                environment["SLACK_WEBHOOK_URL"] = "http://127.0.0.1:\(port)/services/T0001/B0001/hook-secret"
                let report = try await Self.handleVIP(environment)
                #expect(report.outcome == .queuedForReview)
                #expect(try await Self.requests(port).count == 3, "the first attempt and 2 retries")
                #expect(
                    try FolderReviewQueue(directory: scratch.appendingPathComponent("data/review")).pending().count == 1
                )
            }
        }
    }

    @Test("SLACK_WEBHOOK_URL must be https (http only on loopback) and is never echoed")
    func webhookChecked() throws {
        try withScratchSync { scratch in
            var environment = try ReviewDeskTests.environment(scratch)
            environment["SLACK_WEBHOOK_URL"] = "http://hooks.example.com/services/T/B/leaky-secret"
            let error = #expect(throws: ConfigurationError.self) {
                try Configuration.load(environment: environment, workingDirectory: RuntimeTestSupport.root)
            }
            #expect(error?.key == "SLACK_WEBHOOK_URL")
            #expect(error?.description.contains("leaky-secret") == false)
        }
    }

    @Test("The Block Kit message escapes Slack's control characters")
    func escaping() {
        let message = SlackReviewNotifier.message(
            ReviewNotice(
                kind: .queued, reviewID: "r1", flow: .cartAbandoned, tier: "vip", subject: "<b>Tom & Jerry</b>",
                reasons: ["a > b"]))
        let text = String(decoding: CanonicalJSON.bytes(message), as: UTF8.self)
        #expect(text.contains("&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;"))
        #expect(text.contains("a &gt; b"))
        #expect(!text.contains("<b>"))
    }
}
