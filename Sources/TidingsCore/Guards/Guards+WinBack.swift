import Foundation

extension Guards {
    /// The verdict for a lapsed customer the selector did not select; nil when selected.
    public static func checkSelection(_ decision: WinBackDecision) -> GuardVerdict? {
        switch decision.skip {
        case nil: return nil
        case .noConsent: return GuardVerdict(.noConsent, "the customer has not subscribed to marketing email")
        case .noEmail: return GuardVerdict(.noRecipient, "the platform has no email address for this customer")
        case .emailedRecently:
            return GuardVerdict(.recentlyWritten, "a marketing email went to this customer within the quiet period")
        case .noPurchases: return GuardVerdict(.notLapsed, "the customer has no standing purchase")
        case let skip?: return GuardVerdict(.notLapsed, "the customer was not selected: \(skip.rawValue)")
        }
    }

    /// A lapsed customer the platform does not know.
    public static func checkLapsedCustomer(_ record: CustomerRecord?, customerID: String) -> GuardVerdict? {
        record == nil ? GuardVerdict(.noRecipient, "the platform has no customer \(customerID)") : nil
    }
}
