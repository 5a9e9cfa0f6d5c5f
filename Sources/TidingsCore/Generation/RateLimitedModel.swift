import Foundation

/// The limits of one upstream, shared by every model that calls it in a process: a bucket of
/// requests and a bucket of tokens, each refilled per minute's limit. Tokens are taken as an
/// estimate before a call (request bytes / 4) and settled with the usage the provider reports.
package struct UpstreamLimiter: Sendable {
    /// Requests: `requests_per_minute / 60` a second, up to ten seconds' worth at once.
    package let requests: TokenBucket?
    /// Tokens: `tokens_per_minute / 60` a second, up to ten seconds' worth at once.
    package let tokens: TokenBucket?

    /// Buckets for `limit`; `clock` and `sleep` are injected so tests need no real time.
    package init(
        _ limit: ModelGovernanceSettings.RateLimit, clock: any TimeSource,
        sleep: @escaping @Sendable (TimeInterval) async throws -> Void
    ) {
        func bucket(_ perMinute: Int?) -> TokenBucket? {
            guard let perMinute else { return nil }
            let rate = Double(perMinute) / 60
            return TokenBucket(rate: rate, burst: max(1, rate * 10), clock: clock, sleep: sleep)
        }
        requests = bucket(limit.requestsPerMinute)
        tokens = bucket(limit.tokensPerMinute)
    }
}

/// A model behind its upstream's rate limits: waits for a request and for the estimated tokens
/// before each call, then settles the estimate with the reported usage. Carries the wrapped
/// model's name.
package struct RateLimitedModel: LanguageModel {
    /// The model called once the limits allow.
    package let model: any LanguageModel
    /// The upstream's shared buckets.
    package let limiter: UpstreamLimiter

    /// Wraps `model` in `limiter` (share one limiter among all models of an upstream).
    package init(_ model: any LanguageModel, limiter: UpstreamLimiter) {
        self.model = model
        self.limiter = limiter
    }

    /// The wrapped model's name.
    package var name: String { model.name }

    /// Waits for the limits, calls the model and settles the token estimate. Throws what the
    /// model throws, or `CancellationError` when the wait is cancelled.
    package func respond(to request: DraftRequest) async throws -> ModelAnswer {
        let estimate = Double(Self.estimatedTokens(request))
        try await limiter.requests?.acquire()
        try await limiter.tokens?.acquire(estimate)
        do {
            let answer = try await model.respond(to: request)
            if let usage = answer.usage { await limiter.tokens?.settle(estimate - Double(Self.total(usage))) }
            return answer
        } catch let error as ModelError {
            if let usage = error.usage { await limiter.tokens?.settle(estimate - Double(Self.total(usage))) }
            throw error
        }
    }

    /// Input tokens a request will cost, estimated before the call as its text's bytes / 4 (system,
    /// user, schema and any repair note).
    package static func estimatedTokens(_ request: DraftRequest) -> Int {
        var bytes = request.prompt.system.utf8.count + request.prompt.user.utf8.count
        bytes += CanonicalJSON.bytes(request.prompt.outputSchema).count
        if let repair = request.repair {
            bytes += repair.previousAnswer.utf8.count + repair.problems.reduce(0) { $0 + $1.utf8.count + 1 }
        }
        return max(1, bytes / 4)
    }

    /// Every token a call used, as a tokens-per-minute limit counts them.
    static func total(_ usage: TokenUsage) -> Int {
        usage.input + usage.cachedInput + usage.cacheWrite + usage.output
    }
}
