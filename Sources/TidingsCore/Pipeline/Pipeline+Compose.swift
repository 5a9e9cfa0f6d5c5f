import Crypto
import Foundation

/// A message after prompt, generation, validation, routing and rendering, before it leaves.
struct PreparedMessage: Sendable {
    var message: PlannedMessage
    var draft: Draft
    var rendered: RenderedEmail
    var decision: Decision
    var score: Int
    /// What a reviewer's decision needs to validate and render the draft again.
    var reviewContext: ReviewContext
}

extension Run {
    /// The back half for one planned message: prepare, then hand over. Non-mutating, so a scan
    /// may compose several children at once. Writes through the run's `record` only.
    func compose(_ message: PlannedMessage) async throws -> ComposedMessage {
        try await handOver(try await prepare(message))
    }

    /// A series: every message is written, validated and rendered before any is handed over, so a
    /// draft that fails leaves nothing half-sent. A marketing message that cannot be written is
    /// dropped (and audited); a transactional one fails the event.
    func composeSeries(_ messages: [PlannedMessage]) async throws -> [ComposedMessage] {
        var prepared: [PreparedMessage] = []
        for message in messages {
            do {
                prepared.append(try await prepare(message))
            } catch let failure as Failure where !message.isTransactional && !failure.retryable {
                try record("dropped", ["step": .string(message.step), "reason": .string(failure.reason)])
            }
        }
        var composed: [ComposedMessage] = []
        for message in prepared {
            do {
                composed.append(try await handOver(message))
            } catch let capped as FrequencyCapReached {
                // Another handling took the customer's last marketing slot since the guard.
                try record(
                    "dropped", ["step": .string(message.message.step), "reason": .string(capped.verdict.reason)])
            }
        }
        return composed
    }

    /// The first part of the back half for one planned message: prompt, generate, validate, route
    /// and render. Nothing leaves the function yet; a rejected draft throws.
    func prepare(_ message: PlannedMessage) async throws -> PreparedMessage {
        let stepFacts: [String: JSONValue] = ["step": .string(message.step)]
        let prompt: Prompt
        do {
            prompt = try pipeline.prompts.prompt(message.promptID, context: message.context)
        } catch {
            throw Failure(.promptUnavailable, "\(error)", retryable: false)
        }
        try record(
            "prompt",
            stepFacts.merging(
                ["template": .string(prompt.reference), "context_bytes": .int(prompt.user.utf8.count)]
            ) { $1 })

        let validator = DraftValidator(policy: configuration.policy, brand: configuration.brand)
        let router = Router(rules: configuration.review)
        // The writers in turn: the model (a first turn and one repair turn), then the offline
        // copywriter, then for a transactional message the fixed notice
        // (docs/decisions/transactional-fallback.md). The first draft the validator does not reject
        // goes on; each rejected one is recorded before the next writer starts, the last one after.
        var writers: [any LanguageModel] = [stages.model]
        if stages.model.name != pipeline.fallbackWriter.name { writers.append(pipeline.fallbackWriter) }
        // A holdout's control email is the offline copywriter's, whatever model is configured.
        if message.experiment?.holdout == .controlEmail { writers = [pipeline.fallbackWriter] }
        if message.isTransactional { writers.append(TransactionalNotice()) }
        var chosen: Validated?
        var rejected: Validated?
        // Why the draft of the writer before did not go out; named on the final validate record.
        var passedOver: String?
        writing: for (index, writer) in writers.enumerated() {
            let next = index + 1 < writers.count ? writers[index + 1].name : "none"
            var repair: DraftRequest.Repair?
            for turn in ModelGovernance.isOffline(writer) ? [DraftTurn.first] : [.first, .repair] {
                if let earlier = rejected {
                    try record("validate", validationFacts(earlier, decision: earlier.decision, step: message.step))
                    rejected = nil
                }
                let canRepair = turn == .first && !ModelGovernance.isOffline(writer)
                let written = try await write(
                    DraftRequest(prompt: prompt, repair: repair), using: writer, turn: turn,
                    link: message.callToActionURL, repairable: canRepair, next: next)
                switch written {
                case .failed(let reason, let answer, let problems):
                    passedOver = "\(writer.name) (\(turn.rawValue) turn): \(reason)"
                    // A call that failed is not repaired (nothing to quote); a bad answer is.
                    guard canRepair, let answer else { continue writing }
                    repair = DraftRequest.Repair(previousAnswer: answer, problems: problems)
                case .draft(let draft, let answer):
                    let findings = validator.validate(draft, facts: message.checks)
                    let validated = Validated(
                        draft: draft, writer: writer.name, turn: turn, findings: findings,
                        decision: router.decide(
                            findings: findings, for: message, prompt: prompt.reference, writer: writer.name),
                        findingsAddress: try store(Self.findingsDocument(findings)))
                    guard case .reject(let reasons) = validated.decision else {
                        chosen = validated
                        break writing
                    }
                    rejected = validated
                    passedOver =
                        "\(writer.name) (\(turn.rawValue) turn): rejected: \(reasons.joined(separator: "; "))"
                    guard canRepair else { continue writing }
                    repair = DraftRequest.Repair(previousAnswer: answer, problems: Self.problemLines(findings))
                }
            }
        }
        guard var validated = chosen ?? rejected else {
            throw Failure(.generationFailed, passedOver ?? "no writer answered", retryable: false)
        }
        // A transactional message is never dropped: if no writer could pass, a person decides.
        validated.decision = router.holdingTransactional(validated.decision, for: message)
        var finalFacts = validationFacts(validated, decision: validated.decision, step: message.step)
        if validated.writer != stages.model.name || validated.turn != .first, let passedOver {
            finalFacts["fallback_reason"] = .string(passedOver)
        }
        try record("validate", finalFacts)
        if case .reject(let reasons) = validated.decision {
            throw Failure(.draftRejected, reasons.joined(separator: "; "), retryable: false)
        }
        let (draft, findings, decision) = (validated.draft, validated.findings, validated.decision)

        // Render, with the subject the experiment arm's rule picks (the first without one).
        let subject = (message.experiment?.arm?.subjectRule ?? .first).choose(
            draft.subjects, firstName: message.context.customer.firstName)
        var products: [String: Product] = [:]
        for id in draft.productPicks + draft.blocks.compactMap(\.productID) {
            products[id] = message.checks.catalog[id]
        }
        var rendered: RenderedEmail
        do {
            rendered = try pipeline.renderer.render(
                RenderRequest(
                    draft: draft, subject: subject, brand: configuration.brand, recipient: message.recipient,
                    customerID: message.customerID, products: products, eventID: eventID, flow: pipeline.flow.kind,
                    prompt: prompt.reference, now: now, sendAt: message.sendAt, step: message.step,
                    seriesKey: message.seriesKey, prices: message.checks.linePrices, currency: message.checks.currency,
                    isTransactional: message.isTransactional))
        } catch {
            throw Failure(.renderFailed, "\(error)", retryable: false)
        }
        let renderFindings = validator.validateRendered(rendered)
        if !renderFindings.isEmpty {
            throw Failure(
                .renderFailed, renderFindings.map(\.message).joined(separator: "; "), retryable: false)
        }
        // Serialized once: the hash below and the outbox or review queue use the same bytes.
        rendered.rawMessage = MIMEMessage.serialize(rendered)
        try record(
            "render",
            stepFacts.merging([
                "message_id": .string(rendered.messageID), "subject": .string(subject),
                "send_at": .string(Timestamp.format(message.sendAt)),
                "email_sha256": .string(Hex.encode(SHA256.hash(data: rendered.rawMessage ?? Data()))),
            ]) { $1 })

        return PreparedMessage(
            message: message, draft: draft, rendered: rendered, decision: decision, score: findings.score,
            reviewContext: ReviewContext(
                message: message, products: products, prompt: prompt.reference, writer: validated.writer))
    }

    /// The second part: hands a prepared message to the email service, or to the review queue.
    /// A marketing message is first counted against its customer's frequency cap (throwing
    /// `FrequencyCapReached` when the cap was filled meanwhile); a hand-over that fails takes the
    /// count back.
    func handOver(_ prepared: PreparedMessage) async throws -> ComposedMessage {
        let message = prepared.message
        let stepFacts: [String: JSONValue] = ["step": .string(message.step)]
        let (draft, rendered, subject) = (prepared.draft, prepared.rendered, prepared.rendered.subject)
        switch prepared.decision {
        case .send:
            let counted = try await countFrequency(message)
            let receipt: DeliveryReceipt
            do {
                receipt = try await stages.email.deliver(rendered)
            } catch {
                await uncount(counted)
                guard let error = error as? DeliveryError else { throw error }
                throw Failure(.deliveryFailed, "\(error)", retryable: error.isRetryable)
            }
            // The recipient appears in the audit only here, where the hand-over needs it, and only
            // as the hash the suppression list keys addresses by: an erasure can remove the address
            // everywhere else, and a sealed record cannot be edited (docs/decisions/privacy.md). The
            // email is out: a failed audit write is logged, never turned into a retry that sends again.
            try? record(
                "deliver",
                stepFacts.merging([
                    "service": .string(receipt.service), "reference": .string(receipt.reference),
                    "to_hash": .string(SuppressionKeys.addressHash(message.recipient.address)),
                ]) { $1 })
            return ComposedMessage(
                step: message.step, outcome: .sent, subject: subject, reference: receipt.reference, reviewReasons: [],
                sendAt: message.sendAt, dedupeKeys: message.rememberedKeys)
        case .review(let reasons):
            // A message waiting for a person counts: it is meant to go out.
            let counted = try await countFrequency(message)
            let reference: String
            do {
                reference = try await stages.review.enqueue(
                    ReviewItem(
                        eventID: eventID, flow: pipeline.flow.kind, reasons: reasons, score: prepared.score,
                        draft: draft, email: rendered, step: message.seriesKey == nil ? nil : message.step,
                        seriesKey: message.seriesKey, context: prepared.reviewContext))
            } catch {
                await uncount(counted)
                throw Failure(.reviewQueueFailed, "\(error)", retryable: true)
            }
            try? record(
                "review",
                stepFacts.merging([
                    "reference": .string(reference), "reasons": .array(reasons.map(JSONValue.string)),
                ]) { $1 })
            return ComposedMessage(
                step: message.step, outcome: .queuedForReview, subject: subject, reference: reference,
                reviewReasons: reasons, sendAt: message.sendAt, dedupeKeys: message.rememberedKeys)
        case .reject:
            throw Failure(.draftRejected, retryable: false)
        }
    }

    /// Asks a writer for a draft and records the `generate` record of that turn: the writer, the
    /// turn, what came of it, the request and answer by content address, the tokens and their
    /// cost. A call that fails or an answer that is not a draft is `.failed`, never thrown; only
    /// the audit (or content store) failing throws. `repairable` says whether a bad answer gets a
    /// repair turn; otherwise, and after a failed call, `next` names the writer that comes after.
    func write(
        _ request: DraftRequest, using writer: any LanguageModel, turn: DraftTurn, link: String, repairable: Bool,
        next: String
    ) async throws -> Written {
        var facts: [String: JSONValue] = ["writer": .string(writer.name), "turn": .string(turn.rawValue)]
        var answer: ModelAnswer?
        var failure: (outcome: String, reason: String)?
        var exchange: ModelExchange?
        var usage: TokenUsage?
        do {
            let answered = try await writer.respond(to: request)
            (answer, exchange, usage) = (answered, answered.exchange, answered.usage)
            if let servedBy = answered.servedBy { facts["served_by"] = .string(servedBy) }
            if answered.attempts > 0 { facts["attempts"] = .int(answered.attempts) }
        } catch let error as ModelError {
            // The record names the writer and the code already: the reason alone says the rest.
            failure = (error.code == .other ? "call_failed" : error.code.rawValue, error.reason)
            (exchange, usage) = (error.exchange, error.usage)
            if let attempts = error.attempts { facts["attempts"] = .int(attempts) }
        } catch {
            failure = ("call_failed", "\(error)")
        }
        facts[ContentReference.request.rawValue] = .string(
            try store(exchange?.request ?? Self.requestDocument(request)))
        if let raw = exchange?.response ?? answer.map({ Array($0.text.utf8) }) {
            facts[ContentReference.answer.rawValue] = .string(try store(raw))
        }
        if let usage { facts.merge(costFacts(usage, writer: writer.name, servedBy: answer?.servedBy)) { $1 } }

        var draft: Draft?
        var document: JSONValue = .null
        var problems: [String] = []
        if let answer {
            do throws(InputError) {
                let decoded = try DraftDecoder.decodeDocument(answer.text)
                (draft, document) = (decoded.draft.resolvingCheckoutLink(link), decoded.document)
            } catch {
                failure = (error.code == .malformedJSON ? "not_json" : "off_schema", "\(error)")
                problems = ["\(error)"]
            }
        }
        if let draft {
            facts["outcome"] = "draft"
            facts["subjects"] = .int(draft.subjects.count)
            facts["blocks"] = .int(draft.blocks.count)
            // The schema-checked document as the writer wrote it (the checkout link still its
            // placeholder, so no customer's link is kept), canonical.
            facts[ContentReference.draft.rawValue] = .string(try store(CanonicalJSON.bytes(document)))
        }
        let (outcome, reason) = failure ?? ("call_failed", "no answer")
        if draft == nil {
            facts["outcome"] = .string(outcome)
            facts["error"] = .string(reason)
            facts["next"] = .string(repairable && answer != nil ? "repair" : next)
        }
        try record("generate", facts)
        if let draft, let answer { return .draft(draft, answer: answer.text) }
        return .failed(reason: "\(outcome): \(reason)", answer: answer?.text, problems: problems)
    }

    /// Stores content for the audit; failing to keep it fails the event like a failed record.
    func store(_ bytes: [UInt8]) throws -> String {
        do {
            return try stages.content.put(bytes)
        } catch {
            throw Failure(.auditUnavailable, "content store: \(error)", retryable: true)
        }
    }

    /// The tokens of a call and their cost in USD (a decimal string) from the price table, or a
    /// `price_unknown` note naming the model when the table has no price for it.
    func costFacts(_ usage: TokenUsage, writer: String, servedBy: String?) -> [String: JSONValue] {
        var facts: [String: JSONValue] = [
            "input_tokens": .int(usage.input), "cached_input_tokens": .int(usage.cachedInput),
            "cache_write_tokens": .int(usage.cacheWrite), "output_tokens": .int(usage.output),
        ]
        if let (id, price) = configuration.models.price(for: [servedBy, writer].compactMap { $0 }) {
            facts["cost_usd"] = .string("\(price.cost(of: usage))")
            facts["priced_as"] = .string(id)
        } else {
            facts["price_unknown"] = .string(servedBy ?? writer)
        }
        return facts
    }

    /// The request a writer that sends nothing saw (and what the audit keeps when a model reports
    /// no exchange): the prompt's system and user text and schema, and the repair note, as
    /// canonical JSON.
    static func requestDocument(_ request: DraftRequest) -> [UInt8] {
        var document: [String: JSONValue] = [
            "prompt": .string(request.prompt.reference), "system": .string(request.prompt.system),
            "user": .string(request.prompt.user), "schema": request.prompt.outputSchema,
        ]
        if let repair = request.repair {
            document["repair"] = .object([
                "previous_answer": .string(repair.previousAnswer),
                "problems": .array(repair.problems.map(JSONValue.string)),
            ])
        }
        return CanonicalJSON.bytes(.object(document))
    }

    /// The validator's findings as the content store keeps them: each finding and the score.
    static func findingsDocument(_ findings: Findings) -> [UInt8] {
        CanonicalJSON.bytes(
            .object([
                "score": .int(findings.score),
                "findings": .array(
                    findings.items.map {
                        .object([
                            "rule": .string($0.rule), "severity": .string($0.severity.rawValue),
                            "field": .string($0.field), "message": .string($0.message),
                        ])
                    }),
            ]))
    }

    /// One line per finding, as the validate record and a repair note quote them.
    static func problemLines(_ findings: Findings) -> [String] {
        findings.items.map { "\($0.severity.rawValue) \($0.rule) at \($0.field): \($0.message)" }
    }

    func validationFacts(_ validated: Validated, decision: Decision, step: String) -> [String: JSONValue] {
        [
            "step": .string(step), "writer": .string(validated.writer), "turn": .string(validated.turn.rawValue),
            "score": .int(validated.findings.score), "decision": .string(decision.name),
            "findings": .array(Self.problemLines(validated.findings).map(JSONValue.string)),
            ContentReference.findings.rawValue: .string(validated.findingsAddress),
        ]
    }
}

/// Which turn of a writer a draft came from: the first, or the one repair turn a model gets.
enum DraftTurn: String, Sendable {
    case first
    case repair
}

/// What one turn of a writer gave: a decoded draft (and the answer text, for a repair note), or
/// why not (the answer when one came, and the problems to quote back).
enum Written: Sendable {
    case draft(Draft, answer: String)
    case failed(reason: String, answer: String?, problems: [String])
}

/// A decoded draft with what the validator and the router made of it.
struct Validated: Sendable {
    var draft: Draft
    var writer: String
    var turn: DraftTurn
    var findings: Findings
    var decision: Decision
    var findingsAddress: String
}
