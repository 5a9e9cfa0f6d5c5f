import Foundation
import Logging
import Synchronization
import Testing
import TidingsCore
import TidingsHTTP
import TidingsRuntime
import TidingsServe

/// A review dashboard over a scratch data folder holding the recorded VIP cart's draft (queued by
/// running Events/cartAbandoned/shopify-loyal-vip.json through the cartAbandoned pipeline, as
/// ReviewDeskTests does), served on a free loopback port, with reviewers and passwords:
/// maria (cartAbandoned and orderCancelled, every tier), tom (cartAbandoned, new and regular
/// tiers only: not the VIP), ana (every flow, vip and loyal).
struct DashboardFixture {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let vipEvent = root.appendingPathComponent("Events/cartAbandoned/shopify-loyal-vip.json")
    /// After the cart's one-hour delay, as the replay goldens run it.
    static let queuedAt = Timestamp.parse("2026-11-21T19:20:00Z")!
    /// The dashboard's time: 45 minutes later.
    static let now = queuedAt.addingTimeInterval(45 * 60)
    static let config = #"""
        {"review": {"reviewers": {
            "maria": {"flows": ["orderCancelled", "cartAbandoned"], "tiers": ["*"]},
            "tom": {"flows": ["cartAbandoned"], "tiers": ["new", "regular"]},
            "ana": {"flows": ["*"], "tiers": ["vip", "loyal"]}
        }, "escalate_after": {"cartAbandoned": "24h"}}}
        """#
    static let passwords = ["maria": "maria-correct-horse", "tom": "tom-battery-staple", "ana": "ana-staple-horse"]
    /// Hashes at the lowest cost a users file accepts, made once: the tests sign in many times. A
    /// failed hash fails each test that asks for the file, not the test process.
    private static let hashedUsers = Result<String, any Error> {
        try passwords.keys.sorted().map { name in
            let hash = try PasswordHash.make(passwords[name] ?? "", iterations: PasswordHash.minimumIterations)
            return "\(name):\(hash.encoded)"
        }.joined(separator: "\n") + "\n"
    }

    /// The users file's text for `passwords`.
    static func usersFile() throws -> String { try hashedUsers.get() }

    let scratch: URL
    let configuration: Configuration
    let reviewID: String
    let eventID: String
    let server: RunningServer
    let address: String

    var data: URL { configuration.dataDirectory }

    /// Runs `body` with a fixture and tears it down. `publicURL` sets TIDINGS_DASHBOARD_PUBLIC_URL.
    static func with<Result>(
        publicURL: String? = nil, sessionClock: (any TimeSource)? = nil, deskTime: Date = now,
        sweepInterval: Duration? = nil, logger: Logger = quietLogger,
        _ body: (DashboardFixture) async throws -> Result
    ) async throws -> Result {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("dashboard-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let configFile = scratch.appendingPathComponent("config.json")
        try Data(config.utf8).write(to: configFile)
        let users = scratch.appendingPathComponent("users")
        try Data(usersFile().utf8).write(to: users)
        let dataFolder = scratch.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: dataFolder, withIntermediateDirectories: true)
        var environment = [
            "TIDINGS_DATA_DIR": dataFolder.path, "TIDINGS_CONFIG_FILE": configFile.path,
            "TIDINGS_SHOP_DIR": root.appendingPathComponent("Events/shop").path, "TIDINGS_ESP": "outbox",
            "SHOPIFY_WEBHOOK_SECRET": "northwind-webhook-secret",
            "TIDINGS_DASHBOARD_USERS_FILE": users.path,
        ]
        if let publicURL { environment["TIDINGS_DASHBOARD_PUBLIC_URL"] = publicURL }
        let configuration = try Configuration.load(environment: environment, workingDirectory: root)
        let (reviewID, eventID, address) = try await queueVIP(configuration)
        let dashboardSettings = try DashboardSettings.load(
            environment: environment, reviewers: Set(configuration.reviewDesk.reviewers.keys))
        let clock = FixedClock(deskTime)
        let auth = DashboardAuth(settings: dashboardSettings, clock: sessionClock ?? clock)
        let dashboard = try ReviewDashboard(
            configuration: configuration, auth: auth, logger: logger, clock: clock, sweepInterval: sweepInterval)
        let server = try await RunningServer(.forTest(configuration, parts: [dashboard]))
        let fixture = DashboardFixture(
            scratch: scratch, configuration: configuration, reviewID: reviewID, eventID: eventID, server: server,
            address: address)
        do {
            let result = try await body(fixture)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }

    /// Runs the recorded VIP cart through the cartAbandoned pipeline; returns the review id, the
    /// event id and the recipient's address.
    static func queueVIP(_ configuration: Configuration) async throws -> (String, String, String) {
        let stages = try FunctionEnvironment.embeddedStages(
            function: .cartAbandoned, configuration: configuration, clock: FixedClock(queuedAt))
        let pipeline = try Pipeline(flow: .cartAbandoned(configuration), configuration: configuration, stages: stages)
        let document = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: vipEvent)) as? [String: Any])
        let body = Array(try #require(document["body"] as? String).utf8)
        let report = await pipeline.handle(
            InboundDelivery(body: body, headers: try #require(document["headers"] as? [String: String])),
            correlationID: "t", logger: quietLogger)
        #expect(report.outcome == .queuedForReview)
        let pending = try FolderReviewQueue(directory: configuration.dataDirectory.appendingPathComponent("review"))
            .pending()
        let item = try #require(pending.first)
        return (item.id, item.eventID, item.to)
    }

    /// The .eml files in the outbox.
    var outbox: [String] {
        let folder = data.appendingPathComponent("outbox")
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter {
            $0.hasSuffix(".eml")
        }
    }

    /// The event's audit records.
    func story() throws -> AuditStory {
        try AuditStory.read(root: data.appendingPathComponent("audit"), eventID: eventID)
    }

    /// Whether the item still waits.
    var stillWaiting: Bool {
        ((try? FolderReviewQueue(directory: data.appendingPathComponent("review")).pending()) ?? []).contains {
            $0.id == reviewID
        }
    }

    /// A browser: keeps the session cookie between requests.
    func browser() -> DashboardBrowser { DashboardBrowser(server: server) }
}

/// A minimal browser over the running server: one cookie, forms as url-encoded POSTs.
final class DashboardBrowser: @unchecked Sendable {
    let server: RunningServer
    var cookie: String?

    init(server: RunningServer) { self.server = server }

    func get(_ path: String) async throws -> TransportResponse {
        try await remember(server.send("GET", path, headers: cookieHeader))
    }

    func post(_ path: String, _ fields: [(String, String)]) async throws -> TransportResponse {
        let body = fields.map { "\(PercentEncoding.encode($0.0))=\(PercentEncoding.encode($0.1))" }.joined(
            separator: "&")
        var headers = cookieHeader
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return try await remember(server.send("POST", path, headers: headers, body: Array(body.utf8)))
    }

    /// Signs in as `name` with `password` (the sign-in form's token first); returns the answer.
    @discardableResult
    func signIn(_ name: String, _ password: String) async throws -> TransportResponse {
        let page = try await get("/signin")
        let token = try #require(Self.csrfToken(in: page.text))
        return try await post("/signin", [("csrf", token), ("name", name), ("password", password)])
    }

    /// The CSRF token of the first form on a page.
    static func csrfToken(in html: String) -> String? {
        guard let range = html.range(of: #"name="csrf" value=""#) else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    private var cookieHeader: [String: String] {
        cookie.map { ["Cookie": "\(DashboardAuth.cookieName)=\($0)"] } ?? [:]
    }

    private func remember(_ response: TransportResponse) -> TransportResponse {
        if let setCookie = response.headers["set-cookie"], setCookie.hasPrefix("\(DashboardAuth.cookieName)=") {
            let value = setCookie.dropFirst(DashboardAuth.cookieName.count + 1).prefix { $0 != ";" }
            cookie = value.isEmpty ? nil : String(value)
        }
        return response
    }
}

extension TransportResponse {
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// A clock the test moves, for session and lockout expiry.
final class SteppedClock: TimeSource, Sendable {
    private let current: Mutex<Date>
    init(_ start: Date) { current = Mutex(start) }
    var now: Date { current.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { current.withLock { $0 += seconds } }
}

/// A text stream that keeps what is written, for reading log lines back.
final class CapturedLog: TextOutputStream, Sendable {
    private let text = Mutex("")
    var written: String { text.withLock { $0 } }
    func write(_ string: String) { text.withLock { $0 += string } }
}
