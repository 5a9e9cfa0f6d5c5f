import Foundation

/// The shop's platform as the pipeline sees it: customers, their orders, carts and the catalog.
/// The production implementations speak each platform's API through an `HTTPTransport`; the
/// embedded default is the same client answered from the recorded shop under Events/.
package protocol CommercePlatform: Sendable {
    /// The customer with this platform id, or nil when the platform does not know them.
    func customer(id: String) async throws -> CustomerRecord?
    /// Every order of the customer, any status, oldest first.
    func orders(customerID: String) async throws -> [OrderRecord]
    /// A cart by id, for thin webhooks that carry only the id; nil when it no longer exists.
    func cart(id: String) async throws -> (cart: Cart, customerID: String?)?
    /// An order by id, for thin order webhooks that carry only the id; nil when it does not exist.
    func order(id: String) async throws -> PlacedOrder?
    /// The catalog with co-purchase counts. Implementations load it once and keep it.
    func catalog() async throws -> Catalog
}

/// An upstream call that did not give a usable answer.
package struct PlatformError: Error, Sendable, CustomStringConvertible {
    /// Which API ("shopify", "bigcommerce").
    package var platform: String
    /// The request path, without query secrets.
    package var path: String
    /// The HTTP status, or nil when none was received.
    package var status: Int?
    /// What went wrong, for the operator.
    package var reason: String
    /// Whether trying again later can help (timeouts, 429, 5xx).
    package var isRetryable: Bool

    /// Creates an error; pass a path without credentials, as it reaches logs.
    package init(platform: String, path: String, status: Int?, reason: String, isRetryable: Bool) {
        self.platform = platform
        self.path = path
        self.status = status
        self.reason = reason
        self.isRetryable = isRetryable
    }

    /// "platform path answered STATUS: reason", for logs and the outcome's reason.
    package var description: String {
        "\(platform) \(path)\(status.map { " answered \($0)" } ?? ""): \(reason)"
    }
}
