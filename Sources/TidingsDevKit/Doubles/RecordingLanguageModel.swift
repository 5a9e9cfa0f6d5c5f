import Synchronization
import TidingsCore

/// A `LanguageModel` for tests that keeps every request it is asked and answers through the
/// writer it wraps, under that writer's name (so the pipeline treats it exactly as the wrapped
/// one: an offline writer gets no repair turn, and the audit names the same writer).
package final class RecordingLanguageModel: LanguageModel {
    private let inner: any LanguageModel
    private let recorded = Mutex<[DraftRequest]>([])

    /// Records the requests and answers through `inner`.
    package init(wrapping inner: any LanguageModel) {
        self.inner = inner
    }

    /// The wrapped writer's name.
    package var name: String { inner.name }

    /// Keeps the request, then answers as the wrapped writer does.
    package func respond(to request: DraftRequest) async throws -> ModelAnswer {
        recorded.withLock { $0.append(request) }
        return try await inner.respond(to: request)
    }

    /// Every request so far, oldest first.
    package var requests: [DraftRequest] { recorded.withLock { $0 } }
}
