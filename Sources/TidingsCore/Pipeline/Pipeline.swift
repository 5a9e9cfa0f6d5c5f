import Crypto
import Foundation
import Logging

/// One flow's pipeline: bytes in, exactly one terminal outcome out. Never throws: every failure
/// becomes an outcome (rejected_input, failed with retryability) and an audit record.
public struct Pipeline: Sendable {
    /// The use case this pipeline handles.
    public let flow: Flow
    /// The configuration it was built with.
    public let configuration: Configuration
    /// The boundaries it talks to. Variable so that an invocation can bind its model to its
    /// deadline (`DeadlineBoundModel`) without rebuilding the pipeline.
    public var stages: PipelineStages
    let decoder: EventDecoder
    let renderer: EmailRenderer
    let prompts = PromptLibrary()
    let fallbackWriter = OfflineCopywriter()

    /// Builds the pipeline. Throws `ConfigurationError` when a stage cannot be set up.
    public init(flow: Flow, configuration: Configuration, stages: PipelineStages) throws(ConfigurationError) {
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
    public func handle(_ delivery: Delivery, correlationID: String, logger: Logger) async -> OutcomeReport {
        var run = Run(
            pipeline: self, eventID: EventDecoder.fallbackEventID(for: delivery.body), correlationID: correlationID,
            now: stages.clock.now, logger: logger)
        do {
            return try await run.execute(delivery)
        } catch let failure as Failure {
            return run.finish(failure.report(function: flow.kind.rawValue, eventID: run.eventID), facts: failure.facts)
        } catch {
            return run.finish(
                OutcomeReport(
                    function: flow.kind.rawValue, eventID: run.eventID, outcome: .failed,
                    reason: "internal_error: \(error)", retryable: true))
        }
    }
}

/// A failure that ends the event with `failed`.
struct Failure: Error {
    var reason: String
    var retryable: Bool
    var facts: [String: JSONValue] = [:]

    func report(function: String, eventID: String) -> OutcomeReport {
        OutcomeReport(function: function, eventID: eventID, outcome: .failed, reason: reason, retryable: retryable)
    }
}

/// The state of one event going through the pipeline.
struct Run {
    let pipeline: Pipeline
    var eventID: String
    let correlationID: String
    let now: Date
    var logger: Logger

    var function: String { pipeline.flow.kind.rawValue }
    var stages: PipelineStages { pipeline.stages }
    var configuration: Configuration { pipeline.configuration }

    func record(_ stage: String, _ facts: [String: JSONValue]) throws {
        do {
            try stages.audit.append(
                AuditEntry(
                    time: now, eventID: eventID, correlationID: correlationID, function: function, stage: stage,
                    facts: facts))
        } catch {
            throw Failure(reason: "audit_unavailable: \(error)", retryable: true)
        }
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
                reason: "audit_unavailable: \(error) (outcome was \(report.outcome.rawValue))", retryable: true)
        }
        var metadata: Logger.Metadata = ["event.id": "\(eventID)", "outcome": "\(report.outcome.rawValue)"]
        if let reason = report.reason { metadata["reason"] = "\(reason)" }
        logger.info("event handled", metadata: metadata)
        return report
    }

    func report(
        _ outcome: Outcome, reason: String? = nil, retryable: Bool? = nil, subject: String? = nil,
        messages: [String]? = nil
    ) -> OutcomeReport {
        OutcomeReport(
            function: function, eventID: eventID, outcome: outcome, reason: reason, retryable: retryable,
            subject: subject,
            messages: messages)
    }

    mutating func execute(_ delivery: Delivery) async throws -> OutcomeReport {
        // Normalize.
        let event: LifecycleEvent
        do {
            event = try pipeline.decoder.decode(delivery)
            guard event.flow == pipeline.flow.kind else {
                throw InputError(
                    .unsupportedTopic, path: "$", reason: "a \(event.flow.rawValue) event sent to \(function)")
            }
        } catch let error as InputError {
            return try rejectInput(delivery, error)
        }
        eventID = event.id
        logger[metadataKey: "event.id"] = "\(event.id)"
        try record(
            "normalize",
            [
                "platform": .string(event.source.platform.rawValue), "topic": .string(event.source.topic),
                "shop": .string(event.shop), "cart_id": .string(event.cart.cartID),
                "customer_id": event.customer.id.map(JSONValue.string) ?? .null,
                "occurred_at": .string(ISO8601.format(event.occurredAt)),
            ])

        // Guards that need only the event.
        let settings = pipeline.flow.settings
        let lookback = now.addingTimeInterval(-(settings.window + settings.delay + 86_400))
        let cartKey = Self.cartKey(event)
        let handled: Bool
        let cartHandled: Bool
        do {
            handled = try stages.audit.hasFinalOutcome(eventID: event.id, since: lookback)
            cartHandled =
                try !handled
                && stages.audit.hasFinalOutcome(forKey: cartKey, since: now.addingTimeInterval(-settings.window))
        } catch {
            throw Failure(reason: "audit_unavailable: \(error)", retryable: true)
        }
        let guards = Guards(settings: settings)
        if let verdict = guards.checkEvent(event, now: now, alreadyHandled: handled, cartAlreadyHandled: cartHandled) {
            return try stop(verdict)
        }

        // Enrich.
        guard let platform = stages.platform(for: event.source.platform) else {
            throw Failure(
                reason: "no_platform: no commerce platform is configured for \(event.source.platform.rawValue)",
                retryable: false)
        }
        let catalog: Catalog
        var cart: Cart
        var customerReference = event.customer
        let customerRecord: CustomerRecord?
        let orders: [OrderRecord]
        do {
            catalog = try await platform.catalog()
            switch event.cart {
            case .complete(let complete): cart = complete
            case .reference(let cartID):
                guard let found = try await platform.cart(id: cartID) else {
                    return try stop(
                        GuardVerdict(
                            .alreadyConverted, "cart \(cartID) no longer exists on the platform (converted or deleted)")
                    )
                }
                cart = found.cart
                customerReference.id = found.customerID
                if let verdict = guards.checkTiming(abandonedAt: cart.abandonedAt, now: now) {
                    return try stop(verdict)
                }
            }
            customerRecord = try await customerReference.id.asyncFlatMap { try await platform.customer(id: $0) }
            orders = try await customerReference.id.asyncFlatMap { try await platform.orders(customerID: $0) } ?? []
        } catch let error as PlatformError {
            throw Failure(reason: "platform_unavailable: \(error)", retryable: error.isRetryable)
        }
        for index in cart.items.indices where cart.items[index].category == nil {
            cart.items[index].category = catalog[cart.items[index].productID]?.category
        }
        let profile = ProfileBuilder().build(
            reference: customerReference, record: customerRecord, orders: orders, catalog: catalog,
            currency: cart.currency)
        try record(
            "enrich",
            [
                "customer_id": profile.customerID.map(JSONValue.string) ?? .null, "tier": .string(profile.tier),
                "order_count": .int(profile.orderCount), "total_spent": .string(profile.totalSpent.plainAmount),
                "consent": .string(profile.consent.rawValue), "guest": .bool(customerReference.id == nil),
                "top_categories": .array(profile.topCategories.map(JSONValue.string)),
            ])
        if let verdict = guards.checkCustomer(profile, cart: cart) {
            return try stop(verdict)
        }
        // Items that sold out since are not featured; a cart with nothing left is not written to.
        let soldOut = cart.items.filter { catalog[$0.productID]?.isInStock != true }
        if soldOut.count == cart.items.count {
            return try stop(GuardVerdict(.cartUnavailable, "nothing in cart \(cart.id) is in stock any more"))
        }
        var offered = cart
        offered.items.removeAll { soldOut.contains($0) }

        // Insights and offer.
        let signals = AbandonmentAnalyst().hypotheses(cart: cart, profile: profile)
        let insights = Insights(
            hypothesis: signals[0], signals: signals,
            recommendations: Recommender().recommend(for: cart, profile: profile, catalog: catalog))
        let offer = OfferPolicy(policy: configuration.policy).offer(
            hypothesis: insights.hypothesis, profile: profile, cart: cart, eventID: event.id, now: now)
        var insightFacts: [String: JSONValue] = [:]
        insightFacts["hypothesis"] = .string(insights.hypothesis.kind.rawValue)
        insightFacts["evidence"] = .array(insights.hypothesis.evidence.map(JSONValue.string))
        insightFacts["other_signals"] = .array(signals.dropFirst().map { JSONValue.string($0.kind.rawValue) })
        insightFacts["recommendations"] = .array(insights.recommendations.map { JSONValue.string($0.product.id) })
        if let offer { insightFacts["offer"] = .string("\(offer.kind.rawValue) \(offer.percent)% \(offer.code)") }
        try record("insights", insightFacts)

        // Prompt and generation.
        let validator = DraftValidator(policy: configuration.policy, brand: configuration.brand)
        let checkoutURL =
            cart.recoveryURL.flatMap { validator.isAllowedLink($0) ? $0 : nil }
            ?? configuration.brand.storefrontURL + "/cart"
        let context = PromptContext(
            eventID: event.id, flow: pipeline.flow.kind, brand: configuration.brand, profile: profile, cart: offered,
            insights: insights, offer: offer, soldOut: soldOut, subjectMaxLength: configuration.policy.subjectMaxLength,
            now: now)
        let prompt: Prompt
        do {
            prompt = try pipeline.prompts.prompt(pipeline.flow.promptID, context: context)
        } catch {
            throw Failure(reason: "prompt_unavailable: \(error)", retryable: false)
        }
        try record("prompt", ["template": .string(prompt.reference), "context_bytes": .int(prompt.user.utf8.count)])

        let facts = DraftValidator.Facts(
            catalog: catalog, offer: offer, tier: profile.tier, firstName: profile.firstName,
            personalData: [
                profile.email, profile.lastName, customerRecord?.email, customerRecord?.lastName, event.customer.email,
                event.customer.lastName,
            ].compactMap { $0 },
            cartTitles: offered.items.map(\.title))
        var (draft, writer) = try await generate(prompt, using: stages.model, checkoutURL: checkoutURL)
        var findings = validator.validate(draft, facts: facts)
        var decision = Router(rules: configuration.review).decide(findings: findings, tier: profile.tier, offer: offer)
        if case .reject = decision, writer != pipeline.fallbackWriter.name {
            try record("validate", validationFacts(findings, decision: decision, writer: writer))
            (draft, writer) = try await generate(prompt, using: pipeline.fallbackWriter, checkoutURL: checkoutURL)
            findings = validator.validate(draft, facts: facts)
            decision = Router(rules: configuration.review).decide(findings: findings, tier: profile.tier, offer: offer)
        }
        try record("validate", validationFacts(findings, decision: decision, writer: writer))
        if case .reject(let reasons) = decision {
            throw Failure(reason: "draft_rejected: \(reasons.joined(separator: "; "))", retryable: false)
        }

        // Render.
        guard let email = profile.email else {
            return try stop(GuardVerdict(.noRecipient, "no email address to write to"))
        }
        // A guest has no platform id; a hash of their address keys the unsubscribe link instead.
        let customerID = profile.customerID ?? Self.guestKey(email: email)
        let subject = draft.subjects[0]
        // The planned send time, not "now": a retry of the same event renders the same Message-ID
        // and outbox file, so a repeated hand-over replaces instead of duplicating.
        let sendAt = cart.abandonedAt.addingTimeInterval(settings.delay)
        var products: [String: Product] = [:]
        for id in draft.productPicks + draft.blocks.compactMap(\.productID) { products[id] = catalog[id] }
        let rendered: RenderedEmail
        do {
            rendered = try pipeline.renderer.render(
                RenderRequest(
                    draft: draft, subject: subject, brand: configuration.brand,
                    recipient: Mailbox(name: profile.firstName, address: email), customerID: customerID,
                    products: products, eventID: event.id, flow: pipeline.flow.kind, prompt: prompt.reference, now: now,
                    sendAt: sendAt))
        } catch {
            throw Failure(reason: "render_failed: \(error)", retryable: false)
        }
        let renderFindings = validator.validateRendered(rendered)
        if !renderFindings.isEmpty {
            throw Failure(
                reason: "render_failed: \(renderFindings.map(\.message).joined(separator: "; "))", retryable: false)
        }
        try record("render", ["message_id": .string(rendered.messageID), "subject": .string(subject)])

        // Route and deliver.
        switch decision {
        case .send:
            let receipt: DeliveryReceipt
            do {
                receipt = try await stages.email.deliver(rendered)
            } catch let error as DeliveryError {
                throw Failure(reason: "delivery_failed: \(error)", retryable: error.isRetryable)
            }
            // The recipient appears in the audit only here, where the hand-over needs it. The email
            // is out: a failed audit write is logged, never turned into a retry that sends again.
            try? record(
                "deliver",
                ["service": .string(receipt.service), "reference": .string(receipt.reference), "to": .string(email)])
            return finish(
                report(.sent, subject: subject, messages: [receipt.reference]),
                facts: [AuditEntry.dedupeKeysFact: [.string(Self.cartKey(event))]], delivered: true)
        case .review(let reasons):
            let reference: String
            do {
                reference = try await stages.review.enqueue(
                    ReviewItem(
                        eventID: event.id, flow: pipeline.flow.kind, reasons: reasons, score: findings.score,
                        draft: draft, email: rendered))
            } catch {
                throw Failure(reason: "review_queue_failed: \(error)", retryable: true)
            }
            try? record("review", ["reference": .string(reference), "reasons": .array(reasons.map(JSONValue.string))])
            return finish(
                report(
                    .queuedForReview, reason: "review: \(reasons.joined(separator: "; "))", subject: subject,
                    messages: [reference]),
                facts: [AuditEntry.dedupeKeysFact: [.string(Self.cartKey(event))]], delivered: true)
        case .reject:
            throw Failure(reason: "draft_rejected", retryable: false)
        }
    }

    /// Asks a writer for a draft; a model that fails or answers off-schema falls back to the
    /// offline copywriter, and the audit says so.
    func generate(_ prompt: Prompt, using model: any LanguageModel, checkoutURL: String) async throws -> (Draft, String)
    {
        do {
            let text = try await model.complete(prompt)
            let draft = try DraftDecoder.decode(text).resolvingCheckoutLink(checkoutURL)
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
                throw Failure(reason: "generation_failed: \(error)", retryable: false)
            }
            try record(
                "generate",
                [
                    "writer": .string(model.name), "error": .string("\(error)"),
                    "fallback": .string(pipeline.fallbackWriter.name),
                ])
            return try await generate(prompt, using: pipeline.fallbackWriter, checkoutURL: checkoutURL)
        }
    }

    func validationFacts(_ findings: Findings, decision: Decision, writer: String) -> [String: JSONValue] {
        [
            "writer": .string(writer), "score": .int(findings.score), "decision": .string(decision.name),
            "findings": .array(
                findings.items.map { .string("\($0.severity.rawValue) \($0.rule) at \($0.field): \($0.message)") }),
        ]
    }

    /// A guest's stable unsubscribe identity: a hash of the address, so every later email to the
    /// same person carries a link that reaches the same suppression, without the address itself.
    static func guestKey(email: String) -> String {
        let digest = SHA256.hash(data: Array(email.lowercased().utf8))
        return "guest:" + digest.prefix(16).map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }

    /// The key one cart's email is remembered under, whatever event carried it.
    static func cartKey(_ event: LifecycleEvent) -> String {
        "\(event.flow.rawValue):\(event.source.platform.rawValue):cart:\(event.cart.cartID)"
    }

    func stop(_ verdict: GuardVerdict) throws -> OutcomeReport {
        try record("guards", ["verdict": .string(verdict.code.rawValue)])
        if verdict.code == .duplicate {
            return finish(report(.duplicate, reason: verdict.reason))
        }
        return finish(report(.suppressed, reason: verdict.reason, retryable: verdict.isRetryable ? true : nil))
    }

    func rejectInput(_ delivery: Delivery, _ error: InputError) throws -> OutcomeReport {
        var facts: [String: JSONValue] = ["code": .string(error.code.rawValue), "path": .string(error.path)]
        do {
            let kept = try stages.deadLetters.keep(
                delivery.body, eventID: eventID, function: function, reason: error.description, at: now)
            facts["dead_letter"] = .string(kept)
        } catch {
            // Losing the event would be worse than failing: ask for a retry so the platform keeps it.
            throw Failure(reason: "dead_letter_unavailable: \(error)", retryable: true, facts: facts)
        }
        return finish(report(.rejectedInput, reason: error.description), facts: facts)
    }
}

extension Optional {
    func asyncFlatMap<T>(_ transform: (Wrapped) async throws -> T?) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
