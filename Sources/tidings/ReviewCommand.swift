import ArgumentParser
import Foundation
import TidingsCore
import TidingsRuntime

/// `tidings review`: the drafts waiting for a human, and the decisions on them. A thin layer over
/// `ReviewDesk` (TidingsCore), which the dashboard calls too; roles, validation, sending and the
/// audit live there (docs/decisions/review.md).
struct ReviewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review", abstract: "Look at, approve, reject or edit the drafts waiting for a human.",
        discussion: """
            Reviewers and their roles come from the config file's review.reviewers (docs/configuration.md). \
            An approved email goes to the service TIDINGS_ESP names (a step due later is scheduled); \
            every decision is audited under the data folder. `list` and `sweep` expire items past their \
            flow's review.expire_after and escalate those past review.escalate_after.
            """,
        subcommands: [List.self, Show.self, Approve.self, Reject.self, Edit.self, Sweep.self])

    /// The options every subcommand shares.
    struct Common: ParsableArguments {
        @Option(help: "The data folder holding review/ (default: $TIDINGS_DATA_DIR or .tidings).")
        var dataDir: String?

        @Option(help: "The instant to decide at, ISO 8601 with an offset (TIDINGS_NOW); for tests and replays.")
        var now: String?

        func validate() throws {
            if let now, Timestamp.parse(now) == nil {
                throw ValidationError(
                    "--now must be an ISO 8601 timestamp with an offset (2026-11-29T15:00:00Z), not '\(now)'")
            }
        }

        /// The desk over the configured data folder. A data folder that does not exist is a typo,
        /// not an empty queue (as `audit verify` says).
        func desk() throws -> ReviewDesk {
            var environment = ProcessInfo.processInfo.environment
            if let dataDir { environment["TIDINGS_DATA_DIR"] = dataDir }
            if let now { environment["TIDINGS_NOW"] = now }
            let base = environment["TIDINGS_DATA_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? ".tidings"
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: base, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("no data folder at \(base)")
            }
            let logger = FunctionEnvironment.logger(label: "tidings.review", environment: environment)
            do {
                let configuration = try Configuration.load(environment: environment)
                return try ReviewDeskEnvironment.desk(configuration, logger: logger)
            } catch {
                throw CommandFailure("\(error)")
            }
        }
    }

    /// Runs a desk call, turning its refusal into the CLI's one-sentence error.
    static func decide<T>(_ body: () async throws(ReviewDeskError) -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw CommandFailure("review \(error.code.rawValue): \(error.description)")
        }
    }

    static func print(_ report: ReviewDesk.Report) {
        var line = "\(report.action) \(report.reviewID): event \(report.eventID) is now \(report.outcome.rawValue)"
        if let reason = report.reason { line += " (\(reason))" }
        Swift.print(line)
        if let reference = report.reference { Swift.print("  email: \(reference)") }
        for finding in report.findings { Swift.print("  finding: \(finding)") }
        if let problem = report.auditProblem {
            Swift.print("  WARNING: the email went out but its audit failed: \(problem)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List pending review items, oldest send time first (expires and escalates first).")

        @OptionGroup var common: Common

        @Option(help: "Show only the items this reviewer may decide.")
        var reviewer: String?

        func run() async throws {
            let desk = try common.desk()
            let role = try reviewer.map { name in
                try ReviewCommand.decideSync { () throws(ReviewDeskError) in try desk.role(of: name) }
            }
            let (items, swept) = try await ReviewCommand.decide { () async throws(ReviewDeskError) in
                try await desk.list()
            }
            for report in swept { ReviewCommand.print(report) }
            var shown = 0
            for item in items {
                let record = try? desk.store.load(id: item.id)
                if let role, !role.covers(flow: item.flow, tier: record?.context?.tier) { continue }
                shown += 1
                Swift.print(
                    "\(item.id)  \(item.flow.rawValue)  tier \(record?.context?.tier ?? "?")  score \(item.score)  send at \(Timestamp.format(item.sendAt))"
                )
                Swift.print("  event:   \(item.eventID)")
                Swift.print("  subject: \(item.subject)")
                Swift.print("  why:     \(item.reasons.joined(separator: "; "))")
                if let editors = record?.editors, !editors.isEmpty {
                    Swift.print("  edited:  by \(editors.joined(separator: ", "))")
                }
                if let escalated = record?.escalatedAt { Swift.print("  escalated at \(Timestamp.format(escalated))") }
                Swift.print("  email:   \(item.emailPath)")
            }
            if shown == 0 { Swift.print("Review queue in \(desk.store.location): nothing is waiting.") }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one item: its reasons, draft and email file.")

        @OptionGroup var common: Common

        @Argument(help: "The review id (from `tidings review list`).")
        var id: String

        @Option(help: "The reviewer looking (checked against review.reviewers when given).")
        var reviewer: String?

        func run() async throws {
            let desk = try common.desk()
            if let reviewer {
                _ = try ReviewCommand.decideSync { () throws(ReviewDeskError) in try desk.role(of: reviewer) }
            }
            let record = try ReviewCommand.decideSync { () throws(ReviewDeskError) in try desk.show(id) }
            Swift.print("review id: \(id)")
            Swift.print("event:     \(record.eventID)")
            Swift.print("flow:      \(record.flow.rawValue)\(record.step.map { " (step \($0))" } ?? "")")
            Swift.print("tier:      \(record.context?.tier ?? "?")")
            Swift.print("written:   \(record.context.map { "\($0.writer) with \($0.prompt)" } ?? "?")")
            Swift.print("score:     \(record.score)")
            Swift.print("send at:   \(Timestamp.format(record.sendAt))")
            Swift.print("why:       \(record.reasons.joined(separator: "; "))")
            if let editors = record.editors, !editors.isEmpty {
                Swift.print("edited by: \(editors.joined(separator: ", "))")
            }
            Swift.print("subject:   \(record.subject)")
            Swift.print("email:     \((try? desk.store.pending().first { $0.id == id }?.emailPath) ?? nil ?? "?")")
            Swift.print("draft (the part `edit` changes):")
            Swift.print(String(decoding: DraftEdit.document(of: record.draft), as: UTF8.self), terminator: "")
        }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Approve an item: validate it again and send it through the configured email service.")

        @OptionGroup var common: Common

        @Argument(help: "The review id.")
        var id: String

        @Option(help: "Who approves (a name in review.reviewers).")
        var reviewer: String

        func run() async throws {
            let desk = try common.desk()
            ReviewCommand.print(
                try await ReviewCommand.decide { () async throws(ReviewDeskError) in
                    try await desk.approve(id, reviewer: reviewer)
                })
        }
    }

    struct Reject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reject an item: nothing is sent.")

        @OptionGroup var common: Common

        @Argument(help: "The review id.")
        var id: String

        @Option(help: "Who rejects (a name in review.reviewers).")
        var reviewer: String

        @Option(help: "Why, for the audit.")
        var reason: String

        func run() async throws {
            let desk = try common.desk()
            ReviewCommand.print(
                try await ReviewCommand.decide { () async throws(ReviewDeskError) in
                    try await desk.reject(id, reviewer: reviewer, reason: reason)
                })
        }
    }

    struct Edit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Edit an item's subjects, preheader and blocks in $EDITOR or from a JSON file.",
            discussion: """
                The edited draft must pass the validator; it then waits for another reviewer \
                (nobody approves their own edit).
                """)

        @OptionGroup var common: Common

        @Argument(help: "The review id.")
        var id: String

        @Option(help: "Who edits (a name in review.reviewers).")
        var reviewer: String

        @Option(
            help: "A JSON file with subjects (or subject), preheader and blocks; without it $EDITOR opens the draft.")
        var file: String?

        func run() async throws {
            let desk = try common.desk()
            let record = try ReviewCommand.decideSync { () throws(ReviewDeskError) in try desk.show(id) }
            let bytes: [UInt8]
            if let file {
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw ValidationError("cannot read --file \(file)")
                }
                bytes = Array(data)
            } else {
                bytes = try Self.editInEditor(DraftEdit.document(of: record.draft))
            }
            let changes: DraftEdit
            do {
                changes = try DraftEdit.decode(bytes, current: record.draft)
            } catch {
                throw CommandFailure("the edit is not usable: \(error)")
            }
            ReviewCommand.print(
                try await ReviewCommand.decide { () async throws(ReviewDeskError) in
                    try await desk.edit(id, reviewer: reviewer, changes: changes)
                })
        }

        /// Writes the document to a temporary file, runs `$EDITOR` (then `$VISUAL`, then `vi`) on
        /// it through the shell, and reads it back.
        static func editInEditor(_ document: [UInt8]) throws -> [UInt8] {
            let environment = ProcessInfo.processInfo.environment
            let editor = [environment["EDITOR"], environment["VISUAL"]].compactMap { $0 }.first { !$0.isEmpty } ?? "vi"
            let path = NSTemporaryDirectory() + "tidings-review-\(UUID().uuidString).json"
            guard
                FileManager.default.createFile(
                    atPath: path, contents: Data(document), attributes: [.posixPermissions: 0o600])
            else { throw CommandFailure("cannot write the draft to \(path)") }
            defer { try? FileManager.default.removeItem(atPath: path) }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "\(editor) \"$1\"", "editor", path]
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw CommandFailure(
                    "the editor (\(editor)) exited with status \(process.terminationStatus); nothing was changed")
            }
            guard let edited = FileManager.default.contents(atPath: path) else {
                throw CommandFailure("cannot read the edited draft back from \(path)")
            }
            return Array(edited)
        }
    }

    struct Sweep: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Expire and escalate the items that waited too long (review.expire_after, review.escalate_after)."
        )

        @OptionGroup var common: Common

        func run() async throws {
            let desk = try common.desk()
            let reports = try await ReviewCommand.decide { () async throws(ReviewDeskError) in try await desk.sweep() }
            for report in reports { ReviewCommand.print(report) }
            if reports.isEmpty { Swift.print("Nothing has waited past its flow's limits.") }
        }
    }

    /// `decide` for synchronous desk calls.
    static func decideSync<T>(_ body: () throws(ReviewDeskError) -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw CommandFailure("review \(error.code.rawValue): \(error.description)")
        }
    }
}
