import Foundation

/// The experiment stage (DESIGN: after insights, before the prompt): the customer's group in the
/// flow's experiment, recorded once per event, and what it changes in the planned messages.
extension Run {
    /// Assigns the event's customer to a group of the flow's experiment and records it (the
    /// `experiment` record: experiment, arm, customer id, hash position, strategy, subject rule,
    /// treatment, and the steps it applies to). Only marketing messages take part: a transactional
    /// message is never held out or varied. Returns the messages to write (each marketing one
    /// carrying the assignment, and an arm's strategy in its prompt context) and the ones a
    /// `no_email` holdout keeps back. Without an experiment on the flow, or without a marketing
    /// message, the messages come back as they were and nothing is recorded.
    func assignExperiment(_ messages: [PlannedMessage]) throws -> (kept: [PlannedMessage], heldOut: [PlannedMessage]) {
        guard let experiment = configuration.experiments.experiment(for: pipeline.flow.kind),
            let first = messages.first(where: { !$0.isTransactional })
        else { return (messages, []) }
        // One customer per event: every marketing message of it goes to the same person.
        let assignment = experiment.assign(unitKey: first.customerID)
        var facts = assignment.facts(unitKey: first.customerID)
        facts["steps"] = .array(messages.filter { !$0.isTransactional }.map { .string($0.step) })
        try record("experiment", facts)
        var kept: [PlannedMessage] = []
        var heldOut: [PlannedMessage] = []
        for var message in messages {
            if message.isTransactional {
                kept.append(message)
                continue
            }
            if assignment.holdout == .noEmail {
                heldOut.append(message)
                continue
            }
            message.experiment = assignment
            if let strategy = assignment.arm?.strategy {
                message.context.experiment = PromptContext.ExperimentBrief(strategy)
            }
            kept.append(message)
        }
        return (kept, heldOut)
    }

    /// The terminal outcome of an event whose every message a `no_email` holdout kept back:
    /// `held_out`, final, remembering the messages' own keys (a second event about the same cart
    /// finds it handled) but not the customer's marketing key, since nothing was sent.
    func finishHeldOut(_ messages: [PlannedMessage], experimentID: String) -> OutcomeReport {
        let keys = Set(messages.flatMap(\.dedupeKeys))
        var facts: [String: JSONValue] = ["steps": .array(messages.map { .string($0.step) })]
        if !keys.isEmpty { facts[AuditEntry.dedupeKeysFact] = .array(keys.sorted().map(JSONValue.string)) }
        return finish(
            report(
                .heldOut, reason: "held_out: experiment \(experimentID) holds this customer out with no email",
                code: .heldOut),
            facts: facts)
    }
}
