import ArgumentParser
import Foundation
import TidingsCore

/// `tidings review list`: the drafts waiting for a human in the review folder. Approving and
/// rejecting from here come with the governance milestone; today a reviewer reads the `.eml`.
struct ReviewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review", abstract: "Look at the drafts waiting for a human.", subcommands: [List.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List pending review items, oldest send time first.")

        @Option(help: "The data folder holding review/ (default: $TIDINGS_DATA_DIR or .tidings).")
        var dataDir: String?

        func run() throws {
            let base = dataDir ?? ProcessInfo.processInfo.environment["TIDINGS_DATA_DIR"] ?? ".tidings"
            // A data folder that does not exist is a typo, not an empty queue (as audit verify says).
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: base, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("no data folder at \(base)")
            }
            let folder = URL(fileURLWithPath: base).appendingPathComponent("review")
            guard FileManager.default.fileExists(atPath: folder.path) else {
                print("No review folder at \(folder.path): nothing is waiting.")
                return
            }
            let items = try FolderReviewQueue(directory: folder).pending().sorted { $0.sendAt < $1.sendAt }
            if items.isEmpty { print("Nothing is waiting for review in \(folder.path).") }
            for item in items {
                print(
                    "\(item.eventID)  \(item.flow.rawValue)  score \(item.score)  send at \(Timestamp.format(item.sendAt))"
                )
                print("  subject: \(item.subject)")
                print("  why:     \(item.reasons.joined(separator: "; "))")
                print("  email:   \(item.emailPath)")
            }
        }
    }
}
