import Foundation
import Testing
import TidingsCore

/// `tidings experiments report|suggest` as a user runs them: the built binary after a replay
/// under a configured experiment.
@Suite("tidings experiments", .serialized)
struct ExperimentCommandTests {
    func tidings(_ arguments: [String], environment extra: [String: String] = [:]) throws -> (Int32, String, String) {
        let binary = try #require(RuntimeTestSupport.builtBinary("tidings"), "build the package first (swift build)")
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = RuntimeTestSupport.root
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "TIDINGS_DATA_DIR")
        environment.removeValue(forKey: "TIDINGS_CONFIG_FILE")
        process.environment = environment.merging(extra) { _, new in new }
        let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("experiments-\(UUID()).err")
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errorFile) }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: errorFile)
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (
            process.terminationStatus, String(decoding: data, as: UTF8.self),
            (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
        )
    }

    @Test("report and suggest after a replay: JSON with the configured groups, rules' suggestions, usage errors")
    func reportAndSuggest() async throws {
        try await withScratch { scratch in
            let config = scratch.appendingPathComponent("tidings.json")
            try Data(
                #"""
                {"experiments": [{"id": "cart-subjects-1", "flow": "cartAbandoned",
                  "arms": [{"name": "urgency", "strategy": "urgency"}, {"name": "benefit", "strategy": "benefit"}],
                  "holdout": {"share": 0.2, "treatment": "control_email"}, "min_recipients_per_arm": 200}]}
                """#.utf8
            ).write(to: config)
            let data = scratch.appendingPathComponent("data")
            let (replayed, _, replayError) = try tidings(
                ["replay", "Events/cartAbandoned", "--data-dir", data.path],
                environment: ["TIDINGS_CONFIG_FILE": config.path])
            #expect(replayed == 0, "\(replayError)")
            let engagement = RuntimeTestSupport.root.appendingPathComponent(
                "Tests/Fixtures/experiments/engagement-small.jsonl")
            let common = ["--engagement", engagement.path, "--data-dir", data.path, "--config", config.path]
            let (status, output, error) = try tidings(["experiments", "report", "--json"] + common)
            #expect(status == 0, "\(error)")
            let report = try #require(try JSONParser.parse(output).objectValue)
            #expect(report["experiment"] == .string("cart-subjects-1"))
            guard case .array(let members)? = report["groups"] else {
                Issue.record("no groups in \(output)")
                return
            }
            let groups = members.compactMap { $0.objectValue?["name"]?.stringValue }
            #expect(groups == ["holdout", "urgency", "benefit"])
            #expect(report["verdict"]?.objectValue?["winner"] == .null)

            let (suggested, text, suggestError) = try tidings(["experiments", "suggest"] + common)
            #expect(suggested == 0, "\(suggestError)")
            #expect(text.contains("suggested by rules:") && text.contains("Keep cart-subjects-1 running"))

            let (badMetric, _, metricError) = try tidings(["experiments", "report", "--metric", "speed"] + common)
            #expect(badMetric == 64)
            #expect(metricError.contains("--metric speed is not one of"))
            let (noConfig, _, configError) = try tidings(
                ["experiments", "report", "--engagement", engagement.path, "--data-dir", data.path])
            #expect(noConfig == 64)
            #expect(configError.contains("pass --config FILE or set TIDINGS_CONFIG_FILE"))
        }
    }
}
