import ArgumentParser
import Foundation
import TidingsCore

/// The `tidings` command-line tool: replay recorded events, check the audit, measure.
@main
struct Tidings: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tidings",
        abstract: "Tidings: AI-written lifecycle email for eCommerce, run locally.",
        subcommands: [
            ReplayCommand.self, EmulateCommand.self, AuditCommand.self, ReviewCommand.self, BenchCommand.self,
            ShopCommand.self, ModelCommand.self, SynthCommand.self, DispatchCommand.self, StateCommand.self,
            ExperimentsCommand.self,
            PrivacyCommand.self, ServeCommand.self,
        ])

    /// Parses and runs like ArgumentParser's own `main`, with the one difference that errors a
    /// subcommand throws while running are reported here: a wrong use (`ValidationError`) with the
    /// usage of the subcommand that failed, not the root's, and any other error as a plain
    /// sentence (`PlainMessage`) instead of a Swift error dump.
    static func main() async {
        var command: any ParsableCommand
        do {
            command = try await asyncParseAsRoot()
        } catch {
            exit(withError: error)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as ValidationError {
            let usage = usageString(for: type(of: command))
            let name = usage.split(separator: " ").prefix {
                !$0.hasPrefix("[") && !$0.hasPrefix("<") && !$0.hasPrefix("-")
            }
            .joined(separator: " ")
            printError("Error: \(error.message)\nUsage: \(usage)\n  See '\(name) --help' for more information.")
            Foundation.exit(ExitCode.validationFailure.rawValue)
        } catch {
            // ArgumentParser's own errors (help, exit codes, clean exits) keep their handling;
            // Foundation's and the decoders' become sentences.
            guard let message = PlainMessage.replacing(error) else { exit(withError: error) }
            printError("Error: \(message)")
            Foundation.exit(ExitCode.failure.rawValue)
        }
    }

    static func printError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
