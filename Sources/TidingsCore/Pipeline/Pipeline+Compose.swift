import Foundation

/// A message after prompt, generation, validation, routing and rendering, before it leaves.
struct PreparedMessage: Sendable {
    var message: PlannedMessage
    var draft: Draft
    var rendered: RenderedEmail
    var decision: Decision
    var score: Int
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
            composed.append(try await handOver(message))
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
        func decide(_ findings: Findings) -> Decision { router.decide(findings: findings, for: message) }
        var (draft, writer) = try await generate(prompt, using: stages.model, link: message.callToActionURL)
        var findings = validator.validate(draft, facts: message.checks)
        var decision = decide(findings)
        // A rejected draft is rewritten by the next writer: the offline copywriter after a model,
        // then for a transactional message the fixed notice (docs/decisions/transactional-fallback.md).
        var fallbacks: [any LanguageModel] = writer == pipeline.fallbackWriter.name ? [] : [pipeline.fallbackWriter]
        if message.isTransactional { fallbacks.append(TransactionalNotice()) }
        for next in fallbacks {
            guard case .reject = decision else { break }
            try record("validate", validationFacts(findings, decision: decision, writer: writer, step: message.step))
            (draft, writer) = try await generate(prompt, using: next, link: message.callToActionURL)
            findings = validator.validate(draft, facts: message.checks)
            decision = decide(findings)
        }
        // A transactional message is never dropped: if no writer could pass, a person decides.
        decision = router.holdingTransactional(decision, for: message)
        try record("validate", validationFacts(findings, decision: decision, writer: writer, step: message.step))
        if case .reject(let reasons) = decision {
            throw Failure(.draftRejected, reasons.joined(separator: "; "), retryable: false)
        }

        // Render.
        let subject = draft.subjects[0]
        var products: [String: Product] = [:]
        for id in draft.productPicks + draft.blocks.compactMap(\.productID) {
            products[id] = message.checks.catalog[id]
        }
        let rendered: RenderedEmail
        do {
            rendered = try pipeline.renderer.render(
                RenderRequest(
                    draft: draft, subject: subject, brand: configuration.brand, recipient: message.recipient,
                    customerID: message.customerID, products: products, eventID: eventID, flow: pipeline.flow.kind,
                    prompt: prompt.reference, now: now, sendAt: message.sendAt, step: message.step,
                    seriesKey: message.seriesKey, prices: message.checks.linePrices, currency: message.checks.currency))
        } catch {
            throw Failure(.renderFailed, "\(error)", retryable: false)
        }
        let renderFindings = validator.validateRendered(rendered)
        if !renderFindings.isEmpty {
            throw Failure(
                .renderFailed, renderFindings.map(\.message).joined(separator: "; "), retryable: false)
        }
        try record(
            "render",
            stepFacts.merging([
                "message_id": .string(rendered.messageID), "subject": .string(subject),
                "send_at": .string(Timestamp.format(message.sendAt)),
            ]) { $1 })

        return PreparedMessage(
            message: message, draft: draft, rendered: rendered, decision: decision, score: findings.score)
    }

    /// The second part: hands a prepared message to the email service, or to the review queue.
    func handOver(_ prepared: PreparedMessage) async throws -> ComposedMessage {
        let message = prepared.message
        let stepFacts: [String: JSONValue] = ["step": .string(message.step)]
        let (draft, rendered, subject) = (prepared.draft, prepared.rendered, prepared.rendered.subject)
        switch prepared.decision {
        case .send:
            let receipt: DeliveryReceipt
            do {
                receipt = try await stages.email.deliver(rendered)
            } catch let error as DeliveryError {
                throw Failure(.deliveryFailed, "\(error)", retryable: error.isRetryable)
            }
            // The recipient appears in the audit only here, where the hand-over needs it. The email
            // is out: a failed audit write is logged, never turned into a retry that sends again.
            try? record(
                "deliver",
                stepFacts.merging([
                    "service": .string(receipt.service), "reference": .string(receipt.reference),
                    "to": .string(message.recipient.address),
                ]) { $1 })
            return ComposedMessage(
                step: message.step, outcome: .sent, subject: subject, reference: receipt.reference, reviewReasons: [],
                sendAt: message.sendAt, dedupeKeys: message.rememberedKeys)
        case .review(let reasons):
            let reference: String
            do {
                reference = try await stages.review.enqueue(
                    ReviewItem(
                        eventID: eventID, flow: pipeline.flow.kind, reasons: reasons, score: prepared.score,
                        draft: draft, email: rendered, step: message.seriesKey == nil ? nil : message.step,
                        seriesKey: message.seriesKey))
            } catch {
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

    /// Asks a writer for a draft; a model that fails or answers off-schema falls back to the
    /// offline copywriter, and the audit says so.
    func generate(_ prompt: Prompt, using model: any LanguageModel, link: String) async throws -> (Draft, String) {
        do {
            let text = try await model.respond(to: DraftRequest(prompt: prompt)).text
            let draft = try DraftDecoder.decode(text).resolvingCheckoutLink(link)
            try record(
                "generate",
                [
                    "writer": .string(model.name), "subjects": .int(draft.subjects.count),
                    "blocks": .int(draft.blocks.count),
                ])
            return (draft, model.name)
        } catch let failure as Failure {
            throw failure
        } catch {
            guard model.name != pipeline.fallbackWriter.name else {
                throw Failure(.generationFailed, "\(error)", retryable: false)
            }
            try record(
                "generate",
                [
                    "writer": .string(model.name), "error": .string("\(error)"),
                    "fallback": .string(pipeline.fallbackWriter.name),
                ])
            return try await generate(prompt, using: pipeline.fallbackWriter, link: link)
        }
    }

    func validationFacts(_ findings: Findings, decision: Decision, writer: String, step: String) -> [String: JSONValue]
    {
        [
            "step": .string(step), "writer": .string(writer), "score": .int(findings.score),
            "decision": .string(decision.name),
            "findings": .array(
                findings.items.map { .string("\($0.severity.rawValue) \($0.rule) at \($0.field): \($0.message)") }),
        ]
    }
}
