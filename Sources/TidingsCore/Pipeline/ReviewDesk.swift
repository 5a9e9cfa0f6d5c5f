import Crypto
import Foundation
import Logging

/// The decisions a person takes on review items, for the CLI (`tidings review`) and the dashboard
/// alike: approve (the email goes to the configured service), reject, edit, and the sweep that
/// expires and escalates items waiting too long. Every decision checks the reviewer's role, is
/// audited (who, when, what; an edit's draft before and after by content address), and ends with
/// one terminal record that states the event's standing after it: `queued_for_review` while any
/// item of the event still waits, then `sent` when anything of the event was delivered, else
/// `suppressed` (rejected or expired). It lives with the pipeline, as the outbox dispatcher does,
/// because it writes the last records of an event's life. docs/decisions/review.md.
package struct ReviewDesk: Sendable {
    /// The queue the items wait in.
    package var store: any ReviewStore
    /// Reviewers, expiry and escalation.
    package var settings: ReviewDeskSettings
    /// The rules an approved or edited draft is checked against again.
    package var validator: DraftValidator
    /// The brand the email is rendered for.
    package var brand: Brand
    /// Renders an approved or edited draft.
    package var renderer: EmailRenderer
    /// Where an approved email goes: the configured service, in front of the scheduled outbox for
    /// a step due later, as the pipeline hands it over.
    package var email: any EmailService
    /// Where decisions are recorded.
    package var audit: any AuditLog
    /// Where the drafts before and after an edit are kept.
    package var content: any ContentStore
    /// The audit's folder, read to learn whether anything of an event was delivered; nil reads
    /// nothing (only the decision at hand counts).
    package var auditRoot: URL?
    /// The decision's time.
    package var clock: any TimeSource
    /// Who hears of escalations; nil tells nobody.
    package var notifier: (any ReviewNotifier)?
    /// Who must not get marketing: checked again at approval, since a customer may unsubscribe
    /// while their draft waits. Nil checks nothing.
    package var suppression: (any SuppressionList)?
    /// Where failed notices and audit writes after a send are logged.
    package var logger: Logger

    /// A desk over `store`; see the properties.
    package init(
        store: any ReviewStore, settings: ReviewDeskSettings, validator: DraftValidator, brand: Brand,
        renderer: EmailRenderer, email: any EmailService, audit: any AuditLog, content: any ContentStore,
        auditRoot: URL?, clock: any TimeSource, notifier: (any ReviewNotifier)?, logger: Logger,
        suppression: (any SuppressionList)? = nil
    ) {
        self.suppression = suppression
        self.store = store
        self.settings = settings
        self.validator = validator
        self.brand = brand
        self.renderer = renderer
        self.email = email
        self.audit = audit
        self.content = content
        self.auditRoot = auditRoot
        self.clock = clock
        self.notifier = notifier
        self.logger = logger
    }

    /// What a decision did.
    package struct Report: Sendable, Hashable {
        /// The item.
        package var reviewID: String
        /// Its event.
        package var eventID: String
        /// "approved", "rejected", "edited", "expired" or "escalated".
        package var action: String
        /// The event's terminal outcome after the decision.
        package var outcome: Outcome
        /// Why, as the terminal record says.
        package var reason: String?
        /// Where an approved email went.
        package var reference: String?
        /// The validator's findings on an approved or edited draft (warnings and review items).
        package var findings: [String] = []
        /// Set when the email went out but an audit write after it failed.
        package var auditProblem: String?
    }

    // MARK: - Reading

    /// The items waiting, after a sweep (expiry and escalation happen when someone looks).
    package func list() async throws(ReviewDeskError) -> (items: [ReviewSummary], swept: [Report]) {
        let swept = try await sweep()
        return (try pending(), swept)
    }

    /// The item named `id`. Throws `.notFound` when it is not waiting.
    package func show(_ id: String) throws(ReviewDeskError) -> ReviewRecord {
        try load(id)
    }

    // MARK: - Decisions

    /// Approves the item: the draft passes the validator again, is rendered at this moment, and
    /// goes to the email service (a step due later is scheduled as the pipeline would). Refused
    /// for an unknown reviewer, one whose role does not cover the item's flow and tier, and one
    /// who edited the draft.
    package func approve(_ id: String, reviewer: String) async throws(ReviewDeskError) -> Report {
        let role = try role(of: reviewer)
        let record = try load(id)
        try check(role, reviewer: reviewer, covers: record, action: "approve")
        if record.editors?.contains(reviewer) == true {
            throw ReviewDeskError(
                .ownEdit,
                "\(reviewer) edited this draft and may not approve it; another reviewer must (nobody approves their own edit)"
            )
        }
        guard let context = record.context else { throw Self.noContext(id) }
        guard let claimed = try claim(id) else { throw Self.notFound(id) }
        let now = clock.now
        let findings = validator.validate(claimed.draft, facts: context.validatorFacts)
        let rendered: RenderedEmail
        do throws(ReviewDeskError) {
            guard findings.errors.isEmpty else {
                throw ReviewDeskError(
                    .invalidDraft, "the draft no longer passes the validator; edit it or reject it",
                    findings: Self.lines(findings.errors))
            }
            rendered = try render(claimed.draft, subject: claimed.subject, record: claimed, context: context, now: now)
        } catch {
            try release(id, claimed, email: nil)
            throw error
        }
        let correlationID = Self.correlationID()
        let stepFacts: [String: JSONValue] = claimed.step.map { ["step": .string($0)] } ?? [:]
        if let suppression, !context.isTransactional {
            let entry: SuppressionEntry?
            do {
                entry = try await suppression.entry(customerID: context.customerID, address: claimed.to)
            } catch {
                try release(id, claimed, email: nil)
                throw ReviewDeskError(
                    .queueUnavailable, "the suppression list cannot be read; nothing was sent: \(error)")
            }
            if let entry {
                let why =
                    "review_suppressed: approved by \(reviewer), but the customer is suppressed (\(entry.reason.rawValue))"
                try self.record(
                    claimed, "review_approve", correlationID, now,
                    stepFacts.merging([
                        "review_id": .string(id), "reviewer": .string(reviewer),
                        "suppressed": .string(entry.reason.rawValue),
                    ]) { $1 })
                return try close(
                    id, claimed, correlationID, now,
                    ReviewClosing(kind: .suppressed, reviewer: reviewer, at: now, reason: why), action: "suppressed",
                    otherwise: why)
            }
        }
        do throws(ReviewDeskError) {
            try self.record(
                claimed, "review_approve", correlationID, now,
                stepFacts.merging([
                    "review_id": .string(id), "reviewer": .string(reviewer), "score": .int(findings.score),
                    "findings": .array(Self.lines(findings.items).map(JSONValue.string)),
                    ContentReference.draft.rawValue: .string(try put(Self.document(claimed.draft))),
                    "email_sha256": .string(Hex.encode(SHA256.hash(data: rendered.rawMessage ?? Data()))),
                ]) { $1 })
        } catch {
            try release(id, claimed, email: nil)
            throw error
        }
        let receipt: DeliveryReceipt
        do {
            receipt = try await email.deliver(rendered)
        } catch {
            try release(id, claimed, email: nil)
            let reason = "review: approval by \(reviewer) could not be delivered: \(error)"
            try? terminal(claimed, correlationID, now, .queuedForReview, reason: reason)
            throw ReviewDeskError(
                .deliveryFailed, "the email service refused the approved email; the item still waits: \(error)")
        }
        var report = Report(
            reviewID: id, eventID: claimed.eventID, action: "approved", outcome: .sent, reason: nil,
            reference: receipt.reference, findings: Self.lines(findings.items))
        // The email is out: what fails from here is reported and logged, never undone.
        do {
            // The recipient by hash, as the pipeline's own hand-over names it (docs/decisions/privacy.md).
            try self.record(
                claimed, "deliver", correlationID, now,
                stepFacts.merging([
                    "service": .string(receipt.service), "reference": .string(receipt.reference),
                    "to_hash": .string(SuppressionKeys.addressHash(claimed.to)), "approved_by": .string(reviewer),
                ]) { $1 })
            try store.close(
                id: id, record: claimed,
                decision: ReviewClosing(kind: .approved, reviewer: reviewer, at: now, reference: receipt.reference))
            let (outcome, reason) = try standing(of: claimed.eventID, approved: true, otherwise: nil)
            (report.outcome, report.reason) = (outcome, reason)
            try terminal(claimed, correlationID, now, outcome, reason: reason)
        } catch {
            report.auditProblem = "\(error)"
            logger.error(
                "approved email delivered, but recording it failed",
                metadata: ["review.id": "\(id)", "event.id": "\(claimed.eventID)", "error": "\(error)"])
        }
        return report
    }

    /// Rejects the item with the reviewer's reason: it leaves the queue and nothing is sent.
    package func reject(_ id: String, reviewer: String, reason: String) async throws(ReviewDeskError) -> Report {
        let role = try role(of: reviewer)
        let why = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !why.isEmpty else { throw ReviewDeskError(.badEdit, "a rejection needs a reason (--reason TEXT)") }
        let record = try load(id)
        try check(role, reviewer: reviewer, covers: record, action: "reject")
        guard let claimed = try claim(id) else { throw Self.notFound(id) }
        let now = clock.now
        let correlationID = Self.correlationID()
        let stepFacts: [String: JSONValue] = claimed.step.map { ["step": .string($0)] } ?? [:]
        do throws(ReviewDeskError) {
            try self.record(
                claimed, "review_reject", correlationID, now,
                stepFacts.merging([
                    "review_id": .string(id), "reviewer": .string(reviewer), "reason": .string(String(why.prefix(500))),
                ]) { $1 })
        } catch {
            try release(id, claimed, email: nil)
            throw error
        }
        return try close(
            id, claimed, correlationID, now,
            ReviewClosing(kind: .rejected, reviewer: reviewer, at: now, reason: why),
            action: "rejected", otherwise: "review_rejected: \(why.prefix(200)) (by \(reviewer))")
    }

    /// Replaces the draft's subjects, preheader and blocks with the reviewer's, checks the result
    /// with the validator (a draft it rejects is refused, and the item stays as it was), renders it
    /// again and keeps it waiting: another reviewer must approve it.
    package func edit(_ id: String, reviewer: String, changes: DraftEdit) async throws(ReviewDeskError) -> Report {
        let role = try role(of: reviewer)
        let record = try load(id)
        try check(role, reviewer: reviewer, covers: record, action: "edit")
        guard let context = record.context else { throw Self.noContext(id) }
        guard var claimed = try claim(id) else { throw Self.notFound(id) }
        let before = claimed.draft
        var after = before
        after.subjects = changes.subjects ?? before.subjects
        after.preheader = changes.preheader ?? before.preheader
        after.blocks = changes.blocks ?? before.blocks
        let now = clock.now
        let findings = validator.validate(after, facts: context.validatorFacts)
        let subject = after.subjects.contains(claimed.subject) ? claimed.subject : (after.subjects.first ?? "")
        let rendered: RenderedEmail
        do throws(ReviewDeskError) {
            guard after != before else { throw ReviewDeskError(.badEdit, "the edit changes nothing") }
            guard findings.errors.isEmpty else {
                throw ReviewDeskError(
                    .invalidDraft, "the edited draft does not pass the validator; nothing was changed",
                    findings: Self.lines(findings.errors))
            }
            rendered = try render(after, subject: subject, record: claimed, context: context, now: now)
        } catch {
            try release(id, claimed, email: nil)
            throw error
        }
        let correlationID = Self.correlationID()
        let stepFacts: [String: JSONValue] = claimed.step.map { ["step": .string($0)] } ?? [:]
        let reason = "review: edited by \(reviewer); another reviewer must approve it"
        do throws(ReviewDeskError) {
            try self.record(
                claimed, "review_edit", correlationID, now,
                stepFacts.merging([
                    "review_id": .string(id), "reviewer": .string(reviewer),
                    ContentReference.draftBefore.rawValue: .string(try put(Self.document(before))),
                    ContentReference.draft.rawValue: .string(try put(Self.document(after))),
                    "email_sha256": .string(Hex.encode(SHA256.hash(data: rendered.rawMessage ?? Data()))),
                    "findings": .array(Self.lines(findings.items).map(JSONValue.string)),
                ]) { $1 })
            claimed.draft = after
            claimed.subject = rendered.subject
            claimed.messageID = rendered.messageID
            claimed.renderedAt = rendered.date
            claimed.score = findings.score
            claimed.editors = (claimed.editors ?? []) + [reviewer]
            try release(id, claimed, email: rendered)
            try terminal(claimed, correlationID, now, .queuedForReview, reason: reason)
        } catch {
            if claimed.draft != after { try? release(id, claimed, email: nil) }
            throw error
        }
        return Report(
            reviewID: id, eventID: claimed.eventID, action: "edited", outcome: .queuedForReview, reason: reason,
            findings: Self.lines(findings.items))
    }

    /// Expires the items that waited past their flow's `expire_after` (counted from their send
    /// time) and escalates those past `escalate_after` once (audited, and the notifier hears of
    /// it). Returns what it did.
    package func sweep() async throws(ReviewDeskError) -> [Report] {
        let now = clock.now
        var reports: [Report] = []
        for summary in try pending() {
            let id = summary.id
            guard let record = try? store.load(id: id) else { continue }
            let waited = now.timeIntervalSince(record.lateFrom)
            let hours = Int(waited / 3600)
            if let limit = settings.expireAfter[record.flow], waited >= limit {
                guard let claimed = try claim(id) else { continue }
                let correlationID = Self.correlationID()
                let limitHours = Int(limit / 3600)
                let why =
                    "review_expired: waited \(hours) h past its send time; \(record.flow.rawValue) items expire after \(limitHours) h"
                do throws(ReviewDeskError) {
                    try self.record(
                        claimed, "review_expire", correlationID, now,
                        [
                            "review_id": .string(id), "waited_hours": .int(hours),
                            "expire_after_hours": .int(limitHours),
                        ])
                } catch {
                    try release(id, claimed, email: nil)
                    throw error
                }
                reports.append(
                    try close(
                        id, claimed, correlationID, now,
                        ReviewClosing(kind: .expired, reviewer: nil, at: now, reason: why),
                        action: "expired", otherwise: why))
            } else if let limit = settings.escalateAfter[record.flow], waited >= limit, record.escalatedAt == nil {
                guard var claimed = try claim(id) else { continue }
                claimed.escalatedAt = now
                let correlationID = Self.correlationID()
                let why = "review_escalated: waited \(hours) h past its send time"
                do throws(ReviewDeskError) {
                    try self.record(
                        claimed, "review_escalate", correlationID, now,
                        [
                            "review_id": .string(id), "waited_hours": .int(hours),
                            "escalate_after_hours": .int(Int(limit / 3600)),
                        ])
                    try release(id, claimed, email: nil)
                    try terminal(claimed, correlationID, now, .queuedForReview, reason: why)
                } catch {
                    claimed.escalatedAt = nil
                    try? release(id, claimed, email: nil)
                    throw error
                }
                if let notifier {
                    await NotifyingReviewQueue.send(
                        ReviewNotice(
                            kind: .escalated, reviewID: id, flow: claimed.flow, tier: claimed.context?.tier,
                            subject: claimed.subject, reasons: claimed.reasons, waitedHours: hours),
                        to: notifier, logger: logger)
                }
                reports.append(
                    Report(
                        reviewID: id, eventID: claimed.eventID, action: "escalated", outcome: .queuedForReview,
                        reason: why))
            }
        }
        return reports
    }

    // MARK: - Roles

    /// The reviewer's role. Throws `.unknownReviewer` for a name the configuration does not list.
    package func role(of reviewer: String) throws(ReviewDeskError) -> ReviewDeskSettings.Role {
        guard let role = settings.reviewers[reviewer] else {
            let known = settings.reviewers.keys.sorted()
            throw ReviewDeskError(
                .unknownReviewer,
                known.isEmpty
                    ? "unknown reviewer '\(reviewer.prefix(64))': no reviewers are configured (review.reviewers in the config file)"
                    : "unknown reviewer '\(reviewer.prefix(64))'; the configured reviewers are \(known.joined(separator: ", "))"
            )
        }
        return role
    }

    private func check(
        _ role: ReviewDeskSettings.Role, reviewer: String, covers record: ReviewRecord, action: String
    ) throws(ReviewDeskError) {
        let tier = record.context?.tier
        guard role.covers(flow: record.flow, tier: tier) else {
            let flows = role.flows.map { $0.map(\.rawValue).sorted().joined(separator: ", ") } ?? "every flow"
            let tiers = role.tiers.map { $0.sorted().joined(separator: ", ") } ?? "every tier"
            throw ReviewDeskError(
                .notPermitted,
                "\(reviewer) may not \(action) this item: it is a \(record.flow.rawValue) email for a "
                    + "\(tier ?? "unknown")-tier customer, and \(reviewer)'s role covers \(flows) for \(tiers)")
        }
    }

    // MARK: - Helpers

    private func pending() throws(ReviewDeskError) -> [ReviewSummary] {
        do {
            return try store.pending()
        } catch {
            throw ReviewDeskError(.queueUnavailable, "\(error)")
        }
    }

    private func load(_ id: String) throws(ReviewDeskError) -> ReviewRecord {
        let record: ReviewRecord?
        do {
            record = try store.load(id: id)
        } catch {
            throw ReviewDeskError(.queueUnavailable, "\(error)")
        }
        guard let record else { throw Self.notFound(id) }
        return record
    }

    private func claim(_ id: String) throws(ReviewDeskError) -> ReviewRecord? {
        do {
            return try store.claim(id: id)
        } catch {
            throw ReviewDeskError(.queueUnavailable, "\(error)")
        }
    }

    private func release(_ id: String, _ record: ReviewRecord, email: RenderedEmail?) throws(ReviewDeskError) {
        do {
            try store.release(id: id, record: record, email: email)
        } catch {
            throw ReviewDeskError(.queueUnavailable, "\(error)")
        }
    }

    /// Closes a claimed item that was not sent (rejected, expired) and writes the terminal record.
    private func close(
        _ id: String, _ claimed: ReviewRecord, _ correlationID: String, _ now: Date, _ closing: ReviewClosing,
        action: String, otherwise: String
    ) throws(ReviewDeskError) -> Report {
        do {
            try store.close(id: id, record: claimed, decision: closing)
        } catch {
            try? terminal(
                claimed, correlationID, now, .queuedForReview, reason: "review: \(action) but not closed: \(error)")
            throw ReviewDeskError(.queueUnavailable, "\(error)")
        }
        let (outcome, reason) = try standing(of: claimed.eventID, approved: false, otherwise: otherwise)
        try terminal(claimed, correlationID, now, outcome, reason: reason)
        return Report(reviewID: id, eventID: claimed.eventID, action: action, outcome: outcome, reason: reason)
    }

    /// The event's standing once a decision closed one of its items: still queued while another
    /// item of it waits; sent when this decision or anything earlier delivered an email of it;
    /// otherwise suppressed for `otherwise`.
    private func standing(of eventID: String, approved: Bool, otherwise: String?) throws(ReviewDeskError)
        -> (Outcome, String?)
    {
        let waiting = try pending().filter { $0.eventID == eventID }.count
        if waiting > 0 {
            return (.queuedForReview, "review: \(waiting) more item\(waiting == 1 ? "" : "s") of this event waiting")
        }
        if approved { return (.sent, nil) }
        if let auditRoot {
            do {
                let story = try AuditStory.read(root: auditRoot, eventID: eventID)
                if story.records.contains(where: { $0.stage == "deliver" }) {
                    return (.sent, otherwise.map { "an earlier message of the event was sent; last item \($0)" })
                }
            } catch {
                throw ReviewDeskError(.auditUnavailable, "cannot read the event's records: \(error)")
            }
        }
        return (.suppressed, otherwise)
    }

    private func render(_ draft: Draft, subject: String, record: ReviewRecord, context: ReviewContext, now: Date)
        throws(ReviewDeskError) -> RenderedEmail
    {
        var products: [String: Product] = [:]
        let known = context.productsByID
        for id in draft.productPicks + draft.blocks.compactMap(\.productID) {
            guard let product = known[id] else {
                throw ReviewDeskError(
                    .invalidDraft,
                    "the draft shows product \(id), which the item does not know; keep the product blocks as they were")
            }
            products[id] = product
        }
        var rendered: RenderedEmail
        do {
            rendered = try renderer.render(
                RenderRequest(
                    draft: draft, subject: subject, brand: brand,
                    recipient: Mailbox(name: context.recipientName, address: record.to), customerID: context.customerID,
                    products: products, eventID: record.eventID, flow: record.flow, prompt: context.prompt, now: now,
                    sendAt: record.sendAt, step: record.step, seriesKey: record.series, prices: context.prices,
                    currency: context.currency, isTransactional: context.isTransactional))
        } catch {
            throw ReviewDeskError(.invalidDraft, "the draft cannot be rendered: \(error)")
        }
        let problems = validator.validateRendered(rendered)
        guard problems.isEmpty else {
            throw ReviewDeskError(.invalidDraft, "the rendered email is refused", findings: problems.map(\.message))
        }
        rendered.rawMessage = MIMEMessage.serialize(rendered)
        return rendered
    }

    private func record(
        _ item: ReviewRecord, _ stage: String, _ correlationID: String, _ now: Date, _ facts: [String: JSONValue]
    ) throws(ReviewDeskError) {
        do {
            try audit.append(
                AuditEntry(
                    time: now, eventID: item.eventID, correlationID: correlationID, function: item.flow.rawValue,
                    stage: stage, facts: facts))
        } catch {
            throw ReviewDeskError(.auditUnavailable, "\(error)")
        }
    }

    private func terminal(
        _ item: ReviewRecord, _ correlationID: String, _ now: Date, _ outcome: Outcome, reason: String?
    ) throws(ReviewDeskError) {
        var facts: [String: JSONValue] = ["subject": .string(item.subject)]
        if let reason { facts["reason"] = .string(reason) }
        do {
            try audit.append(
                AuditEntry(
                    time: now, eventID: item.eventID, correlationID: correlationID, function: item.flow.rawValue,
                    stage: "outcome", outcome: outcome, facts: facts))
        } catch {
            throw ReviewDeskError(.auditUnavailable, "\(error)")
        }
    }

    private func put(_ bytes: [UInt8]) throws(ReviewDeskError) -> String {
        do {
            return try content.put(bytes)
        } catch {
            throw ReviewDeskError(.auditUnavailable, "content store: \(error)")
        }
    }

    /// A draft as canonical JSON, as the `generate` records keep drafts.
    static func document(_ draft: Draft) -> [UInt8] {
        guard let data = try? JSONEncoder().encode(draft), let value = try? JSONParser.parse(Array(data)) else {
            return []
        }
        return CanonicalJSON.bytes(value)
    }

    static func lines(_ findings: [Finding]) -> [String] {
        findings.map { "\($0.severity.rawValue) \($0.rule) at \($0.field): \($0.message)" }
    }

    static func correlationID() -> String { "review-" + UUID().uuidString.lowercased() }

    static func notFound(_ id: String) -> ReviewDeskError {
        ReviewDeskError(.notFound, "no review item \(id.prefix(200)) is waiting (decided, expired or withdrawn?)")
    }

    static func noContext(_ id: String) -> ReviewDeskError {
        ReviewDeskError(
            .noContext,
            "item \(id.prefix(200)) was queued before items kept what a decision needs to check and render the draft; it can only be rejected"
        )
    }
}

/// A review decision that could not be taken. `code` is what a caller (CLI exit, dashboard status)
/// decides by; `message` says it for a person; `findings` lists the validator's objections.
package struct ReviewDeskError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    package enum Code: String, Sendable {
        /// The reviewer is not in `review.reviewers`.
        case unknownReviewer = "unknown_reviewer"
        /// The reviewer's role does not cover the item's flow or tier.
        case notPermitted = "not_permitted"
        /// The reviewer edited the draft and may not approve it.
        case ownEdit = "own_edit"
        /// No such item is waiting.
        case notFound = "not_found"
        /// The item lacks what a decision needs to validate and render it again.
        case noContext = "no_context"
        /// The draft (approved or edited) does not pass the validator, or cannot be rendered.
        case invalidDraft = "invalid_draft"
        /// The edit or the decision's input is not usable (nothing changed, no reason, bad JSON).
        case badEdit = "bad_edit"
        /// The email service refused the approved email.
        case deliveryFailed = "delivery_failed"
        /// The review folder could not be read or written.
        case queueUnavailable = "queue_unavailable"
        /// The audit could not be written or read.
        case auditUnavailable = "audit_unavailable"
    }

    /// What went wrong.
    package var code: Code
    /// The explanation for a person.
    package var message: String
    /// The validator's objections, one line each.
    package var findings: [String]

    /// Creates an error.
    package init(_ code: Code, _ message: String, findings: [String] = []) {
        self.code = code
        self.message = message
        self.findings = findings
    }

    /// The message, then the findings one per line.
    package var description: String {
        ([message] + findings.map { "  - " + $0 }).joined(separator: "\n")
    }
}
