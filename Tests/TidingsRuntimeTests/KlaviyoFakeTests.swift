import Foundation
import Testing
import TidingsCore
import TidingsHTTP

@testable import TidingsRuntime

/// The loopback Klaviyo fake (Tests/Fixtures/fakes/klaviyo-fake.py), scoped: started on a free
/// port, handed to `body`, killed afterwards. It checks every request's headers and body against
/// the spec slices in Tests/Fixtures/specs/klaviyo and answers faults on demand.
struct KlaviyoFake {
    /// The fake's port on 127.0.0.1.
    let port: Int
    /// `http://127.0.0.1:PORT`, the value for `KLAVIYO_BASE_URL`.
    var url: String { "http://127.0.0.1:\(port)" }
    /// The key the fake accepts.
    static let key = "pk_tidings_test"

    static let script = RuntimeTestSupport.root.appendingPathComponent("Tests/Fixtures/fakes/klaviyo-fake.py")

    /// A new transport per call, so no connection cached for an earlier fake on a reused port is tried.
    static var transport: CurlTransport { CurlTransport(CurlTransport.Configuration(name: "klaviyo-fake")) }

    /// GETs one of the fake's inspection paths and parses it.
    func get(_ path: String) async throws -> [JSONValue] {
        let response = try await Self.transport.send(TransportRequest(method: "GET", url: url + path))
        guard case .array(let items) = try JSONParser.parse(response.body) else { return [] }
        return items
    }

    /// Every request the fake received, in order.
    func requests() async throws -> [[String: JSONValue]] { try await get("/_requests").compactMap(\.objectValue) }
    /// The events it recorded, once per (profile, metric, unique_id).
    func events() async throws -> [[String: JSONValue]] { try await get("/_events").compactMap(\.objectValue) }

    /// Sets the faults: `{"script": {...}}`, `{"rate": ..., "kinds": [...]}` or `{}`.
    func faults(_ json: String) async throws {
        let response = try await Self.transport.send(
            TransportRequest(method: "POST", url: url + "/_faults", body: Array(json.utf8)))
        #expect(response.status == 200)
    }

    /// Starts the fake (a 429 asks for `retryAfter` seconds, a hang lasts `hang`), runs `body`, stops it.
    static func with<Result>(
        retryAfter: Int = 1, hang: Int = 30, _ body: (KlaviyoFake) async throws -> Result
    ) async throws -> Result {
        try await TestPython.withServer(
            "the Klaviyo fake", [script.path, "--retry-after", "\(retryAfter)", "--hang", "\(hang)"]
        ) { port in
            try await body(KlaviyoFake(port: port))
        }
    }
}

/// `TIDINGS_ESP=klaviyo` end to end: the handler built from the environment upserts the profile
/// and creates the event through libcurl, against a fake that refuses anything the spec does not
/// allow; redeliveries, faults and configuration errors.
@Suite("Klaviyo against the fake")
struct KlaviyoFakeTests {
    let event = RuntimeTestSupport.cartEvents.appendingPathComponent("shopify-first-time-buyer.json")

    func environment(data: URL, _ fake: KlaviyoFake, _ extra: [String: String] = [:]) -> [String: String] {
        [
            "TIDINGS_DATA_DIR": data.path,
            "TIDINGS_SHOP_DIR": RuntimeTestSupport.root.appendingPathComponent("Events/shop").path,
            "TIDINGS_NOW": "2026-11-21T15:20:00Z", "TIDINGS_LOG_LEVEL": "critical",
            "TIDINGS_ESP": "klaviyo", "KLAVIYO_API_KEY": KlaviyoFake.key, "KLAVIYO_BASE_URL": fake.url,
        ].merging(RuntimeTestSupport.webhookSecrets) { $1 }.merging(extra) { $1 }
    }

    func handle(_ environment: [String: String]) async throws -> OutcomeReport {
        let handler = try FunctionEnvironment.handler(
            function: .cartAbandoned, environment: environment, logger: RuntimeTestSupport.quietLogger)
        let answer = await handler.handle(
            Array(try Data(contentsOf: event)), deadline: nil, correlationID: "klaviyo",
            logger: RuntimeTestSupport.quietLogger)
        return try #require(answer.reports.first)
    }

    /// The requests' problems as the fake found them; [] when every request was valid.
    static func problems(_ requests: [[String: JSONValue]]) -> [String] {
        requests.flatMap { request -> [String] in
            guard case .array(let problems)? = request["problems"] else { return [] }
            return problems.compactMap(\.stringValue)
        }
    }

    @Test(
        "A cart's email: the profile is upserted, then one valid event carries subject, text and HTML under its unique_id"
    )
    func deliversTheCart() async throws {
        try await KlaviyoFake.with { fake in
            try await withScratch { scratch in
                let sent = try await handle(environment(data: scratch, fake))
                #expect(sent.outcome == .sent, "\(sent)")
                let requests = try await fake.requests()
                #expect(Self.problems(requests) == [], "every request valid against the spec")
                #expect(requests.map { $0["path"]?.stringValue } == ["/api/profile-import", "/api/events"])
                let headers = requests[1]["headers"]?.objectValue ?? [:]
                #expect(headers["revision"]?.stringValue == "2026-07-15")
                let events = try await fake.events()
                try #require(events.count == 1)
                let recorded = events[0]
                #expect(recorded["metric"]?.stringValue == "Tidings Cart Abandoned")
                let uniqueID = try #require(recorded["unique_id"]?.stringValue)
                #expect(sent.messages == [uniqueID], "the receipt is the event's unique_id")
                let properties = recorded["properties"]?.objectValue ?? [:]
                #expect(properties["subject"]?.stringValue == sent.subject)
                #expect(properties["preheader"]?.stringValue?.isEmpty == false)
                #expect(properties["flow"]?.stringValue == "cartAbandoned")
                let extra = properties["$extra"]?.objectValue ?? [:]
                let html = try #require(extra["html"]?.stringValue)
                #expect(html.contains("<html") && html.contains("/unsubscribe"), "the rendered HTML with its link")
                #expect(extra["text"]?.stringValue?.isEmpty == false)
                // The same email, rendered to the outbox: the HTML Klaviyo got is the HTML Tidings wrote.
                let outboxData = scratch.appendingPathComponent("outbox-run")
                _ = try await handle(environment(data: outboxData, fake, ["TIDINGS_ESP": "outbox"]))
                let outbox = outboxData.appendingPathComponent("outbox")
                let name = try #require(
                    try FileManager.default.contentsOfDirectory(atPath: outbox.path).first { $0.hasSuffix(".eml") })
                let parts = try #require(MIMEMessage.read(try Data(contentsOf: outbox.appendingPathComponent(name))))
                #expect(parts.html == html)
                #expect(parts.subject == properties["subject"]?.stringValue)
            }
        }
    }

    @Test("A redelivered event sends the same unique_id, and Klaviyo records one event")
    func redeliveryIsOneEvent() async throws {
        try await KlaviyoFake.with { fake in
            try await withScratch { scratch in
                // Two data folders: the second handling does not know of the first (another
                // instance, or a crash before the outcome was recorded), so only Klaviyo can dedupe.
                let first = try await handle(environment(data: scratch.appendingPathComponent("a"), fake))
                let second = try await handle(environment(data: scratch.appendingPathComponent("b"), fake))
                #expect(first.outcome == .sent && second.outcome == .sent)
                #expect(first.messages == second.messages, "the same unique_id")
                let eventRequests = try await fake.requests().filter { $0["path"] == "/api/events" }
                #expect(eventRequests.count == 2)
                let events = try await fake.events()
                #expect(events.count == 1)
                #expect(events.first?["seen"] == .int(2))
            }
        }
    }

    @Test(
        "A 429 waits Retry-After and is retried; a reset after Klaviyo recorded the event is retried without a second event"
    )
    func transientFaultsRecover() async throws {
        try await KlaviyoFake.with { fake in
            try await withScratch { scratch in
                try await fake.faults(#"{"script": {"/api/events": ["429"], "/api/profile-import": ["503"]}}"#)
                let start = ContinuousClock.now
                let sent = try await handle(environment(data: scratch.appendingPathComponent("429"), fake))
                #expect(sent.outcome == .sent, "\(sent)")
                #expect(ContinuousClock.now - start >= .seconds(1), "Retry-After: 1 honoured")
                let requests = try await fake.requests()
                #expect(requests.map { $0["fault"]?.stringValue } == ["503", "clean", "429", "clean"])

                try await fake.faults(#"{"script": {"/api/events": ["late-reset"]}}"#)
                let again = try await handle(environment(data: scratch.appendingPathComponent("late"), fake))
                #expect(again.outcome == .sent, "\(again)")
                #expect(again.messages == sent.messages)
                #expect(try await fake.events().count == 1, "the retried event was dropped by its unique_id")
            }
        }
    }

    @Test("Faults that persist end failed: 5xx and timeouts retryable, 400 and 401 not, each saying why")
    func persistentFaults() async throws {
        try await KlaviyoFake.with(hang: 5) { fake in
            try await withScratch { scratch in
                func run(_ faults: String, _ name: String, _ extra: [String: String] = [:]) async throws
                    -> OutcomeReport
                {
                    try await fake.faults(faults)
                    return try await handle(environment(data: scratch.appendingPathComponent(name), fake, extra))
                }
                let failing = try await run(#"{"script": {"/api/events": ["500", "503", "500", "500"]}}"#, "5xx")
                #expect(failing.outcome == .failed)
                #expect(failing.retryable == true)
                #expect(failing.reason?.contains("klaviyo: create event: HTTP 500") == true, "\(failing)")
                let attempts = try await fake.requests().filter { $0["path"] == "/api/events" }.count
                #expect(attempts == RetryPolicy().maxRetries + 1, "bounded: 1 + max retries")

                let invalid = try await run(#"{"script": {"/api/events": ["400"]}}"#, "400")
                #expect(invalid.outcome == .failed)
                #expect(invalid.retryable == false)
                #expect(invalid.reason?.contains("HTTP 400 invalid") == true, "\(invalid)")
                #expect(invalid.reason?.contains("/data/attributes/metric") == true, "the pointer: \(invalid)")

                let refused = try await run(#"{"script": {"/api/profile-import": ["401"]}}"#, "401")
                #expect(refused.outcome == .failed)
                #expect(refused.retryable == false)
                #expect(refused.reason?.contains("profile upsert: HTTP 401") == true, "\(refused)")

                let hanging = try await run(
                    #"{"script": {"/api/events": ["hang", "hang", "hang", "hang"]}}"#, "hang",
                    ["KLAVIYO_TIMEOUT_SECONDS": "1"])
                #expect(hanging.outcome == .failed)
                #expect(hanging.retryable == true)
                #expect(hanging.reason?.contains("timed_out") == true, "\(hanging)")
                #expect(try await fake.events().isEmpty, "nothing was recorded by any of them")
            }
        }
    }

    @Test("The cartAbandoned binary with TIDINGS_ESP=klaviyo sends, and logs neither the key nor the address")
    func handlerBinary() async throws {
        try await KlaviyoFake.with { fake in
            try await withScratch { scratch in
                let execution = try RuntimeTestSupport.execute(
                    "cartAbandoned", event: event,
                    environment: environment(data: scratch, fake, ["TIDINGS_LOG_LEVEL": "trace"]))
                #expect(execution.status == 0, "\(execution.stderr.suffix(800))")
                #expect(execution.stderr.contains("klaviyo"), "\(execution.stderr.prefix(400))")
                #expect(!execution.stderr.contains(KlaviyoFake.key), "the key is never logged")
                let answer = try JSONParser.parse(Array(execution.stdout)).objectValue ?? [:]
                #expect(answer["outcome"]?.stringValue == "sent", "\(answer)")
                let requests = try await fake.requests()
                #expect(Self.problems(requests) == [])
                let address = try #require(
                    requests.first?["body"]?.objectValue?["data"]?.objectValue?["attributes"]?.objectValue?["email"]?
                        .stringValue)
                #expect(!execution.stderr.contains(address), "the address is never logged")
                let events = try await fake.events()
                #expect(answer["messages"] == .array([try #require(events.first?["unique_id"])]))
            }
        }
    }

    @Test("klaviyo without a key, with a bad base URL or timeout stops start-up, naming the variable")
    func configurationErrors() async throws {
        try await withScratch { scratch in
            let base = [
                "TIDINGS_DATA_DIR": scratch.path,
                "TIDINGS_SHOP_DIR": RuntimeTestSupport.root.appendingPathComponent("Events/shop").path,
                "TIDINGS_ESP": "klaviyo", "KLAVIYO_API_KEY": "pk_x",
            ]
            func key(_ environment: [String: String]) -> String? {
                do {
                    _ = try FunctionEnvironment.handler(
                        function: .cartAbandoned, environment: environment, logger: RuntimeTestSupport.quietLogger)
                    return nil
                } catch {
                    return error.key
                }
            }
            #expect(key(base) == nil)
            #expect(key(base.filter { $0.key != "KLAVIYO_API_KEY" }) == "KLAVIYO_API_KEY")
            #expect(key(base.merging(["KLAVIYO_BASE_URL": "a.klaviyo.com"]) { $1 }) == "KLAVIYO_BASE_URL")
            #expect(key(base.merging(["KLAVIYO_TIMEOUT_SECONDS": "0"]) { $1 }) == "KLAVIYO_TIMEOUT_SECONDS")
            #expect(
                key(
                    base.filter { $0.key != "KLAVIYO_API_KEY" }.merging(["KLAVIYO_API_KEY_FILE": "/nonexistent"]) { $1 }
                )
                    == "KLAVIYO_API_KEY_FILE")
        }
    }
}

extension KlaviyoFakeTests {
    @Test("An order series: the thank-you goes at once, a later step through `tidings dispatch` carries its HTML")
    func seriesThroughTheDispatcher() async throws {
        try await KlaviyoFake.with { fake in
            try await withScratch { scratch in
                var environment = environment(data: scratch, fake, ["TIDINGS_NOW": "2026-11-24T15:16:00Z"])
                let handler = try FunctionEnvironment.handler(
                    function: .orderCreated, environment: environment, logger: RuntimeTestSupport.quietLogger)
                let answer = await handler.handle(
                    Array(try Data(contentsOf: DispatchMotoTests.created)), deadline: nil, correlationID: "series",
                    logger: RuntimeTestSupport.quietLogger)
                #expect(answer.reports.first?.outcome == .sent, "\(answer.reports)")
                #expect(try await fake.events().compactMap { $0["properties"]?.objectValue?["step"] } == ["thank_you"])

                environment["TIDINGS_NOW"] = nil
                let process = try DispatchMotoTests.run(
                    "tidings", ["dispatch", "--data-dir", scratch.path, "--now", "2026-11-29T15:00:00Z"],
                    environment: environment)
                let errors = (process.standardError as! Pipe).fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                #expect(process.terminationStatus == 0, "\(String(decoding: errors, as: UTF8.self).suffix(600))")
                #expect(Self.problems(try await fake.requests()) == [])
                let events = try await fake.events()
                try #require(events.count == 2)
                let later = events[1]["properties"]?.objectValue ?? [:]
                #expect(later["step"] == "getting_started")
                #expect(events[1]["metric"] == "Tidings Order Created")
                #expect(later["subject"]?.stringValue?.isEmpty == false)
                #expect(later["subject"]?.stringValue?.contains("=?utf-8?") == false, "decoded, not an encoded-word")
                let html = later["$extra"]?.objectValue?["html"]?.stringValue ?? ""
                #expect(html.contains("<html") && !html.contains("=3D"), "the HTML decoded from the outbox's message")
                #expect(later["unsubscribe_url"]?.stringValue?.hasPrefix("https://") == true)
            }
        }
    }
}

extension KlaviyoFakeTests {
    @Test("The fake's validator accepts the spec's shapes and refuses broken bodies and headers (its --self-check)")
    func fakeRefusesWrongBodies() async throws {
        await TestPython.prepare()
        let process = TestPython.process([KlaviyoFake.script.path, "--self-check"])
        let output = Pipe()
        process.standardOutput = output
        process.standardError = Pipe()
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.contains("ok   no metric: /data/attributes: required member 'metric' is missing"), "\(text)")
        #expect(text.contains("ok   unknown attribute:"), "\(text)")
        #expect(!text.contains("WRONG"), "\(text)")
    }
}
