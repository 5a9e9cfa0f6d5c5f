import Foundation
import Testing

@testable import TidingsCore

/// `TIDINGS_MODEL` and the provider variables: defaults, and a clear error naming the variable.
@Suite("Model settings")
struct ModelSettingsTests {
    func error(_ environment: [String: String]) -> ConfigurationError? {
        do {
            _ = try ModelSettings.load(environment: environment)
            return nil
        } catch {
            return error
        }
    }

    @Test("Unset is the offline copywriter")
    func offline() throws {
        let settings = try ModelSettings.load(environment: [:])
        #expect(settings.provider == .offline)
        #expect(settings.makeModel(transport: ScriptedTransport(body: [])).name == "offline-copywriter")
    }

    @Test("OpenAI: defaults, organization and project, the key never printed")
    func openAI() throws {
        let settings = try ModelSettings.load(environment: [
            "TIDINGS_MODEL": "openai", "OPENAI_API_KEY": ModelFixtures.key, "OPENAI_MODEL": "gpt-4.1-mini",
            "OPENAI_ORG_ID": "org-1", "OPENAI_PROJECT_ID": "proj_1",
        ])
        #expect(settings.baseURL == "https://api.openai.com/v1")
        #expect(settings.maxOutputTokens == 2048)
        #expect(!"\(settings)".contains(ModelFixtures.key))
        #expect(!String(reflecting: settings).contains(ModelFixtures.key))
        let model = try #require(settings.makeModel(transport: ScriptedTransport(body: [])) as? OpenAIResponsesModel)
        #expect(model.name == "openai:gpt-4.1-mini")
        #expect(model.organization == "org-1" && model.project == "proj_1")
    }

    @Test("Anthropic: base URL, key from a file, tool mode and the token limit")
    func anthropic() throws {
        try withTemporaryDirectorySync { folder in
            let file = folder.appendingPathComponent("key")
            try Data((ModelFixtures.key + "\n").utf8).write(to: file)
            let settings = try ModelSettings.load(environment: [
                "TIDINGS_MODEL": "anthropic", "ANTHROPIC_API_KEY_FILE": file.path,
                "ANTHROPIC_MODEL": "claude-haiku-4-5",
                "ANTHROPIC_BASE_URL": "http://127.0.0.1:9/", "ANTHROPIC_STRUCTURED_OUTPUT": "tool",
                "TIDINGS_MODEL_MAX_OUTPUT_TOKENS": "1200",
            ])
            let model = try #require(
                settings.makeModel(transport: ScriptedTransport(body: [])) as? AnthropicMessagesModel)
            #expect(model.baseURL == "http://127.0.0.1:9")
            #expect(model.key.bytes == Array(ModelFixtures.key.utf8))
            #expect(model.mode == .tool && model.maxTokens == 1200)
            #expect(model.name == "anthropic:claude-haiku-4-5")
        }
    }

    @Test("OpenAI-compatible: needs a base URL and a model, not a key")
    func compatible() throws {
        let settings = try ModelSettings.load(environment: [
            "TIDINGS_MODEL": "openai-compatible", "OPENAI_BASE_URL": "http://localhost:11434/v1",
            "OPENAI_MODEL": "qwen2.5",
        ])
        let model = try #require(settings.makeModel(transport: ScriptedTransport(body: [])) as? ChatCompletionsModel)
        #expect(model.key == nil && model.name == "openai-compatible:qwen2.5")
        #expect(error(["TIDINGS_MODEL": "openai-compatible", "OPENAI_MODEL": "m"])?.key == "OPENAI_BASE_URL")
    }

    @Test(
        "Bad settings name their variable",
        arguments: [
            (["TIDINGS_MODEL": "gpt"], "TIDINGS_MODEL"),
            (["TIDINGS_MODEL": "openai", "OPENAI_MODEL": "m"], "OPENAI_API_KEY"),
            (["TIDINGS_MODEL": "openai", "OPENAI_API_KEY": "k"], "OPENAI_MODEL"),
            (["TIDINGS_MODEL": "anthropic", "ANTHROPIC_API_KEY": "k"], "ANTHROPIC_MODEL"),
            (["TIDINGS_MODEL": "anthropic", "ANTHROPIC_MODEL": "m"], "ANTHROPIC_API_KEY"),
            (
                ["TIDINGS_MODEL": "anthropic", "ANTHROPIC_MODEL": "m", "ANTHROPIC_API_KEY_FILE": "/nonexistent/key"],
                "ANTHROPIC_API_KEY_FILE"
            ),
            (
                [
                    "TIDINGS_MODEL": "openai", "OPENAI_API_KEY": "k", "OPENAI_MODEL": "m",
                    "OPENAI_BASE_URL": "ftp://h/v1",
                ], "OPENAI_BASE_URL"
            ),
            (
                [
                    "TIDINGS_MODEL": "openai", "OPENAI_API_KEY": "k", "OPENAI_MODEL": "m",
                    "OPENAI_BASE_URL": "https://u:pw@h/v1",
                ], "OPENAI_BASE_URL"
            ),
            (
                [
                    "TIDINGS_MODEL": "anthropic", "ANTHROPIC_API_KEY": "k", "ANTHROPIC_MODEL": "m",
                    "ANTHROPIC_BASE_URL": "api.anthropic.com",
                ], "ANTHROPIC_BASE_URL"
            ),
            (
                [
                    "TIDINGS_MODEL": "anthropic", "ANTHROPIC_API_KEY": "k", "ANTHROPIC_MODEL": "m",
                    "ANTHROPIC_STRUCTURED_OUTPUT": "json",
                ], "ANTHROPIC_STRUCTURED_OUTPUT"
            ),
            (["TIDINGS_MODEL_MAX_OUTPUT_TOKENS": "12"], "TIDINGS_MODEL_MAX_OUTPUT_TOKENS"),
        ])
    func badSettings(environment: [String: String], key: String) {
        let failure = error(environment)
        #expect(failure?.key == key)
        #expect(failure.map { !$0.description.contains("pw@") } ?? true, "a URL with credentials is not echoed")
    }
}
