import Foundation
import Testing

@testable import TidingsCore

/// The verifier's per-event check: every event ends in exactly one terminal `outcome` record.
/// Logs are written as the pipeline writes them (`writeAuditEvents`: four events of three stage
/// records and one outcome, so event k takes lines 4k+1 to 4k+4).
@Suite("Audit verifier: terminal records")
struct AuditEventEndTests {
    @Test("events that each end in one outcome record pass")
    func untouchedEventsPass() throws {
        try withTemporaryAuditRoot { root in
            try writeAuditEvents(4, root: root)
            let report = try AuditVerifier(root: root).verify()
            #expect(report.passed)
            #expect(report.goodRecords == 16)
            #expect(report.warnings.isEmpty)
        }
    }

    @Test("a deleted last line (the last event's outcome) fails as truncated: the head names it")
    func deletedLastLineIsTruncated() throws {
        try withTemporaryAuditRoot { root in
            let file = try writeAuditEvents(4, root: root)
            try writeAuditLines(Array(try auditLines(root, file).dropLast()), root, file)

            let report = try AuditVerifier(root: root).verify()
            #expect(!report.passed)
            let problem = try #require(report.problems.first)
            #expect(problem.kind == .truncated)
            #expect(problem.line == 16)
            #expect(
                problem.description
                    == "2026-11-20/writer-a.jsonl line 16: truncated (the file ends at seq 14 but its head records "
                    + "seq 15: 1 record(s) were removed from its end)"
            )
            #expect(report.goodRecords == 15)
            #expect(report.warnings.isEmpty)
        }
    }

    @Test("a deleted outcome line of a middle event fails")
    func deletedMiddleOutcomeFails() throws {
        try withTemporaryAuditRoot { root in
            let file = try writeAuditEvents(4, root: root)
            var lines = try auditLines(root, file)
            lines.remove(at: 7)  // evt-1's outcome
            try writeAuditLines(lines, root, file)

            let report = try AuditVerifier(root: root).verify()
            #expect(!report.passed)
            let problem = try #require(report.problems.first)
            // The seq gap is found first; the event check only judges a whole chain.
            #expect(problem.kind == .missing)
            #expect(problem.line == 8)
        }
    }

    @Test("an event whose stages end without an outcome, with more events after it, fails")
    func openEventBeforeOthersIsUnterminated() throws {
        try withTemporaryAuditRoot { root in
            let log = JSONLAuditLog(root: root, writerID: "writer-a")
            try log.append(auditEntry("evt-open", stage: "normalize"))
            try log.append(auditEntry("evt-open", stage: "guards"))
            try log.append(auditEntry("evt-next", stage: "normalize"))
            try log.append(auditEntry("evt-next", stage: "outcome", outcome: .sent))

            let report = try AuditVerifier(root: root).verify()
            let problem = try #require(report.problems.first)
            #expect(problem.kind == .unterminated)
            #expect(problem.line == 2)
            #expect(problem.detail.contains("evt-open"))
        }
    }

    @Test("interleaved events that each end pass")
    func interleavedEventsPass() throws {
        try withTemporaryAuditRoot { root in
            let log = JSONLAuditLog(root: root, writerID: "writer-a")
            try log.append(auditEntry("evt-a", stage: "normalize"))
            try log.append(auditEntry("evt-b", stage: "normalize"))
            try log.append(auditEntry("evt-a", stage: "outcome", outcome: .sent))
            try log.append(auditEntry("evt-b", stage: "guards"))
            try log.append(auditEntry("evt-b", stage: "outcome", outcome: .duplicate))
            #expect(try AuditVerifier(root: root).verify().passed)
        }
    }

    @Test("a second outcome record of the same handling fails as duplicateOutcome")
    func extraOutcomeIsDuplicate() throws {
        try withTemporaryAuditRoot { root in
            try writeAuditEvents(4, root: root)
            // The same writer id continues the file's chain, so only the event check can see it.
            let log = JSONLAuditLog(root: root, writerID: "writer-a")
            try log.append(auditEntry("evt-1", stage: "outcome", outcome: .failed))

            let report = try AuditVerifier(root: root).verify()
            #expect(!report.passed)
            let problem = try #require(report.problems.first)
            #expect(problem.kind == .duplicateOutcome)
            #expect(problem.line == 17)
            #expect(problem.detail == "event evt-1 has a second terminal outcome record (the first is line 8)")
        }
    }

    @Test("a redelivered event handled again under a new correlation id passes")
    func redeliveryIsNotDuplicate() throws {
        try withTemporaryAuditRoot { root in
            try writeAuditEvents(2, root: root)
            let log = JSONLAuditLog(root: root, writerID: "writer-a")
            let time = auditTime("2026-11-20T10:05:00Z")
            for stage in ["normalize", "guards"] {
                try log.append(
                    AuditEntry(
                        time: time, eventID: "evt-0", correlationID: "retry", function: "cartAbandoned",
                        stage: stage))
            }
            try log.append(
                AuditEntry(
                    time: time, eventID: "evt-0", correlationID: "retry", function: "cartAbandoned",
                    stage: "outcome", outcome: .duplicate))
            // Rejected input writes only its outcome record; the same bytes may come again.
            try log.append(
                AuditEntry(
                    time: time, eventID: "evt-0", correlationID: "again", function: "cartAbandoned",
                    stage: "outcome", outcome: .rejectedInput))
            let report = try AuditVerifier(root: root).verify()
            #expect(report.passed)
            #expect(report.goodRecords == 12)
        }
    }

    @Test("a last line cut mid-way (a crash) is reported and tolerated, with the event it cut off")
    func tornOutcomeIsTolerated() throws {
        try withTemporaryAuditRoot { root in
            let file = try writeAuditEvents(4, root: root, openLast: true)
            try appendTornLine(root, file)

            let report = try AuditVerifier(root: root).verify()
            #expect(report.passed)
            #expect(report.warnings.map(\.kind) == [.torn, .interrupted])
            #expect(report.warnings.first?.line == 16)
            #expect(report.warnings.last?.line == 15)
        }
    }

    @Test("a tear in an event's first record leaves no event open: only the tear is reported")
    func tornFirstRecordLeavesNothingOpen() throws {
        try withTemporaryAuditRoot { root in
            let file = try writeAuditEvents(3, root: root)
            try appendTornLine(root, file)

            let report = try AuditVerifier(root: root).verify()
            #expect(report.passed)
            #expect(report.warnings.map(\.kind) == [.torn])
            #expect(report.goodRecords == 12)
        }
    }

    @Test("the open last event of a file is an interruption, one per file, and a closed file has none")
    func openTailIsInterruption() throws {
        try withTemporaryAuditRoot { root in
            try writeAuditEvents(4, root: root, openLast: true)
            try writeAuditEvents(1, root: root, writerID: "writer-b", eventPrefix: "b")

            let report = try AuditVerifier(root: root).verify()
            #expect(report.passed)
            #expect(report.goodRecords == 19)
            let warning = try #require(report.warnings.first)
            #expect(report.warnings.count == 1)
            #expect(warning.kind == .interrupted)
            #expect(warning.line == 15)
            #expect(warning.file == "2026-11-20/writer-a.jsonl")
        }
    }

    @Test("a record whose event fields are out of place is malformed, though its hash fits")
    func misplacedEventFieldsAreMalformed() throws {
        try withTemporaryAuditRoot { root in
            let zeros = AuditRecordFormat.zeroHash
            var body = Array(#"{"seq":0,"time":"2026-11-20T10:00:00.000Z","stage":"outcome","#.utf8)
            body.append(contentsOf: #""facts":{},"prev":""#.utf8)
            body.append(contentsOf: zeros)
            body.append(UInt8(ascii: "\""))
            _ = AuditRecordFormat.seal(&body)
            let folder = root.appendingPathComponent("2026-11-20")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data(body).write(to: folder.appendingPathComponent("w.jsonl"))

            let problem = try #require(try AuditVerifier(root: root).verify().problems.first)
            #expect(problem.kind == .malformed)
            #expect(problem.line == 1)
        }
    }
}
