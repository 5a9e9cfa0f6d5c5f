import Foundation
import Testing

@testable import TidingsCore

@Suite struct WinBackPlannerTests {
    typealias F = WinBackFixtures

    private let catalog = Catalog(
        products: [
            "p-tent": Product(
                id: "p-tent", title: "Basecamp Tent", category: "Tents", price: Money(349, "USD"), inventory: 5,
                url: "https://northwind.example/products/tent", isActive: true),
            "p-tent2": Product(
                id: "p-tent2", title: "Ultralight Tent", category: "Tents", price: Money(399, "USD"), inventory: 5,
                url: "https://northwind.example/products/tent2", isActive: true),
            "p-boot": Product(
                id: "p-boot", title: "Trail Boot", category: "Boots", price: Money(179, "USD"), inventory: 5,
                url: "https://northwind.example/products/boot", isActive: true),
            "p-sock": Product(
                id: "p-sock", title: "Hiker Sock", category: "Socks", price: Money(22, "USD"), inventory: 0,
                url: "https://northwind.example/products/sock", isActive: true),
        ], coPurchases: CoPurchaseIndex())

    private func target(_ kind: ChurnReason.Kind, favourites: [String] = ["Tents"]) -> WinBackTarget {
        let orders = [F.order("1", daysAgo: 300, total: 349), F.order("2", daysAgo: 200, total: 349)]
        return WinBackTarget(
            customer: F.customer("c"), orders: orders,
            summary: CustomerSummary(id: "c", frequency: 1, recency: 14, age: 43),
            score: LifetimeScore(
                probabilityAlive: 0.3, expectedPurchases: 0.5, expectedOrderValue: 300, clv: 150, method: .model),
            reason: ChurnReason(kind: kind, evidence: []), usualGapDays: 100, daysSinceLastPurchase: 200,
            favouriteCategories: favourites)
    }

    @Test func aWornOutCategoryGetsPicksFromOtherCategories() {
        let worn = WinBackPlanner.recommendations(for: target(.categoryWornOut), catalog: catalog)
        #expect(worn.map(\.product.id) == ["p-boot"])  // not tents; the sock is out of stock
        let drifted = WinBackPlanner.recommendations(for: target(.drifted), catalog: catalog)
        #expect(drifted.map(\.product.id) == ["p-tent2"])  // a favourite-category product not bought yet
    }

    @Test("A pick bought as often with two past products names the same partner in every run (the lower id)")
    func tiedPartnersAreBrokenByID() {
        func product(_ id: String, _ category: String) -> Product {
            Product(
                id: id, title: "Title \(id)", category: category, price: Money(40, "USD"), inventory: 5,
                url: "https://northwind.example/products/\(id)", isActive: true)
        }
        let shopOrders = [
            F.order("s1", daysAgo: 10, total: 40, product: "p-a"),
            F.order("s2", daysAgo: 10, total: 40, product: "p-b"),
        ].map { order -> OrderRecord in
            var order = order
            order.lines.append(OrderLine(productID: "p-c", title: "Title p-c", quantity: 1, price: Money(40, "USD")))
            return order
        }
        let tied = Catalog(
            products: ["p-a": product("p-a", "Packs"), "p-b": product("p-b", "Packs"), "p-c": product("p-c", "Lamps")],
            coPurchases: CoPurchaseIndex(orders: shopOrders))
        var target = target(.drifted, favourites: [])
        target.orders = [
            F.order("1", daysAgo: 300, total: 40, product: "p-b"),
            F.order("2", daysAgo: 200, total: 40, product: "p-a"),
        ]
        // Sets of the same ids iterate in different orders across instances and processes; the
        // answer must not follow them.
        for _ in 0..<50 {
            let picks = WinBackPlanner.recommendations(for: target, catalog: tied)
            #expect(picks.map(\.because) == ["often bought with the Product p-a"])
        }
    }

    @Test func theOfferFollowsTheReasonWithinTheTiersCap() {
        let offers = OfferPolicy(policy: ContentPolicy(discountCaps: ["new": 0, "regular": 10, "vip": 20]))
        let now = F.now
        let discount = WinBackPlanner.offer(
            for: target(.discountOnly), tier: "regular", policy: offers, eventID: "e", now: now)
        #expect(discount?.kind == .percentOff && discount?.percent == 10)
        let vip = WinBackPlanner.offer(for: target(.discountOnly), tier: "vip", policy: offers, eventID: "e", now: now)
        #expect(vip?.percent == 15)
        #expect(
            WinBackPlanner.offer(for: target(.oneTimeBuyer), tier: "new", policy: offers, eventID: "e", now: now) == nil
        )
        let cancelled = WinBackPlanner.offer(
            for: target(.lastOrderCancelled), tier: "regular", policy: offers, eventID: "e", now: now)
        #expect(cancelled?.kind == .freeShipping)
        #expect(WinBackPlanner.offer(for: target(.drifted), tier: "vip", policy: offers, eventID: "e", now: now) == nil)
    }

    @Test func theOfflineCopyNamesPastPurchasesAndFollowsTheReason() throws {
        let profile = ProfileBuilder().build(
            reference: CustomerReference(id: "c", email: "a@mail.example.com", firstName: "Ava"),
            record: F.customer("c"), orders: target(.drifted).orders, catalog: catalog, currency: "USD")
        for kind in ChurnReason.Kind.allCases {
            let context = PromptContext(
                eventID: "e-\(kind.rawValue)", brand: .northwind, profile: profile, target: target(kind),
                catalog: catalog, recommendations: [], offer: nil, subjectMaxLength: 60, now: F.now)
            #expect(context.winBack?.pastPurchases == ["Product p-tent"])
            #expect(context.winBack?.churnReason == kind.rawValue)
            let draft = OfflineCopywriter().write(context)
            let text = draft.blocks.map(\.text).joined(separator: " ") + " " + draft.subjects.joined(separator: " ")
            #expect(text.contains("Product p-tent"), "\(kind): \(text)")
            #expect(draft.subjects.count >= 3 && draft.subjects.allSatisfy { $0.count <= 60 })
            let prompt = try PromptLibrary().prompt("win_back", context: context)
            #expect(prompt.reference == "win_back@1")
            #expect(!prompt.user.contains("a@mail.example.com") && !prompt.user.contains("Lind"))
        }
    }
}
