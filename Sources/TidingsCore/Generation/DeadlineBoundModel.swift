import Foundation
import Synchronization

/// A language model bound to an invocation's deadline, so that the platform never kills an
/// invocation mid-call: with less than `reserve` left it refuses before calling, and a call that
/// runs into the last `tail` seconds is abandoned. Either way it throws, and the pipeline's
/// fallback (the offline copywriter) writes the draft in the time that is left. Carries the
/// wrapped model's name, so the audit names the real model and the fallback rule still
/// recognizes the copywriter.
package struct DeadlineBoundModel: LanguageModel {
    /// The model that is called when there is time.
    package let model: any LanguageModel
    /// When the platform ends the invocation.
    package let deadline: Date
    /// The time left that a model call and the rest of the pipeline after it need, in seconds.
    package let reserve: TimeInterval
    /// The time kept after an abandoned call for the copywriter, validation, rendering, delivery
    /// and audit, in seconds (never more than `reserve`).
    package let tail: TimeInterval
    /// The wall clock the deadline is compared with (deadlines are real time, never a pinned clock).
    package let clock: any TimeSource

    /// Binds `model` to `deadline`: calls start only with `reserve` seconds left and are given up
    /// `tail` seconds (default 3, at most `reserve`) before the deadline.
    package init(
        _ model: any LanguageModel, deadline: Date, reserve: TimeInterval, tail: TimeInterval = 3,
        clock: any TimeSource = SystemClock()
    ) {
        self.model = model
        self.deadline = deadline
        self.reserve = reserve
        self.tail = min(tail, reserve)
        self.clock = clock
    }

    /// The wrapped model's name.
    package var name: String { model.name }

    /// Calls the model, or throws a non-retryable `ModelError` ("deadline: …") when too little
    /// time is left to start, or when the answer has not come `tail` seconds before the deadline.
    /// An abandoned call is cancelled and not awaited.
    package func respond(to request: DraftRequest) async throws -> ModelAnswer {
        let left = deadline.timeIntervalSince(clock.now)
        guard left >= reserve else {
            throw ModelError(
                model: name, code: .deadline,
                reason: "\(Self.milliseconds(left)) ms left, a model call needs "
                    + "\(Self.milliseconds(reserve)) ms",
                isRetryable: false)
        }
        let budget = left - tail
        let model = self.model
        let name = self.name
        let settled = SettledFlag()
        return try await withCheckedThrowingContinuation {
            (continuation: CheckedContinuation<ModelAnswer, any Error>) in
            settled.track(
                Task {
                    let result = await Result { try await model.respond(to: request) }
                    if settled.claim() { continuation.resume(with: result) }
                })
            settled.track(
                Task {
                    try? await Task.sleep(for: .milliseconds(Self.milliseconds(budget)))
                    if settled.claim() {
                        continuation.resume(
                            throwing: ModelError(
                                model: name, code: .deadline,
                                reason: "no answer within \(Self.milliseconds(budget)) ms; "
                                    + "\(Self.milliseconds(tail)) ms kept to finish",
                                isRetryable: false))
                    }
                })
        }
    }

    static func milliseconds(_ seconds: TimeInterval) -> Int { Int((max(0, seconds) * 1000).rounded()) }
}

/// The race between the call and the timer: the first to claim resumes the continuation, and
/// the other is cancelled (an abandoned model call is not awaited; a finished one stops the timer).
final class SettledFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    private let tasks = Mutex<[Task<Void, Never>]>([])

    /// Keeps a racer, to cancel it when the other wins; cancels it at once if the race is over.
    func track(_ task: Task<Void, Never>) {
        tasks.withLock { $0.append(task) }
        if flag.load(ordering: .acquiring) { task.cancel() }
    }

    /// True for the first caller only; cancels every racer.
    func claim() -> Bool {
        guard !flag.exchange(true, ordering: .acquiringAndReleasing) else { return false }
        for task in tasks.withLock({ $0 }) { task.cancel() }
        return true
    }
}

extension Result where Failure == any Error {
    /// The result of an async throwing call.
    init(catching body: () async throws -> Success) async {
        do {
            self = .success(try await body())
        } catch {
            self = .failure(error)
        }
    }
}
