import Foundation
import Testing
import TidingsCore
import TidingsServe

/// Issue 16, "Experiments": the chart's figures against the statistics computed by hand, the SVG
/// it draws (no script, no style attribute, every figure also in its description), and the page's
/// verdict and its explanations when there is nothing to report.
@Suite("Dashboard: experiments chart and page")
struct ExperimentsPageTests {
    static func report(
        minimum: Int = 5, treatment: ExperimentHoldout.Treatment = .controlEmail,
        exposures: ExperimentExposures = InsightsFixtures.exposures
    ) throws -> ExperimentReport {
        try ExperimentReport.build(
            experiment: InsightsFixtures.experiment(minimum: minimum, treatment: treatment), exposures: exposures,
            events: try InsightsFixtures.engagement())
    }

    @Test("Each group's rates carry Wilson intervals and revenue a normal one, on a round axis")
    func chartFigures() throws {
        let chart = ExperimentChart(report: try Self.report())
        #expect(chart.panels.map(\.metric) == [.open, .click, .conversion, .revenue])
        let conversion = chart.panels[2]
        #expect(conversion.rows.map(\.group) == ["holdout", "urgency", "benefit"])
        #expect(conversion.rows.map(\.isControl) == [true, false, false])
        // urgency: 5 of 10 converted; Wilson 95 % is (0.2366, 0.7634).
        let urgency = conversion.rows[1]
        #expect(urgency.value == 0.5)
        let interval = try #require(urgency.interval)
        #expect(abs(interval.lowerBound - 0.2366) < 0.00005 && abs(interval.upperBound - 0.7634) < 0.00005)
        // The highest bound, 0.763: ticks every 20 %, up to 80 %.
        #expect(conversion.axisMaximum == 0.8 && conversion.axisStep == 0.2)
        // Revenue: urgency 21 ± 1.96 · sqrt(610 / 10); the holdout's 8 ± 10.85 is drawn from 0.
        let revenue = chart.panels[3]
        let urgencyRevenue = try #require(revenue.rows[1].interval)
        #expect(abs(urgencyRevenue.lowerBound - (21 - 1.959_963_984_540_054 * 61.0.squareRoot())) < 1e-9)
        #expect(abs(urgencyRevenue.upperBound - (21 + 1.959_963_984_540_054 * 61.0.squareRoot())) < 1e-9)
        #expect(revenue.rows[0].interval?.lowerBound == 0)
        #expect(revenue.axisMaximum == 40 && revenue.axisStep == 10)
        #expect(revenue.title == "Revenue per recipient (USD)")
        #expect(chart.currency == "USD")
    }

    @Test("The SVG has a dot and whisker per group and metric, the control's line, and no script or style")
    func chartSVG() throws {
        let svg = ExperimentChart(report: try Self.report()).svg()
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(svg.hasSuffix("</svg>"))
        #expect(svg.components(separatedBy: "<circle ").count - 1 == 12)
        #expect(svg.components(separatedBy: "stroke-dasharray=").count - 1 == 4)
        #expect(svg.contains("role=\"img\"") && svg.contains("<title id=\"chart-cart-subjects-1-title\">"))
        // The description states what the chart shows, for a reader who cannot see it.
        #expect(svg.contains("Conversion rate: holdout (control) 20.0% ["))
        #expect(svg.contains("urgency 50.0% [23.7%, 76.3%]"))
        #expect(svg.contains("urgency 21.00 [5.69, 36.31]"))
        // The Content-Security-Policy allows no inline script and no style attribute.
        #expect(!svg.contains("<script") && !svg.contains("style=") && !svg.contains(" on"))
    }

    @Test("A no_email holdout shows no open or click dot; one recipient has no revenue interval")
    func chartGaps() throws {
        var exposures = InsightsFixtures.exposures
        exposures.groups["solo"] = "solo"
        let chart = ExperimentChart(report: try Self.report(treatment: .noEmail, exposures: exposures))
        let open = chart.panels[0]
        #expect(open.rows[0].group == "holdout" && open.rows[0].value == nil)
        #expect(open.rows[0].note == "no email sent")
        #expect(chart.panels[2].rows[0].value == 0.2)
        let solo = try #require(chart.panels[3].rows.first { $0.group == "solo" })
        #expect(solo.value == 0 && solo.interval == nil && solo.note == "interval needs 2 recipients")
        // 4 groups: 16 dots less the holdout's open and click.
        #expect(chart.svg().components(separatedBy: "<circle ").count - 1 == 14)
    }

    @Test("A group name from the audit is escaped in the SVG and the page")
    func escaping() throws {
        var exposures = InsightsFixtures.exposures
        exposures.groups["x"] = "<script>alert(1)</script>"
        let report = try Self.report(exposures: exposures)
        let page = ExperimentsPage.html(.reports([report]), metric: .conversion)
        #expect(!page.contains("<script>"))
        #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
    }

    @Test("The page shows the verdict, the figures and the lift; a winner is named when there is one")
    func pageVerdict() throws {
        let page = ExperimentsPage.html(.reports([try Self.report()]), metric: .conversion)
        #expect(
            page.contains("<p class=\"verdict verdict-no-winner\"><strong>Verdict:</strong> no winner: no arm differs"))
        #expect(page.contains("<svg "))
        #expect(page.contains("<option value=\"conversion\" selected>"))
        #expect(page.contains("<td>[-10.7 pp, +60.0 pp]</td>"))
        #expect(page.contains("<td>210</td>") || page.contains("<td>210 USD</td>"))

        let short = ExperimentsPage.html(.reports([try Self.report(minimum: 50)]), metric: .open)
        #expect(short.contains("verdict-insufficient"))
        #expect(short.contains("too few recipients"))
        #expect(short.contains("<option value=\"open\" selected>"))

        // 300 a group, urgency converting 30 % against 10 %: urgency wins.
        var exposures = ExperimentExposures(experimentID: "cart-subjects-1")
        var events: [EngagementEvent] = []
        for (group, conversions) in [("holdout", 30), ("urgency", 90), ("benefit", 33)] {
            for index in 0..<300 {
                exposures.groups["\(group)-\(index)"] = group
                if index < conversions {
                    events.append(EngagementEvent(kind: .order, customerID: "\(group)-\(index)", revenue: 10))
                }
            }
        }
        let winning = try ExperimentReport.build(
            experiment: InsightsFixtures.experiment(minimum: 200), exposures: exposures, events: events)
        let page2 = ExperimentsPage.html(.reports([winning]), metric: .conversion)
        #expect(page2.contains("verdict-winner notice"))
        #expect(page2.contains("winner on conversion: urgency"))
        #expect(page2.contains("urgency ★"))
    }

    @Test("The source reads the audit's arms and the engagement file as the report command does")
    func sourceReadsAuditAndEngagement() async throws {
        try await InsightsFixtures.withScratch { scratch in
            let audit = scratch.appendingPathComponent("audit")
            let records = InsightsFixtures.experimentAudit()
            try InsightsFixtures.writeAudit(records, under: audit)
            let engagement = InsightsFixtures.experimentFixtures.appendingPathComponent("engagement-small.jsonl").path
            let source = ExperimentsSource(
                experiments: [InsightsFixtures.experiment()], auditRoot: audit, engagementFile: engagement)
            guard case .reports(let reports) = source.load(metric: .conversion) else {
                Issue.record("expected reports")
                return
            }
            #expect(reports.map { $0.groups.map(\.recipients) } == [[10, 10, 10]])
            #expect(reports.first?.groups.map(\.conversions) == [2, 5, 3])

            // What stops a report is said, with what to do.
            var missing = source
            missing.engagementFile = nil
            guard case .unavailable(let why) = missing.load(metric: .conversion) else {
                Issue.record("expected a problem")
                return
            }
            #expect(why.contains("--engagement FILE") && why.contains("TIDINGS_ENGAGEMENT_FILE"))
            missing.engagementFile = scratch.appendingPathComponent("nope.jsonl").path
            guard case .problem(let unreadable) = missing.load(metric: .conversion) else {
                Issue.record("expected a problem")
                return
            }
            #expect(unreadable.contains("cannot be read"))
            let bad = scratch.appendingPathComponent("bad.jsonl")
            try Data(#"{"event": "open"}"#.utf8).write(to: bad)
            missing.engagementFile = bad.path
            guard case .problem(let badLine) = missing.load(metric: .conversion) else {
                Issue.record("expected a problem")
                return
            }
            #expect(badLine.contains("line 1"))
            let none = ExperimentsSource(experiments: [], auditRoot: audit, engagementFile: engagement)
            guard case .unavailable(let unconfigured) = none.load(metric: .conversion) else {
                Issue.record("expected a problem")
                return
            }
            #expect(unconfigured.contains("No experiments are configured"))
        }
    }

    @Test("Axis ends are round: ticks 1, 2 or 5 times a power of ten, a rate's axis at most 100 %")
    func roundAxis() throws {
        var exposures = ExperimentExposures(experimentID: "cart-subjects-1")
        for index in 0..<3 { exposures.groups["u\(index)"] = "urgency" }
        let events = [EngagementEvent(kind: .order, customerID: "u0", revenue: 130)]
        let report = try ExperimentReport.build(
            experiment: InsightsFixtures.experiment(), exposures: exposures, events: events)
        let chart = ExperimentChart(report: report)
        // Rates with no holdout recipients: its rows say so; urgency's 1 of 3 ends under 80 %.
        #expect(chart.panels[0].rows[0].note == "no recipients")
        #expect(chart.panels[2].axisMaximum == 0.8)
        // Revenue 130 / 3 with an upper bound near 128: ticks every 50, up to 150.
        #expect(chart.panels[3].axisMaximum == 150 && chart.panels[3].axisStep == 50)
        // 3 of 3 opened: Wilson's upper bound is 1, and so is the axis.
        let close: ((maximum: Double, step: Double), Double, Double) -> Bool = {
            abs($0.maximum - $1) < 1e-12 && abs($0.step - $2) < 1e-12
        }
        #expect(close(ExperimentChart.axis(1, isRate: true), 1, 0.2))
        #expect(close(ExperimentChart.axis(0.95, isRate: true), 1, 0.2))
        #expect(close(ExperimentChart.axis(0.04, isRate: true), 0.04, 0.01))
        #expect(close(ExperimentChart.axis(0, isRate: false), 1, 0.2))
    }
}
