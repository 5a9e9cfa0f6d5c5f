import ArgumentParser
import Foundation
import TidingsCore

/// `tidings audit ...`: work with the append-only audit log.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Check the audit log.", subcommands: [Verify.self])

    /// `tidings audit verify`: checks every hash chain and names the first bad line and why.
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Verify every audit file's hash chain and that every event ends in one terminal record; name the first bad line."
        )

        @Option(help: "The data folder holding audit/ (default: $TIDINGS_DATA_DIR or .tidings).")
        var dataDir: String?

        @Option(help: "Only these UTC days (YYYY-MM-DD); repeatable.")
        var day: [String] = []

        @Flag(
            help:
                "Tolerate a last event without its terminal record in each file (a warning): for verifying while functions run."
        )
        var allowOpenTail = false

        func run() throws {
            let base = dataDir ?? ProcessInfo.processInfo.environment["TIDINGS_DATA_DIR"] ?? ".tidings"
            let root = URL(fileURLWithPath: base).appendingPathComponent("audit")
            guard FileManager.default.fileExists(atPath: root.path) else {
                throw ValidationError("no audit folder at \(root.path)")
            }
            let report = try AuditVerifier(root: root).verify(
                days: day.isEmpty ? nil : day, allowOpenTail: allowOpenTail)
            for warning in report.warnings { print("warning: \(warning) — tolerated") }
            for problem in report.problems { print("FAIL: \(problem)") }
            print(
                "\(report.files.count) files, \(report.goodRecords) records verified: \(report.passed ? "chain intact" : "chain broken")"
            )
            if !report.passed { throw ExitCode(1) }
        }
    }
}
