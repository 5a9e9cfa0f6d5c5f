import Foundation
import Testing

@testable import TidingsCore

@Suite struct ChurnAnalystTests {
    typealias F = WinBackFixtures
    let analyst = ChurnAnalyst()

    @Test func lastOrderCancelledOrRefundedComesFirst() {
        let cancelled = [F.order("1", daysAgo: 200, total: 80), F.order("2", daysAgo: 150, total: 60, cancelled: true)]
        #expect(analyst.reason(orders: cancelled, categories: F.categories).kind == .lastOrderCancelled)
        let refunded = [
            F.order("1", daysAgo: 200, total: 80), F.order("2", daysAgo: 150, total: 60, status: "refunded"),
        ]
        let reason = analyst.reason(orders: refunded, categories: F.categories)
        #expect(reason.kind == .lastOrderCancelled)
        #expect(reason.evidence == ["their last order was refunded"])
    }

    @Test func eachRuleFiresOnItsOwnHistory() {
        #expect(
            analyst.reason(orders: [F.order("1", daysAgo: 200, total: 80)], categories: F.categories).kind
                == .oneTimeBuyer)
        var discounted: [OrderRecord] = []
        for index in 0..<4 {
            let product = index % 2 == 0 ? "p-boot" : "p-sock"
            let daysAgo = Double(300 - index * 40)
            discounted.append(F.order("\(index)", daysAgo: daysAgo, total: 50, product: product, codes: ["SAVE15"]))
        }
        #expect(analyst.reason(orders: discounted, categories: F.categories).kind == .discountOnly)
        let falling = [
            F.order("1", daysAgo: 300, total: 120, product: "p-boot"), F.order("2", daysAgo: 250, total: 90),
            F.order("3", daysAgo: 200, total: 40, product: "p-sock"),
        ]
        let reason = analyst.reason(orders: falling, categories: F.categories)
        #expect(reason.kind == .fallingOrderValues)
        #expect(reason.evidence == ["each of the last three orders was smaller, 66% down overall"])
        let tents = [F.order("1", daysAgo: 300, total: 100), F.order("2", daysAgo: 200, total: 150)]
        #expect(analyst.reason(orders: tents, categories: F.categories).kind == .categoryWornOut)
        let mixed = [F.order("1", daysAgo: 300, total: 100), F.order("2", daysAgo: 200, total: 150, product: "p-boot")]
        #expect(analyst.reason(orders: mixed, categories: F.categories).kind == .drifted)
    }

    @Test func hintsPreferAReasonTheHistorySupports() {
        // Both rules fire; the hint picks the second. An unsupported hint still wins over "drifted".
        let orders = [
            F.order("1", daysAgo: 300, total: 100, codes: ["X"]), F.order("2", daysAgo: 200, total: 150, codes: ["Y"]),
        ]
        #expect(analyst.reason(orders: orders, categories: F.categories).kind == .discountOnly)
        #expect(
            analyst.reason(orders: orders, categories: F.categories, hints: [.categoryWornOut]).kind == .categoryWornOut
        )
        let mixed = [F.order("1", daysAgo: 300, total: 100), F.order("2", daysAgo: 200, total: 150, product: "p-boot")]
        let hinted = analyst.reason(orders: mixed, categories: F.categories, hints: [.fallingOrderValues])
        #expect(hinted.kind == .fallingOrderValues)
        #expect(hinted.evidence == ["named by the lapse event"])
    }
}
