import Foundation
import Testing
import TidingsCore
import TidingsServe

/// Issue 16, "Review dashboard": the queue and draft pages, and approve, reject and edit through
/// the desk, over real HTTP, on the recorded VIP cart's draft.
@Suite("Dashboard: the review queue and its decisions")
struct DashboardReviewTests {
    /// Signs `name` in and returns the browser and the draft page's CSRF token.
    static func signedIn(_ fixture: DashboardFixture, _ name: String) async throws -> (DashboardBrowser, String) {
        let browser = fixture.browser()
        #expect(try await browser.signIn(name, DashboardFixture.passwords[name]!).status == 303)
        let page = try await browser.get("/review/\(fixture.reviewID)")
        return (browser, try #require(DashboardBrowser.csrfToken(in: page.text)))
    }

    @Test(
        "The queue lists the draft with flow, tier, age; the draft page shows context, findings, subjects, a sandboxed preview"
    )
    func pages() async throws {
        try await DashboardFixture.with { fixture in
            let (browser, _) = try await Self.signedIn(fixture, "maria")
            let queue = try await browser.get("/review")
            #expect(queue.text.contains("cartAbandoned"))
            #expect(queue.text.contains("<td>vip</td>"), "\(queue.text)")
            #expect(queue.text.contains("can decide"))
            let record = try #require(
                try FolderReviewQueue(directory: fixture.data.appendingPathComponent("review")).load(
                    id: fixture.reviewID))
            let waited = Int(DashboardFixture.now.timeIntervalSince(record.sendAt) / 60)
            #expect(waited > 60 && waited < 48 * 60)
            let age = "<td class=\"nowrap\">\(waited / 60) h \(String(format: "%02d", waited % 60)) min</td>"
            #expect(queue.text.contains(age), "waited \(waited) minutes past its send time")

            let page = try await browser.get("/review/\(fixture.reviewID)")
            #expect(page.status == 200)
            let context = try #require(record.context)
            let facts = context.validatorFacts
            #expect(
                page.text.contains(
                    "<dt>First name</dt><dd>\(DashboardLayout.escape(try #require(facts.firstName)))</dd>"))
            #expect(page.text.contains("<dt>Tier</dt><dd>vip</dd>"))
            let orders = try #require(context.orderCount)
            #expect(orders > 0, "the recorded VIP has orders")
            #expect(page.text.contains("<dt>Orders</dt><dd>\(orders)"))
            for title in facts.cartTitles { #expect(page.text.contains(DashboardLayout.escape(title)), "\(title)") }
            for subject in record.draft.subjects { #expect(page.text.contains(DashboardLayout.escape(subject))) }
            #expect(page.text.contains(#"<span class="score">"#))
            #expect(
                page.text.contains(
                    #"sandbox="" referrerpolicy="no-referrer" title="HTML part" src="/review/\#(fixture.reviewID)/preview/html""#
                ))
            #expect(!page.text.contains("allow-scripts"))
            #expect(!page.text.contains("<script"))
            let html = try await browser.get("/review/\(fixture.reviewID)/preview/html")
            #expect(html.text.contains(DashboardLayout.escape(try #require(facts.firstName))))
            #expect(html.text.lowercased().contains("<html"))
        }
    }

    @Test("The draft page shows no full email address, only a masked one, and no last name")
    func noFullAddress() async throws {
        try await DashboardFixture.with { fixture in
            let (browser, _) = try await Self.signedIn(fixture, "maria")
            let record = try #require(
                try FolderReviewQueue(directory: fixture.data.appendingPathComponent("review")).load(
                    id: fixture.reviewID))
            for path in ["/review", "/review/\(fixture.reviewID)"] {
                let page = try await browser.get(path)
                #expect(!page.text.contains(fixture.address), "\(path)")
                #expect(!page.text.contains(DashboardLayout.escape(fixture.address)), "\(path)")
                for value in try #require(record.context).validatorFacts.personalData where value.count > 3 {
                    #expect(!page.text.contains(DashboardLayout.escape(value)), "\(path) shows \(value)")
                }
            }
            let draft = try await browser.get("/review/\(fixture.reviewID)")
            let domain = String(fixture.address[fixture.address.lastIndex(of: "@")!...])
            #expect(draft.text.contains("\(fixture.address.first!)…\(domain)"))
        }
    }

    @Test("An id that is not a review id (a path, a hidden name) is 404, for pages and forms alike")
    func badIDs() async throws {
        try await DashboardFixture.with { fixture in
            let (browser, token) = try await Self.signedIn(fixture, "maria")
            for id in ["..%2F..%2Fconfig", ".hidden", "a%20b"] {
                #expect(try await browser.get("/review/\(id)").status == 404, "\(id)")
                #expect(try await browser.get("/review/\(id)/preview/html").status == 404, "\(id)")
                #expect(try await browser.post("/review/\(id)/approve", [("csrf", token)]).status == 404, "\(id)")
            }
            #expect(try await browser.get("/review/no-such-item").status == 404)
            #expect(fixture.stillWaiting)
        }
    }

    @Test("A reviewer without the role is refused with the desk's message; nothing is sent")
    func roleRefused() async throws {
        try await DashboardFixture.with { fixture in
            let (browser, token) = try await Self.signedIn(fixture, "tom")
            let draft = try await browser.get("/review/\(fixture.reviewID)")
            #expect(draft.text.contains("Your role does not cover"))
            let approve = try await browser.post("/review/\(fixture.reviewID)/approve", [("csrf", token)])
            #expect(approve.status == 403)
            #expect(approve.text.contains("tom may not approve this item"), "\(approve.text)")
            #expect(approve.text.contains("vip-tier"))
            let reject = try await browser.post(
                "/review/\(fixture.reviewID)/reject", [("csrf", token), ("reason", "not mine")])
            #expect(reject.status == 403)
            #expect(fixture.outbox.isEmpty)
            #expect(fixture.stillWaiting)
        }
    }

    @Test("Approve: the .eml is in the outbox, the audit names the reviewer, the queue says so")
    func approve() async throws {
        try await DashboardFixture.with { fixture in
            let (browser, token) = try await Self.signedIn(fixture, "maria")
            let approved = try await browser.post("/review/\(fixture.reviewID)/approve", [("csrf", token)])
            #expect(approved.status == 303, "\(approved.text)")
            #expect(approved.headers["location"] == "/review")
            let sent = try #require(fixture.outbox.first)
            let email = try String(
                contentsOf: fixture.data.appendingPathComponent("outbox/\(sent)"), encoding: .utf8)
            #expect(email.contains("X-Tidings-Event-Id: \(fixture.eventID)"))
            let story = try fixture.story()
            let approval = try #require(story.records.first { $0.stage == "review_approve" })
            #expect(approval.facts["reviewer"]?.stringValue == "maria")
            let deliver = try #require(story.records.last { $0.stage == "deliver" })
            #expect(deliver.facts["approved_by"]?.stringValue == "maria")
            #expect(story.records.compactMap(\.outcome) == ["queued_for_review", "sent"])
            #expect(!fixture.stillWaiting)
            let queue = try await browser.get("/review")
            #expect(queue.text.contains("Approved \(fixture.reviewID): the event is now sent."), "\(queue.text)")
            #expect(queue.text.contains("Nothing is waiting"))
            // Approving again finds nothing.
            let again = try await browser.post("/review/\(fixture.reviewID)/approve", [("csrf", token)])
            #expect(again.status == 404)
            #expect(fixture.outbox.count == 1)
        }
    }

    @Test("Two reviewers approving at once: one sends, the other is told the item is not waiting; one email")
    func concurrentApprovals() async throws {
        try await DashboardFixture.with { fixture in
            let (maria, mariaToken) = try await Self.signedIn(fixture, "maria")
            let (ana, anaToken) = try await Self.signedIn(fixture, "ana")
            async let first = maria.post("/review/\(fixture.reviewID)/approve", [("csrf", mariaToken)])
            async let second = ana.post("/review/\(fixture.reviewID)/approve", [("csrf", anaToken)])
            let statuses = try await [first.status, second.status].sorted()
            #expect(statuses == [303, 404], "\(statuses)")
            #expect(fixture.outbox.count == 1)
            #expect(try fixture.story().records.filter { $0.stage == "deliver" }.count == 1)
        }
    }

    @Test("Reject needs a reason; with one the item leaves the queue, nothing is sent, the audit keeps the reason")
    func reject() async throws {
        try await DashboardFixture.with { fixture in
            let (browser, token) = try await Self.signedIn(fixture, "maria")
            let empty = try await browser.post(
                "/review/\(fixture.reviewID)/reject", [("csrf", token), ("reason", "  ")])
            #expect(empty.status == 422)
            #expect(empty.text.contains("needs a reason"))
            #expect(fixture.stillWaiting)
            let rejected = try await browser.post(
                "/review/\(fixture.reviewID)/reject", [("csrf", token), ("reason", "Too pushy for a VIP")])
            #expect(rejected.status == 303)
            #expect(!fixture.stillWaiting)
            #expect(fixture.outbox.isEmpty)
            let story = try fixture.story()
            let record = try #require(story.records.first { $0.stage == "review_reject" })
            #expect(record.facts["reviewer"]?.stringValue == "maria")
            #expect(record.facts["reason"]?.stringValue == "Too pushy for a VIP")
            #expect(story.records.compactMap(\.outcome).last == "suppressed")
        }
    }

    @Test("Expiry: the queue page (a GET) changes nothing; a decision on an item past its limit expires it instead")
    func getDoesNotSweepButADecisionDoes() async throws {
        // cartAbandoned items expire 72 hours after their send time.
        let late = DashboardFixture.now.addingTimeInterval(80 * 3600)
        try await DashboardFixture.with(deskTime: late) { fixture in
            let (browser, token) = try await Self.signedIn(fixture, "maria")
            let queue = try await browser.get("/review")
            #expect(queue.text.contains("/review/\(fixture.reviewID)"))
            #expect(fixture.stillWaiting)
            #expect(try fixture.story().records.allSatisfy { $0.stage != "review_expire" })
            let approve = try await browser.post("/review/\(fixture.reviewID)/approve", [("csrf", token)])
            #expect(approve.status == 404, "\(approve.text)")
            #expect(!fixture.stillWaiting)
            #expect(fixture.outbox.isEmpty)
            let story = try fixture.story()
            #expect(story.records.contains { $0.stage == "review_expire" })
            #expect(story.records.compactMap(\.outcome).last == "suppressed")
        }
    }

    @Test("The server's sweeper expires an item past its limit without anyone looking")
    func sweeperExpires() async throws {
        let late = DashboardFixture.now.addingTimeInterval(80 * 3600)
        try await DashboardFixture.with(deskTime: late, sweepInterval: .milliseconds(200)) { fixture in
            let deadline = ContinuousClock.now + .seconds(10)
            while fixture.stillWaiting, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
            #expect(!fixture.stillWaiting)
            #expect(try fixture.story().records.contains { $0.stage == "review_expire" })
        }
    }

    @Test(
        "An item waiting past review.escalate_after is escalated by the sweeper and marked on the queue and draft pages"
    )
    func escalationShown() async throws {
        // The draft's send time is about 19 hours before `now`; cartAbandoned escalates after 24 h here.
        let later = DashboardFixture.now.addingTimeInterval(6 * 3600)
        try await DashboardFixture.with(deskTime: later, sweepInterval: .milliseconds(200)) { fixture in
            let (browser, _) = try await Self.signedIn(fixture, "maria")
            let queue = FolderReviewQueue(directory: fixture.data.appendingPathComponent("review"))
            let deadline = ContinuousClock.now + .seconds(10)
            while try queue.load(id: fixture.reviewID)?.escalatedAt == nil, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(try queue.load(id: fixture.reviewID)?.escalatedAt != nil)
            let page = try await browser.get("/review")
            #expect(page.text.contains(#"<span class="tag escalated">escalated 0 min ago</span>"#), "\(page.text)")
            let draft = try await browser.get("/review/\(fixture.reviewID)")
            #expect(draft.text.contains("<dt>Escalated</dt>"))
            #expect(fixture.stillWaiting)
        }
    }

    @Test("Edit: the validator refuses a bad edit; a good one waits for another reviewer, who approves it")
    func editThenApprove() async throws {
        try await DashboardFixture.with { fixture in
            let (maria, token) = try await Self.signedIn(fixture, "maria")
            let before = try #require(
                try FolderReviewQueue(directory: fixture.data.appendingPathComponent("review")).load(
                    id: fixture.reviewID))
            // The customer's address in the body: the validator refuses it, nothing changes.
            let leaky = try await maria.post(
                "/review/\(fixture.reviewID)/edit",
                [
                    ("csrf", token), ("subjects", before.draft.subjects.joined(separator: "\n")),
                    ("block.1", "We will write to \(fixture.address) again."),
                ])
            #expect(leaky.status == 422, "\(leaky.text)")
            #expect(leaky.text.contains("does not pass the validator"))
            let unchanged = try #require(
                try FolderReviewQueue(directory: fixture.data.appendingPathComponent("review")).load(
                    id: fixture.reviewID))
            #expect(unchanged.draft == before.draft)

            let subject = "Your saved picks are still here"
            let edited = try await maria.post(
                "/review/\(fixture.reviewID)/edit",
                [
                    ("csrf", token),
                    ("subjects", ([subject] + before.draft.subjects.dropFirst()).joined(separator: "\n")),
                    ("preheader", before.draft.preheader),
                ])
            #expect(edited.status == 303, "\(edited.text)")
            #expect(edited.headers["location"] == "/review/\(fixture.reviewID)")
            let after = try #require(
                try FolderReviewQueue(directory: fixture.data.appendingPathComponent("review")).load(
                    id: fixture.reviewID))
            #expect(after.draft.subjects.first == subject)
            #expect(after.editors == ["maria"])
            #expect(
                try fixture.story().records.contains {
                    $0.stage == "review_edit" && $0.facts["reviewer"]?.stringValue == "maria"
                })

            let own = try await maria.post("/review/\(fixture.reviewID)/approve", [("csrf", token)])
            #expect(own.status == 403)
            #expect(own.text.contains("may not approve it"))
            #expect(fixture.outbox.isEmpty)

            let (ana, anaToken) = try await Self.signedIn(fixture, "ana")
            let approved = try await ana.post("/review/\(fixture.reviewID)/approve", [("csrf", anaToken)])
            #expect(approved.status == 303, "\(approved.text)")
            let sent = try #require(fixture.outbox.first)
            let email = try String(contentsOf: fixture.data.appendingPathComponent("outbox/\(sent)"), encoding: .utf8)
            let parts = try #require(MIMEMessage.read(Data(email.utf8)))
            #expect(parts.subject == subject)
            #expect(
                try fixture.story().records.last { $0.stage == "deliver" }?.facts["approved_by"]?.stringValue == "ana")
        }
    }
}
