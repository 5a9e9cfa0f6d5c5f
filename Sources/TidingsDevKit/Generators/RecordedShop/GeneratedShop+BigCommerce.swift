import TidingsCore

extension GeneratedShop {
    static let bigCommerceStore = "bigcommerce/stores/nw4x7k2q/"

    /// Orders placed after the order listings were recorded, which the order webhook fixtures name:
    /// only their single-order resources exist. 901: Ava's new order, awaiting fulfillment; 902: an
    /// incomplete checkout of hers (status 0, which V2 listings leave out anyway); 903: Noah's
    /// order, cancelled after the payment was declined.
    static let bigCommerceLateOrders:
        [(
            id: Int, customer: Int, at: ShopTime, lines: [ShopLine], statusID: Int, status: String,
            paymentStatus: String
        )] = [
            (
                901, 7, ShopTime(2026, 11, 26, 10, 14), [line(17), line(13, 0, 2)], 11, "Awaiting Fulfillment",
                "captured"
            ),
            (902, 7, ShopTime(2026, 11, 26, 10, 58), [line(24)], 0, "Incomplete", ""),
            (903, 8, ShopTime(2026, 11, 25, 9, 20), [line(5, 2)], 5, "Cancelled", "declined"),
        ]

    /// BigCommerce order ids start after the sample orders' range.
    func bigCommerceOrderID(_ number: Int) -> Int { 100 + number }

    /// The BigCommerce files: V3 customers, carts and catalog, V2 orders and their products.
    func bigCommerceFiles() -> [(path: String, contents: String)] {
        let root = GeneratedShop.bigCommerceStore
        let storeOrders = orders(on: .bigCommerce)
        var files: [(String, String)] = []
        var rendered: [RecordedJSON] = []
        for (index, order) in storeOrders.enumerated() {
            let id = bigCommerceOrderID(index + 1)
            rendered.append(bigCommerceOrder(order, id: id))
            let lines = order.lines.enumerated().map {
                bigCommerceOrderProduct(order, $1, orderID: id, index: $0)
            }
            files.append((root + "v2/orders/\(id)/products.json", RecordedJSON.array(lines).text))
            files.append((root + "v2/orders/\(id).json", rendered[index].text))
        }
        for late in GeneratedShop.bigCommerceLateOrders {
            let order = ShopOrder(
                customer: late.customer, createdAt: late.at, lines: late.lines, discount: nil,
                cancelled: late.statusID == 5, financialStatus: "paid")
            let lines = order.lines.enumerated().map {
                bigCommerceOrderProduct(order, $1, orderID: late.id, index: $0)
            }
            files.append((root + "v2/orders/\(late.id)/products.json", RecordedJSON.array(lines).text))
            let json = bigCommerceOrder(order, id: late.id).replacing([
                "status_id": .int(late.statusID), "status": .string(late.status),
                "custom_status": .string(late.status), "payment_status": .string(late.paymentStatus),
                "date_shipped": .string(""), "items_shipped": .int(0),
            ])
            files.append((root + "v2/orders/\(late.id).json", json.text))
        }
        for (customerIndex, customer) in customers.enumerated() {
            guard let id = customer.bigCommerceID else { continue }
            let body: RecordedJSON = .object([
                ("data", .array([bigCommerceCustomer(customer, id: id)])), ("meta", bigCommercePagination(1)),
            ])
            files.append((root + "v3/customers__id_in=\(id).json", body.text))
            let own = storeOrders.indices.filter { storeOrders[$0].customer == customerIndex }.map {
                rendered[$0]
            }
            files.append((root + "v2/orders__customer_id=\(id)&limit=250.json", RecordedJSON.array(own).text))
        }
        for page in stride(from: 0, to: rendered.count, by: 250) {
            let name = page == 0 ? "limit=250&sort=id_asc" : "limit=250&page=\(page / 250 + 1)&sort=id_asc"
            let slice = Array(rendered[page..<min(page + 250, rendered.count)])
            files.append((root + "v2/orders__\(name).json", RecordedJSON.array(slice).text))
        }
        for cart in carts {
            let body: RecordedJSON = .object([("data", bigCommerceCart(cart)), ("meta", .object([]))])
            files.append(
                (root + "v3/carts/\(cart.id)__include=line_items.physical_items.options.json", body.text))
        }
        let categoryList = GeneratedShop.categories.enumerated().map { index, name -> RecordedJSON in
            .object([
                ("category_id", .int(23 + index)),
                ("category_uuid", .string("9a6c7e2b-0000-4000-8000-0000000000\(23 + index)")),
                ("parent_id", .int(0)),
                ("tree_id", .int(1)),
                ("name", .string(name)),
                ("is_visible", .bool(true)),
                ("sort_order", .int(index)),
                ("url", .object([("path", .string("/\(slug(name))/")), ("is_customized", .bool(false))])),
            ])
        }
        files.append(
            (
                root + "v3/catalog/trees/categories__limit=250.json",
                RecordedJSON.object([
                    ("data", .array(categoryList)), ("meta", bigCommercePagination(categoryList.count)),
                ]).text
            ))
        files.append(
            (
                root + "v3/catalog/products__include=variants&limit=250.json",
                RecordedJSON.object([
                    ("data", .array(products.map(bigCommerceProduct))),
                    ("meta", bigCommercePagination(products.count)),
                ]).text
            ))
        return files
    }

    func slug(_ text: String) -> String {
        ShopProduct(position: 0, title: text, category: "", price: .zero, optionName: "", variants: []).handle
    }

    func bigCommercePagination(_ count: Int) -> RecordedJSON {
        .object([
            (
                "pagination",
                .object([
                    ("total", .int(count)), ("count", .int(count)), ("per_page", .int(250)),
                    ("current_page", .int(1)), ("total_pages", .int(1)),
                    ("links", .object([("current", .string("?page=1&limit=250"))])),
                ])
            )
        ])
    }

    func bigCommerceCustomer(_ customer: ShopCustomer, id: String) -> RecordedJSON {
        .object([
            ("id", .number(id)),
            ("email", .string(customer.email)),
            ("first_name", .string(customer.firstName)),
            ("last_name", .string(customer.lastName)),
            ("company", .string("")),
            ("phone", .string("")),
            ("registration_ip_address", .string("")),
            ("notes", .string("")),
            ("tax_exempt_category", .string("")),
            ("customer_group_id", .int(0)),
            ("date_modified", .string(customer.createdAt.isoZ)),
            ("date_created", .string(customer.createdAt.isoZ)),
            ("address_count", .int(0)),
            ("attribute_count", .int(0)),
            ("authentication", .object([("force_password_reset", .bool(false))])),
            ("accepts_product_review_abandoned_cart_emails", .bool(customer.consent == "subscribed")),
            ("store_credit_amounts", .array([.object([("amount", .number("0"))])])),
            ("origin_channel_id", .int(1)),
            ("channel_ids", .null),
        ])
    }

    func bigCommerceOrder(_ order: ShopOrder, id: Int) -> RecordedJSON {
        let customer = customers[order.customer]
        let (statusID, status) =
            order.cancelled
            ? (5, "Cancelled") : order.financialStatus == "refunded" ? (4, "Refunded") : (10, "Completed")
        let modified =
            order.cancelled ? order.createdAt.adding(3 * 3_600 + 17 * 60) : order.createdAt.adding(2 * 86_400)
        let subtotal = order.subtotal(products)
        let total = order.total(products)
        let resource = { (name: String) -> RecordedJSON in
            .object([
                ("url", .string("https://api.bigcommerce.com/stores/nw4x7k2q/v2/orders/\(id)/\(name)")),
                ("resource", .string("/orders/\(id)/\(name)")),
            ])
        }
        return .object([
            ("id", .int(id)),
            ("customer_id", .number(customer.bigCommerceID ?? "0")),
            ("date_created", .string(order.createdAt.rfc2822)),
            ("date_modified", .string(modified.rfc2822)),
            ("date_shipped", .string(order.cancelled ? "" : order.createdAt.adding(86_400).rfc2822)),
            ("status_id", .int(statusID)),
            ("status", .string(status)),
            ("subtotal_ex_tax", .string(subtotal.fourDecimals)),
            ("subtotal_inc_tax", .string(subtotal.fourDecimals)),
            ("subtotal_tax", .string("0.0000")),
            ("base_shipping_cost", .string(order.shipping(products).fourDecimals)),
            ("shipping_cost_ex_tax", .string(order.shipping(products).fourDecimals)),
            ("shipping_cost_inc_tax", .string(order.shipping(products).fourDecimals)),
            ("total_ex_tax", .string(total.fourDecimals)),
            ("total_inc_tax", .string(total.fourDecimals)),
            ("total_tax", .string("0.0000")),
            ("items_total", .int(order.lines.reduce(0) { $0 + $1.quantity })),
            ("items_shipped", .int(order.cancelled ? 0 : order.lines.reduce(0) { $0 + $1.quantity })),
            ("payment_method", .string("Credit Card")),
            (
                "payment_status",
                .string(
                    order.cancelled ? "void" : order.financialStatus == "refunded" ? "refunded" : "captured")
            ),
            ("refunded_amount", .string(order.financialStatus == "refunded" ? total.fourDecimals : "0.0000")),
            ("discount_amount", .string("0.0000")),
            ("coupon_discount", .string(order.discountTotal(products).fourDecimals)),
            ("currency_id", .int(1)),
            ("currency_code", .string("USD")),
            ("default_currency_code", .string("USD")),
            (
                "billing_address",
                .object([
                    ("first_name", .string(customer.firstName)),
                    ("last_name", .string(customer.lastName)),
                    ("country_iso2", .string("US")),
                    ("email", .string(customer.email)),
                ])
            ),
            ("is_email_opt_in", .bool(customer.consent == "subscribed")),
            ("order_source", .string("www")),
            ("channel_id", .int(1)),
            ("products", resource("products")),
            ("shipping_addresses", resource("shippingaddresses")),
            ("coupons", resource("coupons")),
            ("custom_status", .string(status)),
            ("customer_locale", .string("en")),
        ])
    }

    func bigCommerceOrderProduct(_ order: ShopOrder, _ line: ShopLine, orderID: Int, index: Int)
        -> RecordedJSON
    {
        let product = products[line.product]
        let variant = product.variants[line.variant].title
        let lineTotal = order.lineTotal(line, products)
        let discounts: [RecordedJSON] =
            order.discount.map { discount in
                [
                    .object([
                        ("id", .string("coupon")),
                        ("amount", .string(order.lineDiscount(line, products).fourDecimals)),
                        ("name", .string(discount.code)),
                        ("code", .string(discount.code)),
                        ("target", .string("product")),
                    ])
                ]
            } ?? []
        let options: [RecordedJSON] =
            variant == "Default Title"
            ? []
            : [
                .object([
                    ("id", .int(orderID * 10 + index)),
                    ("option_id", .int(1)),
                    ("order_product_id", .int(orderID * 10 + index)),
                    ("display_name", .string("Size")),
                    ("display_value", .string(variant)),
                    ("value", .string(product.bigCommerceVariantID(line.variant))),
                    ("type", .string("Multiple choice")),
                    ("name", .string("Size")),
                ])
            ]
        return .object([
            ("id", .int(orderID * 10 + index)),
            ("order_id", .int(orderID)),
            ("product_id", .number(product.bigCommerceID)),
            ("variant_id", .number(product.bigCommerceVariantID(line.variant))),
            ("name", .string(product.title)),
            ("sku", .string(product.sku + "-" + String(line.variant + 1))),
            ("type", .string("physical")),
            ("base_price", .string(product.price.fourDecimals)),
            ("price_ex_tax", .string(product.price.fourDecimals)),
            ("price_inc_tax", .string(product.price.fourDecimals)),
            ("price_tax", .string("0.0000")),
            ("base_total", .string(lineTotal.fourDecimals)),
            ("total_ex_tax", .string(lineTotal.fourDecimals)),
            ("total_inc_tax", .string(lineTotal.fourDecimals)),
            ("total_tax", .string("0.0000")),
            ("quantity", .int(line.quantity)),
            ("is_refunded", .bool(false)),
            ("quantity_refunded", .int(0)),
            ("refund_amount", .string("0.0000")),
            ("applied_discounts", .array(discounts)),
            ("product_options", .array(options)),
        ])
    }

    func bigCommerceCart(_ cart: ShopCart) -> RecordedJSON {
        let customer = customers[cart.customer]
        var amount = Cents.zero
        let items = cart.lines.enumerated().map { index, line -> RecordedJSON in
            let product = products[line.product]
            let extended = product.price * line.quantity
            amount = amount + extended
            let variant = product.variants[line.variant].title
            return .object([
                ("id", .string("\(cart.id.prefix(24))\(String(100_000_000_000 + index + 1))")),
                ("parent_id", .null),
                ("variant_id", .number(product.bigCommerceVariantID(line.variant))),
                ("product_id", .number(product.bigCommerceID)),
                ("sku", .string(product.sku + "-" + String(line.variant + 1))),
                ("name", .string(product.title)),
                ("url", .string(RecordedShop.storefrontURL + "/" + product.handle + "/")),
                ("quantity", .int(line.quantity)),
                ("taxable", .bool(true)),
                ("image_url", .string(RecordedShop.storefrontURL + "/images/" + product.handle + ".jpg")),
                ("discounts", .array([])),
                ("coupons", .array([])),
                ("discount_amount", .int(0)),
                ("coupon_amount", .int(0)),
                ("original_price", .number(product.price.jsonNumber)),
                ("list_price", .number(product.price.jsonNumber)),
                ("sale_price", .number(product.price.jsonNumber)),
                ("extended_list_price", .number(extended.jsonNumber)),
                ("extended_sale_price", .number(extended.jsonNumber)),
                ("is_require_shipping", .bool(true)),
                ("is_mutable", .bool(true)),
                ("added_by_promotion", .bool(false)),
                (
                    "options",
                    variant == "Default Title"
                        ? .array([])
                        : .array([
                            .object([
                                ("name", .string("Size")), ("nameId", .int(1)), ("value", .string(variant)),
                                ("valueId", .number(product.bigCommerceVariantID(line.variant))),
                            ])
                        ])
                ),
            ])
        }
        return .object([
            ("id", .string(cart.id)),
            ("customer_id", .number(customer.bigCommerceID ?? "0")),
            ("channel_id", .int(1)),
            ("email", .string(customer.email)),
            ("currency", .object([("code", .string("USD"))])),
            ("tax_included", .bool(false)),
            ("base_amount", .number(amount.jsonNumber)),
            ("discount_amount", .int(0)),
            ("manual_discount_amount", .int(0)),
            ("cart_amount", .number(amount.jsonNumber)),
            ("coupons", .array([])),
            ("discounts", .array([])),
            (
                "line_items",
                .object([
                    ("physical_items", .array(items)), ("digital_items", .array([])),
                    ("gift_certificates", .array([])), ("custom_items", .array([])),
                ])
            ),
            ("created_time", .string(cart.createdAt.isoUTCOffset)),
            ("updated_time", .string(cart.updatedAt.isoUTCOffset)),
            ("locale", .string("en")),
            ("version", .int(cart.lines.count + 1)),
        ])
    }

    func bigCommerceProduct(_ product: ShopProduct) -> RecordedJSON {
        let created = ShopTime(2024, 6, 3, 14, 0).adding(product.position * 3_600)
        let category = 23 + (GeneratedShop.categories.firstIndex(of: product.category) ?? 0)
        let variants = product.variants.enumerated().map { index, variant -> RecordedJSON in
            .object([
                ("id", .number(product.bigCommerceVariantID(index))),
                ("product_id", .number(product.bigCommerceID)),
                ("sku", .string(product.sku + "-" + String(index + 1))),
                ("price", .null),
                ("calculated_price", .number(product.price.jsonNumber)),
                ("sale_price", .null),
                ("inventory_level", .int(variant.inventory)),
                ("inventory_warning_level", .int(0)),
                ("purchasing_disabled", .bool(false)),
                (
                    "option_values",
                    variant.title == "Default Title"
                        ? .array([])
                        : .array([
                            .object([
                                ("id", .number(product.bigCommerceVariantID(index))),
                                ("label", .string(variant.title)),
                                ("option_id", .int(product.position)),
                                ("option_display_name", .string(product.optionName)),
                            ])
                        ])
                ),
            ])
        }
        return .object([
            ("id", .number(product.bigCommerceID)),
            ("name", .string(product.title)),
            ("type", .string("physical")),
            ("sku", .string(product.sku)),
            ("weight", .int(1)),
            ("price", .number(product.price.jsonNumber)),
            ("cost_price", .int(0)),
            ("retail_price", .int(0)),
            ("sale_price", .int(0)),
            ("calculated_price", .number(product.price.jsonNumber)),
            ("categories", .array([.int(category)])),
            ("brand_id", .int(0)),
            ("inventory_level", .int(product.inventory)),
            ("inventory_warning_level", .int(0)),
            ("inventory_tracking", .string("variant")),
            ("is_visible", .bool(true)),
            ("is_featured", .bool(false)),
            ("availability", .string("available")),
            ("condition", .string("New")),
            ("date_created", .string(created.isoUTCOffset)),
            ("date_modified", .string(ShopTime(2026, 11, 21, 11, 0).isoUTCOffset)),
            ("base_variant_id", .number(product.bigCommerceVariantID(0))),
            (
                "custom_url",
                .object([("url", .string("/\(product.handle)/")), ("is_customized", .bool(false))])
            ),
            ("variants", .array(variants)),
        ])
    }
}
