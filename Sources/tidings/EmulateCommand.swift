import ArgumentParser
import Foundation
import TidingsCore
import TidingsDevKit
import TidingsRuntime

/// `tidings emulate`: the production code path locally. A loopback Lambda Runtime API, the
/// handler binary started against it, the events fed one invocation at a time.
struct EmulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emulate",
        abstract: "Run a handler binary against a loopback Lambda Runtime API and feed it events.",
        discussion: """
            Prints one JSON line per event: {"event", "answer" (response | error | none), \
            "error_type", "ms", "body"}, then a summary on stderr. The handler inherits this \
            environment (TIDINGS_DATA_DIR, secrets, ...). Exits 0 when every event was answered \
            and the handler stopped cleanly on SIGTERM.
            """)

    @Option(help: "The function: cartAbandoned, orderCreated, orderCancelled or winBack.")
    var function: String

    @Option(help: "The handler binary (default .build/release/<function>, else .build/debug/<function>).")
    var binary: String?

    @Option(help: "Pin the handler's clock (TIDINGS_NOW), e.g. 2026-11-21T17:00:00Z.")
    var now: String?

    @Option(help: "Each invocation's deadline, in seconds from when it is handed out.")
    var timeout: Double = 30

    @Argument(help: "Event files or folders (folders: *.json in name order).")
    var events: [String]

    func run() throws {
        guard FlowKind(rawValue: function) != nil else {
            throw ValidationError(
                "--function: '\(function)' is not one of cartAbandoned, orderCreated, orderCancelled, winBack")
        }
        let path =
            binary
            ?? [".build/release/\(function)", ".build/debug/\(function)"].first {
                FileManager.default.isExecutableFile(atPath: $0)
            }
        guard let path, FileManager.default.isExecutableFile(atPath: path) else {
            throw ValidationError("no handler binary: build it (swift build --product \(function)) or pass --binary")
        }
        let files = try Replayer.eventFiles(events)
        var environment = ProcessInfo.processInfo.environment
        if let now { environment["TIDINGS_NOW"] = now }
        var emulation = Emulation(binary: URL(fileURLWithPath: path), environment: environment)
        emulation.timeout = timeout
        let directory = FileManager.default.currentDirectoryPath + "/"
        let inputs = try files.map { file in
            let path = file.path.hasPrefix(directory) ? String(file.path.dropFirst(directory.count)) : file.path
            return (label: path, body: Array(try Data(contentsOf: file)))
        }
        let outcome = try emulation.run(inputs) { answer in
            print(Self.line(answer))
        }
        if let initError = outcome.initError {
            FileHandle.standardError.write(
                Data(
                    "init error (\(initError.errorType ?? "-")): \(String(decoding: initError.body, as: UTF8.self))\n"
                        .utf8))
        }
        let answered = outcome.answers.filter { $0.kind != "none" }.count
        let first = outcome.firstAnswerMilliseconds.map { String(format: "%.1f ms", $0) } ?? "none"
        FileHandle.standardError.write(
            Data(
                "emulate: \(answered)/\(files.count) answered; first answer \(first) after start; handler exited \(outcome.exitStatus)\n"
                    .utf8))
        guard answered == files.count, outcome.exitStatus == 0 else { throw ExitCode(1) }
    }

    static func line(_ answer: Emulation.Answer) -> String {
        var object: [String: JSONValue] = [
            "event": .string(answer.event), "answer": .string(answer.kind),
            "error_type": answer.errorType.map(JSONValue.string) ?? .null,
            "ms": .double((answer.milliseconds * 10).rounded() / 10),
        ]
        object["body"] = (try? JSONParser.parse(answer.body)) ?? .string(String(decoding: answer.body, as: UTF8.self))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(JSONValue.object(object))) ?? Data(), as: UTF8.self)
    }
}
