import Foundation
import Testing
import TidingsDevKit

@testable import TidingsCore
@testable import TidingsRuntime

/// A transactional message (an order's confirmation and follow-ups) is never silently dropped: when
/// no writer's draft passes, the fixed notice goes out, and when even that cannot pass, a person
/// decides. The audit says which.
@Suite("Transactional messages are never dropped")
struct TransactionalFallbackTests {
    static let order = RuntimeTestSupport.root.appendingPathComponent(
        "Events/orderCreated/shopify-repeat-customer.json")

    /// Replays the recorded repeat-customer order under extra banned phrases; returns its report and
    /// its audit records.
    func replay(banning phrases: [String], in scratch: URL) async throws -> (OutcomeReport, [Record]) {
        let configFile = scratch.appendingPathComponent("tidings.json")
        let config = ["policy": ["banned_phrases": ContentPolicy().bannedPhrases + phrases]]
        try JSONSerialization.data(withJSONObject: config).write(to: configFile)
        let configuration = try RuntimeTestSupport.configuration(
            dataDirectory: scratch.appendingPathComponent("data"),
            extra: RuntimeTestSupport.webhookSecrets.merging(["TIDINGS_CONFIG_FILE": configFile.path]) { $1 })
        let results = try await Replayer(configuration: configuration, logger: RuntimeTestSupport.quietLogger)
            .replay([Self.order])
        let report = try #require(results.first?.report)
        var records: [Record] = []
        let audit = scratch.appendingPathComponent("data/audit")
        for file in FileManager.default.enumerator(atPath: audit.path)?.compactMap({ $0 as? String }) ?? []
        where file.hasSuffix(".jsonl") {
            let text = try String(contentsOf: audit.appendingPathComponent(file), encoding: .utf8)
            records += try text.split(separator: "\n").map {
                let object = try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
                let facts = object["facts"] as? [String: Any] ?? [:]
                return Record(
                    stage: object["stage"] as? String ?? "", step: facts["step"] as? String,
                    writer: facts["writer"] as? String, decision: facts["decision"] as? String)
            }
        }
        return (report, records)
    }

    /// The parts of an audit record these tests read.
    struct Record {
        var stage: String
        var step: String?
        var writer: String?
        var decision: String?
    }

    func validations(_ records: [Record], step: String) -> [(writer: String, decision: String)] {
        records.filter { $0.stage == "validate" && $0.step == step }.map { ($0.writer ?? "", $0.decision ?? "") }
    }

    @Test("A thank-you the copywriter cannot write within the rules goes out as the fixed notice")
    func fixedNoticeGoesOut() async throws {
        try await withScratch { scratch in
            // The copywriter's thank-you says when the order "should reach you"; the notice does not.
            let (report, records) = try await replay(banning: ["should reach you"], in: scratch)
            #expect(report.outcome == .sent)
            #expect(report.messages?.count == 4)
            let thankYou = validations(records, step: "thank_you")
            #expect(thankYou.map(\.writer) == ["offline-copywriter", "fixed-transactional"])
            #expect(thankYou.map(\.decision) == ["reject", "send"])
            #expect(!records.contains { $0.stage == "dropped" })
        }
    }

    @Test(
        "When even the notice cannot pass, transactional steps wait for a person; the marketing step is dropped")
    func heldForAPerson() async throws {
        try await withScratch { scratch in
            // Every writer signs with the brand's name.
            let (report, records) = try await replay(banning: ["northwind outfitters"], in: scratch)
            #expect(report.outcome == .queuedForReview)
            #expect(report.reason?.contains("transactional message held for a person") == true)
            for step in ["thank_you", "getting_started", "review_request"] {
                let attempts = validations(records, step: step)
                #expect(attempts.last?.writer == "fixed-transactional", "\(step)")
                #expect(attempts.last?.decision == "review", "\(step)")
            }
            #expect(records.filter { $0.stage == "dropped" }.map(\.step) == ["recommendations"])
            let review = scratch.appendingPathComponent("data/review")
            let items = try FileManager.default.contentsOfDirectory(atPath: review.path).filter {
                $0.hasSuffix(".json")
            }
            #expect(items.count == 3)
        }
    }
}

/// Product names that contain a banned phrase are the catalog's names, not the brand's claims: the
/// copywriter's own draft naming them goes out (it used to end `failed`, exit 70).
@Suite("Quoted product names end to end")
struct QuotedNamesEndToEndTests {
    @Test("A cart of a 'Guaranteed Dry Rain Jacket' and a 'Last Chance Trail Runner' is written to")
    func bannedPhraseInTitles() async throws {
        try await withScratch { scratch in
            let brief = RuntimeTestSupport.root.appendingPathComponent(
                "Events/cartAbandoned/canonical-brief-example.json")
            let text = try String(contentsOf: brief, encoding: .utf8)
                .replacingOccurrences(of: "Organic Cotton T-Shirt", with: "Guaranteed Dry Rain Jacket")
                .replacingOccurrences(of: "Reusable Water Bottle", with: "Last Chance Trail Runner")
            let event = scratch.appendingPathComponent("cartAbandoned/quoted.json")
            try FileManager.default.createDirectory(
                at: event.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: event)
            let configuration = try RuntimeTestSupport.configuration(
                dataDirectory: scratch.appendingPathComponent("data"))
            let results = try await Replayer(configuration: configuration, logger: RuntimeTestSupport.quietLogger)
                .replay([event])
            let report = try #require(results.first?.report)
            #expect(report.outcome == .sent, "\(report.reason ?? "")")
            #expect(report.subject?.contains("Guaranteed Dry Rain Jacket") == true)
        }
    }
}
