import Foundation
import Logging
import TidingsCore
import TidingsHTTP

/// Builds a function's pipeline from its configuration: every stage on its embedded default unless
/// configuration switches it to a real service. Called once at start-up.
package enum FunctionEnvironment {
    /// The embedded stages: the recorded shop, the offline copywriter, the outbox, the review
    /// folder and the JSONL audit under the data folder.
    package static func embeddedStages(
        function: FlowKind, configuration: Configuration, clock: (any TimeSource)? = nil
    ) throws(ConfigurationError) -> PipelineStages {
        let clock: any TimeSource = clock ?? configuration.pinnedNow.map { FixedClock($0) } ?? SystemClock()
        let data = configuration.dataDirectory
        let auditRoot = data.appendingPathComponent("audit")
        let audit = JSONLAuditLog(
            root: auditRoot,
            writerID: JSONLAuditLog.makeWriterID(function: function.rawValue),
            key: configuration.auditKey.map(AuditKey.init))
        let state = stateStore(configuration)
        return PipelineStages(
            platforms: commercePlatforms(function: function, configuration: configuration),
            model: OfflineCopywriter(),
            email: OutboxEmailService(directory: data.appendingPathComponent("outbox")),
            review: FolderReviewQueue(directory: data.appendingPathComponent("review")),
            audit: audit,
            content: FolderContentStore(directory: FolderContentStore.directory(auditRoot: auditRoot)),
            deadLetters: FolderDeadLetterStore(directory: data.appendingPathComponent("dead-letter")),
            clock: clock, suppression: suppressionList(configuration, state: state), state: state)
    }

    /// The state store `TIDINGS_STATE` names: `<data>/state.sqlite3`, opened on first use (a folder
    /// it cannot use fails the event, retryably, like the audit), or the DynamoDB table over
    /// libcurl (DynamoDBStateStore retries throttling itself).
    package static func stateStore(_ configuration: Configuration) -> any StateStore {
        let settings = configuration.state
        let data = configuration.dataDirectory
        return StateStoreOnFirstUse { () throws(StateStoreError) in
            try settings.makeStore(dataFolder: data) { CurlTransport(CurlTransport.Configuration(name: "dynamodb")) }
        }
    }

    /// The suppression list in the state store `TIDINGS_STATE` names, with the JSON Lines list a
    /// data folder kept before the store (`<data>/suppression/suppression.jsonl`) read on a miss.
    package static func suppressionList(_ configuration: Configuration, state: any StateStore) -> StateSuppressionList {
        StateSuppressionList(store: state, legacy: legacySuppressionList(configuration))
    }

    /// The JSON Lines list under the data folder, as it was before the state store.
    package static func legacySuppressionList(_ configuration: Configuration) -> JSONLSuppressionList {
        JSONLSuppressionList(directory: configuration.dataDirectory.appendingPathComponent("suppression"))
    }

    /// Reads the configuration and builds the function's pipeline on the embedded stages, with the
    /// start-up warnings a deployment should see. Throws `ConfigurationError` naming the key.
    package static func handler(function: FlowKind, environment: [String: String], logger: Logger)
        throws(ConfigurationError) -> InvocationHandler
    {
        let configuration = try Configuration.load(environment: environment)
        if configuration.unsubscribeKey.isDevelopmentDefault {
            logger.warning(
                "TIDINGS_UNSUBSCRIBE_SECRET is not set: unsubscribe links are signed with the package development key")
        }
        if configuration.webhookSecrets.isEmpty {
            logger.notice(
                "no SHOPIFY_WEBHOOK_SECRET or BIGCOMMERCE_WEBHOOK_SECRET: webhook deliveries are not authenticated")
        }
        guard let flow = Flow.named(function, configuration) else {
            throw ConfigurationError(key: "function", reason: "\(function.rawValue) is not implemented in this build")
        }
        var stages = try embeddedStages(function: function, configuration: configuration)
        let writer = configuration.writer
        if writer.provider != .offline {
            // The hosted model replaces the offline copywriter, which stays the fallback. The
            // transport is created once here and shared by every invocation of a warm process.
            stages.model = writer.makeModel(transport: modelTransport(writer))
            logger.info(
                "model writer", metadata: ["model": "\(stages.model.name)", "base_url": "\(writer.baseURL)"])
        }
        stages.model = governed(stages.model, function: function, configuration: configuration, clock: stages.clock)
        if let service = sendingService(
            configuration.email, clock: stages.clock, logger: logger, dataDirectory: configuration.dataDirectory)
        {
            // The service sends what is due; a later step of a series stays in the scheduled outbox
            // for the dispatcher unless the service schedules itself (`holdsScheduledMessages`:
            // Mandrill, Braze). The transport is made once per process.
            stages.email = SchedulingEmailService(now: service, queue: stages.email, clock: stages.clock)
        }
        // A queued item is announced on Slack when SLACK_WEBHOOK_URL is set (never failing the event).
        stages.review = ReviewDeskEnvironment.announcing(stages.review, configuration, logger: logger)
        let pipeline = try Pipeline(flow: flow, configuration: configuration, stages: stages)
        return InvocationHandler(pipeline: pipeline)
    }

    /// The service that sends at once for `TIDINGS_ESP` (SES, an SMTP relay, Klaviyo, Mandrill, Braze),
    /// shared by the handlers (in front of the scheduled outbox) and the dispatcher; nil for the
    /// outbox, which only queues. Mandrill and Braze keep their series ledger under
    /// `<dataDirectory>/scheduled-sends`. Logs which, never a credential.
    package static func sendingService(
        _ settings: EmailSettings, clock: any TimeSource, logger: Logger, dataDirectory: URL
    ) -> (any EmailService)? {
        let ledger = JSONLScheduledSendLedger(directory: dataDirectory.appendingPathComponent("scheduled-sends"))
        if let mandrill = settings.mandrill {
            logger.info("email service", metadata: ["esp": "mandrill", "base_url": "\(mandrill.baseURL)"])
            return MandrillEmailService(
                baseURL: mandrill.baseURL, apiKey: mandrill.apiKey, transport: emailTransport(name: "mandrill"),
                ledger: ledger, clock: clock)
        }
        if let braze = settings.braze {
            let mode: BrazeEmailService.Mode =
                braze.campaignID.map { .campaign(id: $0) } ?? .messages(appID: braze.appID ?? "")
            logger.info(
                "email service",
                metadata: ["esp": "braze", "endpoint": "\(braze.endpoint)", "campaign": "\(braze.campaignID != nil)"])
            return BrazeEmailService(
                endpoint: braze.endpoint, apiKey: braze.apiKey, mode: mode, transport: emailTransport(name: "braze"),
                ledger: ledger, clock: clock)
        }
        if let smtp = settings.smtp {
            logger.info(
                "email service",
                metadata: [
                    "esp": "smtp", "url": "\(smtp.url)", "tls_required": "\(smtp.requireTLS)",
                    "auth": "\(smtp.username != nil)",
                ])
            return SMTPEmailService(smtp)
        }
        if let klaviyo = settings.klaviyo {
            logger.info("email service", metadata: ["esp": "klaviyo", "base_url": "\(klaviyo.baseURL)"])
            return KlaviyoEmailService(
                baseURL: klaviyo.baseURL, apiKey: klaviyo.apiKey,
                transport: emailTransport(name: "klaviyo", timeout: klaviyo.timeout))
        }
        guard let ses = settings.ses else { return nil }
        logger.info(
            "email service", metadata: ["esp": "ses", "region": "\(ses.region)", "endpoint": "\(ses.endpoint)"])
        return SESEmailService(
            endpoint: ses.endpoint, region: ses.region, credentials: ses.credentials,
            configurationSet: ses.configurationSet, transport: emailTransport(name: "ses"), clock: clock)
    }

    /// The HTTP transport of a hosted model: libcurl (loaded only now, so an offline handler never
    /// pays for it) with bounded retries that honour the provider's Retry-After and x-should-retry
    /// and stop at the invocation's deadline (docs/decisions/http-transport.md).
    static func modelTransport(_ writer: ModelSettings) -> any HTTPTransport {
        RetryingTransport(CurlTransport(CurlTransport.Configuration(name: writer.provider.rawValue)))
    }

    /// The HTTP transport of an ESP: libcurl with the same bounded retries as the models, so a
    /// throttled send (429) waits as asked and is tried again, never past the deadline. `name`
    /// names the loop thread; `timeout` bounds one exchange in seconds (default 60).
    static func emailTransport(name: String, timeout: TimeInterval = 60) -> any HTTPTransport {
        RetryingTransport(curlTransport(name: name, timeout: timeout))
    }

    /// The bare libcurl transport, one attempt per send, for tools that put their own layers
    /// around it (the fault benchmark counts attempts below the retries). `timeout` in seconds.
    package static func curlTransport(name: String, timeout: TimeInterval = 60) -> any HTTPTransport {
        CurlTransport(CurlTransport.Configuration(name: name, totalTimeout: timeout))
    }

    /// `model` under the configured rate limits of its upstream and the flow's budgets (the
    /// config file's `models`), with the spend read from the audit under the data folder. The
    /// offline writers are returned as they are. Whoever puts a hosted model into the stages
    /// passes it through here once, at start-up, so that every task of the process shares the
    /// upstream's limiter.
    package static func governed(
        _ model: any LanguageModel, function: FlowKind, configuration: Configuration, clock: any TimeSource
    ) -> any LanguageModel {
        ModelGovernance.wrap(
            model, flow: function, configuration: configuration,
            auditRoot: configuration.dataDirectory.appendingPathComponent("audit"), clock: clock)
    }

    /// The commerce platforms `TIDINGS_COMMERCE` names: the recorded shop (winBack's customer base
    /// for winBack), or a live shop alone, so that an event from another platform fails as having
    /// no platform instead of being enriched from recorded data. One case per platform.
    package static func commercePlatforms(function: FlowKind, configuration: Configuration) -> [EventPlatform:
        any CommercePlatform]
    {
        let commerce = configuration.commerce
        switch commerce.source {
        case .recorded:
            return function == .winBack ? winBackShop(configuration) : recordedShop(configuration)
        case .shopify:
            guard let settings = commerce.shopify else { return [:] }
            return [.shopify: shopifyClient(settings, configuration: configuration)]
        case .bigcommerce:
            // A live store answers BigCommerce and canonical events alike (a deployment reads one shop).
            guard let store = commerce.bigCommerce else { return [:] }
            let client = bigCommerceClient(store, configuration: configuration)
            return [.bigcommerce: client, .canonical: client]
        }
    }

    /// The live Shopify client over libcurl with the shared bounded retries (5xx, 429 and timeouts
    /// are tried again within the invocation's deadline). The co-purchase index is the one
    /// `tidings shop index` wrote under the data folder (`derived/shopify-co-purchases.json`), or
    /// empty until it has.
    package static func shopifyClient(
        _ settings: ShopifySettings, configuration: Configuration, transport: (any HTTPTransport)? = nil
    ) -> ShopifyGraphQLClient {
        let index = configuration.dataDirectory.appendingPathComponent(RecordedShop.coPurchasesFile(.shopify)).path
        return ShopifyGraphQLClient(
            baseURL: settings.baseURL, apiVersion: settings.apiVersion, accessToken: settings.accessToken,
            storefrontURL: configuration.brand.storefrontURL,
            coPurchases: FileManager.default.fileExists(atPath: index) ? .stored(path: index) : nil,
            transport: transport ?? RetryingTransport(curlTransport(name: "shopify", timeout: settings.timeout)))
    }

    /// The recorded shop: the production Shopify and BigCommerce clients, answered from the files
    /// under `TIDINGS_SHOP_DIR` instead of the network, so every offline run exercises the
    /// production decoding. The recorded store's identity is fixed by the generator (Events/shop/README.md).
    static func recordedShop(_ configuration: Configuration) -> [EventPlatform: any CommercePlatform] {
        RecordedShop.clients(
            root: configuration.shopDirectory, storefrontURL: configuration.brand.storefrontURL, readStoredIndex: true)
    }

    /// winBack's recorded shop: the customer base (`TIDINGS_CUSTOMER_BASE_DIR`, default a synthetic
    /// base from `tidings synth` at `Events/winBack/shop`), because a scan needs a whole base: its
    /// recorded bulk export is grouped by customer. Pages are not cached, so a scan's memory stays flat.
    static func winBackShop(_ configuration: Configuration) -> [EventPlatform: any CommercePlatform] {
        RecordedShop.clients(
            root: configuration.customerBaseDirectory, storefrontURL: configuration.brand.storefrontURL,
            readStoredIndex: true, cachesResponses: false)
    }

    /// A logger writing to stderr at `TIDINGS_LOG_LEVEL` (default info), so stdout stays the result;
    /// control characters are escaped (`EscapingLogHandler`). An unknown level logs at info here
    /// and stops start-up when the configuration is loaded.
    package static func logger(label: String, environment: [String: String]) -> Logger {
        var logger = Logger(label: label, factory: { EscapingLogHandler.standardError(label: $0) })
        logger.logLevel = (try? Configuration.logLevel(environment)) ?? .info
        return logger
    }
}
