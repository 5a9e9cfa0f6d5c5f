import Foundation
import TidingsCore

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a Selenium script (Tests/Fixtures/browser/) against headless Chromium for the browser
/// tests. Chromium and its driver are Debian's (`apt-get install -y chromium chromium-driver`;
/// .ci/run installs them); Selenium comes from PyPI, in `python3` when it has it, else in a
/// virtual environment under `.build/test-python-browser` made once and reused. That is a folder of
/// its own, not TestPython's `.build/test-python`: both are made on first use by tests that run
/// at the same time in one process, and two pips in one folder at once break it
/// (docs/decisions/serve-insights.md).
enum BrowserHarness {
    /// Why the browser tests cannot run here, said as what to install.
    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    /// The browser's binaries, or why there are none: `TIDINGS_TEST_CHROMIUM` and
    /// `TIDINGS_TEST_CHROMEDRIVER` when set, else `chromium` and `chromedriver` on PATH or in
    /// `defaults` (where Debian puts them).
    static func binaries(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        defaults: [String] = ["/usr/bin", "/usr/lib/chromium"]
    ) throws(Missing) -> (chromium: String, driver: String) {
        let path = (environment["PATH"] ?? "").split(separator: ":").map(String.init) + defaults
        func find(_ variable: String, _ names: [String]) -> String? {
            if let chosen = environment[variable], !chosen.isEmpty {
                return FileManager.default.isExecutableFile(atPath: chosen) ? chosen : nil
            }
            for directory in path {
                for name in names where FileManager.default.isExecutableFile(atPath: directory + "/" + name) {
                    return directory + "/" + name
                }
            }
            return nil
        }
        let chromium = find("TIDINGS_TEST_CHROMIUM", ["chromium", "chromium-browser"])
        let driver = find("TIDINGS_TEST_CHROMEDRIVER", ["chromedriver"])
        guard let chromium, let driver else {
            let missing = [chromium == nil ? "chromium" : nil, driver == nil ? "chromedriver" : nil].compactMap { $0 }
            throw Missing(
                description: """
                    the browser tests need Debian's Chromium and its WebDriver, and \
                    \(missing.joined(separator: " and ")) cannot be found: install them with \
                    apt-get install -y chromium chromium-driver (as .ci/run does)
                    """)
        }
        return (chromium, driver)
    }

    static let probe = "import selenium.webdriver"
    static let environment = InsightsFixtures.root.appendingPathComponent(".build/test-python-browser")

    /// The interpreter with Selenium, resolved once per test process.
    static let interpreter: Result<String, Missing> = resolve()

    static func resolve() -> Result<String, Missing> {
        if run(["/usr/bin/env", "python3", "-c", probe]) { return .success("/usr/bin/env python3") }
        let python = environment.appendingPathComponent("bin/python").path
        if run([python, "-c", probe]) { return .success(python) }
        guard run(["/usr/bin/env", "python3", "-m", "venv", "--system-site-packages", environment.path]) else {
            return .failure(
                Missing(
                    description:
                        "python3 cannot make a virtual environment for Selenium: apt-get install -y python3-venv"))
        }
        guard run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "selenium"]),
            run([python, "-c", probe])
        else {
            return .failure(
                Missing(description: "pip could not install selenium into \(environment.path) (is PyPI reachable?)"))
        }
        return .success(python)
    }

    /// What a script run came to: its exit status, its stdout's JSON and its stderr.
    struct Run {
        var status: Int32
        var checks: [(name: String, ok: Bool, detail: String)]
        var stderr: String
    }

    /// Runs `script` (under Tests/Fixtures/browser) with a scenario file, off the cooperative
    /// threads, killing it after `timeout` seconds.
    static func runScript(_ script: String, scenario: JSONValue, timeout: TimeInterval = 300) async throws -> Run {
        let (chromium, driver) = try binaries()
        var document = scenario.objectValue ?? [:]
        document["chromium"] = .string(chromium)
        document["chromedriver"] = .string(driver)
        let interpreter = try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Self.interpreter) }.start()
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("browser-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let scenarioFile = scratch.appendingPathComponent("scenario.json")
        try Data(CanonicalJSON.bytes(.object(document))).write(to: scenarioFile)
        let stdoutFile = scratch.appendingPathComponent("stdout")
        let stderrFile = scratch.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: stdoutFile.path, contents: nil)
        FileManager.default.createFile(atPath: stderrFile.path, contents: nil)

        let process = Process()
        let words = interpreter.split(separator: " ").map(String.init)
        process.executableURL = URL(fileURLWithPath: words[0])
        process.arguments =
            Array(words.dropFirst()) + [
                InsightsFixtures.root.appendingPathComponent("Tests/Fixtures/browser/\(script)").path,
                scenarioFile.path,
            ]
        // Selenium Manager must not go looking for drivers on the network: the paths are given.
        process.environment = ProcessInfo.processInfo.environment.merging(["SE_OFFLINE": "true"]) { $1 }
        process.standardOutput = try FileHandle(forWritingTo: stdoutFile)
        process.standardError = try FileHandle(forWritingTo: stderrFile)
        try process.run()
        let status: Int32 = await withCheckedContinuation { continuation in
            Thread {
                let deadline = Date().addingTimeInterval(timeout)
                while process.isRunning && Date() < deadline { usleep(100_000) }
                if process.isRunning {
                    kill(process.processIdentifier, SIGKILL)
                    while process.isRunning { usleep(50_000) }
                    continuation.resume(returning: -1)
                } else {
                    continuation.resume(returning: process.terminationStatus)
                }
            }.start()
        }
        let stderr = (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? ""
        let output = (try? Data(contentsOf: stdoutFile)) ?? Data()
        var checks: [(String, Bool, String)] = []
        if let line = String(decoding: output, as: UTF8.self).split(separator: "\n").last,
            case .object(let result)? = try? JSONParser.parse(String(line)),
            case .array(let items)? = result["checks"]
        {
            for item in items {
                let fields = item.objectValue ?? [:]
                checks.append(
                    (
                        fields["name"]?.stringValue ?? "?", fields["ok"] == .bool(true),
                        fields["detail"]?.stringValue ?? ""
                    ))
            }
        }
        return Run(status: status, checks: checks, stderr: stderr)
    }

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
}
