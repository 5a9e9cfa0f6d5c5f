import Foundation

/// A writer of drafts: a hosted language model, or the offline copywriter. Answers the prompt with
/// the draft as JSON text, which the generation stage decodes and checks against the schema.
package protocol LanguageModel: Sendable {
    /// "offline-copywriter", "openai:gpt-…", for the audit.
    var name: String { get }
    /// The draft as strict JSON text. Throws `ModelError` when no usable answer came back.
    func complete(_ prompt: Prompt) async throws -> String
}

/// A model call that failed.
package struct ModelError: Error, Sendable, CustomStringConvertible {
    /// The model's `name`, as the audit shows it.
    package var model: String
    /// What went wrong, including the upstream status when there was one.
    package var reason: String
    /// Whether asking again later can help (timeouts, 429, 5xx).
    package var isRetryable: Bool

    /// Creates an error for a model and its reason.
    package init(model: String, reason: String, isRetryable: Bool) {
        self.model = model
        self.reason = reason
        self.isRetryable = isRetryable
    }

    /// "model: reason", for logs and the audit.
    package var description: String { "\(model): \(reason)" }
}
