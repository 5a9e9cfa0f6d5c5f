import Crypto
import Foundation
import Logging

/// One flow's pipeline: bytes in, exactly one terminal outcome out. Never throws: every failure
/// becomes an outcome (rejected_input, failed with retryability) and an audit record.
package struct Pipeline: Sendable {
    /// The use case this pipeline handles.
    package let flow: Flow
    /// The configuration it was built with.
    package let configuration: Configuration
    /// The boundaries it talks to. Variable so that an invocation can bind its model to its
    /// deadline (`DeadlineBoundModel`) without rebuilding the pipeline.
    package var stages: PipelineStages
    let decoder: EventDecoder
    let renderer: EmailRenderer
    let prompts = PromptLibrary()
    let fallbackWriter = OfflineCopywriter()

    /// Builds the pipeline. Throws `ConfigurationError` when a stage cannot be set up.
    package init(flow: Flow, configuration: Configuration, stages: PipelineStages) throws(ConfigurationError) {
        self.flow = flow
        self.configuration = configuration
        self.stages = stages
        decoder = EventDecoder(maximumBodyBytes: configuration.maximumBodyBytes)
        do {
            renderer = try EmailRenderer(unsubscribeKey: SymmetricKey(data: configuration.unsubscribeKey.bytes))
        } catch {
            throw ConfigurationError(key: "TIDINGS_UNSUBSCRIBE_SECRET", reason: "\(error)")
        }
    }

    /// Handles one delivery. `correlationID` ties the audit records of this invocation together.
    package func handle(_ delivery: InboundDelivery, correlationID: String, logger: Logger) async -> OutcomeReport {
        await handle(decoder.read(delivery), correlationID: correlationID, logger: logger)
    }

    /// Handles one delivery already read (`EventDecoder.read`, with this pipeline's body limit),
    /// decoding the event from its parsed body: its bytes are not parsed again.
    package func handle(_ delivery: ParsedDelivery, correlationID: String, logger: Logger) async -> OutcomeReport {
        var run = Run(
            pipeline: self, eventID: EventDecoder.fallbackEventID(for: delivery.raw.body), correlationID: correlationID,
            now: stages.clock.now, logger: logger)
        let report: OutcomeReport
        do {
            report = try await run.execute(delivery)
        } catch {
            report = run.fail(error)
        }
        for claim in run.heldClaims.reversed() {
            await run.conclude(claim, with: report)
        }
        return report
    }
}

/// Why an event failed, as a code the runtime decides by; `Failure.reason` opens with the raw value.
package enum FailureCode: String, Sendable, Hashable, CaseIterable {
    case auditUnavailable = "audit_unavailable"
    case badConfiguration = "bad_configuration"
    case cartUnresolved = "cart_unresolved"
    case deadLetterUnavailable = "dead_letter_unavailable"
    case deliveryFailed = "delivery_failed"
    case draftRejected = "draft_rejected"
    case generationFailed = "generation_failed"
    case historyUnread = "history_unread"
    /// An error no stage mapped to a failure of its own: retryable, since nothing says it cannot help.
    case internalError = "internal_error"
    case modelUnreadable = "model_unreadable"
    case modelUnwritable = "model_unwritable"
    case noPlatform = "no_platform"
    case noRecipient = "no_recipient"
    case orderUnresolved = "order_unresolved"
    case platformUnavailable = "platform_unavailable"
    case promptUnavailable = "prompt_unavailable"
    case renderFailed = "render_failed"
    case reviewQueueFailed = "review_queue_failed"
    /// A win-back scan in which no selected customer was written to and some failed.
    case scanFailed = "scan_failed"
    case scanUnsupported = "scan_unsupported"
    case seriesCancelFailed = "series_cancel_failed"
    /// Another handling of the same event held its claim until this invocation's deadline.
    case claimHeld = "claim_held"
    /// The state store (claims, tombstones) could not be read or written.
    case stateUnavailable = "state_unavailable"
    /// The suppression list could not be read or written: no marketing goes out without knowing it.
    case suppressionUnavailable = "suppression_unavailable"
    case unsupportedSubject = "unsupported_subject"
}

/// A failure that ends the event with `failed`: a code, and the detail the reason adds to it.
struct Failure: Error {
    var code: FailureCode
    var detail: String?
    var retryable: Bool
    var facts: [String: JSONValue] = [:]

    init(_ code: FailureCode, _ detail: String? = nil, retryable: Bool, facts: [String: JSONValue] = [:]) {
        self.code = code
        self.detail = detail
        self.retryable = retryable
        self.facts = facts
    }

    /// "code: detail", as the result JSON and the audit write it.
    var reason: String { detail.map { "\(code.rawValue): \($0)" } ?? code.rawValue }

    func report(function: String, eventID: String) -> OutcomeReport {
        OutcomeReport(
            function: function, eventID: eventID, outcome: .failed, reason: reason, code: .failure(code),
            retryable: retryable)
    }
}

/// The state of one event going through the pipeline.
struct Run: Sendable {
    let pipeline: Pipeline
    var eventID: String
    let correlationID: String
    let now: Date
    var logger: Logger
    /// The claims this run holds (its event's, its subject's; `Pipeline+Claim.swift`), so the
    /// terminal outcome can complete or release them.
    var heldClaims: [HeldClaim] = []

    var function: String { pipeline.flow.kind.rawValue }
    /// The id of the experiment on this run's flow, for a held-out outcome's reason.
    var experimentID: String { configuration.experiments.experiment(for: pipeline.flow.kind)?.id ?? "" }
    var stages: PipelineStages { pipeline.stages }
    var configuration: Configuration { pipeline.configuration }

    /// The life of one event, in DESIGN order; the only place that decides which audit record is
    /// written when. The flow's planner only decides (`FlowPlanner`); everything it needs is looked
    /// up and read here, and everything it plans is done here, by helpers that return values
    /// (`Pipeline+Reads.swift`) or write through this run's `record` (`Pipeline+Compose.swift`
    /// for one message's back half, `Pipeline+Scan.swift` for a scan's fan-out).
    mutating func execute(_ delivery: ParsedDelivery) async throws -> OutcomeReport {
        // Normalize: bytes -> one LifecycleEvent of this handler's flow; bad input is kept and refused.
        let event: LifecycleEvent
        do {
            event = try pipeline.decoder.decode(delivery)
            guard event.flow == pipeline.flow.kind else {
                throw InputError(
                    .unsupportedTopic, path: "$", reason: "a \(event.flow.rawValue) event sent to \(function)")
            }
        } catch let error as InputError {
            // The dead-letter folder keeps the bytes as they arrived.
            return try rejectInput(delivery.raw, error)
        }
        eventID = event.id
        logger[metadataKey: "event.id"] = "\(event.id)"
        try record("normalize", Self.normalizeFacts(event))

        // Guards: the duplicate event (the same for every flow), then the flow's own guards on the
        // event and on what the audit remembers. A cancellation marks its order and stops its series
        // before they decide.
        let planner = pipeline.flow.planner
        let settings = pipeline.flow.settings
        var facts = FlowFacts(now: now, settings: settings, configuration: configuration)
        // The claim first: a delivery of an event another process is handling waits for its
        // outcome here, so no two handlings of one event id ever run past this point at once.
        switch try await claimEvent(event) {
        case .handle(let held): heldClaims.append(held)
        case .alreadyHandled(let first): return try stop(Self.alreadyHandledVerdict(event.id, first: first))
        }
        // Events handled before the state store kept their claims are still remembered by the audit.
        let seen = try remembersEvent(event.id, since: now - (settings.window + settings.delay + 86_400))
        if let verdict = Guards.checkDuplicate(event.id, remembered: seen) {
            return try stop(verdict)
        }
        let needs = planner.needs(event, facts: facts)
        // A cancellation marks its order in the state store before it stops the series: a create
        // at the same moment either finds the mark or handed its series over before it, and then
        // the stop below finds its messages (docs/decisions/exactly-once.md, "The order race").
        if let tombstone = needs.writeTombstone {
            let standing = try await writeTombstone(tombstone)
            try record(
                "tombstone",
                [
                    "key": .string(tombstone.key), "time": .string(Timestamp.format(standing)),
                    "first": .bool(standing == now),
                ])
        }
        if let series = needs.stopSeries {
            let (stopped, withdrawn) = try await stopSeries(series)
            try record(
                "series",
                [
                    "series": .string(series), "stopped": .array(stopped.map(JSONValue.string)),
                    "withdrawn": .array(withdrawn.map(JSONValue.string)),
                ])
        }
        facts.remembered = try lookUp(needs.remembered)
        facts.tombstones = try await readTombstones(needs.tombstones)
        facts.suppression = try await suppression(customerID: event.customer.id, address: event.customer.email)
        if let verdict = planner.precheck(event, facts: facts) {
            return try stop(verdict)
        }
        // The subject (a cart) once the prechecks passed: another event about it that is being
        // handled right now is waited for, and one that already wrote to the customer stops this.
        if let subject = needs.subject, let verdict = try await claimSubject(subject) {
            return try stop(verdict)
        }

        // Enrich: a thin payload's cart or order from the platform and the guards on it, then the
        // customer (profile, or winBack's raw history with the lifetime parameters) and the catalog.
        facts.resolved = try await resolveSubject(of: event)
        let enrichment: EnrichmentNeeds
        switch try planner.screen(event, facts: facts) {
        case .stop(let verdict): return try stop(verdict)
        case .enrich(let needs): enrichment = needs
        }
        switch enrichment.customer {
        case .none:
            break
        case .profile(let reference, let currency):
            let enriched = try await enrich(reference, currency: currency, for: event)
            try record("enrich", Self.enrichFacts(enriched, guest: reference.id == nil))
            if let verdict = Guards.checkCustomerFound(
                reference, record: enriched.record, platform: event.source.platform)
            {
                return try stop(verdict)
            }
            facts.enrichment = enriched
        case .history(let customerID):
            facts.history = try await readHistory(customerID, for: event)
        }
        facts.remembered.merge(try lookUp(enrichment.remembered)) { $1 }

        // Insights and plan: the planner's note (insights, or winBack's `select`) and what to do.
        let plan = try planner.plan(event, facts: facts)
        if let note = plan.note {
            try record(note.stage, note.facts)
        }

        // Prompt, generate, validate, route, render, deliver: per message (`Pipeline+Compose`), or
        // per selected customer as a child event (`Pipeline+Scan`); then the one terminal record.
        // Quiet hours are in the customer's own zone (nil when none are configured).
        let zone = contactZone(record: facts.enrichment?.record ?? facts.history?.record, reference: event.customer)
        switch plan.action {
        case .stop(let verdict):
            return try stop(verdict)
        case .write(let message):
            // The recipient as planned (a thin cart's customer, a guest's key) is checked again;
            // then quiet hours and the frequency cap, before any writer is paid for.
            let screened = try await screenSuppressed([message])
            if let verdict = screened.verdict { return try stop(verdict) }
            let contact = try await screenContact(screened.kept, zone: zone)
            if let verdict = contact.verdict { return try stop(verdict) }
            // Experiment: the customer's arm or holdout (`Pipeline+Experiment`).
            let assigned = try assignExperiment(contact.kept)
            guard let assignedMessage = assigned.kept.first else {
                return finishHeldOut(assigned.heldOut, experimentID: experimentID)
            }
            do {
                return finish([try await compose(assignedMessage)])
            } catch let capped as FrequencyCapReached {
                return try stop(capped.verdict)
            }
        case .writeSeries(let messages):
            let screened = try await screenSuppressed(messages)
            if let verdict = screened.verdict { return try stop(verdict) }
            let contact = try await screenContact(screened.kept, zone: zone)
            if let verdict = contact.verdict { return try stop(verdict) }
            let assigned = try assignExperiment(contact.kept)
            if assigned.kept.isEmpty { return finishHeldOut(assigned.heldOut, experimentID: experimentID) }
            let composed = try await composeSeries(assigned.kept)
            // Handed over; a cancellation that began meanwhile left its tombstone: withdraw.
            if let recheck = plan.recheck {
                return try await withdrawIfCancelled(composed, recheck)
            }
            return finish(composed)
        case .fanOut(let scan):
            let summary = try await runScan(scan, of: event, facts: facts)
            let (outcome, reason) = WinBackPlanner.conclusion(of: summary)
            return finish(
                report(
                    outcome, reason: reason, code: outcome == .failed ? .failure(.scanFailed) : .scan,
                    retryable: outcome == .failed ? true : nil),
                facts: summary.facts, delivered: true)
        }
    }

    /// The `normalize` record's facts.
    static func normalizeFacts(_ event: LifecycleEvent) -> [String: JSONValue] {
        [
            "platform": .string(event.source.platform.rawValue), "topic": .string(event.source.topic),
            "shop": .string(event.shop), "\(event.subject.kind)_id": .string(event.subject.id),
            "customer_id": event.customer.id.map(JSONValue.string) ?? .null,
            "occurred_at": .string(Timestamp.format(event.occurredAt)),
        ]
    }

    /// The `enrich` record's facts: what was learned, never the address.
    static func enrichFacts(_ enrichment: EnrichedCustomer, guest: Bool) -> [String: JSONValue] {
        let profile = enrichment.profile
        return [
            "customer_id": profile.customerID.map(JSONValue.string) ?? .null, "tier": .string(profile.tier),
            "order_count": .int(profile.orderCount), "total_spent": .string(profile.totalSpent.plainAmount),
            "consent": .string(profile.consent.rawValue), "guest": .bool(guest),
            "top_categories": .array(profile.topCategories.map(JSONValue.string)),
        ]
    }
}

/// How a run ends and what it records: the one recorder, the terminal record, stops and refusals.
extension Run {
    /// Appends one stage record for this run's event: the only path to the audit besides the
    /// terminal record (`finish`). A failed write fails the event, retryably.
    func record(_ stage: String, _ facts: [String: JSONValue]) throws {
        do {
            try stages.audit.append(
                AuditEntry(
                    time: now, eventID: eventID, correlationID: correlationID, function: function, stage: stage,
                    facts: facts))
        } catch {
            throw Failure(.auditUnavailable, "\(error)", retryable: true)
        }
    }

    /// The terminal outcome of an error that ended the run: a `Failure` as it says, anything else
    /// an internal error (retryable: nothing says a retry cannot help).
    func fail(_ error: any Error) -> OutcomeReport {
        if let failure = error as? Failure {
            return finish(failure.report(function: function, eventID: eventID), facts: failure.facts)
        }
        return finish(
            OutcomeReport(
                function: function, eventID: eventID, outcome: .failed, reason: "internal_error: \(error)",
                code: .failure(.internalError), retryable: true))
    }

    /// Writes the terminal record and returns the report. If even that fails, the report says so.
    /// `delivered` says the email already left: then a failed audit write must not turn the
    /// outcome into a retryable failure, because the retry would send it a second time.
    func finish(_ report: OutcomeReport, facts: [String: JSONValue] = [:], delivered: Bool = false) -> OutcomeReport {
        var facts = facts
        if let reason = report.reason { facts["reason"] = .string(reason) }
        if let retryable = report.retryable { facts["retryable"] = .bool(retryable) }
        if let subject = report.subject { facts["subject"] = .string(subject) }
        if let messages = report.messages { facts["messages"] = .array(messages.map { .string($0) }) }
        do {
            try stages.audit.append(
                AuditEntry(
                    time: now, eventID: eventID, correlationID: correlationID, function: function, stage: "outcome",
                    outcome: report.outcome, facts: facts))
        } catch {
            logger.error(
                "audit write failed for the terminal record", metadata: ["event.id": "\(eventID)", "error": "\(error)"])
            if delivered {
                var handedOver = report
                handedOver.reason = [report.reason, "audit_incomplete: \(error)"].compactMap { $0 }.joined(
                    separator: "; ")
                return handedOver
            }
            return OutcomeReport(
                function: function, eventID: eventID, outcome: .failed,
                reason: "audit_unavailable: \(error) (outcome was \(report.outcome.rawValue))",
                code: .failure(.auditUnavailable), retryable: true)
        }
        var metadata: Logger.Metadata = ["event.id": "\(eventID)", "outcome": "\(report.outcome.rawValue)"]
        if let reason = report.reason { metadata["reason"] = "\(reason)" }
        logger.info("event handled", metadata: metadata)
        return report
    }

    func report(
        _ outcome: Outcome, reason: String? = nil, code: OutcomeCode? = nil, retryable: Bool? = nil,
        subject: String? = nil, messages: [String]? = nil
    ) -> OutcomeReport {
        OutcomeReport(
            function: function, eventID: eventID, outcome: outcome, reason: reason, code: code, retryable: retryable,
            subject: subject,
            messages: messages)
    }

    /// The terminal outcome of composed messages: sent when every message went to the email
    /// service, queued for review when any waits for a human (the others are out already).
    /// `extra` adds facts to the terminal record.
    func finish(_ messages: [ComposedMessage], extra: [String: JSONValue] = [:]) -> OutcomeReport {
        let reviewed = messages.filter { $0.outcome == .queuedForReview }
        let keys = messages.flatMap(\.dedupeKeys)
        var facts = extra
        if !keys.isEmpty { facts[AuditEntry.dedupeKeysFact] = .array(Array(Set(keys)).sorted().map(JSONValue.string)) }
        if messages.count > 1 {
            facts["steps"] = .array(
                messages.map {
                    .object([
                        "step": .string($0.step), "outcome": .string($0.outcome.rawValue),
                        "send_at": .string(Timestamp.format($0.sendAt)), "reference": .string($0.reference),
                    ])
                })
        }
        let reason: String? =
            reviewed.isEmpty
            ? nil
            : "review: "
                + reviewed.map {
                    (messages.count > 1 ? "\($0.step): " : "") + $0.reviewReasons.joined(separator: "; ")
                }.joined(separator: " | ")
        return finish(
            report(
                reviewed.isEmpty ? .sent : .queuedForReview, reason: reason, code: reviewed.isEmpty ? nil : .review,
                subject: messages.first?.subject,
                messages: messages.map(\.reference)),
            facts: facts, delivered: true)
    }

    /// The end of a handed-over series whose order may have been cancelled meanwhile
    /// (docs/decisions/exactly-once.md, "The order race"). The tombstone is read again: without
    /// one the series ends as composed. With one, the series' messages not sent yet (due later, or
    /// waiting for a person) are withdrawn, the `withdraw` record lists them, and the outcome opens
    /// with `order_cancelled`: `sent` for what had gone out already (a thank-you is due at once),
    /// `suppressed` when nothing had. Messages have left by now, so a store that cannot be read is
    /// noted on the outcome, never turned into a retry that would hand them over a second time.
    func withdrawIfCancelled(_ composed: [ComposedMessage], _ recheck: TombstoneRecheck) async throws
        -> OutcomeReport
    {
        let cancelledAt: Date?
        do {
            cancelledAt = try await readTombstones([recheck.tombstone])[recheck.tombstone]
        } catch let failure as Failure {
            logger.error(
                "the order's tombstone could not be read again after its series was handed over",
                metadata: ["key": "\(recheck.tombstone)", "error": "\(failure.reason)"])
            return finish(composed, extra: ["recheck_failed": .string(failure.reason)])
        }
        guard let cancelledAt else { return finish(composed) }
        let (stopped, withdrawn) = try await stopSeries(recheck.series)
        // The services stop every message of the series due after now (this call or the
        // cancellation's own may have moved it) and the review queue gives back every waiting one:
        // what stays out is what was due already.
        let gone = composed.filter { $0.outcome == .sent && $0.sendAt <= now }
        let taken = composed.filter { !($0.outcome == .sent && $0.sendAt <= now) }
        try? record(
            "withdraw",
            [
                "series": .string(recheck.series), "cancelled_at": .string(Timestamp.format(cancelledAt)),
                "steps": .array(taken.map { .string($0.step) }), "stopped": .array(stopped.map(JSONValue.string)),
                "withdrawn": .array(withdrawn.map(JSONValue.string)),
            ])
        let verdict = Guards.cancelledDuringHandOver(
            recheck.orderID, cancelledAt: cancelledAt, withdrawn: taken.map(\.step), kept: gone.map(\.step))
        var facts: [String: JSONValue] = [
            "steps": .array(
                composed.map { message in
                    .object([
                        "step": .string(message.step),
                        "outcome": .string(gone.contains(message) ? message.outcome.rawValue : "withdrawn"),
                        "send_at": .string(Timestamp.format(message.sendAt)), "reference": .string(message.reference),
                    ])
                })
        ]
        let keys = Set(gone.flatMap(\.dedupeKeys))
        if !keys.isEmpty { facts[AuditEntry.dedupeKeysFact] = .array(keys.sorted().map(JSONValue.string)) }
        return finish(
            report(
                gone.isEmpty ? .suppressed : .sent, reason: verdict.reason, code: .guarded(verdict.code),
                subject: gone.first?.subject, messages: gone.isEmpty ? nil : gone.map(\.reference)),
            facts: facts, delivered: true)
    }

    func stop(_ verdict: GuardVerdict) throws -> OutcomeReport {
        try record("guards", ["verdict": .string(verdict.code.rawValue)])
        if verdict.code == .duplicate {
            return finish(report(.duplicate, reason: verdict.reason, code: .guarded(verdict.code)))
        }
        let keys = verdict.rememberedKeys
        return finish(
            report(
                .suppressed, reason: verdict.reason, code: .guarded(verdict.code),
                retryable: verdict.isRetryable ? true : nil),
            facts: keys.isEmpty ? [:] : [AuditEntry.dedupeKeysFact: .array(keys.map(JSONValue.string))])
    }

    func rejectInput(_ delivery: InboundDelivery, _ error: InputError) throws -> OutcomeReport {
        var facts: [String: JSONValue] = ["code": .string(error.code.rawValue), "path": .string(error.path)]
        do {
            let kept = try stages.deadLetters.keep(
                delivery.body, eventID: eventID, function: function, reason: error.description, at: now)
            facts["dead_letter"] = .string(kept)
        } catch {
            // Losing the event would be worse than failing: ask for a retry so the platform keeps it.
            throw Failure(.deadLetterUnavailable, "\(error)", retryable: true, facts: facts)
        }
        return finish(report(.rejectedInput, reason: error.description, code: .input(error.code)), facts: facts)
    }
}
