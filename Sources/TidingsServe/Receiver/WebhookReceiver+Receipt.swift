import Foundation
import HTTPTypes
import Hummingbird
import Logging
import TidingsCore
import TidingsRuntime

/// What the receiver did with one webhook request, and so what it answers.
package enum Receipt: Sendable {
    /// Written durably to the queue (202): the worker hands it to `function`'s handler.
    case queued(function: FlowKind, eventID: String, name: String)
    /// Ended on receipt with its terminal audit record (unauthenticated, rejected input, stale,
    /// duplicate): answered with the outcome's HTTP status (401, 400, 200).
    case concluded(OutcomeReport)
    /// Could not be written to the queue (503): the sender retries.
    case unavailable(reason: String)

    /// The HTTP answer: the report JSON as the function's HTTP route answers it, or an
    /// acceptance naming the event.
    var response: Response {
        switch self {
        case .queued(let function, let eventID, let name):
            return WebhookReceiver.json(
                status: .accepted,
                [
                    "outcome": "accepted", "function": .string(function.rawValue), "event_id": .string(eventID),
                    "delivery": .string(name),
                ] as JSONValue)
        case .concluded(let report):
            return WebhookReceiver.json(status: HTTPResponse.Status(code: InvocationAnswer.httpStatus(report)), report)
        case .unavailable(let reason):
            var response = WebhookReceiver.json(
                status: .serviceUnavailable,
                ["outcome": "failed", "retryable": true, "reason": .string("queue_unavailable: \(reason)")] as JSONValue
            )
            response.headers[.retryAfter] = "5"
            return response
        }
    }
}

extension WebhookReceiver {
    /// Checks one delivery on receipt and queues it, or ends it there. Every ending goes through
    /// the function's own handler (`InvocationHandler.handleHTTPRequest`), which writes the
    /// terminal audit record (and the dead-letter file for bad input) exactly as the deployed
    /// function would; this only decides, from the same checks (`WebhookTrust`, `EventDecoder`),
    /// whether the handler would stop the delivery before the pipeline's real work. The one
    /// ending it writes itself is a second delivery of an event still in the queue, which the
    /// handler cannot know about: a `duplicate` record through `Pipeline.conclude`.
    package func receive(body: [UInt8], headers: [String: String], route: ReceiverRoute, correlationID: String)
        async -> Receipt
    {
        var logger = logger
        logger[metadataKey: "correlation.id"] = "\(correlationID)"
        logger[metadataKey: "http.route"] = "\(route.path)"
        let parsed = decoder.read(InboundDelivery(body: body, headers: headers))
        let decoded = Result { () throws(InputError) in try decoder.decode(parsed) }
        let function: FlowKind
        switch route.target {
        case .flow(let flow): function = flow
        case .decoded(let fallback):
            let named = (try? decoded.get())?.flow
            function = named.flatMap { handlers[$0] == nil ? nil : $0 } ?? fallback
        }
        guard let handler = handlers[function] else {
            return .unavailable(reason: "no handler for \(function.rawValue)")
        }
        logger[metadataKey: "function"] = "\(function.rawValue)"

        // The handler would stop these before its pipeline's work: let it, now, and answer with it.
        func endNow() async -> Receipt {
            let answer = await handler.handleHTTPRequest(
                body: body, headers: headers, correlationID: correlationID, logger: logger)
            guard let report = answer.reports.first else { return .unavailable(reason: "no outcome") }
            return .concluded(report)
        }
        if case .rejected = trust.verify(parsed, channel: .http) { return await endNow() }
        guard case .success(let event) = decoded, event.flow == function else { return await endNow() }
        let pipeline = handler.pipeline
        let settings = pipeline.flow.settings
        let now = pipeline.stages.clock.now
        if trust.staleness(parsed, now: now, window: settings.window) != nil { return await endNow() }
        if await alreadyHandled(event, pipeline: pipeline, now: now, logger: logger) { return await endNow() }

        var kept = headers
        // The queue keeps no secret: the worker tells the handler the receipt authenticated it.
        kept[WebhookTrust.bigCommerceHeader] = nil
        let delivery = QueuedDelivery(
            function: function, eventID: event.id, receivedAt: Date(), correlationID: correlationID, headers: kept,
            body: body)
        do {
            switch try queue.accept(delivery) {
            case .queued:
                logger.debug("webhook queued", metadata: ["event.id": "\(event.id)"])
                return .queued(function: function, eventID: event.id, name: delivery.name)
            case .alreadyQueued(let first):
                let verdict = GuardVerdict(
                    .duplicate,
                    "event \(event.id) was already accepted: queued" + (first.map { " (correlation \($0))" } ?? ""))
                return .concluded(
                    pipeline.conclude(
                        InboundDelivery(body: body, headers: headers), outcome: .duplicate, code: .guarded(.duplicate),
                        reason: verdict.reason, eventID: event.id, correlationID: correlationID, logger: logger))
            }
        } catch {
            logger.error("webhook not accepted: the queue cannot be written", metadata: ["error": "\(error)"])
            return .unavailable(reason: error.description)
        }
    }

    /// Whether a handling already reached the event's final outcome: its claim in the state store
    /// is completed, or (events handled before the store kept claims) the audit remembers it, over
    /// the window the pipeline's duplicate guard reads. A store or audit that cannot be read says
    /// no: the delivery is queued, and the handling decides.
    func alreadyHandled(_ event: LifecycleEvent, pipeline: Pipeline, now: Date, logger: Logger) async -> Bool {
        let key = StateKey.event(flow: event.flow.rawValue, id: event.id)
        if let completed = try? await pipeline.stages.state.completedResult(key), completed != nil { return true }
        let settings = pipeline.flow.settings
        let since = now - (settings.window + settings.delay + 86_400)
        return (try? pipeline.stages.audit.hasFinalOutcome(eventID: event.id, since: since)) ?? false
    }
}
