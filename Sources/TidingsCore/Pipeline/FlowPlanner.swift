import Foundation

/// A flow's own part of the pipeline. The shared front (decode, the duplicate-event guard) runs
/// before it and the shared back half (prompt, generate, validate, route, render, deliver) runs for
/// each message it plans, through `FlowContext.compose`. Everything between (the flow's guards,
/// enrichment, insights, offer and the plan of messages) is the planner's.
public protocol FlowPlanner: Sendable {
    /// Decides what to write for one event, composes it and says how the event ended. Throws only
    /// `Failure`s (through the context's helpers) and platform errors mapped by the context.
    func plan(_ event: LifecycleEvent, in context: FlowContext) async throws -> FlowResult
}

/// How a planner ended an event; the pipeline turns it into the one terminal outcome.
public enum FlowResult: Sendable {
    /// A guard stopped the event: suppressed (or duplicate) with its reason.
    case stop(GuardVerdict)
    /// The messages the flow composed, at least one.
    case messages([ComposedMessage])
    /// A scan that wrote to many customers, each as its own child event: the scan's terminal
    /// outcome with its counts as facts (not one line per message).
    case scanned(outcome: Outcome, reason: String, facts: [String: JSONValue])
}

/// One message a flow wants written: what it is, who it goes to, when, and the facts that the
/// writer, the validator and the router need.
public struct PlannedMessage: Sendable {
    /// The message's place in its flow ("cart_recovery", "thank_you", "review_request"); it goes into
    /// the X-Tidings-Step header and keeps Message-IDs of one event's messages apart.
    public var step: String
    /// The prompt template in `PromptLibrary`.
    public var promptID: String
    /// The PII-free facts the writer gets.
    public var context: PromptContext
    /// When the message should go out; a retry of the event renders the same Message-ID from it.
    public var sendAt: Date
    /// The mailbox, used only for the To header.
    public var recipient: Mailbox
    /// The platform customer id (or a guest key) that the unsubscribe link names.
    public var customerID: String
    /// The real link that replaces `PromptContext.checkoutPlaceholder` after generation.
    public var callToActionURL: String
    /// What the validator checks the draft against.
    public var checks: DraftValidator.Facts
    /// The customer's tier and the granted offer, for the router.
    public var tier: String
    /// The offer the draft may state; nil means none.
    public var offer: Offer?
    /// A reason this message goes to a human whatever the score (a sensitive moment); nil when the
    /// review rules alone decide.
    public var reviewReason: String?
    /// Transactional messages (an order's thank-you, a payment note) need no marketing consent.
    public var isTransactional: Bool
    /// Keys remembered in the terminal record so that later events can see this was handled
    /// (one email per cart, a series per order).
    public var dedupeKeys: [String]
    /// A key shared by the messages of one series, written to X-Tidings-Series, so that a later
    /// event can stop the ones not sent yet; nil for a single message.
    public var seriesKey: String?

    /// Creates a planned message; see the properties for what each part means.
    public init(
        step: String, promptID: String, context: PromptContext, sendAt: Date, recipient: Mailbox, customerID: String,
        callToActionURL: String, checks: DraftValidator.Facts, tier: String, offer: Offer?,
        reviewReason: String? = nil, isTransactional: Bool = false, dedupeKeys: [String] = [],
        seriesKey: String? = nil
    ) {
        self.step = step
        self.promptID = promptID
        self.context = context
        self.sendAt = sendAt
        self.recipient = recipient
        self.customerID = customerID
        self.callToActionURL = callToActionURL
        self.checks = checks
        self.tier = tier
        self.offer = offer
        self.reviewReason = reviewReason
        self.isTransactional = isTransactional
        self.dedupeKeys = dedupeKeys
        self.seriesKey = seriesKey
    }
}

/// What became of one planned message.
public struct ComposedMessage: Sendable, Hashable {
    /// The planned message's step.
    public var step: String
    /// `.sent` (handed to the email service, possibly for a later send time) or `.queuedForReview`.
    public var outcome: Outcome
    /// The chosen subject line.
    public var subject: String
    /// The outbox file, ESP reference or review item.
    public var reference: String
    /// Why a human reads it first; empty when sent.
    public var reviewReasons: [String]
    /// When it goes out.
    public var sendAt: Date
    /// Keys the terminal record remembers.
    public var dedupeKeys: [String]
}

/// What a planner may use: the event's platform, the configuration, the run's clock and audit, and
/// the shared back half. One per event; safe to share between concurrent tasks.
public struct FlowContext: Sendable {
    let run: Run

    /// The configuration the pipeline was built with.
    public var configuration: Configuration { run.configuration }
    /// The flow's timing and consent settings.
    public var settings: FlowSettings { run.pipeline.flow.settings }
    /// "Now" for every decision about this event.
    public var now: Date { run.now }
    /// The audit trail, for history questions (was this order's series planned, was this customer
    /// written to recently).
    public var audit: any AuditLog { run.stages.audit }
    /// The flow this event is handled by.
    public var flow: FlowKind { run.pipeline.flow.kind }

    /// The platform that knows the event's customer. Throws a non-retryable failure when none is
    /// configured for the event's source.
    public func platform(for event: LifecycleEvent) throws -> any CommercePlatform {
        guard let platform = run.stages.platform(for: event.source.platform) else {
            throw Failure(
                reason: "no_platform: no commerce platform is configured for \(event.source.platform.rawValue)",
                retryable: false)
        }
        return platform
    }

    /// Runs platform calls, turning a `PlatformError` into the event's failure (retryable when the
    /// platform said so).
    public func fromPlatform<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PlatformError {
            throw Failure(reason: "platform_unavailable: \(error)", retryable: error.isRetryable)
        }
    }

    /// Writes one stage record for this event.
    public func record(_ stage: String, _ facts: [String: JSONValue]) throws {
        try run.record(stage, facts)
    }

    /// Whether a final outcome remembered `key` since `since` (one email per cart, one series per order).
    public func hasFinalOutcome(forKey key: String, since: Date) throws -> Bool {
        do {
            return try run.stages.audit.hasFinalOutcome(forKey: key, since: since)
        } catch {
            throw Failure(reason: "audit_unavailable: \(error)", retryable: true)
        }
    }

    /// The customer's record, orders and profile from the platform, and the catalog; writes the
    /// `enrich` record.
    public func enrich(
        _ reference: CustomerReference, platform: any CommercePlatform, currency: String
    ) async throws -> Enrichment {
        let (catalog, customerRecord, orders) = try await fromPlatform {
            let catalog = try await platform.catalog()
            let record = try await reference.id.asyncFlatMap { try await platform.customer(id: $0) }
            let orders = try await reference.id.asyncFlatMap { try await platform.orders(customerID: $0) } ?? []
            return (catalog, record, orders)
        }
        let profile = ProfileBuilder().build(
            reference: reference, record: customerRecord, orders: orders, catalog: catalog, currency: currency)
        try record(
            "enrich",
            [
                "customer_id": profile.customerID.map(JSONValue.string) ?? .null, "tier": .string(profile.tier),
                "order_count": .int(profile.orderCount), "total_spent": .string(profile.totalSpent.plainAmount),
                "consent": .string(profile.consent.rawValue), "guest": .bool(reference.id == nil),
                "top_categories": .array(profile.topCategories.map(JSONValue.string)),
            ])
        return Enrichment(catalog: catalog, record: customerRecord, profile: profile)
    }

    /// The shared back half for one message: prompt, generate (with the offline copywriter as the
    /// fallback), validate, route, render and deliver or queue for review.
    public func compose(_ message: PlannedMessage) async throws -> ComposedMessage {
        try await run.compose(message)
    }

    /// The back half for a series: all messages are written and checked before any is handed
    /// over; a marketing message that cannot be written is dropped, a transactional one fails the
    /// event. Returns the composed messages in order (at least the transactional ones).
    public func compose(series messages: [PlannedMessage]) async throws -> [ComposedMessage] {
        try await run.composeSeries(messages)
    }

    /// Stops a series: its messages that are not due yet (see `EmailService.cancelScheduled`) and
    /// its items waiting for a person (`ReviewQueue.withdraw`); writes the `series` record. A
    /// service that cannot say fails the event, retryably when it says so.
    public func cancelScheduled(series: String) async throws -> [String] {
        let stopped: [String]
        let withdrawn: [String]
        do {
            stopped = try await run.stages.email.cancelScheduled(series: series, after: now)
            withdrawn = try await run.stages.review.withdraw(series: series)
        } catch let error as DeliveryError {
            throw Failure(reason: "series_cancel_failed: \(error)", retryable: error.isRetryable)
        }
        try record(
            "series",
            [
                "series": .string(series), "stopped": .array(stopped.map(JSONValue.string)),
                "withdrawn": .array(withdrawn.map(JSONValue.string)),
            ])
        return stopped + withdrawn
    }

    /// The key every marketing message to a customer leaves in the audit (any flow), so that a
    /// quiet period ("not emailed recently") counts them all. The customer id is the platform's
    /// (or a guest's address hash); ids of two platforms are assumed not to collide.
    public static func marketingKey(customerID: String) -> String { "marketing:customer:\(customerID)" }

    /// The personal values a draft must never contain, for `DraftValidator.Facts.personalData`.
    public static func personalData(_ enrichment: Enrichment, event: LifecycleEvent) -> [String] {
        [
            enrichment.profile.email, enrichment.profile.lastName, enrichment.record?.email,
            enrichment.record?.lastName, event.customer.email, event.customer.lastName,
        ].compactMap { $0 }
    }
}

/// What enrichment learned about the event's customer.
public struct Enrichment: Sendable {
    /// The shop's catalog with its co-purchase index.
    public var catalog: Catalog
    /// The platform's customer record; nil for a guest or an unknown customer.
    public var record: CustomerRecord?
    /// The customer's profile built from the record and the orders.
    public var profile: CustomerProfile
}
