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
}

extension ShopifyGraphQLClient: ConsentWriteBack {
    /// "shopify".
    package var platformName: String { "shopify" }

    /// `customerEmailMarketingConsentUpdate` with `UNSUBSCRIBED`.
    package func withdrawEmailConsent(customerID: String, at: Date) async throws -> Bool {
        try await updateEmailMarketingConsent(customerID: customerID, state: "UNSUBSCRIBED", at: at)
    }
}
