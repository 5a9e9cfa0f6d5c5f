import Foundation

/// The BigCommerce response shapes Tidings reads: V3 customers, carts and catalog, V2 orders
/// (see ../shared/specs/bigcommerce). Only the fields we use are declared; a missing
/// non-optional field fails decoding with its JSON path. V2 money is a decimal string, V3 money
/// a JSON number; both decode to `Decimal` without passing through `Double`.
package enum BigCommerceWire {
    /// A V3 `{"data": [...]}` list; `meta.pagination` when the endpoint pages.
    package struct List<Element: Decodable & Sendable>: Decodable, Sendable {
        /// `data[]`, the elements of this page.
        package var data: [Element]
        /// `meta`; absent or without pagination means this is the only page.
        package var meta: Meta?
    }

    /// A V3 `{"data": {...}}` single resource.
    package struct Single<Element: Decodable & Sendable>: Decodable, Sendable {
        /// `data`, the resource itself.
        package var data: Element
    }

    /// V3 `meta`.
    package struct Meta: Decodable, Sendable {
        /// `meta.pagination`; present on paged lists (not on a page asked for with `after`).
        package var pagination: Pagination?
        /// `meta.cursor_pagination` (`_metaCollectionWithCursorPagination` in customers.v3.yml):
        /// on the first page and on every page asked for with `before` or `after`.
        package var cursorPagination: CursorPagination?

        enum CodingKeys: String, CodingKey {
            case pagination
            case cursorPagination = "cursor_pagination"
        }
    }

    /// V3 `meta.cursor_pagination` (`CursorPagination`).
    package struct CursorPagination: Decodable, Sendable {
        /// `end_cursor`: the `after` of the next page.
        package var endCursor: String?
        /// `links`; `links.next` is present while another page follows.
        package var links: Links?

        enum CodingKeys: String, CodingKey {
            case links
            case endCursor = "end_cursor"
        }
    }

    /// `links` of a cursor page.
    package struct Links: Decodable, Sendable {
        /// `links.next` ("?limit=250&after=..."); absent on the last page.
        package var next: String?
    }

    /// V3 `meta.pagination`.
    package struct Pagination: Decodable, Sendable {
        /// `meta.pagination.current_page`, 1-based.
        package var currentPage: Int
        /// `meta.pagination.total_pages`; paging stops when `current_page` reaches it.
        package var totalPages: Int

        enum CodingKeys: String, CodingKey {
            case currentPage = "current_page"
            case totalPages = "total_pages"
        }
    }

    /// V3 `customer_Full`.
    package struct Customer: Decodable, Sendable {
        /// `id`, a JSON integer.
        package var id: Wire.ID
        /// `email`; the address to write to.
        package var email: String?
        /// `first_name`.
        package var firstName: String?
        /// `last_name`.
        package var lastName: String?
        /// `date_created`, ISO 8601 with offset.
        package var dateCreated: Wire.ISOTimestamp?
        /// The only marketing consent BigCommerce keeps on the customer.
        package var acceptsAbandonedCartEmails: Bool?

        enum CodingKeys: String, CodingKey {
            case id, email
            case firstName = "first_name"
            case lastName = "last_name"
            case dateCreated = "date_created"
            case acceptsAbandonedCartEmails = "accepts_product_review_abandoned_cart_emails"
        }
    }

    /// V2 `order_Resp` (an element of `GET /v2/orders`).
    package struct Order: Decodable, Sendable {
        /// `id`, a JSON integer.
        package var id: Wire.ID
        /// 0 for a guest order.
        package var customerID: Wire.ID
        /// `date_created`, RFC 2822 ("Wed, 10 Jan 2018 21:05:30 +0000").
        package var dateCreated: Wire.RFC2822Timestamp
        /// `date_modified`, RFC 2822; stands in for the cancellation time, which V2 does not record.
        package var dateModified: Wire.RFC2822Timestamp?
        /// 5 is Cancelled (see `/order_statuses`).
        package var statusID: Int
        /// `total_inc_tax`, a decimal string: what the customer paid, tax included.
        package var totalIncTax: Wire.DecimalString
        /// `currency_code`, ISO 4217 ("USD"); every amount of the order is in it.
        package var currencyCode: Wire.CurrencyCode
        /// `payment_status` ("captured", "refunded", "declined", ...); may be empty.
        package var paymentStatus: String?
        /// `refunded_amount`, a decimal string; absent in the list examples.
        package var refundedAmount: Wire.DecimalString?

        enum CodingKeys: String, CodingKey {
            case id
            case customerID = "customer_id"
            case dateCreated = "date_created"
            case dateModified = "date_modified"
            case statusID = "status_id"
            case totalIncTax = "total_inc_tax"
            case currencyCode = "currency_code"
            case paymentStatus = "payment_status"
            case refundedAmount = "refunded_amount"
        }
    }

    /// V2 `orderProducts` (an element of `GET /v2/orders/{id}/products`).
    package struct OrderProduct: Decodable, Sendable {
        /// `variant_id`, a JSON integer; absent for products without variants.
        package var variantID: Wire.ID?
        /// `product_options[]`: the chosen options ("Size": "M").
        package var productOptions: [ProductOption]?
        /// `product_id`, a JSON integer.
        package var productID: Wire.ID
        /// `name`, the product name at the time of the order.
        package var name: String
        /// `quantity`, units ordered.
        package var quantity: Int
        /// Unit price as entered in the control panel.
        package var basePrice: Wire.DecimalString
        /// `applied_discounts[]`; the codes used on the order are collected from every line.
        package var appliedDiscounts: [AppliedDiscount]?

        enum CodingKeys: String, CodingKey {
            case name, quantity
            case productID = "product_id"
            case basePrice = "base_price"
            case appliedDiscounts = "applied_discounts"
            case variantID = "variant_id"
            case productOptions = "product_options"
        }
    }

    /// `orderProducts.product_options[]`: one chosen option.
    package struct ProductOption: Decodable, Sendable {
        /// `display_value` ("M").
        package var displayValue: String?

        enum CodingKeys: String, CodingKey {
            case displayValue = "display_value"
        }
    }

    /// `orderProducts.applied_discounts[]`; `code` is null for manual and automatic discounts.
    package struct AppliedDiscount: Decodable, Sendable {
        /// `applied_discounts[].code`; null for manual and automatic discounts.
        package var code: String?
    }

    /// V3 `Cart_Full`.
    package struct Cart: Decodable, Sendable {
        /// `id`, the cart's UUID as a string.
        package var id: String
        /// 0 for a guest cart.
        package var customerID: Wire.ID?
        /// `currency`, an object holding the ISO 4217 code.
        package var currency: Currency
        /// `base_amount`, a JSON number: the items' total before discounts, shipping and tax.
        package var baseAmount: Decimal
        /// `cart_amount`, a JSON number: the total after discounts, tax included where the store charges it.
        package var cartAmount: Decimal
        /// `coupons[]`; absent when no coupon was applied.
        package var coupons: [Coupon]?
        /// `line_items`, grouped by kind.
        package var lineItems: LineItems
        /// `updated_time`, ISO 8601 with offset: the cart's last activity.
        package var updatedTime: Wire.ISOTimestamp

        enum CodingKeys: String, CodingKey {
            case id, currency, coupons
            case customerID = "customer_id"
            case baseAmount = "base_amount"
            case cartAmount = "cart_amount"
            case lineItems = "line_items"
            case updatedTime = "updated_time"
        }
    }

    /// `cart.currency`.
    package struct Currency: Decodable, Sendable {
        /// `currency.code`, ISO 4217, checked as it is decoded.
        package var code: Wire.CurrencyCode
    }

    /// `cart.coupons[]`.
    package struct Coupon: Decodable, Sendable {
        /// `coupons[].code`, as the customer entered it.
        package var code: String
        /// `coupons[].discounted_amount`, a JSON number; absent or 0 when the coupon took nothing off.
        package var discountedAmount: Decimal?

        enum CodingKeys: String, CodingKey {
            case code
            case discountedAmount = "discounted_amount"
        }
    }

    /// `cart.line_items`.
    package struct LineItems: Decodable, Sendable {
        /// `line_items.physical_items[]`; present, possibly empty.
        package var physicalItems: [CartItem]
        /// `line_items.digital_items[]`; absent in some responses.
        package var digitalItems: [CartItem]?

        enum CodingKeys: String, CodingKey {
            case physicalItems = "physical_items"
            case digitalItems = "digital_items"
        }
    }

    /// `ItemPhysicalGet` / `ItemDigitalGet`.
    package struct CartItem: Decodable, Sendable {
        /// `product_id`, a JSON integer.
        package var productID: Wire.ID
        /// `variant_id`; null when the item has no variant.
        package var variantID: Wire.ID?
        /// `name`, the product name as the cart shows it.
        package var name: String
        /// `quantity`, units in the cart.
        package var quantity: Int
        /// Unit price before discounts.
        package var listPrice: Decimal
        /// Present with `include=line_items.physical_items.options`.
        package var options: [Option]?

        enum CodingKeys: String, CodingKey {
            case name, quantity, options
            case productID = "product_id"
            case variantID = "variant_id"
            case listPrice = "list_price"
        }
    }

    /// `options[]` of a cart item ("Size": "M").
    package struct Option: Decodable, Sendable {
        /// `options[].name` ("Size"); may be absent.
        package var name: String?
        /// `options[].value` ("M"), joined with " / " as the variant title.
        package var value: String
    }

    /// V3 `Category` of `GET /v3/catalog/trees/categories`.
    package struct Category: Decodable, Sendable {
        /// `category_id`, the id `product.categories` refers to.
        package var categoryID: Int
        /// `name`, the category's display name, used as the product's category.
        package var name: String

        enum CodingKeys: String, CodingKey {
            case name
            case categoryID = "category_id"
        }
    }

    /// V3 `product_Full` with `include=variants`.
    package struct Product: Decodable, Sendable {
        /// `id`, a JSON integer.
        package var id: Wire.ID
        /// `name`, the product's title.
        package var name: String
        /// `price`, a JSON number in the store's currency.
        package var price: Decimal
        /// `categories[]`, category ids; the first one with a known name is the product's category.
        package var categories: [Int]
        /// `inventory_level`; the stock count unless `inventory_tracking` is "none" or "variant".
        package var inventoryLevel: Int
        /// none, product or variant.
        package var inventoryTracking: String?
        /// `is_visible`; false means unpublished, never recommended.
        package var isVisible: Bool
        /// `custom_url`; absent means the product lives at the storefront root.
        package var customURL: CustomURL?
        /// `variants[]`, present with `include=variants`; their levels count when tracking is by variant.
        package var variants: [Variant]?

        enum CodingKeys: String, CodingKey {
            case id, name, price, categories, variants
            case inventoryLevel = "inventory_level"
            case inventoryTracking = "inventory_tracking"
            case isVisible = "is_visible"
            case customURL = "custom_url"
        }
    }

    /// `product.custom_url`.
    package struct CustomURL: Decodable, Sendable {
        /// A storefront path ("/summit-softshell-jacket/").
        package var url: String
    }

    /// `product.variants[]`.
    package struct Variant: Decodable, Sendable {
        /// `variants[].inventory_level`.
        package var inventoryLevel: Int

        enum CodingKeys: String, CodingKey {
            case inventoryLevel = "inventory_level"
        }
    }
}

extension BigCommerceWire.Customer {
    /// The customer in our model. BigCommerce has no tags on the customer object; consent is
    /// `accepts_product_review_abandoned_cart_emails` (absent means unknown).
    package func record() -> CustomerRecord {
        let consent: MarketingConsent =
            switch acceptsAbandonedCartEmails {
            case true?: .subscribed
            case false?: .notSubscribed
            case nil: .unknown
            }
        return CustomerRecord(
            id: id.value, email: email, firstName: firstName, lastName: lastName, consent: consent, tags: [],
            createdAt: dateCreated?.date)
    }
}

extension BigCommerceWire.Order {
    /// The V2 status id of a cancelled order.
    package static let cancelledStatusID = 5
    /// V2 status 0: an order the checkout never completed. It fires store/order/created too.
    package static let incompleteStatusID = 0

    /// The order in our model, with its lines from `/v2/orders/{id}/products`. A cancelled order's
    /// `date_modified` stands in for the cancellation time, which V2 does not record.
    package func record(products: [BigCommerceWire.OrderProduct]) -> OrderRecord {
        var codes: [String] = []
        for product in products {
            for code in (product.appliedDiscounts ?? []).compactMap(\.code) where !codes.contains(code) {
                codes.append(code)
            }
        }
        let cancelled = statusID == BigCommerceWire.Order.cancelledStatusID
        return OrderRecord(
            id: id.value, customerID: customerID.value == "0" ? nil : customerID.value,
            createdAt: dateCreated.date, total: Money(totalIncTax.value, currencyCode.value),
            lines: products.map {
                OrderLine(
                    productID: $0.productID.value, title: $0.name, quantity: $0.quantity,
                    price: Money($0.basePrice.value, currencyCode.value))
            },
            cancelledAt: cancelled ? (dateModified ?? dateCreated).date : nil, discountCodes: codes,
            financialStatus: paymentStatus)
    }
}

extension BigCommerceWire.Order {
    /// The order as an order event needs it. V2 records no cancellation reason; the order flow
    /// infers one from the payment status and the status change.
    package func placedOrder(products: [BigCommerceWire.OrderProduct]) -> PlacedOrder {
        let record = record(products: products)
        let lines = products.map { product in
            let options = (product.productOptions ?? []).compactMap(\.displayValue).filter { !$0.isEmpty }
            return CartItem(
                productID: product.productID.value, variantID: product.variantID?.value, title: product.name,
                variantTitle: options.isEmpty ? nil : options.joined(separator: " / "),
                price: Money(product.basePrice.value, currencyCode.value), quantity: product.quantity, category: nil)
        }
        let subtotal = lines.reduce(Money.zero(currencyCode.value)) { $0 + $1.lineTotal }
        return PlacedOrder(
            id: id.value, name: "#\(id.value)", customerID: record.customerID, currency: currencyCode.value,
            lines: lines,
            subtotal: subtotal, total: record.total, shippingMethod: nil, discountCodes: record.discountCodes,
            createdAt: record.createdAt, financialStatus: paymentStatus,
            isComplete: statusID != BigCommerceWire.Order.incompleteStatusID, cancelledAt: record.cancelledAt,
            cancelReason: nil,
            refunded: Money(refundedAmount?.value ?? 0, currencyCode.value))
    }
}

extension BigCommerceWire.Cart {
    /// The cart in our model and its customer (nil for a guest).
    package func record() -> (cart: Cart, customerID: String?) {
        let code = currency.code.value
        let items = (lineItems.physicalItems + (lineItems.digitalItems ?? [])).map { item in
            let options = (item.options ?? []).map(\.value)
            return CartItem(
                productID: item.productID.value, variantID: item.variantID?.value, title: item.name,
                variantTitle: options.isEmpty ? nil : options.joined(separator: " / "),
                price: Money(item.listPrice, code), quantity: item.quantity, category: nil)
        }
        let cart = Cart(
            id: id, items: items, currency: code, subtotal: Money(baseAmount, code), shipping: nil,
            total: Money(cartAmount, code),
            discountCodes: (coupons ?? []).map {
                DiscountAttempt(code: $0.code, amount: Money($0.discountedAmount ?? 0, code))
            },
            recoveryURL: nil, completedAt: nil, abandonedAt: updatedTime.date)
        let customer = customerID.map(\.value)
        return (cart, customer == "0" ? nil : customer)
    }
}
