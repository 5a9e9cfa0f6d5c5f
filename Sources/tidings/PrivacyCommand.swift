import ArgumentParser
import Foundation
import TidingsCore
import TidingsHTTP
import TidingsRuntime

/// `tidings privacy ...`: what Tidings holds on one customer, and removing it
/// (docs/decisions/privacy.md).
struct PrivacyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "privacy", abstract: "Export or erase what Tidings holds on one customer.",
        subcommands: [Export.self, Erase.self])

    /// The data folder: `--data-dir`, else `$TIDINGS_DATA_DIR`, else `.tidings`.
    static func dataFolder(_ dataDir: String?) -> URL {
        URL(fileURLWithPath: dataDir ?? ProcessInfo.processInfo.environment["TIDINGS_DATA_DIR"] ?? ".tidings")
    }

    /// A customer id as given, or a usage error naming `--customer`.
    static func customerID(_ value: String) throws -> String {
        let id = value.trimmingCharacters(in: .whitespaces)
        guard !id.isEmpty else { throw ValidationError("--customer: the customer id is empty") }
        return id
    }

    /// Finds the customer's data: the suppression entries in the state store `TIDINGS_STATE` names
    /// (and the JSON Lines list a data folder kept before it, by customer id). A bad state
    /// configuration exits 78 naming the key.
    static func locate(_ customer: String, data: URL) async throws -> CustomerData {
        let environment = ProcessInfo.processInfo.environment
        let settings: StateSettings
        do {
            settings = try StateSettings.load(environment: environment)
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(ExitStatus.badConfiguration.rawValue)
        }
        let store = StateStoreOnFirstUse { () throws(StateStoreError) in
            try settings.makeStore(dataFolder: data) { CurlTransport(CurlTransport.Configuration(name: "dynamodb")) }
        }
        let legacy = JSONLSuppressionList(directory: data.appendingPathComponent("suppression"))
        return try await CustomerData.locate(
            customerID: customer, folders: PrivacyFolders(dataDirectory: data), now: Date()
        ) {
            id, hash in
            if let found = try await store.suppression(customerID: id, addressHash: hash) { return found }
            guard let id, FileManager.default.fileExists(atPath: legacy.path) else { return nil }
            return try await legacy.entry(customerID: id, address: nil)
        }
    }

    /// `tidings privacy export --customer ID [--out FILE]`.
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Write what Tidings holds on one customer as one JSON document: audit records, the prompts, answers, drafts and findings they reference, review items, outbox messages (scheduled, sent, cancelled), suppression entries and dead letters."
        )

        @Option(help: "The customer's id, as the platform and the audit name it.")
        var customer: String

        @Option(help: "Write the document here instead of standard output.")
        var out: String?

        @Option(help: "The data folder (default: $TIDINGS_DATA_DIR or .tidings).")
        var dataDir: String?

        func run() async throws {
            let id = try PrivacyCommand.customerID(customer)
            let data = PrivacyCommand.dataFolder(dataDir)
            let found = try await PrivacyCommand.locate(id, data: data)
            let document = PrivacyExport.document(
                found, folders: PrivacyFolders(dataDirectory: data), exportedAt: Date())
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let bytes = try encoder.encode(document) + Data("\n".utf8)
            guard let out else {
                FileHandle.standardOutput.write(bytes)
                return
            }
            try bytes.write(to: URL(fileURLWithPath: out), options: .atomic)
            FileHandle.standardError.write(
                Data(
                    ("customer \(id): \(found.trail.eventIDs.count) events, \(found.trail.records.count) audit records, "
                        + "\(found.reviewItems.count) review items, \(found.outboxMessages.count) outbox messages, "
                        + "\(found.deadLetters.count) dead letters, \(found.suppression.count) suppression entries "
                        + "-> \(out)\n").utf8))
        }
    }

    /// `tidings privacy erase --customer ID`.
    struct Erase: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Remove one customer's personal data: review items, outbox messages (cancelled and sent ones too), dead letters and the audit content of their events. Audit records stay (ids, hashes, counts) and `tidings audit verify` still passes; suppression entries stay, so an unsubscribe is still honoured. The erasure is recorded in the audit."
        )

        @Option(help: "The customer's id, as the platform and the audit name it.")
        var customer: String

        @Option(help: "The data folder (default: $TIDINGS_DATA_DIR or .tidings).")
        var dataDir: String?

        func run() async throws {
            let id = try PrivacyCommand.customerID(customer)
            let data = PrivacyCommand.dataFolder(dataDir)
            let environment = ProcessInfo.processInfo.environment
            let key: AuditKey?
            do {
                key = try Configuration.readSecret("TIDINGS_AUDIT_KEY", environment: environment).map(AuditKey.init)
            } catch {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                throw ExitCode(ExitStatus.badConfiguration.rawValue)
            }
            let found = try await PrivacyCommand.locate(id, data: data)
            let folders = PrivacyFolders(dataDirectory: data)
            let audit = JSONLAuditLog(
                root: folders.audit, writerID: JSONLAuditLog.makeWriterID(function: PrivacyErasure.function), key: key)
            let (eventID, counts) = try PrivacyErasure(audit: audit, folders: folders, clock: SystemClock())
                .erase(found, correlationID: UUID().uuidString.lowercased())
            print(
                "customer \(id): erased \(counts.reviewItems) review items, \(counts.outboxMessages) outbox messages, "
                    + "\(counts.deadLetters) dead letters, \(counts.contentItems) content files "
                    + "(\(counts.contentShared) shared with other events kept); kept \(counts.auditRecords) audit "
                    + "records and \(counts.suppressionKept) suppression entries; recorded as \(eventID)")
        }
    }
}
