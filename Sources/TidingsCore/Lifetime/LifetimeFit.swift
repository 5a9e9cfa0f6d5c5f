import Foundation

/// Maximum-likelihood fitting of the lifetime models on a shop's own customer summaries.
///
/// Both fits run Nelder-Mead on the logarithms of the parameters (so every trial point is
/// positive) from a fixed start, with restarts and a tight tolerance; the result is deterministic.
public enum LifetimeFit {
    /// Fewest customers a BG/NBD fit accepts; below it the parameters are too loosely pinned down
    /// and scoring falls back to `RecencyFrequencyRules`.
    public static let minimumCustomers = 200
    /// Fewest repeat customers (x > 0) either fit accepts: the dropout and spend parameters are
    /// learnt from repeat buyers only.
    public static let minimumRepeatCustomers = 50

    /// Why a fit was refused.
    public struct InsufficientData: Error, Sendable, CustomStringConvertible {
        /// What was short, with the counts.
        public var reason: String
        /// The reason, for the operator.
        public var description: String { reason }
    }

    /// The BG/NBD parameters that maximize the likelihood of `customers`, and that likelihood.
    /// Throws `InsufficientData` below `minimumCustomers` or `minimumRepeatCustomers`.
    public static func bgnbd(_ customers: [CustomerSummary]) throws -> (model: BGNBD, logLikelihood: Double) {
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
        let result = NelderMead().minimize(start) { point in
            let model = BGNBD(r: exp(point[0]), alpha: exp(point[1]), a: exp(point[2]), b: exp(point[3]))
            var total = 0.0
            for (key, weight) in groups {
                total += weight * model.logLikelihood(frequency: key[0], recency: key[1], age: key[2])
            }
            return -total
        }
        let p = result.point
        return (BGNBD(r: exp(p[0]), alpha: exp(p[1]), a: exp(p[2]), b: exp(p[3])), -result.value)
    }

    /// The Gamma-Gamma parameters that maximize the likelihood of the repeat customers with a
    /// positive z̄ among `customers`, and that likelihood. Throws `InsufficientData` when fewer than
    /// `minimumRepeatCustomers` have one.
    public static func gammaGamma(_ customers: [CustomerSummary]) throws -> (
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
        let meanSpend = spenders.reduce(0) { $0 + $1.1 } / Double(spenders.count)
        let start = [0.0, 0.0, log(meanSpend)]
        let result = NelderMead().minimize(start) { point in
            let model = GammaGamma(p: exp(point[0]), q: exp(point[1]), gamma: exp(point[2]))
            var total = 0.0
            for (x, zbar) in spenders { total += model.logLikelihood(frequency: x, monetary: zbar) }
            return -total
        }
        let p = result.point
        return (GammaGamma(p: exp(p[0]), q: exp(p[1]), gamma: exp(p[2])), -result.value)
    }
}
