import Foundation
import Testing
import TidingsDevKit

@testable import TidingsCore
@testable import TidingsRuntime

/// The order flows end to end on the embedded defaults: the recorded shop, the offline copywriter,
/// the outbox and the review folder.
@Suite("Order flows")
struct OrderFlowTests {
    static let created = RuntimeTestSupport.root.appendingPathComponent("Events/orderCreated")
    static let cancelled = RuntimeTestSupport.root.appendingPathComponent("Events/orderCancelled")

    /// Replays the files in one data folder (in time order, as the replayer does) and returns the
    /// reports in the order the files were given.
    func replay(_ files: [URL], in scratch: URL) async throws -> [OutcomeReport] {
        let configuration = try RuntimeTestSupport.configuration(dataDirectory: scratch)
        let results = try await Replayer(configuration: configuration, logger: RuntimeTestSupport.quietLogger)
            .replay(files)
        return try files.map { file in try #require(results.first { $0.file == file }?.report) }
    }

    /// The outbox's .eml files (or those of a subfolder), sorted by name (send time first).
    func emails(_ scratch: URL, _ folder: String = "outbox") throws -> [(name: String, text: String)] {
        let directory = scratch.appendingPathComponent(folder)
        guard FileManager.default.fileExists(atPath: directory.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".eml") }
            .sorted().map { name in
                let raw = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
                // Undo quoted-printable soft line breaks so phrases can be searched whole.
                return (name, raw.replacingOccurrences(of: "=\r\n", with: ""))
            }
    }

    func header(_ name: String, in text: String) -> String? {
        let prefix = name + ": "
        return text.components(separatedBy: "\r\n").first { $0.hasPrefix(prefix) }.map {
            String($0.dropFirst(prefix.count))
        }
    }

    @Test(
        "A consenting repeat customer's order plans a series of four, each naming the order's products, later and later"
    )
    func repeatCustomerSeries() async throws {
        try await withScratch { scratch in
            let reports = try await replay(
                [Self.created.appendingPathComponent("shopify-repeat-customer.json")], in: scratch)
            #expect(reports.first?.outcome == .sent)
            #expect(reports.first?.messages?.count == 4)
            let series = try emails(scratch)
            #expect(series.count == 4)
            let sendTimes = series.compactMap { header("X-Tidings-Send-At", in: $0.text) }
            #expect(sendTimes.count == 4)
            #expect(sendTimes == sendTimes.sorted() && Set(sendTimes).count == 4)
            // The thank-you at the order's time; the follow-ups at 10:00 of the shop's day (the order
            // says -05:00): delivery in 5 days, the review 7 days later, the picks a week after that.
            #expect(
                sendTimes == [
                    "2026-11-24T15:15:00Z", "2026-11-29T15:00:00Z", "2026-12-06T15:00:00Z", "2026-12-13T15:00:00Z",
                ])
            #expect(
                series.compactMap { header("X-Tidings-Step", in: $0.text) } == [
                    "thank_you", "getting_started", "review_request", "recommendations",
                ])
            for email in series {
                #expect(header("X-Tidings-Series", in: email.text) == "order:shopify:820982911946154508")
                #expect(header("X-Tidings-Event-Id", in: email.text) == "7d1f6a2e-0c4b-4f0e-9a51-1c2b3d4e0c01")
                #expect(
                    email.text.contains("Summit Softshell Jacket") || email.text.contains("Merino Hiker Sock"),
                    "\(email.name) names no product of the order")
            }
            // The recommendations never offer what was just bought.
            let picks = series[3].text
            #expect(!picks.contains("products/summit-softshell-jacket"))
            // The audit's terminal record lists every step with its send time, tied to the event.
            let terminal = try ReplayGoldenTests.auditLines(scratch).filter { $0.contains("\"stage\":\"outcome\"") }
            #expect(terminal.count == 1)
            #expect(terminal[0].contains("\"steps\":["))
            #expect(terminal[0].contains("\"step\":\"review_request\""))
        }
    }

    @Test("A first order reads differently from a repeat customer's")
    func firstOrderReadsDifferently() async throws {
        try await withScratch { scratch in
            _ = try await replay(
                [
                    Self.created.appendingPathComponent("shopify-first-order.json"),
                    Self.created.appendingPathComponent("shopify-repeat-customer.json"),
                ], in: scratch)
            let thankYous = try emails(scratch).filter { header("X-Tidings-Step", in: $0.text) == "thank_you" }
            #expect(thankYous.count == 2)
            let maya = try #require(thankYous.first { $0.text.contains("Hi Maya") })
            let lena = try #require(thankYous.first { $0.text.contains("Hi Lena") })
            #expect(maya.text.contains("thank you for your first order"))
            #expect(header("Subject", in: maya.text) == "Maya, welcome to Northwind Outfitters")
            #expect(lena.text.contains("order number 7 with us"))
            #expect(!lena.text.contains("first order"))
        }
    }

    @Test("Without marketing consent the series has no recommendations; the transactional steps still go")
    func noConsentNoRecommendations() async throws {
        try await withScratch { scratch in
            let reports = try await replay(
                [Self.created.appendingPathComponent("shopify-no-marketing-consent.json")], in: scratch)
            #expect(reports.first?.outcome == .sent)
            let steps = try emails(scratch).compactMap { header("X-Tidings-Step", in: $0.text) }
            #expect(steps == ["thank_you", "getting_started", "review_request"])
        }
    }

    @Test("A cancellation stops the series' unsent messages: they move to outbox/cancelled, the sent one stays")
    func cancellationStopsSeries() async throws {
        try await withScratch { scratch in
            let reports = try await replay(
                [
                    Self.created.appendingPathComponent("shopify-repeat-customer.json"),
                    Self.cancelled.appendingPathComponent("shopify-customer-cancelled-after-series.json"),
                ], in: scratch)
            #expect(reports.map(\.outcome) == [.sent, .queuedForReview])
            let remaining = try emails(scratch).filter { header("X-Tidings-Flow", in: $0.text) == "orderCreated" }
            #expect(remaining.map { header("X-Tidings-Step", in: $0.text) } == ["thank_you"])
            let stopped = try emails(scratch, "outbox/cancelled")
            #expect(stopped.count == 3)
            #expect(
                stopped.allSatisfy { header("X-Tidings-Series", in: $0.text) == "order:shopify:820982911946154508" })
            let series = try ReplayGoldenTests.auditLines(scratch).filter { $0.contains("\"stage\":\"series\"") }
            #expect(series.count == 1 && series[0].contains("outbox/cancelled/"))
            // The refund was issued: the win-back confirms it and carries no code.
            let review = try emails(scratch, "review").first?.text ?? ""
            #expect(review.contains("The full $221.00 has been refunded"))
            #expect(!review.contains("Use code"))
        }
    }

    @Test("Without a series there is nothing to stop, and a second handling of the cancellation is a duplicate")
    func cancellationWithoutSeries() async throws {
        try await withScratch { scratch in
            let file = Self.cancelled.appendingPathComponent("shopify-customer-cancelled.json")
            let first = try await replay([file], in: scratch)
            let second = try await replay([file], in: scratch)
            #expect((first + second).map(\.outcome) == [.queuedForReview, .duplicate])
            #expect(try emails(scratch, "outbox/cancelled").isEmpty)
        }
    }

    @Test("Fraud sends nothing; a declined payment gets a note; inventory an apology with in-stock alternatives")
    func cancellationAnswers() async throws {
        try await withScratch { scratch in
            let reports = try await replay(
                [
                    Self.cancelled.appendingPathComponent("shopify-fraud.json"),
                    Self.cancelled.appendingPathComponent("shopify-payment-declined.json"),
                    Self.cancelled.appendingPathComponent("shopify-out-of-stock.json"),
                    Self.cancelled.appendingPathComponent("bigcommerce-status-cancelled-declined.json"),
                ], in: scratch)
            #expect(reports[0].outcome == .suppressed && reports[0].reason?.hasPrefix("fraud") == true)
            #expect(reports[1].outcome == .sent && reports[2].outcome == .sent)
            // Noah has not subscribed to marketing: the declined-payment note is transactional and goes.
            #expect(reports[3].outcome == .sent)
            let sent = try emails(scratch)
            #expect(sent.count == 3)
            #expect(!sent.contains { $0.text.contains("820982911946154601") || $0.text.contains("Hi Sam") })
            let declined = try #require(sent.first { header("X-Tidings-Step", in: $0.text) == "payment_declined" })
            #expect(declined.text.contains("No money was taken"))
            let apology = try #require(sent.first { header("X-Tidings-Step", in: $0.text) == "inventory_apology" })
            #expect(apology.text.contains("Ember Insulated Winter Boot"))
            #expect(apology.text.contains("$276.00 has been refunded"))
            // Alternatives are in stock, and from the sold-out items' categories (boots, gloves).
            #expect(apology.text.contains("northwind.example/products/"))
            #expect(!apology.text.contains("products/ember-insulated-winter-boot"))
            #expect(!apology.text.contains("products/alpine-insulated-mittens"))
            #expect(try emails(scratch, "review").isEmpty)
        }
    }

    @Test("A customer-cancelled order of a customer who did not get a refund yet gets a value-based code, in review")
    func customerCancelledWinBack() async throws {
        try await withScratch { scratch in
            let reports = try await replay(
                [Self.cancelled.appendingPathComponent("shopify-customer-cancelled.json")], in: scratch)
            #expect(reports.first?.outcome == .queuedForReview)
            #expect(reports.first?.reason?.contains("review.cancellation_win_backs") == true)
            #expect(try emails(scratch).isEmpty)
            let draft = try #require(try emails(scratch, "review").first)
            // Jonas is a VIP: the incentive follows his value, within the VIP cap.
            #expect(draft.text.contains("Use code BACK15-"))
            #expect(draft.text.contains("Hi Jonas"))
        }
    }

    @Test("Ordered again since, a repeat cancellation, an incomplete BigCommerce order: each stops with its reason")
    func situations() async throws {
        try await withScratch { scratch in
            let reports = try await replay(
                [
                    Self.cancelled.appendingPathComponent("shopify-ordered-again-since.json"),
                    Self.cancelled.appendingPathComponent("shopify-other-reason.json"),
                    Self.cancelled.appendingPathComponent("shopify-repeat-cancellation.json"),
                    Self.created.appendingPathComponent("bigcommerce-incomplete-order.json"),
                    Self.cancelled.appendingPathComponent("bigcommerce-status-shipped.json"),
                ], in: scratch)
            #expect(reports[0].reason?.hasPrefix("already_converted") == true)
            #expect(reports[1].outcome == .queuedForReview)
            #expect(reports[2].reason?.hasPrefix("repeat_cancellation") == true)
            #expect(reports[3].reason?.hasPrefix("incomplete_order") == true)
            #expect(reports[4].reason?.hasPrefix("not_cancelled") == true)
        }
    }

    @Test("The order handlers' binaries read stdin and exit 0 for a planned series, 65 for bad input")
    func binaries() async throws {
        for (name, file, status) in [
            ("orderCreated", Self.created.appendingPathComponent("shopify-first-order.json"), Int32(0)),
            ("orderCancelled", Self.cancelled.appendingPathComponent("invalid/unknown-cancel-reason.json"), Int32(65)),
        ] {
            let binary = try #require(RuntimeTestSupport.builtBinary(name), "build \(name) first")
            try await withScratch { scratch in
                let process = Process()
                process.executableURL = binary
                process.environment = [
                    "TIDINGS_DATA_DIR": scratch.path,
                    "TIDINGS_SHOP_DIR": RuntimeTestSupport.root.appendingPathComponent("Events/shop").path,
                    "TIDINGS_NOW": "2026-11-24T18:41:00Z", "TIDINGS_LOG_LEVEL": "critical",
                ]
                process.standardInput = try FileHandle(forReadingFrom: file)
                let output = Pipe()
                process.standardOutput = output
                try process.run()
                let data = output.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                #expect(process.terminationStatus == status, "\(name)")
                #expect(String(decoding: data, as: UTF8.self).contains("\"function\":\"\(name)\""))
            }
        }
    }

    @Test("An email service that cannot stop the series fails the cancellation retryably, and nothing is written")
    func seriesCancelFailure() async throws {
        try await withScratch { scratch in
            let configuration = try RuntimeTestSupport.configuration(dataDirectory: scratch)
            let audit = InMemoryAuditLog()
            let email = RecordingEmailService(
                failure: DeliveryError(service: "esp", reason: "503 from the provider", isRetryable: true))
            var stages = try FunctionEnvironment.embeddedStages(
                function: .orderCancelled, configuration: configuration,
                clock: FixedClock(Timestamp.parse("2026-11-26T12:00:00Z")!))
            stages.audit = audit
            stages.email = email
            let pipeline = try Pipeline(
                flow: .orderCancelled(configuration), configuration: configuration, stages: stages)
            let body = Array(
                try Data(contentsOf: Self.cancelled.appendingPathComponent("canonical-order-cancelled.json")))
            let report = await pipeline.handle(
                InboundDelivery(body: body), correlationID: "test", logger: RuntimeTestSupport.quietLogger)
            #expect(report.outcome == .failed && report.retryable == true)
            #expect(report.reason?.hasPrefix("series_cancel_failed") == true)
            #expect(audit.entries.filter { $0.outcome != nil }.count == 1)
            #expect(!audit.entries.contains { $0.stage == "render" })
        }
    }

    /// A bare orders/cancelled body for a recorded orders/create delivery: the same order, cancelled.
    func cancellation(of file: URL, reason: String, at time: String, in scratch: URL) throws -> URL {
        let recorded = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any]
        var order =
            try JSONSerialization.jsonObject(with: Data((recorded?["body"] as? String ?? "").utf8))
            as? [String: Any] ?? [:]
        order["cancel_reason"] = reason
        order["cancelled_at"] = time
        order["financial_status"] = "voided"
        // The replayer picks the handler by the folder's name.
        let folder = scratch.appendingPathComponent("events/orderCancelled")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let url = folder.appendingPathComponent("cancel-\(reason).json")
        try JSONSerialization.data(withJSONObject: order).write(to: url)
        return url
    }

    @Test("Fraud stops the series too, and withdraws its message waiting for review")
    func fraudStopsSeriesAndWithdrawsReview() async throws {
        try await withScratch { scratch in
            let created = Self.created.appendingPathComponent("shopify-vip-tenth-plus-order.json")
            let planned = try await replay([created], in: scratch)
            // Jonas is a VIP: the recommendations (marketing) wait for a person; the rest is out.
            #expect(planned.first?.outcome == .queuedForReview)
            #expect(try emails(scratch, "review").count == 1)
            let cancel = try cancellation(of: created, reason: "fraud", at: "2026-11-25T12:00:00Z", in: scratch)
            let answered = try await replay([cancel], in: scratch)
            #expect(answered.first?.reason?.hasPrefix("fraud") == true)
            #expect(try emails(scratch, "review").isEmpty)
            #expect(try emails(scratch, "review/withdrawn").count == 1)
            #expect(
                try emails(scratch, "outbox/cancelled").compactMap { header("X-Tidings-Step", in: $0.text) }.sorted()
                    == ["getting_started", "review_request"])
            // Nothing was written to the customer about the fraud.
            #expect(try emails(scratch).count == 1)
        }
    }

    @Test("An order-created event that arrives after its order's cancellation plans nothing")
    func lateOrderCreated() async throws {
        try await withScratch { scratch in
            let created = Self.created.appendingPathComponent("shopify-repeat-customer.json")
            let cancel = try cancellation(of: created, reason: "customer", at: "2026-11-24T16:00:00Z", in: scratch)
            _ = try await replay([cancel], in: scratch)
            let late = try await replay([created], in: scratch)
            #expect(late.first?.outcome == .suppressed)
            #expect(late.first?.reason?.hasPrefix("order_cancelled") == true)
            #expect(try emails(scratch).filter { header("X-Tidings-Flow", in: $0.text) == "orderCreated" }.isEmpty)
        }
    }

    @Test("A guest's order is thanked without claiming a first or a repeat order")
    func guestOrder() async throws {
        try await withScratch { scratch in
            let recorded =
                try JSONSerialization.jsonObject(
                    with: Data(contentsOf: Self.created.appendingPathComponent("shopify-first-order.json")))
                as? [String: Any]
            var order =
                try JSONSerialization.jsonObject(with: Data((recorded?["body"] as? String ?? "").utf8))
                as? [String: Any] ?? [:]
            order["customer"] = nil
            order["email"] = "river.guest@example.com"
            order["buyer_accepts_marketing"] = false
            order["id"] = 820_982_911_946_159_999
            let folder = scratch.appendingPathComponent("events/orderCreated")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let file = folder.appendingPathComponent("guest.json")
            try JSONSerialization.data(withJSONObject: order).write(to: file)
            let reports = try await replay([file], in: scratch)
            #expect(reports.first?.outcome == .sent)
            let thanks = try #require(
                try emails(scratch).first { header("X-Tidings-Step", in: $0.text) == "thank_you" })
            #expect(thanks.text.contains("Thank you for your order."))
            #expect(!thanks.text.contains("first order") && !thanks.text.contains("coming back"))
            // The guest did not accept marketing at checkout: no recommendations.
            #expect(try emails(scratch).count == 3)
        }
    }

    @Test("BigCommerce's reason is inferred: a declined payment status or a change from Declined is declined")
    func inferredReason() throws {
        let order = PlacedOrder(
            id: "1", name: "#1", customerID: nil, currency: "USD", lines: [], subtotal: .zero("USD"),
            total: .zero("USD"), shippingMethod: nil, discountCodes: [], createdAt: Date(), financialStatus: "void",
            refunded: .zero("USD"))
        func event(previous: Int) -> LifecycleEvent {
            LifecycleEvent(
                flow: .orderCancelled, id: "e", occurredAt: Date(), shop: "s",
                customer: CustomerReference(id: nil, email: nil, firstName: nil),
                subject: .order(
                    .reference(
                        orderID: "1", statusChange: OrderStatusChange(previousStatusID: previous, newStatusID: 5))),
                source: EventSource(platform: .bigcommerce, topic: "store/order/statusUpdated"))
        }
        #expect(OrderCancelledPlanner.inferReason(order, event: event(previous: 6)) == .declined)
        #expect(OrderCancelledPlanner.inferReason(order, event: event(previous: 11)) == .other)
        var declined = order
        declined.financialStatus = "declined"
        #expect(OrderCancelledPlanner.inferReason(declined, event: event(previous: 11)) == .declined)
    }

    @Test("Follow-ups fall on the local day of the order, even when it is already tomorrow in UTC")
    func localMorning() {
        // 23:30 on the 24th at -05:00 is 04:30 on the 25th in UTC; the local day is still the 24th.
        let lateOrder = Timestamp.parse("2026-11-24T23:30:00-05:00")!
        #expect(
            Timestamp.format(OrderCreatedPlanner.morning(of: lateOrder, plusDays: 5, utcOffset: -18_000))
                == "2026-11-29T15:00:00.000Z")
        #expect(OrderCreatedPlanner.localDay(lateOrder, utcOffset: -18_000) == "2026-11-24")
        // East of UTC: 00:30 on the 25th at +09:00 is the 24th in UTC; the local day is the 25th.
        let tokyo = Timestamp.parse("2026-11-25T00:30:00+09:00")!
        #expect(
            Timestamp.format(OrderCreatedPlanner.morning(of: tokyo, plusDays: 1, utcOffset: 32_400))
                == "2026-11-26T01:00:00.000Z")
        #expect(Timestamp.utcOffset(of: "2026-11-25T00:30:00+09:00") == 32_400)
    }
}
