import ArgumentParser
import Foundation
import TidingsCore
import TidingsRuntime

/// `tidings dispatch`: sends the scheduled outbox's due messages through `TIDINGS_ESP` (ses), each
/// exactly once; the same run as the `dispatch` function (docs/decisions/dispatch.md).
struct DispatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dispatch",
        abstract: "Send the outbox's messages whose time has come through the configured email service.",
        discussion: """
            Reads TIDINGS_ESP and the service's variables (docs/configuration.md). Each due message is \
            claimed (outbox/claimed/), sent, and moved to outbox/sent/ with its receipt; a retryable \
            failure returns it to the outbox, another moves it to outbox/failed/ with the reason. \
            Prints a JSON summary; exits 0, 75 when something is left to retry, 70 when a message failed.
            """)

    @Option(help: "The data folder (TIDINGS_DATA_DIR; default .tidings).")
    var dataDir: String?

    @Option(help: "The instant to dispatch at, ISO 8601 with an offset (TIDINGS_NOW); for tests and replays.")
    var now: String?

    @Option(help: "The most messages to claim in this run.")
    var limit: Int?

    @Option(help: "Seconds a claim is held before another dispatcher may take it over.")
    var lease: Int = 300

    @Option(help: "Messages sent at the same time (TIDINGS_DISPATCH_CONCURRENCY; default 4).")
    var concurrency: Int?

    @Option(help: "Most sends a second, e.g. the service's sending rate (TIDINGS_DISPATCH_RATE; default none).")
    var rate: Double?

    func validate() throws {
        if let now, Timestamp.parse(now) == nil {
            throw ValidationError(
                "--now must be an ISO 8601 timestamp with an offset (2026-11-29T15:00:00Z), not '\(now)'")
        }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, not \(limit)") }
        if lease < 120 {
            throw ValidationError("--lease must be at least 120 seconds (a send's retries fit), not \(lease)")
        }
    }

    func run() async throws {
        var environment = ProcessInfo.processInfo.environment
        if let dataDir { environment["TIDINGS_DATA_DIR"] = dataDir }
        if let concurrency { environment["TIDINGS_DISPATCH_CONCURRENCY"] = String(concurrency) }
        if let rate { environment["TIDINGS_DISPATCH_RATE"] = String(rate) }
        if let now { environment["TIDINGS_NOW"] = now }
        let logger = FunctionEnvironment.logger(label: "tidings.dispatch", environment: environment)
        let dispatcher: OutboxDispatcher
        let pacing: DispatchPacing
        do {
            dispatcher = try DispatchMain.dispatcher(
                environment: environment, lease: TimeInterval(lease), logger: logger)
            pacing = try DispatchMain.pacing(environment)
        } catch {
            throw CommandFailure("\(error)")
        }
        let answer = await DispatchMain.invoke(
            dispatcher, limit: limit, deadline: nil, pacing: pacing, correlationID: UUID().uuidString, logger: logger)
        print(String(decoding: answer.body, as: UTF8.self))
        if answer.exitStatus != .handled { throw ExitCode(answer.exitStatus.rawValue) }
    }
}
