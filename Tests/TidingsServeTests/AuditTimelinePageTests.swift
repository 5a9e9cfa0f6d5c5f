import Foundation
import Testing
import TidingsCore
import TidingsServe

/// Issue 16, "The audit of one event or customer as a timeline": the records in time order with
/// stage, outcome, reason and reviewer, child events under their event, a customer's events, the
/// query's refusals, and escaping.
@Suite("Dashboard: audit timeline page")
struct AuditTimelinePageTests {
    /// A cart event queued for review then approved, a child event, and another customer's event,
    /// written out of time order across the file.
    static let records: [JSONValue] = [
        InsightsFixtures.record(
            "2026-11-21T20:05:00Z", "evt-1", "review_approve",
            facts: ["reviewer": .string("maria"), "review_id": .string("r1"), "customer_id": .string("61")]),
        InsightsFixtures.record(
            "2026-11-21T19:20:00Z", "evt-1", "route",
            facts: ["reason": .string("vip tier"), "customer_id": .string("61")]),
        InsightsFixtures.record(
            "2026-11-21T19:20:01Z", "evt-1", "outcome", outcome: "queued_for_review",
            facts: ["reason": .string("review: vip <customer>")]),
        InsightsFixtures.record(
            "2026-11-21T20:05:01Z", "evt-1", "outcome", outcome: "sent", facts: ["approved_by": .string("maria")]),
        InsightsFixtures.record(
            "2026-11-21T20:06:00Z", "evt-1/step/2", "outcome", outcome: "sent", facts: ["customer_id": .string("61")]),
        InsightsFixtures.record(
            "2026-11-21T18:00:00Z", "evt-2", "outcome", outcome: "suppressed",
            facts: ["reason": .string("no_consent"), "customer_id": .string("62")]),
    ]

    @Test("An event's records come in time order with stage, outcome, reason and who decided")
    func eventTimeline() async throws {
        try await InsightsFixtures.withScratch { scratch in
            try InsightsFixtures.writeAudit(Self.records, under: scratch)
            let subject = try AuditTimelinePage.subject(event: "evt-1", customer: nil)
            let content = AuditTimelinePage.load(root: scratch, subject: subject)
            let html = AuditTimelinePage.html(content, subject: subject)
            let stages = html.components(separatedBy: "data-stage=\"").dropFirst().map { $0.prefix { $0 != "\"" } }
            #expect(stages == ["route", "outcome", "review_approve", "outcome", "outcome"])
            #expect(html.contains("<h2>event evt-1</h2>"))
            #expect(html.contains("<time datetime=\"2026-11-21T19:20:00Z\">2026-11-21 19:20:00Z</time>"))
            #expect(html.contains("2 events, 5 records"))
            #expect(html.contains("<span class=\"outcome tag warning\">queued_for_review</span>"))
            #expect(html.contains("<td class=\"reason\">vip tier</td>"))
            #expect(html.contains("<span class=\"stage\">review_approve</span>"))
            #expect(html.contains("<span class=\"who\">by maria</span>"))
            // A reason is the audit's text, escaped; the other customer's event is not shown.
            #expect(html.contains("review: vip &lt;customer&gt;"))
            #expect(!html.contains("no_consent") && !html.contains("evt-2"))
            // With a child event, each record names its event, linked to its own timeline.
            #expect(html.contains("href=\"/audit?event=evt-1%2Fstep%2F2\""))
            #expect(html.contains("value=\"evt-1\""))
        }
    }

    @Test("A customer's timeline holds their events only")
    func customerTimeline() async throws {
        try await InsightsFixtures.withScratch { scratch in
            try InsightsFixtures.writeAudit(Self.records, under: scratch)
            let subject = try AuditTimelinePage.subject(event: nil, customer: " 62 ")
            #expect(subject == .customer("62"))
            let html = AuditTimelinePage.html(AuditTimelinePage.load(root: scratch, subject: subject), subject: subject)
            #expect(html.contains("<h2>customer 62</h2>"))
            #expect(html.contains("no_consent"))
            #expect(!html.contains("evt-1"))
            let nobody = try AuditTimelinePage.subject(event: nil, customer: "99")
            let empty = AuditTimelinePage.html(AuditTimelinePage.load(root: scratch, subject: nobody), subject: nobody)
            #expect(empty.contains("The audit has no records of customer 99."))
        }
    }

    @Test("The query names one subject: both, or an id too long, is refused naming the field")
    func queryRefusals() throws {
        #expect(try AuditTimelinePage.subject(event: nil, customer: nil) == nil)
        #expect(try AuditTimelinePage.subject(event: "  ", customer: "") == nil)
        #expect(throws: AuditTimelineQueryError(field: "event", reason: "give an event or a customer, not both")) {
            try AuditTimelinePage.subject(event: "a", customer: "b")
        }
        #expect(throws: AuditTimelineQueryError(field: "customer", reason: "longer than 512 bytes")) {
            try AuditTimelinePage.subject(event: nil, customer: String(repeating: "x", count: 513))
        }
        let form = AuditTimelinePage.html(.empty, subject: nil)
        #expect(form.contains("<form method=\"get\" action=\"/audit\""))
        let missing = AuditTimelinePage.load(root: URL(fileURLWithPath: "/nonexistent-audit"), subject: .event("e"))
        guard case .problem(let why) = missing else {
            Issue.record("expected a problem, got \(missing)")
            return
        }
        #expect(why.contains("No audit yet"))
    }
}
