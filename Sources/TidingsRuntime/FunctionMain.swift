import Foundation
import Logging
import TidingsCore

/// The one entry point of every handler executable: the Lambda Runtime API loop when
/// `AWS_LAMBDA_RUNTIME_API` is set, otherwise one event from stdin (`StdinRunner`).
public enum FunctionMain {
    /// Runs the function and returns its exit status; `main.swift` passes it to `exit`.
    public static func run(_ function: FlowKind, environment: [String: String] = ProcessInfo.processInfo.environment)
        async -> ExitStatus
    {
        guard let address = environment["AWS_LAMBDA_RUNTIME_API"], !address.isEmpty else {
            return await StdinRunner.run(function, environment: environment)
        }
        return await runLoop(function, address: address, environment: environment)
    }

    /// Runs the `unsubscribe` function (RFC 8058 one-click unsubscribe): the Runtime API loop when
    /// `AWS_LAMBDA_RUNTIME_API` is set, otherwise one HTTP request envelope from stdin.
    public static func runUnsubscribe(environment: [String: String] = ProcessInfo.processInfo.environment)
        async -> ExitStatus
    {
        let logger = FunctionEnvironment.logger(label: "tidings.unsubscribe", environment: environment)
        let make = { () throws(ConfigurationError) -> UnsubscribeHandler in
            try UnsubscribeHandler.make(environment: environment, logger: logger)
        }
        guard let address = environment["AWS_LAMBDA_RUNTIME_API"], !address.isEmpty else {
            return await StdinRunner.run(OneClickUnsubscribe.function, logger: logger, make: make)
        }
        return await runLoop(address: address, logger: logger, make: make)
    }

    /// Runs the `dispatch` function (the scheduled outbox dispatcher): the Runtime API loop when
    /// `AWS_LAMBDA_RUNTIME_API` is set (each invocation one run), otherwise one run whose summary
    /// goes to stdout.
    public static func runDispatch(environment: [String: String] = ProcessInfo.processInfo.environment)
        async -> ExitStatus
    {
        let logger = FunctionEnvironment.logger(label: "tidings.dispatch", environment: environment)
        guard let address = environment["AWS_LAMBDA_RUNTIME_API"], !address.isEmpty else {
            return await DispatchMain.runOnce(environment: environment, logger: logger)
        }
        return await runLoop(address: address, logger: logger) { () throws(ConfigurationError) in
            try DispatchMain.handler(environment: environment, logger: logger)
        }
    }

    /// The Runtime API loop: configuration and every client are built before the first `next`;
    /// a failure there is posted to `/runtime/init/error` and ends the process (78).
    static func runLoop(_ function: FlowKind, address: String, environment: [String: String]) async -> ExitStatus {
        let logger = FunctionEnvironment.logger(label: "tidings.\(function.rawValue)", environment: environment)
        return await runLoop(address: address, logger: logger) { () throws(ConfigurationError) in
            try FunctionEnvironment.handler(function: function, environment: environment, logger: logger)
        }
    }

    /// The loop around whichever handler `make` builds (after the Runtime API is reached, before
    /// the first `next`).
    static func runLoop<Handler: InvocationHandling>(
        address: String, logger: Logger, make: () throws(ConfigurationError) -> Handler
    ) async -> ExitStatus {
        let wake = Termination.install()
        let api: SocketRuntimeAPI
        do {
            api = try SocketRuntimeAPI(address: address, wake: wake)
        } catch {
            logger.critical("\(error)")
            return .runtimeAPIUnavailable
        }
        let loop = RuntimeLoop(api: api, logger: logger, terminationRequested: { Termination.isRequested })
        let handler: Handler
        do {
            handler = try make()
        } catch {
            logger.critical("bad configuration: \(error)")
            loop.reportInitializationFailure(error)
            return .badConfiguration
        }
        return await loop.run(handler)
    }
}
