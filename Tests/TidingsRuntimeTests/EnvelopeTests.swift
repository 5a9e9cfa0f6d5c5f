import Foundation
import Testing
import TidingsCore

@testable import TidingsRuntime

/// Envelopes told apart by shape, webhook trust, and the answer each envelope gets.
@Suite("Envelopes and webhook trust")
struct EnvelopeTests {
    static let secrets = WebhookSecrets(
        shopify: Secret("northwind-webhook-secret"), bigcommerce: Secret("northwind-bigcommerce-secret"))

    func fixture(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: RuntimeTestSupport.envelopes.appendingPathComponent(name)))
    }

    @Test(
        "Each fixture is recognized by its shape alone",
        arguments: [
            ("apigateway-v2-checkouts-update.json", Envelope.Shape.http, 1),
            ("function-url-checkouts-update.base64.json", .http, 1),
            ("eventbridge-checkouts-update.json", .eventBridge, 1),
            ("sqs-eventbridge-batch.json", .sqs, 3),
            ("sqs-http-route-checkouts-update.json", .sqs, 1),
            ("pubsub-push-cart-updated.json", .pubSub, 1),
        ])
    func shapes(name: String, shape: Envelope.Shape, count: Int) throws {
        let envelope = EnvelopeDecoder().unwrap(try fixture(name))
        #expect(envelope.shape == shape)
        #expect(envelope.items.count == count)
    }

    @Test("Recorded deliveries, raw bodies and canonical events stay direct")
    func direct() throws {
        for name in [
            "shopify-first-time-buyer.json", "shopify-guest-checkout.json", "canonical-returning-customer.json",
        ] {
            let bytes = Array(try Data(contentsOf: RuntimeTestSupport.cartEvents.appendingPathComponent(name)))
            let envelope = EnvelopeDecoder().unwrap(bytes)
            #expect(envelope.shape == .direct, "\(name)")
            #expect(envelope.items.first?.delivery.body == bytes)
        }
        #expect(EnvelopeDecoder().unwrap(Array("not json".utf8)).shape == .direct)
    }

    @Test("A base64 Function URL body is the exact signed bytes, with lower-cased headers")
    func base64Body() throws {
        let item = try #require(
            EnvelopeDecoder().unwrap(try fixture("function-url-checkouts-update.base64.json")).items.first)
        #expect(item.channel == .http)
        #expect(item.delivery.headers["x-shopify-topic"] == "checkouts/update")
        let signature = try #require(item.delivery.headers["x-shopify-hmac-sha256"])
        #expect(
            WebhookTrust.shopifySignatureIsValid(
                signature, body: item.delivery.body, secret: Secret("northwind-webhook-secret")))
    }

    @Test("EventBridge metadata becomes headers whatever their case; the payload becomes the body")
    func eventBridge() throws {
        let item = try #require(EnvelopeDecoder().unwrap(try fixture("eventbridge-checkouts-update.json")).items.first)
        #expect(item.channel == .authenticated)
        #expect(item.delivery.headers["x-shopify-event-id"] == "7a1d2c3e-0000-4000-8000-000000000104")
        let event = try EventDecoder().decode(item.delivery)
        #expect(event.id == "7a1d2c3e-0000-4000-8000-000000000104")
        #expect(event.source.topic == "checkouts/update")
    }

    @Test("SQS records keep their message ids; attributes from the HTTP route are headers on the http channel")
    func sqs() throws {
        let batch = EnvelopeDecoder().unwrap(try fixture("sqs-eventbridge-batch.json"))
        #expect(batch.items.map(\.messageID) == (1...3).map { "6f1a0001-0000-4000-8000-00000000000\($0)" })
        #expect(batch.items[0].channel == .authenticated)
        let routed = try #require(
            EnvelopeDecoder().unwrap(try fixture("sqs-http-route-checkouts-update.json")).items.first)
        #expect(routed.channel == .http)
        #expect(routed.delivery.headers["tidings-channel"] == nil)
        #expect(routed.delivery.headers["x-shopify-topic"] == "checkouts/update")
    }

    @Test("A broken envelope is bad input naming its path")
    func brokenEnvelope() {
        let request =
            #"{"version":"2.0","rawPath":"/","requestContext":{"http":{"method":"POST"}},"body":"%%%","isBase64Encoded":true}"#
        let item = EnvelopeDecoder().unwrap(Array(request.utf8)).items[0]
        #expect(item.problem?.path == "$.body")
        let record = #"{"Records":[{"messageId":"m1","eventSource":"aws:sqs"}]}"#
        let sqs = EnvelopeDecoder().unwrap(Array(record.utf8)).items[0]
        #expect(sqs.problem?.path == "$.Records[0].body")
        #expect(sqs.messageID == "m1")
        // What a broken record keeps for the dead-letter folder never holds the BigCommerce secret.
        let withSecret =
            #"{"Records":[{"messageId":"m2","eventSource":"aws:sqs","messageAttributes":{"x-tidings-webhook-secret":{"stringValue":"northwind-bigcommerce-secret","dataType":"String"}}}]}"#
        let kept = EnvelopeDecoder().unwrap(Array(withSecret.utf8)).items[0]
        #expect(kept.problem != nil)
        let text = String(decoding: kept.delivery.body, as: UTF8.self)
        #expect(!text.contains("northwind-bigcommerce-secret") && text.contains("[redacted]"))
    }

    @Test("Shopify signatures: valid, forged, missing; the recorded deliveries verify with their secret")
    func shopifyTrust() throws {
        let trust = WebhookTrust(secrets: Self.secrets, maximumBodyBytes: 256 * 1024)
        let recorded = try Data(
            contentsOf: RuntimeTestSupport.cartEvents.appendingPathComponent("shopify-loyal-vip.json"))
        #expect(trust.verify(InboundDelivery(body: Array(recorded)), channel: .headers) == .accepted)

        let forged = try #require(
            EnvelopeDecoder().unwrap(try fixture("apigateway-v2-forged-signature.json")).items.first)
        #expect(
            trust.verify(forged.delivery, channel: forged.channel)
                == .rejected(code: "signature_invalid", reason: "X-Shopify-Hmac-Sha256 does not match the body"))

        var unsigned = forged.delivery
        unsigned.headers["x-shopify-hmac-sha256"] = nil
        guard case .rejected(let code, _) = trust.verify(unsigned, channel: .http) else {
            Issue.record("an unsigned Shopify request was accepted")
            return
        }
        #expect(code == "signature_missing")
        // Without a configured secret nothing is checked.
        let open = WebhookTrust(secrets: WebhookSecrets(), maximumBodyBytes: 256 * 1024)
        #expect(open.verify(forged.delivery, channel: .http) == .accepted)
    }

    @Test("BigCommerce's shared-secret header; HTTP requests that claim no platform are refused")
    func bigCommerceTrust() throws {
        let trust = WebhookTrust(secrets: Self.secrets, maximumBodyBytes: 256 * 1024)
        let item = try #require(
            EnvelopeDecoder().unwrap(try fixture("apigateway-v2-bigcommerce-cart-abandoned.json")).items.first)
        #expect(trust.verify(item.delivery, channel: .http) == .accepted)
        var wrong = item.delivery
        wrong.headers["x-tidings-webhook-secret"] = "northwind-bigcommerce-secreT"
        #expect(
            trust.verify(wrong, channel: .http)
                == .rejected(code: "signature_invalid", reason: "X-Tidings-Webhook-Secret is wrong"))
        var missing = item.delivery
        missing.headers["x-tidings-webhook-secret"] = nil
        if case .rejected(let code, _) = trust.verify(missing, channel: .http) {
            #expect(code == "signature_missing")
        } else {
            Issue.record("a BigCommerce callback without its secret header was accepted")
        }
        // A canonical event over HTTP carries no platform signature at all.
        let canonical = try Data(
            contentsOf: RuntimeTestSupport.cartEvents.appendingPathComponent("canonical-returning-customer.json"))
        let bare = InboundDelivery(body: Array(canonical), headers: ["content-type": "application/json"])
        #expect(trust.verify(bare, channel: .http) != .accepted)
        // The same bytes from stdin or a direct invoke are trusted: whoever can invoke is authorized.
        #expect(trust.verify(InboundDelivery(body: Array(canonical)), channel: .headers) == .accepted)
    }

    @Test("Constant-time comparison is still a comparison")
    func constantTime() {
        #expect(ConstantTime.equals(Array("secret".utf8), Array("secret".utf8)))
        #expect(!ConstantTime.equals(Array("secret".utf8), Array("secreT".utf8)))
        #expect(!ConstantTime.equals(Array("secret".utf8), Array("secret2".utf8)))
        #expect(!ConstantTime.equals([], Array("s".utf8)))
    }

    @Test("A delivery triggered longer ago than the window is stale")
    func staleness() throws {
        let trust = WebhookTrust(secrets: WebhookSecrets(), maximumBodyBytes: 256 * 1024)
        let delivery = InboundDelivery(body: [], headers: ["X-Shopify-Triggered-At": "2026-11-10T13:00:00Z"])
        let now = try #require(Timestamp.parse("2026-11-21T13:00:00Z"))
        #expect(trust.staleness(delivery, now: now, window: 7 * 86_400)?.reason.hasPrefix("stale: ") == true)
        #expect(trust.staleness(delivery, now: now, window: 14 * 86_400) == nil)
    }

    @Test("An SQS batch answers exactly the records a retry can help")
    func batchAnswer() throws {
        let items = (1...4).map {
            Envelope.Item(messageID: "m\($0)", delivery: InboundDelivery(body: []), channel: .headers)
        }
        func report(_ outcome: Outcome, _ retryable: Bool? = nil) -> OutcomeReport {
            OutcomeReport(
                function: "cartAbandoned", eventID: "e", outcome: outcome, reason: "x: y", retryable: retryable)
        }
        let answer = InvocationAnswer(
            shape: .sqs, items: items,
            reports: [report(.sent), report(.rejectedInput), report(.suppressed, true), report(.failed, true)])
        let document = try JSONParser.parse(answer.body)
        #expect(
            document
                == .object([
                    "batchItemFailures": .array([
                        .object(["itemIdentifier": .string("m3")]), .object(["itemIdentifier": .string("m4")]),
                    ])
                ]))
        #expect(answer.error == nil)
        #expect(answer.exitStatus == .handled)
    }

    @Test(
        "HTTP answers: 200 handled, 401 bad signature, 400 bad input, 500 retry",
        arguments: [
            (Outcome.sent, nil, 200), (.suppressed, nil, 200), (.duplicate, nil, 200), (.unauthenticated, nil, 401),
            (.rejectedInput, nil, 400), (.failed, true, 500), (.suppressed, true, 500), (.failed, false, 200),
        ] as [(Outcome, Bool?, Int)])
    func httpAnswer(outcome: Outcome, retryable: Bool?, status: Int) throws {
        let report = OutcomeReport(
            function: "cartAbandoned", eventID: "e", outcome: outcome, reason: "code: why", retryable: retryable)
        let answer = InvocationAnswer(
            shape: .http, items: [Envelope.Item(delivery: InboundDelivery(body: []), channel: .http)], reports: [report]
        )
        let document = try JSONParser.parse(answer.body).objectValue ?? [:]
        #expect(document["statusCode"] == .int(status))
        #expect(document["headers"] == .object(["content-type": .string("application/json")]))
        let inner = try JSONParser.parse(try #require(document["body"]?.stringValue))
        #expect(inner.objectValue?["outcome"] == .string(outcome.rawValue))
        #expect(answer.error == nil)
    }

    @Test("A direct invocation that wants a retry becomes a Runtime API error with a typed code")
    func directRetry() {
        let report = OutcomeReport(
            function: "cartAbandoned", eventID: "e1", outcome: .failed,
            reason: "platform_unavailable: shopify answered 503", code: .failure(.platformUnavailable),
            retryable: true)
        let answer = InvocationAnswer(
            shape: .direct, items: [Envelope.Item(delivery: InboundDelivery(body: []), channel: .headers)],
            reports: [report])
        #expect(answer.error?.type == "Tidings.platform_unavailable")
        #expect(answer.error?.message.contains("shopify answered 503") == true)
        #expect(answer.exitStatus == .retryable)
    }
}
