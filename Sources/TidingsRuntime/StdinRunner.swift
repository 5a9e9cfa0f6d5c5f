import Foundation
import Logging
import TidingsCore

/// Runs a function once: one event from stdin, one result JSON on stdout, logs on stderr, and an
/// exit status that says what happened (see `ExitStatus`).
public enum StdinRunner {
    /// Reads configuration, handles stdin, writes the result and returns the exit status.
    public static func run(_ function: FlowKind, environment: [String: String] = ProcessInfo.processInfo.environment)
        async -> ExitStatus
    {
        let logger = FunctionEnvironment.logger(label: "tidings.\(function.rawValue)", environment: environment)
        let pipeline: Pipeline
        do {
            let configuration = try Configuration.load(environment: environment)
            if configuration.unsubscribeKey.isDevelopmentDefault {
                logger.warning(
                    "TIDINGS_UNSUBSCRIBE_SECRET is not set: unsubscribe links are signed with the public development key"
                )
            }
            guard let flow = Flow.named(function, configuration) else {
                throw ConfigurationError(
                    key: "function", reason: "\(function.rawValue) is not implemented in this build")
            }
            pipeline = try Pipeline(
                flow: flow, configuration: configuration,
                stages: try FunctionEnvironment.embeddedStages(function: function, configuration: configuration))
        } catch {
            logger.critical("bad configuration: \(error)")
            writeResult(
                OutcomeReport(
                    function: function.rawValue, eventID: "", outcome: .failed, reason: "bad_configuration: \(error)",
                    retryable: false))
            return .badConfiguration
        }
        // Read everything (up to a hard cap) even when it is over the body limit: the decoder refuses
        // it as oversized, and the dead-letter folder must keep the whole event, not a prefix.
        let body = readStandardInput(limit: max(64 << 20, pipeline.configuration.maximumBodyBytes + 1))
        let report = await pipeline.handle(
            Delivery(body: body), correlationID: UUID().uuidString.lowercased(), logger: logger)
        writeResult(report)
        return ExitStatus(report)
    }

    /// Reads stdin to its end or `limit` bytes, retrying reads interrupted by a signal.
    static func readStandardInput(limit: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while bytes.count < limit {
            let count = read(STDIN_FILENO, &buffer, min(buffer.count, limit - bytes.count))
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            bytes.append(contentsOf: buffer[0..<count])
        }
        return bytes
    }

    static func writeResult(_ value: some Encodable) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = (try? encoder.encode(value)) ?? Data("{\"outcome\":\"failed\"}".utf8)
        data.append(UInt8(ascii: "\n"))
        FileHandle.standardOutput.write(data)
    }
}
