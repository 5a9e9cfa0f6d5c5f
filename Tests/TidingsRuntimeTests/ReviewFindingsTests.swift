import Foundation
import Testing
import TidingsCore
import TidingsDevKit

@testable import TidingsRuntime

/// Behaviour pinned after review: what customers type stays out of prompts and the audit, one
/// email per cart, thin payloads timed by their cart, no resend after an audit failure, whole-word
/// name checks, stable guest unsubscribe links.
@Suite("Pipeline: privacy, idempotency and timing")
struct ReviewFindingsTests {
    /// Remembers every prompt it was given and writes like the offline copywriter.
    final class PromptRecorder: LanguageModel, @unchecked Sendable {
        let name = "recording-model"
        private let lock = NSLock()
        private var seen: [Prompt] = []
        var prompts: [Prompt] { lock.withLock { seen } }
        func respond(to request: DraftRequest) async throws -> ModelAnswer {
            lock.withLock { seen.append(request.prompt) }
            return try await OfflineCopywriter().respond(to: request)
        }
    }

    /// Fails every write of the given stages.
    struct StageFailingAudit: AuditLog {
        let inner = InMemoryAuditLog()
        let failing: Set<String>
        func append(_ entry: AuditEntry) throws {
            if failing.contains(entry.stage) { throw AuditError(.cannotWrite, path: "/audit", reason: "disk full") }
            try inner.append(entry)
        }
        func hasFinalOutcome(eventID: String, since: Date) throws -> Bool {
            try inner.hasFinalOutcome(eventID: eventID, since: since)
        }
    }

    static let clock = FixedClock(Timestamp.parse("2026-11-21T19:20:00Z")!)

    func pipeline(_ scratch: URL, _ change: (inout PipelineStages) -> Void = { _ in }) throws -> Pipeline {
        let configuration = try RuntimeTestSupport.configuration(dataDirectory: scratch)
        var stages = try FunctionEnvironment.embeddedStages(
            function: .cartAbandoned, configuration: configuration, clock: Self.clock)
        change(&stages)
        return try Pipeline(flow: .cartAbandoned(configuration), configuration: configuration, stages: stages)
    }

    /// A recorded Shopify delivery's body, edited.
    func checkout(_ file: String, _ edit: (inout [String: Any]) -> Void) throws -> [UInt8] {
        let document =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: RuntimeTestSupport.cartEvents.appendingPathComponent(file))) as! [String: Any]
        var body = document
        if let raw = document["body"] as? String {
            body = try JSONSerialization.jsonObject(with: Data(raw.utf8)) as! [String: Any]
        }
        edit(&body)
        return Array(try JSONSerialization.data(withJSONObject: body))
    }

    func handle(_ pipeline: Pipeline, _ body: [UInt8], headers: [String: String] = [:]) async -> OutcomeReport {
        await pipeline.handle(
            InboundDelivery(body: body, headers: headers), correlationID: "t", logger: RuntimeTestSupport.quietLogger)
    }

    @Test("Personal data typed into a discount code reaches neither the prompt nor the audit")
    func typedPII() async throws {
        try await withScratch { scratch in
            let model = PromptRecorder()
            let audit = InMemoryAuditLog()
            let pipeline = try pipeline(scratch) { stages in
                stages.model = model
                stages.audit = audit
            }
            let body = try checkout("shopify-discount-code-failed.json") { body in
                body["discount_codes"] = [
                    ["code": "sam.w@example.com call 415 555 0199", "amount": "0.00", "type": "percentage"]
                ]
            }
            let report = await handle(pipeline, body)
            #expect(report.outcome == .sent)
            let prompt = try #require(model.prompts.first)
            #expect(prompt.context.hypothesis?.kind == "discount_code_failed")
            for secret in ["sam.w@example.com", "415 555 0199"] {
                #expect(!(prompt.system + prompt.user).contains(secret))
                for entry in audit.entries where entry.stage != "deliver" {
                    #expect(!"\(entry.facts)".contains(secret), "\(entry.stage) holds \(secret)")
                }
            }
        }
    }

    @Test("A second checkouts/update for the same cart, with a new event id, sends nothing")
    func oneEmailPerCart() async throws {
        try await withScratch { scratch in
            let email = RecordingEmailService()
            let pipeline = try pipeline(scratch) { $0.email = email }
            let body = try checkout("shopify-high-shipping.json") { _ in }
            let first = await handle(
                pipeline, body, headers: ["x-shopify-topic": "checkouts/update", "x-shopify-event-id": "e-1"])
            let second = await handle(
                pipeline, body, headers: ["x-shopify-topic": "checkouts/update", "x-shopify-event-id": "e-2"])
            #expect(first.outcome == .sent)
            #expect(second.outcome == .suppressed)
            #expect(second.reason?.hasPrefix("cart_already_handled") == true)
            #expect(await email.delivered.count == 1)
            // Across processes too: a fresh pipeline reads the first outcome from the audit files.
            let later = try self.pipeline(scratch)
            let third = await handle(
                later, body, headers: ["x-shopify-topic": "checkouts/update", "x-shopify-event-id": "e-3"])
            #expect(third.reason?.hasPrefix("cart_already_handled") == true)
        }
    }

    @Test("A BigCommerce callback is timed by its cart's last activity, not by when it fired")
    func bigCommerceTiming() async throws {
        try await withScratch { scratch in
            let configuration = try RuntimeTestSupport.configuration(dataDirectory: scratch)
            var stages = try FunctionEnvironment.embeddedStages(function: .cartAbandoned, configuration: configuration)
            let body = Array(
                try Data(
                    contentsOf: RuntimeTestSupport.cartEvents.appendingPathComponent("bigcommerce-cart-abandoned.json"))
            )
            let fired = try EventDecoder().decode(InboundDelivery(body: body)).occurredAt
            // One minute after the webhook fired: the cart itself has been idle for over an hour.
            stages.clock = FixedClock(fired.addingTimeInterval(60))
            let pipeline = try Pipeline(
                flow: .cartAbandoned(configuration), configuration: configuration, stages: stages)
            let report = await handle(pipeline, body)
            #expect(report.outcome == .sent, "\(report.reason ?? "")")
        }
    }

    @Test("When the audit fails after the hand-over, the result is sent, never a retry that sends again")
    func noResendAfterAuditFailure() async throws {
        try await withScratch { scratch in
            let email = RecordingEmailService()
            let pipeline = try pipeline(scratch) { stages in
                stages.email = email
                stages.audit = StageFailingAudit(failing: ["deliver", "outcome"])
            }
            let report = await handle(pipeline, try checkout("shopify-high-shipping.json") { _ in })
            #expect(report.outcome == .sent)
            #expect(report.retryable == nil)
            #expect(report.reason?.contains("audit_incomplete") == true)
            #expect(await email.delivered.count == 1)
        }
    }

    @Test("A retry renders the same Message-ID, so the outbox replaces instead of adding")
    func idempotentOutbox() async throws {
        try await withScratch { scratch in
            let body = try checkout("shopify-high-shipping.json") { _ in }
            for later in [0.0, 3600] {
                // A separate data folder per attempt stands for an attempt whose outcome was lost.
                let configuration = try RuntimeTestSupport.configuration(
                    dataDirectory: scratch.appendingPathComponent("run-\(later)"))
                var stages = try FunctionEnvironment.embeddedStages(
                    function: .cartAbandoned, configuration: configuration,
                    clock: FixedClock(Self.clock.now.addingTimeInterval(later)))
                stages.email = OutboxEmailService(directory: scratch.appendingPathComponent("outbox"))
                let pipeline = try Pipeline(
                    flow: .cartAbandoned(configuration), configuration: configuration, stages: stages)
                #expect(await handle(pipeline, body).outcome == .sent)
            }
            let files = try FileManager.default.contentsOfDirectory(
                atPath: scratch.appendingPathComponent("outbox").path)
            #expect(files.filter { $0.hasSuffix(".eml") }.count == 1)
        }
    }

    @Test("A last name inside a product's name is not personal data: Ms King's hiking shoes go out")
    func wholeWordNames() async throws {
        try await withScratch { scratch in
            let pipeline = try pipeline(scratch)
            let body = try checkout("shopify-guest-checkout.json") { body in
                body["billing_address"] = ["first_name": "Ada", "last_name": "King", "address1": "1 Main St"]
                var line = (body["line_items"] as! [[String: Any]])[0]
                line["product_id"] = 7_400_000_007
                line["title"] = "Canyon Low Hiking Shoe"
                line["price"] = "129.00"
                body["line_items"] = [line]
            }
            let report = await handle(pipeline, body)
            #expect(report.outcome == .sent, "\(report.reason ?? "")")
        }
    }

    @Test("A guest's unsubscribe link is keyed by their address, the same for every email")
    func stableGuestUnsubscribe() async throws {
        try await withScratch { scratch in
            let email = RecordingEmailService()
            let pipeline = try pipeline(scratch) { $0.email = email }
            for (id, token) in [(41, "aaaa1111"), (42, "bbbb2222")] {
                let body = try checkout("shopify-high-shipping.json") { body in
                    body.removeValue(forKey: "customer")
                    body["id"] = id
                    body["token"] = token
                    body["email"] = "River.Quinn@example.net"
                }
                #expect(await handle(pipeline, body).outcome == .sent)
            }
            let links = await email.delivered.map(\.unsubscribeURL)
            #expect(links.count == 2)
            #expect(Set(links).count == 1)
            #expect(links.allSatisfy { $0.contains("c=guest") && !$0.lowercased().contains("river") })
        }
    }

    /// Adds a cart line for the sold-out Ember Insulated Winter Boot (7400000008), or makes it the only line.
    func withSoldOutBoot(only: Bool) throws -> [UInt8] {
        try checkout("shopify-high-shipping.json") { body in
            var lines = body["line_items"] as! [[String: Any]]
            var boot = lines[0]
            boot["product_id"] = 7_400_000_008
            boot["variant_id"] = 7_400_008_001
            boot["title"] = "Ember Insulated Winter Boot"
            boot["variant_title"] = "US 9"
            boot["price"] = "199.00"
            lines = only ? [boot] : lines + [boot]
            body["line_items"] = lines
            body.removeValue(forKey: "total_line_items_price")
            body.removeValue(forKey: "total_price")
        }
    }

    @Test("A cart item that sold out since is mentioned, never featured; the rest still goes out")
    func partlySoldOut() async throws {
        try await withScratch { scratch in
            let email = RecordingEmailService()
            let pipeline = try pipeline(scratch) { $0.email = email }
            let report = await handle(pipeline, try withSoldOutBoot(only: false))
            #expect(report.outcome == .sent, "\(report.reason ?? "")")
            let sent = try #require(await email.delivered.first)
            #expect(sent.text.contains("Ember Insulated Winter Boot sold out"))
            #expect(!sent.html.contains("/products/ember-insulated-winter-boot"))
            #expect(sent.html.contains("/products/beacon-400-headlamp"))
        }
    }

    @Test("A cart with nothing left in stock is not written to")
    func allSoldOut() async throws {
        try await withScratch { scratch in
            let report = await handle(try pipeline(scratch), try withSoldOutBoot(only: true))
            #expect(report.outcome == .suppressed)
            #expect(report.reason?.hasPrefix("cart_unavailable") == true)
        }
    }
}
