import Crypto
import Foundation
import Logging
import TidingsCore
import TidingsHTTP

/// What the Runtime API loop drives: one invocation's bytes in, its answer out. The flow handlers
/// (`InvocationHandler`) and the unsubscribe endpoint (`UnsubscribeHandler`) both are.
package protocol InvocationHandling: Sendable {
    /// Handles one invocation's bytes; `deadline`, when known, is the invocation's.
    func handle(_ bytes: [UInt8], deadline: Date?, correlationID: String, logger: Logger) async -> InvocationAnswer
}

extension InvocationHandler: InvocationHandling {}

/// The `unsubscribe` function: RFC 8058 one-click unsubscribe behind a function URL or API Gateway
/// route, and the ESPs' feedback on the same URL. Not a flow (no event, no pipeline, no writer): it
/// reads the request envelope and routes by path: a path ending in `/feedback/ses` (SNS) or
/// `/feedback/mandrill` (Mandrill webhooks) goes to `FeedbackEndpoint`, every other path to
/// `OneClickUnsubscribe`, so links already sent keep working (docs/decisions/suppression.md).
package struct UnsubscribeHandler: InvocationHandling {
    /// The endpoint, over the data folder's suppression list and audit.
    package let endpoint: OneClickUnsubscribe
    /// The feedback routes, over the same list and audit.
    package let feedback: FeedbackEndpoint

    /// A handler over `endpoint` and `feedback`.
    package init(endpoint: OneClickUnsubscribe, feedback: FeedbackEndpoint) {
        self.endpoint = endpoint
        self.feedback = feedback
    }

    /// The route a request path selects.
    enum Route: Equatable {
        case unsubscribe, ses, mandrill

        /// By the path's end, so an API Gateway stage prefix ("/prod/feedback/ses") routes the same.
        init(path: String) {
            var path = Substring(path)
            while path.count > 1, path.hasSuffix("/") { path = path.dropLast() }
            if path.hasSuffix(FeedbackEndpoint.sesPath) {
                self = .ses
            } else if path.hasSuffix(FeedbackEndpoint.mandrillPath) {
                self = .mandrill
            } else {
                self = .unsubscribe
            }
        }
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
        let settings = try FeedbackSettings.load(environment: environment)
        logger.info(
            "feedback routes",
            metadata: ["sns.topics": "\(settings.snsTopics.count)", "mandrill": "\(settings.mandrillKey != nil)"])
        // libcurl is loaded only when SNS is configured: a function serving only one-click links
        // never pays for it at start.
        let transport: any HTTPTransport = settings.snsTopics.isEmpty ? UnconfiguredTransport() : snsTransport()
        return make(
            configuration: configuration, feedback: settings, fetcher: SNSFetcher(transport: transport))
    }

    /// The handler on `configuration`'s data folder, fetching from SNS through `fetcher` (tests
    /// pass one over an in-memory transport).
    package static func make(configuration: Configuration, feedback: FeedbackSettings, fetcher: SNSFetcher)
        -> UnsubscribeHandler
    {
        let clock: any TimeSource = configuration.pinnedNow.map { FixedClock($0) } ?? SystemClock()
        let audit = JSONLAuditLog(
            root: configuration.dataDirectory.appendingPathComponent("audit"),
            writerID: JSONLAuditLog.makeWriterID(function: OneClickUnsubscribe.function),
            key: configuration.auditKey.map(AuditKey.init))
        let suppression = FunctionEnvironment.suppressionList(
            configuration, state: FunctionEnvironment.stateStore(configuration))
        var endpoint = OneClickUnsubscribe(
            key: SymmetricKey(data: configuration.unsubscribeKey.bytes),
            storefrontURL: configuration.brand.storefrontURL, suppression: suppression, audit: audit, clock: clock)
        var feedbackEndpoint = FeedbackEndpoint(
            settings: feedback, fetcher: fetcher, suppression: suppression, audit: audit, clock: clock)
        if let shopify = configuration.commerce.shopify, shopify.consentWriteBack {
            let client = FunctionEnvironment.shopifyClient(shopify, configuration: configuration)
            endpoint.consentWriteBack = client
            feedbackEndpoint.consentWriteBack = client
        }
        return UnsubscribeHandler(endpoint: endpoint, feedback: feedbackEndpoint)
    }

    /// The transport certificates and confirmations are fetched with: libcurl (TLS verified), short
    /// timeouts, one retry policy like the ESPs', 64 KiB of body at most.
    static func snsTransport() -> any HTTPTransport {
        RetryingTransport(
            CurlTransport(
                CurlTransport.Configuration(
                    name: "sns", connectTimeout: 5, totalTimeout: 10,
                    maxResponseBytes: SNSFetcher.maximumCertificateBytes)))
    }

    /// The transport when no SNS topic is configured: the verifier refuses every message before
    /// fetching, so this is never asked; if it were, it fails like an unreachable host.
    struct UnconfiguredTransport: HTTPTransport {
        func send(_ request: TransportRequest) async throws -> TransportResponse {
            throw TransportError(.connectFailed, host: "sns", detail: "TIDINGS_SNS_TOPIC_ARNS is not set")
        }
    }

    package func handle(_ bytes: [UInt8], deadline: Date?, correlationID: String, logger: Logger) async
        -> InvocationAnswer
    {
        let response: UnsubscribeResponse
        do throws(InputError) {
            response = await respond(
                to: try HTTPRequestEnvelope.decode(bytes), correlationID: correlationID, logger: logger)
        } catch {
            response = OneClickUnsubscribe.badRequest(error.path, error.reason)
            log(response, route: .unsubscribe, logger: logger)
        }
        return InvocationAnswer(unsubscribe: response)
    }

    /// Answers one request already taken apart (by the envelope decoder, or by `tidings serve`'s
    /// HTTP server): routed by its path, logged, never throwing.
    package func respond(to request: HTTPRequestEnvelope, correlationID: String, logger: Logger) async
        -> UnsubscribeResponse
    {
        let route = Route(path: request.path)
        let feedbackRequest = FeedbackRequest(method: request.method, headers: request.headers, body: request.body)
        let response: UnsubscribeResponse
        switch route {
        case .ses:
            response = await feedback.handleSNS(feedbackRequest, correlationID: correlationID, logger: logger)
        case .mandrill:
            response = await feedback.handleMandrill(feedbackRequest, correlationID: correlationID)
        case .unsubscribe:
            response = await endpoint.handle(
                UnsubscribeRequest(method: request.method, query: request.query, body: request.body),
                correlationID: correlationID)
        }
        log(response, route: route, logger: logger)
        return response
    }

    private func log(_ response: UnsubscribeResponse, route: Route, logger: Logger) {
        var metadata: Logger.Metadata = ["http.status": "\(response.status)", "http.route": "\(route)"]
        if let report = response.report {
            metadata["outcome"] = "\(report.outcome.rawValue)"
            metadata["event.id"] = "\(report.eventID)"
        }
        if response.status == 403 || response.status >= 500, let reason = response.report?.reason {
            metadata["reason"] = "\(reason)"
        }
        logger.info("unsubscribe request", metadata: metadata)
    }
}
