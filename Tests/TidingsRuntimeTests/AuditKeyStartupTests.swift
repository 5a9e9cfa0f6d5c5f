import Foundation
import Testing
import TidingsCore

@testable import TidingsRuntime

/// `TIDINGS_AUDIT_KEY` as a function reads it at start-up: the real cartAbandoned binary seals its
/// audit with the key, never prints it, and refuses to start on an unreadable key file.
@Suite("Audit key at start-up")
struct AuditKeyStartupTests {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    func run(dataDirectory: URL, environment extra: [String: String]) throws -> Run {
        let environment = [
            "TIDINGS_DATA_DIR": dataDirectory.path, "TIDINGS_LOG_LEVEL": "trace", "TIDINGS_NOW": "2026-11-21T17:00:00Z",
        ].merging(extra) { _, new in new }
        let execution = try RuntimeTestSupport.execute(
            "cartAbandoned", event: RuntimeTestSupport.cartEvents.appendingPathComponent("shopify-guest-checkout.json"),
            environment: environment)
        return Run(
            status: execution.status, stdout: String(decoding: execution.stdout, as: UTF8.self),
            stderr: execution.stderr)
    }

    @Test("With the key from a file the audit is HMAC-sealed, verifies with the key, and the key is never printed")
    func keyedAudit() async throws {
        try await withScratch { scratch in
            let keyFile = scratch.appendingPathComponent("audit.key")
            try Data("k3y-never-printed\n".utf8).write(to: keyFile)
            let result = try run(dataDirectory: scratch, environment: ["TIDINGS_AUDIT_KEY_FILE": keyFile.path])
            #expect(result.status == 0)
            #expect(!result.stdout.contains("k3y-never-printed"))
            #expect(!result.stderr.contains("k3y-never-printed"))

            let audit = scratch.appendingPathComponent("audit")
            let key = AuditKey(Secret("k3y-never-printed"))
            let keyed = try AuditVerifier(root: audit, key: key).verify()
            #expect(keyed.passed)
            #expect(keyed.warnings.isEmpty)
            #expect(keyed.goodRecords > 3)
            // Without the key: passes, and says the seals went unchecked.
            let plain = try AuditVerifier(root: audit).verify()
            #expect(plain.passed)
            #expect(plain.warnings.map(\.kind).contains(.unchecked))
            // With another key: every seal fails.
            let wrong = try AuditVerifier(root: audit, key: AuditKey(Secret("another"))).verify()
            #expect(wrong.problems.first?.kind == .edited)
        }
    }

    @Test("An unreadable key file exits 78 naming TIDINGS_AUDIT_KEY_FILE, and writes no audit")
    func unreadableKeyFile() async throws {
        try await withScratch { scratch in
            let result = try run(
                dataDirectory: scratch, environment: ["TIDINGS_AUDIT_KEY_FILE": "/nonexistent/tidings-audit.key"])
            #expect(result.status == 78)
            #expect(result.stdout.contains("TIDINGS_AUDIT_KEY_FILE"))
            #expect(!FileManager.default.fileExists(atPath: scratch.appendingPathComponent("audit").path))
        }
    }

    @Test("An empty key file is a configuration error naming the key, not a silent unkeyed log")
    func emptyKeyFile() throws {
        let keyFile = FileManager.default.temporaryDirectory.appendingPathComponent("tidings-key-\(UUID().uuidString)")
        try Data("\n".utf8).write(to: keyFile)
        defer { try? FileManager.default.removeItem(at: keyFile) }
        let environment = [
            "TIDINGS_AUDIT_KEY_FILE": keyFile.path,
            "TIDINGS_SHOP_DIR": RuntimeTestSupport.root.appendingPathComponent("Events/shop").path,
        ]
        do {
            _ = try Configuration.load(environment: environment)
            Issue.record("an empty key file loaded")
        } catch {
            #expect(error.key == "TIDINGS_AUDIT_KEY_FILE")
            #expect(error.reason == "the secret file is empty")
        }
    }
}
