import Foundation

/// A proposed next step for an experiment: a sentence, why, and where it helps the next
/// experiment's configuration to paste (`experiments[]` member).
package struct ExperimentSuggestion: Sendable {
    /// What to do, in one line ("Promote urgency and test it against benefit").
    package var title: String
    /// Why, with the figures it rests on.
    package var rationale: String
    /// The next experiment as the configuration file writes it; nil when the step is to keep going.
    package var proposal: JSONValue?

    /// A suggestion from its parts.
    package init(title: String, rationale: String, proposal: JSONValue? = nil) {
        self.title = title
        self.rationale = rationale
        self.proposal = proposal
    }

    /// The suggestion as JSON.
    package func json() -> JSONValue {
        .object([
            "title": .string(title), "rationale": .string(rationale), "proposal": proposal ?? .null,
        ])
    }
}

/// Proposes next tests from a report: by rules over its figures (offline), or by a language model
/// given only the report's aggregates (never a customer id).
package enum ExperimentSuggester {
    /// The rules: keep an underpowered experiment running, with the sample it needs; promote a
    /// winning arm and test it against a challenger that changes one thing; when the control wins
    /// or nothing differs, test what was not tried yet, sized to the difference that was not seen.
    package static func suggest(from report: ExperimentReport) -> [ExperimentSuggestion] {
        let experiment = report.experiment
        let rateMetric = report.metric.isRate ? report.metric : .conversion
        let control = report.groups[0]
        let p0 = control.value(rateMetric)
        let best = report.groups.dropFirst().max { $0.value(rateMetric) < $1.value(rateMetric) }
        switch report.verdict {
        case .insufficientSample(let short):
            let smallest = short.min { $0.value < $1.value }.map { "\($0.key) has \($0.value)" } ?? ""
            let observed = best.map { $0.value(rateMetric) } ?? p0
            // The observed difference when there is one; else a 20 % relative lift.
            let target = observed != p0 ? observed : p0 * 1.2
            var rationale =
                "No winner can be called yet: \(smallest) of the \(experiment.minimumRecipientsPerArm) "
                + "recipients each group needs."
            if let needed = ExperimentStatistics.sampleSizePerGroup(p0, target) {
                rationale +=
                    " To detect \(rateMetric.rawValue) of \(ExperimentReport.percent(p0)) against "
                    + "\(ExperimentReport.percent(target)) (5 % two-sided, 80 % power) each group needs about "
                    + "\(needed) recipients"
                rationale +=
                    needed > experiment.minimumRecipientsPerArm
                    ? "; consider raising min_recipients_per_arm to \(needed)." : "."
            } else {
                let rate = ExperimentReport.percent(p0)
                rationale +=
                    " The control's \(rateMetric.rawValue) rate of \(rate) gives nothing to size a test from yet."
            }
            return [ExperimentSuggestion(title: "Keep \(experiment.id) running", rationale: rationale)]
        case .winner(let name) where name != report.control:
            let winner = experiment.arms.first { $0.name == name } ?? ExperimentArm(name: name)
            let challenger = challenger(to: winner, in: experiment)
            let lift = report.comparisons.first { $0.group == name && $0.metric == report.metric }
            let liftText = lift.map {
                " (\(report.metric.isRate ? ExperimentReport.points($0.difference) : ExperimentReport.format($0.difference)), "
                    + "95 % interval \(report.metric.isRate ? ExperimentReport.points($0.lower) : ExperimentReport.format($0.lower)) "
                    + "to \(report.metric.isRate ? ExperimentReport.points($0.upper) : ExperimentReport.format($0.upper)))"
            }
            return [
                ExperimentSuggestion(
                    title: "Promote \(name) and test it against \(challenger.name)",
                    rationale: "\(name) beat \(report.control) on \(report.metric.rawValue)\(liftText ?? ""). "
                        + "Make it the control of the next experiment and change one thing: \(describe(challenger)).",
                    proposal: proposal(for: experiment, arms: [winner, challenger], minimum: minimum(report, p0: p0)))
            ]
        case .winner:
            let arms = experiment.arms.map { challenger(to: $0, in: experiment) }
            return [
                ExperimentSuggestion(
                    title: "Keep \(report.control) and try a different approach",
                    rationale: "Every arm did worse than \(report.control) on \(report.metric.rawValue). Test "
                        + arms.map(describe).joined(separator: "; ") + " instead.",
                    proposal: proposal(
                        for: experiment, arms: [ExperimentArm(name: "control")] + arms,
                        minimum: minimum(report, p0: p0)))
            ]
        case .noWinner(let why):
            let n = report.groups.map(\.recipients).min() ?? 0
            let detectable =
                n > 0 && p0 > 0 && p0 < 1
                ? (ExperimentStatistics.z95 + ExperimentStatistics.z80) * (2 * p0 * (1 - p0) / Double(n)).squareRoot()
                : nil
            let anchor = experiment.arms[0]
            let next = challenger(to: anchor, in: experiment)
            var rationale = "No winner: \(why)."
            if let detectable {
                rationale +=
                    " With \(n) recipients per group the test could see differences of about "
                    + "\(ExperimentReport.points(detectable)) in \(rateMetric.rawValue); smaller ones are not worth "
                    + "waiting for. Stop it, keep the simpler arm, and test a bolder change: \(describe(next))."
            }
            return [
                ExperimentSuggestion(
                    title: "Stop \(experiment.id) and test \(next.name) against \(anchor.name)",
                    rationale: rationale,
                    proposal: proposal(for: experiment, arms: [anchor, next], minimum: minimum(report, p0: p0)))
            ]
        }
    }

    /// An arm that differs from `arm` in one thing not tried in the experiment: a strategy no arm
    /// used, else a subject rule no arm used, else the other strategy.
    static func challenger(to arm: ExperimentArm, in experiment: Experiment) -> ExperimentArm {
        let strategies = Set(experiment.arms.compactMap(\.strategy))
        if let strategy = ExperimentStrategy.allCases.first(where: { !strategies.contains($0) }) {
            return ExperimentArm(name: strategy.rawValue, strategy: strategy, subjectRule: arm.subjectRule)
        }
        let rules = Set(experiment.arms.map(\.subjectRule))
        if let rule = SubjectRule.allCases.first(where: { !rules.contains($0) }) {
            return ExperimentArm(name: "\(arm.name)-\(rule.rawValue)", strategy: arm.strategy, subjectRule: rule)
        }
        let other = ExperimentStrategy.allCases.first { $0 != arm.strategy } ?? .benefit
        return ExperimentArm(name: other.rawValue, strategy: other, subjectRule: arm.subjectRule)
    }

    static func describe(_ arm: ExperimentArm) -> String {
        "\(arm.name) (strategy \(arm.strategy?.rawValue ?? "none"), subject rule \(arm.subjectRule.rawValue))"
    }

    /// The next experiment's minimum: enough to see a 20 % relative lift on the control's rate,
    /// never below the current minimum.
    static func minimum(_ report: ExperimentReport, p0: Double) -> Int {
        max(report.experiment.minimumRecipientsPerArm, ExperimentStatistics.sampleSizePerGroup(p0, p0 * 1.2) ?? 0)
    }

    /// The next experiment's configuration: the id with its trailing number raised (or "-2").
    static func proposal(for experiment: Experiment, arms: [ExperimentArm], minimum: Int) -> JSONValue {
        var object: [String: JSONValue] = [
            "id": .string(nextID(experiment.id)), "flow": .string(experiment.flow.rawValue),
            "arms": .array(
                arms.map { arm in
                    var member: [String: JSONValue] = [
                        "name": .string(arm.name), "weight": .int(arm.weight),
                        "subject_rule": .string(arm.subjectRule.rawValue),
                    ]
                    if let strategy = arm.strategy { member["strategy"] = .string(strategy.rawValue) }
                    return .object(member)
                }),
            "min_recipients_per_arm": .int(minimum),
        ]
        if let holdout = experiment.holdout {
            object["holdout"] = ["share": .double(holdout.share), "treatment": .string(holdout.treatment.rawValue)]
        }
        return .object(object)
    }

    static func nextID(_ id: String) -> String {
        let digits = id.reversed().prefix { $0.isNumber }
        guard !digits.isEmpty, let number = Int(String(digits.reversed())) else { return id + "-2" }
        return id.dropLast(digits.count) + String(number + 1)
    }

    // MARK: The model

    /// Asks `model` for up to three suggestions, giving it the report's JSON (aggregates only) and
    /// the rules' own suggestions as a starting point. Throws when the call fails or the answer
    /// is not `{"suggestions": [{"title", "rationale"}]}`; the caller falls back to the rules.
    package static func suggest(
        from report: ExperimentReport, model: any LanguageModel, brand: Brand
    ) async throws -> [ExperimentSuggestion] {
        let rules = suggest(from: report)
        let document: JSONValue = [
            "report": report.json(), "rule_based_suggestions": .array(rules.map { $0.json() }),
            "strategies": .array(ExperimentStrategy.allCases.map { .string($0.rawValue) }),
            "subject_rules": .array(SubjectRule.allCases.map { .string($0.rawValue) }),
        ]
        let prompt = Prompt(
            templateID: "experiment_suggest", version: "1",
            system: """
                You advise an online shop's email team on their next A/B test. You get one experiment's \
                report (per group: recipients, open, click and conversion rates, revenue per recipient; \
                lifts against the control with 95 % intervals and p-values; the verdict) and the \
                suggestions simple rules made. Propose at most three next tests, each a short title and a \
                rationale that cites the report's figures. Never call a winner the verdict does not call; \
                use only the strategies and subject rules listed. Answer as strict JSON matching the schema.
                """,
            user: "Suggest the next tests.\n\n<report>\n"
                + String(decoding: CanonicalJSON.bytes(document), as: UTF8.self) + "\n</report>",
            context: placeholderContext(report, brand: brand), outputSchema: schema)
        let answer = try await model.respond(to: DraftRequest(prompt: prompt))
        guard case .object(let root) = try JSONParser.parse(answer.text),
            case .array(let items)? = root["suggestions"], !items.isEmpty
        else {
            throw EngagementError(location: "model answer", reason: "not {\"suggestions\": [...]}")
        }
        return try items.prefix(3).map { item in
            guard let title = item.objectValue?["title"]?.stringValue,
                let rationale = item.objectValue?["rationale"]?.stringValue
            else {
                throw EngagementError(location: "model answer", reason: "a suggestion without title or rationale")
            }
            return ExperimentSuggestion(title: title, rationale: rationale)
        }
    }

    /// The answer's schema.
    static let schema: JSONValue = [
        "type": "object", "additionalProperties": false, "required": ["suggestions"],
        "properties": [
            "suggestions": [
                "type": "array", "minItems": 1, "maxItems": 3,
                "items": [
                    "type": "object", "additionalProperties": false, "required": ["title", "rationale"],
                    "properties": ["title": ["type": "string"], "rationale": ["type": "string"]],
                ],
            ]
        ],
    ]

    /// A prompt carries a context for the audit and the offline copywriter; this one holds no
    /// customer, only the flow and the brand.
    static func placeholderContext(_ report: ExperimentReport, brand: Brand) -> PromptContext {
        PromptContext(
            eventID: "experiments/\(report.experiment.id)/suggest", flow: report.experiment.flow.rawValue,
            brandName: brand.name, brandVoice: brand.voice,
            customer: PromptContext.Customer(tier: "", orderCount: 0, topCategories: []), items: [], soldOut: [],
            otherSignals: [], recommendations: [], checkoutURL: PromptContext.checkoutPlaceholder,
            subjectMaxLength: 60)
    }
}
