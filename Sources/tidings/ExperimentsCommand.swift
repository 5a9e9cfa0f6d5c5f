import ArgumentParser
import Foundation
import TidingsCore
import TidingsRuntime

/// `tidings experiments report|suggest`: an experiment's results from the audit's arms and a
/// file of engagement, and the next tests they suggest (docs/decisions/experiments.md).
struct ExperimentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiments", abstract: "Report on experiments and suggest the next ones.",
        subcommands: [Report.self, Suggest.self])

    /// What both subcommands read: the configuration's experiments, the audit, the engagement.
    struct Inputs: ParsableArguments {
        @Option(
            help: """
                Engagement: JSON Lines or CSV (columns event, customer_id, message_id, event_id, revenue, \
                currency), or a Klaviyo or Mailchimp Transactional webhook body.
                """)
        var engagement: String

        @Option(help: "The data folder whose audit/ holds the arms (default: $TIDINGS_DATA_DIR or .tidings).")
        var dataDir: String?

        @Option(help: "The audit folder itself (instead of <data-dir>/audit).")
        var auditDir: String?

        @Option(help: "The configuration file with the experiments (default: $TIDINGS_CONFIG_FILE).")
        var config: String?

        @Option(help: "Only this experiment (default: every configured one).")
        var experiment: String?

        @Option(help: "The metric a winner is decided on: open, click, conversion or revenue_per_recipient.")
        var metric: String = ExperimentReport.Metric.conversion.rawValue

        /// The reports, one per selected experiment.
        func reports() throws -> [ExperimentReport] {
            guard let chosen = ExperimentReport.Metric(rawValue: metric) else {
                throw ValidationError(
                    "--metric \(metric) is not one of "
                        + ExperimentReport.Metric.allCases.map(\.rawValue).joined(separator: ", "))
            }
            let environment = ProcessInfo.processInfo.environment
            guard let file = config ?? environment["TIDINGS_CONFIG_FILE"], !file.isEmpty else {
                throw ValidationError("no configuration: pass --config FILE or set TIDINGS_CONFIG_FILE")
            }
            let settings = try ExperimentsCommand.settings(file)
            var experiments = settings.experiments
            if let experiment {
                experiments = experiments.filter { $0.id == experiment }
                guard !experiments.isEmpty else {
                    throw ValidationError("no experiment '\(experiment)' in \(file)")
                }
            }
            guard !experiments.isEmpty else { throw ValidationError("\(file) configures no experiments") }
            let audit =
                auditDir ?? ((dataDir ?? environment["TIDINGS_DATA_DIR"] ?? ".tidings") + "/audit")
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: audit, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("no audit folder at \(audit)")
            }
            guard let bytes = FileManager.default.contents(atPath: engagement) else {
                throw ValidationError("cannot read the engagement file \(engagement)")
            }
            let events = try EngagementReader.read(Array(bytes))
            return try experiments.map { experiment in
                try ExperimentReport.build(
                    experiment: experiment,
                    exposures: ExperimentExposures.read(
                        auditRoot: URL(fileURLWithPath: audit), experimentID: experiment.id),
                    events: events, metric: chosen)
            }
        }
    }

    /// The `experiments` of a configuration file, checked as start-up checks them.
    static func settings(_ file: String) throws -> ExperimentSettings {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ConfigurationError(key: "TIDINGS_CONFIG_FILE", reason: "cannot read \(file)")
        }
        let document: JSONValue
        do {
            document = try JSONParser.parse(Array(data))
        } catch {
            throw ConfigurationError(key: "TIDINGS_CONFIG_FILE", reason: "\(file) is not valid JSON (\(error))")
        }
        guard let experiments = document.objectValue?["experiments"] else { return ExperimentSettings() }
        do {
            return try ExperimentSettings.parse(experiments)
        } catch {
            throw ConfigurationError(key: error.path.replacingOccurrences(of: "$.", with: ""), reason: error.reason)
        }
    }

    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Per arm: recipients, open, click and conversion rates, revenue per recipient, lift with 95 % intervals.",
            discussion: """
                Joins the engagement to the arms the audit recorded (by message id, event id or customer id) \
                and compares every arm with the control (the holdout, else the first arm). No winner is \
                called while a group has fewer recipients than min_recipients_per_arm.
                """)

        @OptionGroup var inputs: Inputs

        @Flag(help: "Print JSON instead of a table.")
        var json = false

        func run() async throws {
            let reports = try inputs.reports()
            if json {
                let value: JSONValue = reports.count == 1 ? reports[0].json() : .array(reports.map { $0.json() })
                print(String(decoding: CanonicalJSON.bytes(value), as: UTF8.self))
            } else {
                print(reports.map { $0.text() }.joined(separator: "\n\n"))
            }
        }
    }

    struct Suggest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Propose the next tests from the report.",
            discussion: """
                With TIDINGS_MODEL unset or offline, by rules over the report; otherwise the configured model \
                writes them from the report's figures (no customer data), and the rules answer if it fails.
                """)

        @OptionGroup var inputs: Inputs

        @Flag(help: "Print JSON instead of text.")
        var json = false

        func run() async throws {
            let environment = ProcessInfo.processInfo.environment
            let writer = try ModelSettings.load(environment: environment)
            var lines: [String] = []
            var documents: [JSONValue] = []
            for report in try inputs.reports() {
                var suggestions = ExperimentSuggester.suggest(from: report)
                var source = "rules"
                if writer.provider != .offline {
                    let model = writer.makeModel(
                        transport: RetryingTransport(FunctionEnvironment.curlTransport(name: "suggest")))
                    do {
                        suggestions = try await ExperimentSuggester.suggest(
                            from: report, model: model, brand: .northwind)
                        source = model.name
                    } catch {
                        source = "rules (the model failed: \(error))"
                    }
                }
                lines.append("experiment \(report.experiment.id): \(report.verdictLine)\nsuggested by \(source):")
                for suggestion in suggestions {
                    lines.append("- \(suggestion.title)\n  \(suggestion.rationale)")
                    if let proposal = suggestion.proposal {
                        lines.append(
                            "  next experiment: " + String(decoding: CanonicalJSON.bytes(proposal), as: UTF8.self))
                    }
                }
                documents.append(
                    .object([
                        "experiment": .string(report.experiment.id), "source": .string(source),
                        "suggestions": .array(suggestions.map { $0.json() }),
                    ]))
            }
            if json {
                print(
                    String(
                        decoding: CanonicalJSON.bytes(documents.count == 1 ? documents[0] : .array(documents)),
                        as: UTF8.self))
            } else {
                print(lines.joined(separator: "\n"))
            }
        }
    }
}
