import TidingsCore

/// Process exit codes in stdin mode (sysexits.h), mapped in this one place.
public enum ExitStatus: Int32, Sendable {
    /// Handled: any outcome but rejected_input and failed.
    case handled = 0
    /// Bad input (EX_DATAERR): the event is in the dead-letter folder.
    case badInput = 65
    /// Failed, nothing a retry can fix (EX_SOFTWARE).
    case failed = 70
    /// Failed, a retry can help (EX_TEMPFAIL).
    case retryable = 75
    /// Bad configuration (EX_CONFIG): the message names the key.
    case badConfiguration = 78

    /// The exit status for an outcome.
    public init(_ report: OutcomeReport) {
        switch report.outcome {
        case .sent, .queuedForReview, .suppressed, .duplicate: self = .handled
        case .rejectedInput: self = .badInput
        case .failed: self = report.retryable == true ? .retryable : .failed
        }
    }
}
