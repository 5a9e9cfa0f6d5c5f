import Foundation
import Logging
import TidingsCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The Lambda custom runtime: `GET next`, handle, `POST response` or `POST error`, one
/// invocation at a time over one keep-alive connection, until SIGTERM or the API fails
/// (shared/specs/aws-lambda-runtime/runtime-api.yaml).
package struct RuntimeLoop {
    /// The Runtime API.
    package let api: any RuntimeAPI
    /// The logger for the loop's own records (each invocation adds `aws.request_id`).
    package let logger: Logger
    /// Whether SIGTERM arrived; read after each invocation.
    package let terminationRequested: @Sendable () -> Bool

    /// A loop over `api`; `terminationRequested` is checked after each invocation (SIGTERM).
    package init(
        api: any RuntimeAPI, logger: Logger, terminationRequested: @escaping @Sendable () -> Bool = { false }
    ) {
        self.api = api
        self.logger = logger
        self.terminationRequested = terminationRequested
    }

    /// Reports a failed start-up to `/runtime/init/error`; the caller exits non-zero afterwards.
    package func reportInitializationFailure(_ error: ConfigurationError) {
        let failure = FunctionError(type: "Runtime.ConfigurationError", message: error.description)
        do {
            if case .refused(let status, let message) = try api.initializationFailed(failure) {
                logger.error("init error refused", metadata: ["status": "\(status)", "message": "\(message)"])
            }
        } catch {
            logger.error("could not report the init error", metadata: ["error": "\(error)"])
        }
    }

    /// Runs until SIGTERM (returns `.handled`) or a Runtime API failure (`.runtimeAPIUnavailable`).
    /// A handler failure never ends the loop: it is reported and the next invocation is fetched.
    package func run(_ handler: some InvocationHandling) async -> ExitStatus {
        while !terminationRequested() {
            let invocation: RuntimeInvocation
            do {
                invocation = try api.next()
            } catch .terminated {
                break
            } catch .missingRequestID {
                // Without the id the invocation cannot be answered; the platform times it out.
                logger.error("next invocation has no Lambda-Runtime-Aws-Request-Id; skipped")
                continue
            } catch {
                logger.critical("runtime API failed; exiting", metadata: ["error": "\(error)"])
                return .runtimeAPIUnavailable
            }
            var invocationLogger = logger
            invocationLogger[metadataKey: "aws.request_id"] = "\(invocation.requestID)"
            if let traceID = invocation.traceID {
                setenv("_X_AMZN_TRACE_ID", traceID, 1)
            } else {
                unsetenv("_X_AMZN_TRACE_ID")
            }
            if invocation.deadline == nil {
                invocationLogger.warning("no Lambda-Runtime-Deadline-Ms; the model call is not bounded")
            }
            let answer = await handler.handle(
                invocation.body, deadline: invocation.deadline, correlationID: invocation.requestID,
                logger: invocationLogger)
            do {
                let result =
                    if let error = answer.error {
                        try api.fail(invocation.requestID, error: error)
                    } else {
                        try api.respond(invocation.requestID, body: answer.body)
                    }
                if case .refused(let status, let message) = result {
                    // 413 (answer too large), 400 or 403: this invocation is lost to the caller but
                    // handled here (audited); the next one is unaffected.
                    invocationLogger.error(
                        "runtime API refused the answer", metadata: ["status": "\(status)", "message": "\(message)"])
                }
            } catch {
                invocationLogger.critical("runtime API failed; exiting", metadata: ["error": "\(error)"])
                return .runtimeAPIUnavailable
            }
        }
        logger.info("SIGTERM: stopping after the invocation in hand")
        return .handled
    }
}
