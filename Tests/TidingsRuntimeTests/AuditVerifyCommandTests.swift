import Foundation
import Testing
import TidingsCore

@testable import TidingsRuntime

/// `tidings audit verify` as an operator runs it: warnings exit 0, damage exits 1, each line names
/// file, line and kind, "chain broken" only for a failed hash or link, the key read like the
/// functions read it.
@Suite("tidings audit verify")
struct AuditVerifyCommandTests {
    struct Run {
        var status: Int32
        var output: String
    }

    func verify(_ data: URL, environment extra: [String: String] = [:]) throws -> Run {
        let binary = try #require(RuntimeTestSupport.builtBinary("tidings"), "build the package first (swift build)")
        let process = Process()
        process.executableURL = binary
        process.arguments = ["audit", "verify", "--data-dir", data.path]
        var environment = ProcessInfo.processInfo.environment
        environment["TIDINGS_AUDIT_KEY"] = nil
        environment["TIDINGS_AUDIT_KEY_FILE"] = nil
        environment.merge(extra) { _, new in new }
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    /// Two events by one writer; the second stops after its first stage when `interrupted`.
    func writeLog(_ data: URL, key: AuditKey? = nil, interrupted: Bool = false) throws {
        let log = JSONLAuditLog(root: data.appendingPathComponent("audit"), writerID: "w", key: key)
        let time = Date(timeIntervalSince1970: 1_795_000_000)
        for event in ["e1", "e2"] {
            try log.append(
                AuditEntry(
                    time: time, eventID: event, correlationID: "c-\(event)", function: "cartAbandoned", stage: "guards")
            )
            if interrupted, event == "e2" { break }
            try log.append(
                AuditEntry(
                    time: time, eventID: event, correlationID: "c-\(event)", function: "cartAbandoned",
                    stage: "outcome",
                    outcome: .sent))
        }
    }

    func auditFile(_ data: URL) throws -> URL {
        let audit = data.appendingPathComponent("audit")
        let day = try #require(try FileManager.default.contentsOfDirectory(atPath: audit.path).first)
        return audit.appendingPathComponent(day).appendingPathComponent("w.jsonl")
    }

    @Test("An interrupted event is a warning naming file, line and kind; exit 0")
    func interruptedIsWarning() async throws {
        try await withScratch { data in
            try writeLog(data, interrupted: true)
            let run = try verify(data)
            #expect(run.status == 0)
            #expect(
                run.output.contains("warning: 2026-11-18/w.jsonl line 3: interrupted (event e2 stopped after line 3"))
            #expect(run.output.contains("1 files, 3 records verified without the audit key: intact (1 warnings)"))
            #expect(!run.output.contains("chain broken"))
        }
    }

    @Test("An edited record fails: exit 1, FAIL with file, line and kind, chain broken")
    func editIsChainBroken() async throws {
        try await withScratch { data in
            try writeLog(data)
            let file = try auditFile(data)
            let text = try String(contentsOf: file, encoding: .utf8)
            try Data(text.replacingOccurrences(of: "\"e2\"", with: "\"e3\"").utf8).write(to: file)
            let run = try verify(data)
            #expect(run.status == 1)
            #expect(run.output.contains("FAIL: 2026-11-18/w.jsonl line 3: edited (hash does not match the record)"))
            #expect(run.output.contains("chain broken"))
        }
    }

    @Test("Records cut from the end fail as truncated, which is damage but not a broken chain")
    func truncationIsDamage() async throws {
        try await withScratch { data in
            try writeLog(data)
            let file = try auditFile(data)
            let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n")
            try Data((lines.prefix(2).joined(separator: "\n") + "\n").utf8).write(to: file)
            let run = try verify(data)
            #expect(run.status == 1)
            #expect(run.output.contains("FAIL: 2026-11-18/w.jsonl line 3: truncated"))
            #expect(run.output.contains(": damaged (1 problems)"))
            #expect(!run.output.contains("chain broken"))
        }
    }

    @Test("The key comes from TIDINGS_AUDIT_KEY; an unreadable TIDINGS_AUDIT_KEY_FILE exits 78 naming it")
    func keyFromEnvironment() async throws {
        try await withScratch { data in
            try writeLog(data, key: AuditKey(Secret("cli-key")))
            let keyed = try verify(data, environment: ["TIDINGS_AUDIT_KEY": "cli-key"])
            #expect(keyed.status == 0)
            #expect(keyed.output.contains("verified with the audit key: intact"))
            #expect(!keyed.output.contains("cli-key"))
            let unkeyed = try verify(data)
            #expect(unkeyed.status == 0)
            #expect(unkeyed.output.contains("unchecked"))
            let wrong = try verify(data, environment: ["TIDINGS_AUDIT_KEY": "other"])
            #expect(wrong.status == 1)
            let missing = try verify(data, environment: ["TIDINGS_AUDIT_KEY_FILE": "/nonexistent/key"])
            #expect(missing.status == 78)
            #expect(missing.output.contains("TIDINGS_AUDIT_KEY_FILE"))
        }
    }
}
