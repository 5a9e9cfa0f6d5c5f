import Foundation
import Testing

@testable import TidingsCore

/// The experiment report: engagement shapes, the statistics against values computed by hand
/// (and one from the literature), the refusal to call a winner on too few recipients, and the
/// suggestions made from a report.
@Suite("Experiments: engagement, report and suggestions")
struct ExperimentReportTests {
    static let fixtures = TestPaths.root.appendingPathComponent("Tests/Fixtures/experiments")

    static func experiment(minimum: Int) -> Experiment {
        Experiment(
            id: "cart-subjects-1", flow: .cartAbandoned,
            arms: [
                ExperimentArm(name: "urgency", strategy: .urgency),
                ExperimentArm(name: "benefit", strategy: .benefit, subjectRule: .question),
            ],
            holdout: ExperimentHoldout(share: 0.1, treatment: .controlEmail), minimumRecipientsPerArm: minimum)
    }

    /// Ten customers per group (h1…h10 held out, u1…u10 urgency, b1…b10 benefit); u6's message and
    /// b5's event are known by their ids too.
    static let exposures: ExperimentExposures = {
        var exposures = ExperimentExposures(experimentID: "cart-subjects-1")
        for (prefix, group) in [("h", "holdout"), ("u", "urgency"), ("b", "benefit")] {
            for index in 1...10 { exposures.groups["\(prefix)\(index)"] = group }
        }
        exposures.customerOfKey["<u6@tidings>"] = "u6"
        exposures.customerOfKey["evt-b5"] = "b5"
        return exposures
    }()

    static func events(_ name: String) throws -> [EngagementEvent] {
        try EngagementReader.read(Array(try Data(contentsOf: fixtures.appendingPathComponent(name))))
    }

    @Test("Wilson, Newcombe and the z-test match Newcombe (1998) and hand computation")
    func statistics() {
        // Newcombe, Statistics in Medicine 17 (1998), table II, example (a): 56/70 − 48/80, method 10.
        let (lower, upper) = ExperimentStatistics.newcombe(56, 70, 48, 80)
        #expect(abs(lower - 0.0524) < 0.00005 && abs(upper - 0.3339) < 0.00005)
        // Wilson 95 % for 5 of 10: (0.2366, 0.7634).
        let wilson = ExperimentStatistics.wilson(5, 10)
        #expect(abs(wilson.lower - 0.2366) < 0.00005 && abs(wilson.upper - 0.7634) < 0.00005)
        // 5/10 against 2/10: pooled 0.35, se sqrt(0.35 · 0.65 · 0.2) = 0.21331, z = 1.40642.
        let test = ExperimentStatistics.twoProportionTest(5, 10, 2, 10)
        #expect(abs(test.z - 1.406_421_692_8) < 1e-9)
        #expect(abs(test.p - 0.159_598_942_4) < 1e-9)
        // Fleiss: 20 % against 50 % needs 39 a group; 10 % against 20 % needs 199.
        #expect(ExperimentStatistics.sampleSizePerGroup(0.2, 0.5) == 39)
        #expect(ExperimentStatistics.sampleSizePerGroup(0.1, 0.2) == 199)
        #expect(ExperimentStatistics.sampleSizePerGroup(0.2, 0.2) == nil)
        // One recipient has no sample variance: the revenue interval is unbounded, p is 1.
        let single = ExperimentStatistics.meanDifference(
            mean1: 49.9, variance1: 0, n1: 1, mean0: 0, variance0: 0, n0: 1)
        #expect(single.lower == -.infinity && single.upper == .infinity && single.p == 1)
    }

    @Test("The small fixture's report gives the hand-computed rates, lifts and intervals")
    func reportMatchesHandComputation() throws {
        let report = try ExperimentReport.build(
            experiment: Self.experiment(minimum: 5), exposures: Self.exposures,
            events: try Self.events("engagement-small.jsonl"))
        #expect(report.control == "holdout")
        #expect(report.groups.map(\.name) == ["holdout", "urgency", "benefit"])
        let (holdout, urgency, benefit) = (report.groups[0], report.groups[1], report.groups[2])
        #expect(holdout.recipients == 10 && urgency.recipients == 10 && benefit.recipients == 10)
        // Opens: h1-h4; u1-u5 and u6 by its Message-ID; b1-b4 and b5 by its event id.
        #expect([holdout.opens, urgency.opens, benefit.opens] == [4, 6, 5] as [Int])
        #expect([holdout.clicks, urgency.clicks, benefit.clicks] == [1, 3, 2] as [Int])
        // u1 ordered twice: one conversion, both orders' revenue.
        #expect([holdout.conversions, urgency.conversions, benefit.conversions] == [2, 5, 3] as [Int])
        #expect(urgency.revenue == Decimal(210) && holdout.revenue == Decimal(80) && benefit.revenue == Decimal(60))
        #expect(urgency.revenueMean == 21 && holdout.revenueMean == 8)
        #expect(abs(urgency.revenueVariance - 610) < 1e-9 && abs(holdout.revenueVariance - 306.666_666_666_7) < 1e-6)
        #expect(report.unmatched == 1)
        #expect(report.currency == "USD")

        let conversion = try #require(
            report.comparisons.first { $0.group == "urgency" && $0.metric == .conversion })
        #expect(abs(conversion.difference - 0.3) < 1e-12)
        #expect(abs(conversion.lower - -0.106_672_465_3) < 1e-9 && abs(conversion.upper - 0.599_871_982_1) < 1e-9)
        #expect(abs(conversion.p - 0.159_598_942_4) < 1e-9)
        #expect(abs((conversion.relativeLift ?? 0) - 1.5) < 1e-12)
        let revenue = try #require(report.comparisons.first { $0.group == "urgency" && $0.metric == .revenue })
        // Welch: 13 ± 1.96 · sqrt(610/10 + 306.67/10).
        #expect(abs(revenue.difference - 13) < 1e-12)
        #expect(abs(revenue.lower - -5.765_226_490_2) < 1e-9 && abs(revenue.upper - 31.765_226_490_2) < 1e-9)
        #expect(abs(revenue.p - 0.174_525_340_6) < 1e-9)
        let benefitConversion = try #require(
            report.comparisons.first { $0.group == "benefit" && $0.metric == .conversion })
        #expect(abs(benefitConversion.lower - -0.264_614_167_2) < 1e-9)
        #expect(abs(benefitConversion.upper - 0.435_385_595_4) < 1e-9)
        // Two arms against the control: 0.05 / 2. p = 0.16 passes neither.
        #expect(report.alpha == 0.025)
        guard case .noWinner = report.verdict else {
            Issue.record("expected no winner, got \(report.verdict)")
            return
        }
        #expect(report.text().contains("urgency"))
        #expect(report.json().objectValue?["verdict"]?.objectValue?["winner"] == JSONValue.null)
    }

    @Test("CSV and JSON Lines of the same events give the same report")
    func csvMatchesJSONLines() throws {
        let fromCSV = try Self.events("engagement-small.csv")
        let fromLines = try Self.events("engagement-small.jsonl")
        #expect(fromCSV == fromLines)
        #expect(fromLines.count == 63)
    }

    @Test("Below the minimum no winner is called, however clear the difference")
    func refusesWinnerOnTooFewRecipients() throws {
        let (exposures, events) = Self.large(holdout: 30, urgency: 90, benefit: 33, size: 300)
        let report = try ExperimentReport.build(
            experiment: Self.experiment(minimum: 400), exposures: exposures, events: events)
        let urgency = try #require(report.comparisons.first { $0.group == "urgency" && $0.metric == .conversion })
        #expect(urgency.p < 1e-6)
        #expect(report.verdict == .insufficientSample(["holdout": 300, "urgency": 300, "benefit": 300]))
        #expect(report.verdictLine.hasPrefix("no winner called: too few recipients"))
        let suggestions = ExperimentSuggester.suggest(from: report)
        #expect(suggestions.first?.title == "Keep cart-subjects-1 running")
        #expect(suggestions.first?.proposal == nil)

        // The same figures with enough recipients required name the winner.
        let enough = try ExperimentReport.build(
            experiment: Self.experiment(minimum: 300), exposures: exposures, events: events)
        #expect(enough.verdict == .winner("urgency"))
        let next = try #require(ExperimentSuggester.suggest(from: enough).first)
        #expect(next.title.hasPrefix("Promote urgency and test it against"))
        #expect(next.proposal?.objectValue?["id"] == .string("cart-subjects-2"))
        // The proposal is itself a valid experiment.
        let proposed = try ExperimentSettings.parse(.array([try #require(next.proposal)]))
        #expect(proposed.experiments.first?.arms.first?.name == "urgency")
    }

    @Test("Two arms that beat the control but not each other give no single winner")
    func noSingleWinner() throws {
        let (exposures, events) = Self.large(holdout: 30, urgency: 75, benefit: 72, size: 300)
        let report = try ExperimentReport.build(
            experiment: Self.experiment(minimum: 200), exposures: exposures, events: events)
        guard case .noWinner(let why) = report.verdict else {
            Issue.record("expected no winner, got \(report.verdict)")
            return
        }
        #expect(why.contains("do not differ from each other"))
    }

    /// `size` customers a group with the given numbers of conversions (each order 10.00).
    static func large(holdout: Int, urgency: Int, benefit: Int, size: Int) -> (ExperimentExposures, [EngagementEvent]) {
        var exposures = ExperimentExposures(experimentID: "cart-subjects-1")
        var events: [EngagementEvent] = []
        for (group, conversions) in [("holdout", holdout), ("urgency", urgency), ("benefit", benefit)] {
            for index in 0..<size {
                exposures.groups["\(group)-\(index)"] = group
                if index < conversions {
                    events.append(EngagementEvent(kind: .order, customerID: "\(group)-\(index)", revenue: 10))
                }
            }
        }
        return (exposures, events)
    }

    /// A model that answers one fixed text and keeps the prompt it was given.
    final class FixedModel: LanguageModel, @unchecked Sendable {
        let name = "fixed-test-model"
        let text: String
        var prompts: [Prompt] = []
        init(_ text: String) { self.text = text }
        func respond(to request: DraftRequest) async throws -> ModelAnswer {
            prompts.append(request.prompt)
            return ModelAnswer(text: text)
        }
    }

    @Test("With a model, suggestions are its answer to the report's aggregates; a bad answer throws")
    func modelSuggestions() async throws {
        let report = try ExperimentReport.build(
            experiment: Self.experiment(minimum: 5), exposures: Self.exposures,
            events: try Self.events("engagement-small.jsonl"))
        let model = FixedModel(#"{"suggestions": [{"title": "Test benefit subjects", "rationale": "p = 0.16"}]}"#)
        let suggestions = try await ExperimentSuggester.suggest(from: report, model: model, brand: .northwind)
        #expect(suggestions.map(\.title) == ["Test benefit subjects"])
        let prompt = try #require(model.prompts.first)
        #expect(prompt.reference == "experiment_suggest@1")
        #expect(prompt.user.contains("\"recipients\":10"))
        // Aggregates only: no customer id of the experiment reaches the model.
        #expect(!prompt.user.contains("\"u1\"") && !prompt.user.contains("evt-b5"))
        await #expect(throws: (any Error).self) {
            _ = try await ExperimentSuggester.suggest(from: report, model: FixedModel("{}"), brand: .northwind)
        }
    }

    @Test("Mailchimp Transactional webhooks: open and click join by msg._id; bounces are skipped")
    func mandrillShapes() throws {
        let specs = TestPaths.specs.appendingPathComponent("mailchimp-transactional/webhook-examples")
        let open = try EngagementReader.read(Array(try Data(contentsOf: specs.appendingPathComponent("open.json"))))
        #expect(open == [EngagementEvent(kind: .open, messageID: "12847763.9a32184309ad4d5e9bfd20368d9d7981")])
        let click = try EngagementReader.read(Array(try Data(contentsOf: specs.appendingPathComponent("click.json"))))
        #expect(click.map(\.kind) == [.click])
        // The form body Mandrill posts, with Tidings's metadata.
        let form =
            "mandrill_events="
            + PercentEncoding.encode(
                #"[{"event":"open","msg":{"_id":"m1","metadata":{"event_id":"evt-b5"}}},{"event":"hard_bounce","msg":{"_id":"m2"}}]"#
            )
        let parsed = try EngagementReader.read(Array(form.utf8))
        #expect(parsed == [EngagementEvent(kind: .open, messageID: "m1", eventID: "evt-b5")])
        #expect(Self.exposures.customer(of: parsed[0]) == "b5")
    }

    @Test("Klaviyo webhooks: email topics and placed orders, joined by the event properties")
    func klaviyoShape() throws {
        let events = try Self.events("klaviyo-webhook.json")
        #expect(events.map(\.kind) == [.send, .open, .click, .order])
        #expect(events[1].eventID == "evt-u1" && events[1].messageID == "<u1@tidings>")
        #expect(events[3].customerID == "u1" && events[3].revenue == Decimal(string: "129.5"))
        #expect(Self.exposures.customer(of: events[2]) == nil)
    }

    @Test(
        "Bad engagement is refused, naming where",
        arguments: [
            (#"{"event": "open"}"#, "line 1"),
            (
                "{\"event\": \"open\", \"customer_id\": \"a\"}\n{\"event\": \"bounce\", \"customer_id\": \"a\"}",
                "line 2, event"
            ),
            ("event,customer_id,revenue\norder,a,12,5\norder,b,1e3", "line 3, revenue"),
            ("id,amount\n1,2", "line 1"),
        ])
    func refusesBadEngagement(_ text: String, location: String) {
        #expect {
            _ = try EngagementReader.read(Array(text.utf8))
        } throws: { error in
            (error as? EngagementError)?.location == location
        }
    }
}
