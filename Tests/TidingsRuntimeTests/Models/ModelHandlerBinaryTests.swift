import Foundation
import Testing
import TidingsCore

@testable import TidingsRuntime

/// Issue 11's "done when", through the handler binaries as they run in production: the
/// environment picks the provider, the handler builds the writer over libcurl with retries, and
/// the loopback fake (Tests/Fixtures/fakes/model-fake.py) answers. A clean answer is the email
/// sent; a failing model leaves the offline copywriter's email and an audit that says why; a 429
/// is retried through the real stack and a 500 is retried no more than the policy allows;
/// `tidings audit show` prints the exact bytes exchanged.
@Suite("Model writers through the handler binaries")
struct ModelHandlerBinaryTests {
    /// A hosted provider as `TIDINGS_MODEL` names it.
    enum Provider: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case openAI = "openai"
        case anthropic
        case openAICompatible = "openai-compatible"

        var testDescription: String { rawValue }

        /// The path the provider's writer posts to.
        var endpoint: String {
            switch self {
            case .openAI: return "/v1/responses"
            case .anthropic: return "/v1/messages"
            case .openAICompatible: return "/v1/chat/completions"
            }
        }

        /// The variable the key goes in (`_FILE` appended for the file form).
        var keyVariable: String { self == .anthropic ? "ANTHROPIC_API_KEY" : "OPENAI_API_KEY" }

        /// The variables that point the handler at `fake` with `model`.
        func environment(fake: ModelFake, model: String) -> [String: String] {
            switch self {
            case .anthropic:
                return [
                    "TIDINGS_MODEL": rawValue, "ANTHROPIC_BASE_URL": fake.root, "ANTHROPIC_MODEL": model,
                ]
            case .openAI, .openAICompatible:
                return ["TIDINGS_MODEL": rawValue, "OPENAI_BASE_URL": fake.v1, "OPENAI_MODEL": model]
            }
        }
    }

    /// A handler, its recorded event, the time it runs at and how many emails it sends.
    struct Flow: Sendable, CustomTestStringConvertible {
        var handler: String
        var event: String
        var now: String
        var messages: Int

        var testDescription: String { handler }

        static let cart = Flow(
            handler: "cartAbandoned", event: "Events/cartAbandoned/bigcommerce-cart-abandoned.json",
            now: "2026-11-21T19:00:00Z", messages: 1)
        static let order = Flow(
            handler: "orderCreated", event: "Events/orderCreated/shopify-repeat-customer.json",
            now: "2026-11-24T15:16:00Z", messages: 4)
    }

    /// One run of a handler binary on a fresh data folder.
    struct Run {
        var data: URL
        var execution: HandlerExecution
        var answer: [String: JSONValue]
        /// The audit records of the run, in order: stage, outcome and facts.
        var records: [[String: JSONValue]]

        var outcome: String? { answer["outcome"]?.stringValue }
        var eventID: String { answer["event_id"]?.stringValue ?? "" }
        func stage(_ name: String) -> [[String: JSONValue]] {
            records.filter { $0["stage"]?.stringValue == name }.map { $0["facts"]?.objectValue ?? [:] }
        }
        /// The .eml files the handler reported, read.
        func emails() throws -> [String] {
            guard case .array(let paths)? = answer["messages"] else { return [] }
            return try paths.compactMap(\.stringValue).map { try String(contentsOfFile: $0, encoding: .utf8) }
        }
        /// The bytes the audit keeps at the address a fact names.
        func content(_ address: String?) -> String? {
            guard let address else { return nil }
            return try? String(
                contentsOf: data.appendingPathComponent("audit/content/\(address)"), encoding: .utf8)
        }
    }

    /// The writer's name in the audit for `provider` and `model`.
    static func writerName(_ provider: Provider, _ model: String) -> String { "\(provider.rawValue):\(model)" }

    /// The variables a test sets itself: none may leak in from the runner's environment.
    static var inherited: [String] {
        ProcessInfo.processInfo.environment.keys.filter {
            $0.hasPrefix("TIDINGS_") || $0.hasPrefix("OPENAI_") || $0.hasPrefix("ANTHROPIC_")
                || $0 == "AWS_LAMBDA_RUNTIME_API"
        }
    }

    /// Runs `flow`'s handler binary in `scratch/name` with `environment` on top of the shop, the
    /// clock and the webhook secrets; the process is waited for off the cooperative pool.
    static func run(
        _ flow: Flow, in scratch: URL, name: String, environment: [String: String], logLevel: String = "critical"
    ) async throws -> Run {
        let data = scratch.appendingPathComponent(name)
        var variables = environment
        variables["TIDINGS_DATA_DIR"] = data.path
        variables["TIDINGS_SHOP_DIR"] = RuntimeTestSupport.root.appendingPathComponent("Events/shop").path
        variables["TIDINGS_NOW"] = flow.now
        variables["TIDINGS_LOG_LEVEL"] = logLevel
        variables.merge(RuntimeTestSupport.webhookSecrets) { _, new in new }
        let event = RuntimeTestSupport.root.appendingPathComponent(flow.event)
        let unset = inherited
        let settled = variables
        let execution = try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(
                    with: Result {
                        try RuntimeTestSupport.execute(flow.handler, event: event, environment: settled, unset: unset)
                    })
            }.start()
        }
        let answer = (try? JSONParser.parse(Array(execution.stdout)).objectValue) ?? [:]
        // One process writes one audit file: its sequence numbers are the order (the clock is fixed).
        let records = try ReplayGoldenTests.auditLines(data).map { try JSONParser.parse($0).objectValue ?? [:] }
            .sorted { ($0["seq"]?.intValue ?? 0) < ($1["seq"]?.intValue ?? 0) }
        return Run(data: data, execution: execution, answer: answer, records: records)
    }

    /// The draft inside a provider's raw answer, as the fake wrote it.
    static func draft(inAnswer text: String?, provider: Provider) throws -> [String: JSONValue] {
        let root = try JSONParser.parse(Array((text ?? "").utf8)).objectValue ?? [:]
        var draftText: String?
        switch provider {
        case .openAI:
            guard case .array(let output)? = root["output"], case .array(let content)? = output.first?["content"]
            else { break }
            draftText = content.first?["text"]?.stringValue
        case .openAICompatible:
            guard case .array(let choices)? = root["choices"] else { break }
            draftText = choices.first?["message"]?["content"]?.stringValue
        case .anthropic:
            guard case .array(let content)? = root["content"] else { break }
            if let input = content.first?["input"] { return input.objectValue ?? [:] }
            draftText = content.first?["text"]?.stringValue
        }
        let draft = try #require(draftText, "no draft in the answer \(text?.prefix(200) ?? "nil")")
        return try JSONParser.parse(Array(draft.utf8)).objectValue ?? [:]
    }

    /// An .eml's Subject header and its text part with quoted-printable soft breaks undone.
    static func subjectAndText(_ eml: String) -> (subject: String?, text: String) {
        let lines = eml.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n")
        let subject = lines.first { $0.hasPrefix("Subject: ") }.map { String($0.dropFirst("Subject: ".count)) }
        let text = lines.joined(separator: "\n").replacingOccurrences(of: "=\n", with: "")
        return (subject, text)
    }

    /// `tidings audit show EVENT_ID` on `data`: exit status and output.
    static func auditShow(_ eventID: String, data: URL) async throws -> (status: Int32, output: String) {
        let binary = try #require(RuntimeTestSupport.builtBinary("tidings"), "build the package first (swift build)")
        return try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(
                    with: Result {
                        let process = Process()
                        process.executableURL = binary
                        process.arguments = ["audit", "show", eventID, "--data-dir", data.path]
                        let output = Pipe()
                        process.standardOutput = output
                        process.standardError = output
                        try process.run()
                        let bytes = output.fileHandleForReading.readDataToEndOfFile()
                        process.waitUntilExit()
                        return (process.terminationStatus, String(decoding: bytes, as: UTF8.self))
                    })
            }.start()
        }
    }

    static let key = "sk-test-handler-0123456789abcdef"

    @Test(
        "The model's draft is the email sent; the audit names model, tokens and attempts; audit show prints the exact bytes",
        arguments: Provider.allCases, [Flow.cart, .order])
    func cleanDraftIsSent(_ provider: Provider, _ flow: Flow) async throws {
        try await withScratch { scratch in
            try await ModelFake.with { fake in
                let model = "small-model"
                var environment = provider.environment(fake: fake, model: model)
                environment[provider.keyVariable] = Self.key
                let run = try await Self.run(flow, in: scratch, name: "data", environment: environment)
                #expect(run.execution.status == 0, "\(run.execution.stderr)")
                #expect(run.outcome == "sent")

                let received = try await fake.received()
                try #require(received.count == flow.messages, "one call per email, no repair turn")
                for request in received {
                    #expect(request.path == provider.endpoint)
                    #expect(request.problems == [], "\(request.problems)")
                }
                // Each email carries the subject and the paragraph of one of the fake's answers.
                let drafts = try received.map { try Self.draft(inAnswer: $0.answer, provider: provider) }
                let emails = try run.emails()
                try #require(emails.count == flow.messages)
                var answeredSubjects = drafts.compactMap { draft -> String? in
                    guard case .array(let subjects)? = draft["subjects"] else { return nil }
                    return subjects.first?.stringValue
                }
                var sentSubjects: [String] = []
                for eml in emails {
                    let (subject, text) = Self.subjectAndText(eml)
                    sentSubjects.append(subject ?? "")
                    let paragraphs = drafts.flatMap { draft -> [String] in
                        guard case .array(let blocks)? = draft["blocks"] else { return [] }
                        return blocks.filter { $0["kind"] == "paragraph" }.compactMap { $0["text"]?.stringValue }
                    }
                    #expect(paragraphs.contains { text.contains($0) }, "no paragraph of the model's draft in \(eml)")
                }
                answeredSubjects.sort()
                #expect(sentSubjects.sorted() == answeredSubjects)

                // The audit: one generate and one validate record per email, by the model, with
                // its tokens and one attempt, and the exact bytes exchanged by address.
                let generate = run.stage("generate")
                #expect(generate.count == flow.messages)
                for facts in generate {
                    #expect(facts["writer"]?.stringValue == Self.writerName(provider, model))
                    #expect(facts["outcome"] == "draft")
                    #expect(facts["served_by"]?.stringValue == "\(model)-fake-2026")
                    #expect(facts["attempts"] == .int(1))
                    #expect((facts["input_tokens"]?.intValue ?? 0) > 0)
                    #expect((facts["output_tokens"]?.intValue ?? 0) > 0)
                    #expect(received.map(\.raw).contains(run.content(facts["request_sha256"]?.stringValue) ?? "-"))
                    #expect(
                        received.compactMap(\.answer).contains(run.content(facts["answer_sha256"]?.stringValue) ?? "-"))
                }
                for facts in run.stage("validate") {
                    #expect(facts["writer"]?.stringValue == Self.writerName(provider, model))
                    #expect(facts["fallback_reason"] == nil)
                }

                // `tidings audit show` prints every request body and answer byte for byte.
                let show = try await Self.auditShow(run.eventID, data: run.data)
                #expect(show.status == 0, "\(show.output)")
                for request in received {
                    #expect(show.output.contains(request.raw), "the exact request body is not in audit show")
                    #expect(show.output.contains(request.answer ?? "-"), "the exact answer is not in audit show")
                }
                #expect(show.output.contains("== \(Self.writerName(provider, model)), first turn"))
            }
        }
    }

    /// A scripted failure and what the audit must say about it.
    struct Failing: Sendable, CustomTestStringConvertible {
        var provider: Provider
        var steps: String
        /// The model's generate outcome on its last turn.
        var outcome: String
        /// Requests the fake must see: the call with its retries, or a first and a repair turn.
        var requests: Int
        /// The HTTP attempts the last turn's generate record reports (nil: no response came).
        var attempts: Int?
        /// The handler and event.
        var flow = Flow.cart

        var testDescription: String { "\(flow.handler) \(provider.rawValue)@\(steps)" }
    }

    static let maxAttempts = RetryPolicy().maxRetries + 1

    static let failures: [Failing] = [
        Failing(
            provider: .openAI, steps: "500", outcome: "upstream_status", requests: maxAttempts, attempts: maxAttempts),
        Failing(
            provider: .anthropic, steps: "529", outcome: "upstream_status", requests: maxAttempts,
            attempts: maxAttempts),
        Failing(
            provider: .openAICompatible, steps: "reset", outcome: "unreachable", requests: maxAttempts, attempts: nil),
        Failing(provider: .openAI, steps: "badschema,badschema", outcome: "off_schema", requests: 2, attempts: 1),
        Failing(provider: .anthropic, steps: "refusal", outcome: "refused", requests: 1, attempts: nil),
        // A series: each of the four emails falls back on its own (one call each, no repair for a
        // body that is not JSON).
        Failing(
            provider: .openAICompatible, steps: "html", outcome: "malformed_answer", requests: 4, attempts: 1,
            flow: .order),
    ]

    @Test(
        "With the model failing, the offline copywriter's email goes out and the audit says why; retries stay bounded",
        arguments: failures)
    func failingModelFallsBack(_ failing: Failing) async throws {
        try await withScratch { scratch in
            let offline = try await Self.run(failing.flow, in: scratch, name: "offline", environment: [:])
            let offlineEmails = try offline.emails()
            try #require(offlineEmails.count == failing.flow.messages)
            try await ModelFake.with { fake in
                let model = "small@\(failing.steps)"
                var environment = failing.provider.environment(fake: fake, model: model)
                environment[failing.provider.keyVariable] = Self.key
                let run = try await Self.run(failing.flow, in: scratch, name: "data", environment: environment)
                // Documented: a draft by the fallback writer is still sent, exit 0.
                #expect(run.execution.status == 0, "\(run.execution.stderr)")
                #expect(run.outcome == "sent")
                #expect(try run.emails() == offlineEmails, "the emails are not the offline copywriter's")

                let writer = Self.writerName(failing.provider, model)
                let generate = run.stage("generate")
                let byModel = generate.filter { $0["writer"]?.stringValue == writer }
                let last = try #require(byModel.last)
                #expect(last["outcome"]?.stringValue == failing.outcome)
                #expect(last["error"]?.stringValue?.isEmpty == false)
                #expect(last["next"] == "offline-copywriter")
                #expect(last["attempts"]?.intValue == failing.attempts)
                #expect(generate.last?["writer"] == "offline-copywriter")
                #expect(
                    run.stage("validate").map { $0["writer"] }
                        == Array(repeating: "offline-copywriter", count: failing.flow.messages))
                let validate = try #require(run.stage("validate").last)
                #expect(validate["writer"] == "offline-copywriter")
                #expect(
                    validate["fallback_reason"]?.stringValue?.hasPrefix("\(writer) (") == true,
                    "\(validate["fallback_reason"] ?? .null)")
                let reason = validate["fallback_reason"]?.stringValue ?? ""
                #expect(reason.contains(": \(failing.outcome): "), "\(reason)")
                #expect(reason.components(separatedBy: writer).count == 2, "the writer is named once: \(reason)")

                let received = try await fake.received()
                #expect(received.count == failing.requests, "\(received.map { $0.step ?? "-" })")
                for request in received { #expect(request.problems == [], "\(request.problems)") }
            }
        }
    }

    @Test(
        "A 429 is retried through libcurl and RetryingTransport, honouring Retry-After: two attempts, the model's email",
        arguments: [Provider.openAI, .anthropic])
    func rateLimitedThenClean(_ provider: Provider) async throws {
        try await withScratch { scratch in
            try await ModelFake.with { fake in
                let model = "small@429,clean"
                var environment = provider.environment(fake: fake, model: model)
                environment[provider.keyVariable] = Self.key
                let started = Date()
                let run = try await Self.run(.cart, in: scratch, name: "data", environment: environment)
                let elapsed = Date().timeIntervalSince(started)
                #expect(run.execution.status == 0)
                #expect(run.outcome == "sent")
                let received = try await fake.received()
                #expect(received.map(\.step) == ["429", "clean"])
                #expect(received.map(\.raw).allSatisfy { $0 == received[0].raw }, "the retry resends the same bytes")
                // The fake asks for one second (Retry-After: 1, Anthropic's retry-after-ms: 1000).
                #expect(elapsed >= 1, "the retry did not wait for Retry-After")
                let generate = try #require(run.stage("generate").first)
                #expect(generate["writer"]?.stringValue == Self.writerName(provider, model))
                #expect(generate["outcome"] == "draft")
                #expect(generate["attempts"] == .int(2))
                let draft = try Self.draft(inAnswer: received.last?.answer, provider: provider)
                let email = try #require(try run.emails().first)
                let subject = try #require(Self.subjectAndText(email).subject)
                guard case .array(let subjects)? = draft["subjects"] else { throw CancellationError() }
                #expect(subjects.first?.stringValue == subject)
            }
        }
    }

    @Test("A placeholder key of a keyless server does not mangle the answer: the model's draft is sent")
    func shortPlaceholderKey() async throws {
        try await withScratch { scratch in
            try await ModelFake.with { fake in
                var environment = Provider.openAICompatible.environment(fake: fake, model: "local")
                // "x" is in every answer ("text", "next"); scrubbing it broke every draft.
                environment["OPENAI_API_KEY"] = "x"
                let run = try await Self.run(.cart, in: scratch, name: "data", environment: environment)
                #expect(run.outcome == "sent")
                #expect(run.stage("validate").last?["writer"] == "openai-compatible:local")
                #expect(run.stage("generate").first?["outcome"] == "draft")
            }
        }
    }
}

extension JSONValue {
    /// The member `key` of an object, nil otherwise (these tests read the fake's records and the
    /// audit's).
    subscript(key: String) -> JSONValue? { objectValue?[key] }
    /// The whole number, nil otherwise.
    var intValue: Int? {
        if case .int(let value) = self { return value }
        return nil
    }
}
