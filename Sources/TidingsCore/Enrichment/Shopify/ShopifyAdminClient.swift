import Foundation

/// `CommercePlatform` over the Shopify REST Admin API, version 2026-07.
///
/// Requests: `GET https://{shop}.myshopify.com/admin/api/2026-07/...` with
/// `X-Shopify-Access-Token` and `Accept: application/json`. Lists follow the `Link` header's
/// `rel="next"` page. The catalog (products plus co-purchases over all orders) is loaded once per
/// client value and its copies; customers and orders are fetched per call.
package struct ShopifyAdminClient: CommercePlatform {
    /// The REST Admin API version in every path.
    package static let apiVersion = "2026-07"

    /// `https://{shop}.myshopify.com/admin/api/2026-07`.
    package let baseURL: String
    /// The storefront that product links point to, without a trailing slash.
    package let storefrontURL: String
    /// The shop's currency, for product prices (orders carry their own).
    package let currency: String
    /// Where the co-purchase half of `catalog()` comes from.
    package let coPurchases: CoPurchaseSource
    let api: PlatformAPI
    private let catalogCache = CatalogCache()

    /// A client for `shop` ("northwind-outfitters" or "northwind-outfitters.myshopify.com").
    /// `accessToken` is sent only in the `X-Shopify-Access-Token` header.
    package init(
        shop: String, accessToken: String, storefrontURL: String, currency: String = "USD",
        coPurchases: CoPurchaseSource = .orderScan, transport: any HTTPTransport
    ) {
        self.coPurchases = coPurchases
        let host = shop.contains(".") ? shop : shop + ".myshopify.com"
        self.baseURL = "https://\(host)/admin/api/\(ShopifyAdminClient.apiVersion)"
        self.storefrontURL = storefrontURL.hasSuffix("/") ? String(storefrontURL.dropLast()) : storefrontURL
        self.currency = currency
        self.api = PlatformAPI(
            platform: "shopify",
            headers: ["X-Shopify-Access-Token": accessToken, "Accept": "application/json"],
            transport: transport)
    }

    /// The customer from `/customers/{id}.json`; nil on 404. Throws `PlatformError` when the API fails.
    package func customer(id: String) async throws -> CustomerRecord? {
        let url = "\(baseURL)/customers/\(PlatformAPI.pathSegment(id)).json"
        guard let (envelope, _) = try await api.getDecoded(ShopifyWire.CustomerEnvelope.self, url) else {
            return nil
        }
        return envelope.customer.record()
    }

    /// Every order of the customer, any status, oldest first; empty for an unknown customer.
    package func orders(customerID: String) async throws -> [OrderRecord] {
        let url =
            "\(baseURL)/customers/\(PlatformAPI.pathSegment(customerID))/orders.json?status=any&limit=250"
        let orders = try await allPages(from: url).map { $0.record() }
        return orders.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    /// Always nil: Shopify's checkout webhooks carry the whole cart, so there is nothing to look up.
    package func cart(id: String) async throws -> (cart: Cart, customerID: String?)? {
        nil
    }

    /// The order from `/orders/{id}.json`, decoded like an order webhook's body (the same resource);
    /// nil on 404. Throws `PlatformError` when the API fails or the order does not decode.
    package func order(id: String) async throws -> PlacedOrder? {
        let url = "\(baseURL)/orders/\(PlatformAPI.pathSegment(id)).json"
        guard let response = try await api.get(url), !response.body.isEmpty else { return nil }
        do {
            let document = try JSONParser.parse(response.body)
            return try ShopifyOrderDecoder.decodeOrder(try JSONObjectReader(document, path: "$").object("order"))
        } catch {
            throw PlatformError(
                platform: "shopify", path: PlatformAPI.pathAndQuery(of: url), status: nil, reason: "\(error)",
                isRetryable: false)
        }
    }

    /// The catalog from `/products.json`, loaded on first use and then kept. Throws `PlatformError`.
    package func catalog() async throws -> Catalog {
        try await catalogCache.value { [self] in try await loadCatalog() }
    }

    private func loadCatalog() async throws -> Catalog {
        var products: [String: Product] = [:]
        var url: String? = "\(baseURL)/products.json?limit=250"
        while let next = url {
            guard let (page, response) = try await api.getDecoded(ShopifyWire.ProductsPage.self, next) else {
                break
            }
            for (index, wire) in page.products.enumerated() {
                guard let first = wire.variants.first else {
                    throw PlatformError(
                        platform: "shopify", path: PlatformAPI.pathAndQuery(of: next), status: nil,
                        reason: "`products[\(index)].variants` is empty", isRetryable: false)
                }
                products[wire.id.value] = Product(
                    id: wire.id.value, title: wire.title, category: wire.productType ?? "",
                    price: Money(first.price.value, currency),
                    inventory: wire.variants.reduce(0) { $0 + ($1.inventoryQuantity ?? 0) },
                    url: storefrontURL + "/products/" + wire.handle, isActive: wire.status == "active")
            }
            url = PlatformAPI.nextLink(in: response.headers["link"])
        }
        switch coPurchases {
        case .stored(let path):
            return Catalog(products: products, coPurchases: try CoPurchaseIndex(contentsOf: path))
        case .orderScan:
            let orders = try await allPages(from: "\(baseURL)/orders.json?status=any&limit=250")
            return Catalog(products: products, coPurchases: CoPurchaseIndex(orders: orders.map { $0.record() }))
        case .absent:
            return Catalog(products: products, coPurchases: CoPurchaseIndex())
        }
    }

    private func allPages(from first: String) async throws -> [ShopifyWire.Order] {
        var orders: [ShopifyWire.Order] = []
        var url: String? = first
        while let next = url {
            guard let (page, response) = try await api.getDecoded(ShopifyWire.OrdersPage.self, next) else {
                break
            }
            orders += page.orders
            url = PlatformAPI.nextLink(in: response.headers["link"])
        }
        return orders
    }
}
