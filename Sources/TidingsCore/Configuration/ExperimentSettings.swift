import Foundation

/// The experiments the configuration file's `experiments` array defines: at most one per flow,
/// each with its arms, an optional holdout and the sample below which no winner is called
/// (docs/configuration.md, "Experiments"; docs/decisions/experiments.md).
package struct ExperimentSettings: Sendable, Hashable {
    /// The experiments, in the file's order.
    package var experiments: [Experiment]

    /// Settings from their experiments; `parse` checks them, this does not.
    package init(experiments: [Experiment] = []) {
        self.experiments = experiments
    }

    /// The experiment running on a flow, if any.
    package func experiment(for flow: FlowKind) -> Experiment? {
        experiments.first { $0.flow == flow }
    }

    /// The experiment with an id, if any.
    package func experiment(id: String) -> Experiment? {
        experiments.first { $0.id == id }
    }

    /// Reads the `experiments` array of a configuration file. Throws `InputError` naming the JSON
    /// path of the first bad member: an id that is not a short token or appears twice, a second
    /// experiment on one flow (two at once would confound each other), an arm without a name, a
    /// weight outside 1...1000, an unknown strategy or subject rule, a holdout share outside
    /// (0, 0.9], fewer than two groups to compare, a minimum sample below 1.
    package static func parse(_ value: JSONValue, path: String = "$.experiments") throws(InputError)
        -> ExperimentSettings
    {
        guard case .array(let elements) = value else {
            throw InputError(.invalidField, path: path, reason: "expected an array, found \(value.typeName)")
        }
        var experiments: [Experiment] = []
        for (index, element) in elements.enumerated() {
            let reader = try JSONObjectReader(element, path: "\(path)[\(index)]")
            let experiment = try parseExperiment(reader)
            if experiments.contains(where: { $0.id == experiment.id }) {
                throw InputError(
                    .invalidField, path: reader.path(of: "id"), reason: "'\(experiment.id)' is used twice")
            }
            if let other = experiments.first(where: { $0.flow == experiment.flow }) {
                throw InputError(
                    .invalidField, path: reader.path(of: "flow"),
                    reason: "\(experiment.flow.rawValue) already runs '\(other.id)'; one experiment per flow at a time")
            }
            experiments.append(experiment)
        }
        return ExperimentSettings(experiments: experiments)
    }

    static func parseExperiment(_ reader: JSONObjectReader) throws(InputError) -> Experiment {
        try Configuration.refuseUnknownKeys(
            reader, allowed: ["id", "flow", "arms", "holdout", "min_recipients_per_arm", "description"])
        let id = try reader.string("id")
        guard Experiment.isToken(id) else {
            throw InputError(
                .invalidField, path: reader.path(of: "id"),
                reason: "'\(id.prefix(80))' is not 1 to 64 letters, digits, '.', '_' or '-'")
        }
        let flowName = try reader.string("flow")
        guard let flow = FlowKind(rawValue: flowName) else {
            throw InputError(
                .invalidField, path: reader.path(of: "flow"),
                reason: "'\(flowName.prefix(40))' is not a flow; expected one of "
                    + FlowKind.allCases.map(\.rawValue).joined(separator: ", "))
        }
        var arms: [ExperimentArm] = []
        for arm in try reader.objects("arms") {
            try Configuration.refuseUnknownKeys(arm, allowed: ["name", "weight", "strategy", "subject_rule"])
            let name = try arm.string("name")
            guard Experiment.isToken(name), name != Experiment.holdoutGroup else {
                throw InputError(
                    .invalidField, path: arm.path(of: "name"),
                    reason: "'\(name.prefix(80))' is not a token of letters, digits, '.', '_' or '-' "
                        + "other than '\(Experiment.holdoutGroup)'")
            }
            if arms.contains(where: { $0.name == name }) {
                throw InputError(.invalidField, path: arm.path(of: "name"), reason: "'\(name)' is used twice")
            }
            let weight = try arm.optionalInt("weight") ?? 1
            guard (1...1000).contains(weight) else {
                throw InputError(.invalidField, path: arm.path(of: "weight"), reason: "\(weight) is not 1 to 1000")
            }
            var strategy: ExperimentStrategy?
            if let text = try arm.optionalString("strategy") {
                guard let known = ExperimentStrategy(rawValue: text) else {
                    throw InputError(
                        .invalidField, path: arm.path(of: "strategy"),
                        reason: "'\(text.prefix(40))' is not a strategy; expected one of "
                            + ExperimentStrategy.allCases.map(\.rawValue).joined(separator: ", "))
                }
                strategy = known
            }
            var rule = SubjectRule.first
            if let text = try arm.optionalString("subject_rule") {
                guard let known = SubjectRule(rawValue: text) else {
                    throw InputError(
                        .invalidField, path: arm.path(of: "subject_rule"),
                        reason: "'\(text.prefix(40))' is not a subject rule; expected one of "
                            + SubjectRule.allCases.map(\.rawValue).joined(separator: ", "))
                }
                rule = known
            }
            arms.append(ExperimentArm(name: name, weight: weight, strategy: strategy, subjectRule: rule))
        }
        guard !arms.isEmpty else {
            throw InputError(
                .missingField, path: reader.path(of: "arms"), reason: "an experiment needs at least one arm")
        }
        var holdout: ExperimentHoldout?
        if let object = try reader.optionalObject("holdout") {
            try Configuration.refuseUnknownKeys(object, allowed: ["share", "treatment"])
            let share: Double
            switch object.value("share") {
            case .double(let value)?: share = value
            case .int(let value)?: share = Double(value)
            case nil:
                throw InputError(.missingField, path: object.path(of: "share"), reason: "required field is missing")
            case let other?:
                throw InputError(
                    .invalidField, path: object.path(of: "share"), reason: "expected a number, found \(other.typeName)")
            }
            guard share > 0, share <= 0.9 else {
                throw InputError(
                    .invalidField, path: object.path(of: "share"),
                    reason: "\(share) is not above 0 and at most 0.9 (leave the holdout out for none)")
            }
            let treatmentName =
                try object.optionalString("treatment") ?? ExperimentHoldout.Treatment.controlEmail.rawValue
            guard let treatment = ExperimentHoldout.Treatment(rawValue: treatmentName) else {
                throw InputError(
                    .invalidField, path: object.path(of: "treatment"),
                    reason: "'\(treatmentName.prefix(40))' is not control_email or no_email")
            }
            holdout = ExperimentHoldout(share: share, treatment: treatment)
        }
        guard arms.count + (holdout == nil ? 0 : 1) >= 2 else {
            throw InputError(
                .invalidField, path: reader.path(of: "arms"),
                reason: "one arm without a holdout compares nothing; add an arm or a holdout")
        }
        let minimum = try reader.optionalInt("min_recipients_per_arm") ?? Experiment.defaultMinimumRecipients
        guard (1...10_000_000).contains(minimum) else {
            throw InputError(
                .invalidField, path: reader.path(of: "min_recipients_per_arm"),
                reason: "\(minimum) is not 1 to 10000000")
        }
        return Experiment(id: id, flow: flow, arms: arms, holdout: holdout, minimumRecipientsPerArm: minimum)
    }
}
