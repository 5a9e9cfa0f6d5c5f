import Foundation

extension Guards {
    /// The verdict for a lapsed customer the selector did not select; nil when selected.
    package static func checkSelection(_ decision: WinBackDecision) -> GuardVerdict? {
        switch decision.skip {
        case nil: return nil
        case .noConsent: return GuardVerdict(.noConsent, "the customer has not subscribed to marketing email")
        case .noEmail: return noRecipient
        case .undeliverableEmail:
            return GuardVerdict(
                .noRecipient, "the customer's address cannot be written to (it needs SMTPUTF8 or is malformed)")
        case .emailedRecently:
            return GuardVerdict(.recentlyWritten, "a marketing email went to this customer within the quiet period")
        case .noPurchases: return GuardVerdict(.notLapsed, "the customer has no standing purchase")
        case let skip?: return GuardVerdict(.notLapsed, "the customer was not selected: \(skip.rawValue)")
        }
    }

    /// Whether win-back may write to a customer at all: marketing consent and an address. The
    /// selector asks this before its lifetime criteria, and the quiet period last (it reads the audit).
    package static func checkContact(_ customer: CustomerRecord) -> WinBackDecision.Skip? {
        guard customer.consent == .subscribed else { return .noConsent }
        guard let email = customer.email, !email.isEmpty else { return .noEmail }
        return checkDeliverable(email) == nil ? nil : .undeliverableEmail
    }

    /// A lapsed customer the platform does not know.
    package static func unknownCustomer(_ customerID: String) -> GuardVerdict {
        GuardVerdict(.noRecipient, "the platform has no customer \(customerID)")
    }
}
