import Foundation
import TidingsCore
import TidingsRuntime

#if canImport(Glibc)
    import Glibc
#endif

/// The loopback model fake (Tests/Fixtures/fakes/model-fake.py) as a child process, for
/// `tidings bench models`: started on a free port of 127.0.0.1, asked for its statistics, killed
/// by `stop()` (or on deinit). It needs `python3` with the `jsonschema` package on PATH.
package final class ModelFakeProcess {
    /// The fake's port on 127.0.0.1.
    package let port: Int
    private let process: Process

    /// `http://127.0.0.1:PORT`: Anthropic's base URL form.
    package var root: String { "http://127.0.0.1:\(port)" }
    /// `http://127.0.0.1:PORT/v1`: OpenAI's base URL form.
    package var v1: String { root + "/v1" }

    /// Starts `script` and waits for the port it prints. Throws `ModelFakeError` when the
    /// interpreter cannot start or the fake exits before printing a port (its stderr is quoted).
    /// `arguments` follow the script's path (the Klaviyo fake's `--retry-after`, `--hang`).
    package init(script: URL, arguments: [String] = []) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path] + arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw ModelFakeError(reason: "cannot start python3 \(script.path): \(error)")
        }
        // The fake prints its port and a newline, then nothing more on stdout.
        var line: [UInt8] = []
        let reader = output.fileHandleForReading
        while !line.contains(10) {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            line += chunk
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        else {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            let reason = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw ModelFakeError(
                reason: "\(script.lastPathComponent) did not start (it needs python3): \(reason.suffix(600))")
        }
        self.port = port
        self.process = process
    }

    deinit { stop() }

    /// Kills the fake (SIGKILL: a parent's blocked SIGTERM may have been inherited) and reaps it.
    package func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// The most model calls the fake has answered at once since it started (`GET /_stats`).
    /// Throws `ModelFakeError` when the answer is not the fake's.
    package func maxInFlight() throws -> Int {
        let socket: HTTPSocket
        do {
            socket = try HTTPSocket.connect(host: "127.0.0.1", port: UInt16(port))
        } catch {
            throw ModelFakeError(reason: "GET /_stats: \(error)")
        }
        defer { socket.close() }
        do {
            try socket.writeMessage(
                "GET /_stats HTTP/1.1", headers: [("Host", "127.0.0.1:\(port)"), ("Connection", "close")], body: [])
            let message = try socket.readMessage()
            if case .int(let count)? = try JSONParser.parse(message.body).objectValue?["max_in_flight"] {
                return count
            }
        } catch {
            throw ModelFakeError(reason: "GET /_stats: \(error)")
        }
        throw ModelFakeError(reason: "GET /_stats: no max_in_flight in the answer")
    }
}

/// The model fake could not be started or asked; `reason` says why.
package struct ModelFakeError: Error, CustomStringConvertible {
    /// What went wrong, with the fake's own words where it gave any.
    package var reason: String
    /// The reason.
    package var description: String { reason }
}
