import Foundation

/// One experiment's results: per group the recipients, open, click and conversion rates and
/// revenue per recipient; per arm its lift against the control with 95 % intervals and a test;
/// and the verdict, which never names a winner while a group is below the configured minimum
/// (docs/decisions/experiments.md).
package struct ExperimentReport: Sendable {
    /// The metric a verdict is decided on (`--metric`, default conversion).
    package enum Metric: String, Sendable, Hashable, CaseIterable {
        case open, click, conversion
        case revenue = "revenue_per_recipient"

        /// Whether this is a rate (a share of recipients) rather than an amount.
        package var isRate: Bool { self != .revenue }
    }

    /// One group's figures.
    package struct Group: Sendable {
        /// The arm's name, or `Experiment.holdoutGroup`.
        package var name: String
        /// Exposed customers in the group.
        package var recipients: Int
        /// Recipients with at least one open, click, order.
        package var opens: Int
        package var clicks: Int
        package var conversions: Int
        /// Their orders' revenue, exact.
        package var revenue: Decimal
        /// Revenue per recipient and its sample variance (zeros included).
        package var revenueMean: Double
        package var revenueVariance: Double
        /// What a held-out group got (`control_email`, `no_email`); nil for an arm.
        package var treatment: String?

        /// The count of recipients a rate metric counts.
        package func count(_ metric: Metric) -> Int {
            switch metric {
            case .open: return opens
            case .click: return clicks
            case .conversion, .revenue: return conversions
            }
        }

        /// A metric's value: a rate, or revenue per recipient.
        package func value(_ metric: Metric) -> Double {
            guard recipients > 0 else { return 0 }
            return metric == .revenue ? revenueMean : Double(count(metric)) / Double(recipients)
        }
    }

    /// One arm against the control on one metric.
    package struct Comparison: Sendable {
        package var group: String
        package var metric: Metric
        /// The arm's value minus the control's (rates as fractions, revenue in main units).
        package var difference: Double
        /// The 95 % interval of the difference (Newcombe for rates, Welch normal for revenue).
        package var lower: Double
        package var upper: Double
        /// The difference relative to the control's value; nil when the control's is 0.
        package var relativeLift: Double?
        /// The test statistic and its two-sided p-value.
        package var z: Double
        package var p: Double
    }

    /// What the report concludes.
    package enum Verdict: Sendable, Hashable {
        /// A group beat every other at the adjusted level.
        case winner(String)
        /// Enough recipients, but no group stands out.
        case noWinner(String)
        /// Some group has fewer recipients than the minimum: no winner is called.
        case insufficientSample([String: Int])
    }

    package var experiment: Experiment
    /// The group the arms are compared against: the holdout when there is one, else the first arm.
    package var control: String
    package var metric: Metric
    /// The groups, control first, then the arms in configured order, then any others the audit
    /// shows.
    package var groups: [Group]
    /// Each non-control group against the control, on every metric that means something (open and
    /// click are not compared against a `no_email` holdout, which can do neither).
    package var comparisons: [Comparison]
    /// The significance level a winner must pass: 0.05 divided by the number of arms compared.
    package var alpha: Double
    package var verdict: Verdict
    /// Engagement events that named no exposed customer of this experiment.
    package var unmatched: Int
    /// Customers the audit shows in two groups.
    package var conflicts: Int
    /// The currency of the revenue, when the engagement named one.
    package var currency: String?

    /// Builds the report. Throws `EngagementError` when the events' revenue is in more than one
    /// currency (their sum would mean nothing).
    package static func build(
        experiment: Experiment, exposures: ExperimentExposures, events: [EngagementEvent], metric: Metric = .conversion
    ) throws(EngagementError) -> ExperimentReport {
        let currencies = Set(events.filter { $0.kind == .order }.compactMap { $0.currency?.uppercased() })
        guard currencies.count <= 1 else {
            throw EngagementError(
                location: "currency",
                reason: "revenue in \(currencies.sorted().joined(separator: ", ")); report one currency at a time")
        }
        struct Tally {
            var opened = false
            var clicked = false
            var ordered = false
            var revenue: Decimal = 0
        }
        var tallies: [String: Tally] = [:]
        var unmatched = 0
        for event in events {
            guard let customer = exposures.customer(of: event) else {
                unmatched += 1
                continue
            }
            var tally = tallies[customer] ?? Tally()
            switch event.kind {
            case .send: break
            case .open: tally.opened = true
            case .click: tally.clicked = true
            case .order:
                tally.ordered = true
                tally.revenue += event.revenue
            }
            tallies[customer] = tally
        }
        let control = experiment.holdout == nil ? experiment.arms[0].name : Experiment.holdoutGroup
        var names = [control] + experiment.arms.map(\.name).filter { $0 != control }
        names += Set(exposures.groups.values).subtracting(names).sorted()
        var groups: [Group] = []
        for name in names {
            let members = exposures.groups.filter { $0.value == name }.keys
            let tallied = members.map { tallies[$0] ?? Tally() }
            let (mean, variance) = ExperimentStatistics.meanAndVariance(
                tallied.map { NSDecimalNumber(decimal: $0.revenue).doubleValue })
            groups.append(
                Group(
                    name: name, recipients: tallied.count, opens: tallied.filter(\.opened).count,
                    clicks: tallied.filter(\.clicked).count, conversions: tallied.filter(\.ordered).count,
                    revenue: tallied.reduce(Decimal(0)) { $0 + $1.revenue }, revenueMean: mean,
                    revenueVariance: variance,
                    treatment: name == Experiment.holdoutGroup ? experiment.holdout?.treatment.rawValue : nil))
        }
        let base = groups[0]
        let silent = experiment.holdout?.treatment == .noEmail
        var comparisons: [Comparison] = []
        for group in groups.dropFirst() {
            for candidate in Metric.allCases where !(silent && (candidate == .open || candidate == .click)) {
                comparisons.append(compare(group, base, on: candidate))
            }
        }
        let compared = max(1, groups.count - 1)
        let alpha = 0.05 / Double(compared)
        var report = ExperimentReport(
            experiment: experiment, control: control, metric: metric, groups: groups, comparisons: comparisons,
            alpha: alpha, verdict: .noWinner(""), unmatched: unmatched, conflicts: exposures.conflicts,
            currency: currencies.first)
        report.verdict = report.decide()
        return report
    }

    /// One group against the control on one metric.
    static func compare(_ group: Group, _ base: Group, on metric: Metric) -> Comparison {
        let baseValue = base.value(metric)
        let relative: Double? = baseValue == 0 ? nil : (group.value(metric) - baseValue) / baseValue
        if metric == .revenue {
            let result = ExperimentStatistics.meanDifference(
                mean1: group.revenueMean, variance1: group.revenueVariance, n1: group.recipients,
                mean0: base.revenueMean, variance0: base.revenueVariance, n0: base.recipients)
            return Comparison(
                group: group.name, metric: metric, difference: result.difference, lower: result.lower,
                upper: result.upper, relativeLift: relative, z: result.z, p: result.p)
        }
        let (x1, n1, x0, n0) = (group.count(metric), group.recipients, base.count(metric), base.recipients)
        let interval = ExperimentStatistics.newcombe(x1, n1, x0, n0)
        let test = ExperimentStatistics.twoProportionTest(x1, n1, x0, n0)
        return Comparison(
            group: group.name, metric: metric, difference: group.value(metric) - baseValue, lower: interval.lower,
            upper: interval.upper, relativeLift: relative, z: test.z, p: test.p)
    }

    /// The verdict on the chosen metric: no winner while any configured group is short of the
    /// minimum; else the arm that beats the control at the adjusted level and, when several do,
    /// also beats the runner-up; the control when every arm is significantly worse; else none.
    func decide() -> Verdict {
        let configured = Set([control] + experiment.arms.map(\.name))
        var short: [String: Int] = [:]
        for group in groups
        where configured.contains(group.name) && group.recipients < experiment.minimumRecipientsPerArm {
            short[group.name] = group.recipients
        }
        if !short.isEmpty { return .insufficientSample(short) }
        let onMetric = comparisons.filter { $0.metric == metric }
        guard !onMetric.isEmpty else {
            return .noWinner("\(metric.rawValue) is not compared against a no_email holdout")
        }
        let better = onMetric.filter { $0.p < alpha && $0.lower > 0 }.sorted { $0.difference > $1.difference }
        if better.count == 1 { return .winner(better[0].group) }
        if better.count > 1, let best = groups.first(where: { $0.name == better[0].group }),
            let second = groups.first(where: { $0.name == better[1].group })
        {
            let headToHead = Self.compare(best, second, on: metric)
            if headToHead.p < alpha && headToHead.lower > 0 { return .winner(best.name) }
            return .noWinner(
                "\(best.name) and \(second.name) both beat \(control) on \(metric.rawValue), and do not differ from "
                    + "each other at p < \(Self.format(alpha))")
        }
        if onMetric.allSatisfy({ $0.p < alpha && $0.upper < 0 }) { return .winner(control) }
        return .noWinner(
            "no arm differs from \(control) on \(metric.rawValue) at p < \(Self.format(alpha))"
                + (onMetric.count > 1 ? " (0.05 over \(onMetric.count) comparisons)" : ""))
    }

    /// The verdict as one sentence.
    package var verdictLine: String {
        switch verdict {
        case .winner(let name):
            return "winner on \(metric.rawValue): \(name)"
        case .noWinner(let why):
            return "no winner: \(why)"
        case .insufficientSample(let short):
            return "no winner called: too few recipients ("
                + short.sorted { $0.key < $1.key }.map { "\($0.key) has \($0.value)" }.joined(separator: ", ")
                + " of the \(experiment.minimumRecipientsPerArm) each group needs)"
        }
    }

    /// The report as a text table.
    package func text() -> String {
        var lines = ["experiment \(experiment.id) (\(experiment.flow.rawValue)), control: \(control)", ""]
        let header = ["group", "recipients", "open", "click", "conversion", "revenue/recipient", "revenue"]
        var rows: [[String]] = []
        for group in groups {
            rows.append([
                group.name + (group.treatment.map { " (\($0))" } ?? ""), "\(group.recipients)",
                Self.percent(group.value(.open)), Self.percent(group.value(.click)),
                Self.percent(group.value(.conversion)), Self.format(group.revenueMean), "\(group.revenue)",
            ])
        }
        lines += Self.table(header, rows)
        if !comparisons.isEmpty {
            lines += ["", "lift against \(control), 95 % intervals:"]
            var liftRows: [[String]] = []
            for comparison in comparisons {
                let isRate = comparison.metric.isRate
                let show: (Double) -> String = { isRate ? Self.points($0) : Self.format($0) }
                liftRows.append([
                    comparison.group, comparison.metric.rawValue, show(comparison.difference),
                    "[\(show(comparison.lower)), \(show(comparison.upper))]",
                    comparison.relativeLift.map { Self.percent($0, signed: true) } ?? "n/a",
                    Self.format(comparison.p),
                ])
            }
            lines += Self.table(["group", "metric", "difference", "95 % interval", "relative", "p"], liftRows)
        }
        lines += ["", verdictLine]
        if unmatched > 0 { lines.append("\(unmatched) engagement events named no customer of this experiment") }
        if conflicts > 0 { lines.append("\(conflicts) customers appear in two groups; their first group is kept") }
        return lines.joined(separator: "\n")
    }

    /// The report as JSON (`--json`): figures unrounded, rates as fractions.
    package func json() -> JSONValue {
        var verdictObject: [String: JSONValue] = ["text": .string(verdictLine), "metric": .string(metric.rawValue)]
        switch verdict {
        case .winner(let name):
            verdictObject["winner"] = .string(name)
        case .noWinner:
            verdictObject["winner"] = .null
        case .insufficientSample(let short):
            verdictObject["winner"] = .null
            verdictObject["short"] = .object(short.mapValues { .int($0) })
        }
        return .object([
            "experiment": .string(experiment.id), "flow": .string(experiment.flow.rawValue),
            "control": .string(control), "alpha": .double(alpha),
            "min_recipients_per_arm": .int(experiment.minimumRecipientsPerArm),
            "currency": currency.map(JSONValue.string) ?? .null,
            "groups": .array(
                groups.map { group in
                    .object([
                        "name": .string(group.name), "recipients": .int(group.recipients),
                        "opens": .int(group.opens), "clicks": .int(group.clicks),
                        "conversions": .int(group.conversions), "open_rate": .double(group.value(.open)),
                        "click_rate": .double(group.value(.click)),
                        "conversion_rate": .double(group.value(.conversion)), "revenue": .string("\(group.revenue)"),
                        "revenue_per_recipient": .double(group.revenueMean),
                        "treatment": group.treatment.map(JSONValue.string) ?? .null,
                    ])
                }),
            "comparisons": .array(
                comparisons.map { comparison in
                    .object([
                        "group": .string(comparison.group), "metric": .string(comparison.metric.rawValue),
                        "difference": .double(comparison.difference), "lower": .double(comparison.lower),
                        "upper": .double(comparison.upper),
                        "relative_lift": comparison.relativeLift.map(JSONValue.double) ?? .null,
                        "z": .double(comparison.z), "p": .double(comparison.p),
                    ])
                }),
            "verdict": .object(verdictObject), "unmatched_events": .int(unmatched), "conflicts": .int(conflicts),
        ])
    }

    /// A fraction in percent with one decimal ("12.5%"), signed when asked.
    package static func percent(_ value: Double, signed: Bool = false) -> String {
        let text = String(format: "%.1f%%", value * 100)
        return signed && value >= 0 ? "+" + text : text
    }

    /// A difference of rates in percentage points.
    package static func points(_ value: Double) -> String {
        guard value.isFinite else { return value > 0 ? "+inf" : "-inf" }
        return String(format: "%+.1f pp", value * 100)
    }

    /// A figure with three decimals, or two significant digits when it is that small.
    package static func format(_ value: Double) -> String {
        guard value.isFinite else { return value > 0 ? "inf" : "-inf" }
        return abs(value) < 0.001 && value != 0 ? String(format: "%.2g", value) : String(format: "%.3f", value)
    }

    static func table(_ header: [String], _ rows: [[String]]) -> [String] {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { cells in
            cells.enumerated().map { index, cell in
                index == 0
                    ? cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[index] - cell.count) + cell
            }.joined(separator: "  ")
        }
    }
}
