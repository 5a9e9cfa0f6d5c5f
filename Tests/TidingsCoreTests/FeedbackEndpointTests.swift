import Foundation
import Logging
import Testing
import TidingsDevKit

@testable import TidingsCore

/// The feedback routes as values in, a response out: Mandrill's recorded signature re-computes, and
/// each route adds only what a proven sender reported, audited without an address or a key.
@Suite("Feedback endpoint: SES through SNS, Mandrill webhooks")
struct FeedbackEndpointTests {
    static let mandrill = TestPaths.specs.appendingPathComponent("mailchimp-transactional/webhook-examples")
    static let mandrillKey = "ntynTMaFpM_octE5R1DKAw"
    static let mandrillURL = "https://feedback.example/feedback/mandrill"

    /// The recorded request: `private_key`, `original_url`, headers and `raw_params`.
    static func recorded() throws -> [String: JSONValue] {
        let data = try Data(contentsOf: mandrill.appendingPathComponent("click_with_signature.json"))
        guard case .array(let items) = try JSONParser.parse(Array(data)), let first = items.first?.objectValue else {
            throw SNSError(field: "fixture", reason: "not an array of one request")
        }
        return first
    }

    @Test("the recorded Mandrill request's X-Mandrill-Signature re-computes from its key, URL and form field")
    func recordedSignature() throws {
        let request = try Self.recorded()
        let key = try #require(request["private_key"]?.stringValue)
        let url = try #require(request["original_url"]?.stringValue)
        let header = try #require(request["headers"]?.objectValue?["X-Mandrill-Signature"]?.stringValue)
        let raw = try #require(request["raw_params"]?.objectValue?["mandrill_events"]?.stringValue)
        // The body as Mandrill POSTed it, decoded the way the endpoint decodes any form.
        let fields = try #require(PercentEncoding.formFields(Substring("mandrill_events=\(raw)")))
        #expect(MandrillWebhook.signature(url: url, fields: fields, key: Array(key.utf8)) == header)
        #expect(header == "7rUa4lNJitlb178MgGOcHO6T4Bg=")
        try MandrillWebhook.verify(signature: header, url: url, fields: fields, key: Array(key.utf8))
        // One more character in the events, another URL, another key: each refused.
        var altered = fields
        altered["mandrill_events"]! += " "
        #expect(
            throws: FeedbackRefusal(
                .badSignature, "X-Mandrill-Signature does not match the body signed for MANDRILL_WEBHOOK_URL")
        ) {
            try MandrillWebhook.verify(signature: header, url: url, fields: altered, key: Array(key.utf8))
        }
        #expect(throws: FeedbackRefusal.self) {
            try MandrillWebhook.verify(signature: header, url: url + "/", fields: fields, key: Array(key.utf8))
        }
        #expect(throws: FeedbackRefusal.self) {
            try MandrillWebhook.verify(signature: header, url: url, fields: fields, key: Array("other".utf8))
        }
        #expect(throws: FeedbackRefusal(.missingSignature, "no X-Mandrill-Signature header")) {
            try MandrillWebhook.verify(signature: nil, url: url, fields: fields, key: Array(key.utf8))
        }
        // A click adds nothing.
        let events = try #require(fields["mandrill_events"])
        #expect(try MandrillWebhook.additions(mandrillEvents: events, now: Date()).isEmpty)
    }

    /// Mandrill's example hard bounce, with `metadata` carrying the Tidings customer id when asked.
    static func hardBounce(event: String = "hard_bounce", customerID: String? = nil) throws -> String {
        let text = try String(
            contentsOf: mandrill.appendingPathComponent("hard_bounce_event.json"), encoding: .utf8)
        var object = try #require(try JSONParser.parse(text).objectValue)
        object["event"] = .string(event)
        if let customerID, var message = object["msg"]?.objectValue {
            message["metadata"] = .object(["user_id": .int(111), "tidings_customer_id": .string(customerID)])
            object["msg"] = .object(message)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(JSONValue.array([.object(object)])), as: UTF8.self)
    }

    @Test(
        "hard_bounce, spam and unsub add by address hash (and customer id when the metadata has it); others add nothing",
        arguments: [
            ("hard_bounce", SuppressionReason?.some(.hardBounce)), ("spam", .complaint), ("unsub", .unsubscribe),
            ("reject", nil), ("soft_bounce", nil), ("open", nil),
        ])
    func mandrillEvents(_ event: String, _ reason: SuppressionReason?) throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let additions = try MandrillWebhook.additions(
            mandrillEvents: try Self.hardBounce(event: event, customerID: "6100000001"), now: now)
        guard let reason else {
            #expect(additions.isEmpty)
            return
        }
        #expect(
            additions == [
                MandrillWebhook.Addition(
                    entry: SuppressionEntry(
                        customerID: "6100000001",
                        addressHash: SuppressionKeys.addressHash("example.webhook@mandrillapp.com"), reason: reason,
                        source: "mandrill_webhook", time: now),
                    eventID: "id2", address: "example.webhook@mandrillapp.com")
            ])
        // Without the metadata key only the address is known.
        let plain = try MandrillWebhook.additions(mandrillEvents: try Self.hardBounce(event: event), now: now)
        #expect(plain.map(\.entry.customerID) == [nil])
        #expect(throws: SNSError(field: "mandrill_events", reason: "not a JSON array")) {
            try MandrillWebhook.additions(mandrillEvents: "{}", now: now)
        }
    }

    // MARK: The endpoint

    static let now = SNSSignatureTests.now
    static let logger = Logger(label: "test")

    func endpoint(_ directory: URL, audit: InMemoryAuditLog, sns: InMemorySNS, mandrill: Bool = true)
        -> FeedbackEndpoint
    {
        FeedbackEndpoint(
            settings: FeedbackSettings(
                snsTopics: [SNSSignatureTests.topic], mandrillKey: mandrill ? Secret(Self.mandrillKey) : nil,
                mandrillURL: mandrill ? Self.mandrillURL : nil),
            fetcher: SNSFetcher(transport: sns), suppression: JSONLSuppressionList(directory: directory),
            audit: audit, clock: FixedClock(Self.now))
    }

    func sns() throws -> InMemorySNS {
        InMemorySNS(certificates: [SNSSignatureTests.certificateURL: try SNSSignatureTests.text("signing-cert.pem")])
    }

    func post(_ name: String, type: String? = "Notification") throws -> FeedbackRequest {
        var headers = ["content-type": "text/plain; charset=UTF-8"]
        if let type { headers["x-amz-sns-message-type"] = type }
        return FeedbackRequest(
            method: "POST", headers: headers, body: Array(try SNSSignatureTests.text(name).utf8))
    }

    @Test("a signed permanent bounce suppresses the address by hash, audited with who, why and whence")
    func snsBounce() async throws {
        try await withTemporaryDirectory { directory in
            let audit = InMemoryAuditLog()
            let endpoint = endpoint(directory, audit: audit, sns: try sns())
            let response = await endpoint.handleSNS(
                try post("bounce-v1.json"), correlationID: "req-1", logger: Self.logger)
            #expect(response.status == 200, "\(response.html)")
            let list = JSONLSuppressionList(directory: directory)
            let entry = try #require(try list.entry(customerID: nil, address: "Jane@Example.com"))
            #expect(entry.reason == .hardBounce)
            #expect(entry.source == "ses_sns")
            let suppress = audit.entries.filter { $0.stage == "suppress" }
            #expect(suppress.count == 1)
            #expect(suppress.first?.facts["address_sha256"] == .string(SuppressionKeys.addressHash("jane@example.com")))
            #expect(suppress.first?.facts["sns.message_id"] == "6f0b7b1e-0000-4000-8000-000000000001")
            #expect(suppress.first?.facts["sns.topic_arn"] == .string(SNSSignatureTests.topic))
            #expect(suppress.first?.eventID == "feedback:req-1")
            #expect(audit.entries.last?.outcome == .suppressed)
            #expect(response.report?.code == .guarded(.hardBounce))
            #expect(!audit.entries.map { "\($0.facts)" }.joined().contains("@"))
        }
    }

    @Test("a refused SNS message is a 403, audited unauthenticated, and suppresses nothing")
    func snsRefused() async throws {
        try await withTemporaryDirectory { directory in
            let audit = InMemoryAuditLog()
            let endpoint = endpoint(directory, audit: audit, sns: try sns())
            var request = try post("bounce-v2.json")
            request.body = Array(
                String(decoding: request.body, as: UTF8.self).replacingOccurrences(of: "jane@", with: "joan@").utf8)
            let response = await endpoint.handleSNS(request, correlationID: "req-2", logger: Self.logger)
            #expect(response.status == 403)
            #expect(response.html.hasPrefix("refused: bad_signature"))
            #expect(try JSONLSuppressionList(directory: directory).entries().isEmpty)
            #expect(audit.entries.map(\.stage) == ["outcome"])
            #expect(audit.entries.first?.outcome == .unauthenticated)
            // A header that contradicts the body, a body that is not SNS, a GET: 400, 400, 405.
            #expect(
                await endpoint.handleSNS(
                    try post("bounce-v2.json", type: "SubscriptionConfirmation"), correlationID: "r",
                    logger: Self.logger
                ).status == 400)
            let junk = FeedbackRequest(method: "POST", headers: [:], body: Array("{}".utf8))
            let answer = await endpoint.handleSNS(junk, correlationID: "r", logger: Self.logger)
            #expect(answer.status == 400)
            #expect(answer.html.hasPrefix("Type: missing"))
            #expect(
                await endpoint.handleSNS(
                    FeedbackRequest(method: "GET", headers: [:], body: []), correlationID: "r", logger: Self.logger
                )
                .status == 405)
            #expect(try JSONLSuppressionList(directory: directory).entries().isEmpty)
        }
    }

    @Test(
        "each kind of forged SNS message POSTed to the route is a 403 and suppresses nothing",
        arguments: [
            "altered Message", "wrong key", "wrong certificate URL host", "SignatureVersion 3", "expired certificate",
            "wrong topic", "stale Timestamp",
        ])
    func forgeriesSuppressNothing(_ forgery: String) async throws {
        try await withTemporaryDirectory { directory in
            var message = try SNSSignatureTests.message("bounce-v1.json")
            var certificate = "signing-cert.pem"
            switch forgery {
            case "altered Message":
                message.message = message.message.replacingOccurrences(of: "jane@", with: "ceo@")
            case "wrong key":
                message = try SNSSigner(pem: try SNSSignatureTests.text("other-key.pem"))
                    .sign(message, version: "1", certificateURL: SNSSignatureTests.certificateURL)
            case "wrong certificate URL host":
                message.signingCertURL = "https://sns.us-east-1.amazonaws.com.evil.example/cert.pem"
            case "SignatureVersion 3": message.signatureVersion = "3"
            case "expired certificate": certificate = "expired-cert.pem"
            case "wrong topic": message.topicArn = "arn:aws:sns:us-east-1:999999999999:someone-elses"
            default: message.timestamp = "2026-11-21T17:00:00.000Z"
            }
            let sns = InMemorySNS(certificates: [
                SNSSignatureTests.certificateURL: try SNSSignatureTests.text(certificate)
            ])
            let audit = InMemoryAuditLog()
            let request = FeedbackRequest(
                method: "POST", headers: ["x-amz-sns-message-type": "Notification"], body: SNSSigner.body(message))
            let response = await endpoint(directory, audit: audit, sns: sns)
                .handleSNS(request, correlationID: "forged", logger: Self.logger)
            #expect(response.status == 403, "\(forgery): \(response.html)")
            #expect(try JSONLSuppressionList(directory: directory).entries().isEmpty)
            #expect(audit.entries.map(\.outcome) == [.unauthenticated])
            #expect(audit.entries.allSatisfy { $0.stage == "outcome" })
        }
    }

    @Test("a certificate that does not arrive is a retryable 500 (SNS delivers again), suppressing nothing")
    func certificateUnavailable() async throws {
        try await withTemporaryDirectory { directory in
            let audit = InMemoryAuditLog()
            let endpoint = endpoint(directory, audit: audit, sns: InMemorySNS(certificates: [:]))
            let response = await endpoint.handleSNS(
                try post("bounce-v2.json"), correlationID: "req-4", logger: Self.logger)
            #expect(response.status == 500)
            #expect(response.report?.retryable == true)
            #expect(response.report?.code == .failure(.deliveryFailed))
            #expect(!response.html.contains("amazonaws"))
            #expect(audit.entries.map(\.outcome) == [.failed])
            #expect(try JSONLSuppressionList(directory: directory).entries().isEmpty)
        }
    }

    @Test("a SubscriptionConfirmation is verified, then its SubscribeURL is fetched once; the answer is audited")
    func subscriptionConfirmation() async throws {
        try await withTemporaryDirectory { directory in
            let audit = InMemoryAuditLog()
            let sns = try sns()
            let endpoint = endpoint(directory, audit: audit, sns: sns)
            let response = await endpoint.handleSNS(
                try post("subscription-confirmation.json", type: "SubscriptionConfirmation"), correlationID: "req-3",
                logger: Self.logger)
            #expect(response.status == 200)
            let confirmation = try #require(
                try SNSSignatureTests.message("subscription-confirmation.json").subscribeURL)
            #expect(sns.received.map(\.url) == [SNSSignatureTests.certificateURL, confirmation])
            #expect(audit.entries.last?.outcome == .sent)
            #expect(audit.entries.last?.facts["sns.confirmed"] == .bool(true))
            #expect(try JSONLSuppressionList(directory: directory).entries().isEmpty)
        }
    }

    func mandrillPost(_ events: String, signature: String?) -> FeedbackRequest {
        var headers = ["content-type": "application/x-www-form-urlencoded"]
        if let signature { headers["x-mandrill-signature"] = signature }
        return FeedbackRequest(
            method: "POST", headers: headers, body: Array("mandrill_events=\(PercentEncoding.encode(events))".utf8))
    }

    @Test("a signed Mandrill hard bounce suppresses by hash and customer id; a bad signature suppresses nothing")
    func mandrillRoute() async throws {
        try await withTemporaryDirectory { directory in
            let audit = InMemoryAuditLog()
            let endpoint = endpoint(directory, audit: audit, sns: try sns())
            #expect(
                await endpoint.handleMandrill(
                    FeedbackRequest(method: "HEAD", headers: [:], body: []), correlationID: "p"
                )
                .status == 200)
            #expect(audit.entries.isEmpty)
            let events = try Self.hardBounce(customerID: "6100000001")
            let signature = MandrillWebhook.signature(
                url: Self.mandrillURL, fields: ["mandrill_events": events], key: Array(Self.mandrillKey.utf8))

            let forged = await endpoint.handleMandrill(mandrillPost(events, signature: "AAAA"), correlationID: "m-1")
            #expect(forged.status == 403)
            #expect(try JSONLSuppressionList(directory: directory).entries().isEmpty)
            #expect(audit.entries.last?.outcome == .unauthenticated)

            let response = await endpoint.handleMandrill(
                mandrillPost(events, signature: signature), correlationID: "m-2")
            #expect(response.status == 200, "\(response.html)")
            let list = JSONLSuppressionList(directory: directory)
            #expect(try list.entry(customerID: "6100000001", address: nil)?.reason == .hardBounce)
            #expect(
                try list.entry(customerID: nil, address: "example.webhook@mandrillapp.com")?.source
                    == "mandrill_webhook")
            let suppress = try #require(audit.entries.first { $0.stage == "suppress" })
            #expect(suppress.facts["customer_id"] == "6100000001")
            #expect(suppress.facts["mandrill.event_id"] == "id2")
            #expect(!audit.entries.map { "\($0.facts)" }.joined().contains(Self.mandrillKey))
            #expect(!audit.entries.map { "\($0.facts)" }.joined().contains("@"))
        }
    }

    /// A platform that records the consent it is asked to withdraw.
    final class RecordingConsent: ConsentWriteBack, @unchecked Sendable {
        let platformName = "shopify"
        private let lock = NSLock()
        private(set) var byID: [String] = []
        private(set) var byEmail: [String] = []
        func withdrawEmailConsent(customerID: String, at: Date) async throws -> Bool {
            lock.withLock { byID.append(customerID) }
            return true
        }
        func withdrawEmailConsent(email: String, at: Date) async throws -> Bool {
            lock.withLock { byEmail.append(email) }
            return email != "nobody@mail.example.com"
        }
    }

    @Test(
        "a complaint is written back to the platform's consent: by the ESP's customer id, else by address; a bounce is not"
    )
    func complaintWriteBack() async throws {
        try await withTemporaryDirectory { directory in
            let audit = InMemoryAuditLog()
            let consent = RecordingConsent()
            var endpoint = endpoint(directory, audit: audit, sns: try sns())
            endpoint.consentWriteBack = consent
            func post(_ events: String, _ id: String) async -> UnsubscribeResponse {
                let signature = MandrillWebhook.signature(
                    url: Self.mandrillURL, fields: ["mandrill_events": events], key: Array(Self.mandrillKey.utf8))
                return await endpoint.handleMandrill(mandrillPost(events, signature: signature), correlationID: id)
            }
            #expect(await post(try Self.hardBounce(event: "spam"), "c-1").status == 200)
            #expect(await post(try Self.hardBounce(event: "spam", customerID: "6100000002"), "c-2").status == 200)
            #expect(await post(try Self.hardBounce(event: "hard_bounce"), "c-3").status == 200)
            #expect(consent.byEmail == ["example.webhook@mandrillapp.com"])
            #expect(consent.byID == ["6100000002"])
            let facts = audit.entries.filter { $0.stage == "suppress" }.map { $0.facts["platform_consent"] }
            #expect(facts == [.string("shopify: updated"), .string("shopify: updated"), nil])
            // The address is looked up, never written to the audit.
            #expect(!audit.entries.map { "\($0.facts)" }.joined().contains("@"))
        }
    }

    @Test("without MANDRILL_WEBHOOK_KEY every Mandrill POST is refused, but Mandrill's check request still gets 200")
    func mandrillNotConfigured() async throws {
        try await withTemporaryDirectory { directory in
            let audit = InMemoryAuditLog()
            let endpoint = endpoint(directory, audit: audit, sns: try sns(), mandrill: false)
            #expect(
                await endpoint.handleMandrill(
                    FeedbackRequest(method: "GET", headers: [:], body: []), correlationID: "p"
                )
                .status == 200)
            let response = await endpoint.handleMandrill(
                mandrillPost(try Self.hardBounce(), signature: "x"), correlationID: "m")
            #expect(response.status == 403)
            #expect(response.report?.reason?.hasPrefix("not_configured") == true)
            #expect(try JSONLSuppressionList(directory: directory).entries().isEmpty)
        }
    }

    @Test("the settings: topic ARNs checked, the Mandrill key and URL go together, the key is never printed")
    func settings() throws {
        let settings = try FeedbackSettings.load(environment: [
            "TIDINGS_SNS_TOPIC_ARNS": " arn:aws:sns:us-east-1:123456789012:a, arn:aws-cn:sns:cn-north-1:1:b ",
            "MANDRILL_WEBHOOK_KEY": "k3y", "MANDRILL_WEBHOOK_URL": "https://x.example/feedback/mandrill",
        ])
        #expect(settings.snsTopics == ["arn:aws:sns:us-east-1:123456789012:a", "arn:aws-cn:sns:cn-north-1:1:b"])
        #expect(!"\(settings)".contains("k3y"))
        #expect(try FeedbackSettings.load(environment: [:]).snsTopics.isEmpty)
        #expect(throws: ConfigurationError.self) {
            try FeedbackSettings.load(environment: ["TIDINGS_SNS_TOPIC_ARNS": "arn:aws:sqs:us-east-1:1:q"])
        }
        do {
            _ = try FeedbackSettings.load(environment: ["MANDRILL_WEBHOOK_KEY": "k3y"])
            Issue.record("a key without its URL must be refused")
        } catch {
            #expect(error.key == "MANDRILL_WEBHOOK_URL")
        }
        do {
            _ = try FeedbackSettings.load(environment: ["MANDRILL_WEBHOOK_URL": "https://x.example/"])
            Issue.record("a URL without its key must be refused")
        } catch {
            #expect(error.key == "MANDRILL_WEBHOOK_KEY")
        }
    }
}
