import Foundation
import TidingsCore

/// The recorded shop as platform-neutral data, before `RecordedShopGenerator` renders it per
/// platform. Its identity (shop handle, store hash, storefront) is `RecordedShop`'s, in TidingsCore.
package struct GeneratedShop: Sendable {
    /// The first instant orders are generated for.
    package static let firstOrderDay = ShopTime(2024, 9, 1)
    /// The last instant orders are generated for: the end of 2026-11-21 UTC.
    package static let lastOrderDay = ShopTime(2026, 11, 21, 23, 59, 59)

    /// The catalog, in position order; lines refer to products by index.
    package var products: [ShopProduct]
    /// Personas first, then random customers; orders refer to customers by index.
    package var customers: [ShopCustomer]
    /// All orders of both platforms, oldest first.
    package var orders: [ShopOrder]
    /// The BigCommerce carts that thin webhooks refer to.
    package var carts: [ShopCart]

    /// Orders on one platform, oldest first.
    package func orders(on platform: ShopPlatform) -> [ShopOrder] {
        orders.filter { customers[$0.customer].isOn(platform) }
    }

    /// Where the derived co-purchase index of a generator platform lives, relative to the root.
    package static func coPurchasesPath(_ platform: ShopPlatform) -> String {
        RecordedShop.coPurchasesFile(platform == .shopify ? .shopify : .bigcommerce)
    }

    /// The co-purchase index over a platform's orders, as `tidings shop index` would build it
    /// from the API (cancelled orders never count).
    package func coPurchases(on platform: ShopPlatform) -> String {
        var index = CoPurchaseIndex()
        for order in orders(on: platform) where !order.cancelled {
            index.add(
                productIDs: order.lines.map {
                    platform == .shopify ? products[$0.product].shopifyID : products[$0.product].bigCommerceID
                })
        }
        return String(decoding: index.encoded(), as: UTF8.self)
    }
}

/// Which platform a customer or order lives on.
package enum ShopPlatform: Sendable {
    case shopify, bigCommerce
}

/// A product of the catalog, the same on both platforms.
package struct ShopProduct: Sendable {
    /// 1-based position; Shopify id 7400000000 + position, BigCommerce id 100 + position.
    package var position: Int
    /// The product's title, the same on both platforms.
    package var title: String
    /// The category name (Shopify `product_type`, a BigCommerce category).
    package var category: String
    /// The list price in USD cents.
    package var price: Cents
    /// "Size" or "Title" (Shopify's name for a product without options).
    package var optionName: String
    /// The option values with each variant's stock, in variant order.
    package var variants: [(title: String, inventory: Int)]

    /// The Shopify product id, 7400000000 + position.
    package var shopifyID: String { String(7_400_000_000 + position) }
    /// The BigCommerce product id, 100 + position.
    package var bigCommerceID: String { String(100 + position) }
    /// The Shopify variant id of the 0-based variant `index`.
    package func shopifyVariantID(_ index: Int) -> String {
        String(4_900_000_000 + position * 10 + index + 1)
    }
    /// The BigCommerce variant id of the 0-based variant `index`.
    package func bigCommerceVariantID(_ index: Int) -> String { String(1_000 + position * 10 + index + 1) }
    /// The URL slug: the title lower-cased, runs of other characters turned into one "-".
    package var handle: String {
        var handle = ""
        for scalar in title.lowercased().unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                handle.unicodeScalars.append(scalar)
            } else if !handle.hasSuffix("-") {
                handle += "-"
            }
        }
        while handle.hasSuffix("-") { handle.removeLast() }
        return handle
    }
    /// Units in stock across all variants.
    package var inventory: Int { variants.reduce(0) { $0 + $1.inventory } }
    /// "NW-<category initials>-<100 + position>", the same on both platforms.
    package var sku: String {
        let words = category.split(separator: " ").map { String($0.prefix(2)).uppercased() }.joined()
        return "NW-\(words)-\(100 + position)"
    }
}

/// A customer on one platform or both.
package struct ShopCustomer: Sendable {
    /// The Shopify customer id; nil when the customer is not on Shopify.
    package var shopifyID: String?
    /// The BigCommerce customer id; nil when the customer is not on BigCommerce.
    package var bigCommerceID: String?
    /// Given name.
    package var firstName: String
    /// Family name.
    package var lastName: String
    /// The email address, always at `mail.example.com`, a reserved domain.
    package var email: String
    /// When the customer record was created.
    package var createdAt: ShopTime
    /// Shopify `email_marketing_consent.state`; BigCommerce accepts emails when "subscribed".
    package var consent: String
    /// Shopify's comma-separated tags.
    package var tags: String
    /// Random customers have no fixed facts to report.
    package var isPersona: Bool

    /// Whether the customer has an id on `platform`.
    package func isOn(_ platform: ShopPlatform) -> Bool {
        platform == .shopify ? shopifyID != nil : bigCommerceID != nil
    }
}

/// One line of an order or cart: product and variant positions, quantity.
package struct ShopLine: Sendable {
    /// Index into `GeneratedShop.products`.
    package var product: Int
    /// 0-based index into the product's `variants`.
    package var variant: Int
    /// Units of the line, at least 1.
    package var quantity: Int
}

/// An order, with its money worked out in cents.
package struct ShopOrder: Sendable {
    /// Index into `GeneratedShop.customers`.
    package var customer: Int
    /// When the order was placed.
    package var createdAt: ShopTime
    /// The order's lines, in the order they are rendered.
    package var lines: [ShopLine]
    /// A percentage discount code.
    package var discount: (code: String, percent: Int)?
    /// Whether the order was cancelled; cancelled orders never count towards co-purchases.
    package var cancelled: Bool
    /// "paid", "refunded", "partially_refunded" or "voided" (cancelled).
    package var financialStatus: String

    /// Unit price times quantity, before the discount.
    package func lineTotal(_ line: ShopLine, _ products: [ShopProduct]) -> Cents {
        products[line.product].price * line.quantity
    }
    /// What the order's percentage discount takes off this line, rounded half up to the cent.
    package func lineDiscount(_ line: ShopLine, _ products: [ShopProduct]) -> Cents {
        discount.map { lineTotal(line, products).percent($0.percent) } ?? .zero
    }
    /// The lines' total before discounts and shipping.
    package func subtotal(_ products: [ShopProduct]) -> Cents {
        lines.reduce(.zero) { $0 + lineTotal($1, products) }
    }
    /// What the discount takes off all lines.
    package func discountTotal(_ products: [ShopProduct]) -> Cents {
        lines.reduce(.zero) { $0 + lineDiscount($1, products) }
    }
    /// Free shipping from $75 after discounts, else $6.95.
    package func shipping(_ products: [ShopProduct]) -> Cents {
        subtotal(products) - discountTotal(products) >= Cents(7_500) ? .zero : Cents(695)
    }
    /// What the customer paid: lines, less discounts, plus shipping (no sales tax in this shop).
    package func total(_ products: [ShopProduct]) -> Cents {
        subtotal(products) - discountTotal(products) + shipping(products)
    }
}

/// A BigCommerce cart that a thin abandoned-cart webhook refers to.
package struct ShopCart: Sendable {
    /// The cart's UUID, as BigCommerce V3 writes it.
    package var id: String
    /// Index into `GeneratedShop.customers`.
    package var customer: Int
    /// The cart's lines.
    package var lines: [ShopLine]
    /// When the cart was created.
    package var createdAt: ShopTime
    /// The cart's last activity: `updated_time`, when it was abandoned.
    package var updatedAt: ShopTime
}
