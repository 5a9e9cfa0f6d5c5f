import Foundation

/// Which writer drafts the email and how to reach it, read once from the environment at start.
/// `TIDINGS_MODEL` picks the provider (`offline`, the default, needs nothing); each hosted provider
/// needs its key and model, and takes an optional base URL. Keys come from the variable or its
/// `_FILE` form and are never printed.
package struct ModelSettings: Sendable {
    /// The writer behind `TIDINGS_MODEL`.
    package enum Provider: String, Sendable, CaseIterable {
        /// The offline copywriter (no network).
        case offline
        /// OpenAI's Responses API.
        case openAI = "openai"
        /// Anthropic's Messages API.
        case anthropic
        /// Any server speaking OpenAI's Chat Completions (Ollama, vLLM, llama.cpp, LM Studio).
        case openAICompatible = "openai-compatible"
    }

    /// The chosen provider.
    package var provider: Provider = .offline
    /// The provider's base URL (`OPENAI_BASE_URL`, default `https://api.openai.com/v1`;
    /// `ANTHROPIC_BASE_URL`, default `https://api.anthropic.com`); empty for offline.
    package var baseURL: String = ""
    /// The model id (`OPENAI_MODEL` or `ANTHROPIC_MODEL`); empty for offline.
    package var model: String = ""
    /// The API key (`OPENAI_API_KEY`/`ANTHROPIC_API_KEY` or their `_FILE` forms); nil for offline
    /// and for a keyless OpenAI-compatible server.
    package var key: Secret?
    /// `OPENAI_ORG_ID`, sent as `OpenAI-Organization` (OpenAI only).
    package var organization: String?
    /// `OPENAI_PROJECT_ID`, sent as `OpenAI-Project` (OpenAI only).
    package var project: String?
    /// The longest answer paid for, in tokens (`TIDINGS_MODEL_MAX_OUTPUT_TOKENS`, default 2048,
    /// 256 to 32768): a draft is some 400 to 800 tokens.
    package var maxOutputTokens: Int = 2048
    /// How Anthropic is made to follow the schema (`ANTHROPIC_STRUCTURED_OUTPUT` = `output_format`,
    /// the default, or `tool` for models without structured outputs).
    package var anthropicMode: AnthropicMessagesModel.StructuredMode = .outputFormat

    /// The offline copywriter.
    package init() {}

    /// Reads the settings. Throws `ConfigurationError` naming the variable: an unknown
    /// `TIDINGS_MODEL`, a missing key or model for the chosen provider, a base URL that is not
    /// http(s), a bad token limit or structured-output mode, an unreadable key file.
    package static func load(environment: [String: String]) throws(ConfigurationError) -> ModelSettings {
        func value(_ name: String) -> String? {
            guard let text = environment[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
                return nil
            }
            return text
        }
        var settings = ModelSettings()
        if let text = value("TIDINGS_MODEL") {
            guard let provider = Provider(rawValue: text.lowercased()) else {
                throw ConfigurationError(
                    key: "TIDINGS_MODEL",
                    reason: "'\(text.prefix(40))' is not one of "
                        + Provider.allCases.map(\.rawValue).joined(separator: ", "))
            }
            settings.provider = provider
        }
        if let text = value("TIDINGS_MODEL_MAX_OUTPUT_TOKENS") {
            guard let count = Int(text), (256...32_768).contains(count) else {
                throw ConfigurationError(
                    key: "TIDINGS_MODEL_MAX_OUTPUT_TOKENS",
                    reason: "'\(text.prefix(20))' is not a whole number from 256 to 32768")
            }
            settings.maxOutputTokens = count
        }

        func baseURL(_ name: String, default fallback: String) throws(ConfigurationError) -> String {
            guard let text = value(name) else { return fallback }
            return try Configuration.baseURL(text, key: name, example: "https://host/v1")
        }
        func required(_ name: String) throws(ConfigurationError) -> String {
            guard let text = value(name) else {
                throw ConfigurationError(key: name, reason: "required when TIDINGS_MODEL=\(settings.provider.rawValue)")
            }
            return text
        }
        func requiredSecret(_ name: String) throws(ConfigurationError) -> Secret {
            guard let secret = try Configuration.readSecret(name, environment: environment) else {
                throw ConfigurationError(
                    key: name, reason: "required when TIDINGS_MODEL=\(settings.provider.rawValue) (or \(name)_FILE)")
            }
            return secret
        }

        switch settings.provider {
        case .offline:
            break
        case .openAI:
            settings.baseURL = try baseURL("OPENAI_BASE_URL", default: "https://api.openai.com/v1")
            settings.key = try requiredSecret("OPENAI_API_KEY")
            settings.model = try required("OPENAI_MODEL")
            settings.organization = value("OPENAI_ORG_ID")
            settings.project = value("OPENAI_PROJECT_ID")
        case .openAICompatible:
            guard value("OPENAI_BASE_URL") != nil else {
                throw ConfigurationError(
                    key: "OPENAI_BASE_URL",
                    reason:
                        "required when TIDINGS_MODEL=openai-compatible (the server's /v1 URL, such as http://localhost:11434/v1)"
                )
            }
            settings.baseURL = try baseURL("OPENAI_BASE_URL", default: "")
            settings.key = try Configuration.readSecret("OPENAI_API_KEY", environment: environment)
            settings.model = try required("OPENAI_MODEL")
        case .anthropic:
            settings.baseURL = try baseURL("ANTHROPIC_BASE_URL", default: "https://api.anthropic.com")
            settings.key = try requiredSecret("ANTHROPIC_API_KEY")
            settings.model = try required("ANTHROPIC_MODEL")
            if let text = value("ANTHROPIC_STRUCTURED_OUTPUT") {
                guard let mode = AnthropicMessagesModel.StructuredMode(rawValue: text.lowercased()) else {
                    throw ConfigurationError(
                        key: "ANTHROPIC_STRUCTURED_OUTPUT", reason: "'\(text.prefix(40))' is not output_format or tool")
                }
                settings.anthropicMode = mode
            }
        }
        return settings
    }

    /// The writer these settings name, over `transport` (offline: the copywriter, which sends nothing).
    package func makeModel(transport: any HTTPTransport) -> any LanguageModel {
        switch provider {
        case .offline:
            return OfflineCopywriter()
        case .openAI:
            return OpenAIResponsesModel(
                baseURL: baseURL, model: model, key: key ?? Secret(""), organization: organization, project: project,
                maxOutputTokens: maxOutputTokens, transport: transport)
        case .anthropic:
            return AnthropicMessagesModel(
                baseURL: baseURL, model: model, key: key ?? Secret(""), maxTokens: maxOutputTokens, mode: anthropicMode,
                transport: transport)
        case .openAICompatible:
            return ChatCompletionsModel(
                baseURL: baseURL, model: model, key: key, maxOutputTokens: maxOutputTokens, transport: transport)
        }
    }
}
