import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ServiceLifecycle
import TidingsCore

/// Where `tidings serve` listens: loopback unless asked otherwise, because the dashboard holds
/// drafts with customers' names and a receiver on every interface is a choice, not a default.
package struct ServeAddress: Sendable, Equatable {
    package var host: String
    package var port: Int

    package static let loopback = ServeAddress(host: "127.0.0.1", port: 8080)

    package init(host: String, port: Int) {
        self.host = host
        self.port = port
    }
}

/// `tidings serve`: one Hummingbird application carrying the webhook receiver (routes under
/// `/webhooks`, `/events`, `/unsubscribe`) and the review dashboard (everything else), on the
/// same configuration and code paths as the function handlers. Each part registers its own
/// routes and background services; this type only puts them together (docs/decisions/serve.md).
package struct ServeServer: Sendable {
    package let configuration: Configuration
    package let address: ServeAddress
    package let logger: Logger
    /// The parts: each adds its routes to the router and may bring long-running services (the
    /// receiver's queue worker).
    let parts: [any ServePart]

    package init(configuration: Configuration, address: ServeAddress, parts: [any ServePart], logger: Logger) {
        self.configuration = configuration
        self.address = address
        self.parts = parts
        self.logger = logger
    }

    /// Builds the router with every part's routes behind the shared security headers.
    package func router() -> Hummingbird.Router<BasicRequestContext> {
        let router = Hummingbird.Router()
        router.add(middleware: SecurityHeadersMiddleware())
        for part in parts { part.register(on: router) }
        return router
    }

    /// Runs until SIGINT or SIGTERM. `onListening` gets the bound port (useful with port 0).
    package func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let application = Application(
            router: router(),
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: "tidings"),
            services: parts.flatMap(\.services),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
        try await application.runService()
    }
}

/// One part of the server: the receiver or the dashboard.
package protocol ServePart: Sendable {
    func register(on router: Hummingbird.Router<BasicRequestContext>)
    /// Background work that lives as long as the server (ServiceLifecycle services).
    var services: [any Service] { get }
}

extension ServePart {
    package var services: [any Service] { [] }
}

/// Headers every answer carries, whichever part wrote it: no sniffing, no framing by other sites,
/// no referrer leaking a review id. The dashboard adds its Content-Security-Policy per page.
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    static let frameOptions = HTTPField.Name("X-Frame-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        // Errors become their answers here, so a 404 or a 401 carries the headers too.
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        response.headers[.xContentTypeOptions] = "nosniff"
        // DENY unless a route chose otherwise on purpose: the dashboard's email preview is
        // framed by the dashboard's own page (docs/decisions/serve-dashboard.md).
        if response.headers[Self.frameOptions] == nil { response.headers[Self.frameOptions] = "DENY" }
        response.headers[Self.referrerPolicy] = "no-referrer"
        return response
    }
}
