import TidingsCore

extension GeneratedShop {
    /// A fixed customer and their orders, as the event fixtures expect them.
    struct Persona {
        var customer: ShopCustomer
        var orders: [(at: ShopTime, lines: [ShopLine], discount: (code: String, percent: Int)?)]
    }

    /// A line of a persona's order: 1-based product position, variant index, quantity.
    static func line(_ position: Int, _ variant: Int = 0, _ quantity: Int = 1) -> ShopLine {
        ShopLine(product: position - 1, variant: variant, quantity: quantity)
    }

    static func shopify(
        _ id: Int, _ first: String, _ last: String, _ consent: String, tags: String = "", created: ShopTime
    ) -> ShopCustomer {
        ShopCustomer(
            shopifyID: String(id), bigCommerceID: nil, firstName: first, lastName: last,
            email: "\(first).\(last)@mail.example.com".lowercased(), created: created, consent: consent,
            tags: tags,
            isPersona: true)
    }

    static func bigCommerce(_ id: Int, _ first: String, _ last: String, accepts: Bool, created: ShopTime)
        -> ShopCustomer
    {
        ShopCustomer(
            shopifyID: nil, bigCommerceID: String(id), firstName: first, lastName: last,
            email: "\(first).\(last)@mail.example.com".lowercased(), created: created,
            consent: accepts ? "subscribed" : "not_subscribed", tags: "", isPersona: true)
    }

    /// The fixed personas: Shopify 6100000001-7, BigCommerce 11 and 12.
    static let personas: [Persona] = [
        Persona(
            customer: shopify(
                6_100_000_001, "Maya", "Okafor", "subscribed", created: ShopTime(2026, 11, 1, 14, 3)),
            orders: []),
        Persona(
            customer: shopify(
                6_100_000_002, "Jonas", "Lindqvist", "subscribed", tags: "VIP, newsletter",
                created: ShopTime(2024, 10, 2, 18, 20)),
            orders: [
                (ShopTime(2024, 10, 12, 16, 4), [line(3, 1), line(13, 1)], ("WELCOME10", 10)),
                (ShopTime(2024, 11, 28, 14, 41), [line(9, 1), line(11, 1)], nil),
                (ShopTime(2025, 1, 15, 20, 12), [line(2, 1)], nil),
                (ShopTime(2025, 2, 20, 13, 55), [line(10, 1), line(31, 1)], nil),
                (ShopTime(2025, 4, 5, 15, 30), [line(4, 1), line(12, 1)], nil),
                (ShopTime(2025, 5, 18, 17, 2), [line(5, 3), line(13, 1)], nil),
                (ShopTime(2025, 6, 30, 19, 45), [line(12, 1, 2), line(9, 1)], nil),
                (ShopTime(2025, 8, 22, 12, 10), [line(1, 1)], nil),
                (ShopTime(2025, 9, 14, 21, 33), [line(36, 1), line(9, 2)], nil),
                (ShopTime(2025, 10, 25, 16, 18), [line(10, 1), line(11, 1)], nil),
                (ShopTime(2025, 12, 6, 15, 0), [line(29, 1), line(36, 1), line(15, 1)], nil),
                (ShopTime(2026, 2, 14, 18, 27), [line(3, 2)], nil),
                (ShopTime(2026, 5, 9, 14, 6), [line(4, 1), line(12, 1)], nil),
                (ShopTime(2026, 10, 3, 17, 52), [line(1, 1)], nil),
            ]),
        Persona(
            customer: shopify(
                6_100_000_003, "Priya", "Raman", "subscribed", created: ShopTime(2025, 3, 2, 11, 15)),
            orders: [
                (ShopTime(2025, 3, 10, 22, 5), [line(12, 0)], nil),
                (ShopTime(2025, 7, 19, 13, 40), [line(23), line(16, 0)], nil),
                (ShopTime(2026, 4, 2, 16, 25), [line(33), line(14, 0)], nil),
            ]),
        Persona(
            customer: shopify(
                6_100_000_004, "Tom", "Becker", "not_subscribed", created: ShopTime(2025, 8, 30, 9, 12)),
            orders: [
                (ShopTime(2025, 9, 2, 18, 44), [line(7, 3), line(14, 1)], nil),
                (ShopTime(2026, 6, 11, 15, 9), [line(26, 1), line(32)], nil),
            ]),
        Persona(
            customer: shopify(
                6_100_000_005, "Elena", "Rossi", "subscribed", created: ShopTime(2025, 1, 10, 10, 0)),
            orders: [
                (ShopTime(2025, 1, 22, 19, 18), [line(9, 0), line(13, 0)], nil),
                (ShopTime(2025, 6, 14, 14, 50), [line(17), line(21, 0), line(23)], nil),
                (ShopTime(2026, 3, 3, 20, 36), [line(32), line(33)], nil),
                // She converted on 2026-11-20 after abandoning this cart at 09:30 that morning.
                (ShopTime(2026, 11, 20, 15, 12), [line(3, 0), line(11, 0)], nil),
            ]),
        Persona(
            customer: shopify(
                6_100_000_006, "Sam", "Whitfield", "subscribed", created: ShopTime(2024, 11, 29, 8, 30)),
            orders: [
                (ShopTime(2024, 12, 1, 15, 22), [line(5, 4), line(13, 1)], ("WELCOME10", 10)),
                (ShopTime(2025, 4, 12, 13, 14), [line(27), line(32)], ("SPRING15", 15)),
                (ShopTime(2025, 8, 8, 18, 3), [line(23)], nil),
                (ShopTime(2025, 11, 28, 16, 47), [line(29, 2), line(15, 1)], ("TRAIL20", 20)),
                (ShopTime(2026, 5, 1, 17, 31), [line(17), line(20, 1)], ("SPRING15", 15)),
            ]),
        Persona(
            customer: shopify(
                6_100_000_007, "Lena", "Hoffmann", "subscribed", created: ShopTime(2025, 1, 28, 12, 0)),
            orders: [
                (ShopTime(2025, 2, 3, 19, 26), [line(13, 0), line(16, 0)], nil),
                (ShopTime(2025, 5, 27, 14, 58), [line(32)], nil),
                (ShopTime(2025, 9, 9, 17, 20), [line(25), line(13, 0)], nil),
                (ShopTime(2026, 1, 17, 21, 2), [line(15, 0)], nil),
                (ShopTime(2026, 6, 21, 15, 43), [line(33)], nil),
                (ShopTime(2026, 9, 30, 13, 11), [line(23)], nil),
            ]),
        Persona(
            customer: bigCommerce(11, "Ava", "Moreno", accepts: true, created: ShopTime(2025, 4, 20, 16, 0)),
            orders: [
                (ShopTime(2025, 5, 3, 18, 25), [line(5, 1), line(13, 0)], nil),
                (ShopTime(2025, 10, 18, 15, 7), [line(17), line(23)], nil),
                (ShopTime(2026, 8, 9, 19, 40), [line(27)], nil),
            ]),
        Persona(
            customer: bigCommerce(12, "Noah", "Kim", accepts: false, created: ShopTime(2026, 2, 1, 10, 30)),
            orders: [
                (ShopTime(2026, 2, 11, 20, 15), [line(3, 2)], nil)
            ]),
    ]

    /// The carts thin BigCommerce abandoned-cart webhooks refer to.
    static let bigCommerceCarts: [ShopCart] = [
        // Ava: the softshell in two sizes (she was unsure which fits) and two pairs of socks.
        ShopCart(
            id: "5f1c0d7e-2a4b-4c1e-9b1a-7d3e2f4a6b01", customer: 7,
            lines: [line(3, 1), line(3, 2), line(13, 0, 2)], createdAt: ShopTime(2026, 11, 21, 14, 5),
            updatedAt: ShopTime(2026, 11, 21, 14, 42, 10)),
        ShopCart(
            id: "5f1c0d7e-2a4b-4c1e-9b1a-7d3e2f4a6b02", customer: 8, lines: [line(26, 0)],
            createdAt: ShopTime(2026, 11, 21, 15, 48), updatedAt: ShopTime(2026, 11, 21, 16, 20, 33)),
    ]
}
