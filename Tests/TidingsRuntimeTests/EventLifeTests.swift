import Foundation
import Testing
import TidingsDevKit

@testable import TidingsCore
@testable import TidingsRuntime

/// The life of an event as its audit shows it: `Run.execute` writes the records in DESIGN order
/// (normalize, guards, enrich, insights, then prompt to deliver per message, then one outcome),
/// and a cancellation stops its series before any guard decides.
@Suite("One event, start to end")
struct EventLifeTests {
    static let events = RuntimeTestSupport.root.appendingPathComponent("Events")

    /// Replays `names` (paths under Events/) in one data folder and returns each event's stages in
    /// the order they were written.
    func stages(_ names: [String]) async throws -> [[String]] {
        try await withScratch { scratch in
            let configuration = try RuntimeTestSupport.configuration(dataDirectory: scratch)
            let files = names.map { Self.events.appendingPathComponent($0) }
            let results = try await Replayer(configuration: configuration, logger: RuntimeTestSupport.quietLogger)
                .replay(files)
            var byEvent: [String: [(seq: String, stage: String)]] = [:]
            let audit = scratch.appendingPathComponent("audit")
            let enumerator = FileManager.default.enumerator(atPath: audit.path)
            while let path = enumerator?.nextObject() as? String {
                guard path.hasSuffix(".jsonl") else { continue }
                let text = try String(contentsOf: audit.appendingPathComponent(path), encoding: .utf8)
                for (index, line) in text.split(separator: "\n").enumerated() {
                    let record = try #require(
                        try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                    let id = try #require(record["event_id"] as? String)
                    let stage = try #require(record["stage"] as? String)
                    // One writer file per replay keeps the order of lines the order of writes.
                    byEvent[id, default: []].append((path + String(format: "%08d", index), stage))
                }
            }
            return try files.map { file in
                let report = try #require(results.first { $0.file == file }?.report)
                return (byEvent[report.eventID] ?? []).sorted { $0.seq < $1.seq }.map(\.stage)
            }
        }
    }

    @Test("A cart that is written to: normalize, enrich, insights, the back half, one outcome")
    func cartSent() async throws {
        let life = try await stages(["cartAbandoned/shopify-first-time-buyer.json"])
        #expect(
            life == [
                ["normalize", "enrich", "insights", "prompt", "generate", "validate", "render", "deliver", "outcome"]
            ])
    }

    @Test("A series is written and checked whole before any message is handed over")
    func orderSeries() async throws {
        let life = try await stages(["orderCreated/shopify-repeat-customer.json"])
        let backHalf = Array(repeating: ["prompt", "generate", "validate", "render"], count: 4).flatMap { $0 }
        #expect(
            life == [
                ["normalize", "enrich", "insights"] + backHalf + Array(repeating: "deliver", count: 4) + ["outcome"]
            ]
        )
    }

    @Test(
        "A cancellation marks its order and stops its series before any guard; a status that is not one does neither"
    )
    func cancellationStopsSeriesFirst() async throws {
        let life = try await stages([
            "orderCreated/shopify-repeat-customer.json", "orderCancelled/shopify-customer-cancelled-after-series.json",
            "orderCancelled/shopify-fraud.json", "orderCancelled/bigcommerce-status-shipped.json",
        ])
        #expect(life.count == 4)
        #expect(
            life[1] == [
                "normalize", "tombstone", "series", "enrich", "insights", "prompt", "generate", "validate", "render",
                "review", "outcome",
            ])
        #expect(life[2] == ["normalize", "tombstone", "series", "guards", "outcome"])
        #expect(life[3] == ["normalize", "guards", "outcome"])
    }
}
