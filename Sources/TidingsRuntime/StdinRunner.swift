import Foundation
import Logging
import TidingsCore

/// Runs a function once: one event (or envelope) from stdin, one answer JSON on stdout, logs on
/// stderr, and an exit status that says what happened (see `ExitStatus`). Internal: a handler's
/// `main.swift` reaches it only through `FunctionMain.run`, so no handler can skip the Runtime API.
enum StdinRunner {
    /// Reads configuration, handles stdin, writes the answer and returns the exit status.
    static func run(_ function: FlowKind, environment: [String: String] = ProcessInfo.processInfo.environment)
        async -> ExitStatus
    {
        let logger = FunctionEnvironment.logger(label: "tidings.\(function.rawValue)", environment: environment)
        let handler: InvocationHandler
        do {
            handler = try FunctionEnvironment.handler(function: function, environment: environment, logger: logger)
        } catch {
            logger.critical("bad configuration: \(error)")
            writeResult(
                InvocationAnswer.encode(
                    OutcomeReport(
                        function: function.rawValue, eventID: "", outcome: .failed,
                        reason: "bad_configuration: \(error)", code: .failure(.badConfiguration),
                        retryable: false)))
            return .badConfiguration
        }
        // Read everything (up to a hard cap) even when it is over the body limit: the decoder refuses
        // it as oversized, and the dead-letter folder must keep the whole event, not a prefix.
        let body = readStandardInput(limit: max(64 << 20, handler.pipeline.configuration.maximumBodyBytes + 1))
        let correlationID = UUID().uuidString.lowercased()
        let answer: InvocationAnswer
        if let headers = watchdogHeaders(environment) {
            // Behind OpenFaaS's classic watchdog stdin is a public HTTP request: it must be signed.
            answer = await handler.handleHTTPRequest(
                body: body, headers: headers, correlationID: correlationID, logger: logger)
        } else {
            answer = await handler.handle(body, deadline: nil, correlationID: correlationID, logger: logger)
        }
        writeResult(answer.body)
        return answer.exitStatus
    }

    /// Runs a non-flow function (`unsubscribe`) once: one HTTP request envelope from stdin (the
    /// function URL / API Gateway shape, at most 1 MB), its HTTP-shaped answer on stdout.
    static func run<Handler: InvocationHandling>(
        _ name: String, logger: Logger, make: () throws(ConfigurationError) -> Handler
    ) async -> ExitStatus {
        let handler: Handler
        do {
            handler = try make()
        } catch {
            logger.critical("bad configuration: \(error)")
            writeResult(
                InvocationAnswer.encode(
                    OutcomeReport(
                        function: name, eventID: "", outcome: .failed, reason: "bad_configuration: \(error)",
                        code: .failure(.badConfiguration), retryable: false)))
            return .badConfiguration
        }
        let body = readStandardInput(limit: 1 << 20)
        let answer = await handler.handle(
            body, deadline: nil, correlationID: UUID().uuidString.lowercased(), logger: logger)
        writeResult(answer.body)
        return answer.exitStatus
    }

    /// The request headers OpenFaaS's classic watchdog passes as `Http_<Name>` variables
    /// (`Http_X_Shopify_Hmac_Sha256`), when it is the caller (`Http_Method` is set); nil otherwise.
    static func watchdogHeaders(_ environment: [String: String]) -> [String: String]? {
        guard environment["Http_Method"] != nil else { return nil }
        var headers: [String: String] = [:]
        for (name, value) in environment where name.hasPrefix("Http_") {
            let header = name.dropFirst("Http_".count)
            guard !["Method", "Path", "Query", "ContentLength", "Transfer_Encoding"].contains(String(header)) else {
                continue
            }
            headers[header.replacingOccurrences(of: "_", with: "-").lowercased()] = value
        }
        return headers
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

    static func writeResult(_ bytes: [UInt8]) {
        FileHandle.standardOutput.write(Data(bytes + [UInt8(ascii: "\n")]))
    }
}
