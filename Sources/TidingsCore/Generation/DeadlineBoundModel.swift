import Foundation

/// A language model bound to an invocation's deadline: when less than `reserve` is left, it
/// refuses before calling, so the pipeline's fallback (the offline copywriter) writes the draft
/// instead of the platform killing the invocation mid-call. Carries the wrapped model's name, so
/// the audit names the real model and the fallback rule still recognizes the copywriter.
public struct DeadlineBoundModel: LanguageModel {
    /// The model that is called when there is time.
    public let model: any LanguageModel
    /// When the platform ends the invocation.
    public let deadline: Date
    /// The time a model call and the rest of the pipeline after it need, in seconds.
    public let reserve: TimeInterval
    /// The wall clock the deadline is compared with (deadlines are real time, never a pinned clock).
    public let clock: any Clock

    /// Binds `model` to `deadline`, keeping `reserve` seconds for the call and what follows it.
    public init(_ model: any LanguageModel, deadline: Date, reserve: TimeInterval, clock: any Clock = SystemClock()) {
        self.model = model
        self.deadline = deadline
        self.reserve = reserve
        self.clock = clock
    }

    /// The wrapped model's name.
    public var name: String { model.name }

    /// Calls the model, or throws a non-retryable `ModelError` ("deadline: …") when too little time is left.
    public func complete(_ prompt: Prompt) async throws -> String {
        let left = deadline.timeIntervalSince(clock.now)
        guard left >= reserve else {
            throw ModelError(
                model: name,
                reason: "deadline: \(Int((max(0, left) * 1000).rounded())) ms left, a model call needs "
                    + "\(Int((reserve * 1000).rounded())) ms",
                isRetryable: false)
        }
        return try await model.complete(prompt)
    }
}
