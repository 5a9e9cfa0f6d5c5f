import ArgumentParser
import Foundation
import TidingsCore
import TidingsRuntime

/// `tidings audit ...`: work with the append-only audit log.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Check the audit log, or tell one event's or one customer's story.",
        subcommands: [Verify.self, Show.self, Query.self])

    /// `tidings audit verify`: checks every chain, head and manifest, and names each problem's
    /// file, line and kind; warnings (a crash's traces) do not fail it, damage does (exit 1).
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Verify the audit log: every file's hash chain, its head and the day's manifest, that every event ends, and that no event was sent twice. Warnings (a torn last line, an interrupted event) exit 0; damage exits 1. The key is read from TIDINGS_AUDIT_KEY or TIDINGS_AUDIT_KEY_FILE, as the functions read it."
        )

        @Option(help: "The data folder holding audit/ (default: $TIDINGS_DATA_DIR or .tidings).")
        var dataDir: String?

        @Option(help: "Only these UTC days (YYYY-MM-DD); repeatable.")
        var day: [String] = []

        @Flag(help: .hidden)
        var allowOpenTail = false

        func run() throws {
            let environment = ProcessInfo.processInfo.environment
            let base = dataDir ?? environment["TIDINGS_DATA_DIR"] ?? ".tidings"
            let root = URL(fileURLWithPath: base).appendingPathComponent("audit")
            guard FileManager.default.fileExists(atPath: root.path) else {
                throw ValidationError("no audit folder at \(root.path)")
            }
            let key: AuditKey?
            do {
                key = try Configuration.readSecret("TIDINGS_AUDIT_KEY", environment: environment).map(AuditKey.init)
            } catch {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                throw ExitCode(ExitStatus.badConfiguration.rawValue)
            }
            let report = try AuditVerifier(root: root, key: key).verify(days: day.isEmpty ? nil : day)
            for warning in report.warnings { print("warning: \(warning)") }
            for problem in report.problems { print("FAIL: \(problem)") }
            let sealing = key == nil ? "without the audit key" : "with the audit key"
            let verdict =
                report.passed
                ? "intact" + (report.warnings.isEmpty ? "" : " (\(report.warnings.count) warnings)")
                : (report.chainBroken ? "chain broken" : "damaged") + " (\(report.problems.count) problems)"
            let erased = report.erasedContent == 0 ? "" : " (\(report.erasedContent) erased on request)"
            let content = report.contentFiles == 0 ? "" : ", \(report.contentFiles) content files\(erased)"
            print(
                "\(report.files.count) files, \(report.goodRecords) records\(content) verified \(sealing): \(verdict)")
            if !report.passed { throw ExitCode(1) }
        }
    }

    /// `tidings audit show EVENT_ID`: the whole story of one event, records then content.
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Print the whole story of one event: its audit records in order (time, stage, facts), then for each writer's turn the prompt (system and user text) and the raw answer, the decoded draft, the validator's findings, and where the email went."
        )

        @Argument(help: "The event id, as the result JSON and the audit name it.")
        var eventID: String

        @Option(help: "The data folder holding audit/ (default: $TIDINGS_DATA_DIR or .tidings).")
        var dataDir: String?

        @Flag(help: "Print the records and the referenced documents as one JSON object.")
        var json = false

        func run() throws {
            let base = dataDir ?? ProcessInfo.processInfo.environment["TIDINGS_DATA_DIR"] ?? ".tidings"
            let root = URL(fileURLWithPath: base).appendingPathComponent("audit")
            guard FileManager.default.fileExists(atPath: root.path) else {
                throw ValidationError("no audit folder at \(root.path)")
            }
            let story = try AuditStory.read(root: root, eventID: eventID)
            guard !story.records.isEmpty else {
                FileHandle.standardError.write(Data("no records of event \(eventID) under \(root.path)\n".utf8))
                throw ExitCode(1)
            }
            if json {
                print(String(decoding: CanonicalJSON.bytes(story.json()), as: UTF8.self))
            } else {
                print(story.text(), terminator: "")
            }
        }
    }

    /// `tidings audit query --customer ID | --event ID`: everything that happened to a customer or
    /// an event, in time order.
    struct Query: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Print everything the audit says happened to one customer (every record of their events, and the win-back scans' decisions about them) or to one event (with its child events), in time order."
        )

        @Option(help: "A customer id, as the platform and the audit name it.")
        var customer: String?

        @Option(help: "An event id, as the result JSON and the audit name it.")
        var event: String?

        @Option(help: "The data folder holding audit/ (default: $TIDINGS_DATA_DIR or .tidings).")
        var dataDir: String?

        @Flag(help: "Print the records as one JSON object.")
        var json = false

        func validate() throws {
            guard (customer == nil) != (event == nil) else {
                throw ValidationError("give exactly one of --customer ID and --event ID")
            }
            if let customer, customer.trimmingCharacters(in: .whitespaces).isEmpty {
                throw ValidationError("--customer: the customer id is empty")
            }
            if let event, event.isEmpty { throw ValidationError("--event: the event id is empty") }
        }

        func run() throws {
            let base = dataDir ?? ProcessInfo.processInfo.environment["TIDINGS_DATA_DIR"] ?? ".tidings"
            let root = URL(fileURLWithPath: base).appendingPathComponent("audit")
            guard FileManager.default.fileExists(atPath: root.path) else {
                throw ValidationError("no audit folder at \(root.path)")
            }
            let subject: AuditTrail.Subject =
                customer.map { .customer($0.trimmingCharacters(in: .whitespaces)) } ?? .event(event ?? "")
            let trail = try AuditTrail.read(root: root, subject: subject)
            guard !trail.records.isEmpty else {
                FileHandle.standardError.write(Data("no records of \(trail.title) under \(root.path)\n".utf8))
                throw ExitCode(1)
            }
            if json {
                print(String(decoding: CanonicalJSON.bytes(trail.json()), as: UTF8.self))
            } else {
                print(trail.text(), terminator: "")
            }
        }
    }
}
