import Foundation
import Testing
import TidingsCore
import TidingsHTTP

@testable import TidingsRuntime

/// `TIDINGS_ESP=mandrill` and `braze` through the handlers built from the environment, against the
/// loopback fake that checks every body against the description: an order series is handed over
/// with each step's time and a cancellation stops exactly the steps not yet due.
@Suite("Mandrill and Braze schedule the series", .serialized)
struct SchedulingESPTests {
    static let created = DispatchMotoTests.created
    static let cancelled = DispatchMotoTests.cancelled
    static let cart = RuntimeTestSupport.cartEvents.appendingPathComponent("shopify-first-time-buyer.json")
    static let laterSteps = ["getting_started", "review_request", "recommendations"]

    static func environment(data: URL, now: String, fake: SchedulingESPFake, extra: [String: String] = [:])
        -> [String: String]
    {
        [
            "TIDINGS_DATA_DIR": data.path,
            "TIDINGS_SHOP_DIR": RuntimeTestSupport.root.appendingPathComponent("Events/shop").path,
            "TIDINGS_NOW": now, "TIDINGS_LOG_LEVEL": "critical",
        ].merging(RuntimeTestSupport.webhookSecrets) { $1 }.merging(fake.environment) { $1 }.merging(extra) { $1 }
    }

    static func handle(_ function: FlowKind, _ event: URL, _ environment: [String: String]) async throws
        -> OutcomeReport
    {
        try await DispatchMotoTests.handle(function, event, environment)
    }

    /// `RuntimeTestSupport.execute` on a thread of its own: waiting for a child process must not
    /// hold one of the few cooperative threads the other tests (a Runtime API loop) need meanwhile.
    static func execute(_ handler: String, event: URL, environment: [String: String]) async throws
        -> HandlerExecution
    {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(
                    with: Result { try RuntimeTestSupport.execute(handler, event: event, environment: environment) })
            }.start()
        }
    }

    /// A small email of one series step, due at `sendAt`.
    static func sampleEmail(sendAt: Date = Date(timeIntervalSince1970: 1_800_000_000)) -> RenderedEmail {
        var email = RenderedEmail(
            messageID: "a1b2c3@tidings.northwind.example",
            from: Mailbox(name: "Northwind", address: "hello@northwind.example"),
            to: Mailbox(name: nil, address: "maya@example.com"), subject: "Your order", preheader: "On its way",
            html: "<p>Thank you</p>", text: "Thank you", unsubscribeURL: "https://northwind.example/u?c=6100000001&t=x",
            unsubscribeMailto: "mailto:unsubscribe@northwind.example", date: sendAt, sendAt: sendAt,
            extraHeaders: [.init("X-Tidings-Event-Id", "e-1"), .init("X-Tidings-Series", "order-1")])
        email.rawMessage = MIMEMessage.serialize(email)
        return email
    }

    static func strings(_ items: [[String: JSONValue]], _ key: String) -> [String] {
        items.compactMap { $0[key]?.stringValue }
    }

    @Test("Mandrill: the series goes with send_at per step; a cancellation cancels exactly the unsent steps")
    func mandrillSeries() async throws {
        try await SchedulingESPFake.with("mandrill") { fake in
            try await withScratch { data in
                let report = try await Self.handle(
                    .orderCreated, Self.created, Self.environment(data: data, now: "2026-11-24T15:16:00Z", fake: fake))
                #expect(report.outcome == .sent, "\(report)")
                #expect(try await fake.problems() == [])
                // The thank-you went at once; the three later steps are held by Mandrill, each at its time.
                #expect(Self.strings(try await fake.sent(), "step") == ["thank_you"])
                let scheduled = try await fake.scheduled()
                #expect(Self.strings(scheduled, "step") == Self.laterSteps)
                #expect(
                    Self.strings(scheduled, "send_at") == [
                        "2026-11-29 15:00:00", "2026-12-06 15:00:00", "2026-12-13 15:00:00",
                    ])
                // Nothing waits in the outbox: Mandrill is the queue.
                let outbox = data.appendingPathComponent("outbox")
                let queued = (try? FileManager.default.contentsOfDirectory(atPath: outbox.path))?.filter {
                    $0.hasSuffix(".eml")
                }
                #expect(queued?.isEmpty ?? true, "\(queued ?? [])")
                // The event id, flow and series travel as Mandrill metadata.
                let metadata = try #require(scheduled.first?["metadata"]?.objectValue)
                #expect(metadata["event_id"]?.stringValue == "7d1f6a2e-0c4b-4f0e-9a51-1c2b3d4e0c01")
                #expect(metadata["flow"]?.stringValue == "orderCreated")
                #expect(metadata["series"]?.stringValue == scheduled.first?["series"]?.stringValue)
                // The request carries the key in the body, async false and the exact rendered message.
                let first = try #require(try await fake.requests().first?["body"]?.objectValue)
                #expect(first["key"]?.stringValue == SchedulingESPFake.key)
                #expect(first["async"] == .bool(false))

                // Cancelled the day after, before any later step is due: all three are cancelled.
                let ids = Self.strings(scheduled, "id")
                let cancellation = try await Self.handle(
                    .orderCancelled, Self.cancelled,
                    Self.environment(data: data, now: "2026-11-25T13:31:00Z", fake: fake))
                #expect(cancellation.outcome != .failed, "\(cancellation)")
                #expect(try await fake.scheduled().isEmpty, "Mandrill holds no step of the series")
                let cancels = try await fake.requests().filter {
                    $0["path"]?.stringValue == "/messages/cancel-scheduled"
                }
                #expect(cancels.compactMap { $0["body"]?.objectValue?["id"]?.stringValue }.sorted() == ids.sorted())
                #expect(try await fake.problems() == [])
                // A second cancellation asks nothing more: the ledger marked them.
                _ = try await Self.handle(
                    .orderCancelled, Self.cancelled,
                    Self.environment(data: data, now: "2026-11-25T13:32:00Z", fake: fake))
                let paths = try await fake.paths()
                #expect(paths.filter { $0 == "/messages/cancel-scheduled" }.count == 3, "\(paths)")
            }
        }
    }

    @Test("Mandrill: cancelled after the first later step's time, only the two still ahead are cancelled")
    func mandrillPartialCancel() async throws {
        try await SchedulingESPFake.with("mandrill") { fake in
            try await withScratch { data in
                _ = try await Self.handle(
                    .orderCreated, Self.created, Self.environment(data: data, now: "2026-11-24T15:16:00Z", fake: fake))
                let scheduled = try await fake.scheduled()
                try #require(Self.strings(scheduled, "step") == Self.laterSteps)
                // The getting_started step went on 29 November; the order is cancelled on the 30th.
                _ = try await Self.handle(
                    .orderCancelled, Self.cancelled,
                    Self.environment(data: data, now: "2026-11-30T09:00:00Z", fake: fake))
                let cancelled = try await fake.requests().filter {
                    $0["path"]?.stringValue == "/messages/cancel-scheduled"
                }.compactMap { $0["body"]?.objectValue?["id"]?.stringValue }
                #expect(cancelled.sorted() == Array(Self.strings(scheduled, "id").dropFirst()).sorted())
                #expect(Self.strings(try await fake.scheduled(), "step") == ["getting_started"])
            }
        }
    }

    @Test("Mandrill: a rejected recipient is a failed, non-retryable outcome with the reject reason in the audit")
    func mandrillRejected() async throws {
        try await SchedulingESPFake.with("mandrill") { fake in
            try await withScratch { data in
                try await fake.plan("/messages/send-raw", ["rejected:hard-bounce"])
                let report = try await Self.handle(
                    .cartAbandoned, Self.cart, Self.environment(data: data, now: "2026-11-21T15:20:00Z", fake: fake))
                #expect(report.outcome == .failed, "\(report)")
                #expect(report.retryable == false, "\(report)")
                #expect(report.reason?.contains("rejected: hard-bounce") == true, "\(report)")
                let audit = try ReplayGoldenTests.auditLines(data)
                #expect(audit.contains { $0.contains("hard-bounce") }, "\(audit)")
                #expect(try await fake.paths() == ["/messages/send-raw"], "a rejection is not retried")
            }
        }
    }

    @Test("Mandrill: a 429 with Retry-After is waited out and tried again; the message goes once")
    func mandrillThrottled() async throws {
        try await SchedulingESPFake.with("mandrill") { fake in
            try await withScratch { data in
                try await fake.plan("/messages/send-raw", ["429"])
                let report = try await Self.handle(
                    .cartAbandoned, Self.cart, Self.environment(data: data, now: "2026-11-21T15:20:00Z", fake: fake))
                #expect(report.outcome == .sent, "\(report)")
                #expect(try await fake.paths() == ["/messages/send-raw", "/messages/send-raw"])
                #expect(try await fake.sent().count == 1)
                #expect(report.messages == Self.strings(try await fake.sent(), "id"))
            }
        }
    }

    @Test("Mandrill: the handler binary with TIDINGS_ESP=mandrill sends the exact message and never logs the key")
    func mandrillBinary() async throws {
        try await SchedulingESPFake.with("mandrill") { fake in
            try await withScratch { data in
                let environment = Self.environment(data: data, now: "2026-11-21T15:20:00Z", fake: fake)
                    .merging(["TIDINGS_LOG_LEVEL": "trace"]) { $1 }
                let execution = try await Self.execute("cartAbandoned", event: Self.cart, environment: environment)
                #expect(execution.status == 0, "\(execution.stderr.suffix(800))")
                #expect(execution.stderr.contains("mandrill"), "\(execution.stderr.prefix(400))")
                #expect(!execution.stderr.contains(SchedulingESPFake.key), "the API key is never logged")
                let answer = try JSONParser.parse(Array(execution.stdout)).objectValue ?? [:]
                #expect(answer["outcome"]?.stringValue == "sent", "\(answer)")
                let sent = try await fake.sent()
                try #require(sent.count == 1)
                #expect(answer["messages"] == .array([sent[0]["id"] ?? .null]))
                #expect(try await fake.problems() == [])

                // The same event through the outbox: Mandrill got those bytes after its metadata line.
                let outboxData = data.appendingPathComponent("outbox-run")
                let local = try await Self.execute(
                    "cartAbandoned", event: Self.cart,
                    environment: environment.merging(["TIDINGS_ESP": "outbox", "TIDINGS_DATA_DIR": outboxData.path]) {
                        $1
                    })
                #expect(local.status == 0)
                let outbox = outboxData.appendingPathComponent("outbox")
                let names = try FileManager.default.contentsOfDirectory(atPath: outbox.path).filter {
                    $0.hasSuffix(".eml")
                }
                try #require(names.count == 1)
                let eml = try Data(contentsOf: outbox.appendingPathComponent(names[0]))
                let raw = try #require(sent[0]["raw"]?.stringValue)
                #expect(raw.hasPrefix("X-MC-Metadata: {\"event_id\":"), "\(raw.prefix(120))")
                let afterMetadata = try #require(raw.range(of: "\r\n")).upperBound
                #expect(Data(raw[afterMetadata...].utf8) == eml, "the rendered message, byte for byte")
            }
        }
    }

    @Test("Mandrill: a send_at in ISO 8601 form, not Mandrill's, is refused by the fake's check of the description")
    func fakeRefusesAWrongBody() async throws {
        try await SchedulingESPFake.with("mandrill") { fake in
            let transport = CurlTransport(CurlTransport.Configuration(name: "fake"))
            var body = try #require(
                try JSONParser.parse(
                    MandrillEmailService.sendBody(
                        Self.sampleEmail(), key: Secret(SchedulingESPFake.key),
                        sendAt: Date(timeIntervalSince1970: 1_800_000_000))
                ).objectValue)
            body["send_at"] = "2027-01-15T08:00:00Z"
            let response = try await transport.send(
                TransportRequest(
                    method: "POST", url: fake.url + "/messages/send-raw", headers: ["Content-Type": "application/json"],
                    body: Array(try JSONEncoder().encode(JSONValue.object(body)))))
            #expect(response.status == 500)
            #expect(MandrillEmailService.errorCode(name: "ValidationError", status: 500) == .badRequest)
            #expect(try await fake.problems().contains { $0.contains("send_at") })
        }
    }

    @Test("Mandrill: an upstream that does not answer is unreachable and retryable, within the transport's time")
    func mandrillHang() async throws {
        try await SchedulingESPFake.with("mandrill") { fake in
            try await withScratch { data in
                try await fake.plan("/messages/send-raw", ["hang"])
                let service = MandrillEmailService(
                    baseURL: fake.url, apiKey: Secret(SchedulingESPFake.key),
                    transport: CurlTransport(CurlTransport.Configuration(name: "mandrill", totalTimeout: 1)),
                    ledger: JSONLScheduledSendLedger(directory: data))
                let started = Date()
                await #expect {
                    _ = try await service.deliver(Self.sampleEmail())
                } throws: { error in
                    let error = error as? DeliveryError
                    return error?.code == .unreachable && error?.isRetryable == true
                }
                // The fake answers after 30 s; the 1 s limit ends it long before, even on a loaded machine.
                #expect(Date().timeIntervalSince(started) < 20)
            }
        }
    }

    @Test("Braze: the series goes to /messages/schedule/create per step; a cancellation deletes the unsent schedules")
    func brazeSeries() async throws {
        try await SchedulingESPFake.with("braze") { fake in
            try await withScratch { data in
                let report = try await Self.handle(
                    .orderCreated, Self.created, Self.environment(data: data, now: "2026-11-24T15:16:00Z", fake: fake))
                #expect(report.outcome == .sent, "\(report)")
                #expect(try await fake.problems() == [])
                #expect(
                    try await fake.paths() == [
                        "/messages/send", "/messages/schedule/create", "/messages/schedule/create",
                        "/messages/schedule/create",
                    ])
                let scheduled = try await fake.scheduled()
                #expect(Self.strings(scheduled, "step") == Self.laterSteps)
                #expect(
                    Self.strings(scheduled, "send_at") == [
                        "2026-11-29T15:00:00Z", "2026-12-06T15:00:00Z", "2026-12-13T15:00:00Z",
                    ])
                // The recipient is the platform customer, the same one the unsubscribe link names.
                let sent = try #require(try await fake.sent().first)
                let customer = try #require(sent["to"]?.stringValue)
                #expect(!customer.isEmpty && customer.allSatisfy(\.isNumber), "\(customer)")
                let email = try #require(sent["body"]?.objectValue?["messages"]?.objectValue?["email"]?.objectValue)
                #expect(
                    email["headers"]?.objectValue?["List-Unsubscribe-Post"]?.stringValue == "List-Unsubscribe=One-Click"
                )
                #expect(
                    email["headers"]?.objectValue?["List-Unsubscribe"]?.stringValue?.contains("c=\(customer)") == true)
                #expect(
                    email["extras"]?.objectValue?["event_id"]?.stringValue == "7d1f6a2e-0c4b-4f0e-9a51-1c2b3d4e0c01")

                let cancellation = try await Self.handle(
                    .orderCancelled, Self.cancelled,
                    Self.environment(data: data, now: "2026-11-25T13:31:00Z", fake: fake))
                #expect(cancellation.outcome != .failed, "\(cancellation)")
                #expect(try await fake.scheduled().isEmpty)
                let deletes = try await fake.requests().filter {
                    $0["path"]?.stringValue == "/messages/schedule/delete"
                }.compactMap { $0["body"]?.objectValue?["schedule_id"]?.stringValue }
                #expect(deletes.sorted() == Self.strings(scheduled, "id").sorted())
                #expect(try await fake.problems() == [])
            }
        }
    }

    @Test("Braze with a campaign: trigger_properties carry the rendered parts; schedules are the campaign's")
    func brazeCampaign() async throws {
        try await SchedulingESPFake.with("braze") { fake in
            try await withScratch { data in
                let campaign = ["BRAZE_CAMPAIGN_ID": "0a1b2c3d-4e5f-6789-abcd-ef0123456789", "BRAZE_APP_ID": ""]
                let report = try await Self.handle(
                    .orderCreated, Self.created,
                    Self.environment(data: data, now: "2026-11-24T15:16:00Z", fake: fake, extra: campaign))
                #expect(report.outcome == .sent, "\(report)")
                #expect(try await fake.problems() == [])
                let paths = try await fake.paths()
                #expect(paths.first == "/campaigns/trigger/send")
                #expect(paths.filter { $0 == "/campaigns/trigger/schedule/create" }.count == 3)
                guard case .array(let recipients)? = try await fake.sent().first?["body"]?.objectValue?["recipients"]
                else {
                    Issue.record("no recipients in the campaign send")
                    return
                }
                let properties = try #require(recipients.first?.objectValue?["trigger_properties"]?.objectValue)
                for key in ["subject", "html", "text", "preheader", "unsubscribe_url", "event_id"] {
                    #expect(properties[key]?.stringValue?.isEmpty == false, "\(key)")
                }
                _ = try await Self.handle(
                    .orderCancelled, Self.cancelled,
                    Self.environment(data: data, now: "2026-11-25T13:31:00Z", fake: fake, extra: campaign))
                #expect(try await fake.scheduled().isEmpty)
                #expect(try await fake.paths().filter { $0 == "/campaigns/trigger/schedule/delete" }.count == 3)
                #expect(try await fake.problems() == [])
            }
        }
    }

    @Test("Braze: a 5xx on every attempt is a failed, retryable outcome; a refused key is not retryable")
    func brazeFaults() async throws {
        try await SchedulingESPFake.with("braze") { fake in
            try await withScratch { data in
                try await fake.plan("/messages/send", ["503", "503", "503", "503"])
                let report = try await Self.handle(
                    .cartAbandoned, Self.cart, Self.environment(data: data, now: "2026-11-21T15:20:00Z", fake: fake))
                #expect(report.outcome == .failed, "\(report)")
                #expect(report.retryable == true, "\(report)")
                #expect(try await fake.paths().count == 4, "bounded: one attempt and three retries")

                let refused = try await Self.handle(
                    .cartAbandoned, Self.cart,
                    Self.environment(
                        data: data.appendingPathComponent("refused"), now: "2026-11-21T15:20:00Z", fake: fake,
                        extra: ["BRAZE_API_KEY": "wrong-key"]))
                #expect(refused.outcome == .failed, "\(refused)")
                #expect(refused.retryable == false, "\(refused)")
                #expect(refused.reason?.contains("401") == true, "\(refused)")
            }
        }
    }
}

/// `TIDINGS_ESP=mandrill|braze` at start-up: what is missing or malformed stops it, naming the variable.
@Suite("Mandrill and Braze settings")
struct SchedulingESPSettingsTests {
    static func key(_ environment: [String: String]) -> String? {
        do {
            _ = try EmailSettings.load(environment: environment)
            return nil
        } catch {
            return error.key
        }
    }

    @Test("Each missing or malformed variable is named")
    func namesTheVariable() throws {
        let mandrill = ["TIDINGS_ESP": "mandrill", "MANDRILL_API_KEY": "k"]
        #expect(Self.key(mandrill) == nil)
        #expect(Self.key(["TIDINGS_ESP": "mandrill"]) == "MANDRILL_API_KEY")
        #expect(
            Self.key(["TIDINGS_ESP": "mandrill", "MANDRILL_API_KEY_FILE": "/nonexistent/key"])
                == "MANDRILL_API_KEY_FILE")
        #expect(Self.key(mandrill.merging(["MANDRILL_BASE_URL": "mandrillapp.com/api"]) { $1 }) == "MANDRILL_BASE_URL")
        let settings = try EmailSettings.load(environment: mandrill)
        #expect(settings.mandrill?.baseURL == "https://mandrillapp.com/api/1.0")

        let braze = [
            "TIDINGS_ESP": "braze", "BRAZE_API_KEY": "k", "BRAZE_REST_ENDPOINT": "https://rest.iad-01.braze.com",
        ]
        #expect(Self.key(braze.merging(["BRAZE_APP_ID": "app-1"]) { $1 }) == nil)
        #expect(Self.key(braze.merging(["BRAZE_CAMPAIGN_ID": "c-1"]) { $1 }) == nil)
        #expect(Self.key(braze) == "BRAZE_APP_ID")
        #expect(Self.key(["TIDINGS_ESP": "braze", "BRAZE_API_KEY": "k", "BRAZE_APP_ID": "a"]) == "BRAZE_REST_ENDPOINT")
        #expect(
            Self.key([
                "TIDINGS_ESP": "braze", "BRAZE_REST_ENDPOINT": "https://rest.iad-01.braze.com", "BRAZE_APP_ID": "a",
            ])
                == "BRAZE_API_KEY")
        #expect(
            Self.key(braze.merging(["BRAZE_REST_ENDPOINT": "rest.iad-01.braze.com"]) { $1 }) == "BRAZE_REST_ENDPOINT")
        #expect(Self.key(braze.merging(["BRAZE_CAMPAIGN_ID": "no spaces allowed"]) { $1 }) == "BRAZE_CAMPAIGN_ID")
    }

    @Test("tidings dispatch refuses braze (it takes parts, the outbox keeps raw messages) and accepts mandrill")
    func dispatchWithSchedulingESPs() throws {
        try withScratchSync { data in
            let base = [
                "TIDINGS_DATA_DIR": data.path,
                "TIDINGS_SHOP_DIR": RuntimeTestSupport.root.appendingPathComponent("Events/shop").path,
            ]
            let braze = base.merging([
                "TIDINGS_ESP": "braze", "BRAZE_API_KEY": "k", "BRAZE_REST_ENDPOINT": "https://rest.iad-01.braze.com",
                "BRAZE_APP_ID": "a",
            ]) { $1 }
            #expect {
                _ = try DispatchMain.dispatcher(environment: braze, logger: RuntimeTestSupport.quietLogger)
            } throws: { error in
                (error as? ConfigurationError)?.key == "TIDINGS_ESP"
            }
            let mandrill = base.merging(["TIDINGS_ESP": "mandrill", "MANDRILL_API_KEY": "k"]) { $1 }
            let dispatcher = try DispatchMain.dispatcher(environment: mandrill, logger: RuntimeTestSupport.quietLogger)
            #expect(dispatcher.service is MandrillEmailService)
        }
    }

    @Test("The key is not in the settings' description")
    func keyNotPrinted() throws {
        let settings = try EmailSettings.load(environment: [
            "TIDINGS_ESP": "mandrill", "MANDRILL_API_KEY": "sekrit-123",
        ])
        #expect(!"\(settings)".contains("sekrit-123"))
    }
}
