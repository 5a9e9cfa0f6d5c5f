import Foundation
import Testing
import TidingsCore
import TidingsDevKit

@testable import TidingsRuntime

/// The container image as deploy/Dockerfile lays it out: only what it copies, only the
/// environment it sets. A handler that needs a folder the image leaves out fails here, not in
/// production.
@Suite("Container image layout")
struct ImageLayoutTests {
    /// The runtime stage's `COPY <repository path> ${LAMBDA_TASK_ROOT}/<path>` lines and its `ENV`
    /// settings, with `${LAMBDA_TASK_ROOT}` left for the caller to place.
    static func runtimeStage() throws -> (copies: [(source: String, target: String)], environment: [String: String]) {
        let text = try String(
            contentsOf: RuntimeTestSupport.root.appendingPathComponent("deploy/Dockerfile"), encoding: .utf8)
        let stages = text.components(separatedBy: "\nFROM ")
        let runtime = try #require(stages.last)
        // Join continued lines, drop comments.
        let lines = runtime.replacingOccurrences(of: "\\\n", with: " ").split(separator: "\n")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.hasPrefix("#") }
        var copies: [(String, String)] = []
        var environment: [String: String] = [:]
        for line in lines {
            let words = line.split(whereSeparator: \.isWhitespace).map(String.init)
            if words.first == "COPY", !line.contains("--from"), words.count == 3 {
                copies.append((words[1], words[2]))
            }
            if words.first == "ENV" {
                for pair in words.dropFirst() {
                    let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                    if parts.count == 2 { environment[parts[0]] = parts[1] }
                }
            }
        }
        return (copies, environment)
    }

    @Test("winBack's scan works in the image: the customer base is copied and TIDINGS_CUSTOMER_BASE_DIR points at it")
    func winBackScanInTheImage() async throws {
        try await withScratch { scratch in
            let taskRoot = scratch.appendingPathComponent("var-task")
            let (copies, imageEnvironment) = try Self.runtimeStage()
            for (source, target) in copies where target.hasPrefix("${LAMBDA_TASK_ROOT}/") {
                let placed = URL(
                    fileURLWithPath: target.replacingOccurrences(of: "${LAMBDA_TASK_ROOT}", with: taskRoot.path))
                try FileManager.default.createDirectory(
                    at: placed.deletingLastPathComponent(), withIntermediateDirectories: true)
                try FileManager.default.createSymbolicLink(
                    at: placed, withDestinationURL: RuntimeTestSupport.root.appendingPathComponent(source))
            }
            var environment = imageEnvironment.mapValues {
                $0.replacingOccurrences(of: "${LAMBDA_TASK_ROOT}", with: taskRoot.path)
            }
            environment["TIDINGS_DATA_DIR"] = scratch.appendingPathComponent("data").path
            // The image's working directory holds nothing else: no default may find the repository.
            let configuration = try Configuration.load(environment: environment, workingDirectory: taskRoot)
            #expect(configuration.customerBaseDirectory.path.hasPrefix(taskRoot.path))
            let scan = RuntimeTestSupport.root.appendingPathComponent("Events/winBack/eventbridge-scheduled-scan.json")
            let results = try await Replayer(configuration: configuration, logger: RuntimeTestSupport.quietLogger)
                .replay([scan], function: .winBack)
            let report = try #require(results.first?.report)
            #expect(report.outcome == .sent)
            #expect(report.reason?.hasPrefix("scanned 250, selected ") == true, "\(report.reason ?? "")")
        }
    }
}
