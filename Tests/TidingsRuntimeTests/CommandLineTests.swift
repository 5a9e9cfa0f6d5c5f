import Foundation
import Testing
import TidingsCore

/// The `tidings` tool as a user meets it: the built binary, its exit status, stdout and stderr.
@Suite("tidings command line", .serialized)
struct CommandLineTests {
    struct Run {
        var status: Int32
        var output: String
        var error: String
    }

    func tidings(_ arguments: [String], environment extra: [String: String] = [:]) throws -> Run {
        let binary = try #require(RuntimeTestSupport.builtBinary("tidings"), "build the package first (swift build)")
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = RuntimeTestSupport.root
        var environment = ProcessInfo.processInfo.environment
        environment["COLUMNS"] = "1000"
        environment.removeValue(forKey: "TIDINGS_DATA_DIR")
        process.environment = environment.merging(extra) { _, new in new }
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        // Read both before waiting: a full pipe would block the child.
        let errorData = PipeReader(error)
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(
            status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
            error: String(decoding: errorData.wait(), as: UTF8.self))
    }

    @Test("A path that does not exist is named as such, not as a configuration key")
    func missingPath() throws {
        let run = try tidings(["replay", "/nonexistent/events"])
        #expect(run.status == 1)
        #expect(run.error.contains("Error: /nonexistent/events does not exist"))
        #expect(!run.error.contains("configuration key"))
    }

    @Test("A wrong use prints the usage of the subcommand that failed")
    func subcommandUsage() throws {
        try withScratchSync { scratch in
            let csv = scratch.appendingPathComponent("s.csv")
            try Data("id,frequency,recency,T\n1,0,0,10\n".utf8).write(to: csv)
            let horizon = try tidings(["model", "score", "--horizon=-3", csv.path])
            #expect(horizon.status == 64)
            #expect(horizon.error.contains("--horizon -3.0 must be more than 0"))
            #expect(horizon.error.contains("Usage: tidings model score"))
            #expect(try tidings(["model", "score", "--horizon", "100000", csv.path]).status == 64)
            #expect(try tidings(["model", "score", "--horizon", "26", csv.path]).status == 0)

            let full = scratch.appendingPathComponent("shop")
            try FileManager.default.createDirectory(at: full, withIntermediateDirectories: true)
            try Data("keep".utf8).write(to: full.appendingPathComponent("mine.txt"))
            let synth = try tidings(["synth", "--customers", "5", "--out", full.path])
            #expect(synth.status == 64)
            #expect(synth.error.contains("is not empty"))
            #expect(synth.error.contains("Usage: tidings synth"))
            #expect(try FileManager.default.contentsOfDirectory(atPath: full.path) == ["mine.txt"])

            let replay = try tidings(["replay", "--function", "cartAbandonned", "Events"])
            #expect(replay.status == 64)
            #expect(replay.error.contains("Usage: tidings replay"))
        }
    }

    @Test("Swift's decoding and file errors become plain sentences")
    func plainErrors() throws {
        try withScratchSync { scratch in
            let csv = scratch.appendingPathComponent("s.csv")
            try Data("id,frequency,recency,T\n1,0,0,10\n".utf8).write(to: csv)
            let parameters = scratch.appendingPathComponent("p.json")
            try Data("{}".utf8).write(to: parameters)
            let run = try tidings(["model", "score", "--parameters", parameters.path, csv.path])
            #expect(run.status == 1)
            #expect(run.error.contains("is not a parameters file written by `tidings model fit --save`"))
            #expect(run.error.contains("the JSON has no $."))
            for raw in ["keyNotFound", "CodingKeys", "NSCocoaErrorDomain", "DecodingError"] {
                #expect(!run.error.contains(raw), "\(raw) in \(run.error)")
            }
            let missing = try tidings(["model", "fit", scratch.appendingPathComponent("none.csv").path])
            #expect(missing.error.contains("none.csv: no such file"))
        }
    }

    @Test("review list: a data folder that does not exist is an error, as audit verify says")
    func reviewDataDirTypo() throws {
        let run = try tidings(["review", "list", "--data-dir", "/nonexistent/.tidngs"])
        #expect(run.status == 64)
        #expect(run.error.contains("no data folder at /nonexistent/.tidngs"))
        try withScratchSync { scratch in
            let empty = try tidings(["review", "list", "--data-dir", scratch.path])
            #expect(empty.status == 0)
            #expect(empty.output.contains("nothing is waiting"))
        }
    }

    @Test("model fit reads CDNOW_master.txt's whitespace-separated transaction log")
    func cdnowTransactionLog() throws {
        let slice = RuntimeTestSupport.root.appendingPathComponent(
            "Tests/Fixtures/data/cdnow/CDNOW_master-first200.txt")
        let run = try tidings(["model", "fit", slice.path])
        #expect(run.status == 0, "\(run.error)")
        let parameters = try JSONParser.parse(Array(run.output.utf8)).objectValue
        #expect(parameters?["customers"] == .int(48), "\(run.output)")
        try withScratchSync { scratch in
            let bad = scratch.appendingPathComponent("bad.txt")
            try Data(" 00001 19970101  1   11.77\n 00002 1997-01-12 1 12.00\n".utf8).write(to: bad)
            let failed = try tidings(["model", "fit", bad.path])
            #expect(failed.status == 1)
            #expect(failed.error.contains("line 2, column date: '1997-01-12' is not a date yyyymmdd"))
        }
    }

    @Test("bench checks its release binaries before it starts")
    func benchBinaries() throws {
        let started = Date()
        let run = try tidings(["bench", "--binaries", "/nonexistent/release"])
        #expect(run.status == 64)
        #expect(run.error.contains("no release binary at /nonexistent/release/cartAbandoned"))
        #expect(!run.output.contains("throughput"))
        #expect(Date().timeIntervalSince(started) < 10)
    }

    @Test("Help paragraphs are wrapped by the parser, not broken by hand")
    func helpParagraphs() throws {
        for command in [
            ["replay"], ["emulate"], ["bench"], ["bench", "winback"], ["model", "fit"], ["model", "score"], ["synth"],
        ] {
            let run = try tidings(command + ["--help"])
            #expect(run.status == 0)
            let help = run.output
            #expect(help.contains("OVERVIEW:") && help.contains("USAGE:"), "\(command): \(run.error)")
            let overview = help.components(separatedBy: "USAGE:").first ?? ""
            // At 1000 columns each paragraph is one line; only indented lines (commands) stand alone.
            let paragraphs = overview.components(separatedBy: "\n\n")
            for paragraph in paragraphs {
                let lines = paragraph.split(separator: "\n").filter { !$0.hasPrefix("  ") }
                #expect(lines.count <= 1, "\(command): \(paragraph)")
            }
        }
    }

    @Test("replay says on its first line whether webhook signatures are checked")
    func replaySignatureLine() throws {
        try withScratchSync { scratch in
            let event = RuntimeTestSupport.envelopes.appendingPathComponent("apigateway-v2-forged-signature.json")
            let unchecked = try tidings(
                ["replay", "--data-dir", scratch.appendingPathComponent("a").path, event.path],
                environment: ["SHOPIFY_WEBHOOK_SECRET": "", "BIGCOMMERCE_WEBHOOK_SECRET": ""])
            #expect(unchecked.status == 0, "\(unchecked.error)")
            #expect(unchecked.output.hasPrefix("Webhook signatures: not checked (no SHOPIFY_WEBHOOK_SECRET"))
            let checked = try tidings(
                ["replay", "--data-dir", scratch.appendingPathComponent("b").path, event.path],
                environment: ["SHOPIFY_WEBHOOK_SECRET": "northwind-webhook-secret"])
            #expect(checked.output.hasPrefix("Webhook signatures: Shopify checked (BigCommerce not checked)."))
            #expect(checked.output.contains("unauthenticated"))
        }
    }
}

/// Reads a pipe to its end on another thread, so two pipes can be drained at once.
final class PipeReader: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ pipe: Pipe) {
        let handle = pipe.fileHandleForReading
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func wait() -> Data {
        done.wait()
        return data
    }
}

/// A handler in stdin mode with a configuration that would fail every event.
@Suite("Handler start-up checks")
struct HandlerStartUpTests {
    @Test(
        "A value that would fail every event exits 78 at start-up, naming the key, without reading the event",
        arguments: [
            ["TIDINGS_LOG_LEVEL": "verbose"], ["TIDINGS_DATA_DIR": "/dev/null/data"],
            ["TIDINGS_SHOP_DIR": "Events/cartAbandoned"],
        ])
    func exits78(_ extra: [String: String]) throws {
        let binary = try #require(RuntimeTestSupport.builtBinary("cartAbandoned"), "build the package first")
        let process = Process()
        process.executableURL = binary
        process.currentDirectoryURL = RuntimeTestSupport.root
        var environment = ProcessInfo.processInfo.environment
        environment["TIDINGS_DATA_DIR"] =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("tidings-78-\(UUID().uuidString)").path
        environment.removeValue(forKey: "AWS_LAMBDA_RUNTIME_API")
        process.environment = environment.merging(extra) { _, new in new }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 78)
        let result = try JSONParser.parse(Array(data)).objectValue ?? [:]
        let key = try #require(extra.keys.first)
        #expect(result["reason"]?.stringValue?.hasPrefix("bad_configuration: configuration key \(key):") == true)
        if let folder = environment["TIDINGS_DATA_DIR"] { try? FileManager.default.removeItem(atPath: folder) }
    }
}
