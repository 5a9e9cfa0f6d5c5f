import Foundation

/// What `tidings shop check` found for one thing Tidings reads from a shop.
package struct ShopAccessCheck: Sendable, Hashable {
    /// What it is, for people ("customers", "orders", "products and inventory", "carts").
    package var resource: String
    /// The platform's name of the access scope that grants reading it (`store_v2_orders_read_only`).
    package var scope: String
    /// The request that was tried, path and query only.
    package var path: String
    /// The verdict.
    package var status: Status

    /// A verdict.
    package enum Status: Sendable, Hashable {
        /// The shop answered: the token may read it.
        case readable
        /// 403: the token lacks the scope.
        case missingScope
        /// 401: the shop refused the token itself.
        case tokenRefused
        /// Anything else (a 5xx, no answer): nothing is known about the scope.
        case unknown(String)
    }

    /// Creates a result.
    package init(resource: String, scope: String, path: String, status: Status) {
        self.resource = resource
        self.scope = scope
        self.path = path
        self.status = status
    }
}

extension BigCommerceClient {
    /// The OAuth scopes Tidings needs, read-only, with the request that proves each (the
    /// X-Auth-Token tables of ../shared/specs/bigcommerce; products from BigCommerce's API-accounts guide).
    package var accessProbes: [(resource: String, scope: String, url: String)] {
        [
            ("customers", "store_v2_customers_read_only", "\(baseURL)/v3/customers?limit=1"),
            ("orders", "store_v2_orders_read_only", "\(baseURL)/v2/orders?limit=1"),
            ("products and inventory", "store_v2_products_read_only", "\(baseURL)/v3/catalog/products?limit=1"),
            // Carts have no listing: an unknown cart id answers 404 with the scope and 403 without it.
            ("carts", "store_cart_read_only", "\(baseURL)/v3/carts/00000000-0000-4000-8000-000000000000"),
        ]
    }

    /// Tries one request per scope and says what the token can read. Never throws: a failure is a
    /// verdict. 2xx, 204 and 404 mean readable (a 404 is the unknown cart), 403 a missing scope,
    /// 401 a refused token.
    package func checkAccess() async -> [ShopAccessCheck] {
        var checks: [ShopAccessCheck] = []
        for probe in accessProbes {
            let path = PlatformAPI.pathAndQuery(of: probe.url)
            let status: ShopAccessCheck.Status
            do {
                _ = try await api.get(probe.url)
                status = .readable
            } catch let error as PlatformError {
                switch error.status {
                case 403?: status = .missingScope
                case 401?: status = .tokenRefused
                default: status = .unknown(error.description)
                }
            } catch {
                status = .unknown("\(error)")
            }
            checks.append(ShopAccessCheck(resource: probe.resource, scope: probe.scope, path: path, status: status))
        }
        return checks
    }
}
