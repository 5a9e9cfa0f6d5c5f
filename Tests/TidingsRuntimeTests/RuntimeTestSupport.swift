import Foundation
import Logging
import Testing
import TidingsCore

@testable import TidingsRuntime

/// Paths and helpers shared by the runtime tests.
enum RuntimeTestSupport {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let cartEvents = root.appendingPathComponent("Events/cartAbandoned")
    static let golden = root.appendingPathComponent("Tests/Fixtures/golden-cartAbandoned.json")

    static var quietLogger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }

    static let envelopes = cartEvents.appendingPathComponent("envelopes")

    /// The secrets the recorded deliveries and envelope fixtures are signed with
    /// (Tests/Fixtures/make-envelopes.py).
    static let webhookSecrets = [
        "SHOPIFY_WEBHOOK_SECRET": "northwind-webhook-secret",
        "BIGCOMMERCE_WEBHOOK_SECRET": "northwind-bigcommerce-secret",
    ]

    /// A `schedule.win_back` event over `platform` (triggered 2026-11-23T06:00:00Z, P(alive) ≤ 0.9,
    /// 60 quiet days, two writes at once), as bytes.
    static func winBackScanEvent(platform: String) -> Data {
        Data(
            #"""
            {"event": "schedule.win_back", "event_id": "canonical:schedule.win_back:\#(platform)", "triggered_at": "2026-11-23T06:00:00Z",
             "source": "test", "payload": {"criteria": {"platform": "\#(platform)", "p_alive_max": 0.9, "quiet_days": 60, "concurrency": 2}}}
            """#.utf8)
    }

    /// A configuration on the recorded shop with its data folder in `directory`, webhooks checked
    /// with the fixtures' secrets.
    static func configuration(dataDirectory: URL, extra: [String: String] = webhookSecrets) throws -> Configuration {
        try Configuration.load(
            environment: [
                "TIDINGS_DATA_DIR": dataDirectory.path,
                "TIDINGS_SHOP_DIR": root.appendingPathComponent("Events/shop").path,
            ].merging(extra) { _, new in new },
            workingDirectory: root)
    }

    /// The handler binary built next to the test bundle (swift test builds every product).
    /// The suppression entries the state store (`<data>/state.sqlite3`, the default
    /// `TIDINGS_STATE`) holds, one JSON text per entry (an entry kept under its customer and its
    /// address key counts once), oldest first. Also expects that the data folder's JSON Lines list
    /// stayed unwritten: with a state store, additions go there no more.
    static func storedSuppressions(_ data: URL) -> [String] {
        #expect(!FileManager.default.fileExists(atPath: data.appendingPathComponent("suppression").path))
        let path = data.appendingPathComponent("state.sqlite3").path
        guard FileManager.default.fileExists(atPath: path), let database = try? SQLiteDatabase(path: path) else {
            return []
        }
        let sql = "SELECT DISTINCT result FROM state WHERE kind = 'suppression' ORDER BY time"
        return ((try? database.query(sql)) ?? []).compactMap { $0.first?.text }
    }

    static func builtBinary(_ name: String) -> URL? {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        let debug = root.appendingPathComponent(".build/debug/\(name)")
        return FileManager.default.isExecutableFile(atPath: debug.path) ? debug : nil
    }
}

/// Runs `body` with a fresh temporary folder that is removed afterwards.
/// What a handler binary printed and how it ended.
struct HandlerExecution {
    var status: Int32
    var stdout: Data
    var stderr: String
}

extension RuntimeTestSupport {
    /// Runs a built handler binary on one event file on stdin, from the repository root, with the
    /// process's environment plus `environment` (a data folder must be among them), less the
    /// inherited variables `unset` names.
    static func execute(_ handler: String, event: URL, environment: [String: String], unset: [String] = []) throws
        -> HandlerExecution
    {
        let binary = try #require(builtBinary(handler), "build the package first (swift build)")
        let process = Process()
        process.executableURL = binary
        process.currentDirectoryURL = root
        var inherited = ProcessInfo.processInfo.environment
        for name in unset { inherited[name] = nil }
        process.environment = inherited.merging(environment) { _, new in new }
        process.standardInput = try FileHandle(forReadingFrom: event)
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Read both pipes to the end before waiting, so a chatty child never blocks on a full pipe.
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return HandlerExecution(
            status: process.terminationStatus, stdout: stdout, stderr: String(decoding: stderr, as: UTF8.self))
    }
}

func withScratch<Result>(_ body: (URL) async throws -> Result) async throws -> Result {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tidings-rt-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try await body(directory)
}
