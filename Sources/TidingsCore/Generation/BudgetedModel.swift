import Foundation

/// A model that is not called once its flow's budget for the UTC day or month is spent: it then
/// throws `ModelError` `.overBudget`, and the pipeline's offline copywriter writes instead. The
/// spend is read from the audit (`SpendLedger`), so the budget holds across invocations and
/// processes on one data folder. Calls already in flight when the budget runs out still finish:
/// the overshoot is at most one call per task in flight (docs/decisions/model-budgets.md).
package struct BudgetedModel: LanguageModel {
    /// The model called while there is budget.
    package let model: any LanguageModel
    /// The flow's limits.
    package let budget: ModelGovernanceSettings.Budget
    /// The function whose `generate` records count ("cartAbandoned").
    package let function: String
    /// Where spend is read from.
    package let ledger: SpendLedger
    /// The clock whose UTC day and month the budget is for (the pipeline's clock).
    package let clock: any TimeSource

    /// Wraps `model` in `budget` for `function`.
    package init(
        _ model: any LanguageModel, budget: ModelGovernanceSettings.Budget, function: String, ledger: SpendLedger,
        clock: any TimeSource
    ) {
        self.model = model
        self.budget = budget
        self.function = function
        self.ledger = ledger
        self.clock = clock
    }

    /// The wrapped model's name.
    package var name: String { model.name }

    /// Calls the model, or throws a non-retryable `ModelError` `.overBudget` when the day's or
    /// month's spend has reached its budget (or the audit cannot be read to tell: a budget fails
    /// closed).
    package func respond(to request: DraftRequest) async throws -> ModelAnswer {
        let spent: (day: Decimal, month: Decimal)
        do {
            spent = try ledger.spent(function: function, at: clock.now)
        } catch {
            throw ModelError(
                model: name, code: .overBudget, reason: "the spend could not be read from the audit (\(error))",
                isRetryable: false)
        }
        if let daily = budget.daily, spent.day >= daily {
            throw ModelError(
                model: name, code: .overBudget,
                reason: "\(function) spent \(spent.day) USD today, its daily budget is \(daily) USD", isRetryable: false
            )
        }
        if let monthly = budget.monthly, spent.month >= monthly {
            throw ModelError(
                model: name, code: .overBudget,
                reason: "\(function) spent \(spent.month) USD this month, its monthly budget is \(monthly) USD",
                isRetryable: false)
        }
        return try await model.respond(to: request)
    }
}
