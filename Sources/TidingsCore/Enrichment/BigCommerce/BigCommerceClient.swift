import Foundation

/// `CommercePlatform` over the BigCommerce REST APIs of one store:
/// `https://api.bigcommerce.com/stores/{store_hash}/...` with `X-Auth-Token`.
///
/// Customers and carts come from V3, orders from V2 (`/v2/orders?customer_id=` plus
/// `/v2/orders/{id}/products` for the lines), the catalog from V3 `catalog/products?include=variants`
/// and `catalog/trees/categories`, with co-purchases over all V2 orders. The catalog is loaded
/// once per client value and its copies; the rest per call. Every listing stops after `maxPages`
/// pages with a final `PlatformError`, so a listing that never ends cannot hold an invocation.
/// Over the network the transport is `BigCommerceRateLimiter` inside `RetryingTransport`.
package struct BigCommerceClient: CommercePlatform {
    /// Page size for list requests; the APIs' maximum.
    static let pageSize = 250
    /// Order-product requests in flight at once while the catalog loads.
    static let concurrentRequests = 8
    /// Units reported for a product whose inventory is not tracked (it never runs out).
    package static let untrackedInventory = 1_000_000

    /// The most pages any one listing is read to (default 10,000: 2.5 million records at 250 a page).
    package var maxPages = 10_000
    /// Customers per page of the win-back scan's cursor listing (default and maximum 250).
    package var scanPageSize = BigCommerceClient.pageSize
    /// `https://api.bigcommerce.com/stores/{store_hash}` (or the `apiBaseURL` given).
    package let baseURL: String
    /// The storefront that product paths are resolved against, without a trailing slash.
    package let storefrontURL: String
    /// The store's default currency, for catalog prices (orders and carts carry their own).
    package let currency: String
    /// Where the co-purchase half of `catalog()` comes from.
    package let coPurchases: CoPurchaseSource
    let api: PlatformAPI
    private let catalogCache = CatalogCache()

    /// A client for the store `storeHash`; `accessToken` is sent only in the `X-Auth-Token` header.
    /// `apiBaseURL` replaces `https://api.bigcommerce.com` (a loopback fake), without a trailing slash.
    package init(
        storeHash: String, accessToken: String, storefrontURL: String, currency: String = "USD",
        coPurchases: CoPurchaseSource = .orderScan, apiBaseURL: String = "https://api.bigcommerce.com",
        transport: any HTTPTransport
    ) {
        self.coPurchases = coPurchases
        self.baseURL = "\(apiBaseURL)/stores/\(PlatformAPI.pathSegment(storeHash))"
        self.storefrontURL = storefrontURL.hasSuffix("/") ? String(storefrontURL.dropLast()) : storefrontURL
        self.currency = currency
        self.api = PlatformAPI(
            platform: "bigcommerce",
            headers: ["X-Auth-Token": accessToken, "Accept": "application/json"],
            transport: transport)
    }

    /// The customer from `/v3/customers?id:in=`; nil when none matches. Throws `PlatformError` when the API fails.
    package func customer(id: String) async throws -> CustomerRecord? {
        let url = "\(baseURL)/v3/customers?id:in=\(PlatformAPI.pathSegment(id))"
        let list = try await api.getDecoded(BigCommerceWire.List<BigCommerceWire.Customer>.self, url)
        return list?.0.data.first?.record()
    }

    /// Every order of the customer, any status, oldest first; empty when there are none (204).
    package func orders(customerID: String) async throws -> [OrderRecord] {
        let headers = try await orderPages(
            "\(baseURL)/v2/orders?customer_id=\(PlatformAPI.pathSegment(customerID))")
        var orders: [OrderRecord] = []
        for order in headers {
            orders.append(order.record(products: try await products(ofOrder: order.id.value)))
        }
        return orders.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    /// The cart with its line items' options (sizes), or nil when it no longer exists.
    package func cart(id: String) async throws -> (cart: Cart, customerID: String?)? {
        let url =
            "\(baseURL)/v3/carts/\(PlatformAPI.pathSegment(id))?include=line_items.physical_items.options"
        return try await api.getDecoded(BigCommerceWire.Single<BigCommerceWire.Cart>.self, url)?.0.data
            .record()
    }

    /// The order from V2 `/v2/orders/{id}` with its `/products`; nil on 404 (or the 204 of an empty
    /// answer). Incomplete orders (status 0) come back with `isComplete` false.
    package func order(id: String) async throws -> PlacedOrder? {
        let url = "\(baseURL)/v2/orders/\(PlatformAPI.pathSegment(id))"
        guard let (order, _) = try await api.getDecoded(BigCommerceWire.Order.self, url) else { return nil }
        return order.placedOrder(products: try await products(ofOrder: order.id.value))
    }

    /// The catalog with category names and co-purchases, loaded on first use and then kept. Throws `PlatformError`.
    package func catalog() async throws -> Catalog {
        try await catalogCache.value { [self] in try await loadCatalog() }
    }

    private func loadCatalog() async throws -> Catalog {
        var categoryNames: [Int: String] = [:]
        for category in try await v3Pages(
            BigCommerceWire.Category.self, "\(baseURL)/v3/catalog/trees/categories")
        {
            categoryNames[category.categoryID] = category.name
        }
        var catalogProducts: [String: Product] = [:]
        for wire in try await v3Pages(
            BigCommerceWire.Product.self, "\(baseURL)/v3/catalog/products?include=variants")
        {
            let path = wire.customURL?.url ?? "/"
            catalogProducts[wire.id.value] = Product(
                id: wire.id.value, title: wire.name,
                category: wire.categories.lazy.compactMap { categoryNames[$0] }.first ?? "",
                price: Money(wire.price, currency), inventory: inventory(of: wire),
                url: storefrontURL + (path.hasPrefix("/") ? path : "/" + path), isActive: wire.isVisible)
        }
        switch coPurchases {
        case .stored(let path):
            return Catalog(products: catalogProducts, coPurchases: try CoPurchaseIndex(contentsOf: path))
        case .absent:
            return Catalog(products: catalogProducts, coPurchases: CoPurchaseIndex())
        case .orderScan:
            break
        }
        let orders = try await orderPages("\(baseURL)/v2/orders?sort=id:asc")
        let records = try await withThrowingTaskGroup(of: OrderRecord.self) { group in
            var records: [OrderRecord] = []
            var pending = orders[...]
            func startNext() {
                guard let order = pending.popFirst() else { return }
                group.addTask { order.record(products: try await self.products(ofOrder: order.id.value)) }
            }
            for _ in 0..<BigCommerceClient.concurrentRequests { startNext() }
            while let record = try await group.next() {
                records.append(record)
                startNext()
            }
            return records
        }
        return Catalog(products: catalogProducts, coPurchases: CoPurchaseIndex(orders: records))
    }

    private func inventory(of product: BigCommerceWire.Product) -> Int {
        switch product.inventoryTracking {
        case "none": return BigCommerceClient.untrackedInventory
        case "variant": return (product.variants ?? []).reduce(0) { $0 + $1.inventoryLevel }
        default: return product.inventoryLevel
        }
    }

    func products(ofOrder id: String) async throws -> [BigCommerceWire.OrderProduct] {
        let url = "\(baseURL)/v2/orders/\(PlatformAPI.pathSegment(id))/products"
        return try await api.getDecoded([BigCommerceWire.OrderProduct].self, url)?.0 ?? []
    }

    /// V2 orders page by `page` until a short page or a 204; at most `maxPages` pages.
    func orderPages(_ first: String) async throws -> [BigCommerceWire.Order] {
        var orders: [BigCommerceWire.Order] = []
        var page = 1
        while true {
            let url = first + "&limit=\(BigCommerceClient.pageSize)" + (page > 1 ? "&page=\(page)" : "")
            guard let (batch, _) = try await api.getDecoded([BigCommerceWire.Order].self, url) else { break }
            orders += batch
            if batch.count < BigCommerceClient.pageSize { break }
            page += 1
            try checkPageBound(page, url)
        }
        return orders
    }

    /// Throws a final `PlatformError` once `page` passes `maxPages`: a listing that pages for ever
    /// (a server bug, a cursor that never ends) is an error, not a hang.
    func checkPageBound(_ page: Int, _ url: String) throws {
        guard page > maxPages else { return }
        throw PlatformError(
            platform: "bigcommerce", path: PlatformAPI.pathAndQuery(of: url), status: nil,
            reason: "the listing did not end after \(maxPages) pages", isRetryable: false)
    }

    /// V3 lists page by `meta.pagination` until the last page.
    private func v3Pages<Element: Decodable & Sendable>(_ type: Element.Type, _ first: String) async throws
        -> [Element]
    {
        var elements: [Element] = []
        var page = 1
        let separator = first.contains("?") ? "&" : "?"
        while true {
            let url =
                first + separator + "limit=\(BigCommerceClient.pageSize)" + (page > 1 ? "&page=\(page)" : "")
            guard let (list, _) = try await api.getDecoded(BigCommerceWire.List<Element>.self, url) else {
                break
            }
            elements += list.data
            guard let pagination = list.meta?.pagination, pagination.currentPage < pagination.totalPages,
                !list.data.isEmpty
            else {
                break
            }
            page += 1
            try checkPageBound(page, url)
        }
        return elements
    }
}
