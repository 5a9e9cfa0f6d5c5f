import Foundation
import Testing

@testable import TidingsCore

@Suite("Audit verifier")
struct AuditVerifierTests {
    @Test("an untouched log passes")
    func untouchedLogPasses() throws {
        try withTemporaryAuditRoot { root in
            try writeAuditRecords(10, root: root)
            let report = try AuditVerifier(root: root).verify()
            #expect(report.passed)
            #expect(report.goodRecords == 10)
            #expect(report.files.map(\.file) == ["2026-11-20/writer-a.jsonl"])
            #expect(report.warnings.isEmpty)
        }
    }

    @Test("one changed byte fails as edited at its line")
    func changedByteIsEdited() throws {
        try withTemporaryAuditRoot { root in
            let file = try writeAuditRecords(10, root: root)
            var lines = try auditLines(root, file)
            var line = Array(lines[6])
            let index = try #require(line.firstIndex(of: UInt8(ascii: "6")))  // in "stage-6"
            line[index] = UInt8(ascii: "7")
            lines[6] = Data(line)
            try writeAuditLines(lines, root, file)

            let problem = try #require(try AuditVerifier(root: root).verify().problems.first)
            #expect(problem.kind == .edited)
            #expect(problem.line == 7)
            #expect(
                problem.description
                    == "2026-11-20/writer-a.jsonl line 7: edited (hash does not match the record)")
            #expect(try AuditVerifier(root: root).verify().files[0].goodRecords == 6)
        }
    }

    @Test("a removed middle line fails as missing")
    func removedLineIsMissing() throws {
        try withTemporaryAuditRoot { root in
            let file = try writeAuditRecords(10, root: root)
            var lines = try auditLines(root, file)
            lines.remove(at: 4)
            try writeAuditLines(lines, root, file)

            let report = try AuditVerifier(root: root).verify()
            #expect(!report.passed)
            let problem = try #require(report.problems.first)
            #expect(problem.kind == .missing)
            #expect(problem.line == 5)
        }
    }

    @Test("a removed first line is detected")
    func removedFirstLineIsMissing() throws {
        try withTemporaryAuditRoot { root in
            let file = try writeAuditRecords(5, root: root)
            try writeAuditLines(Array(try auditLines(root, file).dropFirst()), root, file)

            let problem = try #require(try AuditVerifier(root: root).verify().problems.first)
            #expect(problem.kind == .missing)
            #expect(problem.line == 1)
        }
    }

    @Test("swapped lines fail as reordered", arguments: [(0, 1), (3, 4), (2, 7)])
    func swappedLinesAreReordered(first: Int, second: Int) throws {
        try withTemporaryAuditRoot { root in
            let file = try writeAuditRecords(10, root: root)
            var lines = try auditLines(root, file)
            lines.swapAt(first, second)
            try writeAuditLines(lines, root, file)

            let problem = try #require(try AuditVerifier(root: root).verify().problems.first)
            #expect(problem.kind == .reordered)
            #expect(problem.line == first + 1)
        }
    }

    @Test("a duplicated line fails as reordered")
    func duplicatedLineIsReordered() throws {
        try withTemporaryAuditRoot { root in
            let file = try writeAuditRecords(5, root: root)
            var lines = try auditLines(root, file)
            lines.insert(lines[2], at: 3)
            try writeAuditLines(lines, root, file)

            let problem = try #require(try AuditVerifier(root: root).verify().problems.first)
            #expect(problem.kind == .reordered)
            #expect(problem.line == 4)
        }
    }

    @Test("a record rewritten with a recomputed hash breaks the chain")
    func rewrittenRecordBreaksChain() throws {
        try withTemporaryAuditRoot { root in
            let file = try writeAuditRecords(5, root: root)
            var lines = try auditLines(root, file)
            // Re-seal line 3 with a different stage: its own hash is right, line 4's prev is not.
            let text = try #require(String(data: lines[2], encoding: .utf8))
            var body = Array(text.replacingOccurrences(of: "stage-2", with: "stage-X").utf8)
            body.removeLast(9 + 64 + 3)  // ,"hash":"…"}\n
            _ = AuditRecordFormat.seal(&body)
            lines[2] = Data(body)
            try writeAuditLines(lines, root, file)

            let problem = try #require(try AuditVerifier(root: root).verify().problems.first)
            #expect(problem.kind == .edited)
            #expect(problem.line == 4)
        }
    }

    @Test("a garbage line in the middle is malformed")
    func garbageLineIsMalformed() throws {
        try withTemporaryAuditRoot { root in
            let file = try writeAuditRecords(4, root: root)
            var lines = try auditLines(root, file)
            lines.insert(Data("not a record\n".utf8), at: 2)
            try writeAuditLines(lines, root, file)

            let problem = try #require(try AuditVerifier(root: root).verify().problems.first)
            #expect(problem.kind == .malformed)
            #expect(problem.line == 3)
        }
    }

    @Test("a torn last line that starts a new event is a warning, and a new writer goes on in its own file")
    func tornLastLineIsTolerated() throws {
        try withTemporaryAuditRoot { root in
            // Three whole events, then the first record of a fourth, cut off by a crash: no
            // earlier event is left open, so nothing but the tear is wrong.
            let file = try writeAuditRecords(6, root: root)
            try appendTornLine(root, file)

            let report = try AuditVerifier(root: root).verify()
            #expect(report.passed)
            #expect(report.goodRecords == 6)
            let warning = try #require(report.warnings.first)
            #expect(warning.kind == .torn)
            #expect(warning.line == 7)
            #expect(report.warnings.count == 1)

            let next = JSONLAuditLog(root: root, writerID: "writer-b")
            try next.append(
                auditEntry(
                    "evt-after-crash", at: auditTime("2026-11-20T11:00:00Z"), stage: "outcome", outcome: .sent))
            #expect(
                try next.hasFinalOutcome(eventID: "evt-after-crash", since: auditTime("2026-11-20T00:00:00Z"))
            )
            let after = try AuditVerifier(root: root).verify()
            #expect(after.passed)
            #expect(after.files.map(\.file) == ["2026-11-20/writer-a.jsonl", "2026-11-20/writer-b.jsonl"])
            #expect(after.goodRecords == 7)
        }
    }

    @Test("a writer that reopens its torn file starts a new segment")
    func reopeningTornFileStartsSegment() throws {
        try withTemporaryAuditRoot { root in
            let file = try writeAuditRecords(2, root: root)
            try appendTornLine(root, file)

            try writeAuditRecords(2, root: root, eventPrefix: "later")  // same writer id again
            let report = try AuditVerifier(root: root).verify()
            #expect(report.passed)
            #expect(report.files.map(\.file) == ["2026-11-20/writer-a-1.jsonl", "2026-11-20/writer-a.jsonl"])
        }
    }

    @Test("only the given days are verified")
    func verifiesGivenDays() throws {
        try withTemporaryAuditRoot { root in
            let log = JSONLAuditLog(root: root, writerID: "w")
            try log.append(auditEntry(at: auditTime("2026-11-20T10:00:00Z"), stage: "outcome", outcome: .sent))
            try log.append(auditEntry(at: auditTime("2026-11-21T10:00:00Z"), stage: "outcome", outcome: .sent))
            let report = try AuditVerifier(root: root).verify(days: ["2026-11-21"])
            #expect(report.files.map(\.file) == ["2026-11-21/w.jsonl"])
            #expect(report.passed)
        }
    }

    @Test("a missing root is an error, not an empty log that passes")
    func missingRootThrows() throws {
        let missing = URL(fileURLWithPath: "/nonexistent/tidings-audit-\(UUID().uuidString)")
        #expect(throws: AuditError.self) { try AuditVerifier(root: missing).verify() }
    }
}
