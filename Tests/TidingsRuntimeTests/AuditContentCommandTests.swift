import Foundation
import Testing
import TidingsCore

@testable import TidingsRuntime

/// `tidings audit verify` checks the content the records reference; `tidings audit show` tells
/// one event's story with the exact prompt and answer.
@Suite("tidings audit: content")
struct AuditContentCommandTests {
    func tidings(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let binary = try #require(RuntimeTestSupport.builtBinary("tidings"), "build the package first (swift build)")
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["TIDINGS_AUDIT_KEY"] = nil
        environment["TIDINGS_AUDIT_KEY_FILE"] = nil
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// A model-written email on `data`: a first answer that is not JSON, then a clean repair.
    func modelWrittenEvent(_ data: URL) async throws -> ModelTurnsTests.Outcome {
        let model = ModelTurnsTests.TurnModel(
            first: { _ in "Here you go: not JSON" }, repaired: { prompt, _ in try ModelTurnsTests.clean(prompt) })
        return try await ModelTurnsTests().run(model, data: data)
    }

    func address(_ outcome: ModelTurnsTests.Outcome, _ reference: ContentReference, turn: String = "repair") throws
        -> String
    {
        let record = try #require(
            outcome.records.first { $0.facts["turn"]?.stringValue == turn && $0.facts[reference.rawValue] != nil })
        return try #require(record.facts[reference.rawValue]?.stringValue)
    }

    @Test("Verify checks every referenced content file: intact passes, altered or missing fails naming it")
    func verifyContent() async throws {
        try await withScratch { data in
            let outcome = try await modelWrittenEvent(data)
            let intact = try tidings(["audit", "verify", "--data-dir", data.path])
            #expect(intact.status == 0, "\(intact.output)")
            #expect(intact.output.contains("content files verified"), "\(intact.output)")

            let answer = try address(outcome, .answer)
            let answerFile = outcome.content.appendingPathComponent(answer)
            let original = try Data(contentsOf: answerFile)
            try Data("{\"output_text\":\"something else\"}".utf8).write(to: answerFile)
            let altered = try tidings(["audit", "verify", "--data-dir", data.path])
            #expect(altered.status == 1)
            #expect(altered.output.contains("content (references content/\(answer), whose bytes no longer hash"))

            try original.write(to: answerFile)
            let draft = try address(outcome, .draft)
            try FileManager.default.removeItem(at: outcome.content.appendingPathComponent(draft))
            let missing = try tidings(["audit", "verify", "--data-dir", data.path])
            #expect(missing.status == 1)
            #expect(missing.output.contains("content/\(draft), which is missing"), "\(missing.output)")
            #expect(!missing.output.contains("chain broken"))
        }
    }

    @Test("Show prints the records, the exact prompt and answer of each turn, the findings and where it went")
    func show() async throws {
        try await withScratch { data in
            let outcome = try await modelWrittenEvent(data)
            let run = try tidings(["audit", "show", outcome.report.eventID, "--data-dir", data.path])
            #expect(run.status == 0, "\(run.output)")
            let text = run.output
            #expect(text.contains("event \(outcome.report.eventID):"))
            for stage in ["normalize", "prompt", "generate", "validate", "render", "deliver", "outcome -> sent"] {
                #expect(text.contains("  \(stage)"), "no \(stage) record")
            }
            #expect(text.contains("== openai:gpt-test-mini, first turn"))
            #expect(text.contains("== openai:gpt-test-mini, repair turn"))
            // The request as sent and the raw answer, byte for byte.
            let request = try address(outcome, .request, turn: "first")
            let sent = try String(contentsOf: outcome.content.appendingPathComponent(request), encoding: .utf8)
            #expect(sent.contains("Maya"))
            #expect(text.contains(#"{"output_text":Here you go: not JSON}"#))
            #expect(text.contains("-- not used: the model's answer is not JSON") || text.contains("-- not used:"))
            #expect(text.contains("a line the model wrote itself."))
            #expect(text.contains("== findings on openai:gpt-test-mini's repair draft: send"))
            #expect(text.contains("(matches the rendered email)"))

            let json = try tidings(["audit", "show", outcome.report.eventID, "--data-dir", data.path, "--json"])
            #expect(json.status == 0)
            let document = try JSONParser.parse(json.output.trimmingCharacters(in: .whitespacesAndNewlines))
            #expect(document.objectValue?["content"]?.objectValue?[request] != nil)

            let unknown = try tidings(["audit", "show", "no-such-event", "--data-dir", data.path])
            #expect(unknown.status == 1)
        }
    }

    @Test("The offline copywriter's story shows the system and user text of its prompt")
    func showOffline() async throws {
        try await withScratch { data in
            let outcome = try await ModelTurnsTests().run(OfflineCopywriter(), data: data)
            let run = try tidings(["audit", "show", outcome.report.eventID, "--data-dir", data.path])
            #expect(run.status == 0)
            let prompt = try PromptLibrary().templates["cart_abandoned"].map(\.system)
            #expect(run.output.contains("[system]\n"))
            #expect(run.output.contains("[user]\n"))
            if let prompt { #expect(run.output.contains(String(prompt.prefix(60)))) }
        }
    }
}
