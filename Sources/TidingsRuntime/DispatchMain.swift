import Foundation
import Logging
import TidingsCore

/// The dispatcher's start-up and entry points: `tidings dispatch` and the `dispatch` function
/// (EventBridge Scheduler invokes it every minute; deploy/template.yaml) build it here, the same way.
package enum DispatchMain {
    /// Builds the dispatcher from the environment: the data folder's outbox and audit, the pinned
    /// clock (`TIDINGS_NOW`) unless `clock` is given, and the service `TIDINGS_ESP` names. Throws
    /// `ConfigurationError` naming the key; `TIDINGS_ESP=outbox` (the default) is refused, since the
    /// outbox is the queue itself and nothing would send, and so is `braze`, which cannot send a
    /// raw message.
    package static func dispatcher(
        environment: [String: String], clock: (any TimeSource)? = nil, owner: String = OutboxDispatcher.makeOwner(),
        lease: TimeInterval = 300, logger: Logger
    ) throws(ConfigurationError) -> OutboxDispatcher {
        let configuration = try Configuration.load(environment: environment)
        let clock: any TimeSource = clock ?? configuration.pinnedNow.map { FixedClock($0) } ?? SystemClock()
        if configuration.email.service == .braze {
            // The outbox keeps raw messages; Braze takes the rendered parts, which a file no longer has.
            throw ConfigurationError(
                key: "TIDINGS_ESP",
                reason: "braze takes the rendered parts, not the raw messages the outbox keeps; "
                    + "dispatch what an earlier configuration queued with ses, smtp or mandrill")
        }
        guard
            let service = FunctionEnvironment.sendingService(
                configuration.email, clock: clock, logger: logger, dataDirectory: configuration.dataDirectory)
        else {
            throw ConfigurationError(
                key: "TIDINGS_ESP",
                reason: "dispatch sends the outbox through a service that cannot schedule (ses); with "
                    + "'\(configuration.email.service.rawValue)' there is nothing to send through")
        }
        let auditRoot = configuration.dataDirectory.appendingPathComponent("audit")
        let audit = JSONLAuditLog(
            root: auditRoot, writerID: JSONLAuditLog.makeWriterID(function: "dispatch"),
            key: configuration.auditKey.map(AuditKey.init))
        return OutboxDispatcher(
            directory: configuration.dataDirectory.appendingPathComponent("outbox"), service: service, audit: audit,
            clock: clock, owner: owner, lease: lease,
            suppression: FunctionEnvironment.suppressionList(
                configuration, state: FunctionEnvironment.stateStore(configuration)))
    }

    /// The most messages one invocation of the function claims (`TIDINGS_DISPATCH_LIMIT`, default
    /// 200): a minute's worth at SES's default sending rate, well inside the function's timeout.
    package static func limit(_ environment: [String: String]) throws(ConfigurationError) -> Int {
        guard let text = environment["TIDINGS_DISPATCH_LIMIT"], !text.isEmpty else { return 200 }
        guard let value = Int(text), value > 0 else {
            throw ConfigurationError(key: "TIDINGS_DISPATCH_LIMIT", reason: "'\(text)' is not a positive whole number")
        }
        return value
    }

    /// How fast a run sends: `TIDINGS_DISPATCH_CONCURRENCY` messages in flight (default 4, at most
    /// 64) and at most `TIDINGS_DISPATCH_RATE` sends a second (default: no ceiling; set it to the
    /// service's sending rate, e.g. SES's per-account "maximum send rate"). Throws
    /// `ConfigurationError` naming the variable for anything else.
    package static func pacing(_ environment: [String: String]) throws(ConfigurationError) -> DispatchPacing {
        var pacing = DispatchPacing()
        if let text = environment["TIDINGS_DISPATCH_CONCURRENCY"], !text.isEmpty {
            guard let value = Int(text), (1...64).contains(value) else {
                throw ConfigurationError(
                    key: "TIDINGS_DISPATCH_CONCURRENCY",
                    reason: "'\(text.prefix(20))' is not a whole number from 1 to 64")
            }
            pacing.concurrency = value
        }
        if let text = environment["TIDINGS_DISPATCH_RATE"], !text.isEmpty {
            guard let value = Double(text), value.isFinite, value > 0 else {
                throw ConfigurationError(
                    key: "TIDINGS_DISPATCH_RATE",
                    reason: "'\(text.prefix(20))' is not a number of sends a second above 0")
            }
            pacing.ratePerSecond = value
        }
        return pacing
    }

    /// The dispatcher and its per-run limit as a Runtime API handler: each invocation, whatever
    /// its body, is one run over the outbox (FunctionMain.runDispatch runs the loop around it).
    package static func handler(environment: [String: String], logger: Logger) throws(ConfigurationError)
        -> DispatchHandler
    {
        DispatchHandler(
            dispatcher: try dispatcher(environment: environment, logger: logger), limit: try limit(environment),
            pacing: try pacing(environment))
    }

    /// The `dispatch` executable without a Runtime API: one run, its summary on stdout (stdin is
    /// not read: a run needs no input).
    package static func runOnce(environment: [String: String], logger: Logger) async -> ExitStatus {
        let handler: DispatchHandler
        do {
            handler = try self.handler(environment: environment, logger: logger)
        } catch {
            logger.critical("bad configuration: \(error)")
            return .badConfiguration
        }
        let answer = await handler.handle(
            [], deadline: nil, correlationID: UUID().uuidString.lowercased(), logger: logger)
        FileHandle.standardOutput.write(Data(answer.body + [UInt8(ascii: "\n")]))
        return answer.exitStatus
    }

    /// One run, as an answer: the summary JSON; an outbox that cannot be listed is an error the
    /// scheduler's retry policy sees. Each message's end is logged without its recipient.
    package static func invoke(
        _ dispatcher: OutboxDispatcher, limit: Int?, deadline: Date?, pacing: DispatchPacing = DispatchPacing(),
        correlationID: String, logger: Logger
    ) async -> InvocationAnswer {
        let summary: DispatchSummary
        do {
            summary = try await dispatcher.run(
                limit: limit, deadline: deadline, pacing: pacing, correlationID: correlationID)
        } catch {
            logger.error("dispatch failed", metadata: ["error": "\(error)"])
            return InvocationAnswer(
                body: Array(#"{"error":"outbox_unreadable"}"#.utf8),
                error: FunctionError(type: "Dispatch.OutboxUnreadable", message: error.description),
                exitStatus: .retryable, reports: [])
        }
        for result in summary.results where result.state != .lost {
            var metadata: Logger.Metadata = [
                "outbox.file": "\(result.name)", "dispatch.result": "\(result.state.rawValue)",
            ]
            if let eventID = result.eventID { metadata["event.id"] = "\(eventID)" }
            if let reason = result.reason { metadata["reason"] = "\(reason)" }
            logger.info("dispatched", metadata: metadata)
            for problem in result.problems { logger.error("dispatch problem", metadata: ["problem": "\(problem)"]) }
        }
        let failed = summary.count(.failed) > 0
        let retry = summary.count(.retry) > 0
        return InvocationAnswer(
            body: summaryJSON(summary), error: nil,
            exitStatus: failed ? .failed : retry ? .retryable : .handled, reports: [])
    }

    /// `{"sent":N,"cancelled":N,"retry":N,"failed":N,"lost":N,"messages":[{file,result,...}]}`.
    package static func summaryJSON(_ summary: DispatchSummary) -> [UInt8] {
        var counts: [String: JSONValue] = [:]
        for state in [DispatchResult.State.sent, .cancelled, .retry, .failed, .lost] {
            counts[state.rawValue] = .int(summary.count(state))
        }
        counts["messages"] = .array(
            summary.results.filter { $0.state != .lost }.map { result in
                var fields: [String: JSONValue] = [
                    "file": .string(result.name), "result": .string(result.state.rawValue),
                ]
                if let eventID = result.eventID { fields["event_id"] = .string(eventID) }
                if let step = result.step { fields["step"] = .string(step) }
                if let service = result.service { fields["service"] = .string(service) }
                if let reference = result.reference { fields["reference"] = .string(reference) }
                if let reason = result.reason { fields["reason"] = .string(reason) }
                return .object(fields)
            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(JSONValue.object(counts))) ?? Data("{}".utf8))
    }
}

/// The `dispatch` function's handler: one dispatcher run per invocation.
package struct DispatchHandler: InvocationHandling {
    let dispatcher: OutboxDispatcher
    let limit: Int
    let pacing: DispatchPacing

    package func handle(_ bytes: [UInt8], deadline: Date?, correlationID: String, logger: Logger) async
        -> InvocationAnswer
    {
        await DispatchMain.invoke(
            dispatcher, limit: limit, deadline: deadline, pacing: pacing, correlationID: correlationID, logger: logger)
    }
}

extension InvocationAnswer {
    /// An answer made directly (the dispatcher's), not from an envelope's reports.
    init(body: [UInt8], error: FunctionError?, exitStatus: ExitStatus, reports: [OutcomeReport]) {
        self.body = body
        self.error = error
        self.exitStatus = exitStatus
        self.reports = reports
    }
}
