import Foundation
import TidingsCore

/// Writes a synthetic Shopify shop of any size for the win-back scan: purchases drawn from BG/NBD
/// and spend from Gamma-Gamma with known parameters, so a fit can be checked against the truth
/// and the scan benchmarked at a million customers (`tidings synth`).
///
/// Layout (the production `ShopifyAdminClient` reads it through `FileTransport`):
/// - `shopify/admin/api/2026-07/products__limit=250.json`: the recorded shop's catalog;
/// - `shopify/admin/api/2026-07/orders__limit=250&status=any.json` and its `page_info` pages, each
///   with a `.head.json` sidecar carrying Shopify's `Link` header: every order, compact JSON as the
///   API sends it, 250 a page, **grouped by customer in ascending customer id** (each customer's
///   orders oldest first; one product line, a third of them with a companion product), which is
///   what the streaming scan reads (see
///   docs/decisions/win-back-scan.md); a million customers make about 10,000 page files, not a
///   million folders;
/// - with `customerFiles`, also `customers/{id}.json` and `customers/{id}/orders.json` for
///   per-customer events (meant for small shops);
/// - `synth.json`: seed, size, the true parameters and the observation end.
///
/// Streamed: one page of orders is held at a time, so memory does not grow with the size.
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
    /// Orders per listing page, Shopify's maximum.
    package static let pageSize = 250
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
        /// Listing pages written.
        package var pages: Int
    }

    /// Writes the shop under `root` (which should be empty). Throws the file system's error.
    @discardableResult
    package func write(to root: String) throws -> Written {
        let api = URL(fileURLWithPath: root).appendingPathComponent("shopify/admin/api/2026-07")
        try FileManager.default.createDirectory(at: api, withIntermediateDirectories: true)
        var productRandom = SplitMix64(seed: RecordedShopGenerator.defaultSeed)
        let catalog = GeneratedShop(
            products: GeneratedShop.buildProducts(&productRandom), customers: [], orders: [], carts: [])
        let productList: RecordedJSON = .object([("products", .array(catalog.products.map(catalog.shopifyProduct)))])
        try Data(productList.text.utf8).write(to: api.appendingPathComponent("products__limit=250.json"))

        var pager = Pager(api: api)
        let sampler = LifetimeSampler(bgnbd: bgnbd, gammaGamma: gammaGamma)
        var orderNumber = 0
        var coPurchases = CoPurchaseIndex()
        for number in 1...customers {
            let customer = drawCustomer(number, catalog: catalog.products, sampler: sampler, orderNumber: &orderNumber)
            for order in customer.orders { try pager.add(order) }
            for productIDs in customer.purchasedProducts { coPurchases.add(productIDs: productIDs) }
            if customerFiles { try writeCustomerFiles(customer, api: api) }
        }
        try pager.finish()
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
            ("pages", .int(pager.pages)),
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
        return Written(customers: customers, orders: orderNumber, pages: pager.pages)
    }

    /// One drawn customer: their id, resource JSON and orders (compact JSON, oldest first).
    struct DrawnCustomer {
        var id: String
        var resource: String
        var orders: [String]
        /// The product ids of each standing order, for the co-purchase index.
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
        let firstName = random.pick(GeneratedShop.firstNames)
        let lastName = random.pick(GeneratedShop.lastNames)
        let email = "\(firstName).\(lastName).\(number)@mail.example.com".lowercased()
        let consent = random.chance(80) ? "subscribed" : random.pick(["not_subscribed", "unsubscribed"])
        // Traits that give the churn analysis something to find.
        let dealSeeker = random.chance(15)
        let favourite = random.pick(Array(Set(catalog.map(\.category))).sorted())
        let loyalToCategory = random.chance(35)
        let customerJSON = """
            {"id":\(id),"email":"\(email)","created_at":"\(ShopTime(seconds: Int(first)).shopify)",\
            "first_name":"\(firstName)","last_name":"\(lastName)","state":"enabled","tags":"",\
            "currency":"USD","email_marketing_consent":{"state":"\(consent)","opt_in_level":\
            \(consent == "subscribed" ? "\"single_opt_in\"" : "null"),"consent_updated_at":null},\
            "admin_graphql_api_id":"gid://shopify/Customer/\(id)"}
            """
        var orders: [String] = []
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
            let orderID = String(9_500_000_000 + orderNumber)
            let lineID = String(17_000_000_000 + orderNumber)
            let total = Cents(cents).twoDecimals
            let companionLine =
                companion.map { extra in
                    """
                    ,{"id":\(18_000_000_000 + orderNumber),"product_id":\(extra.shopifyID),\
                    "variant_id":\(extra.shopifyVariantID(0)),"title":"\(extra.title)",\
                    "quantity":1,"price":"\(extra.price.twoDecimals)"}
                    """
                } ?? ""
            orders.append(
                """
                {"id":\(orderID),"admin_graphql_api_id":"gid://shopify/Order/\(orderID)",\
                "created_at":"\(created.shopify)","currency":"USD","total_price":"\(total)",\
                "cancelled_at":\(status == "voided" ? "\"\(created.adding(3_600).shopify)\"" : "null"),\
                "financial_status":"\(status)","name":"#\(100_000 + orderNumber)",\
                "discount_codes":\(discounted ? "[{\"code\":\"SAVE15\",\"amount\":\"0.00\",\"type\":\"percentage\"}]" : "[]"),\
                "customer":\(customerJSON),\
                "line_items":[{"id":\(lineID),"product_id":\(product.shopifyID),\
                "variant_id":\(product.shopifyVariantID(0)),"title":"\(product.title)",\
                "quantity":\(quantity),"price":"\(product.price.twoDecimals)"}\(companionLine)]}
                """)
        }
        return DrawnCustomer(id: id, resource: customerJSON, orders: orders, purchasedProducts: purchasedProducts)
    }

    /// The category bought alongside another's products (the synthetic baskets).
    static let companions = [
        "Boots": "Socks", "Socks": "Boots", "Tents": "Sleeping Bags", "Sleeping Bags": "Tents",
        "Jackets": "Base Layers",
        "Base Layers": "Socks", "Headlamps": "Tents", "Backpacks": "Water Bottles", "Water Bottles": "Backpacks",
        "Gloves": "Jackets",
    ]

    private func writeCustomerFiles(_ customer: DrawnCustomer, api: URL) throws {
        let folder = api.appendingPathComponent("customers")
        try FileManager.default.createDirectory(
            at: folder.appendingPathComponent(customer.id), withIntermediateDirectories: true)
        try Data("{\"customer\":\(customer.resource)}\n".utf8).write(
            to: folder.appendingPathComponent("\(customer.id).json"))
        // The per-customer list is newest first, as the API returns it.
        let list = "{\"orders\":[" + customer.orders.reversed().joined(separator: ",") + "]}\n"
        try Data(list.utf8).write(
            to: folder.appendingPathComponent("\(customer.id)/orders__limit=250&status=any.json"))
    }

    /// Writes the orders listing a page at a time, each page with its `Link` sidecar.
    private struct Pager {
        let api: URL
        var buffer: [String] = []
        var pages = 0
        let base = "https://\(RecordedShop.shopifyShop).myshopify.com/admin/api/2026-07/orders.json?limit=250"

        init(api: URL) { self.api = api }

        mutating func add(_ order: String) throws {
            if buffer.count == SyntheticShop.pageSize { try flush(hasNext: true) }
            buffer.append(order)
        }

        mutating func finish() throws {
            try flush(hasNext: false)
        }

        static func cursor(_ index: Int) -> String { "c3ludGg\(index)" }

        private mutating func flush(hasNext: Bool) throws {
            let name =
                pages == 0 ? "orders__limit=250&status=any" : "orders__limit=250&page_info=\(Pager.cursor(pages))"
            let body = "{\"orders\":[" + buffer.joined(separator: ",") + "]}\n"
            try Data(body.utf8).write(to: api.appendingPathComponent(name + ".json"))
            var links: [String] = []
            if pages > 0 { links.append("<\(base)&page_info=\(Pager.cursor(pages - 1))>; rel=\\\"previous\\\"") }
            if hasNext { links.append("<\(base)&page_info=\(Pager.cursor(pages + 1))>; rel=\\\"next\\\"") }
            if !links.isEmpty {
                let head = "{\"status\":200,\"headers\":{\"link\":\"\(links.joined(separator: ", "))\"}}\n"
                try Data(head.utf8).write(to: api.appendingPathComponent(name + ".json.head.json"))
            }
            buffer.removeAll(keepingCapacity: true)
            pages += 1
        }
    }
}
