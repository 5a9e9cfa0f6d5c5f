import Foundation

/// Tells the commerce platform that a customer withdrew email marketing consent (an unsubscribe),
/// so the shop's own records and other tools stop mailing them too. Optional: the suppression list
/// is what Tidings itself obeys; this only keeps the platform in step.
package protocol ConsentWriteBack: Sendable {
    /// The platform's name in audit facts ("shopify").
    var platformName: String { get }
    /// Marks the customer unsubscribed from email marketing as of `at`. Returns false when the
    /// platform does not know the customer; throws `PlatformError` when the platform fails.
    func withdrawEmailConsent(customerID: String, at: Date) async throws -> Bool
    /// Marks the customer with the email address unsubscribed as of `at` (a complaint names an
    /// address, not a customer). Returns false when no customer has the address; throws
    /// `PlatformError` when the platform fails.
    func withdrawEmailConsent(email: String, at: Date) async throws -> Bool
}

extension ShopifyGraphQLClient: ConsentWriteBack {
    /// "shopify".
    package var platformName: String { "shopify" }

    /// `customerEmailMarketingConsentUpdate` with `UNSUBSCRIBED`.
    package func withdrawEmailConsent(customerID: String, at: Date) async throws -> Bool {
        try await updateEmailMarketingConsent(customerID: customerID, state: "UNSUBSCRIBED", at: at)
    }

    /// `customerByIdentifier` by email address, then `customerEmailMarketingConsentUpdate` with
    /// `UNSUBSCRIBED`; the address is sent only as the query's variable, never logged.
    package func withdrawEmailConsent(email: String, at: Date) async throws -> Bool {
        guard let id = try await customerID(email: email) else { return false }
        return try await withdrawEmailConsent(customerID: id, at: at)
    }
}
