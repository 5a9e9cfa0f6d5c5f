import Foundation
import Testing
import TidingsCore
import TidingsDevKit

@testable import TidingsRuntime

/// End to end on the embedded defaults: every recorded event through the real stages, against a
/// golden file of outcomes, reasons and subjects. Set TIDINGS_UPDATE_GOLDEN=1 to rewrite it after
/// a deliberate change, and read the diff.
@Suite("Replay of the recorded events")
struct ReplayGoldenTests {
    struct Golden: Codable, Equatable {
        var outcome: String
        var reason: String?
        var retryable: Bool?
        var subject: String?
        /// How many messages the event left (a series has several); nil when none.
        var messages: Int?
    }

    /// Each golden file and the Events/ folders replayed together for it (the order flows share one
    /// replay: a cancellation stops the series its order planned).
    static let goldenSets: [(golden: String, folders: [String])] = [
        ("golden-cartAbandoned.json", ["cartAbandoned"]),
        ("golden-orders.json", ["orderCreated", "orderCancelled"]),
    ]

    @Test("Every recorded event ends as the golden file says", arguments: goldenSets.indices)
    func golden(_ set: Int) async throws {
        let (goldenName, folders) = Self.goldenSets[set]
        let goldenFile = RuntimeTestSupport.root.appendingPathComponent("Tests/Fixtures/\(goldenName)")
        let events = RuntimeTestSupport.root.appendingPathComponent("Events")
        try await withScratch { scratch in
            let configuration = try RuntimeTestSupport.configuration(dataDirectory: scratch)
            let files = try Replayer.eventFiles(folders.map { events.appendingPathComponent($0).path })
            let results = try await Replayer(configuration: configuration, logger: RuntimeTestSupport.quietLogger)
                .replay(files)
            var actual: [String: Golden] = [:]
            for result in results {
                var name = result.file.path.replacingOccurrences(of: events.path + "/", with: "")
                // The cart golden file predates the order flows and names files within their folder.
                if folders.count == 1 { name = name.replacingOccurrences(of: folders[0] + "/", with: "") }
                // An SQS batch gives one result per record.
                name += result.part.map { "#\($0)" } ?? ""
                let report = result.report
                // Reasons keep their code; the wording after it may be improved freely.
                let code = report.reason.map { String($0.prefix { $0 != ":" }) }
                actual[name] = Golden(
                    outcome: report.outcome.rawValue, reason: code, retryable: report.retryable,
                    subject: report.subject,
                    messages: report.messages?.count)
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            if ProcessInfo.processInfo.environment["TIDINGS_UPDATE_GOLDEN"] == "1" {
                try (encoder.encode(actual) + Data("\n".utf8)).write(to: goldenFile)
            }
            let expected = try JSONDecoder().decode([String: Golden].self, from: Data(contentsOf: goldenFile))
            #expect(Set(actual.keys) == Set(expected.keys))
            for (name, golden) in expected.sorted(by: { $0.key < $1.key }) {
                #expect(actual[name] == golden, "\(name)")
            }
        }
    }

    @Test("A sent cart leaves one .eml naming the item and the first name, with both parts and unsubscribe headers")
    func sentEmail() async throws {
        try await withScratch { scratch in
            let configuration = try RuntimeTestSupport.configuration(dataDirectory: scratch)
            let file = RuntimeTestSupport.cartEvents.appendingPathComponent("shopify-first-time-buyer.json")
            let results = try await Replayer(configuration: configuration, logger: RuntimeTestSupport.quietLogger)
                .replay([file])
            #expect(results.first?.report.outcome == .sent)
            let outbox = scratch.appendingPathComponent("outbox")
            let emails = try FileManager.default.contentsOfDirectory(atPath: outbox.path).filter {
                $0.hasSuffix(".eml")
            }
            #expect(emails.count == 1)
            let eml = try String(contentsOf: outbox.appendingPathComponent(emails[0]), encoding: .utf8)
            #expect(eml.contains("Subject: Maya, still thinking about the Summit Softshell Jacket?"))
            #expect(eml.contains("To: Maya <maya.okafor@"))
            #expect(eml.contains("List-Unsubscribe: <https://northwind.example/email/unsubscribe?c=6100000001&t="))
            #expect(eml.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"))
            #expect(eml.contains("Content-Type: text/plain; charset=utf-8"))
            #expect(eml.contains("Content-Type: text/html; charset=utf-8"))
            #expect(eml.contains("\r\n"))

            // The audit chain is intact and ends this event with exactly one terminal record.
            let report = try AuditVerifier(root: scratch.appendingPathComponent("audit")).verify()
            #expect(report.passed)
            let lines = try Self.auditLines(scratch)
            let terminal = lines.filter { $0.contains("\"stage\":\"outcome\"") }
            #expect(terminal.count == 1)
            #expect(terminal.first?.contains("\"outcome\":\"sent\"") == true)
            #expect(lines.last == terminal.first)
            // The address is in no record: the delivery record names it by its hash (PrivacyTests).
            #expect(!lines.contains { $0.contains("maya.okafor@") })
            #expect(lines.filter { $0.contains("\"to_hash\":") }.allSatisfy { $0.contains("\"stage\":\"deliver\"") })
        }
    }

    @Test(
        "Each invalid event is kept byte for byte in the dead-letter folder with a terminal audit record",
        arguments: ["cartAbandoned", "orderCreated", "orderCancelled"])
    func deadLetters(_ flow: String) async throws {
        try await withScratch { scratch in
            let configuration = try RuntimeTestSupport.configuration(dataDirectory: scratch)
            let folder = RuntimeTestSupport.root.appendingPathComponent("Events/\(flow)/invalid")
            let files = try Replayer.eventFiles([folder.path])
            let results = try await Replayer(configuration: configuration, logger: RuntimeTestSupport.quietLogger)
                .replay(files)
            #expect(results.allSatisfy { $0.report.outcome == .rejectedInput })
            let kept = try FileManager.default.contentsOfDirectory(
                atPath: scratch.appendingPathComponent("dead-letter").path
            )
            .filter { $0.hasSuffix(".json") }
            #expect(kept.count == files.count)
            let keptBodies = try Set(
                kept.map { try Data(contentsOf: scratch.appendingPathComponent("dead-letter/\($0)")) })
            for file in files { #expect(keptBodies.contains(try Data(contentsOf: file)), "\(file.lastPathComponent)") }
            let terminal = try Self.auditLines(scratch).filter { $0.contains("\"outcome\":\"rejected_input\"") }
            #expect(terminal.count == files.count)
        }
    }

    @Test("Every handling ends with exactly one terminal record, its last, and the chain verifies")
    func oneTerminalRecordPerEvent() async throws {
        try await withScratch { scratch in
            let configuration = try RuntimeTestSupport.configuration(dataDirectory: scratch)
            let files = try Replayer.eventFiles([RuntimeTestSupport.root.appendingPathComponent("Events").path])
            let results = try await Replayer(configuration: configuration, logger: RuntimeTestSupport.quietLogger)
                .replay(files)
            // One handling is one correlation id (a redelivery shares the event id, not the correlation).
            var byHandling: [String: [[String: JSONValue]]] = [:]
            for line in try Self.auditLines(scratch) {
                let record = try JSONParser.parse(line).objectValue ?? [:]
                byHandling[record["correlation_id"]?.stringValue ?? "", default: []].append(record)
            }
            #expect(byHandling.count == results.count)
            // A win-back scan's handling also ends each selected customer's child event: one terminal
            // record per event of the handling.
            for (correlation, handling) in byHandling {
                let events = Dictionary(grouping: handling) { $0["event_id"]?.stringValue ?? "" }
                for (event, records) in events {
                    let terminal = records.filter { $0["outcome"] != nil }
                    #expect(terminal.count == 1, "\(correlation) \(event) has \(terminal.count) terminal records")
                    #expect(records.last?["stage"] == "outcome", "\(correlation) \(event) does not end in its outcome")
                }
            }
            #expect(try AuditVerifier(root: scratch.appendingPathComponent("audit")).verify().passed)
        }
    }

    static func auditLines(_ scratch: URL) throws -> [String] {
        let root = scratch.appendingPathComponent("audit")
        var lines: [(String, String)] = []
        let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
        while let file = enumerator?.nextObject() as? URL {
            guard file.pathExtension == "jsonl" else { continue }
            let text = try String(contentsOf: file, encoding: .utf8)
            for line in text.split(separator: "\n") {
                let time = line.range(of: "\"time\":\"").map { String(line[$0.upperBound...].prefix(24)) } ?? ""
                lines.append((time, String(line)))
            }
        }
        return lines.sorted { $0.0 < $1.0 }.map(\.1)
    }
}
