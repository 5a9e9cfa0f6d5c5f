import Foundation
import Testing

@testable import TidingsCore

/// Keeps the planners pure by construction: no file under Sources/TidingsCore/Flows may name an
/// I/O boundary or the run, or be asynchronous. The pipeline alone does I/O
/// (docs/decisions/flow-planner.md).
@Suite("Planner purity")
struct PlannerPurityTests {
    /// Every I/O boundary's protocol or helper, and the old run handle.
    static let forbidden = [
        "CommercePlatform", "CustomerBaseStreaming", "AuditLog", "EmailService", "ReviewQueue", "LanguageModel",
        "TimeSource", "DeadLetterStore", "StateStore", "HTTPTransport", "PipelineStages", "FlowContext", "Run",
        "FileManager", "async", "await",
    ]

    static func flowSources() throws -> [(name: String, text: String)] {
        let folder = TestPaths.root.appendingPathComponent("Sources/TidingsCore/Flows")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".swift") }
        return try names.sorted().map {
            ($0, try String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8))
        }
    }

    /// The identifiers of Swift source, with comments and string literals removed.
    static func identifiers(_ source: String) -> Set<String> {
        var code = ""
        for line in source.split(separator: "\n", omittingEmptySubsequences: false) {
            var text = String(line)
            if let comment = text.range(of: "//") { text = String(text[..<comment.lowerBound]) }
            // Drop string literals (interpolations inside them only name local values).
            var kept = ""
            var inString = false
            for character in text {
                if character == "\"" { inString.toggle() } else if !inString { kept.append(character) }
            }
            code += kept + "\n"
        }
        return Set(code.split { !($0.isLetter || $0.isNumber || $0 == "_") }.map(String.init))
    }

    @Test("No planner file names an I/O protocol, the run, or suspends")
    func plannersNameNoBoundary() throws {
        let sources = try Self.flowSources()
        #expect(sources.count >= 5, "the Flows folder was not found or is empty")
        for (name, text) in sources {
            let named = Self.identifiers(text).intersection(Self.forbidden)
            #expect(named.isEmpty, "\(name) names \(named.sorted())")
        }
    }

    @Test("The purity check sees a boundary when one is named")
    func checkerCatchesABoundary() {
        let leaky = "struct P { func plan(in stages: PipelineStages) async { _ = stages.audit as any AuditLog } }"
        #expect(Self.identifiers(leaky).intersection(Self.forbidden) == ["PipelineStages", "async", "AuditLog"])
        // Comments and strings do not count.
        #expect(Self.identifiers("let x = \"AuditLog\" // EmailService").intersection(Self.forbidden).isEmpty)
    }

    @Test("Only Pipeline/ appends audit records")
    func onlyThePipelineRecords() throws {
        let sources = TestPaths.root.appendingPathComponent("Sources/TidingsCore")
        let enumerator = FileManager.default.enumerator(atPath: sources.path)
        var writers: [String] = []
        while let path = enumerator?.nextObject() as? String {
            guard path.hasSuffix(".swift"), !path.hasPrefix("Audit/") else { continue }
            let text = try String(contentsOf: sources.appendingPathComponent(path), encoding: .utf8)
            if text.contains("audit.append(") || text.contains("record(\"") { writers.append(path) }
        }
        #expect(!writers.isEmpty)
        #expect(writers.allSatisfy { $0.hasPrefix("Pipeline/") }, "audit records written from \(writers)")
    }
}
