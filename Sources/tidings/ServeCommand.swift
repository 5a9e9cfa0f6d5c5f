import ArgumentParser
import Foundation
import TidingsCore
import TidingsRuntime
import TidingsServe

/// `tidings serve`: the webhook receiver and the review dashboard on one local server, on the
/// same configuration and code paths as the handlers (docs/decisions/serve.md).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Receive webhooks and serve the review dashboard on a local address.",
        discussion: """
            Listens on 127.0.0.1:8080 unless --host/--port (or TIDINGS_SERVE_HOST/TIDINGS_SERVE_PORT) say \
            otherwise. Stops on Ctrl-C or SIGTERM.
            """)

    @Option(help: "The address to listen on (default: $TIDINGS_SERVE_HOST or 127.0.0.1, loopback only).")
    var host: String?

    @Option(help: "The port to listen on (default: $TIDINGS_SERVE_PORT or 8080; 0 picks a free one).")
    var port: Int?

    @Option(help: "The data folder (default: $TIDINGS_DATA_DIR or .tidings).")
    var dataDir: String?

    @Option(help: "Queued webhooks handled at once (0: only accept and queue them).")
    var workers = WebhookReceiver.Settings().workers

    func validate() throws {
        if let port, !(0...65535).contains(port) {
            throw ValidationError("--port must be between 0 and 65535, not \(port)")
        }
        if let host, host.isEmpty { throw ValidationError("--host must not be empty") }
        if workers < 0 { throw ValidationError("--workers must be 0 or more, not \(workers)") }
    }

    func run() async throws {
        var environment = ProcessInfo.processInfo.environment
        if let dataDir { environment["TIDINGS_DATA_DIR"] = dataDir }
        let logger = FunctionEnvironment.logger(label: "tidings.serve", environment: environment)
        let configuration = try Configuration.load(environment: environment)
        let address = try Self.address(host: host, port: port, environment: environment)
        var receiverSettings = WebhookReceiver.Settings()
        receiverSettings.workers = workers
        let receiver = try WebhookReceiver.make(environment: environment, settings: receiverSettings, logger: logger)
        let server = ServeServer(configuration: configuration, address: address, parts: [receiver], logger: logger)
        try await server.run { port in
            print("tidings serve: listening on http://\(address.host):\(port)/")
        }
    }

    /// The options win over the environment, the environment over loopback:8080.
    static func address(host: String?, port: Int?, environment: [String: String]) throws -> ServeAddress {
        var address = ServeAddress.loopback
        if let value = environment["TIDINGS_SERVE_HOST"], !value.isEmpty { address.host = value }
        if let value = environment["TIDINGS_SERVE_PORT"], !value.isEmpty {
            guard let number = Int(value), (0...65535).contains(number) else {
                throw ValidationError("TIDINGS_SERVE_PORT must be a port number (0-65535), not '\(value)'")
            }
            address.port = number
        }
        if let host { address.host = host }
        if let port { address.port = port }
        return address
    }
}
