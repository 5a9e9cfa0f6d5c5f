import Foundation

/// Maximum-likelihood fitting of the lifetime models on a shop's own customer summaries.
///
/// Both fits run Nelder-Mead on the logarithms of the parameters (so every trial point is
/// positive) from a fixed start, with restarts and a tight tolerance; the result is deterministic.
package enum LifetimeFit {
    /// Fewest customers a BG/NBD fit accepts; below it the parameters are too loosely pinned down
    /// and scoring falls back to `RecencyFrequencyRules`.
    package static let minimumCustomers = 200
    /// Fewest repeat customers (x > 0) either fit accepts: the dropout and spend parameters are
    /// learnt from repeat buyers only.
    package static let minimumRepeatCustomers = 50
    /// The search box of both fits, on the logarithms of the parameters: e^±20 spans every
    /// plausible rate, scale and shape. A fit that ends at its edge is refused (the data does not
    /// pin the parameters down) rather than searched outward for minutes.
    package static let logParameterBound = 20.0

    /// Why a fit was refused.
    package struct InsufficientData: Error, Sendable, CustomStringConvertible {
        /// What was short, with the counts.
        package var reason: String
        /// The reason, for the operator.
        package var description: String { reason }
    }

    /// The BG/NBD parameters that maximize the likelihood of `customers`, and that likelihood.
    /// Throws `InsufficientData` below `minimumCustomers` or `minimumRepeatCustomers`.
    package static func bgnbd(_ customers: [CustomerSummary]) throws -> (model: BGNBD, logLikelihood: Double) {
        let repeaters = customers.count { $0.frequency > 0 }
        guard customers.count >= minimumCustomers, repeaters >= minimumRepeatCustomers else {
            throw InsufficientData(
                reason:
                    "BG/NBD needs at least \(minimumCustomers) customers and \(minimumRepeatCustomers) repeat customers; got \(customers.count) and \(repeaters)"
            )
        }
        // Customers with the same (x, t_x, T) share a likelihood term: weight them once.
        var weights: [[Double]: Double] = [:]
        for customer in customers {
            weights[[customer.frequency, customer.recency, customer.age], default: 0] += 1
        }
        let groups = weights.sorted { $0.key.lexicographicallyPrecedes($1.key) }
        let meanAge = customers.reduce(0) { $0 + $1.age } / Double(customers.count)
        let start = [0.0, log(max(meanAge, 1e-3) / 10), 0.0, 0.0]
        // The log-gamma terms depend on x alone, and x takes few values: compute them once per x
        // and trial point, then only logs remain per customer (several times faster on big bases).
        let frequencies = Array(Set(groups.map { $0.key[0] })).sorted()
        let frequencyIndex = Dictionary(uniqueKeysWithValues: frequencies.enumerated().map { ($1, $0) })
        let rows = groups.map {
            (x: $0.key[0], tx: $0.key[1], age: $0.key[2], weight: $0.value, k: frequencyIndex[$0.key[0]]!)
        }
        let result = minimizer.minimize(start) { point in
            let (r, alpha, a, b) = (exp(point[0]), exp(point[1]), exp(point[2]), exp(point[3]))
            let logGamma = SpecialFunctions.logGamma
            let shared = logGamma(a + b) - logGamma(r) - logGamma(b) + r * log(alpha)
            let byFrequency = frequencies.map { x in
                logGamma(r + x) + logGamma(b + x) - logGamma(a + b + x) + shared
            }
            let logA = log(a)
            var total = 0.0
            for row in rows {
                let lnA3 = -(r + row.x) * log(alpha + row.age)
                var term = lnA3
                if row.x > 0 {
                    let lnA4 = logA - log(b + row.x - 1) - (r + row.x) * log(alpha + row.tx)
                    term = SpecialFunctions.logAddExp(lnA3, lnA4)
                }
                total += row.weight * (byFrequency[row.k] + term)
            }
            return -total
        }
        guard !result.isAtBound else {
            throw InsufficientData(reason: "BG/NBD parameters ran to the edge of the search: \(edge(result))")
        }
        let p = result.point
        return (BGNBD(r: exp(p[0]), alpha: exp(p[1]), a: exp(p[2]), b: exp(p[3])), -result.value)
    }

    /// The Gamma-Gamma parameters that maximize the likelihood of the repeat customers with a
    /// positive z̄ among `customers`, and that likelihood. Throws `InsufficientData` when fewer than
    /// `minimumRepeatCustomers` have one.
    package static func gammaGamma(_ customers: [CustomerSummary]) throws -> (
        model: GammaGamma, logLikelihood: Double
    ) {
        let spenders = customers.compactMap { customer -> (Double, Double)? in
            guard customer.frequency > 0, let zbar = customer.monetary, zbar > 0 else { return nil }
            return (customer.frequency, zbar)
        }
        guard spenders.count >= minimumRepeatCustomers else {
            throw InsufficientData(
                reason:
                    "Gamma-Gamma needs at least \(minimumRepeatCustomers) repeat customers with a monetary value; got \(spenders.count)"
            )
        }
        // Every repeat customer with the same average order: the likelihood grows without bound as
        // p and q do (a spread of zero), so there is nothing to fit; CLV uses the observed average.
        let (lowest, highest) = (spenders.map(\.1).min()!, spenders.map(\.1).max()!)
        guard highest - lowest > 1e-9 * highest else {
            throw InsufficientData(
                reason:
                    "Gamma-Gamma needs average order values that vary; all \(spenders.count) repeat customers average \(lowest)"
            )
        }
        // Customers with the same (x, z̄) share a likelihood term: weight them once (few prices
        // and order counts make few groups).
        var weights: [[Double]: Double] = [:]
        for (x, zbar) in spenders { weights[[x, zbar], default: 0] += 1 }
        let groups = weights.sorted { $0.key.lexicographicallyPrecedes($1.key) }
        let meanSpend = spenders.reduce(0) { $0 + $1.1 } / Double(spenders.count)
        let start = [0.0, 0.0, log(meanSpend)]
        let result = minimizer.minimize(start) { point in
            let model = GammaGamma(p: exp(point[0]), q: exp(point[1]), gamma: exp(point[2]))
            var total = 0.0
            for (key, weight) in groups { total += weight * model.logLikelihood(frequency: key[0], monetary: key[1]) }
            return -total
        }
        guard !result.isAtBound else {
            throw InsufficientData(reason: "Gamma-Gamma parameters ran to the edge of the search: \(edge(result))")
        }
        let p = result.point
        return (GammaGamma(p: exp(p[0]), q: exp(p[1]), gamma: exp(p[2])), -result.value)
    }

    /// The minimizer both fits use: the default settings within `logParameterBound`.
    static var minimizer: NelderMead {
        var minimizer = NelderMead()
        minimizer.bound = logParameterBound
        return minimizer
    }

    /// A fit that ended at the search's edge, for its refusal: the log-parameters and evaluations.
    private static func edge(_ result: NelderMead.Minimum) -> String {
        "log-parameters \(result.point.map { (($0 * 100).rounded() / 100).description }.joined(separator: ", ")) after \(result.evaluations) evaluations; the data does not pin them down"
    }
}
