import Crypto
import Foundation
import Testing
import TidingsCore
import TidingsDevKit

@testable import TidingsRuntime

/// A model's drafts through the real stages (outbox, JSONL audit, content folder): one repair turn,
/// then the offline copywriter; no planted violation reaches an .eml; a clean draft goes out as
/// written; the audit keeps the request, answer, draft and findings by content address, with the
/// tokens and their cost; a spent budget keeps the model from being called.
@Suite("Model turns, content and cost")
struct ModelTurnsTests {
    /// A model that answers its first turn and its repair turn from a script, reporting usage and
    /// the bodies of a (pretend) HTTP exchange, and counting its calls.
    final class TurnModel: LanguageModel, @unchecked Sendable {
        let name: String
        let first: @Sendable (Prompt) throws -> String
        let repaired: @Sendable (Prompt, DraftRequest.Repair) throws -> String
        let usage: TokenUsage
        private let lock = NSLock()
        private var requests: [DraftRequest] = []

        init(
            name: String = "openai:gpt-test-mini",
            usage: TokenUsage = TokenUsage(input: 1000, cachedInput: 500, output: 200),
            first: @escaping @Sendable (Prompt) throws -> String,
            repaired: @escaping @Sendable (Prompt, DraftRequest.Repair) throws -> String
        ) {
            self.name = name
            self.usage = usage
            self.first = first
            self.repaired = repaired
        }

        var seen: [DraftRequest] { lock.withLock { requests } }

        func respond(to request: DraftRequest) async throws -> ModelAnswer {
            lock.withLock { requests.append(request) }
            let text = try request.repair.map { try repaired(request.prompt, $0) } ?? first(request.prompt)
            let body =
                Array(#"{"model":"gpt-test-mini","input":"#.utf8) + Array(request.prompt.user.utf8) + Array("}".utf8)
            let response = Array(#"{"output_text":"#.utf8) + Array(text.utf8) + Array("}".utf8)
            return ModelAnswer(
                text: text, servedBy: "gpt-test-mini-2026-01-01", usage: usage,
                exchange: ModelExchange(request: body, response: response), attempts: 1)
        }
    }

    struct Outcome {
        var report: OutcomeReport
        var records: [AuditEntry]
        var emails: [String]
        var data: URL
        var content: URL { data.appendingPathComponent("audit/content") }
    }

    let event = RuntimeTestSupport.cartEvents.appendingPathComponent("shopify-first-time-buyer.json")
    let now = Timestamp.parse("2026-11-21T15:20:00Z")!

    /// Runs the first-time buyer's cart through the embedded stages on `data` with `model`,
    /// governed by `models` (prices, budgets); returns the report, the event's records (read back
    /// from the JSONL files) and the outbox's .eml texts.
    func run(
        _ model: any LanguageModel, data: URL, models: ModelGovernanceSettings = ModelTurnsTests.prices,
        event: URL? = nil, correlation: String = "test"
    ) async throws -> Outcome {
        var configuration = try RuntimeTestSupport.configuration(dataDirectory: data)
        configuration.models = models
        var stages = try FunctionEnvironment.embeddedStages(
            function: .cartAbandoned, configuration: configuration, clock: FixedClock(now))
        stages.model = FunctionEnvironment.governed(
            model, function: .cartAbandoned, configuration: configuration, clock: stages.clock)
        let pipeline = try Pipeline(flow: .cartAbandoned(configuration), configuration: configuration, stages: stages)
        let body = Array(try Data(contentsOf: event ?? self.event))
        let report = await pipeline.handle(
            InboundDelivery(body: body), correlationID: correlation, logger: RuntimeTestSupport.quietLogger)
        let story = try AuditStory.read(root: data.appendingPathComponent("audit"), eventID: report.eventID)
        let records = story.records.filter { $0.correlationID == correlation }.map {
            AuditEntry(
                time: now, eventID: report.eventID, correlationID: $0.correlationID, function: $0.function,
                stage: $0.stage, facts: $0.facts)
        }
        let outbox = data.appendingPathComponent("outbox")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: outbox.path)) ?? []
        let emails = try names.filter { $0.hasSuffix(".eml") }.sorted().map {
            try String(contentsOf: outbox.appendingPathComponent($0), encoding: .utf8)
        }
        return Outcome(report: report, records: records, emails: emails, data: data)
    }

    static let prices: ModelGovernanceSettings = {
        var settings = ModelGovernanceSettings()
        settings.prices["gpt-test-mini"] = .init(input: 0.40, cachedInput: 0.10, output: 1.60)
        return settings
    }()

    /// The copywriter's draft for the prompt, changed by `change`, as the model's JSON answer.
    static func answer(_ prompt: Prompt, _ change: (inout Draft) -> Void = { _ in }) throws -> String {
        var draft = OfflineCopywriter().write(prompt.context)
        change(&draft)
        return String(decoding: try JSONEncoder().encode(draft), as: UTF8.self)
    }

    /// A draft that is the model's own: its subjects and first block, not the copywriter's.
    static func clean(_ prompt: Prompt) throws -> String {
        try answer(prompt) { draft in
            draft.subjects = [
                "Maya, your jacket is still here", "Your Summit Softshell awaits", "Still deciding, Maya?",
            ]
            draft.blocks[0].text = "Hi Maya, a line the model wrote itself."
        }
    }

    func generates(_ outcome: Outcome) -> [AuditEntry] { outcome.records.filter { $0.stage == "generate" } }
    func finalValidate(_ outcome: Outcome) -> AuditEntry? { outcome.records.last { $0.stage == "validate" } }

    @Test("An answer that breaks the schema gets one repair turn, and the repaired draft is sent")
    func repairSucceeds() async throws {
        try await withScratch { data in
            let model = TurnModel(
                first: { _ in #"{"subjects":["only one"]}"# }, repaired: { prompt, _ in try Self.clean(prompt) })
            let outcome = try await run(model, data: data)
            #expect(outcome.report.outcome == .sent)
            #expect(outcome.report.subject == "Maya, your jacket is still here")
            let turns = generates(outcome)
            #expect(turns.map { $0.facts["turn"] } == ["first", "repair"])
            #expect(turns.map { $0.facts["writer"] } == ["openai:gpt-test-mini", "openai:gpt-test-mini"])
            #expect(turns.first?.facts["outcome"] == "off_schema")
            #expect(turns.first?.facts["next"] == "repair")
            #expect(turns.last?.facts["outcome"] == "draft")
            // The repair turn quoted the answer and the decoder's complaint back to the model.
            let repair = try #require(model.seen.last?.repair)
            #expect(repair.previousAnswer == #"{"subjects":["only one"]}"#)
            #expect(repair.problems.count == 1)
            #expect(repair.problems.first?.contains("$") == true, "\(repair.problems)")
            #expect(finalValidate(outcome)?.facts["writer"] == "openai:gpt-test-mini")
            #expect(finalValidate(outcome)?.facts["turn"] == "repair")
            #expect(finalValidate(outcome)?.facts["fallback_reason"]?.stringValue?.contains("off_schema") == true)
            #expect(outcome.emails.count == 1)
            #expect(outcome.emails.first?.contains("Subject: Maya, your jacket is still here") == true)
        }
    }

    @Test("A repair that fails too hands the draft to the offline copywriter, and the audit says why")
    func repairFails() async throws {
        try await withScratch { data in
            let model = TurnModel(first: { _ in "Sure! Here is your email: ..." }, repaired: { _, _ in "{not json" })
            let outcome = try await run(model, data: data)
            #expect(outcome.report.outcome == .sent)
            let turns = generates(outcome)
            #expect(
                turns.map { $0.facts["writer"] } == [
                    "openai:gpt-test-mini", "openai:gpt-test-mini", "offline-copywriter",
                ])
            #expect(turns.map { $0.facts["outcome"] } == ["not_json", "not_json", "draft"])
            #expect(turns[1].facts["next"] == "offline-copywriter")
            let chosen = try #require(finalValidate(outcome))
            #expect(chosen.facts["writer"] == "offline-copywriter")
            #expect(
                chosen.facts["fallback_reason"]?.stringValue?.hasPrefix("openai:gpt-test-mini (repair turn): not_json")
                    == true)
            #expect(outcome.emails.count == 1)
        }
    }

    @Test(
        "A planted violation never reaches an email, on either turn",
        arguments: [
            ("link", "https://evil.example/cart"),
            ("medical", "Clinically proven to cure back pain: pain relief for every hike."),
            ("address", "We will ship it to 42 Harbour View Road again."), ("code", "Use SAVE90 for 90% off today."),
        ])
    func plantedViolation(kind: String, planted: String) async throws {
        try await withScratch { data in
            let plant: @Sendable (Prompt) throws -> String = { prompt in
                try Self.answer(prompt) { draft in
                    switch kind {
                    case "link": draft.callToAction.url = planted
                    case "code":
                        draft.blocks[0].text = planted
                        draft.offer = DraftOffer(kind: .percentOff, percent: 90, code: "SAVE90")
                    default: draft.blocks[0].text = planted
                    }
                }
            }
            let model = TurnModel(first: plant, repaired: { prompt, _ in try plant(prompt) })
            let outcome = try await run(model, data: data)
            #expect(outcome.report.outcome == .sent)
            let decisions = outcome.records.filter { $0.stage == "validate" }.map { $0.facts["decision"] }
            #expect(decisions == ["reject", "reject", "send"], "\(kind)")
            #expect(finalValidate(outcome)?.facts["writer"] == "offline-copywriter")
            let email = try #require(outcome.emails.first)
            let needle = kind == "code" ? "SAVE90" : kind == "link" ? "evil.example" : String(planted.prefix(18))
            #expect(!email.contains(needle), "\(kind) reached the email")
            // Nothing is left in the review folder either.
            let review = data.appendingPathComponent("review")
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: review.path)) ?? []).isEmpty)
        }
    }

    @Test("A clean model draft is used as written: its subject and body are the .eml's")
    func cleanDraftAsWritten() async throws {
        try await withScratch { data in
            let model = TurnModel(
                first: { try Self.clean($0) },
                repaired: { _, _ in
                    Issue.record("no repair expected"); return ""
                })
            let outcome = try await run(model, data: data)
            #expect(outcome.report.outcome == .sent)
            #expect(generates(outcome).count == 1)
            #expect(model.seen.count == 1)
            let email = try #require(outcome.emails.first)
            #expect(email.contains("Subject: Maya, your jacket is still here\r\n"))
            #expect(email.contains("a line the model wrote itself."))
            #expect(finalValidate(outcome)?.facts["fallback_reason"] == nil)
        }
    }

    @Test("Request, answer, draft and findings are stored under their hashes and referenced from the records")
    func contentIsStored() async throws {
        try await withScratch { data in
            let model = TurnModel(first: { try Self.clean($0) }, repaired: { _, _ in "" })
            let outcome = try await run(model, data: data)
            let generate = try #require(generates(outcome).first)
            var referenced: [String] = []
            for record in outcome.records {
                for reference in ContentReference.allCases {
                    if let address = record.facts[reference.rawValue]?.stringValue { referenced.append(address) }
                }
            }
            #expect(referenced.count == 4)
            for address in referenced {
                let bytes = try Data(contentsOf: outcome.content.appendingPathComponent(address))
                #expect(Hex.encode(SHA256.hash(data: bytes)) == address)
            }
            // The request is the exchange's body as sent, the answer the body received.
            let request = try #require(generate.facts["request_sha256"]?.stringValue)
            let sent = try String(contentsOf: outcome.content.appendingPathComponent(request), encoding: .utf8)
            #expect(sent.hasPrefix(#"{"model":"gpt-test-mini","input":"#))
            // The render record carries the hash of the .eml exactly as the outbox holds it.
            let render = try #require(outcome.records.first { $0.stage == "render" })
            let outbox = data.appendingPathComponent("outbox")
            let file = try #require(
                try FileManager.default.contentsOfDirectory(atPath: outbox.path).first { $0.hasSuffix(".eml") })
            let eml = try Data(contentsOf: outbox.appendingPathComponent(file))
            #expect(render.facts["email_sha256"]?.stringValue == Hex.encode(SHA256.hash(data: eml)))
            // Nothing else is in the folder (temporary files are gone).
            let files = try FileManager.default.contentsOfDirectory(atPath: outcome.content.path).filter {
                !$0.hasPrefix(".")
            }
            #expect(Set(files) == Set(referenced))
        }
    }

    @Test("The offline copywriter's prompt is kept as canonical JSON of system, user and schema")
    func offlinePromptKept() async throws {
        try await withScratch { data in
            let outcome = try await run(OfflineCopywriter(), data: data)
            let generate = try #require(generates(outcome).first)
            #expect(generate.facts["input_tokens"] == nil)
            let address = try #require(generate.facts["request_sha256"]?.stringValue)
            let document = try JSONParser.parse(
                Array(try Data(contentsOf: outcome.content.appendingPathComponent(address))))
            let object = try #require(document.objectValue)
            #expect(Set(object.keys) == ["prompt", "schema", "system", "user"])
            #expect(object["user"]?.stringValue?.contains("Maya") == true)
        }
    }

    @Test("Tokens and cost come from the price table; an unknown model is noted, never a crash")
    func costFromPriceTable() async throws {
        try await withScratch { data in
            let model = TurnModel(
                usage: TokenUsage(input: 1_000_000, cachedInput: 2_000_000, output: 500_000),
                first: { try Self.clean($0) }, repaired: { _, _ in "" })
            let outcome = try await run(model, data: data)
            let generate = try #require(generates(outcome).first)
            // 1M x 0.40 + 2M x 0.10 + 0.5M x 1.60 = 0.40 + 0.20 + 0.80.
            #expect(generate.facts["cost_usd"] == "1.4")
            #expect(generate.facts["priced_as"] == "gpt-test-mini")
            #expect(generate.facts["input_tokens"] == 1_000_000)
            #expect(generate.facts["cached_input_tokens"] == 2_000_000)
            #expect(generate.facts["output_tokens"] == 500_000)
        }
        try await withScratch { data in
            let model = TurnModel(name: "other:unpriced", first: { try Self.clean($0) }, repaired: { _, _ in "" })
            let outcome = try await run(model, data: data, models: ModelGovernanceSettings())
            #expect(outcome.report.outcome == .sent)
            let generate = try #require(generates(outcome).first)
            #expect(generate.facts["cost_usd"] == nil)
            #expect(generate.facts["price_unknown"] == "gpt-test-mini-2026-01-01")
        }
    }

    @Test("Past the flow's daily budget the model is not called: the copywriter writes and the audit says why")
    func overBudget() async throws {
        var models = Self.prices
        models.budgets[.cartAbandoned] = .init(daily: Decimal(string: "1.0"), monthly: Decimal(string: "50"))
        // A call's cost lands in its generate record, and the ledger counts it from the audit.
        try await withScratch { data in
            let model = TurnModel(
                usage: TokenUsage(input: 1_000_000, output: 500_000),  // 0.40 + 0.80 = 1.20 USD
                first: { try Self.clean($0) }, repaired: { _, _ in "" })
            let first = try await run(model, data: data, models: models)
            #expect(generates(first).first?.facts["cost_usd"] == "1.2")
            #expect(model.seen.count == 1)
            let spent = try SpendLedger(root: data.appendingPathComponent("audit")).spent(
                function: "cartAbandoned", at: now)
            #expect(spent.day == Decimal(string: "1.2"))
            #expect(spent.month == Decimal(string: "1.2"))
        }
        // Two other processes spent the day's budget on this data folder: the model is not called.
        try await withScratch { data in
            for writer in ["cartAbandoned-a", "cartAbandoned-b"] {
                let other = JSONLAuditLog(root: data.appendingPathComponent("audit"), writerID: writer)
                try other.append(
                    AuditEntry(
                        time: now, eventID: "other-\(writer)", correlationID: writer, function: "cartAbandoned",
                        stage: "generate", facts: ["writer": "openai:gpt-test-mini", "cost_usd": "0.6"]))
                try other.append(
                    AuditEntry(
                        time: now, eventID: "other-\(writer)", correlationID: writer, function: "cartAbandoned",
                        stage: "outcome", outcome: .sent))
            }
            // Another flow's spend does not count against this one.
            let winBack = JSONLAuditLog(root: data.appendingPathComponent("audit"), writerID: "winBack-a")
            try winBack.append(
                AuditEntry(
                    time: now, eventID: "w", correlationID: "w", function: "winBack", stage: "generate",
                    facts: ["cost_usd": "5"]))
            let model = TurnModel(first: { try Self.clean($0) }, repaired: { _, _ in "" })
            let outcome = try await run(model, data: data, models: models)
            #expect(model.seen.isEmpty, "the model was called past its budget")
            #expect(outcome.report.outcome == .sent)
            let turns = generates(outcome)
            #expect(turns.first?.facts["outcome"] == "over_budget")
            #expect(turns.first?.facts["error"]?.stringValue?.contains("daily budget is 1 USD") == true)
            #expect(turns.last?.facts["writer"] == "offline-copywriter")
            #expect(finalValidate(outcome)?.facts["fallback_reason"]?.stringValue?.contains("over_budget") == true)
        }
    }

    @Test("The folder store writes each content once, under its SHA-256, and reads it back")
    func folderStoreWritesOnce() throws {
        try withScratchSync { scratch in
            let store = FolderContentStore(directory: scratch.appendingPathComponent("content"))
            let bytes = Array("the same findings".utf8)
            let first = try store.put(bytes)
            #expect(first == Hex.encode(SHA256.hash(data: bytes)))
            let file = store.directory.appendingPathComponent(first)
            let written = try FileManager.default.attributesOfItem(atPath: file.path)[.modificationDate] as? Date
            #expect(try store.put(bytes) == first)
            #expect(try FileManager.default.contentsOfDirectory(atPath: store.directory.path) == [first])
            let again = try FileManager.default.attributesOfItem(atPath: file.path)[.modificationDate] as? Date
            #expect(written == again, "an existing content file was rewritten")
            #expect(try store.get(first) == bytes)
            #expect(try store.get(String(repeating: "0", count: 64)) == nil)
            #expect(try store.get("../escape") == nil)
        }
    }
}
