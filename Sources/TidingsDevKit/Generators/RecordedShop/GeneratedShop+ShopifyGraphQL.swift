import TidingsCore

extension GeneratedShop {
    /// The Admin GraphQL endpoint the recorded answers are filed under, as the production client
    /// builds it for `RecordedShop.shopifyBaseURL`.
    static let shopifyGraphQLEndpoint =
        RecordedShop.shopifyBaseURL + "/admin/api/\(ShopifyGraphQLClient.defaultAPIVersion)/graphql.json"

    /// One recorded GraphQL exchange: the operation, the variables the client sends, and the
    /// `data` Shopify would answer.
    package struct GraphQLExchange: Sendable {
        /// The operation (its document is recorded beside the answers).
        package var operation: ShopifyGraphQL.Operation
        /// The variables, as `ShopifyGraphQLClient` sends them.
        package var variables: [String: JSONValue]
        /// The answer's `data`.
        package var data: RecordedJSON
        /// True for the operation's answer to any variables without an answer of their own (an
        /// unknown id); `variables` is then one such request.
        package var isFallback = false

        /// The answer as the recorded file holds it: `data` and Shopify's cost extensions.
        package var answer: RecordedJSON { GeneratedShop.graphQLAnswer(self) }
    }

    /// Every GraphQL exchange of the recorded shop: each customer, each page of each customer's
    /// orders, every page of the catalog and of the shop's orders, the access scopes, and for each
    /// operation that takes an id the answer to an unknown id (no variables: `customer: null`).
    func shopifyGraphQLExchanges() -> [GraphQLExchange] {
        let shopOrders = orders(on: .shopify)
        let rendered = shopOrders.enumerated().map { index, order in shopifyGraphQLOrder(order, number: index + 1) }
        var exchanges: [GraphQLExchange] = []
        for (customerIndex, customer) in customers.enumerated() {
            guard let id = customer.shopifyID else { continue }
            let own = shopOrders.indices.filter { shopOrders[$0].customer == customerIndex }
            let spent = own.filter { !shopOrders[$0].cancelled }.reduce(Cents.zero) {
                $0 + shopOrders[$1].total(products)
            }
            let gid: JSONValue = .string(ShopifyGraphQL.gid("Customer", id))
            exchanges.append(
                GraphQLExchange(
                    operation: ShopifyGraphQL.customer, variables: ["id": gid],
                    data: .object([
                        ("customer", shopifyGraphQLCustomer(customer, id: id, orders: own.count, spent: spent))
                    ])
                ))
            // Oldest first, as the client asks (sortKey: CREATED_AT).
            exchanges += pages(
                own.map { rendered[$0] }, ShopifyGraphQL.customerOrders, size: ShopifyGraphQL.ordersPageSize,
                variables: ["id": gid]
            ) { connection in
                .object([
                    (
                        "customer",
                        .object([("id", .string(ShopifyGraphQL.gid("Customer", id))), ("orders", connection)])
                    )
                ])
            }
        }
        exchanges += pages(
            products.map(shopifyGraphQLProduct), ShopifyGraphQL.products, size: ShopifyGraphQL.productsPageSize,
            variables: [:]
        ) { .object([("products", $0)]) }
        exchanges += pages(rendered, ShopifyGraphQL.shopOrders, size: ShopifyGraphQL.ordersPageSize, variables: [:]) {
            .object([("orders", $0)])
        }
        let scopes = ["read_customers", "read_orders", "read_products", "read_inventory"]
        exchanges.append(
            GraphQLExchange(
                operation: ShopifyGraphQL.accessScopes, variables: [:],
                data: .object([
                    (
                        "currentAppInstallation",
                        .object([("accessScopes", .array(scopes.map { .object([("handle", .string($0))]) }))])
                    )
                ])))
        // Unknown ids: what Shopify answers for a customer or order it does not have.
        let unknownCustomer: JSONValue = .string(ShopifyGraphQL.gid("Customer", "1"))
        exchanges.append(
            GraphQLExchange(
                operation: ShopifyGraphQL.customer, variables: ["id": unknownCustomer],
                data: .object([("customer", .null)]), isFallback: true))
        exchanges.append(
            GraphQLExchange(
                operation: ShopifyGraphQL.customerOrders,
                variables: ["id": unknownCustomer, "first": .int(ShopifyGraphQL.ordersPageSize)],
                data: .object([("customer", .null)]), isFallback: true))
        exchanges.append(
            GraphQLExchange(
                operation: ShopifyGraphQL.order, variables: ["id": .string(ShopifyGraphQL.gid("Order", "1"))],
                data: .object([("order", .null)]), isFallback: true))
        return exchanges
    }

    /// The GraphQL files: each operation's document (`<name>.graphql`) and each exchange's answer
    /// with the cost extensions Shopify sends, at the path `FileTransport` reads it from.
    func shopifyGraphQLFiles() -> [(path: String, contents: String)] {
        let exchanges = shopifyGraphQLExchanges()
        var files: [(String, String)] = []
        var documents: Set<String> = []
        for exchange in exchanges {
            let name = exchange.operation.name
            guard
                let path = FileTransport.graphQLPath(
                    endpoint: GeneratedShop.shopifyGraphQLEndpoint, operationName: name,
                    variables: exchange.isFallback ? [:] : exchange.variables)
            else { continue }
            documents.insert(name)
            files.append(("shopify/" + path, exchange.answer.text))
        }
        for name in documents.sorted() {
            guard let operation = ShopifyGraphQL.all.first(where: { $0.name == name }),
                let path = FileTransport.graphQLPath(
                    endpoint: GeneratedShop.shopifyGraphQLEndpoint, operationName: name, variables: [:])
            else { continue }
            // No trailing newline: the file is compared byte for byte with the request's `query`.
            files.append(("shopify/" + String(path.dropLast(5)) + ".graphql", operation.document))
        }
        return files
    }

    /// `{"data": ..., "extensions": {"cost": ...}}`: a bucket of 2,000 points restoring 100 per
    /// second (Shopify's standard plan), charged a nominal cost per page of nodes.
    static func graphQLAnswer(_ exchange: GraphQLExchange) -> RecordedJSON {
        let cost =
            exchange.variables["first"].flatMap { value -> Int? in
                if case .int(let first) = value { return 2 + first / 2 }
                return nil
            } ?? 1
        return .object([
            ("data", exchange.data),
            (
                "extensions",
                .object([
                    (
                        "cost",
                        .object([
                            ("requestedQueryCost", .int(cost)), ("actualQueryCost", .int(cost)),
                            (
                                "throttleStatus",
                                .object([
                                    ("maximumAvailable", .number("2000.0")),
                                    ("currentlyAvailable", .int(2_000 - cost)), ("restoreRate", .number("100.0")),
                                ])
                            ),
                        ])
                    )
                ])
            ),
        ])
    }

    /// A connection cut into pages of `size` nodes, one exchange per page: the first without
    /// `after`, each next one `after` the previous page's `endCursor`. An empty connection is one
    /// empty page.
    func pages(
        _ nodes: [RecordedJSON], _ operation: ShopifyGraphQL.Operation, size: Int, variables: [String: JSONValue],
        data: (RecordedJSON) -> RecordedJSON
    ) -> [GraphQLExchange] {
        var exchanges: [GraphQLExchange] = []
        var start = 0
        repeat {
            let end = min(start + size, nodes.count)
            let page = start / size
            var asked = variables
            asked["first"] = .int(size)
            if page > 0 { asked["after"] = .string(pageInfo(page)) }
            let connection: RecordedJSON = .object([
                (
                    "pageInfo",
                    .object([
                        ("hasNextPage", .bool(end < nodes.count)),
                        ("endCursor", end > start ? .string(pageInfo(page + 1)) : .null),
                    ])
                ),
                ("nodes", .array(Array(nodes[start..<end]))),
            ])
            exchanges.append(GraphQLExchange(operation: operation, variables: asked, data: data(connection)))
            start = end
        } while start < nodes.count
        return exchanges
    }

    func shopifyGraphQLCustomer(_ customer: ShopCustomer, id: String, orders: Int, spent: Cents) -> RecordedJSON {
        let tags = customer.tags.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
            !$0.isEmpty
        }
        return .object([
            ("id", .string(ShopifyGraphQL.gid("Customer", id))),
            ("firstName", .string(customer.firstName)),
            ("lastName", .string(customer.lastName)),
            ("tags", .array(tags.map { .string($0) })),
            ("createdAt", .string(customer.createdAt.isoZ)),
            (
                "defaultEmailAddress",
                .object([
                    ("emailAddress", .string(customer.email)),
                    ("marketingState", .string(customer.consent.uppercased())),
                ])
            ),
            ("amountSpent", .object([("amount", .string(spent.twoDecimals)), ("currencyCode", .string("USD"))])),
            ("numberOfOrders", .string(String(orders))),
        ])
    }

    /// An order as `TidingsOrderFields` selects it, from the same data as the REST order.
    func shopifyGraphQLOrder(_ order: ShopOrder, number: Int) -> RecordedJSON {
        let customer = customers[order.customer]
        let id = shopifyOrderID(number)
        let cancelledAt = order.createdAt.adding(3 * 3_600 + 17 * 60)
        let total = order.total(products)
        let refunded = order.financialStatus == "refunded" ? total : .zero
        let refunds: [RecordedJSON] =
            refunded == .zero
            ? []
            : [
                .object([
                    ("createdAt", .string(order.createdAt.adding(2 * 86_400).isoZ)),
                    ("totalRefundedSet", shopifyGraphQLMoney(refunded)),
                ])
            ]
        let lines = order.lines.map { line -> RecordedJSON in
            let product = products[line.product]
            let variant = product.variants[line.variant].title
            return .object([
                ("title", .string(product.title)),
                ("quantity", .int(line.quantity)),
                ("variantTitle", variant == "Default Title" ? .null : .string(variant)),
                (
                    "product",
                    .object([
                        ("id", .string(ShopifyGraphQL.gid("Product", product.shopifyID))),
                        ("productType", .string(product.category)),
                    ])
                ),
                (
                    "variant",
                    .object([
                        ("id", .string(ShopifyGraphQL.gid("ProductVariant", product.shopifyVariantID(line.variant))))
                    ])
                ),
                ("originalUnitPriceSet", shopifyGraphQLMoney(product.price)),
            ])
        }
        return .object([
            ("id", .string(ShopifyGraphQL.gid("Order", id))),
            ("name", .string("#\(1_000 + number)")),
            ("createdAt", .string(order.createdAt.isoZ)),
            ("cancelledAt", order.cancelled ? .string(cancelledAt.isoZ) : .null),
            ("cancelReason", order.cancelled ? .string("CUSTOMER") : .null),
            ("displayFinancialStatus", .string(order.financialStatus.uppercased())),
            ("currencyCode", .string("USD")),
            ("presentmentCurrencyCode", .string("USD")),
            ("discountCodes", .array(order.discount.map { [.string($0.code)] } ?? [])),
            ("statusPageUrl", .string(RecordedShop.storefrontURL + "/orders/\(id)")),
            ("customer", .object([("id", .string(ShopifyGraphQL.gid("Customer", customer.shopifyID ?? "0")))])),
            ("shippingLine", .object([("title", .string("Standard"))])),
            ("subtotalPriceSet", shopifyGraphQLMoney(order.subtotal(products) - order.discountTotal(products))),
            ("totalPriceSet", shopifyGraphQLMoney(total)),
            ("totalRefundedSet", shopifyGraphQLMoney(refunded)),
            ("refunds", .array(refunds)),
            ("lineItems", .object([("nodes", .array(lines))])),
        ])
    }

    func shopifyGraphQLMoney(_ amount: Cents) -> RecordedJSON {
        let money: RecordedJSON = .object([("amount", .string(amount.twoDecimals)), ("currencyCode", .string("USD"))])
        return .object([("shopMoney", money), ("presentmentMoney", money)])
    }

    func shopifyGraphQLProduct(_ product: ShopProduct) -> RecordedJSON {
        let variants = product.variants.map { variant -> RecordedJSON in
            .object([("price", .string(product.price.twoDecimals)), ("inventoryQuantity", .int(variant.inventory))])
        }
        return .object([
            ("id", .string(ShopifyGraphQL.gid("Product", product.shopifyID))),
            ("title", .string(product.title)),
            ("handle", .string(product.handle)),
            ("productType", .string(product.category)),
            ("status", .string("ACTIVE")),
            ("variants", .object([("nodes", .array(variants))])),
        ])
    }
}
