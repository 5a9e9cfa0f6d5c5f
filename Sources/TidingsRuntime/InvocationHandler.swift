import Foundation
import Logging
import TidingsCore

/// One function's handling of an invocation, the same in stdin and Runtime API modes: unwrap the
/// envelope, authenticate each delivery, stop stale ones, run the pipeline, and shape the answer.
package struct InvocationHandler: Sendable {
    /// The flow's pipeline, built once at start-up (a replay sets its clock per event).
    package var pipeline: Pipeline
    let trust: WebhookTrust
    let envelopes = EnvelopeDecoder()
    /// Reads each delivery once, with the pipeline's body limit; the trust checks and the
    /// pipeline take what it read.
    let decoder: EventDecoder

    /// Wraps a pipeline; the webhook secrets come from its configuration.
    package init(pipeline: Pipeline) {
        self.pipeline = pipeline
        trust = WebhookTrust(
            secrets: pipeline.configuration.webhookSecrets, maximumBodyBytes: pipeline.configuration.maximumBodyBytes)
        decoder = EventDecoder(maximumBodyBytes: pipeline.configuration.maximumBodyBytes)
    }

    /// Handles one invocation's bytes. `deadline`, when known, bounds the model call
    /// (`DeadlineBoundModel`): with too little time left, the offline copywriter writes instead.
    package func handle(_ bytes: [UInt8], deadline: Date?, correlationID: String, logger: Logger) async
        -> InvocationAnswer
    {
        let pipeline = self.pipeline(boundTo: deadline)
        let envelope = envelopes.unwrap(bytes)
        var logger = logger
        logger[metadataKey: "envelope"] = "\(envelope.shape.rawValue)"
        var reports: [OutcomeReport] = []
        // Retries and waits inside the shared transports read the deadline from the task tree.
        await InvocationDeadline.$current.withValue(deadline) {
            for (index, item) in envelope.items.enumerated() {
                var itemLogger = logger
                if let id = item.messageID { itemLogger[metadataKey: "sqs.message_id"] = "\(id)" }
                // Each record of a batch is its own handling, with its own terminal record.
                let correlation = envelope.items.count > 1 ? "\(correlationID)#\(index)" : correlationID
                reports.append(await handle(item, pipeline: pipeline, correlationID: correlation, logger: itemLogger))
            }
        }
        return InvocationAnswer(shape: envelope.shape, items: envelope.items, reports: reports)
    }

    /// One HTTP request handed over by a front that already took it apart (OpenFaaS's classic
    /// watchdog: the body on stdin, the headers in `Http_*` variables; `tidings serve`'s webhook
    /// receiver): checked as the HTTP channel unless `channel` says the front authenticated it
    /// already (the receiver's queue, whose deliveries were checked on receipt). `deadline` bounds
    /// the model call and the claim's lease as in `handle(_:deadline:correlationID:logger:)`.
    package func handleHTTPRequest(
        body: [UInt8], headers: [String: String], channel: Channel = .http, deadline: Date? = nil,
        correlationID: String, logger: Logger
    ) async -> InvocationAnswer {
        let item = Envelope.Item(delivery: InboundDelivery(body: body, headers: headers), channel: channel)
        let pipeline = self.pipeline(boundTo: deadline)
        let report = await InvocationDeadline.$current.withValue(deadline) {
            await handle(item, pipeline: pipeline, correlationID: correlationID, logger: logger)
        }
        return InvocationAnswer(shape: .direct, items: [item], reports: [report])
    }

    /// The pipeline with its model bound to `deadline` (`DeadlineBoundModel`); as it is without one.
    func pipeline(boundTo deadline: Date?) -> Pipeline {
        var pipeline = self.pipeline
        if let deadline, pipeline.stages.model.name != OfflineCopywriter().name {
            pipeline.stages.model = DeadlineBoundModel(
                pipeline.stages.model, deadline: deadline, reserve: pipeline.configuration.modelReserve)
        }
        return pipeline
    }

    func handle(_ item: Envelope.Item, pipeline: Pipeline, correlationID: String, logger: Logger) async
        -> OutcomeReport
    {
        // The bytes are parsed once, here (or by the envelope decoder, which hands on what it
        // parsed); the signature is still checked on the exact body bytes, kept alongside.
        let delivery = decoder.read(item.delivery, parsed: item.parsed)
        // Origin first: a broken request from nobody in particular must not reach the dead-letter folder.
        if case .rejected(let code, let reason) = trust.verify(delivery, channel: item.channel) {
            logger.warning("webhook rejected", metadata: ["reason": "\(code): \(reason)"])
            return pipeline.conclude(
                item.delivery, outcome: .unauthenticated, code: .unauthenticated, reason: "\(code): \(reason)",
                facts: ["channel": .string(item.channel.rawValue)], correlationID: correlationID, logger: logger)
        }
        if let problem = item.problem {
            return pipeline.reject(item.delivery, problem, correlationID: correlationID, logger: logger)
        }
        if let stale = trust.staleness(
            delivery, now: pipeline.stages.clock.now, window: pipeline.flow.settings.window)
        {
            return pipeline.conclude(
                item.delivery, outcome: .suppressed, code: .guarded(.stale), reason: stale.reason,
                eventID: stale.eventID,
                correlationID: correlationID, logger: logger)
        }
        return await pipeline.handle(delivery, correlationID: correlationID, logger: logger)
    }
}
