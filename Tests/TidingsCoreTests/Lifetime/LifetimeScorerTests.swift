import Foundation
import Testing

@testable import TidingsCore

@Suite struct LifetimeScorerTests {
    private let cdnow = BGNBD(r: 0.243, alpha: 4.414, a: 0.793, b: 2.426)

    @Test func parametersRoundTripThroughTheirFile() async throws {
        try await withTemporaryDirectory { folder in
            var parameters = LifetimeParameters(
                fittedAt: Date(timeIntervalSince1970: 1_795_000_000), timeUnit: "weeks", customers: 10,
                repeatCustomers: 4)
            parameters.bgnbd = cdnow
            parameters.gammaGamma = GammaGamma(p: 6.25, q: 3.74, gamma: 15.44)
            let file = folder.appendingPathComponent(LifetimeParameters.relativePath)
            #expect(try LifetimeParameters.load(from: file) == nil)
            try parameters.save(to: file)
            #expect(try LifetimeParameters.load(from: file) == parameters)
            #expect(!parameters.isStale(at: parameters.fittedAt.addingTimeInterval(86_400), maximumAge: 7 * 86_400))
            #expect(parameters.isStale(at: parameters.fittedAt.addingTimeInterval(8 * 86_400), maximumAge: 7 * 86_400))
        }
    }

    @Test func tooLittleHistoryFallsBackToRulesWithAReason() {
        let few = (0..<20).map { CustomerSummary(id: "\($0)", frequency: 1, recency: 4, age: 20, monetary: 30) }
        let parameters = LifetimeParameters.fit(few, at: Date())
        #expect(parameters.bgnbd == nil && parameters.gammaGamma == nil)
        #expect(parameters.fallbackReason?.contains("BG/NBD needs at least") == true)
        let score = LifetimeScorer(parameters: parameters).score(few[0], meanOrderValue: 30)
        #expect(score.method == .rules)
        #expect(score.expectedOrderValue == 30)
    }

    @Test func rulesFollowTheCustomersOwnGap() {
        let rules = RecencyFrequencyRules(defaultGap: 13)
        // Buys every 4 weeks; last bought 3 weeks ago: on rhythm.
        let steady = CustomerSummary(id: "a", frequency: 5, recency: 20, age: 23)
        #expect(rules.usualGap(steady) == 4)
        #expect(rules.probabilityAlive(steady) == 1)
        // Same rhythm, 16 weeks since the last purchase: three gaps overdue.
        let lapsed = CustomerSummary(id: "b", frequency: 5, recency: 20, age: 36)
        #expect(abs(rules.probabilityAlive(lapsed) - exp(-3)) < 1e-12)
        #expect(rules.expectedPurchases(horizon: 52, lapsed) < rules.expectedPurchases(horizon: 52, steady))
        #expect(rules.usualGap(CustomerSummary(id: "c", frequency: 0, recency: 0, age: 5)) == 13)
    }

    @Test func aOneTimeBuyerCanLapseUnderAFittedModel() {
        var parameters = LifetimeParameters(fittedAt: Date(), timeUnit: "weeks", customers: 1, repeatCustomers: 1)
        parameters.bgnbd = cdnow
        // Bought once, 30 weeks ago: BG/NBD alone would say P(alive) = 1.
        let oneTime = CustomerSummary(id: "1", frequency: 0, recency: 0, age: 30, monetary: 0)
        #expect(cdnow.probabilityAlive(frequency: 0, recency: 0, age: 30) == 1)
        let score = LifetimeScorer(parameters: parameters).score(oneTime, meanOrderValue: 40)
        #expect(score.method == .oneTimeBuyerRules)
        #expect(abs(score.probabilityAlive - exp(-(30.0 - 13) / 13)) < 1e-12)
        #expect(score.expectedPurchases == cdnow.expectedPurchases(horizon: 52, frequency: 0, recency: 0, age: 30))
        // A recent one-time buyer is still alive by the rules too.
        let recent = CustomerSummary(id: "2", frequency: 0, recency: 0, age: 5, monetary: 0)
        #expect(LifetimeScorer(parameters: parameters).score(recent, meanOrderValue: 40).probabilityAlive == 1)
    }

    @Test func modelScoresCombineBothFits() {
        var parameters = LifetimeParameters(fittedAt: Date(), timeUnit: "weeks", customers: 1, repeatCustomers: 1)
        parameters.bgnbd = cdnow
        parameters.gammaGamma = GammaGamma(p: 6.25, q: 3.74, gamma: 15.44)
        let summary = CustomerSummary(id: "1", frequency: 2, recency: 30.43, age: 38.86, monetary: 22.35)
        let score = LifetimeScorer(parameters: parameters, horizon: 39).score(summary, meanOrderValue: 0)
        #expect(score.method == .model)
        #expect(abs(score.expectedPurchases - 1.226) < 0.002)
        #expect(abs(score.clv - score.expectedPurchases * score.expectedOrderValue) < 1e-9)
        #expect(
            score.expectedOrderValue
                == GammaGamma(p: 6.25, q: 3.74, gamma: 15.44).expectedOrderValue(frequency: 2, monetary: 22.35))
    }
}
