import Foundation
import HTTPTypes
import Hummingbird
import TidingsCore

/// The pages: the queue, one draft, and the preview frames. Nothing here changes anything: the
/// expiry and escalation that `tidings review list` runs when someone looks run here once a
/// minute in `ReviewSweeper`, and before every decision.
extension ReviewDashboard {
    func queuePage(_ request: Request) async throws -> Response {
        let reviewer = try await auth.reviewer(request)
        let notice = await auth.notice(for: reviewer)
        let pending: [ReviewSummary]
        do {
            pending = try desk.store.pending()
        } catch {
            return deskProblem(
                ReviewDeskError(.queueUnavailable, "\(error)"), reviewer: reviewer, title: "Review queue",
                section: .review)
        }
        let role = try? desk.role(of: reviewer.name)
        let now = clock.now
        var content = ""
        if role == nil {
            content += #"<p class="problem">You are not in review.reviewers, so you may look but not decide.</p>"#
        }
        let items = pending.sorted { ($0.sendAt, $0.id) < ($1.sendAt, $1.id) }
        guard !items.isEmpty else {
            content += #"<p class="card">Nothing is waiting for review.</p>"#
            return DashboardLayout.page(
                title: "Review queue", section: .review, reviewer: reviewer, notice: notice, content: content)
        }
        content += """
            <p class="muted">\(items.count) waiting, oldest first.</p>
            <table><thead><tr><th>Waiting</th><th>Flow</th><th>Tier</th><th>Subject</th><th>Score</th>\
            <th>Why</th><th>Escalation</th><th>You</th></tr></thead><tbody>
            """
        for item in items {
            let record = try? desk.store.load(id: item.id)
            let tier = record?.context?.tier
            let escalation =
                record?.escalatedAt.map {
                    #"<span class="tag escalated">escalated \#(DashboardLayout.escape(Self.age(now.timeIntervalSince($0)))) ago</span>"#
                } ?? ""
            let mine: String
            if let role, role.covers(flow: item.flow, tier: tier) {
                mine = record?.editors?.contains(reviewer.name) == true ? "edited by you" : "can decide"
            } else {
                mine = #"<span class="muted">not your role</span>"#
            }
            content += """
                <tr><td class="nowrap">\(DashboardLayout.escape(Self.waiting(since: item.sendAt, now: now)))</td>\
                <td>\(DashboardLayout.escape(item.flow.rawValue))</td><td>\(DashboardLayout.escape(tier ?? "?"))</td>\
                <td><a href="/review/\(Self.pathSegment(item.id))">\(DashboardLayout.escape(item.subject))</a></td>\
                <td>\(item.score)</td><td>\(DashboardLayout.escape(item.reasons.joined(separator: "; ")))</td>\
                <td>\(escalation)</td><td>\(mine)</td></tr>
                """
        }
        content += "</tbody></table>"
        return DashboardLayout.page(
            title: "Review queue", section: .review, reviewer: reviewer, notice: notice, content: content)
    }

    func draftPage(_ request: Request, id: String) async throws -> Response {
        let reviewer = try await auth.reviewer(request)
        let notice = await auth.notice(for: reviewer)
        let record: ReviewRecord
        do {
            record = try desk.show(id)
        } catch {
            return deskProblem(error, reviewer: reviewer, title: "Draft", section: .review)
        }
        let escape = DashboardLayout.escape
        let segment = Self.pathSegment(id)
        var content = ""
        // Who is looking and what they may do.
        let role = try? desk.role(of: reviewer.name)
        let covered = role?.covers(flow: record.flow, tier: record.context?.tier) ?? false
        if !covered {
            content +=
                #"<p class="problem">Your role does not cover this \#(escape(record.flow.rawValue)) email for a \#(escape(record.context?.tier ?? "unknown"))-tier customer: you may look, not decide.</p>"#
        }

        // The customer, as much as a reviewer needs.
        content += #"<div class="grid"><section class="card"><h2>Customer</h2><dl class="facts">"#
        if let context = record.context {
            let facts = context.validatorFacts
            content += "<dt>First name</dt><dd>\(escape(facts.firstName ?? "(none)"))</dd>"
            content += "<dt>Tier</dt><dd>\(escape(context.tier))</dd>"
            content += "<dt>Address</dt><dd>\(escape(Self.maskedAddress(record.to)))</dd>"
            if let orders = context.orderCount {
                content +=
                    "<dt>Orders</dt><dd>\(orders)\(context.averageOrderValue.map { ", \(escape($0)) on average" } ?? "")</dd>"
            }
            let currency = facts.currency
            if !facts.cartTitles.isEmpty {
                content += "<dt>Cart</dt><dd><ul class=\"plain\">"
                for title in facts.cartTitles { content += "<li>\(escape(title))</li>" }
                content += "</ul></dd>"
            }
            if let currency, !facts.linePrices.isEmpty {
                var total = Decimal(0)
                for price in facts.linePrices.values { total += price.amount }
                content +=
                    "<dt>Cart value</dt><dd>\(escape(Money(total, currency).plainAmount)) \(escape(currency))</dd>"
            }
            if let offer = facts.offer {
                content +=
                    "<dt>Offer</dt><dd>\(escape("\(offer.kind.rawValue) \(offer.percent)% (\(offer.code))"))</dd>"
            }
        } else {
            content += "<dt>Context</dt><dd>not kept (queued before it was): this item can be rejected only</dd>"
            content += "<dt>Address</dt><dd>\(escape(Self.maskedAddress(record.to)))</dd>"
        }
        content += "</dl></section>"

        // Why it waits, and the validator's view of the draft as it stands.
        content += #"<section class="card"><h2>Why it waits</h2><dl class="facts">"#
        content +=
            "<dt>Flow</dt><dd>\(escape(record.flow.rawValue))\(record.step.map { " (step \(escape($0)))" } ?? "")</dd>"
        content += "<dt>Rules</dt><dd>\(escape(record.reasons.joined(separator: "; ")))</dd>"
        content += "<dt>Send at</dt><dd>\(escape(Timestamp.format(record.sendAt)))</dd>"
        content += "<dt>Waiting</dt><dd>\(escape(Self.waiting(since: record.sendAt, now: clock.now)))</dd>"
        if let escalated = record.escalatedAt {
            content +=
                #"<dt>Escalated</dt><dd><span class="tag escalated">\#(escape(Timestamp.format(escalated)))</span></dd>"#
        }
        if let context = record.context {
            content += "<dt>Written by</dt><dd>\(escape(context.writer)) with \(escape(context.prompt))</dd>"
        }
        if let editors = record.editors, !editors.isEmpty {
            content += "<dt>Edited by</dt><dd>\(escape(editors.joined(separator: ", "))) (may not approve)</dd>"
        }
        content += "</dl></section>"
        let findings = record.context.map { desk.validator.validate(record.draft, facts: $0.validatorFacts) }
        content += #"<section class="card"><h2>Validator</h2>"#
        content +=
            #"<p><span class="score">\#(findings?.score ?? record.score)</span> <span class="muted">/ 100</span></p>"#
        if let findings, !findings.items.isEmpty {
            content += #"<ul class="plain">"#
            for finding in findings.items {
                content +=
                    #"<li><span class="tag \#(finding.severity.rawValue)">\#(finding.severity.rawValue)</span> \#(escape(finding.rule)): \#(escape(finding.message))</li>"#
            }
            content += "</ul>"
        } else if findings != nil {
            content += #"<p class="muted">No findings.</p>"#
        }
        content += "</section></div>"

        // The subject options and the email as the inbox shows it.
        content += #"<section class="card"><h2>Subject options</h2><ol>"#
        for subject in record.draft.subjects {
            let chosen = subject == record.subject ? #" <span class="tag">in the email</span>"# : ""
            content += "<li>\(escape(subject))\(chosen)</li>"
        }
        content += "</ol></section>"
        content += """
            <section class="card"><h2>Preview</h2>
            <div class="inbox"><div class="from">\(escape(desk.brand.fromName))</div>\
            <div><strong>\(escape(record.subject))</strong> <span class="preheader">— \(escape(record.draft.preheader))</span></div></div>
            <iframe class="preview" sandbox="" referrerpolicy="no-referrer" title="HTML part" src="/review/\(segment)/preview/html"></iframe>
            <h2>Text part</h2>
            <iframe class="preview text" sandbox="" referrerpolicy="no-referrer" title="Text part" src="/review/\(segment)/preview/text"></iframe>
            </section>
            """
        content += decisionForms(record, id: segment, reviewer: reviewer)
        return DashboardLayout.page(
            title: record.subject, section: .review, reviewer: reviewer, notice: notice, content: content)
    }

    func decisionForms(_ record: ReviewRecord, id: String, reviewer: SignedInReviewer) -> String {
        let escape = DashboardLayout.escape
        var forms = #"<div class="grid">"#
        forms += """
            <section class="card"><h2>Approve</h2>\
            <form class="decision" method="post" action="/review/\(id)/approve">\(reviewer.csrfField)\
            <p class="muted">The draft is checked again and sent through the configured email service.</p>\
            <button type="submit">Approve and send</button></form></section>
            <section class="card"><h2>Reject</h2>\
            <form class="decision" method="post" action="/review/\(id)/reject">\(reviewer.csrfField)\
            <label for="reason">Reason (for the audit)</label>\
            <textarea id="reason" name="reason" required maxlength="500"></textarea>\
            <button class="danger" type="submit">Reject</button></form></section></div>
            """
        forms += """
            <section class="card"><h2>Edit</h2>\
            <p class="muted">The edited draft must pass the validator; then another reviewer approves it.</p>\
            <form class="decision" method="post" action="/review/\(id)/edit">\(reviewer.csrfField)\
            <label for="subjects">Subject options, one per line, best first</label>\
            <textarea id="subjects" name="subjects" required>\(escape(record.draft.subjects.joined(separator: "\n")))</textarea>\
            <label for="preheader">Preheader</label>\
            <input type="text" id="preheader" name="preheader" value="\(escape(record.draft.preheader))">
            """
        for (index, block) in record.draft.blocks.enumerated() {
            let product = block.productID.map { " (product \(escape($0)))" } ?? ""
            forms += """
                <label for="block-\(index)">Body block \(index + 1): \(escape(block.kind.rawValue))\(product)</label>\
                <textarea id="block-\(index)" name="block.\(index)">\(escape(block.text))</textarea>
                """
        }
        forms += #"<button class="secondary" type="submit">Save the edit</button></form></section>"#
        return forms
    }

    /// The email's HTML or text part alone, for the draft page's sandboxed frames. Its own
    /// headers: a policy that lets the email's inline styles and https images show and nothing
    /// else (no script, a `sandbox` of its own even when opened directly), and framing by our own
    /// pages only.
    func preview(_ request: Request, id: String, part: String) async throws -> Response {
        _ = try await auth.reviewer(request)
        guard part == "html" || part == "text" else { throw DashboardRefusal.notFound("no such preview: \(part)") }
        let summary: ReviewSummary?
        do {
            summary = try desk.store.pending().first { $0.id == id }
        } catch {
            throw DashboardRefusal.notFound("the review queue cannot be read")
        }
        guard let summary, let data = FileManager.default.contents(atPath: summary.emailPath),
            let parts = MIMEMessage.read(data)
        else { throw DashboardRefusal.notFound("review item \(id) is not waiting, or its email cannot be read") }
        var headers = HTTPFields()
        headers[.contentType] = part == "html" ? "text/html; charset=utf-8" : "text/plain; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[DashboardLayout.contentSecurityPolicyField] = Self.previewPolicy
        headers[SecurityHeadersMiddleware.frameOptions] = "SAMEORIGIN"
        return Response(
            status: .ok, headers: headers,
            body: .init(byteBuffer: ByteBuffer(string: part == "html" ? parts.html : parts.text)))
    }

    /// The preview's policy (docs/decisions/serve-dashboard.md).
    static let previewPolicy =
        "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; frame-ancestors 'self'; "
        + "base-uri 'none'; form-action 'none'; sandbox"

    /// A desk refusal as a page: the desk's own message (and findings), with a status by its code.
    func deskProblem(
        _ error: ReviewDeskError, reviewer: SignedInReviewer, title: String, section: DashboardLayout.Section
    ) -> Response {
        let escape = DashboardLayout.escape
        var content = #"<p class="problem" role="alert">\#(escape(error.message))</p>"#
        if !error.findings.isEmpty {
            content += #"<ul class="plain">"#
            for finding in error.findings { content += "<li>\(escape(finding))</li>" }
            content += "</ul>"
        }
        content += #"<p><a href="/review">Back to the queue</a></p>"#
        return DashboardLayout.page(
            title: title, section: section, reviewer: reviewer, content: content, status: Self.status(of: error.code))
    }

    /// The one place a desk refusal becomes an HTTP status.
    static func status(of code: ReviewDeskError.Code) -> HTTPResponse.Status {
        switch code {
        case .unknownReviewer, .notPermitted, .ownEdit: .forbidden
        case .notFound: .notFound
        case .noContext, .invalidDraft, .badEdit: .unprocessableContent
        case .deliveryFailed: .badGateway
        case .queueUnavailable, .auditUnavailable: .serviceUnavailable
        }
    }

    /// "j…@example.com": enough to tell two customers apart, not enough to write to them.
    static func maskedAddress(_ address: String) -> String {
        guard let at = address.lastIndex(of: "@"), let first = address.first, at != address.startIndex else {
            return "(hidden)"
        }
        return "\(first)…\(address[at...])"
    }

    /// How long an item has waited past its send time ("2 h 05 min"), or when it is due.
    static func waiting(since sendAt: Date, now: Date) -> String {
        let seconds = now.timeIntervalSince(sendAt)
        return seconds >= 0 ? age(seconds) : "due in \(age(-seconds))"
    }

    static func age(_ seconds: TimeInterval) -> String {
        let minutes = Int(seconds / 60)
        if minutes < 60 { return "\(minutes) min" }
        let hours = minutes / 60
        if hours < 48 { return "\(hours) h \(String(format: "%02d", minutes % 60)) min" }
        return "\(hours / 24) d \(hours % 24) h"
    }

    /// A review id as a path segment (ids are file names; anything unusual is percent-encoded).
    static func pathSegment(_ id: String) -> String {
        PercentEncoding.encode(id)
    }
}
