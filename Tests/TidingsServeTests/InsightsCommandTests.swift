import Foundation
import Testing
import TidingsCore
import TidingsHTTP
import TidingsServe

#if canImport(Glibc)
    import Glibc
#endif

/// `tidings serve --engagement FILE` (or `TIDINGS_ENGAGEMENT_FILE`) as a process: the built
/// binary, a free port, a reviewer signing in over HTTP, and the experiments page charting the
/// configured experiment from the audit's arms and that file.
@Suite("Dashboard: tidings serve --engagement")
struct InsightsCommandTests {
    static let config = #"""
        {"review": {"reviewers": {"maria": {"flows": ["*"], "tiers": ["*"]}, "tom": {"flows": ["*"], "tiers": ["*"]},
           "ana": {"flows": ["*"], "tiers": ["*"]}}},
         "experiments": [{"id": "cart-subjects-1", "flow": "cartAbandoned",
           "arms": [{"name": "urgency", "strategy": "urgency"}, {"name": "benefit", "strategy": "benefit"}],
           "holdout": {"share": 0.1, "treatment": "control_email"}, "min_recipients_per_arm": 5}]}
        """#

    /// A running `tidings serve --port 0` with `arguments` and `environment`; stopped by SIGTERM.
    final class ServeProcess: Sendable {
        let process: Process
        let base: String
        /// Where the server's log goes, for a failure's message.
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("serve-\(UUID().uuidString).log")

        /// The server's log so far.
        var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

        init(arguments: [String], environment: [String: String]) async throws {
            process = Process()
            process.executableURL = try DashboardCommandTests.binary()
            process.arguments = ["serve", "--port", "0"] + arguments
            process.environment = environment
            let output = Pipe()
            process.standardOutput = output
            FileManager.default.createFile(atPath: log.path, contents: nil)
            process.standardError = try FileHandle(forWritingTo: log)
            try process.run()
            let line = await withCheckedContinuation { continuation in
                Thread {
                    // Up to the first line break, or the end of the output when the process died.
                    var bytes = Data()
                    while !bytes.contains(10) {
                        let chunk = output.fileHandleForReading.availableData
                        if chunk.isEmpty { break }
                        bytes.append(chunk)
                    }
                    continuation.resume(returning: String(decoding: bytes, as: UTF8.self))
                }.start()
            }
            guard let range = line.range(of: "http://") else {
                kill(process.processIdentifier, SIGKILL)
                Issue.record("tidings serve printed no address: '\(line)'")
                throw CancellationError()
            }
            base = String(line[range.lowerBound...]).trimmingCharacters(in: .whitespacesAndNewlines)
                .trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        }

        /// SIGTERM, then SIGKILL after 5 s; polls with Task.sleep, so no cooperative thread is held
        /// while Hummingbird shuts down.
        func stop() async {
            kill(process.processIdentifier, SIGTERM)
            var polls = 0
            while process.isRunning && polls < 100 {
                try? await Task.sleep(for: .milliseconds(50))
                polls += 1
            }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            try? FileManager.default.removeItem(at: log)
        }
    }

    /// Signs maria in over plain HTTP and returns the experiments page.
    static func experimentsPage(_ base: String) async throws -> TransportResponse {
        let client = CurlTransport(.init(name: "serve-command-test", connectTimeout: 5, totalTimeout: 30))
        let signIn = try await client.send(TransportRequest(method: "GET", url: base + "/signin"))
        let cookie = try #require(signIn.headers["set-cookie"]?.split(separator: ";").first.map(String.init))
        let token = try #require(DashboardBrowser.csrfToken(in: String(decoding: signIn.body, as: UTF8.self)))
        let form =
            "csrf=\(PercentEncoding.encode(token))&name=maria&password=\(PercentEncoding.encode(DashboardFixture.passwords["maria"]!))"
        let signedIn = try await client.send(
            TransportRequest(
                method: "POST", url: base + "/signin",
                headers: ["Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"],
                body: Array(form.utf8)))
        #expect(signedIn.status == 303 && signedIn.headers["location"] == "/review")
        let session = try #require(signedIn.headers["set-cookie"]?.split(separator: ";").first.map(String.init))
        return try await client.send(
            TransportRequest(method: "GET", url: base + "/experiments", headers: ["Cookie": session]))
    }

    /// Starts `tidings serve` with `arguments` and `environment`, signs maria in and returns the
    /// experiments page; the server's log is in the issue when that fails.
    static func experimentsPage(arguments: [String], environment: [String: String]) async throws -> TransportResponse {
        let server = try await ServeProcess(arguments: arguments, environment: environment)
        do {
            let page = try await experimentsPage(server.base)
            await server.stop()
            return page
        } catch {
            Issue.record("tidings serve \(arguments) at \(server.base): \(error)\n\(server.logText.suffix(3000))")
            await server.stop()
            throw error
        }
    }

    @Test("The option, or the variable, gives the experiments page its engagement")
    func engagementOption() async throws {
        try await InsightsFixtures.withScratch { scratch in
            let configFile = scratch.appendingPathComponent("config.json")
            try Data(Self.config.utf8).write(to: configFile)
            let users = scratch.appendingPathComponent("users")
            try Data(DashboardFixture.usersFile().utf8).write(to: users)
            let data = scratch.appendingPathComponent("data")
            let records = InsightsFixtures.experimentAudit()
            try InsightsFixtures.writeAudit(records, under: data.appendingPathComponent("audit"))
            let engagement = InsightsFixtures.experimentFixtures.appendingPathComponent("engagement-small.jsonl").path
            let environment = ProcessInfo.processInfo.environment.merging([
                "TIDINGS_CONFIG_FILE": configFile.path, "TIDINGS_DASHBOARD_USERS_FILE": users.path,
                "TIDINGS_SHOP_DIR": InsightsFixtures.root.appendingPathComponent("Events/shop").path,
                "TIDINGS_DATA_DIR": data.path, "TIDINGS_LOG_LEVEL": "debug",
            ]) { $1 }.filter { $0.key != "TIDINGS_ENGAGEMENT_FILE" }

            for (arguments, extra) in [
                (["--engagement", engagement], [String: String]()), ([], ["TIDINGS_ENGAGEMENT_FILE": engagement]),
            ] {
                let page = try await Self.experimentsPage(
                    arguments: arguments, environment: environment.merging(extra) { $1 })
                let html = String(decoding: page.body, as: UTF8.self)
                #expect(page.status == 200, "\(arguments) \(extra)")
                #expect(html.contains("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"experiment-chart\""))
                // The small fixture's figures: urgency converted 5 of 10.
                #expect(html.contains("urgency 50.0% [23.7%, 76.3%]"), "\(arguments) \(extra)")
            }

            // Neither: the page says how to give it.
            let page = try await Self.experimentsPage(arguments: [], environment: environment)
            #expect(String(decoding: page.body, as: UTF8.self).contains("start tidings serve with --engagement FILE"))
        }
    }
}
