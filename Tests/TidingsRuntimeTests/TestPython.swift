import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The Python interpreter the loopback servers of these tests run on (the model fake needs
/// `jsonschema`, the SES tests `moto[server]`, the SMTP tests `aiosmtpd`, the Shopify GraphQL fake
/// `graphql-core`), so that `swift test`
/// alone works on a fresh machine: `python3` from PATH when it imports all three, else a virtual
/// environment under `.build` made once on top of the system's packages (pip adds only what is
/// missing: seconds for aiosmtpd alone, about 100 s for all three) and reused by later runs.
enum TestPython {
    /// The modules the servers import.
    static let probe = "import jsonschema, moto.moto_server.threaded_moto_server, aiosmtpd.smtp, graphql"
    /// What pip installs when they are missing.
    static let packages = ["jsonschema", "moto[server]", "aiosmtpd", "graphql-core"]
    /// Where the environment is kept (.build is outside git and survives between runs).
    static let environment = RuntimeTestSupport.root.appendingPathComponent(".build/test-python")

    /// The interpreter's path, resolved once per test process; `python3` when PATH's one will do.
    /// Resolving imports moto (seconds, more on a loaded machine): async callers go through
    /// `prepare()` so that the wait is not a blocked cooperative thread.
    static let interpreter: String = resolve()

    /// Resolves `interpreter` on a thread of its own and waits for it without blocking a
    /// cooperative thread. Every caller blocked in the one-time initialisation otherwise holds a
    /// thread of the pool (two on this machine), and the whole test process stalls meanwhile.
    static func prepare() async {
        await withCheckedContinuation { continuation in
            Thread {
                _ = interpreter
                continuation.resume()
            }.start()
        }
    }

    /// A process running the interpreter with `arguments` (not started).
    static func process(_ arguments: [String]) -> Process {
        let process = Process()
        if interpreter == "python3" {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3"] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: interpreter)
            process.arguments = arguments
        }
        return process
    }

    static func resolve() -> String {
        if run(["/usr/bin/env", "python3", "-c", probe]) { return "python3" }
        let python = environment.appendingPathComponent("bin/python").path
        if run([python, "-c", probe]) { return python }
        // A failure here shows when the server does not start, with the interpreter's own message.
        _ = run(["/usr/bin/env", "python3", "-m", "venv", "--system-site-packages", environment.path])
        _ = run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check"] + packages)
        return python
    }

    /// Runs a command to its end; true when it exited 0. Output is discarded.
    static func run(_ command: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return false
        }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    /// Starts a loopback server (`arguments`: its script and options) that prints its port on its
    /// first line, runs `body` with the port, and kills the server afterwards whatever happens.
    /// When no port comes, records an issue naming `what`, with `explain(stderr)` or the end of
    /// stderr, and throws.
    static func withServer<Result>(
        _ what: String, _ arguments: [String], explain: (String) -> String? = { _ in nil },
        _ body: (Int) async throws -> Result
    ) async throws -> Result {
        await prepare()
        let process = process(arguments)
        let output = Pipe()
        // stderr goes to a file, not a pipe: a server that logs each request (werkzeug does)
        // into a pipe nobody reads blocks once its 64 KiB are full, and with it every test using
        // the server (a full suite hung on moto that way).
        let errorsPath = NSTemporaryDirectory() + "tidings-server-\(UUID().uuidString).err"
        FileManager.default.createFile(atPath: errorsPath, contents: nil)
        let errors = try FileHandle(forWritingTo: URL(fileURLWithPath: errorsPath))
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        try? errors.close()
        defer {
            try? FileManager.default.removeItem(atPath: errorsPath)
            // SIGKILL: the test runner's blocked SIGTERM would be inherited by a careless server.
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            // Not waitUntilExit: with many children at once Foundation's child monitor has missed
            // an exit (a zombie), and a wait for ever on this cooperative thread hung the suite.
            var polls = 0
            while process.isRunning && polls < 100 {
                usleep(50_000)
                polls += 1
            }
        }
        // Read on a thread of its own: an interpreter takes a second or two to start (moto to
        // import), and a blocked cooperative thread would stall every other test meanwhile.
        let line = await withCheckedContinuation { continuation in
            Thread {
                let data = output.fileHandleForReading.availableDataUntilNewline()
                continuation.resume(returning: String(decoding: data, as: UTF8.self))
            }.start()
        }
        guard let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            process.waitUntilExit()
            let reason = (try? String(contentsOfFile: errorsPath, encoding: .utf8)) ?? ""
            Issue.record(
                "\(what) did not start on \(interpreter): \(explain(reason) ?? String(reason.suffix(600)))")
            throw CancellationError()
        }
        // Whatever the server prints after its port is read and dropped, on a thread of its own,
        // so stdout can never fill up either.
        Thread {
            while !output.fileHandleForReading.availableData.isEmpty {}
        }.start()
        return try await body(port)
    }
}
