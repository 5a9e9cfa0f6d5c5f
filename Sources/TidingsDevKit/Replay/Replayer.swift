import Foundation
import Logging
import TidingsCore
import TidingsRuntime

/// Runs recorded events through their functions' pipelines, as `tidings replay` and the golden
/// tests do: the same stages as production, with the clock set to when each event would have
/// been handled.
package struct Replayer: Sendable {
    /// One replayed event.
    package struct Result: Sendable {
        /// The recorded event file that was replayed.
        package var file: URL
        /// The function the file was routed to (`Replayer.function(for:)`, or the caller's choice).
        package var function: FlowKind
        /// How the event ended.
        package var report: OutcomeReport
        /// The record's position in a batch envelope (SQS), nil for a file holding one delivery.
        package var part: Int?
    }

    /// The configuration every replayed pipeline is built with.
    package let configuration: Configuration
    let logger: Logger
    /// The writer every replayed pipeline uses instead of the embedded one, when set (a test's
    /// recording double); nil keeps the embedded stages' writer.
    package var model: (any LanguageModel)?

    /// Creates a replayer; the logger receives every pipeline's records. `model`, when given, is
    /// every pipeline's writer.
    package init(configuration: Configuration, logger: Logger, model: (any LanguageModel)? = nil) {
        self.configuration = configuration
        self.logger = logger
        self.model = model
    }

    /// Replays the files in order. `now`, when given, is the clock for every event; `function`,
    /// when given, handles every file, else each file goes to `Replayer.function(for:)`.
    /// Throws `ReplayInputError.unrouted` for a file whose function nothing tells.
    package func replay(_ files: [URL], now: Date? = nil, function: FlowKind? = nil) async throws -> [Result] {
        var handlers: [FlowKind: InvocationHandler] = [:]
        var results: [Result] = []
        var kinds: [URL: FlowKind] = [:]
        for file in files {
            guard let kind = function ?? Self.function(for: file) else { throw ReplayInputError.unrouted(file: file) }
            kinds[file] = kind
        }
        // Events replay in the order they happened, whatever their folders: a cancellation must
        // come after the order it cancels. Files with the same time keep their path order.
        for file in try chronological(files, now: now, kinds: kinds) {
            let kind = kinds[file] ?? .cartAbandoned
            guard let flow = Flow.named(kind, configuration) else {
                throw ConfigurationError(
                    key: "function", reason: "\(kind.rawValue) (for \(file.lastPathComponent)) is not implemented yet")
            }
            if handlers[kind] == nil {
                var stages = try FunctionEnvironment.embeddedStages(function: kind, configuration: configuration)
                if let model { stages.model = model }
                handlers[kind] = InvocationHandler(
                    pipeline: try Pipeline(flow: flow, configuration: configuration, stages: stages))
            }
            // The same path as a handler: envelopes unwrapped, signatures checked, then the pipeline.
            var handler = handlers[kind]!
            let body = Array(try Data(contentsOf: file))
            handler.pipeline.stages.clock = FixedClock(now ?? replayTime(body, delay: flow.settings.delay))
            let answer = await handler.handle(
                body, deadline: nil, correlationID: "replay-" + UUID().uuidString.lowercased(), logger: logger)
            for (index, report) in answer.reports.enumerated() {
                results.append(
                    Result(file: file, function: kind, report: report, part: answer.reports.count > 1 ? index : nil))
            }
        }
        return results
    }

    /// The files ordered by their replay time (stable for equal times).
    func chronological(_ files: [URL], now: Date?, kinds: [URL: FlowKind]) throws -> [URL] {
        guard now == nil else { return files }
        var timed: [(time: Date, index: Int, file: URL)] = []
        for (index, file) in files.enumerated() {
            let kind = kinds[file] ?? .cartAbandoned
            let body = (try? Data(contentsOf: file)).map { Array($0) } ?? []
            timed.append((replayTime(body, delay: configuration.settings(for: kind).delay), index, file))
        }
        return timed.sorted { ($0.time, $0.index) < ($1.time, $1.index) }.map(\.file)
    }

    /// When the event would have been handled: its recorded arrival, or its own time plus the
    /// flow's delay (the moment the delayed retry in production picks it up), or, for a body that
    /// does not decode, its X-Shopify-Triggered-At; the wall clock only when nothing says. An
    /// envelope is timed by its first delivery.
    package func replayTime(_ body: [UInt8], delay: TimeInterval) -> Date {
        let decoder = EventDecoder(maximumBodyBytes: configuration.maximumBodyBytes)
        let item = EnvelopeDecoder().unwrap(body).items.first
        let delivery = decoder.read(item?.delivery ?? InboundDelivery(body: body), parsed: item?.parsed)
        let content = try? delivery.content.get()
        if let receivedAt = content?.delivery.receivedAt {
            return receivedAt
        }
        if let event = try? decoder.decode(delivery) {
            return event.occurredAt.addingTimeInterval(delay)
        }
        // A body that does not decode still replays at its delivery's time, so the same file ends
        // the same way next week (a staleness check on its headers must not depend on today).
        let headers = content?.delivery.headers ?? delivery.raw.headers
        if let triggered = headers["x-shopify-triggered-at"].flatMap(Timestamp.parse) {
            return triggered
        }
        return Date()
    }

    /// The event files under the paths: files as given, folders searched for *.json in name order,
    /// skipping the recorded shop.
    package static func eventFiles(_ paths: [String]) throws -> [URL] {
        var files: [URL] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw ReplayInputError.missing(path: path)
            }
            let url = URL(fileURLWithPath: path)
            guard isDirectory.boolValue else {
                files.append(url)
                continue
            }
            var found: [URL] = []
            let enumerator = FileManager.default.enumerator(at: url, includingPropertiesForKeys: nil)
            while let item = enumerator?.nextObject() as? URL {
                // The recorded shop is the platform's data, not events.
                if item.lastPathComponent == "shop" {
                    enumerator?.skipDescendants()
                    continue
                }
                if item.pathExtension == "json" { found.append(item) }
            }
            files += found.sorted { $0.path < $1.path }
        }
        return files
    }

    /// The function a file belongs to, or nil when nothing says: the `function` of the `.error`
    /// note a dead-letter store keeps beside the file, else the nearest folder named like a
    /// function (Events/orderCreated/...), else a function named in the file name between dashes
    /// (`<time>-<function>-<event id>.json`, as `FolderDeadLetterStore` names its files).
    package static func function(for file: URL) -> FlowKind? {
        let note = URL(fileURLWithPath: file.path + ".error")
        if let data = FileManager.default.contents(atPath: note.path),
            let name = (try? JSONParser.parse(Array(data)))?.objectValue?["function"]?.stringValue,
            let kind = FlowKind(rawValue: name)
        {
            return kind
        }
        for component in file.pathComponents.dropLast().reversed() {
            if let kind = FlowKind(rawValue: component) { return kind }
        }
        let name = file.deletingPathExtension().lastPathComponent
        return name.split(separator: "-").lazy.compactMap { FlowKind(rawValue: String($0)) }.first
    }
}

/// Why files cannot be replayed: a path that does not exist, or a file whose function nothing
/// tells (no `.error` note, folder or file name says).
package enum ReplayInputError: Error, CustomStringConvertible {
    /// A path given to replay does not exist.
    case missing(path: String)
    /// Nothing tells which function handles this file.
    case unrouted(file: URL)

    /// Names the path and what to do.
    package var description: String {
        switch self {
        case .missing(let path): "\(path) does not exist"
        case .unrouted(let file):
            "cannot tell which function \(file.path) is for (no .error note beside it, no folder or file name "
                + "naming one): pass --function"
        }
    }
}
