import ArgumentParser
import Foundation
import TidingsCore
import TidingsRuntime

extension ShopCommand {
    /// `tidings shop check`: connects to the shop `TIDINGS_COMMERCE` names with the configured
    /// credentials, says what it can read and names each missing access scope, so that a wrong
    /// token shows before the first webhook. Exits 1 when anything cannot be read.
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check that the configured shop credentials can read what Tidings needs (TIDINGS_COMMERCE).")

        @Option(help: "A customer id to read as well, with their orders (Shopify).")
        var customer: String?

        func run() async throws {
            let configuration = try Configuration.load(environment: ProcessInfo.processInfo.environment)
            switch configuration.commerce.source {
            case .recorded:
                print(
                    "TIDINGS_COMMERCE=recorded: the recorded shop under \(configuration.shopDirectory.path) answers; "
                        + "nothing to connect to.")
            case .shopify:
                guard let settings = configuration.commerce.shopify else { return }
                print("Shopify \(settings.shop) (API \(settings.apiVersion), \(settings.baseURL)):")
                let client = FunctionEnvironment.shopifyClient(settings, configuration: configuration)
                let lines = await ShopifyShopCheck.run(client, customerID: customer)
                for line in lines {
                    print("  \(line.passed ? "ok  " : "FAIL") \(line.what): \(line.detail)")
                }
                if lines.contains(where: { !$0.passed }) { throw ExitCode(1) }
            case .bigcommerce:
                guard let store = configuration.commerce.bigCommerce else { return }
                let client = FunctionEnvironment.bigCommerceClient(store, configuration: configuration)
                let checks = await client.checkAccess()
                print("BigCommerce store \(store.storeHash) at \(store.baseURL):")
                print(Self.report(checks))
                if checks.contains(where: { $0.status != .readable }) { throw ExitCode(1) }
            }
        }

        /// One line per check, then the missing scopes by name.
        static func report(_ checks: [ShopAccessCheck]) -> String {
            var lines: [String] = []
            for check in checks {
                let verdict: String
                switch check.status {
                case .readable: verdict = "ok"
                case .missingScope: verdict = "MISSING SCOPE \(check.scope)"
                case .tokenRefused: verdict = "TOKEN REFUSED (401)"
                case .unknown(let reason): verdict = "UNKNOWN: \(reason)"
                }
                lines.append("  \(check.resource.padding(toLength: 24, withPad: " ", startingAt: 0))\(verdict)")
            }
            let missing = checks.filter { $0.status == .missingScope }.map(\.scope)
            let undecided = checks.filter { $0.status != .readable && $0.status != .missingScope }.map(\.resource)
            if !missing.isEmpty {
                lines.append(
                    "Missing scopes: \(missing.joined(separator: ", ")) (grant them read-only to the API account).")
            }
            if !undecided.isEmpty {
                lines.append("Could not tell for: \(undecided.joined(separator: ", ")) (see above).")
            } else if missing.isEmpty {
                lines.append("No scope is missing.")
            }
            return lines.joined(separator: "\n")
        }
    }
}
