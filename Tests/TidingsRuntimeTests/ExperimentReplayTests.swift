import Foundation
import Testing
import TidingsCore
import TidingsDevKit

@testable import TidingsRuntime

/// Experiments on the recorded events, end to end: the same events replayed twice give every
/// customer the same arm, a `no_email` holdout ends events `held_out`, the subject sent follows
/// the arm's rule, and the report reads the arms back from the audit.
@Suite("Experiments on replayed events")
struct ExperimentReplayTests {
    static func experiment(
        arms: [ExperimentArm] = [
            ExperimentArm(name: "urgency", strategy: .urgency, subjectRule: .first),
            ExperimentArm(name: "benefit", strategy: .benefit, subjectRule: .shortest),
        ], holdout: ExperimentHoldout? = ExperimentHoldout(share: 0.2, treatment: .controlEmail)
    ) -> Experiment {
        Experiment(
            id: "cart-subjects-1", flow: .cartAbandoned, arms: arms, holdout: holdout, minimumRecipientsPerArm: 2)
    }

    /// Replays every recorded cart event into `scratch` under `experiment`.
    static func replay(_ experiment: Experiment, into scratch: URL) async throws -> [Replayer.Result] {
        var configuration = try RuntimeTestSupport.configuration(dataDirectory: scratch)
        configuration.experiments = ExperimentSettings(experiments: [experiment])
        let files = try Replayer.eventFiles([RuntimeTestSupport.cartEvents.path])
        return try await Replayer(configuration: configuration, logger: RuntimeTestSupport.quietLogger).replay(files)
    }

    /// Every `experiment` record in an audit: event id -> (customer, arm).
    static func assignments(_ scratch: URL) throws -> [String: [String]] {
        var found: [String: [String]] = [:]
        let audit = scratch.appendingPathComponent("audit")
        for day in try FileManager.default.contentsOfDirectory(atPath: audit.path) {
            let folder = audit.appendingPathComponent(day)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue
            else { continue }
            for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) where file.hasSuffix(".jsonl")
            {
                let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
                for line in text.split(separator: "\n") {
                    guard case .object(let record) = try JSONParser.parse(String(line)),
                        record["stage"]?.stringValue == "experiment", let facts = record["facts"]?.objectValue
                    else { continue }
                    found[record["event_id"]?.stringValue ?? ""] = [
                        facts["customer_id"]?.stringValue ?? "", facts["arm"]?.stringValue ?? "",
                    ]
                }
            }
        }
        return found
    }

    @Test("Replaying the same events twice gives every customer the same arm, the one the hash names")
    func sameArmsOnReplay() async throws {
        let experiment = Self.experiment()
        let (first, firstOutcomes) = try await withScratch { scratch in
            let results = try await Self.replay(experiment, into: scratch)
            return (try Self.assignments(scratch), results.map(\.report.outcome))
        }
        let (second, secondOutcomes) = try await withScratch { scratch in
            let results = try await Self.replay(experiment, into: scratch)
            return (try Self.assignments(scratch), results.map(\.report.outcome))
        }
        // Every cart email written was assigned: the recorded cart events that end sent or in review.
        #expect(first.count >= 8)
        #expect(first == second)
        #expect(firstOutcomes == secondOutcomes)
        for (_, pair) in first {
            #expect(experiment.assign(unitKey: pair[0]).group == pair[1])
        }
        // A guest is assigned by the hash of their address, never by the address.
        #expect(first.values.contains { $0[0].hasPrefix("guest:") })
        #expect(!first.values.contains { $0[0].contains("@") })
    }

    @Test("A no_email holdout ends its events held_out: nothing sent, the audit verifies, a redelivery is a duplicate")
    func noEmailHoldout() async throws {
        let experiment = Self.experiment(
            arms: [ExperimentArm(name: "urgency", strategy: .urgency)],
            holdout: ExperimentHoldout(share: 0.9, treatment: .noEmail))
        try await withScratch { scratch in
            let results = try await Self.replay(experiment, into: scratch)
            let heldOut = results.filter { $0.report.outcome == .heldOut }
            let assignments = try Self.assignments(scratch)
            let expected = assignments.filter { experiment.assign(unitKey: $0.value[0]).group == "holdout" }
            #expect(!heldOut.isEmpty)
            #expect(Set(heldOut.map(\.report.eventID)) == Set(expected.keys))
            for result in heldOut {
                #expect(result.report.messages == nil && result.report.subject == nil)
                #expect(result.report.reason?.hasPrefix("held_out: experiment cart-subjects-1") == true)
                #expect(ExitStatus(result.report) == .handled)
                #expect(InvocationAnswer.httpStatus(result.report) == 200)
                #expect(!InvocationAnswer.wantsRetry(result.report))
            }
            // The first-time buyer's redelivery finds its event handled, held out or not.
            let redelivery = results.first { $0.file.lastPathComponent == "shopify-first-time-buyer.redelivery.json" }
            #expect(redelivery?.report.outcome == .duplicate)
            let outbox = scratch.appendingPathComponent("outbox")
            let written = (try? FileManager.default.contentsOfDirectory(atPath: outbox.path))?.filter {
                $0.hasSuffix(".eml")
            }
            #expect((written?.count ?? 0) == results.filter { $0.report.outcome == .sent }.count)
            let verified = try AuditVerifier(root: scratch.appendingPathComponent("audit")).verify()
            #expect(verified.passed, "\(verified.problems)")
        }
    }

    @Test("The subject sent is the one the arm's rule picks among the draft's options")
    func subjectRuleDecidesSubject() async throws {
        let experiment = Self.experiment(
            arms: [
                ExperimentArm(name: "short", subjectRule: .shortest),
                ExperimentArm(name: "long", subjectRule: .longest),
            ], holdout: nil)
        try await withScratch { scratch in
            let results = try await Self.replay(experiment, into: scratch)
            let assignments = try Self.assignments(scratch)
            var checked = Set<String>()
            for result in results where result.report.outcome == .sent || result.report.outcome == .queuedForReview {
                guard let arm = assignments[result.report.eventID]?[1] else { continue }
                let story = try AuditStory.read(
                    root: scratch.appendingPathComponent("audit"), eventID: result.report.eventID)
                let generate = try #require(story.records.last { $0.stage == "generate" })
                let address = try #require(generate.facts[ContentReference.draft.rawValue]?.stringValue)
                let draft = try JSONDecoder().decode(Draft.self, from: Data(try #require(story.content[address])))
                let rule: SubjectRule = arm == "short" ? .shortest : .longest
                #expect(result.report.subject == rule.choose(draft.subjects, firstName: nil))
                #expect(draft.subjects.count >= 3)
                checked.insert(arm)
            }
            // Both rules were seen at work.
            #expect(checked == ["short", "long"])
        }
    }

    @Test("The report reads the arms back from the audit and joins engagement by customer and event id")
    func reportFromAudit() async throws {
        let experiment = Self.experiment()
        try await withScratch { scratch in
            _ = try await Self.replay(experiment, into: scratch)
            let audit = scratch.appendingPathComponent("audit")
            let exposures = try ExperimentExposures.read(auditRoot: audit, experimentID: experiment.id)
            let assignments = try Self.assignments(scratch)
            #expect(exposures.groups.count == Set(assignments.values.map { $0[0] }).count)
            // One open per exposed customer, by event id; one order for the first by customer id.
            var events = assignments.keys.sorted().map { EngagementEvent(kind: .open, eventID: $0) }
            let firstCustomer = try #require(exposures.groups.keys.sorted().first)
            events.append(EngagementEvent(kind: .order, customerID: firstCustomer, revenue: 25))
            let report = try ExperimentReport.build(experiment: experiment, exposures: exposures, events: events)
            #expect(report.groups.reduce(0) { $0 + $1.recipients } == exposures.groups.count)
            #expect(report.groups.allSatisfy { $0.opens == $0.recipients })
            #expect(report.groups.reduce(0) { $0 + $1.conversions } == 1)
            #expect(report.unmatched == 0)
        }
    }
}
