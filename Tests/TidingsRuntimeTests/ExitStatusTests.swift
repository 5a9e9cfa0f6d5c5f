import Testing
import TidingsCore

@testable import TidingsRuntime

@Suite("Exit status")
struct ExitStatusTests {
    @Test(
        "Each outcome maps to its sysexits code",
        arguments: [
            (Outcome.sent, nil, Int32(0)), (.queuedForReview, nil, 0), (.suppressed, true, 0), (.duplicate, nil, 0),
            (.rejectedInput, nil, 65), (.failed, true, 75), (.failed, false, 70), (.unauthenticated, nil, 77),
        ] as [(Outcome, Bool?, Int32)])
    func mapping(outcome: Outcome, retryable: Bool?, code: Int32) {
        let report = OutcomeReport(function: "cartAbandoned", eventID: "e", outcome: outcome, retryable: retryable)
        #expect(ExitStatus(report).rawValue == code)
    }
}
