import Foundation
import Synchronization

/// Puts a process's models under its configured rate limits and budgets: one limiter per
/// upstream, shared by every task and every model of that upstream in the process, and one spend
/// ledger over the audit. Built once at start-up; `wrap` is what the function's set-up calls on
/// whatever model its stages hold.
package final class ModelGovernance: Sendable {
    /// Prices, limits and budgets.
    package let settings: ModelGovernanceSettings
    /// The spend per flow, read from the audit.
    package let ledger: SpendLedger
    private let clock: any TimeSource
    private let sleep: @Sendable (TimeInterval) async throws -> Void
    private let limiters = Mutex<[String: UpstreamLimiter]>([:])

    /// Governance over the audit at `auditRoot`; `clock` is the pipeline's (budgets follow its UTC
    /// day), `sleep` how the limiters wait (default `Task.sleep`).
    package init(
        settings: ModelGovernanceSettings, auditRoot: URL, clock: any TimeSource = SystemClock(),
        sleep: @escaping @Sendable (TimeInterval) async throws -> Void = { seconds in
            try await Task.sleep(nanoseconds: UInt64(max(0, seconds) * 1e9))
        }
    ) {
        self.settings = settings
        self.ledger = SpendLedger(root: auditRoot)
        self.clock = clock
        self.sleep = sleep
    }

    /// `model` behind its upstream's rate limit and `flow`'s budget, when configured; the
    /// offline writers (which call nothing) are returned as they are. The budget is checked
    /// before the rate limit is waited for, so a call that will not be made never waits.
    package func wrap(_ model: any LanguageModel, flow: FlowKind) -> any LanguageModel {
        if Self.isOffline(model) { return model }
        var wrapped = model
        if let (upstream, limit) = settings.rateLimit(for: model.name) {
            wrapped = RateLimitedModel(wrapped, limiter: limiter(upstream, limit))
        }
        if let budget = settings.budgets[flow] {
            wrapped = BudgetedModel(wrapped, budget: budget, function: flow.rawValue, ledger: ledger, clock: clock)
        }
        return wrapped
    }

    /// One call for a function's set-up: `model` governed by `configuration.models`, with the
    /// spend read from the audit at `auditRoot`.
    package static func wrap(
        _ model: any LanguageModel, flow: FlowKind, configuration: Configuration, auditRoot: URL,
        clock: any TimeSource = SystemClock()
    ) -> any LanguageModel {
        ModelGovernance(settings: configuration.models, auditRoot: auditRoot, clock: clock).wrap(model, flow: flow)
    }

    /// Whether a writer calls nothing (the offline copywriter, the fixed transactional notice):
    /// no tokens, no cost, no limits, and no repair turn.
    package static func isOffline(_ model: any LanguageModel) -> Bool {
        model.name == OfflineCopywriter().name || model.name == TransactionalNotice().name
    }

    /// The limiter of `upstream`, made on first use and shared after.
    private func limiter(_ upstream: String, _ limit: ModelGovernanceSettings.RateLimit) -> UpstreamLimiter {
        limiters.withLock { limiters in
            if let existing = limiters[upstream] { return existing }
            let made = UpstreamLimiter(limit, clock: clock, sleep: sleep)
            limiters[upstream] = made
            return made
        }
    }
}
