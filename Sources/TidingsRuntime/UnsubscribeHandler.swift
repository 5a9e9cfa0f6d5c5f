import Crypto
import Foundation
import Logging
import TidingsCore

/// What the Runtime API loop drives: one invocation's bytes in, its answer out. The flow handlers
/// (`InvocationHandler`) and the unsubscribe endpoint (`UnsubscribeHandler`) both are.
package protocol InvocationHandling: Sendable {
    /// Handles one invocation's bytes; `deadline`, when known, is the invocation's.
    func handle(_ bytes: [UInt8], deadline: Date?, correlationID: String, logger: Logger) async -> InvocationAnswer
}

extension InvocationHandler: InvocationHandling {}

/// The `unsubscribe` function: RFC 8058 one-click unsubscribe behind a function URL or API Gateway
/// route. Not a flow (no event, no pipeline, no writer): it reads the request envelope and hands the
/// method, query and body to `OneClickUnsubscribe` (docs/decisions/suppression.md).
package struct UnsubscribeHandler: InvocationHandling {
    /// The endpoint, over the data folder's suppression list and audit.
    package let endpoint: OneClickUnsubscribe

    /// A handler over `endpoint`.
    package init(endpoint: OneClickUnsubscribe) {
        self.endpoint = endpoint
    }

    /// Reads the configuration (the same keys as every handler; the unsubscribe secret and the
    /// brand's storefront URL must match the flows') and builds the endpoint on the data folder.
    package static func make(environment: [String: String], logger: Logger) throws(ConfigurationError)
        -> UnsubscribeHandler
    {
        let configuration = try Configuration.load(environment: environment)
        if configuration.unsubscribeKey.isDevelopmentDefault {
            logger.warning(
                "TIDINGS_UNSUBSCRIBE_SECRET is not set: links are checked against the package development key")
        }
        let clock: any TimeSource = configuration.pinnedNow.map { FixedClock($0) } ?? SystemClock()
        let audit = JSONLAuditLog(
            root: configuration.dataDirectory.appendingPathComponent("audit"),
            writerID: JSONLAuditLog.makeWriterID(function: OneClickUnsubscribe.function),
            key: configuration.auditKey.map(AuditKey.init))
        return UnsubscribeHandler(
            endpoint: OneClickUnsubscribe(
                key: SymmetricKey(data: configuration.unsubscribeKey.bytes),
                storefrontURL: configuration.brand.storefrontURL,
                suppression: FunctionEnvironment.suppressionList(configuration), audit: audit, clock: clock))
    }

    package func handle(_ bytes: [UInt8], deadline: Date?, correlationID: String, logger: Logger) async
        -> InvocationAnswer
    {
        let response: UnsubscribeResponse
        do throws(InputError) {
            let request = try HTTPRequestEnvelope.decode(bytes)
            response = endpoint.handle(
                UnsubscribeRequest(method: request.method, query: request.query, body: request.body),
                correlationID: correlationID)
        } catch {
            response = OneClickUnsubscribe.badRequest(error.path, error.reason)
        }
        var metadata: Logger.Metadata = ["http.status": "\(response.status)"]
        if let report = response.report {
            metadata["outcome"] = "\(report.outcome.rawValue)"
            metadata["event.id"] = "\(report.eventID)"
        }
        logger.info("unsubscribe request", metadata: metadata)
        return InvocationAnswer(unsubscribe: response)
    }
}
