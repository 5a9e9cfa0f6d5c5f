import Foundation
import Logging
import Testing
import TidingsCore
import TidingsDevKit

@testable import TidingsRuntime

/// The frequency cap and quiet hours changing outcomes of recorded events, handled by the pipeline
/// on the embedded stages with the data folder's SQLite state store
/// (docs/decisions/frequency-and-quiet-hours.md).
@Suite("Frequency cap and quiet hours on recorded events")
struct FrequencyAndQuietHoursRunTests {
    /// Maya Okafor's abandoned checkout (customer 6100000001, shipping to Portland, Oregon): its
    /// planned send time is 2026-11-21T15:12:40Z, the event's time plus the hour's delay.
    static let cart = RuntimeTestSupport.root.appendingPathComponent(
        "Events/cartAbandoned/shopify-first-time-buyer.json")
    static let cartCustomer = "6100000001"
    static let cartSendAt = Timestamp.parse("2026-11-21T15:12:40Z")!
    /// A repeat customer's order (customer 6100000007, marketing consent): a thank-you, two
    /// transactional follow-ups and marketing recommendations.
    static let order = RuntimeTestSupport.root.appendingPathComponent(
        "Events/orderCreated/shopify-repeat-customer.json")
    static let orderCustomer = "6100000007"
    static let orderNow = Timestamp.parse("2026-11-24T15:16:00Z")!

    static let capOfOne = FrequencyCap(maximum: 1, windowDays: 7)
    static let evening = QuietHours(
        startMinute: 21 * 60, endMinute: 8 * 60, shopTimeZone: TimeZone(identifier: "America/New_York")!)

    /// A pipeline of `kind` on the data folder with `contact` settings, its own in-memory audit,
    /// the clock at `now` and, when given, its model wrapped. Webhooks are not checked (a copy of
    /// a recorded delivery with another id has no valid signature).
    static func pipeline(
        _ kind: FlowKind, data: URL, now: Date, contact: ContactSettings, audit: InMemoryAuditLog,
        model wrap: (any LanguageModel) -> any LanguageModel = { $0 }
    ) throws -> Pipeline {
        var configuration = try RuntimeTestSupport.configuration(dataDirectory: data, extra: [:])
        configuration.contact = contact
        var stages = try FunctionEnvironment.embeddedStages(
            function: kind, configuration: configuration, clock: FixedClock(now))
        stages.audit = audit
        stages.model = wrap(stages.model)
        let flow = try #require(Flow.named(kind, configuration))
        return try Pipeline(flow: flow, configuration: configuration, stages: stages)
    }

    static func handle(_ pipeline: Pipeline, _ body: [UInt8]) async -> OutcomeReport {
        await pipeline.handle(
            InboundDelivery(body: body), correlationID: "caps", logger: RuntimeTestSupport.quietLogger)
    }

    static func body(_ file: URL) throws -> [UInt8] { Array(try Data(contentsOf: file)) }

    /// Fills the customer's marketing counter of the day holding `sendAt` with `count` messages.
    static func fill(_ data: URL, customer: String, sendAt: Date, count: Int64) async throws {
        let store = try SQLiteStateStore(folder: data)
        _ = try await store.increment(
            FrequencyCap.counterKey(customerKey: customer), by: count, in: .day(containing: sendAt), cap: nil)
    }

    static func counted(_ data: URL, customer: String, sendAt: Date) async throws -> Int64 {
        try await SQLiteStateStore(folder: data).count(
            FrequencyCap.counterKey(customerKey: customer), in: .day(containing: sendAt))
    }

    /// The X-Tidings-Send-At of every message in the outbox, by step.
    static func sendTimes(_ data: URL) throws -> [String: Date] {
        let folder = data.appendingPathComponent("outbox")
        var times: [String: Date] = [:]
        guard FileManager.default.fileExists(atPath: folder.path) else { return times }
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where name.hasSuffix(".eml") {
            let headers = try #require(OutboxEmailService.headers(of: folder.appendingPathComponent(name)))
            times[headers["x-tidings-step"] ?? ""] = try #require(headers["x-tidings-send-at"].flatMap(Timestamp.parse))
        }
        return times
    }

    static func stepOutcomes(_ audit: InMemoryAuditLog) -> [String: String] {
        guard let terminal = audit.entries.last(where: { $0.stage == "outcome" }),
            case .array(let steps)? = terminal.facts["steps"]
        else { return [:] }
        var outcomes: [String: String] = [:]
        for case .object(let step) in steps {
            if case .string(let name)? = step["step"], case .string(let outcome)? = step["outcome"] {
                outcomes[name] = outcome
            }
        }
        return outcomes
    }

    // MARK: - Frequency cap

    @Test("A customer at the cap gets no cart email, and no writer is asked; below it the email goes and counts")
    func cartAtTheCap() async throws {
        let contact = ContactSettings(frequency: Self.capOfOne)
        // Below the cap: sent, and the day's counter holds it.
        try await withScratch { data in
            let audit = InMemoryAuditLog()
            let report = await Self.handle(
                try Self.pipeline(.cartAbandoned, data: data, now: Self.cartSendAt, contact: contact, audit: audit),
                try Self.body(Self.cart))
            #expect(report.outcome == .sent)
            #expect(try await Self.counted(data, customer: Self.cartCustomer, sendAt: Self.cartSendAt) == 1)
            let counted = try #require(audit.entries.first { $0.stage == "frequency" })
            #expect(counted.facts["counted"] == .int(1))
            #expect(counted.facts["day"] == .string("2026-11-21"))
        }
        // At the cap (another flow's email three days before): suppressed before the prompt.
        try await withScratch { data in
            try await Self.fill(
                data, customer: Self.cartCustomer, sendAt: Self.cartSendAt - 3 * 86_400, count: 1)
            let audit = InMemoryAuditLog()
            let report = await Self.handle(
                try Self.pipeline(.cartAbandoned, data: data, now: Self.cartSendAt, contact: contact, audit: audit),
                try Self.body(Self.cart))
            #expect(report.outcome == .suppressed)
            #expect(report.code == .guarded(.frequencyCap))
            #expect(
                report.reason == "frequency_cap: 1 marketing email already counted in a 7-day window; the cap is 1")
            let stages = audit.entries.map(\.stage)
            #expect(!stages.contains("prompt") && !stages.contains("generate"))
            #expect(stages.suffix(2) == ["guards", "outcome"])
            #expect(try Self.sendTimes(data).isEmpty)
            #expect(try await Self.counted(data, customer: Self.cartCustomer, sendAt: Self.cartSendAt) == 0)
        }
    }

    @Test("A guest is counted under the hash of their address, which never reaches the state store in plain")
    func guestCountedByHash() async throws {
        let guest = RuntimeTestSupport.root.appendingPathComponent("Events/cartAbandoned/shopify-guest-checkout.json")
        let sendAt = Timestamp.parse("2026-11-21T16:40:00Z")!
        let contact = ContactSettings(frequency: Self.capOfOne)
        let key = try await withScratch { data in
            let first = await Self.handle(
                try Self.pipeline(.cartAbandoned, data: data, now: sendAt, contact: contact, audit: InMemoryAuditLog()),
                try Self.body(guest))
            #expect(first.outcome == .sent)
            let database = try SQLiteDatabase(path: data.appendingPathComponent("state.sqlite3").path)
            let keys = try database.query("SELECT key FROM state").compactMap { $0.first?.text }
            #expect(!keys.contains { $0.lowercased().contains("river") || $0.contains("@example") })
            // frequency:marketing:guest:<32 hex digits>@<day start>
            let counter = try #require(keys.first { $0.hasPrefix("frequency:marketing:") })
            let customer = String(counter.dropFirst("frequency:marketing:".count).prefix { $0 != "@" })
            #expect(customer.hasPrefix("guest:"))
            #expect(customer.dropFirst(6).count == 32 && customer.dropFirst(6).allSatisfy(\.isHexDigit))
            #expect(try await Self.counted(data, customer: customer, sendAt: sendAt) == 1)
            return customer
        }
        // At the cap, the same guest's cart is not written to.
        try await withScratch { data in
            try await Self.fill(data, customer: key, sendAt: sendAt, count: 1)
            let capped = await Self.handle(
                try Self.pipeline(.cartAbandoned, data: data, now: sendAt, contact: contact, audit: InMemoryAuditLog()),
                try Self.body(guest))
            #expect(capped.outcome == .suppressed)
            #expect(capped.code == .guarded(.frequencyCap))
        }
    }

    @Test("A win-back scan's child at the cap is suppressed with frequency_cap; the scan's other children go")
    func scanChildAtTheCap() async throws {
        let scan = WinBackReplayTests.events.appendingPathComponent("eventbridge-scheduled-scan.json")
        func replay(_ data: URL) async throws -> (report: OutcomeReport, lines: [[String: JSONValue]]) {
            var configuration = try RuntimeTestSupport.configuration(dataDirectory: data)
            configuration.contact = ContactSettings(frequency: Self.capOfOne)
            let results = try await Replayer(configuration: configuration, logger: RuntimeTestSupport.quietLogger)
                .replay([scan])
            let report = try #require(results.first?.report)
            return (report, try ReplayGoldenTests.auditLines(data).map { try JSONParser.parse($0).objectValue ?? [:] })
        }
        // Nothing counted: every selected customer is written to and counted once.
        let (customer, day, counted) = try await withScratch { data in
            let (report, lines) = try await replay(data)
            #expect(report.outcome == .sent)
            let counts = lines.filter { $0["stage"] == "frequency" }
            #expect(!counts.isEmpty)
            // Every selected customer's email (sent, or queued for review) was counted.
            #expect(report.reason?.contains("selected \(counts.count),") == true, "\(report.reason ?? "")")
            let first = try #require(counts.first)
            let childID = try #require(first["event_id"]?.stringValue)
            let day = try #require(first["facts"]?.objectValue?["day"]?.stringValue)
            return (String(childID.split(separator: "/").last ?? ""), day, counts.count)
        }
        // One of them already had a marketing email that day: only that child is capped.
        try await withScratch { data in
            try await Self.fill(data, customer: customer, sendAt: Timestamp.parse(day + "T12:00:00Z")!, count: 1)
            let (report, lines) = try await replay(data)
            #expect(report.outcome == .sent)
            #expect(lines.filter { $0["stage"] == "frequency" }.count == counted - 1)
            #expect(report.reason?.contains("failed") == false, "\(report.reason ?? "")")
            #expect(report.reason?.contains("suppressed 1") == true, "\(report.reason ?? "")")
            let terminal = try #require(
                lines.first {
                    $0["event_id"]?.stringValue?.hasSuffix("/customer/\(customer)") == true && $0["stage"] == "outcome"
                })
            #expect(terminal["outcome"] == "suppressed")
            #expect(terminal["facts"]?.objectValue?["reason"]?.stringValue?.hasPrefix("frequency_cap:") == true)
        }
    }

    @Test("At the cap, an order's transactional messages still go; only its marketing step is dropped")
    func transactionalNotCapped() async throws {
        let contact = ContactSettings(frequency: Self.capOfOne)
        // Without anything counted, all four steps go; the recommendations count on their day.
        let recommendationsAt = try await withScratch { data in
            let audit = InMemoryAuditLog()
            let report = await Self.handle(
                try Self.pipeline(.orderCreated, data: data, now: Self.orderNow, contact: contact, audit: audit),
                try Self.body(Self.order))
            #expect(report.outcome == .sent)
            #expect(report.messages?.count == 4)
            let times = try Self.sendTimes(data)
            let at = try #require(times["recommendations"])
            #expect(try await Self.counted(data, customer: Self.orderCustomer, sendAt: at) == 1)
            // The transactional steps were not counted.
            #expect(audit.entries.filter { $0.stage == "frequency" }.count == 1)
            return at
        }
        try await withScratch { data in
            try await Self.fill(data, customer: Self.orderCustomer, sendAt: recommendationsAt, count: 1)
            let audit = InMemoryAuditLog()
            let report = await Self.handle(
                try Self.pipeline(.orderCreated, data: data, now: Self.orderNow, contact: contact, audit: audit),
                try Self.body(Self.order))
            #expect(report.outcome == .sent)
            #expect(report.messages?.count == 3)
            #expect(
                Self.stepOutcomes(audit) == ["thank_you": "sent", "getting_started": "sent", "review_request": "sent"])
            let dropped = try #require(audit.entries.first { $0.stage == "dropped" })
            #expect(dropped.facts["step"] == .string("recommendations"))
            #expect(
                dropped.facts["reason"]
                    == .string("frequency_cap: 1 marketing email already counted in a 7-day window; the cap is 1"))
            #expect(Set(try Self.sendTimes(data).keys) == ["thank_you", "getting_started", "review_request"])
        }
    }

    @Test("Two carts of one customer handled at once at the last slot: one email goes, the other is capped")
    func lastSlotRace() async throws {
        try await withScratch { data in
            // Two checkouts of the same customer, as two deliveries (their own ids and carts).
            var second = try JSONParser.parse(try Self.body(Self.cart))
            guard case .object(var delivery) = second, case .string(let bodyText)? = delivery["body"],
                case .object(var headers)? = delivery["headers"]
            else { throw CancellationError() }
            var checkout = try JSONParser.parse(Array(bodyText.utf8))
            guard case .object(var fields) = checkout else { throw CancellationError() }
            fields["id"] = .int(39_000_000_991)
            fields["token"] = "ffff29f44848f0a8bc4cd6af2185c6e8"
            fields["cart_token"] = "ffffe6a3a01ff8eff51b8cf54bdbb783"
            checkout = .object(fields)
            headers["X-Shopify-Event-Id"] = "98f1a3c2-5d1e-4b7a-9c11-0f2a6e4d1991"
            headers["X-Shopify-Webhook-Id"] = "b54557e4-bdd9-4b37-8a5f-febb46455991"
            headers.removeValue(forKey: "X-Shopify-Hmac-Sha256")
            delivery["body"] = .string(String(decoding: CanonicalJSON.bytes(checkout), as: UTF8.self))
            delivery["headers"] = .object(headers)
            second = .object(delivery)

            // Both are written before either is handed over: each passed the guard with the slot free.
            let barrier = Barrier(parties: 2)
            let contact = ContactSettings(frequency: Self.capOfOne)
            let audits = (InMemoryAuditLog(), InMemoryAuditLog())
            let first = try Self.pipeline(
                .cartAbandoned, data: data, now: Self.cartSendAt, contact: contact, audit: audits.0
            ) { BarrierModel(inner: $0, barrier: barrier) }
            let other = try Self.pipeline(
                .cartAbandoned, data: data, now: Self.cartSendAt, contact: contact, audit: audits.1
            ) { BarrierModel(inner: $0, barrier: barrier) }
            let bodies = (try Self.body(Self.cart), CanonicalJSON.bytes(second))
            async let one = Self.handle(first, bodies.0)
            async let two = Self.handle(other, bodies.1)
            let reports = await [one, two]
            #expect(await barrier.arrived == 2)
            #expect(reports.map(\.outcome).sorted { $0.rawValue < $1.rawValue } == [.sent, .suppressed])
            let capped = try #require(reports.first { $0.outcome == .suppressed })
            #expect(capped.code == .guarded(.frequencyCap))
            #expect(try await Self.counted(data, customer: Self.cartCustomer, sendAt: Self.cartSendAt) == 1)
            #expect(try Self.sendTimes(data).count == 1)
            // The capped one was written (it passed the guard) and then stopped at its hand-over.
            let cappedAudit =
                capped.eventID == reports[0].eventID && reports[0].outcome == .suppressed ? audits.0 : audits.1
            #expect(cappedAudit.entries.contains { $0.stage == "render" })
            #expect(!cappedAudit.entries.contains { $0.stage == "deliver" })
        }
    }

    @Test("A hand-over that fails takes its count back, so the retry finds the slot")
    func failedHandOverUncounts() async throws {
        try await withScratch { data in
            let contact = ContactSettings(frequency: Self.capOfOne)
            var configuration = try RuntimeTestSupport.configuration(dataDirectory: data, extra: [:])
            configuration.contact = contact
            var stages = try FunctionEnvironment.embeddedStages(
                function: .cartAbandoned, configuration: configuration, clock: FixedClock(Self.cartSendAt))
            stages.audit = InMemoryAuditLog()
            stages.email = FailingEmailService()
            let failing = try Pipeline(
                flow: .cartAbandoned(configuration), configuration: configuration, stages: stages)
            let failed = await Self.handle(failing, try Self.body(Self.cart))
            #expect(failed.outcome == .failed)
            #expect(failed.retryable == true)
            #expect(try await Self.counted(data, customer: Self.cartCustomer, sendAt: Self.cartSendAt) == 0)

            let retried = await Self.handle(
                try Self.pipeline(
                    .cartAbandoned, data: data, now: Self.cartSendAt, contact: contact, audit: InMemoryAuditLog()),
                try Self.body(Self.cart))
            #expect(retried.outcome == .sent)
            #expect(try await Self.counted(data, customer: Self.cartCustomer, sendAt: Self.cartSendAt) == 1)
        }
    }

    // MARK: - Quiet hours

    @Test("Handled at 23:30 in the customer's zone (Portland), the cart email moves to 08:00 the next morning there")
    func cartAtNight() async throws {
        // 2026-11-22T07:30Z is 23:30 in Los Angeles and 02:30 in New York, the shop's zone.
        let night = Timestamp.parse("2026-11-21T23:30:00-08:00")!
        // Without quiet hours it goes at once (its planned time has passed).
        try await withScratch { data in
            let report = await Self.handle(
                try Self.pipeline(
                    .cartAbandoned, data: data, now: night, contact: ContactSettings(), audit: InMemoryAuditLog()),
                try Self.body(Self.cart))
            #expect(report.outcome == .sent)
            #expect(try Self.sendTimes(data)["cart_recovery"] == Self.cartSendAt)
        }
        try await withScratch { data in
            let audit = InMemoryAuditLog()
            let report = await Self.handle(
                try Self.pipeline(
                    .cartAbandoned, data: data, now: night, contact: ContactSettings(quietHours: Self.evening),
                    audit: audit),
                try Self.body(Self.cart))
            #expect(report.outcome == .sent)
            // 08:00 in Los Angeles, not 08:00 in the shop's New York (13:00Z).
            let morning = Timestamp.parse("2026-11-22T08:00:00-08:00")!
            #expect(try Self.sendTimes(data)["cart_recovery"] == morning)
            let moved = try #require(audit.entries.first { $0.stage == "quiet_hours" })
            #expect(moved.facts["planned"] == .string(Timestamp.format(Self.cartSendAt)))
            #expect(moved.facts["moved_to"] == .string(Timestamp.format(morning)))
            #expect(moved.facts["zone"] == .string("America/Los_Angeles"))
            #expect(moved.facts["zone_source"] == .string("address"))
            #expect(moved.facts["quiet_hours"] == .string("21:00-08:00"))
            let render = try #require(audit.entries.first { $0.stage == "render" })
            #expect(render.facts["send_at"] == .string(Timestamp.format(morning)))
        }
    }

    @Test("The customer's zone wins over the shop's: 07:12 in Portland is quiet though it is 10:12 at the shop")
    func customerZoneWins() async throws {
        try await withScratch { data in
            let audit = InMemoryAuditLog()
            let report = await Self.handle(
                try Self.pipeline(
                    .cartAbandoned, data: data, now: Self.cartSendAt,
                    contact: ContactSettings(quietHours: Self.evening),
                    audit: audit),
                try Self.body(Self.cart))
            #expect(report.outcome == .sent)
            #expect(try Self.sendTimes(data)["cart_recovery"] == Timestamp.parse("2026-11-21T08:00:00-08:00"))
        }
        // The same quiet hours for a customer the shop's zone decides for (an order without an
        // address): 10:00 at the shop is not quiet, nothing moves.
        try await withScratch { data in
            let audit = InMemoryAuditLog()
            let report = await Self.handle(
                try Self.pipeline(
                    .orderCreated, data: data, now: Self.orderNow, contact: ContactSettings(quietHours: Self.evening),
                    audit: audit),
                try Self.body(Self.order))
            #expect(report.outcome == .sent)
            #expect(!audit.entries.contains { $0.stage == "quiet_hours" })
        }
    }
}

/// Lets `parties` callers through together: each waits until all have arrived (or 10 s passed,
/// so a broken test ends instead of hanging).
actor Barrier {
    let parties: Int
    private(set) var arrived = 0

    init(parties: Int) { self.parties = parties }

    func arrive() { arrived += 1 }

    func wait() async {
        arrive()
        let deadline = Date().addingTimeInterval(10)
        while arrived < parties, Date() < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }
}

/// A writer that waits at a barrier before its inner writer answers.
struct BarrierModel: LanguageModel {
    let inner: any LanguageModel
    let barrier: Barrier
    var name: String { inner.name }

    func respond(to request: DraftRequest) async throws -> ModelAnswer {
        await barrier.wait()
        return try await inner.respond(to: request)
    }
}

/// An email service that refuses every message, retryably.
struct FailingEmailService: EmailService {
    func deliver(_ email: RenderedEmail) async throws -> DeliveryReceipt {
        throw DeliveryError(
            service: "failing", reason: "the test's service is down", isRetryable: true, code: .upstreamFailure)
    }

    func cancelScheduled(series: String, after: Date) async throws -> [String] { [] }
}
