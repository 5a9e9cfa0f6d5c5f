import Foundation
import Testing
import TidingsCore
import TidingsServe

/// The insights pages over HTTP, behind the review dashboard's auth guard: signed out they lead to
/// sign-in, signed in they answer with the dashboard's policy, a bad query is a 400 naming its
/// field, and the timeline of the recorded VIP's event shows its records.
@Suite("Dashboard: insights routes")
struct InsightsDashboardTests {
    /// The VIP's draft queued as the dashboard tests queue it, and both parts on one auth guard.
    static func withServer(
        engagementFile: String? = nil, _ body: (RunningServer, DashboardBrowser, String) async throws -> Void
    ) async throws {
        try await InsightsFixtures.withScratch { scratch in
            let configFile = scratch.appendingPathComponent("config.json")
            try Data(DashboardFixture.config.utf8).write(to: configFile)
            let users = scratch.appendingPathComponent("users")
            try Data(DashboardFixture.usersFile().utf8).write(to: users)
            let data = scratch.appendingPathComponent("data")
            try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
            let environment = [
                "TIDINGS_DATA_DIR": data.path, "TIDINGS_CONFIG_FILE": configFile.path,
                "TIDINGS_SHOP_DIR": InsightsFixtures.root.appendingPathComponent("Events/shop").path,
                "TIDINGS_ESP": "outbox", "TIDINGS_DASHBOARD_USERS_FILE": users.path,
            ]
            let configuration = try Configuration.load(
                environment: environment, workingDirectory: InsightsFixtures.root)
            let (_, eventID, _) = try await DashboardFixture.queueVIP(configuration)
            let clock = FixedClock(DashboardFixture.now)
            let auth = DashboardAuth(
                settings: try DashboardSettings.load(
                    environment: environment, reviewers: Set(configuration.reviewDesk.reviewers.keys)),
                clock: clock)
            let parts: [any ServePart] = [
                try ReviewDashboard(
                    configuration: configuration, auth: auth, logger: DashboardFixture.quietLogger, clock: clock),
                InsightsDashboard(configuration: configuration, auth: auth, engagementFile: engagementFile),
            ]
            let server = try await RunningServer(.forTest(configuration, parts: parts))
            do {
                try await body(server, DashboardBrowser(server: server), eventID)
            } catch {
                await server.stop()
                throw error
            }
            await server.stop()
        }
    }

    @Test("Signed out, both pages lead to sign-in; signed in, they answer under the dashboard's policy")
    func behindTheGuard() async throws {
        try await Self.withServer { _, browser, eventID in
            for path in ["/experiments", "/audit", "/audit?event=\(PercentEncoding.encode(eventID))"] {
                let answer = try await browser.get(path)
                #expect(answer.status == 303, "\(path)")
                #expect(answer.headers["location"] == "/signin", "\(path)")
                #expect(!answer.text.contains(eventID))
            }
            try await browser.signIn("tom", DashboardFixture.passwords["tom"]!)
            let experiments = try await browser.get("/experiments")
            #expect(experiments.status == 200)
            #expect(experiments.headers["content-security-policy"] == DashboardLayout.contentSecurityPolicy)
            #expect(experiments.headers["cache-control"] == "no-store")
            #expect(experiments.text.contains("<a href=\"/experiments\" aria-current=\"page\">"))
            // This configuration has no experiments: the page says so, and what to add.
            #expect(experiments.text.contains("No experiments are configured"))

            // Any reviewer may read the audit; the VIP's event shows its records up to the queue.
            let audit = try await browser.get("/audit?event=\(PercentEncoding.encode(eventID))")
            #expect(audit.status == 200)
            #expect(audit.text.contains("<tr class=\"record\" data-stage=\"normalize\">"))
            #expect(audit.text.contains("<tr class=\"record\" data-stage=\"review\">"))
            #expect(audit.text.contains("<span class=\"outcome tag warning\">queued_for_review</span>"))
            // A form's GET query: '+' is a space, so an id with a space round-trips.
            let spaced = try await browser.get("/audit?customer=no+such+customer")
            #expect(spaced.text.contains("The audit has no records of customer no such customer."))
        }
    }

    @Test("A bad query is a 400 that names its field")
    func badQueries() async throws {
        try await Self.withServer { _, browser, _ in
            try await browser.signIn("maria", DashboardFixture.passwords["maria"]!)
            let metric = try await browser.get("/experiments?metric=ctr")
            #expect(metric.status == 400)
            #expect(metric.text.contains("metric: &#39;ctr&#39; is not one of open, click, conversion"))
            let both = try await browser.get("/audit?event=a&customer=b")
            #expect(both.status == 400)
            #expect(both.text.contains("event: give an event or a customer, not both"))
            let encoding = try await browser.get("/audit?event=%ZZ")
            #expect(encoding.status == 400)
        }
    }
}
