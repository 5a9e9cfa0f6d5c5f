import Foundation
import Testing
import TidingsCore
import TidingsDevKit

@testable import TidingsRuntime

/// `tidings replay <dead-letter file>`, the documented recovery path: each kept event goes back to
/// the function that kept it.
@Suite("Replaying dead letters")
struct DeadLetterReplayTests {
    static let order = RuntimeTestSupport.root.appendingPathComponent(
        "Events/orderCreated/canonical-order-created.json")

    /// Keeps the recorded order as orderCreated's dead-letter store would, and returns the file.
    func keep(in folder: URL, function: String = "orderCreated") throws -> URL {
        let path = try FolderDeadLetterStore(directory: folder).keep(
            Array(try Data(contentsOf: Self.order)), eventID: "cdp-order-1", function: function,
            reason: "platform_unavailable", at: Date(timeIntervalSince1970: 1_795_000_000))
        return URL(fileURLWithPath: path)
    }

    @Test("A dead-letter file goes to the function its .error note names, else the one in its name")
    func routing() throws {
        try withScratchSync { scratch in
            let folder = scratch.appendingPathComponent("dead-letter")
            let kept = try keep(in: folder)
            #expect(Replayer.function(for: kept) == .orderCreated)
            // The note wins over the name.
            let renamed = folder.appendingPathComponent("2026-11-27T163255Z-winBack-x.json")
            try FileManager.default.moveItem(at: kept, to: renamed)
            try FileManager.default.moveItem(
                at: URL(fileURLWithPath: kept.path + ".error"), to: URL(fileURLWithPath: renamed.path + ".error"))
            #expect(Replayer.function(for: renamed) == .orderCreated)
            // Without its note, the name says.
            try FileManager.default.removeItem(at: URL(fileURLWithPath: renamed.path + ".error"))
            #expect(Replayer.function(for: renamed) == .winBack)
            // Recorded events keep going by their folder.
            #expect(Replayer.function(for: Self.order) == .orderCreated)
            // Nothing says: no guess.
            #expect(Replayer.function(for: scratch.appendingPathComponent("event.json")) == nil)
        }
    }

    @Test(
        "Replaying a dead letter runs it through its own function; --function overrides; an unroutable file is an error"
    )
    func replay() async throws {
        try await withScratch { scratch in
            let kept = try keep(in: scratch.appendingPathComponent("kept"))
            let configuration = try RuntimeTestSupport.configuration(
                dataDirectory: scratch.appendingPathComponent("data"))
            let replayer = Replayer(configuration: configuration, logger: RuntimeTestSupport.quietLogger)
            let results = try await replayer.replay([kept])
            #expect(results.map(\.function) == [.orderCreated])
            #expect(results.first?.report.function == "orderCreated")
            #expect(results.first?.report.outcome == .sent, "\(results.first?.report.reason ?? "")")

            let forced = try await replayer.replay([kept], function: .orderCancelled)
            #expect(forced.map(\.function) == [.orderCancelled])

            let loose = scratch.appendingPathComponent("event.json")
            try FileManager.default.copyItem(at: Self.order, to: loose)
            await #expect(throws: ReplayInputError.self) { try await replayer.replay([loose]) }
        }
    }
}
