import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ServiceLifecycle
import TidingsCore
import TidingsRuntime

/// `tidings serve`'s webhook receiver: one route per topic (`ReceiverRoute.all`) and the
/// one-click unsubscribe endpoint. A delivery is checked on receipt, synchronously: too large
/// (413), not signed by its platform (401), bad input (400), stale or already accepted (200,
/// nothing queued); each of those ends with the terminal audit record the function would write,
/// written by the function's own handler. Anything else is written durably to the local queue
/// (`DeliveryQueue`) and answered 202; `DeliveryWorker` then hands it to the same handler
/// (docs/decisions/serve-receiver.md).
package struct WebhookReceiver: ServePart {
    /// How the worker runs.
    package struct Settings: Sendable {
        /// Deliveries handled at once; 0 runs no worker (deliveries are only accepted and queued).
        package var workers: Int = 4
        /// The deadline given to each handling, in seconds: it bounds the model call and the event
        /// claim's lease (which ends 30 s after it), so a handling a crash cut short is taken over
        /// soon after a restart.
        package var handlingTime: TimeInterval = 120
        /// How long a delivery is retried after its receipt before it is moved to `failed/`:
        /// Shopify's own redelivery horizon, 48 hours.
        package var giveUpAfter: TimeInterval = 48 * 3600
        /// The first retry's wait in seconds; each later one doubles it, up to `longestBackoff`.
        package var firstBackoff: TimeInterval = 1
        /// The longest wait between two tries, in seconds.
        package var longestBackoff: TimeInterval = 300

        /// The defaults: four workers, two minutes a handling, retries for 48 hours.
        package init() {}

        /// The wait before try `attempt + 1`: doubling from `firstBackoff`, at most
        /// `longestBackoff`, with up to a fifth taken off at random so retries do not march together.
        func backoff(attempt: Int) -> TimeInterval {
            let base = min(longestBackoff, firstBackoff * pow(2, Double(min(attempt, 30))))
            return base * Double.random(in: 0.8...1.0)
        }
    }

    /// Each flow's handler, built as its function builds it.
    let handlers: [FlowKind: InvocationHandler]
    /// The one-click unsubscribe endpoint and the ESP feedback routes.
    let unsubscribe: UnsubscribeHandler
    /// Where accepted deliveries wait for the worker.
    package let queue: DeliveryQueue
    let trust: WebhookTrust
    let decoder: EventDecoder
    let maximumBodyBytes: Int
    let settings: Settings
    let logger: Logger

    /// The receiver on the configuration `environment` gives (the same keys every handler reads;
    /// docs/configuration.md), its queue under the data folder. Throws `ConfigurationError`
    /// naming the key when the configuration is bad.
    package static func make(environment: [String: String], settings: Settings = Settings(), logger: Logger)
        throws(ConfigurationError) -> WebhookReceiver
    {
        let configuration = try Configuration.load(environment: environment)
        var handlers: [FlowKind: InvocationHandler] = [:]
        for flow in ReceiverRoute.flows {
            var flowLogger = logger
            flowLogger[metadataKey: "function"] = "\(flow.rawValue)"
            handlers[flow] = try FunctionEnvironment.handler(
                function: flow, environment: environment, logger: flowLogger)
        }
        return WebhookReceiver(
            handlers: handlers, unsubscribe: try UnsubscribeHandler.make(environment: environment, logger: logger),
            queue: DeliveryQueue(dataDirectory: configuration.dataDirectory),
            trust: WebhookTrust(
                secrets: configuration.webhookSecrets, maximumBodyBytes: configuration.maximumBodyBytes),
            decoder: EventDecoder(maximumBodyBytes: configuration.maximumBodyBytes),
            maximumBodyBytes: configuration.maximumBodyBytes, settings: settings, logger: logger)
    }

    package var services: [any Service] {
        guard settings.workers > 0 else { return [] }
        return [DeliveryWorker(queue: queue, handlers: handlers, settings: settings, logger: logger)]
    }

    package func register(on router: Hummingbird.Router<BasicRequestContext>) {
        for route in ReceiverRoute.all {
            router.post(RouterPath(route.path)) { request, _ in
                try await receive(request, route: route)
            }
        }
        // RFC 8058 one-click: the mail client's POST needs its answer, so this is never queued.
        for path in ["/unsubscribe", "/unsubscribe/feedback/ses", "/unsubscribe/feedback/mandrill"] {
            router.get(RouterPath(path)) { request, _ in try await answerUnsubscribe(request) }
            router.post(RouterPath(path)) { request, _ in try await answerUnsubscribe(request) }
        }
    }

    // MARK: Requests

    /// One webhook request: its body read up to the limit, checked, queued or answered.
    func receive(_ request: Request, route: ReceiverRoute) async throws -> Response {
        guard let body = try await body(of: request) else {
            logger.warning(
                "webhook refused: body over the limit",
                metadata: ["http.route": "\(route.path)", "limit": "\(maximumBodyBytes)"])
            return Self.json(
                status: .contentTooLarge,
                [
                    "outcome": "rejected_input", "code": .string(InputError.Code.oversized.rawValue), "path": "$",
                    "reason": .string(
                        "the body is larger than the limit of \(maximumBodyBytes) bytes (TIDINGS_MAX_BODY_BYTES)"),
                ] as JSONValue)
        }
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let receipt = await receive(
            body: body, headers: headers, route: route, correlationID: UUID().uuidString.lowercased())
        return receipt.response
    }

    /// The body, or nil when it is larger than `maximumBodyBytes` (by its Content-Length, before
    /// anything is read, or while reading).
    func body(of request: Request) async throws -> [UInt8]? {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maximumBodyBytes { return nil }
        do {
            let buffer = try await request.body.collect(upTo: maximumBodyBytes)
            return Array(buffer.readableBytesView)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            return nil
        }
    }

    /// The unsubscribe endpoint, answered at once through `UnsubscribeHandler`.
    func answerUnsubscribe(_ request: Request) async throws -> Response {
        let correlationID = UUID().uuidString.lowercased()
        guard let body = try await body(of: request) else {
            return Response(status: .contentTooLarge)
        }
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let query: [String: String]
        if let raw = request.uri.query, !raw.isEmpty {
            guard let fields = PercentEncoding.formFields(Substring(raw)) else {
                return Self.html(OneClickUnsubscribe.badRequest("query", "not a valid query string"))
            }
            query = fields.filter { !$0.key.isEmpty }
        } else {
            query = [:]
        }
        let envelope = HTTPRequestEnvelope(
            method: request.method.rawValue, path: request.uri.path, query: query, headers: headers, body: body)
        return Self.html(await unsubscribe.respond(to: envelope, correlationID: correlationID, logger: logger))
    }

    // MARK: Answers

    static func html(_ response: UnsubscribeResponse) -> Response {
        var fields = HTTPFields()
        for (name, value) in response.headers.sorted(by: { $0.key < $1.key }) {
            if let name = HTTPField.Name(name) { fields[name] = value }
        }
        fields[.contentType] = response.contentType
        fields[.cacheControl] = "no-store"
        return Response(
            status: HTTPResponse.Status(code: response.status), headers: fields,
            body: ResponseBody(byteBuffer: ByteBuffer(string: response.html)))
    }

    static func json(status: HTTPResponse.Status, _ value: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data()
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        fields[.cacheControl] = "no-store"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
