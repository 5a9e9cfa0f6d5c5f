import TidingsCore

extension GeneratedShop {
    static let shopifyAPI = "shopify/admin/api/2026-07/"
    static let shopifyPageSize = 250

    /// The Shopify files: customers, their orders, products and the paged order list.
    func shopifyFiles() -> [(path: String, contents: String)] {
        let shopOrders = orders(on: .shopify)
        var rendered: [RecordedJSON] = []
        for (index, order) in shopOrders.enumerated() {
            rendered.append(shopifyOrder(order, number: index + 1))
        }
        var files: [(String, String)] = []
        for (customerIndex, customer) in customers.enumerated() {
            guard let id = customer.shopifyID else { continue }
            let own = shopOrders.indices.filter { shopOrders[$0].customer == customerIndex }
            let last = own.last
            let spent = own.filter { !shopOrders[$0].cancelled }.reduce(Cents.zero) {
                $0 + shopOrders[$1].total(products)
            }
            let body: RecordedJSON = .object([
                ("customer", shopifyCustomer(customer, id: id, orders: own.count, spent: spent, last: last))
            ])
            files.append((GeneratedShop.shopifyAPI + "customers/\(id).json", body.text))
            let list: RecordedJSON = .object([("orders", .array(own.reversed().map { rendered[$0] }))])
            files.append(
                (GeneratedShop.shopifyAPI + "customers/\(id)/orders__limit=250&status=any.json", list.text))
        }
        let productList: RecordedJSON = .object([("products", .array(products.map(shopifyProduct)))])
        files.append((GeneratedShop.shopifyAPI + "products__limit=250.json", productList.text))

        // orders.json is newest first and paged with cursor links, as Shopify does.
        let newestFirst = Array(rendered.reversed())
        let pages = stride(from: 0, to: max(newestFirst.count, 1), by: GeneratedShop.shopifyPageSize).map {
            Array(newestFirst[$0..<min($0 + GeneratedShop.shopifyPageSize, newestFirst.count)])
        }
        let base = "https://\(RecordedShop.shopifyShop).myshopify.com/admin/api/2026-07/orders.json?limit=250"
        for (index, page) in pages.enumerated() {
            let name =
                index == 0 ? "orders__limit=250&status=any" : "orders__limit=250&page_info=\(pageInfo(index))"
            let body: RecordedJSON = .object([("orders", .array(page))])
            files.append((GeneratedShop.shopifyAPI + name + ".json", body.text))
            var links: [String] = []
            if index > 0 { links.append("<\(base)&page_info=\(pageInfo(index - 1))>; rel=\"previous\"") }
            if index + 1 < pages.count {
                links.append("<\(base)&page_info=\(pageInfo(index + 1))>; rel=\"next\"")
            }
            if !links.isEmpty {
                let head: RecordedJSON = .object([
                    ("status", .int(200)),
                    ("headers", .object([("link", .string(links.joined(separator: ", ")))])),
                ])
                files.append((GeneratedShop.shopifyAPI + name + ".json.head.json", head.text))
            }
        }
        return files
    }

    /// An opaque, stable cursor for page `index` (Shopify's are opaque too).
    func pageInfo(_ index: Int) -> String {
        "eyJsYXN0X2lkIjo\(index)nwRECORDED"
    }

    func shopifyCustomer(_ customer: ShopCustomer, id: String, orders: Int, spent: Cents, last: Int?)
        -> RecordedJSON
    {
        let shopOrders = self.orders(on: .shopify)
        let lastOrder = last.map { shopOrders[$0] }
        let updated = lastOrder?.createdAt ?? customer.createdAt
        return .object([
            ("id", .number(id)),
            ("email", .string(customer.email)),
            ("created_at", .string(customer.createdAt.shopify)),
            ("updated_at", .string(updated.shopify)),
            ("first_name", .string(customer.firstName)),
            ("last_name", .string(customer.lastName)),
            ("orders_count", .int(orders)),
            ("state", .string("enabled")),
            ("total_spent", .string(spent.twoDecimals)),
            ("last_order_id", last.map { .number(shopifyOrderID($0 + 1)) } ?? .null),
            ("note", .null),
            ("verified_email", .bool(true)),
            ("multipass_identifier", .null),
            ("tax_exempt", .bool(false)),
            ("tags", .string(customer.tags)),
            ("last_order_name", last.map { .string("#\(1_000 + $0 + 1)") } ?? .null),
            ("currency", .string("USD")),
            ("phone", .null),
            ("addresses", .array([])),
            ("tax_exemptions", .array([])),
            (
                "email_marketing_consent",
                .object([
                    ("state", .string(customer.consent)),
                    ("opt_in_level", customer.consent == "subscribed" ? .string("single_opt_in") : .null),
                    ("consent_updated_at", .string(customer.createdAt.shopify)),
                ])
            ),
            ("sms_marketing_consent", .null),
            ("admin_graphql_api_id", .string("gid://shopify/Customer/\(id)")),
        ])
    }

    func shopifyOrderID(_ number: Int) -> String { String(5_500_000_000 + number) }

    func shopifyOrder(_ order: ShopOrder, number: Int) -> RecordedJSON {
        let customer = customers[order.customer]
        let id = shopifyOrderID(number)
        let cancelledAt = order.createdAt.adding(3 * 3_600 + 17 * 60)
        let lines = order.lines.enumerated().map { index, line -> RecordedJSON in
            let product = products[line.product]
            let variant = product.variants[line.variant].title
            let lineID = String(13_000_000_000 + number * 10 + index)
            return .object([
                ("id", .number(lineID)),
                ("admin_graphql_api_id", .string("gid://shopify/LineItem/\(lineID)")),
                ("current_quantity", .int(order.cancelled ? 0 : line.quantity)),
                ("fulfillable_quantity", .int(0)),
                ("fulfillment_service", .string("manual")),
                ("fulfillment_status", order.cancelled ? .null : .string("fulfilled")),
                ("gift_card", .bool(false)),
                ("grams", .int(500)),
                (
                    "name",
                    .string(variant == "Default Title" ? product.title : product.title + " - " + variant)
                ),
                ("price", .string(product.price.twoDecimals)),
                ("product_exists", .bool(true)),
                ("product_id", .number(product.shopifyID)),
                ("quantity", .int(line.quantity)),
                ("requires_shipping", .bool(true)),
                ("sku", .string(product.sku + "-" + String(line.variant + 1))),
                ("taxable", .bool(true)),
                ("title", .string(product.title)),
                ("total_discount", .string(order.lineDiscount(line, products).twoDecimals)),
                ("variant_id", .number(product.shopifyVariantID(line.variant))),
                ("variant_title", variant == "Default Title" ? .null : .string(variant)),
                ("vendor", .string("Northwind Outfitters")),
            ])
        }
        let codes: [RecordedJSON] =
            order.discount.map { discount in
                [
                    .object([
                        ("code", .string(discount.code)),
                        ("amount", .string(order.discountTotal(products).twoDecimals)),
                        ("type", .string("percentage")),
                    ])
                ]
            } ?? []
        let total = order.total(products).twoDecimals
        return .object([
            ("id", .number(id)),
            ("admin_graphql_api_id", .string("gid://shopify/Order/\(id)")),
            ("buyer_accepts_marketing", .bool(customer.consent == "subscribed")),
            ("cancel_reason", order.cancelled ? .string("customer") : .null),
            ("cancelled_at", order.cancelled ? .string(cancelledAt.shopify) : .null),
            ("closed_at", order.cancelled ? .string(cancelledAt.shopify) : .null),
            ("confirmed", .bool(true)),
            ("contact_email", .string(customer.email)),
            ("created_at", .string(order.createdAt.shopify)),
            ("currency", .string("USD")),
            (
                "current_total_price",
                .string(order.cancelled || order.financialStatus == "refunded" ? "0.00" : total)
            ),
            ("discount_codes", .array(codes)),
            ("email", .string(customer.email)),
            ("financial_status", .string(order.financialStatus)),
            ("fulfillment_status", order.cancelled ? .null : .string("fulfilled")),
            ("name", .string("#\(1_000 + number)")),
            ("number", .int(number)),
            ("order_number", .int(1_000 + number)),
            ("presentment_currency", .string("USD")),
            ("processed_at", .string(order.createdAt.shopify)),
            ("source_name", .string("web")),
            (
                "subtotal_price",
                .string((order.subtotal(products) - order.discountTotal(products)).twoDecimals)
            ),
            ("tags", .string("")),
            ("taxes_included", .bool(false)),
            ("test", .bool(false)),
            ("total_discounts", .string(order.discountTotal(products).twoDecimals)),
            ("total_line_items_price", .string(order.subtotal(products).twoDecimals)),
            ("total_price", .string(total)),
            ("total_shipping_price_set", shopifyMoneySet(order.shipping(products))),
            ("total_tax", .string("0.00")),
            (
                "updated_at",
                .string((order.cancelled ? cancelledAt : order.createdAt.adding(2 * 86_400)).shopify)
            ),
            (
                "customer",
                .object([
                    ("id", .number(customer.shopifyID ?? "0")),
                    ("email", .string(customer.email)),
                    ("first_name", .string(customer.firstName)),
                    ("last_name", .string(customer.lastName)),
                    ("state", .string("enabled")),
                    ("tags", .string(customer.tags)),
                    ("currency", .string("USD")),
                    ("admin_graphql_api_id", .string("gid://shopify/Customer/\(customer.shopifyID ?? "0")")),
                ])
            ),
            ("line_items", .array(lines)),
        ])
    }

    func shopifyMoneySet(_ amount: Cents) -> RecordedJSON {
        let money: RecordedJSON = .object([
            ("amount", .string(amount.twoDecimals)), ("currency_code", .string("USD")),
        ])
        return .object([("shop_money", money), ("presentment_money", money)])
    }

    func shopifyProduct(_ product: ShopProduct) -> RecordedJSON {
        let created = ShopTime(2024, 6, 3, 14, 0).adding(product.position * 3_600)
        let variants = product.variants.enumerated().map { index, variant -> RecordedJSON in
            let id = product.shopifyVariantID(index)
            return .object([
                ("id", .number(id)),
                ("product_id", .number(product.shopifyID)),
                ("title", .string(variant.title)),
                ("price", .string(product.price.twoDecimals)),
                ("position", .int(index + 1)),
                ("inventory_policy", .string("deny")),
                ("compare_at_price", .null),
                ("option1", .string(variant.title)),
                ("option2", .null),
                ("option3", .null),
                ("created_at", .string(created.shopify)),
                ("updated_at", .string(ShopTime(2026, 11, 21, 6, 0).shopify)),
                ("taxable", .bool(true)),
                ("sku", .string(product.sku + "-" + String(index + 1))),
                ("inventory_management", .string("shopify")),
                ("inventory_quantity", .int(variant.inventory)),
                ("requires_shipping", .bool(true)),
                ("admin_graphql_api_id", .string("gid://shopify/ProductVariant/\(id)")),
            ])
        }
        return .object([
            ("id", .number(product.shopifyID)),
            ("title", .string(product.title)),
            ("vendor", .string("Northwind Outfitters")),
            ("product_type", .string(product.category)),
            ("created_at", .string(created.shopify)),
            ("handle", .string(product.handle)),
            ("updated_at", .string(ShopTime(2026, 11, 21, 6, 0).shopify)),
            ("published_at", .string(created.shopify)),
            ("published_scope", .string("global")),
            ("tags", .string(product.category.lowercased())),
            ("status", .string("active")),
            ("admin_graphql_api_id", .string("gid://shopify/Product/\(product.shopifyID)")),
            ("variants", .array(variants)),
            (
                "options",
                .array([
                    .object([
                        ("name", .string(product.optionName)),
                        ("position", .int(1)),
                        ("values", .array(product.variants.map { .string($0.title) })),
                    ])
                ])
            ),
        ])
    }
}
