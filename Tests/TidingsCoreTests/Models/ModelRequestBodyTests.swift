import Foundation
import Testing

@testable import TidingsCore

/// The bodies the writers send: what is the same for every email first (system text, schema), the
/// event's context last, the cache hints in place, and the repair turn as two more messages.
@Suite("Model request bodies")
struct ModelRequestBodyTests {
    static let transport = ScriptedTransport(body: [])
    static let repair = DraftRequest.Repair(
        previousAnswer: #"{"subjects":["x"]}"#,
        problems: [
            "error schema at $.subjects: expected at least 3 items", "error banned_phrase at blocks[1].text: 'act now'",
        ])

    func members(_ value: JSONValue, _ key: String) -> JSONValue? { value.objectValue?[key] }

    func array(_ value: JSONValue?) -> [JSONValue] {
        if case .array(let elements)? = value { return elements }
        return []
    }

    @Test(
        "OpenAI Responses: instructions, then the user text; strict json_schema; cache key per template version; not stored"
    )
    func openAI() throws {
        let prompt = try ModelFixtures.prompt()
        let model = OpenAIResponsesModel(
            baseURL: "https://api.openai.com/v1/", model: "gpt-4.1-mini", key: Secret("k"), maxOutputTokens: 1500,
            transport: Self.transport)
        let body = model.body(for: DraftRequest(prompt: prompt))
        #expect(members(body, "model") == "gpt-4.1-mini")
        #expect(members(body, "instructions")?.stringValue == prompt.system)
        #expect(array(members(body, "input")) == [["role": "user", "content": .string(prompt.user)]])
        #expect(members(body, "prompt_cache_key") == "tidings:cart_abandoned@3")
        #expect(members(body, "store") == false)
        #expect(members(body, "max_output_tokens") == 1500)
        let format = try #require(members(body, "text").flatMap { members($0, "format") })
        #expect(members(format, "type") == "json_schema")
        #expect(members(format, "name") == "cart_abandoned_draft")
        #expect(members(format, "strict") == true)
        #expect(members(format, "schema") == StructuredOutputSchema.derive(PromptLibrary.draftSchema, for: .openAI))
        #expect(model.baseURL == "https://api.openai.com/v1")
        #expect(model.name == "openai:gpt-4.1-mini")

        let repaired = array(members(model.body(for: DraftRequest(prompt: prompt, repair: Self.repair)), "input"))
        #expect(repaired.count == 3)
        #expect(repaired[1] == ["role": "assistant", "content": .string(Self.repair.previousAnswer)])
        let quoted = try #require(repaired[2].objectValue?["content"]?.stringValue)
        #expect(repaired[2].objectValue?["role"] == "user")
        for problem in Self.repair.problems { #expect(quoted.contains("- " + problem)) }
    }

    @Test("One prompt gives the same bytes every time (sorted keys), so the audit stores it once")
    func stableBytes() throws {
        let prompt = try ModelFixtures.prompt()
        let model = AnthropicMessagesModel(model: "claude-haiku-4-5", key: Secret("k"), transport: Self.transport)
        let first = ModelCall.encode(model.body(for: DraftRequest(prompt: prompt)))
        #expect(first == ModelCall.encode(model.body(for: DraftRequest(prompt: prompt))))
        #expect(!String(decoding: first, as: UTF8.self).contains("\\/"))
    }

    @Test("Anthropic: one system block with cache_control ephemeral, the user text as the first message")
    func anthropic() throws {
        let prompt = try ModelFixtures.prompt()
        let model = AnthropicMessagesModel(
            model: "claude-haiku-4-5", key: Secret("k"), maxTokens: 1024, transport: Self.transport)
        let body = model.body(for: DraftRequest(prompt: prompt))
        #expect(
            members(body, "system")
                == [["type": "text", "text": .string(prompt.system), "cache_control": ["type": "ephemeral"]]])
        #expect(array(members(body, "messages")) == [["role": "user", "content": .string(prompt.user)]])
        #expect(members(body, "max_tokens") == 1024)
        let format = members(body, "output_config").flatMap { members($0, "format") }
        #expect(
            format == [
                "type": "json_schema",
                "schema": StructuredOutputSchema.derive(PromptLibrary.draftSchema, for: .anthropic),
            ])
        #expect(members(body, "tools") == nil && members(body, "tool_choice") == nil)

        let repaired = array(members(model.body(for: DraftRequest(prompt: prompt, repair: Self.repair)), "messages"))
        #expect(repaired.map { $0.objectValue?["role"] } == ["user", "assistant", "user"])
    }

    @Test("Anthropic tool mode: one forced tool whose input_schema is the schema, no output_config")
    func anthropicTool() throws {
        let prompt = try ModelFixtures.prompt()
        let model = AnthropicMessagesModel(
            model: "claude-3-5-haiku", key: Secret("k"), mode: .tool, transport: Self.transport)
        let body = model.body(for: DraftRequest(prompt: prompt))
        #expect(members(body, "output_config") == nil)
        let tools = array(members(body, "tools"))
        #expect(tools.count == 1)
        #expect(tools.first.flatMap { members($0, "name") } == "write_draft")
        #expect(
            tools.first.flatMap { members($0, "input_schema") }
                == StructuredOutputSchema.derive(PromptLibrary.draftSchema, for: .anthropic))
        #expect(members(body, "tool_choice") == ["type": "tool", "name": "write_draft"])
    }

    @Test("Chat Completions: system message first, user last, strict json_schema response_format")
    func chat() throws {
        let prompt = try ModelFixtures.prompt()
        let model = ChatCompletionsModel(
            baseURL: "http://localhost:8000/v1", model: "qwen2.5-7b", transport: Self.transport)
        let body = model.body(for: DraftRequest(prompt: prompt))
        #expect(
            array(members(body, "messages")) == [
                ["role": "system", "content": .string(prompt.system)],
                ["role": "user", "content": .string(prompt.user)],
            ])
        let format = try #require(members(body, "response_format"))
        #expect(members(format, "type") == "json_schema")
        let schema = try #require(members(format, "json_schema"))
        #expect(members(schema, "strict") == true && members(schema, "name") == "cart_abandoned_draft")
        let repaired = array(members(model.body(for: DraftRequest(prompt: prompt, repair: Self.repair)), "messages"))
        #expect(repaired.map { $0.objectValue?["role"] } == ["system", "user", "assistant", "user"])
    }
}
