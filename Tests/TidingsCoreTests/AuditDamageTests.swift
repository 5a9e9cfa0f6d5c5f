import Foundation
import Testing

@testable import TidingsCore

/// One test per row of the damage table in docs/audit-log.md: each kind of damage, and what
/// verify says about it without the audit key and with it. Every test runs twice: `keyed` false
/// writes and verifies with SHA-256 seals, true with HMAC-SHA256 under `testAuditKey`; someone
/// tampering never holds the key, so their re-seals use `guessedAuditKey`.
@Suite("Audit damage table")
struct AuditDamageTests {
    /// The log every test starts from: writer-a with four events (16 lines: three stages and an
    /// outcome each), writer-b with two.
    @discardableResult
    private func log(_ root: URL, keyed: Bool) throws -> String {
        try writeAuditEvents(2, root: root, writerID: "writer-b", eventPrefix: "b", key: key(keyed))
        return try writeAuditEvents(4, root: root, key: key(keyed))
    }

    private func key(_ keyed: Bool) -> AuditKey? { keyed ? testAuditKey : nil }
    /// What someone without the key seals with: SHA-256, or a guessed key in a keyed log.
    private func forger(_ keyed: Bool) -> AuditKey? { keyed ? guessedAuditKey : nil }

    private func verify(_ root: URL, keyed: Bool) throws -> AuditVerificationReport {
        try AuditVerifier(root: root, key: key(keyed)).verify()
    }

    @Test("untouched: passes with no warnings", arguments: [false, true])
    func untouched(keyed: Bool) throws {
        try withTemporaryAuditRoot { root in
            try log(root, keyed: keyed)
            let report = try verify(root, keyed: keyed)
            #expect(report.passed)
            #expect(report.warnings.isEmpty)
            #expect(report.goodRecords == 24)
        }
    }

    @Test("edit: one changed byte is edited at its line", arguments: [false, true])
    func edit(keyed: Bool) throws {
        try withTemporaryAuditRoot { root in
            let file = try log(root, keyed: keyed)
            var lines = try auditLines(root, file)
            lines[5] = Data(
                String(decoding: lines[5], as: UTF8.self).replacingOccurrences(of: "guards", with: "guardz").utf8)
            try writeAuditLines(lines, root, file)
            let problem = try #require(try verify(root, keyed: keyed).problems.first)
            #expect(problem.kind == .edited)
            #expect(problem.line == 6)
            #expect(try verify(root, keyed: keyed).chainBroken)
        }
    }

    @Test("edit with re-chain, head left alone: edited (the head names another record)", arguments: [false, true])
    func editRechained(keyed: Bool) throws {
        try withTemporaryAuditRoot { root in
            let file = try log(root, keyed: keyed)
            var lines = try auditLines(root, file)
            lines[5] = Data(
                String(decoding: lines[5], as: UTF8.self).replacingOccurrences(of: "guards", with: "guardz").utf8)
            try writeAuditLines(rechainAuditLines(lines, from: 5, key: forger(keyed)), root, file)
            let problem = try #require(try verify(root, keyed: keyed).problems.first)
            #expect(problem.kind == .edited)
            // Keyed: the forged HMAC fails at the edit; unkeyed: the chain holds, the head does not.
            #expect(problem.line == (keyed ? 6 : 16))
        }
    }

    @Test("edit with re-chain and head rewritten: not seen without the key, edited with it", arguments: [false, true])
    func editRechainedWithHead(keyed: Bool) throws {
        try withTemporaryAuditRoot { root in
            let file = try log(root, keyed: keyed)
            var lines = try auditLines(root, file)
            lines[5] = Data(
                String(decoding: lines[5], as: UTF8.self).replacingOccurrences(of: "guards", with: "guardz").utf8)
            try writeAuditLines(rechainAuditLines(lines, from: 5, key: forger(keyed)), root, file)
            try rewriteAuditHead(root, file, key: forger(keyed))
            let report = try verify(root, keyed: keyed)
            if keyed {
                #expect(report.problems.first?.kind == .edited)
                #expect(report.problems.first?.line == 6)
            } else {
                #expect(report.passed)  // The limit of an unkeyed log: anyone can recompute SHA-256.
            }
        }
    }

    @Test(
        "flipped outcome re-chained with its head: not seen without the key, edited with it", arguments: [false, true])
    func flippedOutcome(keyed: Bool) throws {
        try withTemporaryAuditRoot { root in
            let file = try log(root, keyed: keyed)
            var lines = try auditLines(root, file)
            lines[7] = Data(
                String(decoding: lines[7], as: UTF8.self).replacingOccurrences(
                    of: #""outcome":"sent""#, with: #""outcome":"suppressed""#
                ).utf8)
            try writeAuditLines(rechainAuditLines(lines, from: 7, key: forger(keyed)), root, file)
            try rewriteAuditHead(root, file, key: forger(keyed))
            let report = try verify(root, keyed: keyed)
            if keyed {
                #expect(report.problems.first?.kind == .edited)
                #expect(report.problems.first?.line == 8)
            } else {
                #expect(report.passed)
            }
        }
    }

    @Test("reordered lines: reordered", arguments: [false, true])
    func reordered(keyed: Bool) throws {
        try withTemporaryAuditRoot { root in
            let file = try log(root, keyed: keyed)
            var lines = try auditLines(root, file)
            lines.swapAt(4, 9)
            try writeAuditLines(lines, root, file)
            let problem = try #require(try verify(root, keyed: keyed).problems.first)
            #expect(problem.kind == .reordered)
            #expect(problem.line == 5)
        }
    }

    @Test("removed line mid-file: missing", arguments: [false, true])
    func removedMidFile(keyed: Bool) throws {
        try withTemporaryAuditRoot { root in
            let file = try log(root, keyed: keyed)
            var lines = try auditLines(root, file)
            lines.remove(at: 6)
            try writeAuditLines(lines, root, file)
            let problem = try #require(try verify(root, keyed: keyed).problems.first)
            #expect(problem.kind == .missing)
            #expect(problem.line == 7)
        }
    }

    @Test("last whole event removed at an event boundary: truncated", arguments: [false, true])
    func lastEventRemoved(keyed: Bool) throws {
        try withTemporaryAuditRoot { root in
            let file = try log(root, keyed: keyed)
            try writeAuditLines(Array(try auditLines(root, file).prefix(12)), root, file)
            let report = try verify(root, keyed: keyed)
            let problem = try #require(report.problems.first)
            #expect(problem.kind == .truncated)
            #expect(problem.file == file)
            #expect(problem.line == 13)
            #expect(
                problem.detail
                    == "the file ends at seq 11 but its head records seq 15: 4 record(s) were removed from its end")
            #expect(!report.chainBroken)
        }
    }

    @Test(
        "last whole event removed, head rewritten: not seen without the key, a bad head with it",
        arguments: [false, true])
    func lastEventRemovedWithHead(keyed: Bool) throws {
        try withTemporaryAuditRoot { root in
            let file = try log(root, keyed: keyed)
            try writeAuditLines(Array(try auditLines(root, file).prefix(12)), root, file)
            try rewriteAuditHead(root, file, key: forger(keyed))
            let report = try verify(root, keyed: keyed)
            if keyed {
                #expect(report.problems.first?.kind == .manifest)
                #expect(report.problems.first?.file == "2026-11-20/writer-a.head")
            } else {
                #expect(report.passed)
            }
        }
    }

    @Test("torn last line: a warning, exit 0", arguments: [false, true])
    func tornLastLine(keyed: Bool) throws {
        try withTemporaryAuditRoot { root in
            let file = try log(root, keyed: keyed)
            try appendTornLine(root, file)
            let report = try verify(root, keyed: keyed)
            #expect(report.passed)
            #expect(report.warnings.map(\.kind) == [.torn])
            #expect(report.warnings.first?.line == 17)
        }
    }

    @Test("deleted writer file: deleted (the manifest lists it)", arguments: [false, true])
    func deletedFile(keyed: Bool) throws {
        try withTemporaryAuditRoot { root in
            try log(root, keyed: keyed)
            try FileManager.default.removeItem(at: root.appendingPathComponent("2026-11-20/writer-b.jsonl"))
            let problem = try #require(try verify(root, keyed: keyed).problems.first)
            #expect(problem.kind == .deleted)
            #expect(
                problem.description
                    == "2026-11-20/writer-b.jsonl: deleted (listed in the manifest (line 1) but gone: the file was deleted)"
            )
        }
    }

    @Test(
        "deleted writer file with its head and manifest line, re-chained: not seen without the key",
        arguments: [false, true])
    func deletedFileWithManifestLine(keyed: Bool) throws {
        try withTemporaryAuditRoot { root in
            try log(root, keyed: keyed)  // writer-b is listed first, writer-a second
            let day = root.appendingPathComponent("2026-11-20")
            try FileManager.default.removeItem(at: day.appendingPathComponent("writer-b.jsonl"))
            try FileManager.default.removeItem(at: day.appendingPathComponent("writer-b.head"))
            let manifest = day.appendingPathComponent(AuditManifest.manifestName)
            let kept = try auditLines(root, "2026-11-20/manifest")[1]
            let rewritten = AuditManifest.manifestLine(
                seq: 0, file: "writer-a.jsonl", prev: AuditRecordFormat.zeroHash, key: forger(keyed))
            try (keyed ? Data(kept) : Data(rewritten)).write(to: manifest)
            let report = try verify(root, keyed: keyed)
            if keyed {
                // Without the key the line cannot be re-chained: the kept line no longer follows.
                #expect(report.problems.first?.kind == .manifest)
                #expect(report.problems.first?.file == "2026-11-20/manifest")
            } else {
                #expect(report.passed)
            }
        }
    }

    @Test("emptied writer file: truncated", arguments: [false, true])
    func emptiedFile(keyed: Bool) throws {
        try withTemporaryAuditRoot { root in
            let file = try log(root, keyed: keyed)
            try Data().write(to: root.appendingPathComponent(file))
            let problem = try #require(try verify(root, keyed: keyed).problems.first)
            #expect(problem.kind == .truncated)
            #expect(problem.detail == "the file has no records but its head records seq 15: it was emptied")
        }
    }

    @Test("deleted head of a listed file: manifest", arguments: [false, true])
    func deletedHead(keyed: Bool) throws {
        try withTemporaryAuditRoot { root in
            try log(root, keyed: keyed)
            try FileManager.default.removeItem(at: root.appendingPathComponent("2026-11-20/writer-a.head"))
            let problem = try #require(try verify(root, keyed: keyed).problems.first)
            #expect(problem.kind == .manifest)
            #expect(problem.detail == "the head of writer-a.jsonl is gone: it was deleted")
        }
    }

    @Test(
        "empty head of a file not yet listed (a writer SIGKILLed between creating its head and writing it): a warning",
        arguments: [false, true])
    func emptyHeadOfUnlistedFile(keyed: Bool) throws {
        try withTemporaryAuditRoot { root in
            let file = try log(root, keyed: keyed)
            // writer-c wrote its first record and created its head, and was killed before the
            // head's first write and the manifest line that follows it.
            try writeAuditLines([try auditLines(root, file)[0]], root, "2026-11-20/writer-c.jsonl")
            try Data().write(to: root.appendingPathComponent("2026-11-20/writer-c.head"))
            let report = try verify(root, keyed: keyed)
            #expect(report.passed, "\(report.problems)")
            let torn = try #require(report.warnings.first { $0.file == "2026-11-20/writer-c.head" })
            #expect(torn.kind == .torn)
            #expect(torn.detail == "the head is empty (a writer killed between creating it and writing it)")
        }
    }

    @Test("emptied head of a listed file: manifest", arguments: [false, true])
    func emptiedHeadOfListedFile(keyed: Bool) throws {
        try withTemporaryAuditRoot { root in
            try log(root, keyed: keyed)
            try Data().write(to: root.appendingPathComponent("2026-11-20/writer-a.head"))
            let problem = try #require(try verify(root, keyed: keyed).problems.first)
            #expect(problem.kind == .manifest)
            #expect(problem.file == "2026-11-20/writer-a.head")
            #expect(problem.detail == "not a head line")
        }
    }

    @Test(
        "deleted manifest: a warning without the key (heads still checked), damage with it", arguments: [false, true])
    func deletedManifest(keyed: Bool) throws {
        try withTemporaryAuditRoot { root in
            let file = try log(root, keyed: keyed)
            try FileManager.default.removeItem(at: root.appendingPathComponent("2026-11-20/manifest"))
            let report = try verify(root, keyed: keyed)
            if keyed {
                #expect(report.problems.map(\.kind) == [.unkeyed])
            } else {
                #expect(report.passed)
                #expect(report.warnings.map(\.kind) == [.noManifest])
            }
            // The heads still see a cut end.
            try writeAuditLines(Array(try auditLines(root, file).prefix(12)), root, file)
            #expect(try verify(root, keyed: keyed).problems.first?.kind == .truncated)
        }
    }

    @Test("whole day folder deleted: not seen, with or without the key", arguments: [false, true])
    func deletedDay(keyed: Bool) throws {
        try withTemporaryAuditRoot { root in
            try log(root, keyed: keyed)
            try writeAuditEvents(
                1, root: root, writerID: "next-day", key: key(keyed), startingAt: auditTime("2026-11-21T10:00:00Z"))
            try FileManager.default.removeItem(at: root.appendingPathComponent("2026-11-20"))
            let report = try verify(root, keyed: keyed)
            #expect(report.passed)  // Nothing inside the log vouches for a whole day: anchor it outside.
            #expect(report.files.map(\.file) == ["2026-11-21/next-day.jsonl"])
        }
    }

    @Test("interrupted event: a warning naming the event, exit 0, not chain broken", arguments: [false, true])
    func interrupted(keyed: Bool) throws {
        try withTemporaryAuditRoot { root in
            try writeAuditEvents(3, root: root, key: key(keyed), openLast: true)
            let report = try verify(root, keyed: keyed)
            #expect(report.passed)
            #expect(!report.chainBroken)
            let warning = try #require(report.warnings.first)
            #expect(report.warnings.count == 1)
            #expect(warning.kind == .interrupted)
            #expect(warning.line == 11)
            #expect(
                warning.description
                    == "2026-11-20/writer-a.jsonl line 11: interrupted (event evt-2 stopped after line 11 (a handler "
                    + "killed between two records) and no terminal record for it was found in the days verified)")
        }
    }

    @Test("interrupted, then finished by another writer: recovered", arguments: [false, true])
    func interruptedThenRecovered(keyed: Bool) throws {
        try withTemporaryAuditRoot { root in
            try writeAuditEvents(3, root: root, key: key(keyed), openLast: true)
            // The retry, in a new process: evt-2 from the start, one minute later.
            let retry = JSONLAuditLog(root: root, writerID: "writer-b", key: key(keyed))
            let later = auditTime("2026-11-20T10:01:00Z")
            try retry.append(auditEntry("evt-2", at: later, stage: "normalize"))
            try retry.append(auditEntry("evt-2", at: later, stage: "outcome", outcome: .sent))
            let report = try verify(root, keyed: keyed)
            #expect(report.passed)
            let warning = try #require(report.warnings.first)
            #expect(report.warnings.count == 1)
            #expect(warning.kind == .recovered)
            #expect(warning.line == 11)
            #expect(warning.detail.hasSuffix("was finished later: sent in 2026-11-20/writer-b.jsonl line 2"))
        }
    }

    @Test("an outcome from before the interruption does not count as recovery", arguments: [false, true])
    func earlierOutcomeIsNotRecovery(keyed: Bool) throws {
        try withTemporaryAuditRoot { root in
            try writeAuditEvents(1, root: root, writerID: "writer-b", key: key(keyed))
            try writeAuditEvents(
                1, root: root, key: key(keyed), openLast: true, startingAt: auditTime("2026-11-20T10:01:00Z"))
            let report = try verify(root, keyed: keyed)
            #expect(report.warnings.map(\.kind) == [.interrupted])
        }
    }

    @Test("a torn line in an open event: torn and interrupted, both warnings", arguments: [false, true])
    func tornInterrupted(keyed: Bool) throws {
        try withTemporaryAuditRoot { root in
            let file = try writeAuditEvents(4, root: root, key: key(keyed), openLast: true)
            try appendTornLine(root, file)
            let report = try verify(root, keyed: keyed)
            #expect(report.passed)
            #expect(report.warnings.map(\.kind) == [.torn, .interrupted])
            #expect(report.warnings.map(\.line) == [16, 15])
        }
    }

    @Test("double send across writers: doubleSend at the second", arguments: [false, true])
    func doubleSend(keyed: Bool) throws {
        try withTemporaryAuditRoot { root in
            try writeAuditEvents(2, root: root, key: key(keyed))
            try writeAuditEvents(
                2, root: root, writerID: "writer-b", key: key(keyed), startingAt: auditTime("2026-11-20T10:05:00Z"))
            let report = try verify(root, keyed: keyed)
            #expect(!report.passed)
            #expect(!report.chainBroken)
            #expect(report.problems.map(\.kind) == [.doubleSend, .doubleSend])
            #expect(
                report.problems.first?.description
                    == "2026-11-20/writer-b.jsonl line 4: doubleSend (event evt-0 was sent again: it was already sent "
                    + "in 2026-11-20/writer-a.jsonl line 4)")
        }
    }

    @Test("a keyed log verified without the key: order and ends checked, seals not", arguments: [true])
    func keyedWithoutKey(keyed: Bool) throws {
        try withTemporaryAuditRoot { root in
            let file = try log(root, keyed: keyed)
            let plain = try AuditVerifier(root: root).verify()
            #expect(plain.passed)
            #expect(Set(plain.warnings.map(\.kind)) == [.unchecked])
            // A forged re-chain is then invisible without the key, and caught with it.
            var lines = try auditLines(root, file)
            lines[5] = Data(
                String(decoding: lines[5], as: UTF8.self).replacingOccurrences(of: "guards", with: "guardz").utf8)
            try writeAuditLines(rechainAuditLines(lines, from: 5, key: guessedAuditKey), root, file)
            try rewriteAuditHead(root, file, key: guessedAuditKey)
            #expect(try AuditVerifier(root: root).verify().passed)
            #expect(try AuditVerifier(root: root, key: testAuditKey).verify().problems.first?.kind == .edited)
        }
    }

    @Test("an unkeyed log verified with the key, or a file re-sealed without it: unkeyed", arguments: [true])
    func unkeyedWithKey(keyed: Bool) throws {
        try withTemporaryAuditRoot { root in
            try log(root, keyed: false)
            let report = try AuditVerifier(root: root, key: testAuditKey).verify()
            #expect(!report.passed)
            #expect(report.problems.first?.kind == .unkeyed)
            #expect(report.problems.first?.line == 1)
        }
    }
}
