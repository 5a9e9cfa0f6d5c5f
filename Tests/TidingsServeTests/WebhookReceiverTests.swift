import Crypto
import Foundation
import Testing
import TidingsCore
import TidingsDevKit
import TidingsRuntime
import TidingsServe

/// `tidings serve`'s webhook receiver over real loopback HTTP: what it answers on receipt, what
/// the queue keeps, and what the worker makes of it through the functions' own handlers.
@Suite struct WebhookReceiverTests {
    static let checkout = "Events/cartAbandoned/shopify-first-time-buyer.json"
    static let checkoutsRoute = "/webhooks/shopify/checkouts/update"

    @Test func aSignedCheckoutIsAcceptedThenWrittenAsAnEmail() async throws {
        let harness = try ReceiverHarness(now: try ReceiverHarness.due(Self.checkout, flow: .cartAbandoned))
        defer { harness.remove() }
        let delivery = try ReceiverHarness.recorded(Self.checkout)
        let server = try await harness.start()
        let response = try await server.post(Self.checkoutsRoute, delivery)
        #expect(response.status == 202)
        #expect(response.json["outcome"] as? String == "accepted")
        #expect(response.json["function"] as? String == "cartAbandoned")
        #expect(response.json["event_id"] as? String == delivery.eventID)
        try await harness.eventually("the email is in the outbox and the queue is empty") {
            harness.emails.count == 1 && harness.pending.isEmpty
        }
        await server.stop()
        #expect(harness.emails.count == 1)
        #expect(harness.outcomes(of: delivery.eventID) == ["sent"])
        // The handling's records carry the receipt's correlation id, so one request reads as one story.
        let terminal = harness.terminalRecords().first { $0["event_id"] as? String == delivery.eventID }
        #expect(terminal?["function"] as? String == "cartAbandoned")
        #expect((terminal?["correlation_id"] as? String)?.isEmpty == false)
    }

    @Test func aForgedSignatureIsRefusedWith401AndOneUnauthenticatedRecord() async throws {
        let harness = try ReceiverHarness(now: try ReceiverHarness.due(Self.checkout, flow: .cartAbandoned))
        defer { harness.remove() }
        var forged = try ReceiverHarness.recorded(Self.checkout)
        forged.headers["x-shopify-hmac-sha256"] = Data(repeating: 7, count: 32).base64EncodedString()
        let server = try await harness.start(workers: 0)
        let response = try await server.post(Self.checkoutsRoute, forged)
        // Unsigned and not even JSON: still refused as unauthenticated, never dead-lettered.
        let garbage = try await server.send(
            "POST", Self.checkoutsRoute, headers: ["content-type": "application/json"], body: Array("{not json".utf8))
        // A canonical event without any platform's proof is refused too while secrets are configured.
        let unsignedCanonical = try await server.send(
            "POST", "/events", body: try ReceiverHarness.file("Events/cartAbandoned/canonical-brief-example.json"))
        await server.stop()
        #expect(response.status == 401)
        #expect(response.json["outcome"] as? String == "unauthenticated")
        #expect((response.json["reason"] as? String)?.hasPrefix("signature_invalid") == true)
        #expect(garbage.status == 401)
        #expect(unsignedCanonical.status == 401)
        let records = harness.terminalRecords()
        #expect(records.count == 3)
        #expect(records.allSatisfy { $0["outcome"] as? String == "unauthenticated" })
        #expect(harness.pending.isEmpty)
        #expect(harness.deadLetters.isEmpty)
        #expect(harness.emails.isEmpty)
    }

    @Test func badInputIsRefusedWith400NamingTheFieldAndKeptInTheDeadLetterFolder() async throws {
        let harness = try ReceiverHarness(now: try ReceiverHarness.due(Self.checkout, flow: .cartAbandoned))
        defer { harness.remove() }
        let recorded = try ReceiverHarness.recorded(Self.checkout)
        func signed(_ body: [UInt8], eventID: String) -> WebhookRequest {
            var headers = recorded.headers
            headers["x-shopify-event-id"] = eventID
            headers["x-shopify-hmac-sha256"] = WebhookTrust.shopifySignature(
                body: body, secret: Secret(ReceiverHarness.shopifySecret))
            return WebhookRequest(body: body, headers: headers, eventID: eventID)
        }
        let server = try await harness.start(workers: 0)
        let broken = try await server.post(
            Self.checkoutsRoute, signed(Array(#"{"id": 1, "token": "#.utf8), eventID: "b-1"))
        // Valid JSON whose checkout has no line items: the reason names the JSON path.
        var document = try #require(
            try JSONSerialization.jsonObject(with: Data(recorded.body)) as? [String: Any])
        document["line_items"] = nil
        let missing = try await server.post(
            Self.checkoutsRoute, signed(Array(try JSONSerialization.data(withJSONObject: document)), eventID: "b-2"))
        await server.stop()
        #expect(broken.status == 400)
        #expect(broken.json["outcome"] as? String == "rejected_input")
        #expect((broken.json["reason"] as? String)?.hasPrefix("malformed_json at $") == true)
        #expect(missing.status == 400)
        #expect((missing.json["reason"] as? String)?.contains("line_items") == true)
        // The bytes as they arrived (`.json`) and why (`.json.error`), for each.
        #expect(harness.deadLetters.filter { $0.hasSuffix(".json") }.count == 2)
        #expect(harness.deadLetters.filter { $0.hasSuffix(".json.error") }.count == 2)
        #expect(
            harness.terminalRecords().compactMap { $0["outcome"] as? String } == ["rejected_input", "rejected_input"])
        #expect(harness.pending.isEmpty)
    }

    @Test func aBodyOverTheLimitIsRefusedWith413BeforeAnythingIsWritten() async throws {
        let harness = try ReceiverHarness(
            now: try ReceiverHarness.due(Self.checkout, flow: .cartAbandoned), extra: ["TIDINGS_MAX_BODY_BYTES": "2048"]
        )
        defer { harness.remove() }
        var large = try ReceiverHarness.recorded(Self.checkout)
        #expect(large.body.count > 2048)
        large.headers["x-shopify-hmac-sha256"] = WebhookTrust.shopifySignature(
            body: large.body, secret: Secret(ReceiverHarness.shopifySecret))
        let server = try await harness.start(workers: 0)
        let response = try await server.post(Self.checkoutsRoute, large)
        // Just under the limit is read and judged on its content (here: not a checkout, 400).
        let small = Array(String(repeating: " ", count: 2000).utf8) + Array("{}".utf8)
        var fits = large
        fits.body = small
        fits.headers["x-shopify-hmac-sha256"] = WebhookTrust.shopifySignature(
            body: small, secret: Secret(ReceiverHarness.shopifySecret))
        let underLimit = try await server.post(Self.checkoutsRoute, fits)
        await server.stop()
        #expect(response.status == 413)
        #expect((response.json["reason"] as? String)?.contains("2048") == true)
        #expect(underLimit.status == 400)
        #expect(harness.pending.isEmpty)
    }

    @Test func aDuplicateDeliveryIsAnsweredWithoutQueueingAndMakesOneEmail() async throws {
        let harness = try ReceiverHarness(now: try ReceiverHarness.due(Self.checkout, flow: .cartAbandoned))
        defer { harness.remove() }
        let delivery = try ReceiverHarness.recorded(Self.checkout)
        // While the first is still queued (no worker yet): the queue finds it.
        let accepting = try await harness.start(workers: 0)
        let first = try await accepting.post(Self.checkoutsRoute, delivery)
        let whileQueued = try await accepting.post(Self.checkoutsRoute, delivery)
        await accepting.stop()
        #expect(first.status == 202)
        #expect(whileQueued.status == 200)
        #expect(whileQueued.json["outcome"] as? String == "duplicate")
        #expect((whileQueued.json["reason"] as? String)?.contains("already accepted: queued") == true)
        #expect(harness.pending.count == 1)

        // After it was handled: the state store's claim finds it, through the handler.
        let server = try await harness.start()
        try await harness.eventually("the queued delivery is handled") {
            harness.pending.isEmpty && harness.emails.count == 1
        }
        let afterwards = try await server.post(Self.checkoutsRoute, delivery)
        await server.stop()
        #expect(afterwards.status == 200)
        #expect(afterwards.json["outcome"] as? String == "duplicate")
        #expect((afterwards.json["reason"] as? String)?.contains("already handled: sent") == true)
        #expect(harness.pending.isEmpty)
        #expect(harness.emails.count == 1)
        #expect(harness.outcomes(of: delivery.eventID) == ["duplicate", "duplicate", "sent"])
    }

    @Test func aStaleDeliveryIsAnsweredOnReceiptAndNotQueued() async throws {
        let stale = "Events/cartAbandoned/shopify-stale.json"
        let harness = try ReceiverHarness(now: try ReceiverHarness.due(Self.checkout, flow: .cartAbandoned))
        defer { harness.remove() }
        let delivery = try ReceiverHarness.recorded(stale)
        let server = try await harness.start(workers: 0)
        let response = try await server.post(Self.checkoutsRoute, delivery)
        await server.stop()
        #expect(response.status == 200)
        #expect(response.json["outcome"] as? String == "suppressed")
        #expect((response.json["reason"] as? String)?.hasPrefix("stale") == true)
        #expect(harness.pending.isEmpty)
        #expect(harness.outcomes(of: delivery.eventID) == ["suppressed"])
    }

    @Test func acceptedDeliveriesSurviveAStopAndAreHandledByTheNextServer() async throws {
        let harness = try ReceiverHarness(now: try ReceiverHarness.due(Self.checkout, flow: .cartAbandoned))
        defer { harness.remove() }
        let copies = try SignedCheckouts.copies(
            of: try ReceiverHarness.file(Self.checkout), count: 3, secret: Secret(ReceiverHarness.shopifySecret),
            prefix: "durable")
        let accepting = try await harness.start(workers: 0)
        for copy in copies {
            #expect(try await accepting.post(Self.checkoutsRoute, copy).status == 202)
        }
        await accepting.stop()
        #expect(harness.pending.count == 3)
        #expect(harness.emails.isEmpty)
        // Keep one queued file, as a crash between the terminal outcome and its removal would.
        let kept = try #require(harness.pending.first)
        let keptBytes = try Data(contentsOf: harness.data.appendingPathComponent("receiver/pending/\(kept)"))

        let server = try await harness.start()
        try await harness.eventually("all three are handled") { harness.pending.isEmpty && harness.emails.count == 3 }
        await server.stop()
        for copy in copies { #expect(harness.outcomes(of: copy.eventID) == ["sent"]) }

        // The re-run after such a crash: the claim makes it a duplicate, not a second email.
        try keptBytes.write(to: harness.data.appendingPathComponent("receiver/pending/\(kept)"))
        let restarted = try await harness.start()
        try await harness.eventually("the re-run is settled") { harness.pending.isEmpty }
        await restarted.stop()
        #expect(harness.emails.count == 3)
        let rerun = try #require(
            copies.first { QueuedDelivery.name(function: .cartAbandoned, eventID: $0.eventID) == kept })
        #expect(harness.outcomes(of: rerun.eventID) == ["duplicate", "sent"])
    }

    @Test func aHandlingThatWantsARetryStaysQueuedAndIsTriedAgain() async throws {
        // An hour before the cart is due: the handler ends `too_soon`, a retryable suppression.
        let due = try ReceiverHarness.due(Self.checkout, flow: .cartAbandoned)
        let harness = try ReceiverHarness(now: due.addingTimeInterval(-3600))
        defer { harness.remove() }
        let delivery = try ReceiverHarness.recorded(Self.checkout)
        let server = try await harness.start { $0.firstBackoff = 0.05 }
        #expect(try await server.post(Self.checkoutsRoute, delivery).status == 202)
        try await harness.eventually("it was tried at least twice") {
            harness.outcomes(of: delivery.eventID).count >= 2
        }
        await server.stop()
        #expect(harness.pending == [QueuedDelivery.name(function: .cartAbandoned, eventID: delivery.eventID)])
        #expect(Set(harness.outcomes(of: delivery.eventID)) == ["suppressed"])
        #expect(harness.emails.isEmpty)

        // Past the retry window the delivery is given up into failed/, with its reason, not dropped.
        let givingUp = try await harness.start { $0.giveUpAfter = 0 }
        try await harness.eventually("it is moved to failed/") { harness.pending.isEmpty }
        await givingUp.stop()
        let failed = harness.names("receiver/failed")
        #expect(failed.count == 2)
        let reason = try String(
            contentsOf: harness.data.appendingPathComponent("receiver/failed/\(failed[1])"), encoding: .utf8)
        #expect(reason.contains("too_soon"))
    }

    @Test(arguments: [
        ("Events/cartAbandoned/bigcommerce-cart-abandoned.json", FlowKind.cartAbandoned),
        ("Events/orderCreated/bigcommerce-order-created.json", FlowKind.orderCreated),
        ("Events/orderCancelled/bigcommerce-status-cancelled-declined.json", FlowKind.orderCancelled),
    ])
    func bigCommerceCallbacksAreRoutedByTheirScope(path: String, flow: FlowKind) async throws {
        let headers = [
            "content-type": "application/json", "x-tidings-webhook-secret": ReceiverHarness.bigCommerceSecret,
        ]
        try await expectRouted(path, route: "/webhooks/bigcommerce", flow: flow, headers: headers)
    }

    @Test(arguments: [
        ("Events/cartAbandoned/canonical-brief-example.json", FlowKind.cartAbandoned),
        ("Events/orderCreated/canonical-order-created.json", FlowKind.orderCreated),
        ("Events/orderCancelled/canonical-order-cancelled.json", FlowKind.orderCancelled),
    ])
    func canonicalEventsAreRoutedByTheirType(path: String, flow: FlowKind) async throws {
        let headers = [
            "content-type": "application/json", "x-tidings-webhook-secret": ReceiverHarness.bigCommerceSecret,
        ]
        try await expectRouted(path, route: "/events", flow: flow, headers: headers)
    }

    /// Posts the bare body at `path` to `route` when it is due, and expects it accepted for `flow`,
    /// handled by that function, and never left queued; the queue file keeps no shared secret.
    func expectRouted(_ path: String, route: String, flow: FlowKind, headers: [String: String]) async throws {
        let harness = try ReceiverHarness(now: try ReceiverHarness.due(path, flow: flow))
        defer { harness.remove() }
        let accepting = try await harness.start(workers: 0)
        let response = try await accepting.send(
            "POST", route, headers: headers, body: try ReceiverHarness.file(path))
        await accepting.stop()
        #expect(response.status == 202)
        #expect(response.json["function"] as? String == flow.rawValue)
        let eventID = try #require(response.json["event_id"] as? String)
        let queued = try #require(harness.pending.first)
        let bytes = try Data(contentsOf: harness.data.appendingPathComponent("receiver/pending/\(queued)"))
        #expect(!String(decoding: bytes, as: UTF8.self).contains(ReceiverHarness.bigCommerceSecret))

        let server = try await harness.start()
        try await harness.eventually("it is handled") { harness.pending.isEmpty }
        await server.stop()
        let records = harness.terminalRecords().filter { $0["event_id"] as? String == eventID }
        #expect(records.count == 1)
        #expect(records.first?["function"] as? String == flow.rawValue)
        #expect(records.first?["outcome"] as? String != "rejected_input")
        #expect(records.first?["outcome"] as? String != "unauthenticated")
    }

    @Test func theUnsubscribeRouteAnswersAtOnce() async throws {
        let harness = try ReceiverHarness(now: try ReceiverHarness.due(Self.checkout, flow: .cartAbandoned))
        defer { harness.remove() }
        let configuration = try Configuration.load(environment: harness.environment)
        let customer = "6100000001"
        let token = EmailRenderer.unsubscribeToken(
            customerID: customer, storefrontURL: configuration.brand.storefrontURL,
            key: SymmetricKey(data: configuration.unsubscribeKey.bytes))
        let server = try await harness.start(workers: 0)
        let page = try await server.send("GET", "/unsubscribe?c=\(customer)&t=\(token)")
        let auditedAfterGet = harness.terminalRecords().count
        let oneClick = try await server.send(
            "POST", "/unsubscribe?c=\(customer)&t=\(token)",
            headers: ["content-type": "application/x-www-form-urlencoded"],
            body: Array("List-Unsubscribe=One-Click".utf8))
        let forged = try await server.send(
            "POST", "/unsubscribe?c=\(customer)&t=AAAAAAAAAAAAAAAAAAAAAA",
            headers: ["content-type": "application/x-www-form-urlencoded"],
            body: Array("List-Unsubscribe=One-Click".utf8))
        await server.stop()
        #expect(page.status == 200)
        #expect(page.headers["content-type"]?.hasPrefix("text/html") == true)
        #expect(auditedAfterGet == 0)
        #expect(oneClick.status == 200)
        #expect(forged.status == 403)
        let outcomes = harness.terminalRecords().filter { $0["function"] as? String == "unsubscribe" }
            .compactMap { $0["outcome"] as? String }
        #expect(outcomes == ["suppressed", "unauthenticated"])
        #expect(harness.pending.isEmpty)
    }
}
