import Foundation
import Testing

@testable import TidingsCore

/// Experiments: configuration, deterministic assignment, subject rules, the strategies the
/// offline copywriter follows.
@Suite("Experiments: configuration and assignment")
struct ExperimentTests {
    static let experiment = Experiment(
        id: "cart-subjects-1", flow: .cartAbandoned,
        arms: [
            ExperimentArm(name: "urgency", weight: 1, strategy: .urgency, subjectRule: .first),
            ExperimentArm(name: "benefit", weight: 1, strategy: .benefit, subjectRule: .question),
        ],
        holdout: ExperimentHoldout(share: 0.1, treatment: .controlEmail), minimumRecipientsPerArm: 200)

    /// A malformed fixture fails its test with a syntax error instead of crashing the test process.
    static func parse(_ json: String) throws -> ExperimentSettings {
        try ExperimentSettings.parse(try JSONParser.parse(json))
    }

    @Test("A configured experiment reads with every member, and defaults where left out")
    func parsesConfiguration() throws {
        let settings = try Self.parse(
            #"""
            [{"id": "cart-subjects-1", "flow": "cartAbandoned",
              "arms": [{"name": "urgency", "weight": 2, "strategy": "urgency", "subject_rule": "shortest"},
                       {"name": "benefit", "strategy": "benefit"}],
              "holdout": {"share": 0.1, "treatment": "no_email"}}]
            """#)
        let experiment = try #require(settings.experiment(for: .cartAbandoned))
        #expect(experiment.id == "cart-subjects-1")
        #expect(experiment.arms.map(\.name) == ["urgency", "benefit"])
        #expect(experiment.arms.map(\.weight) == [2, 1])
        #expect(experiment.arms.map(\.subjectRule) == [.shortest, .first])
        #expect(experiment.arms.map(\.strategy) == [.urgency, .benefit])
        #expect(experiment.holdout == ExperimentHoldout(share: 0.1, treatment: .noEmail))
        #expect(experiment.minimumRecipientsPerArm == 200)
        #expect(settings.experiment(for: .winBack) == nil)
    }

    @Test(
        "Bad experiments are refused, naming the member",
        arguments: [
            (#"[{"id": "x", "flow": "cartAbandoned", "arms": [{"name": "a"}]}]"#, "$.experiments[0].arms"),
            (
                #"[{"id": "x", "flow": "cartAbandoned", "arms": [{"name": "a"}, {"name": "a"}]}]"#,
                "$.experiments[0].arms[1].name"
            ),
            (#"[{"id": "x", "flow": "cart", "arms": [{"name": "a"}, {"name": "b"}]}]"#, "$.experiments[0].flow"),
            (
                #"[{"id": "x y", "flow": "cartAbandoned", "arms": [{"name": "a"}, {"name": "b"}]}]"#,
                "$.experiments[0].id"
            ),
            (
                #"[{"id": "x", "flow": "cartAbandoned", "arms": [{"name": "a", "subject_rule": "loudest"}, {"name": "b"}]}]"#,
                "$.experiments[0].arms[0].subject_rule"
            ),
            (
                #"[{"id": "x", "flow": "cartAbandoned", "arms": [{"name": "a", "strategy": "fear"}, {"name": "b"}]}]"#,
                "$.experiments[0].arms[0].strategy"
            ),
            (
                #"[{"id": "x", "flow": "cartAbandoned", "arms": [{"name": "a", "weight": 0}, {"name": "b"}]}]"#,
                "$.experiments[0].arms[0].weight"
            ),
            (
                #"[{"id": "x", "flow": "cartAbandoned", "arms": [{"name": "a"}], "holdout": {"share": 1.5}}]"#,
                "$.experiments[0].holdout.share"
            ),
            (
                #"[{"id": "x", "flow": "cartAbandoned", "arms": [{"name": "a"}], "holdout": {"share": 0.1, "treatment": "silence"}}]"#,
                "$.experiments[0].holdout.treatment"
            ),
            (
                #"[{"id": "x", "flow": "cartAbandoned", "arms": [{"name": "holdout"}, {"name": "b"}]}]"#,
                "$.experiments[0].arms[0].name"
            ),
            (
                #"[{"id": "x", "flow": "cartAbandoned", "arms": [{"name": "a"}, {"name": "b"}], "min_recipients_per_arm": 0}]"#,
                "$.experiments[0].min_recipients_per_arm"
            ),
            (
                #"[{"id": "x", "flow": "cartAbandoned", "arms": [{"name": "a"}, {"name": "b"}], "colour": "red"}]"#,
                "$.experiments[0].colour"
            ),
            (
                #"[{"id": "x", "flow": "cartAbandoned", "arms": [{"name": "a"}, {"name": "b"}]}, {"id": "y", "flow": "cartAbandoned", "arms": [{"name": "a"}, {"name": "b"}]}]"#,
                "$.experiments[1].flow"
            ),
        ])
    func refusesBadExperiments(_ json: String, path: String) {
        #expect {
            _ = try Self.parse(json)
        } throws: { error in
            (error as? InputError)?.path == path
        }
    }

    @Test("The configuration file's experiments load, and a bad one stops start-up naming its key")
    func loadsFromConfigurationFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("experiments-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let good = folder.appendingPathComponent("good.json")
        try Data(
            #"{"experiments": [{"id": "e1", "flow": "winBack", "arms": [{"name": "a"}], "holdout": {"share": 0.2}}]}"#
                .utf8
        ).write(to: good)
        let environment = [
            "TIDINGS_DATA_DIR": folder.appendingPathComponent("data").path,
            "TIDINGS_SHOP_DIR": root.appendingPathComponent("Events/shop").path,
        ]
        let loaded = try Configuration.load(
            environment: environment.merging(["TIDINGS_CONFIG_FILE": good.path]) { $1 }, workingDirectory: root)
        #expect(loaded.experiments.experiment(for: .winBack)?.holdout?.treatment == .controlEmail)
        let bad = folder.appendingPathComponent("bad.json")
        try Data(
            #"{"experiments": [{"id": "e1", "flow": "winBack", "arms": [{"name": "a", "weight": -1}, {"name": "b"}]}]}"#
                .utf8
        ).write(to: bad)
        #expect {
            _ = try Configuration.load(
                environment: environment.merging(["TIDINGS_CONFIG_FILE": bad.path]) { $1 }, workingDirectory: root)
        } throws: { error in
            (error as? ConfigurationError)?.key == "experiments[0].arms[0].weight"
        }
    }

    @Test("The same experiment and customer give the same group every time; another experiment id reshuffles")
    func assignmentIsDeterministic() {
        let ids = (0..<2_000).map { "cust-\($0)" }
        let first = ids.map { Self.experiment.assign(unitKey: $0).group }
        let second = ids.map { Self.experiment.assign(unitKey: $0).group }
        #expect(first == second)
        // Pinned: SHA-256 is the same on every machine, so these never change.
        #expect(Experiment.position(experimentID: "cart-subjects-1", unitKey: "8100000001") == Self.pinnedPosition)
        var renamed = Self.experiment
        renamed.id = "cart-subjects-2"
        let moved = zip(ids.map { renamed.assign(unitKey: $0).group }, first).filter { $0 != $1 }.count
        // Independent draws over three groups (10/45/45 %) differ about 59 % of the time.
        #expect(moved > 1_000)
    }

    /// The position of customer 8100000001 in cart-subjects-1: the first 53 bits of
    /// SHA-256("cart-subjects-1\0" + "8100000001") over 2^53, computed with Python's hashlib.
    static let pinnedPosition = 0.09887389751138154

    @Test("Over many customers the holdout's share and the arms' weights come out as configured")
    func sharesFollowConfiguration() {
        var weighted = Self.experiment
        weighted.arms[0].weight = 3
        var counts: [String: Int] = [:]
        let total = 40_000
        for index in 0..<total { counts[weighted.assign(unitKey: "guest:\(index)").group, default: 0] += 1 }
        let holdout = Double(counts["holdout"] ?? 0) / Double(total)
        // 0.1 ± 0.0075: more than 5 standard deviations (0.0015) of a binomial share at n = 40000.
        #expect(abs(holdout - 0.1) < 0.0075)
        let urgency = Double(counts["urgency"] ?? 0) / Double(total - (counts["holdout"] ?? 0))
        #expect(abs(urgency - 0.75) < 0.012)
    }

    @Test("Each subject rule picks the option it says")
    func subjectRules() {
        let subjects = [
            "River, your Basecamp 2 Tent is still in your cart", "Still thinking about the tent?", "Tent saved",
            "Which size is right for you?",
        ]
        #expect(SubjectRule.first.choose(subjects, firstName: "River") == subjects[0])
        #expect(SubjectRule.shortest.choose(subjects, firstName: "River") == "Tent saved")
        #expect(SubjectRule.longest.choose(subjects, firstName: "River") == subjects[0])
        #expect(SubjectRule.question.choose(subjects, firstName: "River") == "Still thinking about the tent?")
        #expect(SubjectRule.personal.choose(Array(subjects.reversed()), firstName: "River") == subjects[0])
        // No question and no name: the first.
        #expect(SubjectRule.question.choose(["A", "B", "C"], firstName: nil) == "A")
        #expect(SubjectRule.personal.choose(["A", "B", "C"], firstName: nil) == "A")
    }

    @Test("The offline copywriter writes each strategy its own way: subject and opening differ by arm")
    func copywriterFollowsStrategy() throws {
        let cart = StageFixtures.cart([StageFixtures.item("boot")])
        let event = StageFixtures.event(cart: cart)
        var context = PromptContext(
            eventID: event.id, flow: .cartAbandoned, brand: .northwind, profile: StageFixtures.profile(), cart: cart,
            insights: Insights(
                hypothesis: AbandonmentHypothesis(kind: .distracted, strength: 1, evidence: []),
                signals: [AbandonmentHypothesis(kind: .distracted, strength: 1, evidence: [])], recommendations: []),
            offer: nil, subjectMaxLength: 60, now: StageFixtures.now)
        let writer = OfflineCopywriter()
        let plain = writer.write(context)
        context.experiment = PromptContext.ExperimentBrief(.urgency)
        let urgency = writer.write(context)
        context.experiment = PromptContext.ExperimentBrief(.benefit)
        let benefit = writer.write(context)
        #expect(urgency.subjects[0].hasSuffix("is not reserved"))
        #expect(benefit.subjects[0].hasPrefix("What the "))
        #expect(plain.subjects[0] != urgency.subjects[0] && urgency.subjects[0] != benefit.subjects[0])
        #expect(urgency.blocks[1].text.contains("does not hold stock"))
        #expect(benefit.blocks[1].text.hasPrefix("Why it is worth it"))
        #expect(plain.blocks.count + 1 == urgency.blocks.count)
        // Every subject still fits, and the validator passes the strategies' copy.
        for draft in [urgency, benefit] {
            #expect(draft.subjects.allSatisfy { $0.count <= 60 } && (3...5).contains(draft.subjects.count))
            let findings = DraftValidator(policy: ContentPolicy(), brand: .northwind).validate(
                draft.resolvingCheckoutLink("https://northwind.example/cart"),
                facts: DraftValidator.Facts(
                    catalog: StageFixtures.catalog, offer: nil, tier: "regular", firstName: "Casey", personalData: [],
                    cartTitles: cart.items.map(\.title), lines: cart.items))
            #expect(!findings.items.contains { $0.severity == .error }, "\(findings.items)")
        }
        // The prompt carries the strategy; without one the context encodes as before.
        let prompt = try PromptLibrary().prompt("cart_abandoned", context: context)
        #expect(prompt.user.contains("\"strategy\" : \"benefit\""))
        context.experiment = nil
        #expect(!(try PromptLibrary().prompt("cart_abandoned", context: context)).user.contains("experiment"))
    }
}
