import Foundation
import TidingsCore

/// An experiment report as a server-rendered SVG chart: one panel per metric (open, click and
/// conversion rate, revenue per recipient), one row per group with its value as a dot and its
/// 95 % interval as a whisker, and the control's value as a dashed line across the panel, so an
/// arm whose whisker clears the line stands out. No script, no style attribute: only SVG
/// presentation attributes, which the dashboard's Content-Security-Policy allows
/// (docs/decisions/serve-insights.md).
package struct ExperimentChart: Sendable, Equatable {
    /// One group in one panel.
    package struct Row: Sendable, Equatable {
        /// The group's name (an arm, or `holdout`).
        package var group: String
        /// Whether the group is the report's control.
        package var isControl: Bool
        /// Whether the report calls this group the winner.
        package var isWinner: Bool
        /// The value: a rate as a fraction, or revenue per recipient in main units; nil when the
        /// group has no recipients or cannot have this metric (a `no_email` holdout's opens).
        package var value: Double?
        /// The 95 % interval; nil when it cannot be computed (revenue with fewer than 2 recipients).
        package var interval: ClosedRange<Double>?
        /// Why there is no value or interval, shown in place of the figure.
        package var note: String?
    }

    /// One metric's panel.
    package struct Panel: Sendable, Equatable {
        package var metric: ExperimentReport.Metric
        package var title: String
        package var rows: [Row]
        /// The axis runs from 0 to this, a round number at least every drawn value and bound.
        package var axisMaximum: Double
        /// The distance between the axis's ticks.
        package var axisStep: Double
    }

    package var experimentID: String
    package var panels: [Panel]
    /// The revenue's currency, when the engagement named one.
    package var currency: String?

    /// The chart's figures from a report: Wilson intervals for each group's rates, a normal
    /// interval (mean ± 1.96 standard errors) for revenue per recipient.
    package init(report: ExperimentReport) {
        experimentID = report.experiment.id
        currency = report.currency
        let winner: String?
        if case .winner(let name) = report.verdict { winner = name } else { winner = nil }
        let silent = report.experiment.holdout?.treatment == .noEmail
        panels = ExperimentReport.Metric.allCases.map { metric in
            let rows = report.groups.map { group in
                var row = Row(
                    group: group.name, isControl: group.name == report.control, isWinner: group.name == winner,
                    value: nil, interval: nil, note: nil)
                if group.recipients == 0 {
                    row.note = "no recipients"
                } else if silent && group.name == Experiment.holdoutGroup && (metric == .open || metric == .click) {
                    row.note = "no email sent"
                } else {
                    row.value = group.value(metric)
                    row.interval = Self.interval(group, metric)
                    if row.interval == nil { row.note = "interval needs 2 recipients" }
                }
                return row
            }
            let highest = rows.flatMap { [$0.value, $0.interval?.upperBound].compactMap { $0 } }.max() ?? 0
            let axis = Self.axis(highest, isRate: metric.isRate)
            var title = Self.title(metric)
            if metric == .revenue, let currency = report.currency { title += " (\(currency))" }
            return Panel(
                metric: metric, title: title, rows: rows, axisMaximum: axis.maximum, axisStep: axis.step)
        }
    }

    /// A group's 95 % interval on a metric: Wilson for a rate; for revenue per recipient the
    /// mean ± 1.96 standard errors, its lower end at 0 at least (revenue is never negative); nil
    /// for revenue with fewer than 2 recipients (no sample variance).
    static func interval(_ group: ExperimentReport.Group, _ metric: ExperimentReport.Metric) -> ClosedRange<Double>? {
        if metric.isRate {
            let (lower, upper) = ExperimentStatistics.wilson(group.count(metric), group.recipients)
            return lower...upper
        }
        guard group.recipients > 1 else { return nil }
        let half = ExperimentStatistics.z95 * (group.revenueVariance / Double(group.recipients)).squareRoot()
        return max(0, group.revenueMean - half)...(group.revenueMean + half)
    }

    static func title(_ metric: ExperimentReport.Metric) -> String {
        switch metric {
        case .open: "Open rate"
        case .click: "Click rate"
        case .conversion: "Conversion rate"
        case .revenue: "Revenue per recipient"
        }
    }

    /// The axis end and the step between its ticks: the step is the 1, 2 or 5 times a power of ten
    /// nearest above a fifth of `value`, the end the first multiple of it that reaches `value`
    /// (at most 100 % for a rate). 0.76 gives 0.2 and 0.8; 36.3 gives 10 and 40.
    package static func axis(_ value: Double, isRate: Bool) -> (maximum: Double, step: Double) {
        guard value > 0, value.isFinite else { return isRate ? (0.1, 0.02) : (1, 0.2) }
        let rough = value / 5
        let power = pow(10, log10(rough).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= rough * (1 - 1e-12) } ?? 10 * power
        let maximum = (value / step * (1 - 1e-12)).rounded(.up) * step
        return isRate ? (min(1, maximum), step) : (maximum, step)
    }

    // MARK: - Drawing

    static let width = 960.0
    static let labelWidth = 170.0
    static let figureWidth = 230.0
    static let rowHeight = 26.0
    static let panelHeader = 30.0
    static let axisHeight = 22.0
    static let panelGap = 14.0

    static let armColour = "#1d4ed8"
    static let controlColour = "#4b5563"
    static let winnerColour = "#047857"
    static let gridColour = "#d1d5db"
    static let textColour = "#111827"

    /// The chart as an inline `<svg>` element: `role="img"` with a title and a description that
    /// state every figure, for readers that do not see it.
    package func svg() -> String {
        let plotLeft = Self.labelWidth
        let plotRight = Self.width - Self.figureWidth
        var y = 0.0
        var body = ""
        for panel in panels {
            body += panelSVG(panel, top: y, plotLeft: plotLeft, plotRight: plotRight)
            y += Self.panelHeight(panel) + Self.panelGap
        }
        let height = max(1, y - Self.panelGap)
        let id = "chart-" + experimentID
        return """
            <svg xmlns="http://www.w3.org/2000/svg" class="experiment-chart" role="img" \
            viewBox="0 0 \(Self.number(Self.width)) \(Self.number(height))" width="100%" \
            font-family="system-ui, sans-serif" aria-labelledby="\(id)-title \(id)-desc">\
            <title id="\(id)-title">Experiment \(escape(experimentID)): each group's rates and revenue per recipient \
            with 95 % intervals</title><desc id="\(id)-desc">\(escape(description()))</desc>\(body)</svg>
            """
    }

    static func panelHeight(_ panel: Panel) -> Double {
        panelHeader + Double(panel.rows.count) * rowHeight + axisHeight
    }

    func panelSVG(_ panel: Panel, top: Double, plotLeft: Double, plotRight: Double) -> String {
        let scale = (plotRight - plotLeft) / panel.axisMaximum
        let x: (Double) -> Double = { plotLeft + min(max($0, 0), panel.axisMaximum) * scale }
        let rowsTop = top + Self.panelHeader
        let rowsBottom = rowsTop + Double(panel.rows.count) * Self.rowHeight
        var out = "<g class=\"panel\" data-metric=\"\(panel.metric.rawValue)\">"
        out += text(panel.title, x: 0, y: top + 18, size: 14, weight: "600")
        // Grid and tick labels, one per step from 0 to the axis end.
        let steps = Int((panel.axisMaximum / panel.axisStep).rounded())
        for step in 0...steps {
            let value = panel.axisStep * Double(step)
            let at = x(value)
            out += line(at, rowsTop, at, rowsBottom, colour: Self.gridColour, width: 1)
            out += text(
                format(value, panel.metric, axis: true), x: at, y: rowsBottom + 15, size: 11, anchor: "middle",
                colour: Self.controlColour)
        }
        if let control = panel.rows.first(where: \.isControl), let value = control.value {
            out += line(
                x(value), rowsTop - 4, x(value), rowsBottom, colour: Self.controlColour, width: 1.5, dash: "4 3")
        }
        for (index, row) in panel.rows.enumerated() {
            let middle = rowsTop + (Double(index) + 0.5) * Self.rowHeight
            let colour = row.isWinner ? Self.winnerColour : (row.isControl ? Self.controlColour : Self.armColour)
            let label = row.group + (row.isControl ? " (control)" : "") + (row.isWinner ? " ★" : "")
            out += text(label, x: 0, y: middle + 4, size: 12, weight: row.isWinner ? "600" : "400")
            out += "<g class=\"group\" data-group=\"\(escape(row.group))\">"
            if let interval = row.interval {
                let (left, right) = (x(interval.lowerBound), x(interval.upperBound))
                out += line(left, middle, right, middle, colour: colour, width: 2)
                out += line(left, middle - 5, left, middle + 5, colour: colour, width: 2)
                out += line(right, middle - 5, right, middle + 5, colour: colour, width: 2)
            }
            if let value = row.value {
                out +=
                    "<circle cx=\"\(Self.number(x(value)))\" cy=\"\(Self.number(middle))\" r=\"4.5\" fill=\"\(colour)\"/>"
            }
            out += "</g>"
            out += text(figure(row, panel.metric), x: plotRight + 12, y: middle + 4, size: 12, colour: Self.textColour)
        }
        return out + "</g>"
    }

    /// A row's figure at the right: the value and its interval, or why there is none.
    func figure(_ row: Row, _ metric: ExperimentReport.Metric) -> String {
        guard let value = row.value else { return row.note ?? "" }
        guard let interval = row.interval else { return format(value, metric) + " (no interval)" }
        return format(value, metric) + " [" + format(interval.lowerBound, metric) + ", "
            + format(interval.upperBound, metric) + "]"
    }

    /// Every figure as sentences, for the SVG's description.
    func description() -> String {
        panels.map { panel in
            panel.title + ": "
                + panel.rows.map { row in
                    row.group + (row.isControl ? " (control)" : "") + " " + figure(row, panel.metric)
                }.joined(separator: "; ")
        }.joined(separator: ". ") + "."
    }

    /// A value as the chart shows it: a rate in percent, revenue with two decimals (its currency
    /// is in the panel's title).
    func format(_ value: Double, _ metric: ExperimentReport.Metric, axis: Bool = false) -> String {
        if metric.isRate { return String(format: axis ? "%.0f%%" : "%.1f%%", value * 100) }
        return String(format: axis ? "%.0f" : "%.2f", value)
    }

    func text(
        _ content: String, x: Double, y: Double, size: Int, weight: String = "400", anchor: String = "start",
        colour: String = textColour
    ) -> String {
        "<text x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" font-size=\"\(size)\" font-weight=\"\(weight)\" "
            + "text-anchor=\"\(anchor)\" fill=\"\(colour)\">\(escape(content))</text>"
    }

    func line(
        _ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, colour: String, width: Double, dash: String? = nil
    ) -> String {
        "<line x1=\"\(Self.number(x1))\" y1=\"\(Self.number(y1))\" x2=\"\(Self.number(x2))\" y2=\"\(Self.number(y2))\" "
            + "stroke=\"\(colour)\" stroke-width=\"\(Self.number(width))\""
            + (dash.map { " stroke-dasharray=\"\($0)\"" } ?? "") + "/>"
    }

    /// A coordinate with at most one decimal, no trailing ".0".
    static func number(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(format: "%.1f", rounded)
    }

    func escape(_ text: String) -> String { OneClickUnsubscribe.escapeHTML(text) }
}
