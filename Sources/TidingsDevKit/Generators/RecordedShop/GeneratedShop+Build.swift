import TidingsCore

extension GeneratedShop {
    static let apparel = ["S", "M", "L", "XL"]
    static let bootSizes = ["US 7", "US 8", "US 9", "US 10", "US 11", "US 12"]
    static let sockSizes = ["S/M", "L/XL"]
    static let gloveSizes = ["S", "M", "L"]
    static let packSizes = ["S/M", "M/L"]
    static let bagLengths = ["Regular", "Long"]
    static let single = ["Default Title"]

    /// The catalog in id order: (title, category, price in cents, sizes). Fixtures rely on
    /// position 3 being a jacket and 11 a base layer.
    static let catalog: [(String, String, Int, [String])] = [
        ("Ridgeline Shell Jacket", "Jackets", 22_900, apparel),
        ("Cascade Down Parka", "Jackets", 28_900, apparel),
        ("Summit Softshell Jacket", "Jackets", 16_900, apparel),
        ("Drizzle Packable Rain Jacket", "Jackets", 11_900, apparel),
        ("Trailblazer Mid Waterproof Boot", "Boots", 17_900, bootSizes),
        ("Alpine Pro Mountaineering Boot", "Boots", 28_900, bootSizes),
        ("Canyon Low Hiking Shoe", "Boots", 12_900, bootSizes),
        ("Ember Insulated Winter Boot", "Boots", 19_900, bootSizes),
        ("Merino 150 Crew Top", "Base Layers", 7_900, apparel),
        ("Merino 250 Zip Neck", "Base Layers", 9_900, apparel),
        ("Merino 200 Leggings", "Base Layers", 8_500, apparel),
        ("Synthetic Trail Tee", "Base Layers", 3_900, apparel),
        ("Merino Hiker Sock", "Socks", 2_200, sockSizes),
        ("Lightweight Trail Sock 3-Pack", "Socks", 3_400, sockSizes),
        ("Expedition Wool Sock", "Socks", 2_800, sockSizes),
        ("Liner Sock 2-Pack", "Socks", 1_800, sockSizes),
        ("Basecamp 2 Backpacking Tent", "Tents", 34_900, single),
        ("Ultralight 1P Tent", "Tents", 39_900, single),
        ("Family Dome 4 Tent", "Tents", 45_900, single),
        ("Nightfall 20°F Down Sleeping Bag", "Sleeping Bags", 27_900, bagLengths),
        ("Meadow 35°F Synthetic Sleeping Bag", "Sleeping Bags", 12_900, bagLengths),
        ("Silk Sleeping Bag Liner", "Sleeping Bags", 5_900, single),
        ("Beacon 400 Headlamp", "Headlamps", 4_900, single),
        ("Beacon 800 Rechargeable Headlamp", "Headlamps", 7_900, single),
        ("Firefly Kids Headlamp", "Headlamps", 2_400, single),
        ("Ridgeline 45L Backpack", "Backpacks", 21_900, packSizes),
        ("Daybreak 22L Daypack", "Backpacks", 9_900, single),
        ("Summit 65L Expedition Pack", "Backpacks", 29_900, packSizes),
        ("Windstopper Fleece Gloves", "Gloves", 4_500, gloveSizes),
        ("Alpine Insulated Mittens", "Gloves", 6_900, gloveSizes),
        ("Touchscreen Liner Gloves", "Gloves", 2_500, gloveSizes),
        ("Insulated Steel Bottle 32oz", "Water Bottles", 3_800, single),
        ("Collapsible Soft Flask 500ml", "Water Bottles", 2_400, single),
        ("Filter Bottle 1L", "Water Bottles", 4_500, single),
        ("Trail Hydration Reservoir 2L", "Water Bottles", 3_600, single),
        ("Thermal Fleece Hoodie", "Jackets", 8_900, apparel),
    ]

    /// Positions sold out on every variant.
    static let outOfStock: Set<Int> = [8, 18, 30, 34]

    /// Categories in the order the storefront lists them; BigCommerce category id 23 + index.
    static let categories = [
        "Jackets", "Boots", "Base Layers", "Socks", "Tents", "Sleeping Bags", "Headlamps", "Backpacks",
        "Gloves",
        "Water Bottles",
    ]

    /// What sells with what: for an anchor category, the categories added to the basket and the
    /// chance (percent) of each. This is the co-purchase structure recommendations learn.
    static let companions: [String: [(String, Int)]] = [
        "Boots": [("Socks", 75), ("Socks", 20)],
        "Tents": [("Sleeping Bags", 60), ("Headlamps", 50), ("Water Bottles", 15)],
        "Sleeping Bags": [("Headlamps", 35), ("Tents", 15)],
        "Jackets": [("Base Layers", 45), ("Gloves", 25)],
        "Base Layers": [("Socks", 40), ("Base Layers", 20)],
        "Backpacks": [("Water Bottles", 55), ("Headlamps", 25)],
        "Headlamps": [("Water Bottles", 15)],
        "Socks": [("Socks", 30)],
        "Gloves": [("Base Layers", 20)],
        "Water Bottles": [("Socks", 15)],
    ]

    static let firstNames = [
        "Olivia", "Liam", "Emma", "Noah", "Ava", "Lucas", "Mia", "Ethan", "Sofia", "Mateo", "Chloe", "Arjun",
        "Hannah", "Kenji", "Zoe", "Diego", "Grace", "Omar", "Isla", "Felix", "Nora", "Tariq", "Ruby",
        "Henrik",
        "Leah", "Samuel", "Amara", "Theo", "Ingrid", "Marco",
    ]
    static let lastNames = [
        "Nguyen", "Garcia", "Smith", "Patel", "Johansson", "Müller", "Brown", "Kowalski", "Silva", "Tanaka",
        "O'Brien", "Haddad", "Novak", "Larsen", "Moreau", "Fischer", "Adeyemi", "Walsh", "Costa", "Ito",
        "Schmidt", "Dubois", "Reyes", "Murphy", "Kaur", "Berg", "Rossi", "Jensen", "Clarke", "Yilmaz",
    ]

    static func buildProducts(_ random: inout SplitMix64) -> [ShopProduct] {
        catalog.enumerated().map { index, entry in
            let position = index + 1
            let variants = entry.3.map { size -> (String, Int) in
                outOfStock.contains(position) ? (size, 0) : (size, random.int(in: 2...40))
            }
            return ShopProduct(
                position: position, title: entry.0, category: entry.1, price: Cents(entry.2),
                optionName: entry.3 == single ? "Title" : "Size", variants: variants)
        }
    }

    /// Builds the whole shop from the seed.
    package static func build(seed: UInt64, randomCustomers: Int) -> GeneratedShop {
        var random = SplitMix64(seed: seed)
        let products = buildProducts(&random)
        var customers: [ShopCustomer] = []
        var orders: [ShopOrder] = []
        for persona in personas {
            let index = customers.count
            customers.append(persona.customer)
            for order in persona.orders {
                orders.append(
                    ShopOrder(
                        customer: index, createdAt: order.at, lines: order.lines, discount: order.discount,
                        cancelled: false, financialStatus: "paid"))
            }
        }
        for number in 0..<randomCustomers {
            let (customer, customerOrders) = randomCustomer(number, products: products, random: &random)
            let index = customers.count
            customers.append(customer)
            orders += customerOrders.map { order in
                var order = order
                order.customer = index
                return order
            }
        }
        orders.sort { ($0.createdAt, $0.customer) < ($1.createdAt, $1.customer) }
        return GeneratedShop(products: products, customers: customers, orders: orders, carts: bigCommerceCarts)
    }

    static func randomCustomer(_ number: Int, products: [ShopProduct], random: inout SplitMix64)
        -> (ShopCustomer, [ShopOrder])
    {
        let first = random.pick(firstNames)
        let last = random.pick(lastNames)
        let local = (first + "." + last).lowercased().filter { $0.isASCII && ($0.isLetter || $0 == ".") }
        let consent = random.pick(
            Array(repeating: "subscribed", count: 14) + Array(repeating: "not_subscribed", count: 4)
                + ["unsubscribed", "pending"])
        let tags = random.pick([
            "", "", "", "", "", "newsletter", "newsletter", "hiking-club", "VIP, newsletter", "wholesale",
        ])
        let favourites = [random.pick(categories), random.pick(categories)]
        let count = random.pick([1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 6, 8])
        let span = GeneratedShop.lastOrderDay.seconds - GeneratedShop.firstOrderDay.seconds
        var at = GeneratedShop.firstOrderDay.adding(random.int(in: 0...(span * 9 / 10)))
        let created = at.adding(-random.int(in: 0...(90 * 86_400)))
        var orders: [ShopOrder] = []
        for index in 0..<count where at < GeneratedShop.lastOrderDay {
            let anchor = random.chance(70) ? random.pick(favourites) : random.pick(categories)
            var lines = [randomLine(in: anchor, products: products, random: &random)]
            for (category, percent) in companions[anchor] ?? [] where random.chance(percent) {
                let line = randomLine(in: category, products: products, random: &random)
                if !lines.contains(where: { $0.product == line.product }) { lines.append(line) }
            }
            if random.chance(10) {
                let line = randomLine(
                    in: random.pick(["Socks", "Water Bottles"]), products: products, random: &random)
                if !lines.contains(where: { $0.product == line.product }) { lines.append(line) }
            }
            var discount: (String, Int)? = nil
            if index == 0 && consent == "subscribed" && random.chance(30) {
                discount = ("WELCOME10", 10)
            } else if random.chance(12) {
                discount = random.pick([("SPRING15", 15), ("TRAIL20", 20), ("SUMMIT25", 25)])
            }
            let cancelled = random.chance(5)
            let status =
                cancelled
                ? "voided" : random.chance(3) ? "refunded" : random.chance(3) ? "partially_refunded" : "paid"
            orders.append(
                ShopOrder(
                    customer: 0, createdAt: at.adding(random.int(in: 11 * 3_600...(23 * 3_600))),
                    lines: lines,
                    discount: discount, cancelled: cancelled, financialStatus: status))
            at = at.adding(random.int(in: 20...200) * 86_400)
        }
        let customer = ShopCustomer(
            shopifyID: String(6_100_000_101 + number), bigCommerceID: String(13 + number), firstName: first,
            lastName: last,
            email: "\(local)+\(number + 101)@mail.example.com", created: created, consent: consent, tags: tags
        )
        return (customer, orders)
    }

    static func randomLine(in category: String, products: [ShopProduct], random: inout SplitMix64) -> ShopLine {
        let candidates = products.indices.filter { products[$0].category == category }
        let product = random.pick(candidates)
        let quantity = category == "Socks" ? random.int(in: 1...3) : random.chance(5) ? 2 : 1
        return ShopLine(
            product: product, variant: random.int(in: 0...(products[product].variants.count - 1)),
            quantity: quantity)
    }
}

extension ShopCustomer {
    init(
        shopifyID: String?, bigCommerceID: String?, firstName: String, lastName: String, email: String,
        created: ShopTime, consent: String, tags: String, isPersona: Bool = false
    ) {
        self.init(
            shopifyID: shopifyID, bigCommerceID: bigCommerceID, firstName: firstName, lastName: lastName,
            email: email, createdAt: created, consent: consent, tags: tags, isPersona: isPersona)
    }
}
