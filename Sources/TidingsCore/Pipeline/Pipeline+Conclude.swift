import Foundation
import Logging

extension Pipeline {
    /// Ends a delivery that the invocation layer stopped before the pipeline proper (a webhook
    /// that failed authentication, a stale delivery): writes its one terminal audit record and
    /// returns the report. Nothing else is done with the delivery.
    /// `eventID` defaults to a hash of the body, since a rejected delivery's own claims are not trusted.
    /// `code` is what a caller decides by; `reason` the same in words.
    package func conclude(
        _ delivery: InboundDelivery, outcome: Outcome, code: OutcomeCode, reason: String, retryable: Bool? = nil,
        eventID: String? = nil,
        facts: [String: JSONValue] = [:], correlationID: String, logger: Logger
    ) -> OutcomeReport {
        let run = Run(
            pipeline: self, eventID: eventID ?? EventDecoder.fallbackEventID(for: delivery.body),
            correlationID: correlationID, now: stages.clock.now, logger: logger)
        return run.finish(run.report(outcome, reason: reason, code: code, retryable: retryable), facts: facts)
    }

    /// Rejects a delivery whose envelope could not be understood (an SQS record without a body, a
    /// base64 body that is not base64): the bytes go to the dead-letter folder and the outcome is
    /// `rejected_input`, exactly as for a payload the decoder refuses.
    package func reject(_ delivery: InboundDelivery, _ error: InputError, correlationID: String, logger: Logger)
        -> OutcomeReport
    {
        let run = Run(
            pipeline: self, eventID: EventDecoder.fallbackEventID(for: delivery.body), correlationID: correlationID,
            now: stages.clock.now, logger: logger)
        do {
            return try run.rejectInput(delivery, error)
        } catch {
            return run.fail(error)
        }
    }
}
