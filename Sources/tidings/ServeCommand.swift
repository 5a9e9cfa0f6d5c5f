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
            otherwise. Stops on Ctrl-C or SIGTERM. The review dashboard signs in the reviewers of \
            TIDINGS_DASHBOARD_USERS_FILE (lines from `tidings serve hash-password NAME`).
            """,
        subcommands: [HashPassword.self])

    @Option(help: "The address to listen on (default: $TIDINGS_SERVE_HOST or 127.0.0.1, loopback only).")
    var host: String?

    @Option(help: "The port to listen on (default: $TIDINGS_SERVE_PORT or 8080; 0 picks a free one).")
    var port: Int?

    @Option(help: "The data folder (default: $TIDINGS_DATA_DIR or .tidings).")
    var dataDir: String?

    @Option(help: "Queued webhooks handled at once (0: only accept and queue them).")
    var workers = WebhookReceiver.Settings().workers

    @Option(
        help: """
            The engagement the experiments page reads, as `tidings experiments report --engagement` \
            (default: $TIDINGS_ENGAGEMENT_FILE; read again on every view).
            """)
    var engagement: String?

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
        // One auth guard for every dashboard part: they share the sessions.
        let auth = DashboardAuth(
            settings: try DashboardSettings.load(
                environment: environment, reviewers: Set(configuration.reviewDesk.reviewers.keys)))
        if auth.settings.credentials.isEmpty {
            logger.warning(
                "the review dashboard has no reviewers to sign in: set TIDINGS_DASHBOARD_USERS_FILE (lines from `tidings serve hash-password NAME`)"
            )
        }
        let dashboard = try ReviewDashboard(configuration: configuration, auth: auth, logger: logger)
        let insights = InsightsDashboard(
            configuration: configuration, auth: auth,
            engagementFile: engagement ?? environment["TIDINGS_ENGAGEMENT_FILE"].flatMap { $0.isEmpty ? nil : $0 })
        let server = ServeServer(
            configuration: configuration, address: address, parts: [receiver, dashboard, insights], logger: logger)
        try await server.run { port in
            // Unbuffered: whoever reads a pipe (a supervisor, a test) learns the port at once.
            FileHandle.standardOutput.write(Data("tidings serve: listening on http://\(address.host):\(port)/\n".utf8))
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

extension ServeCommand {
    /// `tidings serve hash-password NAME`: reads a password from stdin and prints the users-file
    /// line for it (PBKDF2-HMAC-SHA256, docs/decisions/serve-dashboard.md).
    struct HashPassword: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hash-password",
            abstract: "Read a reviewer's password from stdin; print the line for TIDINGS_DASHBOARD_USERS_FILE.",
            discussion: """
                The first line of stdin is the password (e.g. `printf '%s\\n' "$PW" | tidings serve \
                hash-password maria`). It is never printed or logged; the output is NAME:pbkdf2-sha256$....
                """)

        @Argument(help: "The reviewer's name, as in review.reviewers.")
        var name: String

        func validate() throws {
            guard !name.isEmpty, !name.contains(":"), !name.contains(where: \.isNewline) else {
                throw ValidationError("the name must be non-empty, without ':' or line breaks")
            }
        }

        func run() throws {
            guard let line = Swift.readLine(strippingNewline: true), !line.isEmpty else {
                throw ValidationError("no password on stdin (the first line is the password)")
            }
            Swift.print("\(name):\(try PasswordHash.make(line).encoded)")
        }
    }
}
