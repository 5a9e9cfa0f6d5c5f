import Foundation

/// Fitted lifetime-model parameters with the date of the fit, stored as JSON in the data folder
/// (`models/lifetime.json`) so that a scan reuses them instead of refitting on every run.
///
/// Either model may be absent when the shop's history was below the fit's minimum
/// (`fallbackReason` says why); scoring then uses `RecencyFrequencyRules` for that part.
package struct LifetimeParameters: Sendable, Hashable, Codable {
    /// When the fit ran.
    package var fittedAt: Date
    /// Time unit of the summaries and of α ("weeks").
    package var timeUnit: String
    /// Customers the fit saw.
    package var customers: Int
    /// Of which made at least one repeat purchase.
    package var repeatCustomers: Int
    /// The fitted purchase model; nil below the minimum of data.
    package var bgnbd: BGNBD?
    /// Its maximized log-likelihood.
    package var bgnbdLogLikelihood: Double?
    /// The fitted spend model; nil below the minimum of data.
    package var gammaGamma: GammaGamma?
    /// Its maximized log-likelihood.
    package var gammaGammaLogLikelihood: Double?
    /// Why a model is missing, when one is.
    package var fallbackReason: String?

    /// The folder-relative path where a data folder keeps the parameters.
    package static let relativePath = "models/lifetime.json"

    enum CodingKeys: String, CodingKey {
        case fittedAt = "fitted_at"
        case timeUnit = "time_unit"
        case customers
        case repeatCustomers = "repeat_customers"
        case bgnbd
        case bgnbdLogLikelihood = "bgnbd_log_likelihood"
        case gammaGamma = "gamma_gamma"
        case gammaGammaLogLikelihood = "gamma_gamma_log_likelihood"
        case fallbackReason = "fallback_reason"
    }

    /// Fits both models to `customers` (summaries in weeks). Never throws: a model whose minimum
    /// of data is not met is left out and the reason recorded.
    package static func fit(_ customers: [CustomerSummary], at now: Date) -> LifetimeParameters {
        var parameters = LifetimeParameters(
            fittedAt: now, timeUnit: "weeks", customers: customers.count,
            repeatCustomers: customers.count { $0.frequency > 0 })
        var reasons: [String] = []
        do {
            let fit = try LifetimeFit.bgnbd(customers)
            parameters.bgnbd = fit.model
            parameters.bgnbdLogLikelihood = fit.logLikelihood
        } catch {
            reasons.append("\(error)")
        }
        do {
            let fit = try LifetimeFit.gammaGamma(customers)
            // q ≤ 1 has no finite mean spend: as good as no fit for CLV.
            if fit.model.q > 1 {
                parameters.gammaGamma = fit.model
                parameters.gammaGammaLogLikelihood = fit.logLikelihood
            } else {
                reasons.append("Gamma-Gamma fit has q ≤ 1 (no finite mean spend)")
            }
        } catch {
            reasons.append("\(error)")
        }
        parameters.fallbackReason = reasons.isEmpty ? nil : reasons.joined(separator: "; ")
        return parameters
    }

    /// Creates parameters without models (the rules fallback throughout).
    package init(fittedAt: Date, timeUnit: String, customers: Int, repeatCustomers: Int) {
        self.fittedAt = fittedAt
        self.timeUnit = timeUnit
        self.customers = customers
        self.repeatCustomers = repeatCustomers
    }

    /// Whether the fit is older than `maximumAge` at `now`, so a scan should refit first.
    package func isStale(at now: Date, maximumAge: TimeInterval) -> Bool {
        now.timeIntervalSince(fittedAt) > maximumAge
    }

    /// The parameters as pretty, key-sorted JSON (dates ISO 8601).
    package func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(self)
    }

    /// Reads parameters written by `save(to:)`; nil when the file does not exist. Throws when it
    /// exists but is not valid.
    package static func load(from file: URL) throws -> LifetimeParameters? {
        guard let data = FileManager.default.contents(atPath: file.path) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(LifetimeParameters.self, from: data)
    }

    /// Writes the parameters atomically (a reader never sees half a file).
    package func save(to file: URL) throws {
        try FileManager.default.createDirectory(
            at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try encoded().write(to: file, options: .atomic)
    }
}
