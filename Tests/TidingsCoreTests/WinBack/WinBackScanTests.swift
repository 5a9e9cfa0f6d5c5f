import Foundation
import Synchronization
import Testing

@testable import TidingsCore

@Suite struct TokenBucketTests {
    @Test func spacesRequestsAtTheRateAfterTheBurst() async throws {
        let clock = ManualClock()
        let bucket = TokenBucket(rate: 4, burst: 2, clock: clock) { clock.advance($0) }
        for _ in 0..<6 { try await bucket.acquire() }
        // Two from the burst, then one every 0.25 s.
        #expect(clock.sleeps == [0.25, 0.25, 0.25, 0.25])
        clock.advance(10)  // an idle spell refills only up to the burst
        for _ in 0..<3 { try await bucket.acquire() }
        #expect(clock.sleeps.suffix(1) == [0.25])
    }
}

@Suite struct WinBackCriteriaTests {
    @Test func readsEveryKeyAndNamesABadOne() throws {
        let json = try JSONParser.parse(
            Array(
                #"{"p_alive_min":0.1,"p_alive_max":0.5,"min_clv":40,"lapse_factor":2,"quiet_days":30,"max_selected":5}"#
                    .utf8))
        let criteria = try WinBackCriteria(json: json, path: "$.criteria")
        #expect(criteria.minimumProbabilityAlive == 0.1 && criteria.maximumProbabilityAlive == 0.5)
        #expect(criteria.minimumCLV == 40 && criteria.lapseFactor == 2 && criteria.quietDays == 30)
        #expect(criteria.maximumSelected == 5)
        let bad = try JSONParser.parse(Array(#"{"min_clv":"lots"}"#.utf8))
        #expect(
            throws: InputError(
                .invalidField, path: "$.criteria.min_clv", reason: "must be a number from 0.0 to 1000000000.0")
        ) {
            try WinBackCriteria(json: bad, path: "$.criteria")
        }
        #expect(try WinBackCriteria(json: nil, path: "$") == WinBackCriteria())
    }
}

@Suite struct WinBackScanTests {
    typealias F = WinBackFixtures

    /// Rules-only scoring (no fitted model), so each customer's fate follows from their gap.
    private func selector(_ criteria: WinBackCriteria = WinBackCriteria()) -> WinBackSelector {
        let parameters = LifetimeParameters(fittedAt: F.now, timeUnit: "weeks", customers: 0, repeatCustomers: 0)
        return WinBackSelector(
            criteria: criteria, scorer: LifetimeScorer(parameters: parameters), categories: F.categories)
    }

    /// Bought every 30 days, last 75 days ago: 2.5 gaps overdue, P(alive) = e^-1.5 ≈ 0.22.
    private func lapsed(_ id: String) -> CustomerHistory {
        CustomerHistory(
            customer: F.customer(id),
            orders: [
                F.order("1", daysAgo: 135, total: 120), F.order("2", daysAgo: 105, total: 110),
                F.order("3", daysAgo: 75, total: 100, product: "p-boot"),
            ])
    }

    @Test func selectsLapsedCustomersAndSaysWhyOthersAreSkipped() throws {
        let sel = selector()
        let chosen = sel.decide(lapsed("1"), now: F.now) { _ in false }
        #expect(chosen.decision.skip == nil)
        #expect(chosen.target?.reason.kind == .fallingOrderValues)
        #expect(chosen.target?.favouriteCategories == ["Tents", "Boots"])
        #expect(chosen.decision.facts["churn_reason"] == .string("falling_order_values"))
        if case .double(let p)? = chosen.decision.facts["p_alive"] {
            #expect(abs(p - exp(-1.5)) < 0.001)
        } else {
            Issue.record("p_alive missing")
        }
        var active = lapsed("2")
        active.orders.append(F.order("4", daysAgo: 10, total: 90))
        #expect(sel.decide(active, now: F.now) { _ in false }.decision.skip == .withinUsualGap)
        var noConsent = lapsed("3")
        noConsent.customer.consent = .notSubscribed
        #expect(sel.decide(noConsent, now: F.now) { _ in false }.decision.skip == .noConsent)
        #expect(sel.decide(lapsed("4"), now: F.now) { _ in true }.decision.skip == .emailedRecently)
        var gone = lapsed("5")
        gone.orders = gone.orders.map {
            var o = $0; o.createdAt -= 400 * F.day; return o
        }
        #expect(sel.decide(gone, now: F.now) { _ in false }.decision.skip == .likelyGone)
        var cheap = lapsed("6")
        cheap.orders = cheap.orders.map {
            var o = $0; o.total = Money(1, "USD"); return o
        }
        #expect(sel.decide(cheap, now: F.now) { _ in false }.decision.skip == .lowValue)
        let cancelledOnly = CustomerHistory(
            customer: F.customer("7"), orders: [F.order("1", daysAgo: 50, total: 10, cancelled: true)])
        #expect(sel.decide(cancelledOnly, now: F.now) { _ in false }.decision.skip == .noPurchases)
    }

    @Test func scanRecordsEveryDecisionWritesTheSelectedAndCountsOutcomes() async throws {
        var criteria = WinBackCriteria()
        criteria.maximumSelected = 3
        let histories =
            (1...5).map { lapsed("\($0)") } + [
                CustomerHistory(
                    customer: F.customer("9"),
                    orders: [F.order("1", daysAgo: 5, total: 60), F.order("2", daysAgo: 2, total: 60)])
            ]
        let clock = ManualClock()
        let bucket = TokenBucket(rate: 2, burst: 1, clock: clock) { clock.advance($0) }
        let written = Mutex<[String]>([])
        var decisions: [String: String] = [:]
        let summary = try await WinBackScan(selector: selector(criteria), now: F.now, concurrency: 2).run(
            source: InMemoryCustomerBase(histories: histories), limiter: bucket,
            recentlyEmailed: { $0 == "2" },
            record: { decisions[$0.customerID] = $0.skip?.rawValue ?? "selected" },
            write: { target in
                written.withLock { $0.append(target.customer.id) }
                if target.customer.id == "4" {
                    throw PlatformError(platform: "t", path: "/", status: 500, reason: "x", isRetryable: true)
                }
                return "sent"
            })
        #expect(summary.scanned == 6 && summary.selected == 3)
        #expect(summary.skipped == ["emailed_recently": 1, "cap_reached": 1, "within_usual_gap": 1])
        #expect(summary.outcomes == ["sent": 2, "failed": 1])
        #expect(Set(written.withLock { $0 }) == ["1", "3", "4"])
        #expect(
            decisions == [
                "1": "selected", "2": "emailed_recently", "3": "selected", "4": "selected",
                "5": "cap_reached", "9": "within_usual_gap",
            ])
        // Three writes at 2 a second from a one-token bucket: two waits of half a second.
        #expect(clock.sleeps == [0.5, 0.5])
    }
}
