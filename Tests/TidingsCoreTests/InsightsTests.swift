import Foundation
import Testing

@testable import TidingsCore

@Suite("Insights and offers")
struct InsightsTests {
    let analyst = AbandonmentAnalyst()

    @Test("Shipping that is a large share of the subtotal is the hypothesis, with its figure as evidence")
    func shipping() {
        let cart = StageFixtures.cart([StageFixtures.item("lamp", price: "49.00")], shipping: "12.95")
        let found = analyst.hypotheses(
            cart: cart, profile: StageFixtures.profile(orders: [StageFixtures.order("o", ["sock"])]))
        #expect(found[0].kind == .shippingCost)
        #expect(found[0].evidence[0].contains("26%"))
    }

    @Test("A cart in another currency than the usual order is not compared with it")
    func priceAcrossCurrencies() throws {
        let orders = [
            StageFixtures.order("a", ["sock"], total: "40.00"), StageFixtures.order("b", ["liner"], total: "50.00"),
        ]
        var item = StageFixtures.item("tent", price: "349.00")
        item.price = try #require(Money(parsing: "349.00", currency: "EUR"))
        var cart = StageFixtures.cart([item])
        cart.currency = "EUR"
        cart.subtotal = item.price
        cart.total = item.price
        let found = analyst.hypotheses(cart: cart, profile: StageFixtures.profile(orders: orders))
        #expect(!found.contains { $0.kind == .priceAboveUsualSpend })
    }

    @Test("A cart far above the customer's usual order is a price hypothesis")
    func price() {
        let orders = [
            StageFixtures.order("a", ["sock"], total: "40.00"), StageFixtures.order("b", ["liner"], total: "50.00"),
        ]
        let cart = StageFixtures.cart([StageFixtures.item("tent", price: "349.00")])
        let found = analyst.hypotheses(cart: cart, profile: StageFixtures.profile(orders: orders))
        #expect(found[0].kind == .priceAboveUsualSpend)
        #expect(found[0].evidence[0].contains("$45.00"))
    }

    @Test("Two sizes of one product point to size uncertainty")
    func sizes() {
        let cart = StageFixtures.cart([
            StageFixtures.item("boot", variant: "US 9"), StageFixtures.item("boot", variant: "US 10"),
        ])
        let profile = StageFixtures.profile(orders: [StageFixtures.order("a", ["sock"], total: "300.00")])
        #expect(analyst.hypotheses(cart: cart, profile: profile).map(\.kind).contains(.sizeUncertainty))
    }

    @Test("A code that took nothing off is the strongest signal; a first purchase is noted too")
    func failedCode() {
        let cart = StageFixtures.cart(
            [StageFixtures.item("boot")], codes: [DiscountAttempt(code: "WINTER25", amount: .zero("USD"))])
        let found = analyst.hypotheses(cart: cart, profile: StageFixtures.profile())
        #expect(found[0].kind == .discountCodeFailed)
        #expect(found.map(\.kind).contains(.firstPurchaseHesitation))
    }

    @Test("Recommendations come from co-purchases, never in the cart, bought, out of stock or from cancelled orders")
    func recommendations() {
        let cart = StageFixtures.cart([StageFixtures.item("boot")])
        let profile = StageFixtures.profile(orders: [StageFixtures.order("mine", ["liner"])])
        let picks = Recommender(limit: 3).recommend(for: cart, profile: profile, catalog: StageFixtures.catalog).map(
            \.product.id)
        #expect(picks.first == "sock")
        #expect(!picks.contains("boot"))
        #expect(!picks.contains("liner"))
        #expect(!picks.contains("gone"))
        // boot and tent were only bought together in a cancelled order.
        #expect(!picks.contains("tent"))
        #expect(StageFixtures.catalog.coPurchases.counts["boot"]?["tent"] == nil)
    }

    @Test("Recommendations far above what the customer usually spends are left out")
    func priceCeiling() {
        // lamp and tent were bought together, but a $349 tent is no suggestion for a $49 lamp.
        let cart = StageFixtures.cart([StageFixtures.item("lamp", price: "49.00")])
        let thrifty = StageFixtures.profile(orders: [StageFixtures.order("a", ["liner"], total: "40.00")])
        let picks = Recommender().recommend(for: cart, profile: thrifty, catalog: StageFixtures.catalog).map(
            \.product.id)
        #expect(!picks.contains("tent"))
        #expect(picks.contains("boot") == false)
        let generous = StageFixtures.profile(orders: [StageFixtures.order("a", ["liner"], total: "200.00")])
        let more = Recommender().recommend(for: cart, profile: generous, catalog: StageFixtures.catalog).map(
            \.product.id)
        #expect(more.contains("tent"))
    }

    @Test("Offers follow the hypothesis and never exceed the tier's cap")
    func offers() {
        let policy = OfferPolicy(policy: ContentPolicy(discountCaps: ["new": 5, "vip": 20]))
        let cart = StageFixtures.cart([StageFixtures.item("tent", price: "349.00")])
        let first = AbandonmentHypothesis(kind: .firstPurchaseHesitation, strength: 60, evidence: [])
        let newCustomer = StageFixtures.profile()
        #expect(
            policy.offer(hypothesis: first, profile: newCustomer, cart: cart, eventID: "e", now: StageFixtures.now)?
                .percent == 5)
        let vip = StageFixtures.profile(tags: ["vip"])
        #expect(
            policy.offer(hypothesis: first, profile: vip, cart: cart, eventID: "e", now: StageFixtures.now)?.percent
                == 20)
        let sizing = AbandonmentHypothesis(kind: .sizeUncertainty, strength: 80, evidence: [])
        #expect(policy.offer(hypothesis: sizing, profile: vip, cart: cart, eventID: "e", now: StageFixtures.now) == nil)
        let uncapped = StageFixtures.profile(tier: "gold")
        #expect(
            policy.offer(hypothesis: first, profile: uncapped, cart: cart, eventID: "e", now: StageFixtures.now) == nil)
    }

    @Test("Profiles count only orders that were not cancelled and derive a tier")
    func profile() {
        let orders =
            (0..<5).map { StageFixtures.order("o\($0)", ["boot"], total: "100.00") }
            + [StageFixtures.order("x", ["tent"], total: "900.00", cancelled: true)]
        let profile = StageFixtures.profile(orders: orders)
        #expect(profile.orderCount == 5)
        #expect(profile.totalSpent.plainAmount == "500.00")
        #expect(profile.averageOrderValue?.plainAmount == "100.00")
        #expect(profile.tier == "loyal")
        #expect(profile.topCategories == ["Boots"])
        #expect(StageFixtures.profile(tags: ["vip"]).tier == "vip")
    }
}
