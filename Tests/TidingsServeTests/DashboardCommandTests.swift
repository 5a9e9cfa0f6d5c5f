import Foundation
import Testing
import TidingsServe

/// `tidings serve hash-password`: the users-file line from a password on stdin.
@Suite("Dashboard: tidings serve hash-password")
struct DashboardCommandTests {
    /// The `tidings` binary built beside the test bundle (swift test builds every product).
    static func binary() throws -> URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("tidings")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        let debug = DashboardFixture.root.appendingPathComponent(".build/debug/tidings")
        return try #require(FileManager.default.isExecutableFile(atPath: debug.path) ? debug : nil)
    }

    static func run(_ arguments: [String], stdin: String) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = try binary()
        process.arguments = arguments
        let input = Pipe()
        let output = Pipe()
        let error = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = error
        try process.run()
        input.fileHandleForWriting.write(Data(stdin.utf8))
        try input.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    @Test("It prints NAME:pbkdf2-sha256$600000$… that matches the password and never echoes it")
    func hashPassword() throws {
        let result = try Self.run(["serve", "hash-password", "maria"], stdin: "tr0ub4dor&3\n")
        #expect(result.status == 0, "\(result.error)")
        let line = result.output.trimmingCharacters(in: .newlines)
        #expect(line.hasPrefix("maria:pbkdf2-sha256$600000$"))
        #expect(!result.output.contains("tr0ub4dor") && !result.error.contains("tr0ub4dor"))
        let hash = try PasswordHash(encoded: String(line.dropFirst("maria:".count)))
        #expect(hash.matches("tr0ub4dor&3"))
        #expect(!hash.matches("tr0ub4dor&3\n"))

        let empty = try Self.run(["serve", "hash-password", "maria"], stdin: "")
        #expect(empty.status != 0)
        #expect(empty.error.contains("no password on stdin"))
        let colon = try Self.run(["serve", "hash-password", "ma:ria"], stdin: "pw\n")
        #expect(colon.status != 0)
        #expect(colon.error.contains("without ':'"))
    }
}
