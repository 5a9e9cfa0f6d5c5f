import Foundation
import Testing

@testable import TidingsCore
@testable import TidingsRuntime

/// The three writers over HTTP against the independent loopback fake, which validates every
/// request body against OpenAI's OpenAPI schemas and Anthropic's recorded request shapes: the
/// requests pass and carry the cache hints, and every answer and fault the fake can script lands
/// on the right `ModelAnswer` or `ModelError` code, never with the key in it.
@Suite("Model writers against the loopback fake")
struct ModelWriterLoopbackTests {
    enum Writer: String, CaseIterable, CustomStringConvertible {
        case openAI, anthropic, anthropicTool, chat
        var description: String { rawValue }
    }

    static let key = Secret(ModelLoopbackFixtures.key)

    func writer(_ kind: Writer, model: String, fake: ModelFake, maxTokens: Int = 2048) -> any LanguageModel {
        switch kind {
        case .openAI:
            return OpenAIResponsesModel(
                baseURL: fake.v1, model: model, key: Self.key, organization: "org-test", project: "proj-test",
                maxOutputTokens: maxTokens, transport: fake.transport)
        case .anthropic, .anthropicTool:
            return AnthropicMessagesModel(
                baseURL: fake.root, model: model, key: Self.key, maxTokens: maxTokens,
                mode: kind == .anthropicTool ? .tool : .outputFormat, transport: fake.transport)
        case .chat:
            return ChatCompletionsModel(
                baseURL: fake.v1, model: model, maxOutputTokens: maxTokens, transport: fake.transport)
        }
    }

    func leaks(_ text: String) -> Bool { text.contains(ModelLoopbackFixtures.key) }

    @Test(
        "A clean request and its repair turn pass the fake's validation; the draft decodes", arguments: Writer.allCases)
    func clean(_ kind: Writer) async throws {
        let prompt = try ModelLoopbackFixtures.prompt()
        try await ModelFake.with { fake in
            let model = writer(kind, model: "tiny", fake: fake)
            let answer = try await model.respond(to: DraftRequest(prompt: prompt))
            let draft = try DraftDecoder.decode(answer.text)
            #expect(draft.callToAction.url == PromptContext.checkoutPlaceholder)
            #expect(draft.blocks.contains { $0.productID == "boot" })
            #expect(draft.offer?.code == "SHIPFREE")
            #expect(answer.servedBy == "tiny-fake-2026")
            #expect(answer.attempts == 1)
            let usage = try #require(answer.usage)
            #expect(usage.input > 0 && usage.output > 0)
            #expect(!leaks(String(decoding: answer.exchange?.request ?? [], as: UTF8.self)))

            let repair = DraftRequest.Repair(
                previousAnswer: "{\"subjects\":", problems: ["error malformed_json at $: cut short"])
            _ = try await model.respond(to: DraftRequest(prompt: prompt, repair: repair))

            let received = try await fake.received()
            try #require(received.count == 2)
            for request in received { #expect(request.problems == [], "\(kind): \(request.problems)") }
            // The exact bytes sent are the bytes the audit keeps.
            #expect(received[0].body == (try JSONParser.parse(answer.exchange?.request ?? [])))
            let body = received[0].body.objectValue ?? [:]
            switch kind {
            case .openAI:
                #expect(received[0].path == "/v1/responses")
                #expect(received[0].headers["authorization"] == "Bearer \(ModelLoopbackFixtures.key)")
                #expect(received[0].headers["openai-organization"] == "org-test")
                #expect(received[0].headers["openai-project"] == "proj-test")
                #expect(body["prompt_cache_key"] == "tidings:cart_abandoned@3")
                #expect(body["instructions"]?.stringValue == prompt.system)
            case .anthropic, .anthropicTool:
                #expect(received[0].path == "/v1/messages")
                #expect(received[0].headers["x-api-key"] == ModelLoopbackFixtures.key)
                #expect(received[0].headers["anthropic-version"] == "2023-06-01")
                #expect(
                    body["system"] == [
                        ["type": "text", "text": .string(prompt.system), "cache_control": ["type": "ephemeral"]]
                    ])
                #expect((body["tool_choice"] != nil) == (kind == .anthropicTool))
            case .chat:
                #expect(received[0].path == "/v1/chat/completions")
                #expect(received[0].headers["authorization"] == nil)
                guard case .array(let messages)? = body["messages"] else { throw CancellationError() }
                #expect(messages.first?.objectValue?["role"] == "system")
            }
            guard case .array(let turns)? = received[1].body.objectValue?[kind == .openAI ? "input" : "messages"] else {
                throw CancellationError()
            }
            let last = try #require(turns.last?.objectValue?["content"]?.stringValue)
            #expect(last.contains("- error malformed_json at $: cut short"))
        }
    }

    /// What each scripted fault must become.
    static let faults: [(step: String, code: ModelError.Code, retryable: Bool)] = [
        ("429", .upstreamStatus, true), ("500", .upstreamStatus, true), ("503", .upstreamStatus, true),
        ("529", .upstreamStatus, true), ("401", .unauthorized, false), ("reset", .unreachable, true),
        ("truncated", .malformedAnswer, false), ("html", .malformedAnswer, false), ("refusal", .refused, false),
        ("incomplete", .incomplete, false),
    ]

    @Test(
        "Every scripted fault maps to its code, keeps the answer for the audit and never shows the key",
        arguments: Writer.allCases)
    func faults(_ kind: Writer) async throws {
        let prompt = try ModelLoopbackFixtures.prompt()
        var cases = Self.faults
        if kind == .openAI { cases += [("filtered", .incomplete, false), ("failed", .upstreamStatus, true)] }
        if kind == .chat { cases += [("filtered", .incomplete, false)] }
        try await ModelFake.with { fake in
            for (step, code, retryable) in cases {
                let model = writer(kind, model: "m-\(step)@\(step)", fake: fake)
                do {
                    let answer = try await model.respond(to: DraftRequest(prompt: prompt))
                    Issue.record("\(kind) \(step): answered \(answer.text.prefix(60))")
                } catch let error as ModelError {
                    #expect(error.code == code, "\(kind) \(step): \(error)")
                    #expect(error.isRetryable == retryable, "\(kind) \(step): \(error)")
                    #expect(error.model == model.name)
                    #expect(!leaks(error.description), "\(kind) \(step) leaks the key: \(error)")
                    if let exchange = error.exchange {
                        #expect(!leaks(String(decoding: exchange.request + exchange.response, as: UTF8.self)))
                    }
                    #expect((error.exchange != nil) == (step != "reset"), "\(kind) \(step)")
                    if step == "incomplete" {
                        #expect(error.usage?.output ?? 0 > 0, "\(kind): an incomplete answer is billed")
                    }
                }
            }
            for request in try await fake.received() { #expect(request.problems == [], "\(kind): \(request.problems)") }
        }
    }

    @Test(
        "Drafts that are not JSON or break the schema reach the decoder and fail there; planted violations decode",
        arguments: Writer.allCases)
    func badDrafts(_ kind: Writer) async throws {
        let prompt = try ModelLoopbackFixtures.prompt()
        try await ModelFake.with { fake in
            func text(_ step: String) async throws -> String {
                try await writer(kind, model: "m@\(step)", fake: fake).respond(to: DraftRequest(prompt: prompt)).text
            }
            // A forced tool call cannot answer prose: its input is JSON by construction.
            if kind != .anthropicTool {
                let notJSON = try await text("notjson")
                #expect(throws: InputError.self) { try DraftDecoder.decode(notJSON) }
            }
            let broken = try await text("badschema")
            #expect(throws: InputError.self) { try DraftDecoder.decode(broken) }
            // The planted violations are schema-valid: catching them is the validator's job.
            #expect(try DraftDecoder.decode(try await text("plant-link")).callToAction.url.contains("example.net"))
            #expect(
                try DraftDecoder.decode(try await text("plant-medical")).blocks.contains { $0.text.contains("cures") })
            #expect(
                try DraftDecoder.decode(try await text("plant-address")).blocks.contains {
                    $0.text.contains("Elm Street")
                })
            #expect(try DraftDecoder.decode(try await text("plant-code")).offer?.percent == 90)
        }
    }

    @Test(
        "A long shared prefix is reported as cached on the second call", arguments: [Writer.openAI, .anthropic, .chat])
    func promptCache(_ kind: Writer) async throws {
        var prompt = try ModelLoopbackFixtures.prompt()
        prompt.system = String(repeating: prompt.system + "\n", count: 6)
        try await ModelFake.with { fake in
            let model = writer(kind, model: "cache", fake: fake)
            let first = try #require(try await model.respond(to: DraftRequest(prompt: prompt)).usage)
            let second = try #require(try await model.respond(to: DraftRequest(prompt: prompt)).usage)
            #expect(first.cachedInput == 0)
            #expect(second.cachedInput > 1000)
            if kind == .anthropic {
                // Anthropic's input_tokens never include cache reads or writes.
                #expect(first.cacheWrite == second.cachedInput)
                #expect(second.input == first.input)
            } else {
                #expect(second.input < first.input, "cached tokens are not billed at the full rate")
            }
        }
    }

    @Test("A request the fake finds invalid fails loudly with the validator's message")
    func invalidRequest() async throws {
        let prompt = try ModelLoopbackFixtures.prompt()
        try await ModelFake.with { fake in
            let model = writer(.anthropic, model: "m", fake: fake, maxTokens: 0)
            let error = await #expect(throws: ModelError.self) {
                try await model.respond(to: DraftRequest(prompt: prompt))
            }
            #expect(error?.code == .upstreamStatus)
            #expect(error?.reason.contains("max_tokens: must be at least 1") == true)
            let received = try await fake.received()
            #expect(received.first?.problems.isEmpty == false)
        }
    }

    @Test("Calls run concurrently: eight slow answers are in flight at the fake together")
    func concurrent() async throws {
        let prompt = try ModelLoopbackFixtures.prompt()
        try await ModelFake.with { fake in
            let model = writer(.openAI, model: "slow@slow1500", fake: fake)
            try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<8 { group.addTask { try await model.respond(to: DraftRequest(prompt: prompt)).text } }
                for try await text in group { _ = try DraftDecoder.decode(text) }
            }
            // In flight together, not one after another (wall time is no measure on a loaded
            // two-core machine; the fake counts overlapping requests instead).
            #expect(try await fake.maxInFlight() >= 4)
        }
    }

    @Test("Without jsonschema the fake's failure says how to install it")
    func missingJSONSchema() throws {
        // -S leaves site-packages off the path, as an interpreter without the package would be.
        let process = ModelFake.python(["-S", ModelFake.script.path])
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus != 0)
        let message = try #require(ModelFake.missingModule(stderr), "\(stderr.suffix(300))")
        #expect(message.contains("python3 -m pip install jsonschema"))
        #expect(message.contains("apt-get install python3-jsonschema"))
    }

    @Test("The fake's validator accepts the recorded Anthropic requests and refuses broken copies")
    func fakeSelfCheck() throws {
        let process = ModelFake.python([ModelFake.script.path, "--self-check"])
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }
}
