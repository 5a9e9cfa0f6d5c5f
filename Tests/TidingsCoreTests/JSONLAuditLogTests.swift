import Crypto
import Foundation
import Testing

@testable import TidingsCore

@Suite("JSONL audit log")
struct JSONLAuditLogTests {
    @Test("a record has the fixed key order, and its hash covers the bytes before the hash")
    func recordLayout() throws {
        try withTemporaryAuditRoot { root in
            let log = JSONLAuditLog(root: root, writerID: "w")
            let time = auditTime("2026-11-20T10:00:00Z").addingTimeInterval(0.123)
            try log.append(
                auditEntry(
                    at: time, stage: "outcome", outcome: .queuedForReview,
                    facts: ["z": 1, "a": [true, .null]]))
            try log.append(auditEntry(at: time, stage: "after"))

            let lines = try auditLines(root, "2026-11-20/w.jsonl").map { String(decoding: $0, as: UTF8.self) }
            let zeros = String(repeating: "0", count: 64)
            let body =
                #"{"seq":0,"time":"2026-11-20T10:00:00.123Z","event_id":"evt-1","correlation_id":"corr-evt-1","#
                + #""function":"cartAbandoned","stage":"outcome","outcome":"queued_for_review","#
                + #""facts":{"a":[true,null],"z":1},"prev":"\#(zeros)""#
            let hash = SHA256.hash(data: Data(body.utf8)).map { String(format: "%02x", $0) }.joined()
            #expect(lines[0] == body + #","hash":"\#(hash)"}"# + "\n")
            #expect(lines[1].hasPrefix(#"{"seq":1,"#))
            #expect(lines[1].contains(#""facts":{"shop":"demo.myshopify.com"},"prev":"\#(hash)","hash":""#))
        }
    }

    @Test("with a key every record is sealed \"hmac\" = HMAC-SHA256 of the bytes before it, each from a fresh state")
    func keyedRecordLayout() throws {
        try withTemporaryAuditRoot { root in
            let log = JSONLAuditLog(root: root, writerID: "w", key: AuditKey(Secret("layout-key")))
            for stage in ["guards", "outcome"] {
                try log.append(auditEntry(stage: stage, outcome: stage == "outcome" ? .sent : nil))
            }
            for line in try auditLines(root, "2026-11-20/w.jsonl").map({ String(decoding: $0, as: UTF8.self) }) {
                let marker = try #require(line.range(of: #","hmac":""#))
                let body = String(line[..<marker.lowerBound])
                let mac = HMAC<SHA256>.authenticationCode(
                    for: Data(body.utf8), using: SymmetricKey(data: Data("layout-key".utf8)))
                let hex = Data(mac).map { String(format: "%02x", $0) }.joined()
                #expect(line == body + #","hmac":"\#(hex)"}"# + "\n")
            }
            let head = try String(contentsOf: root.appendingPathComponent("2026-11-20/w.head"), encoding: .utf8)
            #expect(head.hasPrefix(#"{"seq":1,"file":"w.jsonl","last":""#))
            #expect(head.contains(#","hmac":""#))
        }
    }

    @Test("nasty strings are escaped into JSON that reads back the same")
    func escapingRoundTrips() throws {
        try withTemporaryAuditRoot { root in
            let nasty =
                "quote \" backslash \\ slash / nul \u{0} bell \u{7} newline \n tab \t cr \r "
                + "del \u{7f} é 日本 🎉 \u{2028} \u{fffd} \"hash\":\"x\"}"
            let log = JSONLAuditLog(root: root, writerID: "w")
            try log.append(
                AuditEntry(
                    time: auditTime("2026-11-20T10:00:00Z"), eventID: nasty, correlationID: nasty,
                    function: "f",
                    stage: nasty, outcome: .sent,
                    facts: [nasty: .string(nasty), "n": .double(.nan), "d": .double(1e-5)]))
            // Its terminal record: the verifier must match the escaped event id across records.
            try log.append(
                AuditEntry(
                    time: auditTime("2026-11-20T10:00:00Z"), eventID: nasty, correlationID: nasty, function: "f",
                    stage: "outcome", outcome: .sent))

            let line = try #require(try auditLines(root, "2026-11-20/w.jsonl").first)
            #expect(line.filter { $0 == 0x0a }.count == 1)
            let object = try #require(try JSONSerialization.jsonObject(with: line) as? [String: Any])
            #expect(object["event_id"] as? String == nasty)
            #expect(object["stage"] as? String == nasty)
            let facts = try #require(object["facts"] as? [String: Any])
            #expect(facts[nasty] as? String == nasty)
            #expect(facts["n"] is NSNull)
            #expect(try AuditVerifier(root: root).verify().passed)
            #expect(try log.hasFinalOutcome(eventID: nasty, since: auditTime("2026-11-20T00:00:00Z")))
            // A fresh reader decodes the escaped event id from the file.
            let reader = JSONLAuditLog(root: root, writerID: "r")
            #expect(try reader.hasFinalOutcome(eventID: nasty, since: auditTime("2026-11-20T00:00:00Z")))
        }
    }

    @Test("entries on two UTC days land in two day folders, each chain starting at 0")
    func splitsByDay() throws {
        try withTemporaryAuditRoot { root in
            let log = JSONLAuditLog(root: root, writerID: "w")
            try log.append(auditEntry(at: auditTime("2026-11-20T23:59:59Z").addingTimeInterval(0.999)))
            try log.append(auditEntry(at: auditTime("2026-11-21T00:00:00Z")))

            let days = try FileManager.default.contentsOfDirectory(atPath: root.path).sorted()
            #expect(days == ["2026-11-20", "2026-11-21"])
            for day in days {
                let line = try #require(try auditLines(root, "\(day)/w.jsonl").first)
                #expect(String(decoding: line, as: UTF8.self).hasPrefix(#"{"seq":0,"#))
            }
            #expect(try AuditVerifier(root: root).verify().goodRecords == 2)
        }
    }

    @Test("two writers in one day folder write two files")
    func writersHaveTheirOwnFiles() throws {
        try withTemporaryAuditRoot { root in
            let first = JSONLAuditLog(root: root)
            let second = JSONLAuditLog(root: root)
            #expect(first.writerID != second.writerID)
            for index in 0..<3 {
                try first.append(auditEntry("a-\(index)"))
                try second.append(auditEntry("b-\(index)"))
                try first.append(auditEntry("a-\(index)", stage: "outcome", outcome: .sent))
                try second.append(auditEntry("b-\(index)", stage: "outcome", outcome: .sent))
            }
            let report = try AuditVerifier(root: root).verify()
            #expect(report.files.count == 2)
            #expect(report.passed)
            #expect(report.files.allSatisfy { $0.goodRecords == 6 })
        }
    }

    @Test("a writer with the same id continues its file's chain")
    func reopenedWriterContinuesChain() throws {
        try withTemporaryAuditRoot { root in
            try writeAuditRecords(4, root: root)
            try writeAuditRecords(2, root: root, eventPrefix: "later")
            let report = try AuditVerifier(root: root).verify()
            #expect(report.passed)
            #expect(report.files.map(\.goodRecords) == [6])
        }
    }

    @Test("concurrent appends from many tasks keep the chain whole")
    func concurrentAppends() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent(
            "tidings-audit-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let log = JSONLAuditLog(root: root, writerID: "w")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    // Events of different tasks interleave; each still ends in its terminal record.
                    for index in 0..<50 {
                        try log.append(auditEntry("t\(task)-\(index)"))
                        try log.append(auditEntry("t\(task)-\(index)", stage: "outcome", outcome: .sent))
                    }
                }
            }
            try await group.waitForAll()
        }
        let report = try AuditVerifier(root: root).verify()
        #expect(report.passed)
        #expect(report.goodRecords == 800)
    }

    @Test("writer ids cannot leave their folder")
    func writerIDIsFileSafe() {
        let log = JSONLAuditLog(root: URL(fileURLWithPath: "/tmp"), writerID: "../etc/passwd")
        #expect(log.writerID == ".._etc_passwd")
        #expect(
            JSONLAuditLog.makeWriterID(function: "cartAbandoned", now: auditTime("2026-11-20T10:15:30Z"))
                .hasPrefix("cartAbandoned-20261120T101530-"))
    }

    @Test("timestamps are ISO 8601 UTC with milliseconds and read back exactly")
    func timestampsRoundTrip() throws {
        for text in [
            "1970-01-01T00:00:00.000Z", "2024-02-29T23:59:59.999Z", "2026-11-20T10:00:00.123Z",
            "1969-12-31T23:59:59.500Z", "2100-03-01T00:00:00.001Z",
        ] {
            let parsed = try #require(AuditTimestamp(iso8601: Array(text.utf8)))
            var bytes: [UInt8] = []
            parsed.appendISO8601(to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == text)
            let date = Date(timeIntervalSince1970: Double(parsed.milliseconds) / 1000)
            #expect(AuditTimestamp(date) == parsed)
            #expect(parsed.day == String(text.prefix(10)))
        }
        #expect(AuditTimestamp(iso8601: Array("2026-13-20T10:00:00.123Z".utf8)) == nil)
    }
}
