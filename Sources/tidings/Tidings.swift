import ArgumentParser
import Foundation

/// The `tidings` command-line tool: replay recorded events, check the audit, measure.
@main
struct Tidings: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tidings",
        abstract: "Tidings: AI-written lifecycle email for eCommerce, run locally.",
        subcommands: [
            ReplayCommand.self, EmulateCommand.self, AuditCommand.self, ReviewCommand.self, BenchCommand.self,
            ShopCommand.self, ModelCommand.self, SynthCommand.self,
        ])
}
