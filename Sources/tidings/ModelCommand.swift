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
                FILE is a CSV with a header: id, frequency (or x), recency (or t_x), T, and optionally \
                monetary (or zbar), times in weeks; or a transaction log laid out like CDNOW_master.txt \
                (one purchase a line: customer id, date yyyymmdd, quantity, amount, separated by spaces), \
                summarized as observed until its last day. Below \(LifetimeFit.minimumCustomers) customers or \
                \(LifetimeFit.minimumRepeatCustomers) repeat customers a model is left out and scoring uses \
                recency/frequency rules (fallback_reason says why).
                """)

        @Argument(help: "The per-customer summary CSV, or a CDNOW-style transaction log.")
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
            abstract: "Score each customer of a summary CSV or transaction log: one JSON line per customer.",
            discussion: """
                Prints id, p_alive, expected_purchases (in the horizon), expected_order_value, clv and \
                method (model or rules). Uses --parameters when given, else fits on FILE itself.
                """)

        @Argument(help: "The per-customer summary CSV, or a CDNOW-style transaction log.")
        var file: String

        @Option(help: "Parameters written by `tidings model fit --save`.")
        var parameters: String?

        @Option(help: "Horizon of expected purchases and CLV, in weeks (more than 0, at most 520).")
        var horizon: Double = 52

        func validate() throws {
            guard horizon.isFinite, horizon > 0, horizon <= 520 else {
                throw ValidationError("--horizon \(horizon) must be more than 0 and at most 520 weeks (ten years)")
            }
        }

        func run() throws {
            let customers = try summaries(file)
            let fitted: LifetimeParameters
            if let parameters {
                let file = URL(fileURLWithPath: parameters)
                let read: LifetimeParameters?
                do {
                    read = try LifetimeParameters.load(from: file)
                } catch {
                    throw CommandFailure(
                        "\(parameters) is not a parameters file written by `tidings model fit --save` "
                            + "(\(PlainMessage.of(error)))")
                }
                guard let loaded = read else { throw CommandFailure("\(parameters): no such file") }
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

/// The customers of FILE: a summary CSV, or a transaction log in the CDNOW_master.txt layout
/// (told apart by its first line), summarized as observed until its last day.
private func summaries(_ file: String) throws -> [CustomerSummary] {
    guard let data = FileManager.default.contents(atPath: file) else {
        throw CommandFailure("\(file): no such file, or it cannot be read")
    }
    let text = String(decoding: data, as: UTF8.self)
    do {
        if CustomerTransactionLog.looksLikeLog(text) {
            return try CustomerTransactionLog.summaries(text)
        }
        return try CustomerSummaryCSV.parse(text)
    } catch let error as CustomerSummaryCSV.ParseError {
        throw CommandFailure(
            "\(file): \(error) (expected a summary CSV with a header id,frequency,recency,T[,monetary] or a "
                + "transaction log of lines 'customer-id yyyymmdd quantity amount')")
    }
}

private func rounded(_ value: Double) -> String {
    String(format: "%.6g", value)
}

/// A JSON string literal. Encoding a String cannot fail; "null" stands in if it ever did.
private func jsonString(_ text: String) -> String {
    (try? JSONEncoder().encode(text)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
}
