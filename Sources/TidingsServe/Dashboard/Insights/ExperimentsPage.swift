import Foundation
import TidingsCore

/// Where the experiments page gets its figures: the configured experiments, the audit that
/// recorded each customer's group, and a file of engagement (`tidings serve --engagement FILE` or
/// `TIDINGS_ENGAGEMENT_FILE`), read again on every view so an export that grows shows at once.
/// The same reading as `tidings experiments report` (docs/decisions/serve-insights.md).
package struct ExperimentsSource: Sendable {
    package var experiments: [Experiment]
    package var auditRoot: URL
    /// The engagement file; nil when none was given.
    package var engagementFile: String?

    package init(experiments: [Experiment], auditRoot: URL, engagementFile: String?) {
        self.experiments = experiments
        self.auditRoot = auditRoot
        self.engagementFile = engagementFile
    }

    /// The source `tidings serve` uses: the configuration's experiments and audit folder.
    package init(configuration: Configuration, engagementFile: String?) {
        self.init(
            experiments: configuration.experiments.experiments,
            auditRoot: configuration.dataDirectory.appendingPathComponent("audit"), engagementFile: engagementFile)
    }

    /// One report per configured experiment on `metric`, or what stops them, said for a reader.
    package func load(metric: ExperimentReport.Metric) -> ExperimentsPage.Content {
        guard !experiments.isEmpty else {
            return .unavailable(
                "No experiments are configured. Add an \"experiments\" array to the configuration file "
                    + "(docs/configuration.md, \"experiments[]\").")
        }
        guard let engagementFile else {
            return .unavailable(
                "No engagement data: start tidings serve with --engagement FILE (or set TIDINGS_ENGAGEMENT_FILE) "
                    + "naming the opens, clicks and orders your email service exported (JSON Lines or CSV).")
        }
        guard let bytes = FileManager.default.contents(atPath: engagementFile) else {
            return .problem("The engagement file \(engagementFile) cannot be read.")
        }
        let events: [EngagementEvent]
        do {
            events = try EngagementReader.read(Array(bytes))
        } catch {
            return .problem("The engagement file \(engagementFile) is not usable: \(error)")
        }
        guard FileManager.default.fileExists(atPath: auditRoot.path) else {
            return .unavailable("No audit yet at \(auditRoot.path): no event has been handled.")
        }
        var reports: [ExperimentReport] = []
        for experiment in experiments {
            do {
                let exposures = try ExperimentExposures.read(auditRoot: auditRoot, experimentID: experiment.id)
                reports.append(
                    try ExperimentReport.build(
                        experiment: experiment, exposures: exposures, events: events, metric: metric))
            } catch {
                return .problem("Experiment \(experiment.id) cannot be reported: \(error)")
            }
        }
        return .reports(reports)
    }
}

/// The experiments page: per configured experiment its chart, the figures as a table, each
/// arm's lift against the control with 95 % intervals, and the verdict (the winner, or why none
/// is called). A GET form picks the metric the verdict is decided on.
package enum ExperimentsPage {
    /// What the page shows.
    package enum Content: Sendable {
        case reports([ExperimentReport])
        /// Nothing to report yet (no experiment configured, no engagement given), and what to do.
        case unavailable(String)
        /// What went wrong reading the engagement or the audit.
        case problem(String)
    }

    package static let title = "Experiments"

    /// The page's main content (the dashboard's layout wraps it).
    package static func html(_ content: Content, metric: ExperimentReport.Metric) -> String {
        var out = metricForm(metric)
        switch content {
        case .unavailable(let text):
            out += "<p class=\"card\">\(escape(text))</p>"
        case .problem(let text):
            out += "<p class=\"problem\">\(escape(text))</p>"
        case .reports(let reports):
            for report in reports { out += section(report) }
        }
        return out
    }

    /// The metric chooser: a GET form, since choosing changes nothing.
    static func metricForm(_ metric: ExperimentReport.Metric) -> String {
        var out =
            "<form method=\"get\" action=\"/experiments\" class=\"inline\"><label for=\"metric\">Verdict on</label> "
            + "<select id=\"metric\" name=\"metric\">"
        for candidate in ExperimentReport.Metric.allCases {
            out +=
                "<option value=\"\(candidate.rawValue)\"\(candidate == metric ? " selected" : "")>"
                + "\(escape(ExperimentChart.title(candidate).lowercased()))</option>"
        }
        return out + "</select> <button type=\"submit\">Show</button></form>"
    }

    static func section(_ report: ExperimentReport) -> String {
        let experiment = report.experiment
        var out = "<section class=\"experiment card\" id=\"experiment-\(escape(experiment.id))\">"
        out += "<h2>\(escape(experiment.id)) <small>\(escape(experiment.flow.rawValue))</small></h2>"
        var about = "Control: \(report.control)"
        if let holdout = experiment.holdout {
            about += "; holdout \(ExperimentReport.percent(holdout.share)) of customers, \(holdout.treatment.rawValue)"
        }
        about += "; a winner needs \(experiment.minimumRecipientsPerArm) recipients in every group"
        about += " and p < \(ExperimentReport.format(report.alpha))."
        out += "<p class=\"muted\">\(escape(about))</p>"
        out += verdict(report)
        out += "<figure>" + ExperimentChart(report: report).svg()
        out += "<figcaption class=\"muted\">Dots are each group's value, whiskers its 95 % interval (Wilson for rates, "
        out += "mean ± 1.96 standard errors for revenue); the dashed line is the control's value.</figcaption></figure>"
        out += groupsTable(report)
        out += liftTable(report)
        var notes: [String] = []
        if report.unmatched > 0 {
            notes.append("\(report.unmatched) engagement events named no customer of this experiment.")
        }
        if report.conflicts > 0 {
            notes.append("\(report.conflicts) customers appear in two groups; their first group is kept.")
        }
        for note in notes { out += "<p class=\"note\">\(escape(note))</p>" }
        return out + "</section>"
    }

    static func verdict(_ report: ExperimentReport) -> String {
        let kind: String
        switch report.verdict {
        case .winner: kind = "winner notice"
        case .noWinner: kind = "no-winner"
        case .insufficientSample: kind = "insufficient"
        }
        return "<p class=\"verdict verdict-\(kind)\"><strong>Verdict:</strong> \(escape(report.verdictLine))</p>"
    }

    static func groupsTable(_ report: ExperimentReport) -> String {
        var out = "<table class=\"figures\"><caption>Per group</caption><thead><tr>"
        for header in ["Group", "Recipients", "Open", "Click", "Conversion", "Revenue / recipient", "Revenue"] {
            out += "<th scope=\"col\">\(header)</th>"
        }
        out += "</tr></thead><tbody>"
        for group in report.groups {
            let name = group.name + (group.treatment.map { " (\($0))" } ?? "")
            out += "<tr><th scope=\"row\">\(escape(name))</th><td>\(group.recipients)</td>"
            for metric in [ExperimentReport.Metric.open, .click, .conversion] {
                out += "<td>\(escape(ExperimentReport.percent(group.value(metric))))</td>"
            }
            out += "<td>\(escape(String(format: "%.2f", group.revenueMean)))</td>"
            out += "<td>\(escape("\(group.revenue)" + (report.currency.map { " " + $0 } ?? "")))</td></tr>"
        }
        return out + "</tbody></table>"
    }

    static func liftTable(_ report: ExperimentReport) -> String {
        guard !report.comparisons.isEmpty else { return "" }
        var out = "<table class=\"figures\"><caption>Lift against \(escape(report.control)), 95 % intervals</caption>"
        out += "<thead><tr>"
        for header in ["Group", "Metric", "Difference", "95 % interval", "Relative", "p"] {
            out += "<th scope=\"col\">\(header)</th>"
        }
        out += "</tr></thead><tbody>"
        for comparison in report.comparisons {
            let show: (Double) -> String = {
                comparison.metric.isRate ? ExperimentReport.points($0) : ExperimentReport.format($0)
            }
            let cells = [
                show(comparison.difference), "[\(show(comparison.lower)), \(show(comparison.upper))]",
                comparison.relativeLift.map { ExperimentReport.percent($0, signed: true) } ?? "n/a",
                ExperimentReport.format(comparison.p),
            ]
            out += "<tr><th scope=\"row\">\(escape(comparison.group))</th>"
            out += "<td>\(escape(comparison.metric.rawValue))</td>"
            for cell in cells { out += "<td>\(escape(cell))</td>" }
            out += "</tr>"
        }
        return out + "</tbody></table>"
    }

    static func escape(_ text: String) -> String { OneClickUnsubscribe.escapeHTML(text) }
}
