import Foundation
import TidingsCore

/// What an invocation answers, in each envelope's terms. The mapping from outcomes to HTTP
/// statuses, batch failures, Runtime API errors and exit codes lives here and nowhere else.
package struct InvocationAnswer: Sendable {
    /// The response document (result JSON, HTTP-shaped response or batch answer); what stdin mode
    /// prints and the loop posts to `/response`.
    package var body: [UInt8]
    /// When set, the loop posts this to `/error` instead, so the invoking service retries.
    package var error: FunctionError?
    /// The exit status in stdin mode.
    package var exitStatus: ExitStatus
    /// The outcome of every delivery in the invocation, in order.
    package var reports: [OutcomeReport]

    /// Whether handling the same delivery again can help: a retryable failure or a retryable
    /// suppression (`too_soon`). Such deliveries are retried by the platform wherever it can.
    package static func wantsRetry(_ report: OutcomeReport) -> Bool {
        switch report.outcome {
        case .failed, .suppressed: return report.retryable == true
        case .sent, .queuedForReview, .heldOut, .duplicate, .rejectedInput, .unauthenticated: return false
        }
    }

    /// The HTTP status for a request's outcome: 200 handled (a failure no retry can fix included,
    /// since the sender can do nothing about it), 401 bad signature, 400 bad input, 500 retry.
    package static func httpStatus(_ report: OutcomeReport) -> Int {
        if wantsRetry(report) { return 500 }
        switch report.outcome {
        case .rejectedInput: return 400
        case .unauthenticated: return 401
        case .sent, .queuedForReview, .heldOut, .duplicate, .suppressed, .failed: return 200
        }
    }

    /// The Runtime API error for a delivery that should be retried: `Tidings.<code>`, from the
    /// report's code (the outcome when it has none), never from its reason's text.
    package static func functionError(_ report: OutcomeReport) -> FunctionError {
        let reason = report.reason ?? report.outcome.rawValue
        let code = report.code?.rawValue ?? report.outcome.rawValue
        return FunctionError(
            type: "Tidings.\(code)", message: "\(report.outcome.rawValue) (event \(report.eventID)): \(reason)")
    }

    /// The answer for an envelope's reports (one per item, in order).
    package init(shape: Envelope.Shape, items: [Envelope.Item], reports: [OutcomeReport]) {
        self.reports = reports
        switch shape {
        case .sqs:
            // Exactly the records a retry can help; the others are done (sent, suppressed, or kept
            // in the dead-letter folder). A record without a message id cannot be named, so it is
            // never retried; it was dead-lettered as bad input.
            let failures = zip(items, reports).compactMap { item, report in
                Self.wantsRetry(report) ? item.messageID : nil
            }
            body = Self.encode(BatchResponse(batchItemFailures: failures.map { .init(itemIdentifier: $0) }))
            error = nil
            exitStatus = .handled
        case .http:
            let report = reports[0]
            body = Self.encode(
                GatewayResponse(
                    statusCode: Self.httpStatus(report), headers: ["content-type": "application/json"],
                    body: String(decoding: Self.encode(report), as: UTF8.self)))
            error = nil
            exitStatus = ExitStatus(report)
        case .direct, .eventBridge, .pubSub:
            let report = reports[0]
            body = Self.encode(report)
            error = Self.wantsRetry(report) ? Self.functionError(report) : nil
            // A push subscription acknowledges any success, so a wanted retry must fail the process.
            exitStatus = shape == .pubSub && Self.wantsRetry(report) ? .retryable : ExitStatus(report)
        }
    }

    /// The unsubscribe function's answer (a page, or a feedback route's text), HTTP-shaped (the function URL / API Gateway response).
    /// Its exit status in stdin mode: 0 for a page or an unsubscription, 65 for a bad request, 77
    /// for a refused token, 75 when the list or audit could not be written.
    package init(unsubscribe response: UnsubscribeResponse) {
        var headers = response.headers
        headers["content-type"] = response.contentType
        headers["cache-control"] = "no-store"
        body = Self.encode(GatewayResponse(statusCode: response.status, headers: headers, body: response.html))
        error = nil
        reports = response.report.map { [$0] } ?? []
        switch response.status {
        case 200: exitStatus = .handled
        case 403: exitStatus = .unauthenticated
        case 500: exitStatus = .retryable
        default: exitStatus = .badInput
        }
    }

    struct BatchResponse: Encodable {
        struct Failure: Encodable { var itemIdentifier: String }
        var batchItemFailures: [Failure]
    }

    struct GatewayResponse: Encodable {
        var statusCode: Int
        var headers: [String: String]
        var body: String
    }

    static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(value)) ?? Data("{\"outcome\":\"failed\"}".utf8))
    }
}
