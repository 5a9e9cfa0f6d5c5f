import Foundation

@testable import TidingsCore

/// Paths of the repository's fixtures, found from this file so tests run from any folder.
enum TestPaths {
    /// The repository root.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let events = root.appendingPathComponent("Events")
    static let cartAbandoned = events.appendingPathComponent("cartAbandoned")
    static let shop = events.appendingPathComponent("shop")
    /// The slices of the official specs and samples the tests read (Tests/Fixtures/PROVENANCE.md).
    static let specs = root.appendingPathComponent("Tests/Fixtures/specs")
    /// The public data sets the tests read (Tests/Fixtures/PROVENANCE.md).
    static let data = root.appendingPathComponent("Tests/Fixtures/data")

    static func event(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: cartAbandoned.appendingPathComponent(name)))
    }

    static func decode(_ name: String) throws -> LifecycleEvent {
        try EventDecoder().decode(InboundDelivery(body: try event(name)))
    }
}

/// Runs `body` with a fresh temporary folder that is removed afterwards.
func withTemporaryDirectory<Result>(_ body: (URL) async throws -> Result) async throws -> Result {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tidings-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try await body(directory)
}

/// `withTemporaryDirectory` for synchronous tests.
func withTemporaryDirectorySync<Result>(_ body: (URL) throws -> Result) throws -> Result {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tidings-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory)
}
