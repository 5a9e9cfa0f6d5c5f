import Foundation

/// A writer of drafts: a hosted language model, or the offline copywriter. Answers a request with
/// the draft as JSON text, which the generation stage decodes and checks against the schema, plus
/// what the audit keeps of the call (tokens, the bodies sent and received).
package protocol LanguageModel: Sendable {
    /// "offline-copywriter", "openai:gpt-…", for the audit.
    var name: String { get }
    /// The draft as strict JSON text, with the call's usage and exchange. Throws `ModelError` when
    /// no usable answer came back.
    func respond(to request: DraftRequest) async throws -> ModelAnswer
}

extension LanguageModel {
    /// The draft text for a prompt's first turn (no repair).
    package func complete(_ prompt: Prompt) async throws -> String {
        try await respond(to: DraftRequest(prompt: prompt)).text
    }
}

/// What a writer is asked: the prompt, and on the repair turn the answer that failed and why.
package struct DraftRequest: Sendable {
    /// The versioned prompt (system text first, per-event context last).
    package var prompt: Prompt
    /// Set on the one repair turn a model gets after a draft that was not JSON, broke the schema or
    /// broke the brand rules.
    package var repair: Repair?

    /// The previous answer and the validator's findings, quoted back to the model.
    package struct Repair: Sendable, Hashable {
        /// The answer text that failed, as the model wrote it.
        package var previousAnswer: String
        /// One line per problem ("error banned_phrase at blocks[1].text: …").
        package var problems: [String]

        /// Creates a repair note.
        package init(previousAnswer: String, problems: [String]) {
            self.previousAnswer = previousAnswer
            self.problems = problems
        }
    }

    /// Creates a request; `repair` defaults to none (the first turn).
    package init(prompt: Prompt, repair: Repair? = nil) {
        self.prompt = prompt
        self.repair = repair
    }
}

/// Tokens a model call used, as the provider reports them.
package struct TokenUsage: Sendable, Hashable {
    /// Input tokens billed at the full rate (not read from the provider's prompt cache).
    package var input: Int
    /// Input tokens read from the provider's prompt cache (billed at the cached rate).
    package var cachedInput: Int
    /// Input tokens written to the prompt cache (Anthropic bills these above the input rate).
    package var cacheWrite: Int
    /// Output tokens, including any reasoning tokens.
    package var output: Int

    /// Creates a usage record.
    package init(input: Int, cachedInput: Int = 0, cacheWrite: Int = 0, output: Int) {
        self.input = input
        self.cachedInput = cachedInput
        self.cacheWrite = cacheWrite
        self.output = output
    }
}

/// The bytes of one HTTP exchange with a model: kept in the audit's content store so that "which
/// prompt wrote which email" can be shown later. Never holds a header, so never a key.
package struct ModelExchange: Sendable, Hashable {
    /// The request body as sent (the whole prompt, PII-free by construction).
    package var request: [UInt8]
    /// The response body as received (the raw answer).
    package var response: [UInt8]

    /// Creates an exchange record.
    package init(request: [UInt8], response: [UInt8]) {
        self.request = request
        self.response = response
    }
}

/// A writer's answer.
package struct ModelAnswer: Sendable {
    /// The draft as JSON text.
    package var text: String
    /// The model the provider says answered ("gpt-4.1-mini-2025-04-14"), when it says.
    package var servedBy: String?
    /// Tokens used; nil for writers that call nothing.
    package var usage: TokenUsage?
    /// The last request and response bodies; nil for writers that call nothing.
    package var exchange: ModelExchange?
    /// HTTP attempts this answer took (1 without retries; 0 for writers that call nothing).
    package var attempts: Int

    /// Creates an answer; only `text` is required (the offline writers give nothing else).
    package init(
        text: String, servedBy: String? = nil, usage: TokenUsage? = nil, exchange: ModelExchange? = nil,
        attempts: Int = 0
    ) {
        self.text = text
        self.servedBy = servedBy
        self.usage = usage
        self.exchange = exchange
        self.attempts = attempts
    }
}

/// A model call that failed.
package struct ModelError: Error, Sendable, CustomStringConvertible {
    /// Why a call failed, for the audit and for tests to match on.
    package enum Code: String, Sendable {
        /// No HTTP response: refused, reset, timed out, TLS failed.
        case unreachable
        /// The upstream answered an error status (after any retries).
        case upstreamStatus = "upstream_status"
        /// The key was refused (401/403): a configuration problem, never retried.
        case unauthorized
        /// The response was not the documented shape (truncated JSON, wrong content type, no text).
        case malformedAnswer = "malformed_answer"
        /// The model declined to write (a refusal item, `stop_reason: refusal`).
        case refused
        /// The answer stopped early (`max_output_tokens`, `content_filter`, `max_tokens`).
        case incomplete
        /// The invocation's deadline left no time for (more of) the call.
        case deadline
        /// The flow's daily or monthly model budget is spent.
        case overBudget = "over_budget"
        /// Anything else.
        case other
    }

    /// The model's `name`, as the audit shows it.
    package var model: String
    /// What kind of failure.
    package var code: Code
    /// What went wrong, including the upstream status when there was one. Never holds a secret.
    package var reason: String
    /// Whether asking again later can help (timeouts, 429, 5xx).
    package var isRetryable: Bool
    /// The bodies exchanged, when a response arrived (a refusal's raw answer belongs in the audit).
    package var exchange: ModelExchange?
    /// Tokens the failed call still used (an incomplete answer is billed).
    package var usage: TokenUsage?
    /// HTTP attempts the call took when a response arrived (retries included), as the transport
    /// reports them; nil when no response came or the transport does not count.
    package var attempts: Int?

    /// Creates an error for a model and its reason.
    package init(
        model: String, code: Code = .other, reason: String, isRetryable: Bool, exchange: ModelExchange? = nil,
        usage: TokenUsage? = nil
    ) {
        self.model = model
        self.code = code
        self.reason = reason
        self.isRetryable = isRetryable
        self.exchange = exchange
        self.usage = usage
    }

    /// "model: code: reason" ("model: reason" for `.other`), for logs and the audit.
    package var description: String {
        code == .other ? "\(model): \(reason)" : "\(model): \(code.rawValue): \(reason)"
    }
}
