import Foundation

/// `CommercePlatform` over the Shopify Admin GraphQL API (docs/decisions/shopify-graphql.md).
///
/// One endpoint, `POST {base}/admin/api/{version}/graphql.json` with `X-Shopify-Access-Token`;
/// the documents are `ShopifyGraphQL`'s. Records are mapped into the same model types the REST
/// client produces (ids as the legacy numeric ids webhooks carry, money in the shop's currency), so
/// the pipeline does not know which API answered. Connections are read page by page with
/// `pageInfo.endCursor`, at most `maxPages` pages, so a cursor that never ends fails instead of
/// looping. Queries wait for Shopify's cost bucket (`ShopifyCostThrottle`) and retry a `THROTTLED`
/// answer (HTTP 200) after the time the bucket needs, never past the invocation's deadline.
package struct ShopifyGraphQLClient: CommercePlatform {
    /// The newest Admin API version whose schema is in the specs (and the tests' fixture).
    package static let defaultAPIVersion = "2026-04"
    /// Seconds a query needs at least: a wait that would leave less before the deadline is not taken.
    package static let minimumQueryTime: TimeInterval = 1

    /// `{base}/admin/api/{version}/graphql.json`.
    package let endpoint: String
    /// The storefront that product links point to, without a trailing slash.
    package let storefrontURL: String
    /// The shop's currency, for product prices (variant prices carry none; orders carry their own).
    package let currency: String
    /// Where the co-purchase half of `catalog()` comes from; nil means an empty index (a live shop
    /// before `tidings shop index` has written one: recommendations then use categories alone).
    package let coPurchases: CoPurchaseSource?
    /// Most pages read of one connection (default 200): a cursor that pages past it is an error.
    package let maxPages: Int
    /// Most `THROTTLED` answers retried for one query (default 8).
    package let maxThrottleRetries: Int
    /// The cost bucket; copies of a client share it.
    package let throttle: ShopifyCostThrottle
    let api: PlatformAPI
    let clock: any TimeSource
    let sleep: @Sendable (TimeInterval) async throws -> Void
    private let catalogCache = CatalogCache()

    /// A client for the shop at `baseURL` (`https://{shop}.myshopify.com`, or a loopback fake).
    /// `accessToken` is sent only in the `X-Shopify-Access-Token` header. `clock` and `sleep`
    /// are injected for tests of the throttling.
    package init(
        baseURL: String, apiVersion: String = ShopifyGraphQLClient.defaultAPIVersion, accessToken: Secret,
        storefrontURL: String, currency: String = "USD", coPurchases: CoPurchaseSource? = .orderScan,
        maxPages: Int = 200,
        maxThrottleRetries: Int = 8, transport: any HTTPTransport,
        throttle: ShopifyCostThrottle = ShopifyCostThrottle(),
        clock: any TimeSource = SystemClock(),
        sleep: @escaping @Sendable (TimeInterval) async throws -> Void = { seconds in
            try await Task.sleep(nanoseconds: UInt64(max(0, seconds) * 1e9))
        }
    ) {
        let base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.endpoint = "\(base)/admin/api/\(apiVersion)/graphql.json"
        self.storefrontURL = storefrontURL.hasSuffix("/") ? String(storefrontURL.dropLast()) : storefrontURL
        self.currency = currency
        self.coPurchases = coPurchases
        self.maxPages = max(1, maxPages)
        self.maxThrottleRetries = max(0, maxThrottleRetries)
        self.throttle = throttle
        self.clock = clock
        self.sleep = sleep
        self.api = PlatformAPI(
            platform: "shopify",
            headers: [
                "X-Shopify-Access-Token": String(decoding: accessToken.bytes, as: UTF8.self),
                "Accept": "application/json",
            ],
            transport: transport)
    }

    /// The customer, or nil when Shopify has none with the id (deleted between the webhook and
    /// the lookup, or never there). Throws `PlatformError`.
    package func customer(id: String) async throws -> CustomerRecord? {
        let root = try await execute(
            ShopifyGraphQL.customer, ["id": .string(ShopifyGraphQL.gid("Customer", id))],
            as: ShopifyGraphQLWire.CustomerRoot.self)
        return root.customer?.record()
    }

    /// Every order of the customer, any status, oldest first; empty for an unknown customer.
    package func orders(customerID: String) async throws -> [OrderRecord] {
        var orders: [OrderRecord] = []
        try await forEachPage(
            ShopifyGraphQL.customerOrders,
            ["id": .string(ShopifyGraphQL.gid("Customer", customerID)), "first": .int(ShopifyGraphQL.ordersPageSize)],
            as: ShopifyGraphQLWire.CustomerOrdersRoot.self, connection: { $0.customer?.orders }
        ) { page in
            orders += page.map { $0.record() }
        }
        return orders.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    /// Always nil: Shopify's checkout webhooks carry the whole cart, so there is nothing to look up.
    package func cart(id: String) async throws -> (cart: Cart, customerID: String?)? {
        nil
    }

    /// The order by id, for thin order webhooks; nil when Shopify has none. Throws `PlatformError`.
    package func order(id: String) async throws -> PlacedOrder? {
        let root = try await execute(
            ShopifyGraphQL.order, ["id": .string(ShopifyGraphQL.gid("Order", id))],
            as: ShopifyGraphQLWire.OrderRoot.self)
        return root.order?.placedOrder()
    }

    /// The catalog, loaded on first use and then kept. Throws `PlatformError`.
    package func catalog() async throws -> Catalog {
        try await catalogCache.value { [self] in try await loadCatalog() }
    }

    /// The handles of the access scopes the token was granted (`currentAppInstallation`).
    package func accessScopes() async throws -> [String] {
        let root = try await execute(ShopifyGraphQL.accessScopes, [:], as: ShopifyGraphQLWire.AccessScopesRoot.self)
        return root.currentAppInstallation.accessScopes.map(\.handle)
    }

    /// The legacy id of the customer whose email address is `email` (`customerByIdentifier`), nil
    /// when Shopify has none. Throws `PlatformError`.
    package func customerID(email: String) async throws -> String? {
        let root = try await execute(
            ShopifyGraphQL.customerByEmail, ["email": .string(email)], as: ShopifyGraphQLWire.CustomerByEmailRoot.self)
        return root.customerByIdentifier.map { ShopifyGraphQL.legacyID($0.id) }
    }

    /// Sets the customer's email marketing state (`UNSUBSCRIBED` after an unsubscribe or a
    /// complaint) with `customerEmailMarketingConsentUpdate`, dated `at`. Returns false when
    /// Shopify has no such customer; throws `PlatformError` for user errors and failures.
    package func updateEmailMarketingConsent(customerID: String, state: String, at: Date) async throws -> Bool {
        let input: JSONValue = .object([
            "customerId": .string(ShopifyGraphQL.gid("Customer", customerID)),
            "emailMarketingConsent": .object([
                "marketingState": .string(state), "marketingOptInLevel": .string("SINGLE_OPT_IN"),
                "consentUpdatedAt": .string(Timestamp.format(at, milliseconds: false)),
            ]),
        ])
        let root = try await execute(
            ShopifyGraphQL.consentUpdate, ["input": input], as: ShopifyGraphQLWire.ConsentUpdateRoot.self)
        guard let payload = root.customerEmailMarketingConsentUpdate else { return false }
        if let first = payload.userErrors.first {
            if payload.customer == nil, first.message.lowercased().contains("not found") { return false }
            throw error(
                "customerEmailMarketingConsentUpdate refused: \(first.message) (\((first.field ?? []).joined(separator: ".")))",
                retryable: false)
        }
        return payload.customer != nil
    }

    private func loadCatalog() async throws -> Catalog {
        var products: [String: Product] = [:]
        try await forEachPage(
            ShopifyGraphQL.products, ["first": .int(ShopifyGraphQL.productsPageSize)],
            as: ShopifyGraphQLWire.ProductsRoot.self, connection: { $0.products }
        ) { page in
            for wire in page {
                guard let first = wire.variants.nodes.first else {
                    throw error("product \(wire.id) has no variants", retryable: false)
                }
                let id = ShopifyGraphQL.legacyID(wire.id)
                products[id] = Product(
                    id: id, title: wire.title, category: wire.productType ?? "",
                    price: Money(first.price.value, currency),
                    inventory: wire.variants.nodes.reduce(0) { $0 + ($1.inventoryQuantity ?? 0) },
                    url: storefrontURL + "/products/" + wire.handle, isActive: wire.status == "ACTIVE")
            }
        }
        switch coPurchases {
        case nil, .absent:
            return Catalog(products: products, coPurchases: CoPurchaseIndex())
        case .stored(let path):
            return Catalog(products: products, coPurchases: try CoPurchaseIndex(contentsOf: path))
        case .orderScan:
            var orders: [OrderRecord] = []
            try await forEachPage(
                ShopifyGraphQL.shopOrders, ["first": .int(ShopifyGraphQL.ordersPageSize)],
                as: ShopifyGraphQLWire.ShopOrdersRoot.self, connection: { $0.orders }
            ) { page in
                orders += page.map { $0.record() }
            }
            return Catalog(products: products, coPurchases: CoPurchaseIndex(orders: orders))
        }
    }

    /// Reads a connection page by page: `connection` picks it out of each answer (nil ends the
    /// walk, as for an unknown customer). Throws a final `PlatformError` when the cursor repeats
    /// or the connection has more than `maxPages` pages.
    func forEachPage<Root: Decodable & Sendable, Node: Decodable & Sendable>(
        _ operation: ShopifyGraphQL.Operation, _ variables: [String: JSONValue], as type: Root.Type,
        connection: (Root) -> ShopifyGraphQLWire.Connection<Node>?, _ body: ([Node]) async throws -> Void
    ) async throws {
        var variables = variables
        var seen: Set<String> = []
        for _ in 0..<maxPages {
            let root = try await execute(operation, variables, as: type)
            guard let page = connection(root) else { return }
            try await body(page.nodes)
            guard let info = page.pageInfo, info.hasNextPage else { return }
            guard let cursor = info.endCursor, seen.insert(cursor).inserted else {
                throw error(
                    "\(operation.name): pageInfo.endCursor \(info.endCursor == nil ? "is null" : "repeats") while hasNextPage is true",
                    retryable: false)
            }
            variables["after"] = .string(cursor)
        }
        throw error("\(operation.name): the connection did not end after \(maxPages) pages", retryable: false)
    }

    /// Sends one operation and returns its `data`. Waits first when the cost bucket cannot hold
    /// the operation's estimate, retries `THROTTLED` after the bucket's restore time, and throws a
    /// `PlatformError`: retryable for no answer, 5xx, 429, a throttle that outlasts the retries or
    /// the invocation's deadline, and Shopify's INTERNAL_SERVER_ERROR; final for 404 (no such
    /// shop or API version), 401/403, GraphQL errors and undecodable answers.
    func execute<Root: Decodable & Sendable>(
        _ operation: ShopifyGraphQL.Operation, _ variables: [String: JSONValue], as type: Root.Type
    ) async throws -> Root {
        let body = try Self.requestBody(operation, variables)
        var throttled = 0
        while true {
            try await wait(throttle.delay(for: throttle.estimate(operation.name), now: clock.now), operation)
            guard let response = try await api.post(endpoint, json: body) else {
                throw error(
                    "the GraphQL endpoint answered 404: check SHOPIFY_SHOP, SHOPIFY_BASE_URL and SHOPIFY_API_VERSION",
                    status: 404, retryable: false)
            }
            let meta = try api.decode(ShopifyGraphQLWire.Meta.self, from: response.body, url: endpoint)
            throttle.observe(meta.extensions?.cost, operation: operation.name, now: clock.now)
            let errors = meta.errors ?? []
            if errors.contains(where: { $0.extensions?.code == "THROTTLED" || $0.message == "Throttled" }) {
                throttled += 1
                guard throttled <= maxThrottleRetries else {
                    throw error("\(operation.name): still throttled after \(maxThrottleRetries) waits", retryable: true)
                }
                // The wait at the top of the loop is the bucket's restore time for the cost the
                // answer reported; with no bucket (or one that claims room), Shopify's advice is a
                // second's backoff.
                if throttle.delay(for: throttle.estimate(operation.name), now: clock.now) <= 0 {
                    try await wait(1, operation)
                }
                continue
            }
            let decoded = try api.decode(ShopifyGraphQLWire.Response<Root>.self, from: response.body, url: endpoint)
            if let first = errors.first {
                let code = first.extensions?.code
                let reason = "\(operation.name): \(code.map { "\($0): " } ?? "")\(first.message ?? "GraphQL error")"
                // A partial answer with errors is refused too: a missing field would read as absent data.
                throw error(reason, retryable: code == "INTERNAL_SERVER_ERROR")
            }
            guard let data = decoded.data else {
                throw error("\(operation.name): the answer has no data", retryable: false)
            }
            return data
        }
    }

    /// Sleeps `delay` seconds unless that would leave less than `minimumQueryTime` before the
    /// invocation's deadline, in which case it throws a retryable `PlatformError` at once.
    private func wait(_ delay: TimeInterval, _ operation: ShopifyGraphQL.Operation) async throws {
        guard delay > 0 else { return }
        if let deadline = InvocationDeadline.current,
            clock.now.addingTimeInterval(delay + Self.minimumQueryTime) > deadline
        {
            throw error(
                "\(operation.name): the cost bucket needs \(String(format: "%.1f", delay)) s, past the invocation's deadline",
                retryable: true)
        }
        do {
            try await sleep(delay)
        } catch {
            throw self.error("\(operation.name): cancelled while waiting for the cost bucket", retryable: false)
        }
    }

    /// The request body: `{"operationName", "query", "variables"}` with sorted keys, so that equal
    /// requests are equal bytes (the recorded shop keys its files by them).
    package static func requestBody(_ operation: ShopifyGraphQL.Operation, _ variables: [String: JSONValue]) throws
        -> [UInt8]
    {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body: JSONValue = .object([
            "operationName": .string(operation.name), "query": .string(operation.document),
            "variables": .object(variables),
        ])
        return Array(try encoder.encode(body))
    }

    private func error(_ reason: String, status: Int? = nil, retryable: Bool) -> PlatformError {
        PlatformError(
            platform: "shopify", path: PlatformAPI.pathAndQuery(of: endpoint), status: status, reason: reason,
            isRetryable: retryable)
    }
}
