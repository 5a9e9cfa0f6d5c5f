import ArgumentParser
import Foundation
import Logging
import TidingsCore
import TidingsRuntime

/// `tidings replay PATH...`: runs recorded events through their functions' flows.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Run recorded events (files or folders) through their functions and print the outcomes.",
        discussion: """
            Each event runs with the clock at the time its recording says it arrived ("received_at"), or else
            at the event's own time plus the flow's delay, unless --now is given. The function is taken from a
            folder in the path named like one (Events/cartAbandoned/...), else cartAbandoned.
            Without --data-dir every run writes to a fresh folder under .tidings/replays/.
            """)

    @Argument(help: "Event files or folders of them (*.json, read in name order).")
    var paths: [String]

    @Option(help: "Run every event at this ISO 8601 instant instead of its own time.")
    var now: String?

    @Option(help: "The data folder (audit/, outbox/, review/, dead-letter/). Default: a fresh .tidings/replays/<time>.")
    var dataDir: String?

    func run() async throws {
        var environment = ProcessInfo.processInfo.environment
        let fixedNow: Date?
        if let now {
            guard let parsed = ISO8601.parse(now) else { throw ValidationError("--now '\(now)' is not an ISO 8601 timestamp with an offset") }
            fixedNow = parsed
        } else {
            fixedNow = nil
        }
        let dataDirectory = dataDir ?? ".tidings/replays/" + ISO8601.format(Date(), milliseconds: false).replacingOccurrences(of: ":", with: "")
        environment["TIDINGS_DATA_DIR"] = dataDirectory
        let configuration = try Configuration.load(environment: environment)
        var logger = FunctionEnvironment.logger(label: "tidings.replay", environment: environment)
        if environment["TIDINGS_LOG_LEVEL"] == nil { logger.logLevel = .warning }

        let files = try Self.eventFiles(paths)
        guard !files.isEmpty else { throw ValidationError("no .json event files under \(paths.joined(separator: " "))") }
        var pipelines: [FlowKind: (Pipeline, PipelineStages)] = [:]
        var rows: [[String]] = []
        for file in files {
            let kind = Self.function(for: file)
            if pipelines[kind] == nil {
                guard let flow = Flow.named(kind, configuration) else {
                    rows.append([file.lastPathComponent, kind.rawValue, "skipped", "\(kind.rawValue) is not implemented yet"])
                    continue
                }
                let stages = try FunctionEnvironment.embeddedStages(function: kind, configuration: configuration)
                pipelines[kind] = (try Pipeline(flow: flow, configuration: configuration, stages: stages), stages)
            }
            guard let (pipeline, stages) = pipelines[kind] else { continue }
            let body = Array(try Data(contentsOf: file))
            let clock = FixedClock(fixedNow ?? Self.replayTime(body, pipeline: pipeline))
            var timed = stages
            timed.clock = clock
            let replaying = try Pipeline(flow: pipeline.flow, configuration: configuration, stages: timed)
            let report = await replaying.handle(Delivery(body: body), correlationID: "replay-" + UUID().uuidString.lowercased(), logger: logger)
            rows.append([
                Self.displayName(file), kind.rawValue, report.outcome.rawValue,
                report.subject ?? report.reason ?? "",
            ])
        }
        print(Self.table(header: ["event", "function", "outcome", "subject or reason"], rows: rows))
        print("\nData written to \(configuration.dataDirectory.path) (outbox/, review/, dead-letter/, audit/).")
    }

    /// When the event would have been handled: its recorded arrival, or its time plus the delay.
    static func replayTime(_ body: [UInt8], pipeline: Pipeline) -> Date {
        let decoder = EventDecoder(maximumBodyBytes: pipeline.configuration.maximumBodyBytes)
        if let (delivery, _) = try? decoder.unwrap(Delivery(body: body)), let receivedAt = delivery.receivedAt {
            return receivedAt
        }
        if let event = try? decoder.decode(Delivery(body: body)) {
            return event.occurredAt.addingTimeInterval(pipeline.flow.settings.delay)
        }
        return Date()
    }

    static func eventFiles(_ paths: [String]) throws -> [URL] {
        var files: [URL] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw ValidationError("\(path) does not exist")
            }
            let url = URL(fileURLWithPath: path)
            if !isDirectory.boolValue {
                files.append(url)
                continue
            }
            let enumerator = FileManager.default.enumerator(at: url, includingPropertiesForKeys: nil)
            var found: [URL] = []
            while let item = enumerator?.nextObject() as? URL {
                // The recorded shop is data for the platform, not events.
                if item.lastPathComponent == "shop" { enumerator?.skipDescendants(); continue }
                if item.pathExtension == "json" { found.append(item) }
            }
            files += found.sorted { $0.path < $1.path }
        }
        return files
    }

    static func function(for file: URL) -> FlowKind {
        for component in file.pathComponents.reversed() {
            if let kind = FlowKind(rawValue: component) { return kind }
        }
        return .cartAbandoned
    }

    static func displayName(_ file: URL) -> String {
        let components = file.pathComponents
        return components.suffix(components.count >= 2 && components[components.count - 2] == "invalid" ? 2 : 1)
            .joined(separator: "/")
    }

    static func table(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = (0..<header.count).map { column in
            min(all.map { $0[column].count }.max() ?? 0, column == header.count - 1 ? 200 : 48)
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                let text = cell.count > widths[index] ? String(cell.prefix(widths[index] - 1)) + "…" : cell
                return index == cells.count - 1 ? text : text.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        return ([line(header), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")] + rows.map(line))
            .joined(separator: "\n")
    }
}
