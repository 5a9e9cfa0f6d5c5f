import Foundation
import Testing

@testable import TidingsCore
@testable import TidingsRuntime

/// Codes, not prose, cross boundaries (STYLE rule 16): the runtime's error type comes from the
/// report's code, and the result JSON keeps its bytes.
@Suite("Outcome codes")
struct OutcomeCodeTests {
    @Test("Every failure's reason opens with its code, and its report carries the code")
    func failureReasonsOpenWithTheirCode() {
        for code in FailureCode.allCases {
            let failure = Failure(code, "detail: with a colon", retryable: true)
            #expect(failure.reason == "\(code.rawValue): detail: with a colon")
            let report = failure.report(function: "cartAbandoned", eventID: "e1")
            #expect(report.code == .failure(code))
            #expect(report.code?.rawValue == code.rawValue)
        }
        #expect(Failure(.draftRejected, retryable: false).reason == "draft_rejected")
    }

    @Test("The Runtime API error type is the report's code, whatever its reason says")
    func errorTypeComesFromTheCode() {
        // A win-back scan's reason is its summary, with no code in front: the old split at ':'
        // made "Tidings.scanned 40, selected 2, failed 2; skipped …" of it.
        let scan = OutcomeReport(
            function: "winBack", eventID: "scan-1", outcome: .failed,
            reason: "scanned 40, selected 2, failed 2; skipped recent 38", code: .failure(.scanFailed), retryable: true)
        #expect(InvocationAnswer.functionError(scan).type == "Tidings.scan_failed")
        // The code decides even when the reason's first word says something else.
        let misleading = OutcomeReport(
            function: "cartAbandoned", eventID: "e1", outcome: .suppressed, reason: "stale: …",
            code: .guarded(.tooSoon), retryable: true)
        #expect(InvocationAnswer.functionError(misleading).type == "Tidings.too_soon")
        #expect(InvocationAnswer.functionError(misleading).message == "suppressed (event e1): stale: …")
        // Without a code, the outcome names the error.
        let bare = OutcomeReport(function: "cartAbandoned", eventID: "e1", outcome: .failed, retryable: true)
        #expect(InvocationAnswer.functionError(bare).type == "Tidings.failed")
    }

    @Test("The code is not part of the result JSON")
    func resultJSONIsUnchanged() {
        let withCode = OutcomeReport(
            function: "cartAbandoned", eventID: "e1", outcome: .failed, reason: "delivery_failed: 503",
            code: .failure(.deliveryFailed), retryable: true)
        var withoutCode = withCode
        withoutCode.code = nil
        let bytes = InvocationAnswer.encode(withCode)
        #expect(bytes == InvocationAnswer.encode(withoutCode))
        #expect(
            String(decoding: bytes, as: UTF8.self)
                == #"{"event_id":"e1","function":"cartAbandoned","outcome":"failed","reason":"delivery_failed: 503","retryable":true}"#
        )
    }

    @Test("Each kind of code spells the prefix its reasons are written with")
    func rawValues() {
        #expect(OutcomeCode.guarded(.noConsent).rawValue == "no_consent")
        #expect(OutcomeCode.input(.malformedJSON).rawValue == "malformed_json")
        #expect(OutcomeCode.failure(.auditUnavailable).rawValue == "audit_unavailable")
        #expect(
            GuardVerdict(.tooSoon, "later", retryable: true).reason.hasPrefix(
                OutcomeCode.guarded(.tooSoon).rawValue + ":"))
        let input = InputError(.malformedJSON, path: "$", reason: "not JSON")
        #expect(input.description.hasPrefix(OutcomeCode.input(input.code).rawValue))
    }
}
