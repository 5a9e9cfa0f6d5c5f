import ArgumentParser
import Foundation
import TidingsCore

/// `tidings model fit|score`: the customer-lifetime models on a CSV of per-customer summaries.
struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model", abstract: "Fit and apply the customer-lifetime models (BG/NBD, Gamma-Gamma).",
        subcommands: [Fit.self, Score.self])

    struct Fit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fit BG/NBD and Gamma-Gamma by maximum likelihood and print the parameters as JSON.",
            discussion: """
                FILE is a CSV with a header: id, frequency (or x), recency (or t_x), T, and optionally
                monetary (or zbar), times in weeks. Below \(LifetimeFit.minimumCustomers) customers or \
                \(LifetimeFit.minimumRepeatCustomers) repeat customers a model is left out and scoring uses \
                recency/frequency rules (fallback_reason says why).
                """)

        @Argument(help: "The per-customer summary CSV.")
        var file: String

        @Option(help: "Also write the parameters here (a scan reads <data-dir>/models/lifetime.json).")
        var save: String?

        func run() throws {
            let customers = try summaries(file)
            let parameters = LifetimeParameters.fit(customers, at: Date())
            if let save { try parameters.save(to: URL(fileURLWithPath: save)) }
            print(String(decoding: try parameters.encoded(), as: UTF8.self))
        }
    }

    struct Score: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Score each customer of a summary CSV: one JSON line per customer.",
            discussion: """
                Prints id, p_alive, expected_purchases (in the horizon), expected_order_value, clv and \
                method (model or rules). Uses --parameters when given, else fits on FILE itself.
                """)

        @Argument(help: "The per-customer summary CSV.")
        var file: String

        @Option(help: "Parameters written by `tidings model fit --save`.")
        var parameters: String?

        @Option(help: "Horizon of expected purchases and CLV, in weeks.")
        var horizon: Double = 52

        func run() throws {
            let customers = try summaries(file)
            let fitted: LifetimeParameters
            if let parameters {
                guard let loaded = try LifetimeParameters.load(from: URL(fileURLWithPath: parameters)) else {
                    throw ValidationError("no parameters file at \(parameters)")
                }
                fitted = loaded
            } else {
                fitted = LifetimeParameters.fit(customers, at: Date())
            }
            let scorer = LifetimeScorer(parameters: fitted, horizon: horizon)
            var output = ""
            for customer in customers {
                let score = scorer.score(customer, meanOrderValue: customer.monetary ?? 0)
                output += """
                    {"id":\(jsonString(customer.id)),"p_alive":\(rounded(score.probabilityAlive)),\
                    "expected_purchases":\(rounded(score.expectedPurchases)),\
                    "expected_order_value":\(rounded(score.expectedOrderValue)),"clv":\(rounded(score.clv)),\
                    "method":"\(score.method.rawValue)"}\n
                    """
                if output.utf8.count > 1 << 16 {
                    print(output, terminator: "")
                    output = ""
                }
            }
            print(output, terminator: "")
        }
    }
}

private func summaries(_ file: String) throws -> [CustomerSummary] {
    do {
        return try CustomerSummaryCSV.read(path: file)
    } catch let error as CustomerSummaryCSV.ParseError {
        throw ValidationError("\(file): \(error)")
    }
}

private func rounded(_ value: Double) -> String {
    String(format: "%.6g", value)
}

/// A JSON string literal. Encoding a String cannot fail; "null" stands in if it ever did.
private func jsonString(_ text: String) -> String {
    (try? JSONEncoder().encode(text)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
}
