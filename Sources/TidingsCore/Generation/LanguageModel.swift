import Foundation

/// A writer of drafts: a hosted language model, or the offline copywriter. Answers the prompt with
/// the draft as JSON text, which the generation stage decodes and checks against the schema.
public protocol LanguageModel: Sendable {
    /// "offline-copywriter", "openai:gpt-…", for the audit.
    var name: String { get }
    /// The draft as strict JSON text. Throws `ModelError` when no usable answer came back.
    func complete(_ prompt: Prompt) async throws -> String
}

/// A model call that failed.
public struct ModelError: Error, Sendable, CustomStringConvertible {
    public var model: String
    public var reason: String
    public var isRetryable: Bool

    public init(model: String, reason: String, isRetryable: Bool) {
        self.model = model
        self.reason = reason
        self.isRetryable = isRetryable
    }

    public var description: String { "\(model): \(reason)" }
}
