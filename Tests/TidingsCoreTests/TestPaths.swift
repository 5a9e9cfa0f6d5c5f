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
    /// ../shared/specs beside the repository (CI lays shared/ beside the clone).
    static let specs = root.deletingLastPathComponent().appendingPathComponent("shared/specs")

    static func event(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: cartAbandoned.appendingPathComponent(name)))
    }

    static func decode(_ name: String) throws -> LifecycleEvent {
        try EventDecoder().decode(Delivery(body: try event(name)))
    }
}

/// Runs `body` with a fresh temporary folder that is removed afterwards.
func withTemporaryDirectory<Result>(_ body: (URL) async throws -> Result) async throws -> Result {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tidings-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try await body(directory)
}
