import ArgumentParser
import Foundation
import Logging
import TidingsCore
import TidingsDevKit
import TidingsRuntime

/// `tidings replay PATH...`: runs recorded events through their functions' flows.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Run recorded events (files or folders) through their functions and print the outcomes.",
        discussion: """
            Each event runs with the clock at the time its recording says it arrived ("received_at"), or \
            else at the event's own time plus the flow's delay, unless --now is given.

            Each file goes to the function --function names; else to the one in the `.error` note a \
            dead-letter folder keeps beside it; else to the one a folder in its path is named like \
            (Events/cartAbandoned/...); else to the one named in its file name (dead-letter files are \
            named <time>-<function>-<event id>.json). So `tidings replay .tidings/dead-letter` sends each \
            kept event back to the function that refused it.

            Webhook signatures are checked only when SHOPIFY_WEBHOOK_SECRET or BIGCOMMERCE_WEBHOOK_SECRET \
            is set, as in a handler; the first line of the output says whether they are.

            Without --data-dir every run writes to a fresh folder under .tidings/replays/, so a second run \
            is not all duplicates.
            """)

    @Argument(help: "Event files or folders of them (*.json, read in name order).")
    var paths: [String]

    @Option(help: "Send every file to this function (cartAbandoned, orderCreated, orderCancelled, winBack).")
    var function: String?

    @Option(help: "Run every event at this ISO 8601 instant instead of its own time.")
    var now: String?

    @Option(help: "The data folder (audit/, outbox/, review/, dead-letter/). Default: a fresh .tidings/replays/<time>.")
    var dataDir: String?

    func validate() throws {
        if let function, FlowKind(rawValue: function) == nil {
            throw ValidationError(
                "--function '\(function)' is not one of "
                    + FlowKind.allCases.map(\.rawValue).joined(separator: ", "))
        }
    }

    func run() async throws {
        var environment = ProcessInfo.processInfo.environment
        var fixedNow: Date?
        if let now {
            guard let parsed = Timestamp.parse(now) else {
                throw ValidationError("--now '\(now)' is not an ISO 8601 timestamp with an offset")
            }
            fixedNow = parsed
        }
        let stamp = Timestamp.format(Date()).replacingOccurrences(of: ":", with: "")
        environment["TIDINGS_DATA_DIR"] = dataDir ?? ".tidings/replays/\(stamp)"
        var logger = FunctionEnvironment.logger(label: "tidings.replay", environment: environment)
        if environment["TIDINGS_LOG_LEVEL"] == nil { logger.logLevel = .warning }
        let configuration = try Configuration.load(environment: environment)

        let files = try Replayer.eventFiles(paths)
        guard !files.isEmpty else {
            throw ValidationError("no .json event files under \(paths.joined(separator: " "))")
        }
        print(Self.signatureLine(configuration.webhookSecrets))
        let results = try await Replayer(configuration: configuration, logger: logger)
            .replay(files, now: fixedNow, function: function.flatMap(FlowKind.init(rawValue:)))
        let rows = results.map { result in
            [
                Self.displayName(result.file) + (result.part.map { "#\($0)" } ?? ""), result.function.rawValue,
                result.report.outcome.rawValue,
                result.report.subject ?? result.report.reason ?? "",
            ]
        }
        print(Self.table(header: ["event", "function", "outcome", "subject or reason"], rows: rows))
        let data = configuration.dataDirectory.path
        print("\n\(results.count) events. Emails in \(data)/outbox, drafts for review in \(data)/review,")
        print(
            "refused events in \(data)/dead-letter, the audit in \(data)/audit (check it: tidings audit verify --data-dir \(data))."
        )
    }

    /// The header line that says whether signatures are checked: without a secret a forged
    /// signature is not noticed, and a reader of "forged-signature ... sent" must know why.
    static func signatureLine(_ secrets: WebhookSecrets) -> String {
        var checked: [String] = []
        if secrets.shopify != nil { checked.append("Shopify") }
        if secrets.bigcommerce != nil { checked.append("BigCommerce") }
        if checked.isEmpty {
            return "Webhook signatures: not checked (no SHOPIFY_WEBHOOK_SECRET or BIGCOMMERCE_WEBHOOK_SECRET is set), "
                + "so a delivery with a wrong signature is handled like any other.\n"
        }
        let unchecked = checked.count == 2 ? "" : " (\(checked == ["Shopify"] ? "BigCommerce" : "Shopify") not checked)"
        return "Webhook signatures: \(checked.joined(separator: " and ")) checked\(unchecked).\n"
    }

    static func displayName(_ file: URL) -> String {
        let components = file.pathComponents
        let parent = components.count >= 2 ? components[components.count - 2] : ""
        return parent == "invalid" ? "invalid/" + file.lastPathComponent : file.lastPathComponent
    }

    static func table(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = (0..<header.count).map { column in all.map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        let rule = widths.enumerated().map { index, width in
            String(repeating: "-", count: index == widths.count - 1 ? 20 : width)
        }
        return ([line(header), rule.joined(separator: "  ")] + rows.map(line)).joined(separator: "\n")
    }
}
