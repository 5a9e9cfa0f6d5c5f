import TidingsCore

/// Process exit codes (sysexits.h), mapped in this one place.
public enum ExitStatus: Int32, Sendable {
    /// Handled: any outcome but rejected_input, unauthenticated and failed; also a batch whose
    /// answer (`batchItemFailures`) was written, and the Runtime API loop stopped by SIGTERM.
    case handled = 0
    /// Bad input (EX_DATAERR): the event is in the dead-letter folder.
    case badInput = 65
    /// The Runtime API answered 500 or the connection to it was lost (EX_UNAVAILABLE).
    case runtimeAPIUnavailable = 69
    /// Failed, nothing a retry can fix (EX_SOFTWARE).
    case failed = 70
    /// Failed, a retry can help (EX_TEMPFAIL).
    case retryable = 75
    /// A webhook without a valid signature where a secret is configured (EX_NOPERM).
    case unauthenticated = 77
    /// Bad configuration (EX_CONFIG): the message names the key.
    case badConfiguration = 78

    /// The exit status for an outcome.
    package init(_ report: OutcomeReport) {
        switch report.outcome {
        case .sent, .queuedForReview, .heldOut, .suppressed, .duplicate: self = .handled
        case .rejectedInput: self = .badInput
        case .unauthenticated: self = .unauthenticated
        case .failed: self = report.retryable == true ? .retryable : .failed
        }
    }
}
