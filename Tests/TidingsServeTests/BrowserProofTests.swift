import Foundation
import Logging
import Testing
import TidingsCore
import TidingsDevKit
import TidingsRuntime
import TidingsServe

/// Issue 16, "Proof": `tidings serve`'s dashboard in a real headless browser (Debian's Chromium
/// and chromium-driver, driven by Selenium from Tests/Fixtures/browser/dashboard_proof.py). The
/// recorded cart events are replayed under an experiment, so the VIP's draft waits for review and
/// the experiments page has arms to chart; the script signs in, is refused without the role and
/// without a CSRF token, sees the draft's preview and approves it; this test then finds the email
/// in the outbox and the approval in the audit.
///
/// Without Chromium the test fails and says what to install; it never passes silently.
/// `TIDINGS_DASHBOARD_SCREENSHOT=docs/dashboard-review.png swift test --filter BrowserProofTests`
/// also saves the draft page with its preview there.
@Suite("Dashboard in a real browser")
struct BrowserProofTests {
    static let root = InsightsFixtures.root
    /// The dashboard's clock: after every recorded cart's delay.
    static let now = Timestamp.parse("2026-11-21T20:05:00Z")!
    static let config = #"""
        {"review": {"reviewers": {
            "maria": {"flows": ["orderCancelled", "cartAbandoned"], "tiers": ["*"]},
            "tom": {"flows": ["cartAbandoned"], "tiers": ["new", "regular"]},
            "ana": {"flows": ["*"], "tiers": ["vip", "loyal"]}
        }},
        "experiments": [{
            "id": "cart-subjects-1", "flow": "cartAbandoned",
            "arms": [
                {"name": "urgency", "strategy": "urgency", "subject_rule": "first"},
                {"name": "benefit", "strategy": "benefit", "subject_rule": "question"}
            ],
            "holdout": {"share": 0.2, "treatment": "control_email"},
            "min_recipients_per_arm": 2
        }]}
        """#
    /// The dashboard tests' reviewers and passwords, hashed once for the whole test process.
    static let passwords = DashboardFixture.passwords

    @Test("Sign in, refusals without the role and without the CSRF token, preview, approve; the email and the audit")
    func reviewInTheBrowser() async throws {
        // Not silently skipped: without the browser this fails, saying what to install.
        do {
            _ = try BrowserHarness.binaries()
        } catch {
            Issue.record("\(error)")
            return
        }
        try await InsightsFixtures.withScratch { scratch in
            let (configuration, engagement, users) = try Self.prepare(scratch)
            let results = try await Replayer(configuration: configuration, logger: Self.quietLogger)
                .replay(try Replayer.eventFiles([Self.root.appendingPathComponent("Events/cartAbandoned").path]))
            let vip = try #require(results.first { $0.file.lastPathComponent == "shopify-loyal-vip.json" })
            #expect(vip.report.outcome == .queuedForReview)
            let queue = try FolderReviewQueue(directory: configuration.dataDirectory.appendingPathComponent("review"))
            let item = try #require(try queue.pending().first { $0.eventID == vip.report.eventID })
            let record = try #require(try queue.load(id: item.id))
            let outboxBefore = Self.outbox(configuration)
            try Self.writeEngagement(configuration, to: engagement)

            let clock = FixedClock(Self.now)
            let auth = DashboardAuth(
                settings: try DashboardSettings.load(
                    environment: ["TIDINGS_DASHBOARD_USERS_FILE": users.path],
                    reviewers: Set(configuration.reviewDesk.reviewers.keys)),
                clock: clock)
            let parts: [any ServePart] = [
                try ReviewDashboard(configuration: configuration, auth: auth, logger: Self.quietLogger, clock: clock),
                InsightsDashboard(configuration: configuration, auth: auth, engagementFile: engagement.path),
            ]
            let server = try await RunningServer(.forTest(configuration, parts: parts))
            var scenario: [String: JSONValue] = [
                "base": .string(server.base), "review_id": .string(item.id), "event_id": .string(item.eventID),
                "allowed": .object(["name": "maria", "password": .string(Self.passwords["maria"]!)]),
                "refused": .object(["name": "tom", "password": .string(Self.passwords["tom"]!)]),
                "preview_text": .string(try Self.previewText(record.draft)),
            ]
            if let path = ProcessInfo.processInfo.environment["TIDINGS_DASHBOARD_SCREENSHOT"], !path.isEmpty {
                scenario["screenshot"] = .string(
                    path.hasPrefix("/") ? path : Self.root.appendingPathComponent(path).path)
            }
            let run: BrowserHarness.Run
            do {
                run = try await BrowserHarness.runScript("dashboard_proof.py", scenario: .object(scenario))
            } catch {
                await server.stop()
                throw error
            }
            await server.stop()

            #expect(run.status == 0, "the browser script failed: \(run.stderr.suffix(2000))")
            #expect(run.checks.count >= 18, "\(run.checks.map(\.name)) \(run.stderr.suffix(2000))")
            for check in run.checks {
                #expect(check.ok, "browser: \(check.name): \(check.detail)")
            }

            // The email is at the service (the outbox), once, for this event.
            let sent = Self.outbox(configuration).subtracting(outboxBefore)
            #expect(sent.count == 1, "\(sent)")
            if let file = sent.first {
                let email = try String(
                    contentsOf: configuration.dataDirectory.appendingPathComponent("outbox/\(file)"), encoding: .utf8)
                #expect(email.contains("X-Tidings-Event-Id: \(item.eventID)"))
                #expect(email.contains("Subject: "))
            }
            // The approval is in the audit: who, then the hand-over, then the event's final outcome.
            let story = try AuditStory.read(
                root: configuration.dataDirectory.appendingPathComponent("audit"), eventID: item.eventID)
            let approval = try #require(story.records.first { $0.stage == "review_approve" })
            #expect(approval.facts["reviewer"]?.stringValue == "maria")
            #expect(story.records.contains { $0.stage == "deliver" && $0.facts["approved_by"]?.stringValue == "maria" })
            #expect(story.records.compactMap(\.outcome).last == "sent")
            // Neither tom nor the tokenless rejection left a decision.
            #expect(!story.records.contains { $0.facts["reviewer"]?.stringValue == "tom" })
            #expect(!story.records.contains { $0.stage == "review_reject" })
            #expect(try queue.pending().allSatisfy { $0.id != item.id })
        }
    }

    @Test("Without Chromium the browser tests fail, saying what to install")
    func missingBrowserIsNamed() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("no-browser-\(UUID().uuidString)")
        do {
            _ = try BrowserHarness.binaries(environment: ["PATH": empty.path], defaults: [])
            Issue.record("found a browser in an empty PATH")
        } catch {
            #expect(error.description.contains("chromium and chromedriver cannot be found"))
            #expect(error.description.contains("apt-get install -y chromium chromium-driver"))
        }
        do {
            _ = try BrowserHarness.binaries(environment: ["TIDINGS_TEST_CHROMIUM": empty.path + "/chromium"])
            Issue.record("took a chromium that does not exist")
        } catch {
            #expect(error.description.contains("chromium cannot be found"))
        }
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }

    /// The configuration, engagement and users files under `scratch`, and the configuration.
    static func prepare(_ scratch: URL) throws -> (Configuration, URL, URL) {
        let configFile = scratch.appendingPathComponent("config.json")
        try Data(config.utf8).write(to: configFile)
        let users = scratch.appendingPathComponent("users")
        try Data(DashboardFixture.usersFile().utf8).write(to: users)
        let data = scratch.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let configuration = try Configuration.load(
            environment: [
                "TIDINGS_DATA_DIR": data.path, "TIDINGS_CONFIG_FILE": configFile.path,
                "TIDINGS_SHOP_DIR": root.appendingPathComponent("Events/shop").path, "TIDINGS_ESP": "outbox",
                "SHOPIFY_WEBHOOK_SECRET": "northwind-webhook-secret",
                "BIGCOMMERCE_WEBHOOK_SECRET": "northwind-bigcommerce-secret",
            ], workingDirectory: root)
        return (configuration, scratch.appendingPathComponent("engagement.jsonl"), users)
    }

    /// Engagement for every exposed customer of the experiment, as an email service would export
    /// it: a send each, opens for two in three, an order of 40.00 USD for one in three.
    static func writeEngagement(_ configuration: Configuration, to file: URL) throws {
        let exposures = try ExperimentExposures.read(
            auditRoot: configuration.dataDirectory.appendingPathComponent("audit"), experimentID: "cart-subjects-1")
        #expect(exposures.groups.count >= 6, "\(exposures.groups)")
        var lines: [String] = []
        for (index, customer) in exposures.groups.keys.sorted().enumerated() {
            let id = JSONValue.string(customer)
            lines.append(
                String(decoding: CanonicalJSON.bytes(.object(["event": "send", "customer_id": id])), as: UTF8.self))
            if index % 3 != 2 {
                lines.append(
                    String(decoding: CanonicalJSON.bytes(.object(["event": "open", "customer_id": id])), as: UTF8.self))
            }
            if index % 3 == 0 {
                lines.append(
                    String(
                        decoding: CanonicalJSON.bytes(
                            .object([
                                "event": "order", "customer_id": id, "revenue": "40.00", "currency": "USD",
                            ])), as: UTF8.self))
            }
        }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: file)
    }

    /// A line of the draft's body the HTML preview must show: the first block's first sentence.
    static func previewText(_ draft: Draft) throws -> String {
        let text = try #require(draft.blocks.first { !$0.text.isEmpty }?.text)
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? text
        return String(line.prefix(40)).trimmingCharacters(in: .whitespaces)
    }

    static func outbox(_ configuration: Configuration) -> Set<String> {
        let folder = configuration.dataDirectory.appendingPathComponent("outbox")
        return Set(
            ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".eml") })
    }
}
