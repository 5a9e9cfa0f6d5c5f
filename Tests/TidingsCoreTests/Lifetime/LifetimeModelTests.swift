import Foundation
import Testing
import TidingsDevKit

@testable import TidingsCore

/// The CDNOW summaries in Tests/Fixtures/data/cdnow (Tests/Fixtures/PROVENANCE.md).
private let cdnow = TestPaths.data.appendingPathComponent("cdnow")

private func expectWithin(_ value: Double, _ published: Double, relative: Double, _ name: String) {
    #expect(abs(value - published) <= relative * abs(published), "\(name) = \(value), published \(published)")
}

@Suite struct LifetimeModelTests {
    @Test func bgnbdFitReproducesThePublishedCDNOWParameters() throws {
        let customers = try CustomerSummaryCSV.read(
            path: cdnow.appendingPathComponent("cdnow_customers_summary.csv").path)
        #expect(customers.count == 2357)
        let (model, logLikelihood) = try LifetimeFit.bgnbd(customers)
        expectWithin(model.r, 0.243, relative: 0.005, "r")
        expectWithin(model.alpha, 4.414, relative: 0.005, "alpha")
        expectWithin(model.a, 0.793, relative: 0.005, "a")
        expectWithin(model.b, 2.426, relative: 0.005, "b")
        // The paper's maximized log-likelihood is -9582.4.
        #expect(abs(logLikelihood - -9582.4) < 0.5)
    }

    @Test func gammaGammaFitReproducesThePublishedCDNOWParameters() throws {
        let customers = try CustomerSummaryCSV.read(
            path: cdnow.appendingPathComponent("cdnow_customers_summary_with_transactions.csv").path)
        let (model, _) = try LifetimeFit.gammaGamma(customers)
        expectWithin(model.p, 6.25, relative: 0.005, "p")
        expectWithin(model.q, 3.74, relative: 0.005, "q")
        expectWithin(model.gamma, 15.44, relative: 0.005, "gamma")
    }

    /// Fader, Hardie and Lee (2005), section 5: a customer with x = 2, t_x = 30.43, T = 38.86 is
    /// expected to make 1.226 purchases in the next 39 weeks; the lifetimes library's documented
    /// example gives customer 1516 (x = 26, t_x = 30.86, T = 31) 0.7106 purchases next week.
    /// Both with lifetimes' fitted CDNOW parameters (also checked against scipy's hyp2f1).
    @Test func conditionalExpectationMatchesPublishedFigures() {
        let model = BGNBD(r: 0.242593, alpha: 4.413532, a: 0.792886, b: 2.425752)
        let paper = model.expectedPurchases(horizon: 39, frequency: 2, recency: 30.43, age: 38.86)
        #expect(abs(paper - 1.226) < 0.0005, "E[Y(39)] = \(paper)")
        let lifetimes = model.expectedPurchases(horizon: 1, frequency: 26, recency: 30.86, age: 31)
        #expect(abs(lifetimes - 0.710623) < 0.000005, "E[Y(1)] = \(lifetimes)")
        #expect(model.expectedPurchases(horizon: 0, frequency: 2, recency: 30.43, age: 38.86) == 0)
    }

    @Test func probabilityAliveFollowsRecency() {
        let model = BGNBD(r: 0.243, alpha: 4.414, a: 0.793, b: 2.426)
        #expect(model.probabilityAlive(frequency: 0, recency: 0, age: 38.86) == 1)
        let recent = model.probabilityAlive(frequency: 5, recency: 38, age: 38.86)
        let lapsed = model.probabilityAlive(frequency: 5, recency: 10, age: 38.86)
        #expect(recent > 0.85 && lapsed < 0.1 && lapsed > 0, "recent \(recent), lapsed \(lapsed)")
        // Equation (13) by hand for x = 2, t_x = 30.43, T = 38.86.
        let hand = 1 / (1 + (0.793 / (2.426 + 1)) * pow((4.414 + 38.86) / (4.414 + 30.43), 2.243))
        #expect(abs(model.probabilityAlive(frequency: 2, recency: 30.43, age: 38.86) - hand) < 1e-12)
    }

    /// E[X(t)] against the mean of simulated customers from the same process: the 2F1 series and
    /// the closed form are checked by an independent route.
    @Test func expectedPurchasesOfNewCustomerMatchesSimulation() {
        let model = BGNBD(r: 0.243, alpha: 4.414, a: 0.793, b: 2.426)
        let sampler = LifetimeSampler(bgnbd: model, gammaGamma: GammaGamma(p: 6.25, q: 3.74, gamma: 15.44))
        var random = SplitMix64(seed: 7)
        let customers = 200_000
        var total = 0
        for _ in 0..<customers { total += sampler.draw(age: 78, using: &random).repeatTimes.count }
        let simulated = Double(total) / Double(customers)
        let closed = model.expectedPurchasesOfNewCustomer(horizon: 78)
        #expect(abs(simulated - closed) < 0.02 * closed, "simulated \(simulated), closed form \(closed)")
    }

    @Test func gammaGammaExpectedValueShrinksTowardThePopulationMean() {
        let model = GammaGamma(p: 6.25, q: 3.74, gamma: 15.44)
        let population = model.expectedOrderValue(frequency: 0, monetary: nil)
        #expect(abs(population - 6.25 * 15.44 / 2.74) < 1e-9)
        let one = model.expectedOrderValue(frequency: 1, monetary: 100)
        let many = model.expectedOrderValue(frequency: 20, monetary: 100)
        #expect(one < many && many < 100 && one > population)
    }

    @Test func fitRecoversTheParametersOfSyntheticCustomers() throws {
        let truth = BGNBD(r: 0.5, alpha: 6, a: 0.8, b: 3)
        let spend = GammaGamma(p: 5, q: 4, gamma: 20)
        let sampler = LifetimeSampler(bgnbd: truth, gammaGamma: spend)
        var random = SplitMix64(seed: 42)
        var customers: [CustomerSummary] = []
        for index in 0..<20_000 {
            let age = 26 + Double(index % 27)  // cohorts joining over half a year, 26–52 weeks
            let drawn = sampler.draw(age: age, using: &random)
            customers.append(
                LifetimeSampler.summary(id: "\(index)", age: age, repeatTimes: drawn.repeatTimes, values: drawn.values))
        }
        let fitted = try LifetimeFit.bgnbd(customers).model
        expectWithin(fitted.r, truth.r, relative: 0.1, "r")
        expectWithin(fitted.alpha, truth.alpha, relative: 0.1, "alpha")
        expectWithin(fitted.a, truth.a, relative: 0.2, "a")
        expectWithin(fitted.b, truth.b, relative: 0.2, "b")
        let fittedSpend = try LifetimeFit.gammaGamma(customers).model
        expectWithin(fittedSpend.p, spend.p, relative: 0.15, "p")
        expectWithin(fittedSpend.q, spend.q, relative: 0.15, "q")
        expectWithin(fittedSpend.gamma, spend.gamma, relative: 0.2, "gamma")
    }

    /// A shop where every order costs the same: the Gamma-Gamma likelihood grows without end as p
    /// and q do, and the unbounded search ran for minutes on a 20,000-customer sample (the 1M bulk
    /// benchmark, 2026-12-07). It is refused at once, and the scan scores CLV with the average.
    @Test func gammaGammaRefusesSpendThatDoesNotVary() throws {
        let same = (0..<20_000).map {
            CustomerSummary(
                id: "\($0)", frequency: Double($0 % 3), recency: 20, age: 52, monetary: $0 % 3 == 0 ? nil : 40)
        }
        #expect {
            try LifetimeFit.gammaGamma(same)
        } throws: { error in
            "\(error)".contains("vary") && "\(error)".contains("40")
        }
        let parameters = LifetimeParameters.fit(same, at: Date(timeIntervalSince1970: 1_793_000_000))
        #expect(parameters.gammaGamma == nil)
        #expect(parameters.fallbackReason?.contains("Gamma-Gamma needs average order values that vary") == true)
    }

    /// A maximum at infinity ends against the search bound, flagged, instead of walking outward
    /// for every allowed iteration.
    @Test func nelderMeadStopsAtItsBound() {
        var minimizer = NelderMead()
        minimizer.bound = 20
        // Decreasing without end in x[0], a bowl in x[1].
        let result = minimizer.minimize([0, 3]) { exp(-$0[0]) + ($0[1] - 1) * ($0[1] - 1) }
        #expect(result.isAtBound)
        #expect(result.point[0] > 19.9 && result.point[0] <= 20, "\(result.point)")
        #expect(abs(result.point[1] - 1) < 1e-3, "\(result.point)")
        // Not asked outside the box.
        var outside = 0
        _ = minimizer.minimize([0, 3]) { point in
            if point.contains(where: { abs($0) > 20 }) { outside += 1 }
            return exp(-point[0]) + (point[1] - 1) * (point[1] - 1)
        }
        #expect(outside == 0)
        // The CDNOW fits stay well inside the box.
        #expect(!NelderMead().minimize([3, 3]) { ($0[0] - 1) * ($0[0] - 1) + $0[1] * $0[1] }.isAtBound)
    }

    /// A function noisy in its last digits (as a likelihood summed over 20,000 customers is where
    /// its parameters run large) never brings the simplex's spread under the tolerance: each run
    /// used all 20,000 iterations and the 100k-customer bulk bench's fit took 256 s. A run now ends
    /// when its best value stops improving, and restarts end when one finds nothing better.
    @Test func nelderMeadEndsWhenTheBestStopsImproving() {
        let minimizer = NelderMead()
        let result = minimizer.minimize([0, 0]) { point in
            let bowl = (point[0] - 1) * (point[0] - 1) + (point[1] - 2) * (point[1] - 2) + 100
            return bowl + 1e-9 * sin(1e7 * (point[0] + 3 * point[1]))
        }
        #expect(abs(result.point[0] - 1) < 1e-3 && abs(result.point[1] - 2) < 1e-3, "\(result.point)")
        let ceiling = (minimizer.restarts + 1) * minimizer.maxIterations
        #expect(result.evaluations < ceiling / 10, "\(result.evaluations) evaluations")
    }

    @Test func fitRefusesTooLittleData() {
        let few = (0..<50).map { CustomerSummary(id: "\($0)", frequency: 1, recency: 2, age: 10, monetary: 5) }
        #expect(throws: LifetimeFit.InsufficientData.self) { try LifetimeFit.bgnbd(few) }
        #expect(throws: LifetimeFit.InsufficientData.self) { try LifetimeFit.gammaGamma(Array(few.prefix(10))) }
    }
}

@Suite struct CustomerSummaryCSVTests {
    @Test func readsEitherColumnNaming() throws {
        let long = try CustomerSummaryCSV.parse("ID,frequency,recency,T,monetary\n7,2,3.5,10,12.5\n")
        let short = try CustomerSummaryCSV.parse("T,x,t_x,id,zbar\r\n10,2,3.5,7,12.5\r\n")
        #expect(long == short)
        #expect(long == [CustomerSummary(id: "7", frequency: 2, recency: 3.5, age: 10, monetary: 12.5)])
    }

    @Test func namesLineAndColumnOfBadInput() {
        func failure(_ text: String) -> CustomerSummaryCSV.ParseError? {
            do {
                _ = try CustomerSummaryCSV.parse(text)
                return nil
            } catch { return error as? CustomerSummaryCSV.ParseError }
        }
        #expect(failure("id,frequency,T\n1,2,3\n")?.column == "recency")
        #expect(failure("id,frequency,T\n1,2,3\n")?.line == 1)
        #expect(failure("id,x,t_x,T\n1,0,0,5\n2,two,1,5\n")?.line == 3)
        #expect(failure("id,x,t_x,T\n1,0,0,5\n2,two,1,5\n")?.column == "x")
        #expect(failure("id,x,t_x,T\n1,2,9,5\n")?.column == "t_x")
        #expect(failure("id,x,t_x,T\n1,1.5,2,5\n")?.column == "x")
        #expect(failure("id,x,t_x,T\n1,1,2\n")?.reason == "expected 4 fields, found 3")
        #expect(failure("") != nil)
    }
}
