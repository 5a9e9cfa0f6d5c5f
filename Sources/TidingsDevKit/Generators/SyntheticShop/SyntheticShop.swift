import Foundation
import TidingsCore

/// Writes a synthetic Shopify shop of any size for the win-back scan: purchases drawn from BG/NBD
/// and spend from Gamma-Gamma with known parameters, so a fit can be checked against the truth
/// and the scan benchmarked at a million customers (`tidings synth`).
///
/// Layout (the production `ShopifyGraphQLClient` reads it through `FileTransport`, which answers
/// its GraphQL requests from `shopify/admin/api/2026-04/graphql/`):
/// - `TidingsProducts__first=100.json`: the recorded shop's catalog;
/// - `TidingsBulkRun__query=sha256-….json` and `TidingsBulkPoll__id=….json`: a bulk operation over
///   `ShopifyGraphQL.bulkCustomersQuery` that completes at the first poll, its `url` naming
///   `shopify/bulk/customers.jsonl`: every customer followed by their orders (`__parentId`), as
///   `groupObjects: true` writes them, customers in ascending id, each customer's orders oldest
///   first. That is what the win-back scan streams (docs/decisions/win-back-scan.md); a million
///   customers make one file, not a million;
/// - with `customerFiles`, also each customer's `TidingsCustomer` answer and `TidingsCustomerOrders`
///   pages (orders with their lines: one product, a third with a companion) for per-customer
///   events (meant for small shops);
/// - each operation's document (`<operation>.graphql`) and `synth.json`: seed, size, the true
///   parameters and the observation end.
///
/// Streamed: one customer's lines are held at a time (written in 1 MiB batches), so memory does
/// not grow with the size.
/// Deterministic: each customer draws from a generator seeded by (seed, customer number).
package struct SyntheticShop: Sendable {
    /// The true purchase process (weeks).
    package var bgnbd: BGNBD
    /// The true spend process (USD).
    package var gammaGamma: GammaGamma
    /// Number of customers, each with at least their first order.
    package var customers: Int
    /// The random seed.
    package var seed: UInt64
    /// Also write per-customer files (customer record and order list).
    package var customerFiles: Bool
    /// Customers join uniformly over this many weeks before `observedUntil`.
    package var cohortWeeks: Double = 104

    /// The end of observation: the last instant orders can have, as in the recorded shop.
    package static let observedUntil = Date(timeIntervalSince1970: Double(GeneratedShop.lastOrderDay.seconds))
    /// Customer ids are 8100000000 + n (n from 1).
    package static let firstCustomerID = 8_100_000_000
    /// Default truth: a purchase every ~20 weeks while active, mean order ~$80.
    package static let defaultBGNBD = BGNBD(r: 0.6, alpha: 12, a: 0.7, b: 2.8)
    /// Default spend truth.
    package static let defaultGammaGamma = GammaGamma(p: 6, q: 4, gamma: 40)

    /// A synthetic shop; `customers` ≥ 1.
    package init(
        customers: Int, seed: UInt64, bgnbd: BGNBD = defaultBGNBD, gammaGamma: GammaGamma = defaultGammaGamma,
        customerFiles: Bool = false
    ) {
        self.customers = max(1, customers)
        self.seed = seed
        self.bgnbd = bgnbd
        self.gammaGamma = gammaGamma
        self.customerFiles = customerFiles
    }

    /// What `write(to:)` produced.
    package struct Written: Sendable {
        /// Customers written.
        package var customers: Int
        /// Orders written, cancelled and refunded ones included.
        package var orders: Int
        /// Lines of the bulk JSONL: customers and their orders.
        package var lines: Int
    }

    /// Writes the shop under `root` (which should be empty). Throws the file system's error.
    @discardableResult
    package func write(to root: String) throws -> Written {
        let shopify = URL(fileURLWithPath: root).appendingPathComponent("shopify")
        var productRandom = SplitMix64(seed: RecordedShopGenerator.defaultSeed)
        let catalog = GeneratedShop(
            products: GeneratedShop.buildProducts(&productRandom), customers: [], orders: [], carts: [])
        var recorded = RecordedGraphQL(shopify: shopify)
        for exchange in catalog.pages(
            catalog.products.map(catalog.shopifyGraphQLProduct), ShopifyGraphQL.products,
            size: ShopifyGraphQL.productsPageSize, variables: [:], data: { .object([("products", $0)]) })
        {
            try recorded.write(exchange)
        }

        // The bulk export's JSONL, grouped as `groupObjects: true` writes it: each customer, then
        // their orders with `__parentId`.
        let bulk = shopify.appendingPathComponent(Self.bulkFile)
        try FileManager.default.createDirectory(at: bulk.deletingLastPathComponent(), withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: bulk.path, contents: nil)
        let output = try FileHandle(forWritingTo: bulk)
        defer { try? output.close() }
        var buffer = ""
        var lines = 0
        let sampler = LifetimeSampler(bgnbd: bgnbd, gammaGamma: gammaGamma)
        var orderNumber = 0
        var coPurchases = CoPurchaseIndex()
        for number in 1...customers {
            let customer = drawCustomer(number, catalog: catalog.products, sampler: sampler, orderNumber: &orderNumber)
            buffer += customer.node + "\n"
            for order in customer.orders {
                buffer += order.bulk + "\n"
            }
            lines += 1 + customer.orders.count
            if buffer.utf8.count > 1 << 20 {
                output.write(Data(buffer.utf8))
                buffer = ""
            }
            for productIDs in customer.purchasedProducts { coPurchases.add(productIDs: productIDs) }
            if customerFiles { try writeCustomerFiles(customer, recorded: &recorded) }
        }
        output.write(Data(buffer.utf8))
        let operation = ShopifyGraphQL.gid("BulkOperation", "1")
        try recorded.write(
            GeneratedShop.GraphQLExchange(
                operation: ShopifyGraphQL.bulkRun, variables: ["query": .string(ShopifyGraphQL.bulkCustomers.document)],
                data: .object([
                    (
                        "bulkOperationRunQuery",
                        .object([
                            ("bulkOperation", .object([("id", .string(operation)), ("status", .string("CREATED"))])),
                            ("userErrors", .array([])),
                        ])
                    )
                ])))
        try recorded.write(
            GeneratedShop.GraphQLExchange(
                operation: ShopifyGraphQL.bulkPoll, variables: ["id": .string(operation)],
                data: .object([
                    (
                        "node",
                        .object([
                            ("id", .string(operation)), ("status", .string("COMPLETED")), ("errorCode", .null),
                            ("objectCount", .string(String(lines))),
                            ("url", .string(RecordedShop.shopifyBaseURL + "/" + Self.bulkFile)),
                            ("partialDataUrl", .null),
                        ])
                    )
                ])))
        try recorded.writeDocuments()
        // The co-purchase index handlers read (as `tidings shop index` would build it): products² in
        // size, so it is built while streaming.
        let index = URL(fileURLWithPath: root).appendingPathComponent(RecordedShop.coPurchasesFile(.shopify))
        try FileManager.default.createDirectory(
            at: index.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(coPurchases.encoded()).write(to: index)
        let manifest: RecordedJSON = .object([
            ("seed", .number(String(seed))),
            ("customers", .int(customers)),
            ("orders", .int(orderNumber)),
            ("bulk_lines", .int(lines)),
            ("observed_until", .string(GeneratedShop.lastOrderDay.isoZ)),
            ("time_unit", .string("weeks")),
            (
                "bgnbd",
                .object([
                    ("r", .number("\(bgnbd.r)")), ("alpha", .number("\(bgnbd.alpha)")),
                    ("a", .number("\(bgnbd.a)")), ("b", .number("\(bgnbd.b)")),
                ])
            ),
            (
                "gamma_gamma",
                .object([
                    ("p", .number("\(gammaGamma.p)")), ("q", .number("\(gammaGamma.q)")),
                    ("gamma", .number("\(gammaGamma.gamma)")),
                ])
            ),
        ])
        try Data(manifest.text.utf8).write(to: URL(fileURLWithPath: root).appendingPathComponent("synth.json"))
        return Written(customers: customers, orders: orderNumber, lines: lines)
    }

    /// The bulk export's result file, relative to the `shopify` folder: the completed bulk
    /// operation's `url` names it, and `FileTransport` serves it.
    package static let bulkFile = "bulk/customers.jsonl"

    struct DrawnCustomer {
        var id: String
        /// The customer as `TidingsCustomer` and the bulk query select it, compact JSON.
        var node: String
        /// Each order: its bulk JSONL line (with `__parentId`) and, for customer files, the order
        /// as `TidingsOrderFields` selects it.
        var orders: [(bulk: String, full: String)]
        var purchasedProducts: [[String]] = []
    }

    func drawCustomer(_ number: Int, catalog: [ShopProduct], sampler: LifetimeSampler, orderNumber: inout Int)
        -> DrawnCustomer
    {
        var random = SplitMix64(seed: seed ^ (UInt64(number) &* 0x9E37_79B9_7F4A_7C15))
        let week = 604_800.0
        let end = Double(GeneratedShop.lastOrderDay.seconds)
        let age = LifetimeSampler.unit(&random) * (cohortWeeks - 1) + 1
        let drawn = sampler.draw(age: age, using: &random)
        let first = end - age * week
        let id = String(SyntheticShop.firstCustomerID + number)
        let gid = ShopifyGraphQL.gid("Customer", id)
        let firstName = random.pick(GeneratedShop.firstNames)
        let lastName = random.pick(GeneratedShop.lastNames)
        let email = "\(firstName).\(lastName).\(number)@mail.example.com".lowercased()
        let consent = random.chance(80) ? "subscribed" : random.pick(["not_subscribed", "unsubscribed"])
        // Traits that give the churn analysis something to find.
        let dealSeeker = random.chance(15)
        let favourite = random.pick(Array(Set(catalog.map(\.category))).sorted())
        let loyalToCategory = random.chance(35)
        var orders: [(bulk: String, full: String)] = []
        var times = [0.0] + drawn.repeatTimes
        var values = drawn.values
        var statuses = Array(repeating: "paid", count: times.count)
        // One in twenty customers' history ends with an order they cancelled or had refunded.
        if random.chance(5) {
            let after = (times.last ?? 0) + Double(random.int(in: 1...14)) / 7
            if after < age {
                times.append(after)
                values.append(values.last ?? 50)
                statuses.append(random.chance(50) ? "voided" : "refunded")
            }
        }
        var purchasedProducts: [[String]] = []
        var spent = Cents.zero
        for (index, time) in times.enumerated() {
            orderNumber += 1
            let created = ShopTime(seconds: Int(first + time * week))
            let cents = max(100, Int((values[index] * 100).rounded()))
            let discounted = dealSeeker || random.chance(8)
            let category = loyalToCategory || random.chance(60) ? favourite : random.pick(catalog).category
            let inCategory = catalog.filter { $0.category == category }
            let product = random.pick(inCategory)
            let quantity = max(1, min(9, Int((Double(cents) / Double(product.price.value)).rounded())))
            let status = statuses[index]
            // A third of the other customers' orders add a companion (boots with socks, tents with
            // sleeping bags), so the co-purchase index has pairs to recommend from.
            var companion: ShopProduct?
            if !loyalToCategory, random.chance(35), let other = Self.companions[product.category] {
                companion = random.pick(catalog.filter { $0.category == other })
            }
            if status == "paid" {
                purchasedProducts.append([product.shopifyID] + (companion.map { [$0.shopifyID] } ?? []))
            }
            if status != "voided" { spent = spent + Cents(cents) }
            let orderID = String(9_500_000_000 + orderNumber)
            let total = Self.money(Cents(cents))
            let refunded = Self.money(status == "refunded" ? Cents(cents) : .zero)
            let summary = """
                {"id":"gid://shopify/Order/\(orderID)","name":"#\(100_000 + orderNumber)",\
                "createdAt":"\(created.isoZ)",\
                "cancelledAt":\(status == "voided" ? "\"\(created.adding(3_600).isoZ)\"" : "null"),\
                "cancelReason":\(status == "voided" ? "\"CUSTOMER\"" : "null"),\
                "displayFinancialStatus":"\(status.uppercased())","currencyCode":"USD","presentmentCurrencyCode":"USD",\
                "discountCodes":\(discounted ? "[\"SAVE15\"]" : "[]"),\
                "statusPageUrl":"\(RecordedShop.storefrontURL)/orders/\(orderID)","customer":{"id":"\(gid)"}
                """
            var lines = [Self.line(product, quantity: quantity)]
            if let companion { lines.append(Self.line(companion, quantity: 1)) }
            let refunds =
                status == "refunded"
                ? #"[{"createdAt":"\#(created.adding(2 * 86_400).isoZ)","totalRefundedSet":\#(refunded)}]"# : "[]"
            orders.append(
                (
                    bulk: summary
                        + #","totalPriceSet":\#(total),"totalRefundedSet":\#(refunded),"__parentId":"\#(gid)"}"#,
                    full: summary
                        + #","shippingLine":{"title":"Standard"},"subtotalPriceSet":\#(total),"totalPriceSet":\#(total),"#
                        + #""totalRefundedSet":\#(refunded),"refunds":\#(refunds),"lineItems":{"nodes":[\#(lines.joined(separator: ","))]}}"#
                ))
        }
        let node = """
            {"id":"\(gid)","firstName":"\(firstName)","lastName":"\(lastName)","tags":[],\
            "createdAt":"\(ShopTime(seconds: Int(first)).isoZ)",\
            "defaultEmailAddress":{"emailAddress":"\(email)","marketingState":"\(consent.uppercased())"},\
            "amountSpent":{"amount":"\(spent.twoDecimals)","currencyCode":"USD"},"numberOfOrders":"\(orders.count)"}
            """
        return DrawnCustomer(id: id, node: node, orders: orders, purchasedProducts: purchasedProducts)
    }

    /// A `MoneyBag` in USD, compact JSON.
    static func money(_ amount: Cents) -> String {
        let money = #"{"amount":"\#(amount.twoDecimals)","currencyCode":"USD"}"#
        return #"{"shopMoney":\#(money),"presentmentMoney":\#(money)}"#
    }

    /// A line item of the product's first variant, as `TidingsOrderFields` selects it.
    static func line(_ product: ShopProduct, quantity: Int) -> String {
        """
        {"title":"\(product.title)","quantity":\(quantity),"variantTitle":null,\
        "product":{"id":"gid://shopify/Product/\(product.shopifyID)","productType":"\(product.category)"},\
        "variant":{"id":"gid://shopify/ProductVariant/\(product.shopifyVariantID(0))"},\
        "originalUnitPriceSet":\(money(product.price))}
        """
    }

    static let companions = [
        "Boots": "Socks", "Socks": "Boots", "Tents": "Sleeping Bags", "Sleeping Bags": "Tents",
        "Jackets": "Base Layers",
        "Base Layers": "Socks", "Headlamps": "Tents", "Backpacks": "Water Bottles", "Water Bottles": "Backpacks",
        "Gloves": "Jackets",
    ]

    /// The customer's `TidingsCustomer` answer and their orders' `TidingsCustomerOrders` pages.
    private func writeCustomerFiles(_ customer: DrawnCustomer, recorded: inout RecordedGraphQL) throws {
        let gid: JSONValue = .string(ShopifyGraphQL.gid("Customer", customer.id))
        try recorded.write(ShopifyGraphQL.customer, ["id": gid], data: #"{"customer":\#(customer.node)}"#)
        let size = ShopifyGraphQL.ordersPageSize
        var start = 0
        repeat {
            let end = min(start + size, customer.orders.count)
            var variables: [String: JSONValue] = ["id": gid, "first": .int(size)]
            if start > 0 { variables["after"] = .string("c3ludGg\(start)") }
            let more = end < customer.orders.count
            let nodes = customer.orders[start..<end].map(\.full).joined(separator: ",")
            try recorded.write(
                ShopifyGraphQL.customerOrders, variables,
                data:
                    #"{"customer":{"id":"\#(ShopifyGraphQL.gid("Customer", customer.id))","orders":{"pageInfo":{"hasNextPage":\#(more),"endCursor":"c3ludGg\#(end)"},"nodes":[\#(nodes)]}}}"#
            )
            start = end
        } while start < customer.orders.count
    }
}

/// Writes recorded GraphQL answers where `FileTransport` reads them (`FileTransport.graphQLPath`),
/// and the document of each operation written once (`<operation>.graphql`).
struct RecordedGraphQL {
    /// The shop's `shopify` folder.
    let shopify: URL
    private var operations: [String: ShopifyGraphQL.Operation] = [:]

    init(shopify: URL) { self.shopify = shopify }

    /// Writes one exchange's answer (its `data` with Shopify's cost extensions).
    mutating func write(_ exchange: GeneratedShop.GraphQLExchange) throws {
        try write(exchange.operation, exchange.variables, answer: exchange.answer.text)
    }

    /// Writes an answer whose `data` is the compact JSON `data`, with a nominal cost.
    mutating func write(_ operation: ShopifyGraphQL.Operation, _ variables: [String: JSONValue], data: String)
        throws
    {
        let cost =
            #"{"requestedQueryCost":10,"actualQueryCost":10,"throttleStatus":{"maximumAvailable":2000.0,"currentlyAvailable":1990,"restoreRate":100.0}}"#
        try write(operation, variables, answer: #"{"data":\#(data),"extensions":{"cost":\#(cost)}}"# + "\n")
    }

    private mutating func write(_ operation: ShopifyGraphQL.Operation, _ variables: [String: JSONValue], answer: String)
        throws
    {
        guard
            let path = FileTransport.graphQLPath(
                endpoint: GeneratedShop.shopifyGraphQLEndpoint, operationName: operation.name, variables: variables)
        else { throw CocoaError(.fileWriteInvalidFileName) }
        operations[operation.name] = operation
        let url = shopify.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(answer.utf8).write(to: url)
    }

    /// Writes `<operation>.graphql` for every operation answered, byte for byte the client's document.
    func writeDocuments() throws {
        for (name, operation) in operations {
            guard
                let path = FileTransport.graphQLPath(
                    endpoint: GeneratedShop.shopifyGraphQLEndpoint, operationName: name, variables: [:])
            else { continue }
            try Data(operation.document.utf8).write(
                to: shopify.appendingPathComponent(String(path.dropLast(5)) + ".graphql"))
        }
    }
}
