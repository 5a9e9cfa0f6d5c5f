import Foundation
import Testing
import TidingsCore

/// The loopback server of Tests/Fixtures/http-faults.py, started for one test and killed after.
struct FaultServer {
    /// "http://127.0.0.1:PORT" (https with `tls`).
    let base: String
    /// The port it listened on.
    let port: Int

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/http-faults.py")

    /// Runs `body` with a fresh server; with `tls` it serves HTTPS with a self-signed certificate.
    static func with<Result>(tls: Bool = false, _ body: (FaultServer) async throws -> Result) async throws -> Result {
        let python = "/usr/bin/python3"
        try #require(FileManager.default.isExecutableFile(atPath: python), "python3 is needed (.ci/run installs it)")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "tidings-http-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script.path] + (tls ? ["--tls", directory.path] : [])
        let output = Pipe()
        let input = Pipe()
        process.standardOutput = output
        process.standardInput = input
        try process.run()
        defer { stop(process, input: input) }
        var line: [UInt8] = []
        while true {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line += chunk
            if line.contains(UInt8(ascii: "\n")) { break }
        }
        let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let port = try #require(Int(text), "http-faults.py printed no port")
        return try await body(FaultServer(base: "\(tls ? "https" : "http")://127.0.0.1:\(port)", port: port))
    }

    /// Closing its stdin makes the server exit; SIGKILL if it has not within 2 s. (Not SIGTERM and
    /// `waitUntilExit`: a child spawned from a pool thread inherits a mask that blocks SIGTERM, and
    /// `waitUntilExit` spins off the main thread.)
    private static func stop(_ process: Process, input: Pipe) {
        try? input.fileHandleForWriting.close()
        for round in 0..<400 where process.isRunning {
            if round == 200 { kill(process.processIdentifier, SIGKILL) }
            usleep(10_000)
        }
    }

    /// GETs a JSON counter from the server (`/hits?key=`, `/connections`) through `transport`.
    func counter(_ path: String, _ field: String, through transport: any HTTPTransport) async throws -> Int {
        let response = try await transport.send(TransportRequest(method: "GET", url: base + path))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        return try #require(object[field] as? Int)
    }
}
