import Foundation
import Testing
import TidingsCore
import TidingsDevKit

@testable import TidingsRuntime

/// The pipeline under failing boundaries: each failure ends in exactly one terminal outcome that
/// says whether a retry can help, and a bad writer never gets an email out.
@Suite("Pipeline failures")
struct PipelineFailureTests {
    /// A writer that answers with fixed text, or throws.
    struct ScriptedModel: LanguageModel {
        var name = "scripted-model"
        var answer: @Sendable (Prompt) throws -> String
        func respond(to request: DraftRequest) async throws -> ModelAnswer {
            ModelAnswer(text: try answer(request.prompt))
        }
    }

    /// A platform whose every call fails with the given status.
    struct FailingPlatform: CommercePlatform {
        var status: Int
        func fail() -> PlatformError {
            PlatformError(
                platform: "shopify", path: "/admin/api/2026-07/products.json", status: status,
                reason: "answered \(status)",
                isRetryable: status >= 500)
        }
        func customer(id: String) async throws -> CustomerRecord? { throw fail() }
        func orders(customerID: String) async throws -> [OrderRecord] { throw fail() }
        func cart(id: String) async throws -> (cart: Cart, customerID: String?)? { throw fail() }
        func order(id: String) async throws -> PlacedOrder? { throw fail() }
        func catalog() async throws -> Catalog { throw fail() }
    }

    /// An audit log that refuses every write.
    struct BrokenAudit: AuditLog {
        func append(_ entry: AuditEntry) throws { throw AuditError(.cannotWrite, path: "/audit", reason: "disk full") }
        func hasFinalOutcome(eventID: String, since: Date) throws -> Bool { false }
    }

    let event = RuntimeTestSupport.cartEvents.appendingPathComponent("shopify-first-time-buyer.json")

    func run(_ change: (inout PipelineStages) -> Void) async throws -> (
        OutcomeReport, InMemoryAuditLog, RecordingEmailService
    ) {
        try await withScratch { scratch in
            let configuration = try RuntimeTestSupport.configuration(dataDirectory: scratch)
            let audit = InMemoryAuditLog()
            let email = RecordingEmailService()
            var stages = try FunctionEnvironment.embeddedStages(
                function: .cartAbandoned, configuration: configuration,
                clock: FixedClock(Timestamp.parse("2026-11-21T15:20:00Z")!))
            stages.audit = audit
            stages.email = email
            change(&stages)
            let pipeline = try Pipeline(
                flow: .cartAbandoned(configuration), configuration: configuration, stages: stages)
            let body = Array(try Data(contentsOf: event))
            let report = await pipeline.handle(
                InboundDelivery(body: body), correlationID: "test", logger: RuntimeTestSupport.quietLogger)
            return (report, audit, email)
        }
    }

    func terminalRecords(_ audit: InMemoryAuditLog) -> [AuditEntry] { audit.entries.filter { $0.outcome != nil } }

    @Test("A model that fails falls back to the offline copywriter, and the audit says so")
    func modelFailure() async throws {
        let (report, audit, email) = try await run { stages in
            stages.model = ScriptedModel { _ in
                throw ModelError(model: "scripted-model", reason: "timeout", isRetryable: true)
            }
        }
        #expect(report.outcome == .sent)
        #expect(await email.delivered.count == 1)
        let generation = audit.entries.filter { $0.stage == "generate" }
        #expect(generation.count == 2, "a failed call gets no repair turn")
        #expect(generation.first?.facts["next"] == "offline-copywriter")
        #expect(generation.last?.facts["writer"] == "offline-copywriter")
        #expect(terminalRecords(audit).count == 1)
    }

    @Test("A model answer that breaks the schema falls back too")
    func offSchema() async throws {
        let (report, audit, _) = try await run { stages in
            stages.model = ScriptedModel { _ in #"{"subjects":["only one"]}"# }
        }
        #expect(report.outcome == .sent)
        #expect(audit.entries.contains { $0.stage == "generate" && $0.facts["error"] != nil })
    }

    @Test(
        "A draft that breaks the brand rules is rejected, repaired once, rewritten by the copywriter, and only that goes out"
    )
    func bannedDraft() async throws {
        let (report, audit, email) = try await run { stages in
            stages.model = ScriptedModel { prompt in
                var draft = OfflineCopywriter().write(prompt.context)
                draft.subjects[0] = "Act now, Maya!!! Last chance"
                draft.callToAction.url = "https://evil.example/cart"
                let data = try JSONEncoder().encode(draft)
                return String(decoding: data, as: UTF8.self)
            }
        }
        #expect(report.outcome == .sent)
        let validations = audit.entries.filter { $0.stage == "validate" }
        #expect(validations.count == 3)
        #expect(validations.prefix(2).map { $0.facts["decision"] } == ["reject", "reject"])
        #expect(validations.prefix(2).map { $0.facts["turn"] } == ["first", "repair"])
        #expect(validations.last?.facts["writer"] == "offline-copywriter")
        let sent = await email.delivered
        #expect(sent.count == 1)
        #expect(!(sent.first?.subject.contains("Act now") ?? true))
    }

    @Test("A platform outage fails retryably; a refused token fails for good")
    func platformFailure() async throws {
        let (outage, audit, email) = try await run { stages in stages.platforms[.shopify] = FailingPlatform(status: 503)
        }
        #expect(outage.outcome == .failed)
        #expect(outage.retryable == true)
        #expect(outage.reason?.hasPrefix("platform_unavailable") == true)
        #expect(await email.delivered.isEmpty)
        #expect(terminalRecords(audit).count == 1)
        let (refused, _, _) = try await run { stages in stages.platforms[.shopify] = FailingPlatform(status: 401) }
        #expect(refused.retryable == false)
    }

    @Test("An ESP failure is failed and retryable, and the event id stays free for the retry")
    func deliveryFailure() async throws {
        let (report, audit, _) = try await run { stages in
            stages.email = RecordingEmailService(
                failure: DeliveryError(service: "outbox", reason: "disk full", isRetryable: true))
        }
        #expect(report.outcome == .failed)
        #expect(report.retryable == true)
        #expect(try audit.hasFinalOutcome(eventID: report.eventID, since: .distantPast) == false)
    }

    @Test("Without an audit nothing is sent: failed, retryable")
    func auditFailure() async throws {
        let (report, _, email) = try await run { stages in stages.audit = BrokenAudit() }
        #expect(report.outcome == .failed)
        #expect(report.retryable == true)
        #expect(report.reason?.hasPrefix("audit_unavailable") == true)
        #expect(await email.delivered.isEmpty)
    }

    @Test("A second delivery of a sent event is a duplicate and sends nothing")
    func duplicate() async throws {
        try await withScratch { scratch in
            let configuration = try RuntimeTestSupport.configuration(dataDirectory: scratch)
            var stages = try FunctionEnvironment.embeddedStages(
                function: .cartAbandoned, configuration: configuration,
                clock: FixedClock(Timestamp.parse("2026-11-21T15:20:00Z")!))
            let email = RecordingEmailService()
            stages.email = email
            let pipeline = try Pipeline(
                flow: .cartAbandoned(configuration), configuration: configuration, stages: stages)
            let body = Array(try Data(contentsOf: event))
            let first = await pipeline.handle(
                InboundDelivery(body: body), correlationID: "1", logger: RuntimeTestSupport.quietLogger)
            let second = await pipeline.handle(
                InboundDelivery(body: body), correlationID: "2", logger: RuntimeTestSupport.quietLogger)
            #expect(first.outcome == .sent)
            #expect(second.outcome == .duplicate)
            #expect(await email.delivered.count == 1)
        }
    }
}
