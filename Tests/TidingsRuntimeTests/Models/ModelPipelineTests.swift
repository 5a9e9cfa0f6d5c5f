import Foundation
import Testing
import TidingsCore
import TidingsDevKit

@testable import TidingsRuntime

/// The writers inside the cartAbandoned pipeline, against the loopback fake: a clean model draft is
/// used as written, every fault ends in the offline copywriter's email with one terminal outcome,
/// and no planted violation reaches an email.
@Suite("Model writers in the pipeline")
struct ModelPipelineTests {
    let event = RuntimeTestSupport.cartEvents.appendingPathComponent("shopify-first-time-buyer.json")

    struct Run {
        var report: OutcomeReport
        var audit: InMemoryAuditLog
        var emails: [RenderedEmail]
    }

    func run(_ model: any LanguageModel) async throws -> Run {
        try await withScratch { scratch in
            let configuration = try RuntimeTestSupport.configuration(dataDirectory: scratch)
            let audit = InMemoryAuditLog()
            let email = RecordingEmailService()
            var stages = try FunctionEnvironment.embeddedStages(
                function: .cartAbandoned, configuration: configuration,
                clock: FixedClock(Timestamp.parse("2026-11-21T15:20:00Z")!))
            stages.audit = audit
            stages.email = email
            stages.model = model
            let pipeline = try Pipeline(
                flow: .cartAbandoned(configuration), configuration: configuration, stages: stages)
            let report = await pipeline.handle(
                InboundDelivery(body: Array(try Data(contentsOf: event))), correlationID: "test",
                logger: RuntimeTestSupport.quietLogger)
            return Run(report: report, audit: audit, emails: await email.delivered)
        }
    }

    func openAI(_ fake: ModelFake, _ scenario: String) -> OpenAIResponsesModel {
        OpenAIResponsesModel(
            baseURL: fake.v1, model: "tiny@\(scenario)", key: Secret(ModelLoopbackFixtures.key),
            transport: fake.transport)
    }

    @Test(
        "A clean model draft is the email that goes out, written by the model",
        arguments: ["openai", "anthropic", "chat"])
    func cleanDraft(_ provider: String) async throws {
        try await ModelFake.with { fake in
            let key = Secret(ModelLoopbackFixtures.key)
            let model: any LanguageModel
            switch provider {
            case "anthropic":
                model = AnthropicMessagesModel(
                    baseURL: fake.root, model: "tiny", key: key, transport: fake.transport)
            case "chat":
                model = ChatCompletionsModel(baseURL: fake.v1, model: "tiny", transport: fake.transport)
            default:
                model = openAI(fake, "clean")
            }
            let run = try await run(model)
            #expect(run.report.outcome == .sent)
            try #require(run.emails.count == 1)
            #expect(
                ["Your cart is saved", "Still thinking it over?", "Your picks are waiting"].contains(
                    run.emails[0].subject))
            let writers = run.audit.entries.filter { $0.stage == "generate" }.compactMap { $0.facts["writer"] }
            #expect(writers.last == .string(model.name))
            #expect(run.audit.entries.filter { $0.outcome != nil }.count == 1)
            for request in try await fake.received() { #expect(request.problems == []) }
        }
    }

    @Test(
        "Faults and bad drafts end in one terminal outcome, and no planted violation reaches an email",
        arguments: [
            "429", "500", "529", "401", "reset", "truncated", "html", "refusal", "incomplete", "notjson", "badschema",
            "plant-link", "plant-medical", "plant-address", "plant-code",
        ])
    func faults(_ scenario: String) async throws {
        try await ModelFake.with { fake in
            let run = try await run(openAI(fake, scenario))
            #expect(run.audit.entries.filter { $0.outcome != nil }.count == 1, "\(scenario)")
            // Sent (the model's draft or the copywriter's), or held for a person to review.
            #expect([.sent, .queuedForReview].contains(run.report.outcome), "\(scenario): \(run.report.outcome)")
            #expect(run.emails.count == (run.report.outcome == .sent ? 1 : 0), "\(scenario)")
            for email in run.emails {
                let text = email.subject + email.preheader + email.text + email.html
                for planted in ["bargain-outlet.example.net", "cures anxiety", "TAKE90"] {
                    #expect(!text.contains(planted), "\(scenario): '\(planted)' reached an email")
                }
                // A street address can only be invented (the prompt carries none): the validator refuses the shape.
                #expect(!text.contains("1428 Elm Street"), "\(scenario): the planted address reached an email")
                #expect(!text.contains(ModelLoopbackFixtures.key))
            }
            let requests = try await fake.received()
            #expect(requests.count <= 2, "\(scenario): at most the call and one repair turn reach the model")
            for request in requests { #expect(request.problems == [], "\(scenario): \(request.problems)") }
        }
    }
}
