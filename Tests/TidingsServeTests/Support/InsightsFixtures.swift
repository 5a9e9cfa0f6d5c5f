import Foundation
import TidingsCore

/// Paths and hand-written audits for the insights pages' tests.
enum InsightsFixtures {
    /// The repository's root, from this file's place in it.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let experimentFixtures = root.appendingPathComponent("Tests/Fixtures/experiments")

    /// The experiment of Tests/Fixtures/experiments/engagement-small.*: two arms and a 10 % holdout.
    static func experiment(
        minimum: Int = 5, treatment: ExperimentHoldout.Treatment = .controlEmail
    ) -> Experiment {
        Experiment(
            id: "cart-subjects-1", flow: .cartAbandoned,
            arms: [
                ExperimentArm(name: "urgency", strategy: .urgency),
                ExperimentArm(name: "benefit", strategy: .benefit, subjectRule: .question),
            ],
            holdout: ExperimentHoldout(share: 0.1, treatment: treatment), minimumRecipientsPerArm: minimum)
    }

    /// Ten customers a group, as the small engagement fixture names them (h1…h10 held out,
    /// u1…u10 urgency, b1…b10 benefit); u6's message and b5's event are known by their ids too.
    static let exposures: ExperimentExposures = {
        var exposures = ExperimentExposures(experimentID: "cart-subjects-1")
        for (prefix, group) in [("h", "holdout"), ("u", "urgency"), ("b", "benefit")] {
            for index in 1...10 { exposures.groups["\(prefix)\(index)"] = group }
        }
        exposures.customerOfKey["<u6@tidings>"] = "u6"
        exposures.customerOfKey["evt-b5"] = "b5"
        return exposures
    }()

    static func engagement() throws -> [EngagementEvent] {
        try EngagementReader.read(
            Array(try Data(contentsOf: experimentFixtures.appendingPathComponent("engagement-small.jsonl"))))
    }

    /// Writes audit records (each a JSON object) as one day's file under `root`.
    static func writeAudit(_ records: [JSONValue], day: String = "2026-11-21", under root: URL) throws {
        let folder = root.appendingPathComponent(day)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var bytes: [UInt8] = []
        for record in records { bytes += CanonicalJSON.bytes(record) + [10] }
        try Data(bytes).write(to: folder.appendingPathComponent("test.jsonl"))
    }

    /// Thirty sent cart emails of experiment cart-subjects-1: customers h1-h10 held out, u1-u10 on
    /// the urgency arm, b1-b10 on the benefit arm, each an `experiment` and a `sent` outcome record.
    static func experimentAudit() -> [JSONValue] {
        var records: [JSONValue] = []
        for (prefix, group) in [("h", "holdout"), ("u", "urgency"), ("b", "benefit")] {
            for index in 1...10 {
                let event = "evt-\(prefix)\(index)"
                records.append(
                    record(
                        "2026-11-21T17:00:00Z", event, "experiment",
                        facts: [
                            "experiment": .string("cart-subjects-1"), "customer_id": .string("\(prefix)\(index)"),
                            "arm": .string(group),
                        ]))
                records.append(record("2026-11-21T17:00:01Z", event, "outcome", outcome: "sent"))
            }
        }
        return records
    }

    /// One audit record as the pipeline writes it (the fields the readers use).
    static func record(
        _ time: String, _ eventID: String, _ stage: String, outcome: String? = nil,
        facts: [String: JSONValue] = [:], function: String = "cartAbandoned"
    ) -> JSONValue {
        var fields: [String: JSONValue] = [
            "time": .string(time), "event_id": .string(eventID), "stage": .string(stage),
            "function": .string(function), "correlation_id": .string("c-" + eventID), "facts": .object(facts),
        ]
        if let outcome { fields["outcome"] = .string(outcome) }
        return .object(fields)
    }

    /// A scratch folder for one test, removed afterwards.
    static func withScratch<T>(_ body: (URL) async throws -> T) async throws -> T {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("insights-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        return try await body(folder)
    }
}
