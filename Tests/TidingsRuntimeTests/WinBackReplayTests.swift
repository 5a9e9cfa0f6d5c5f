import Foundation
import Testing
import TidingsCore
import TidingsDevKit

@testable import TidingsRuntime

/// winBack end to end on the embedded defaults: the recorded events under Events/winBack over the
/// synthetic customer base in Events/winBack/shop.
@Suite("winBack replay")
struct WinBackReplayTests {
    static let events = RuntimeTestSupport.root.appendingPathComponent("Events/winBack")

    @Test("A scan selects with reasons, writes each selected customer once, and audits every decision")
    func scanAndLapsedEvents() async throws {
        try await withScratch { scratch in
            let configuration = try RuntimeTestSupport.configuration(dataDirectory: scratch)
            let files = try Replayer.eventFiles([Self.events.path])
            let results = try await Replayer(configuration: configuration, logger: RuntimeTestSupport.quietLogger)
                .replay(files)
            func report(_ name: String) -> OutcomeReport? {
                results.first { $0.file.lastPathComponent == name }?.report
            }
            let scan = try #require(report("eventbridge-scheduled-scan.json"))
            #expect(scan.outcome == .sent)
            let reason = try #require(scan.reason)
            #expect(reason.hasPrefix("scanned 250, selected "))

            let lines = try ReplayGoldenTests.auditLines(scratch).map { try JSONParser.parse($0).objectValue ?? [:] }
            let scanID = scan.eventID
            let decisions = lines.filter { $0["event_id"]?.stringValue == scanID && $0["stage"] == "select" }
            #expect(decisions.count == 250, "one select record per scanned customer")
            let selected = decisions.filter { $0["facts"]?.objectValue?["decision"] == "selected" }
            #expect(!selected.isEmpty)
            // The recorded shop streams a bulk export (orders without lines): the scan selects, and
            // each child reads its customer again and decides the churn reason on the whole history.
            for record in selected {
                #expect(record["facts"]?.objectValue?["churn_reason"] == nil)
                #expect(record["facts"]?.objectValue?["history"]?.stringValue?.hasPrefix("read again") == true)
            }
            for record in decisions where record["facts"]?.objectValue?["decision"] != "selected" {
                #expect(record["facts"]?.objectValue?["decision"]?.stringValue?.hasPrefix("skipped:") == true)
            }
            #expect(reason.hasPrefix("scanned 250, selected \(selected.count),"))
            // Each selected customer is its own event with exactly one terminal record.
            let children = lines.filter { $0["event_id"]?.stringValue?.hasPrefix(scanID + "/customer/") == true }
            let childIDs = Set(children.compactMap { $0["event_id"]?.stringValue })
            #expect(childIDs.count == selected.count)
            for id in childIDs {
                let terminal = children.filter { $0["event_id"]?.stringValue == id && $0["outcome"] != nil }
                #expect(terminal.count == 1, "\(id)")
            }
            // Each child decided on the history read again: the category rule needs order lines,
            // which the bulk export does not carry, so it can only fire there.
            let childReasons = children.filter { $0["stage"] == "select" }.compactMap {
                $0["facts"]?.objectValue?["churn_reason"]?.stringValue
            }
            #expect(childReasons.count == selected.count)
            #expect(childReasons.contains(ChurnReason.Kind.categoryWornOut.rawValue), "\(childReasons)")
            // The next day's scan (stricter criteria) writes to nobody again: those it would pick were
            // written to within the quiet period.
            let again = try #require(report("canonical-schedule-win-back.json"))
            #expect(again.outcome == .suppressed)
            #expect(again.reason?.hasPrefix("scanned 250, selected 0;") == true, "\(again.reason ?? "")")
            #expect(again.reason?.contains("emailed_recently") == true, "\(again.reason ?? "")")

            // The lapsed discount buyer gets one email naming their last purchase, with an offer.
            let lapsed = try #require(report("canonical-customer-lapsed.json"))
            #expect(lapsed.outcome == .sent)
            let message = try #require(lapsed.messages?.first)
            let email = try String(contentsOfFile: message, encoding: .utf8)
            #expect(email.contains("Cascade Down Parka"))
            #expect(email.contains("BACK15-"))
            #expect(report("canonical-customer-lapsed-no-consent.json")?.outcome == .suppressed)
            for result in results where result.file.deletingLastPathComponent().lastPathComponent == "invalid" {
                #expect(result.report.outcome == .rejectedInput, "\(result.file.lastPathComponent)")
            }
            #expect(try AuditVerifier(root: scratch.appendingPathComponent("audit")).verify().passed)
        }
    }
}

@Suite("winBack scheduled events through the envelope decoder")
struct WinBackEnvelopeTests {
    @Test("A Scheduler event is handed over whole, so it decodes as a scan, not as its detail")
    func scheduledEventIsNotUnwrapped() throws {
        let bytes = Array(
            try Data(contentsOf: WinBackReplayTests.events.appendingPathComponent("eventbridge-scheduled-scan.json")))
        let envelope = EnvelopeDecoder().unwrap(bytes)
        #expect(envelope.shape == .direct)
        let delivery = try #require(envelope.items.first?.delivery)
        let event = try EventDecoder().decode(delivery)
        #expect(event.flow == .winBack)
        guard case .scan = event.subject else {
            Issue.record("not a scan")
            return
        }
        // Any other EventBridge event is still an envelope around its detail.
        var other = try #require(try JSONParser.parse(bytes).objectValue)
        other["detail-type"] = .string("shopifyWebhook")
        let otherBytes = Array(try JSONEncoder().encode(JSONValue.object(other)))
        #expect(EnvelopeDecoder().unwrap(otherBytes).shape == .eventBridge)
    }
}

@Suite("winBack timing")
struct WinBackTimingTests {
    @Test("A scheduled scan handled after the flow's window is stale, and scans nothing")
    func staleScan() async throws {
        try await withScratch { scratch in
            let configuration = try RuntimeTestSupport.configuration(dataDirectory: scratch)
            let late = try #require(Timestamp.parse("2026-12-05T06:00:00Z"))
            let stages = try FunctionEnvironment.embeddedStages(
                function: .winBack, configuration: configuration, clock: FixedClock(late))
            let pipeline = try Pipeline(flow: .winBack(configuration), configuration: configuration, stages: stages)
            let body = Array(
                try Data(
                    contentsOf: WinBackReplayTests.events.appendingPathComponent("eventbridge-scheduled-scan.json")))
            let report = await pipeline.handle(
                InboundDelivery(body: body), correlationID: "stale", logger: RuntimeTestSupport.quietLogger)
            #expect(report.outcome == .suppressed)
            #expect(report.reason?.hasPrefix("stale: the scheduled scan is") == true, "\(report.reason ?? "")")
            let lines = try ReplayGoldenTests.auditLines(scratch)
            #expect(!lines.contains { $0.contains("\"stage\":\"select\"") })
        }
    }
}
