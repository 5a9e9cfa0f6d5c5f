import Foundation

/// What `tidings shop check` reports for a Shopify shop: which of the scopes the flows need the
/// token lacks, and whether each read works, so that a wrong token shows before the first webhook.
package enum ShopifyShopCheck {
    /// One line of the report.
    package struct Line: Sendable, Hashable {
        /// What was checked ("scope read_orders", "read customers").
        package var what: String
        /// Whether it passed.
        package var passed: Bool
        /// What was found, for the operator.
        package var detail: String
    }

    /// The scopes of `ShopifySettings.requiredScopes` missing from `granted`, in that order. A
    /// `write_` scope implies its `read_` scope, as Shopify documents.
    package static func missing(granted: [String]) -> [String] {
        let have = Set(granted)
        return ShopifySettings.requiredScopes.filter { scope in
            !have.contains(scope) && !have.contains("write_" + scope.dropFirst("read_".count))
        }
    }

    /// Runs the checks against a client: the access scopes, then one read of each kind (the catalog
    /// and, when `customerID` is given, that customer and their orders). Never throws: a failure
    /// is a line that did not pass.
    package static func run(_ client: ShopifyGraphQLClient, customerID: String?) async -> [Line] {
        var lines: [Line] = []
        do {
            let granted = try await client.accessScopes()
            let missing = Set(missing(granted: granted))
            for scope in ShopifySettings.requiredScopes {
                lines.append(
                    Line(
                        what: "scope \(scope)", passed: !missing.contains(scope),
                        detail: missing.contains(scope) ? "missing: grant \(scope) to the app" : "granted"))
            }
        } catch {
            lines.append(Line(what: "access scopes", passed: false, detail: "\(error)"))
        }
        do {
            let catalog = try await client.catalog()
            lines.append(Line(what: "read products", passed: true, detail: "\(catalog.products.count) products"))
        } catch {
            lines.append(Line(what: "read products", passed: false, detail: "\(error)"))
        }
        if let customerID {
            do {
                let customer = try await client.customer(id: customerID)
                let orders = try await client.orders(customerID: customerID)
                lines.append(
                    Line(
                        what: "read customer \(customerID)", passed: customer != nil,
                        detail: customer == nil ? "no such customer" : "\(orders.count) orders"))
            } catch {
                lines.append(Line(what: "read customer \(customerID)", passed: false, detail: "\(error)"))
            }
        }
        return lines
    }
}
