import Foundation

/// A flow's own part of the pipeline, as pure decisions. A planner never reads the audit, the
/// platform, the clock or a file and never writes anything: it says what it needs to know, and
/// given those facts it returns what should happen. `Pipeline`'s `Run.execute` asks it four times,
/// in this order, and performs everything in between (docs/decisions/flow-planner.md):
///
/// 1. `needs`: which remembered keys to look up in the audit and which tombstones in the state
///    store, and which tombstone to write and series to stop before any guard decides (a
///    cancellation marks its order, then stops the unsent series, whatever happens next).
/// 2. `precheck`: guards on the event and the looked-up keys, before the platform is asked.
/// 3. `screen`: guards on the resolved subject (a thin payload's cart or order, read from the
///    platform), and what to enrich.
/// 4. `plan`: with the enrichment, the insights to record and what to do.
///
/// A planner may throw `Failure` for an event it cannot plan at all (a subject of another flow).
package protocol FlowPlanner: Sendable {
    /// What to look up before any guard runs.
    func needs(_ event: LifecycleEvent, facts: FlowFacts) -> FlowNeeds
    /// Guards that need only the event and the remembered keys; nil to go on.
    func precheck(_ event: LifecycleEvent, facts: FlowFacts) -> GuardVerdict?
    /// Guards on the resolved subject, and what enrichment to read when they pass.
    func screen(_ event: LifecycleEvent, facts: FlowFacts) throws -> Screening
    /// The insights to record and what to do, from everything the facts now hold.
    func plan(_ event: LifecycleEvent, facts: FlowFacts) throws -> FlowPlan
}

/// A remembered key to ask the audit about: did a final outcome list it since `since`?
package struct RememberedKey: Sendable, Hashable {
    /// The dedupe key ("cartAbandoned:shopify:cart:42", "marketing:customer:7").
    package var key: String
    /// The earliest terminal record that counts.
    package var since: Date

    /// A key and its lookback.
    package init(_ key: String, since: Date) {
        self.key = key
        self.since = since
    }
}

/// What a planner needs before its first guard.
package struct FlowNeeds: Sendable {
    /// Keys whose memory the guards read.
    package var remembered: [RememberedKey]
    /// Tombstones (`StateKey.orderCancelled`) the guards read from the state store
    /// (`FlowFacts.tombstones`).
    package var tombstones: [String]
    /// A tombstone written to the state store before the series is stopped (`tombstone` record):
    /// a cancellation marks its order first, so a create running at the same moment either finds
    /// the mark or handed its series over before it (docs/decisions/exactly-once.md, "The order race").
    package var writeTombstone: TombstoneWrite?
    /// A series whose unsent messages are stopped before any guard decides (`series` record).
    package var stopSeries: String?
    /// The subject only one event at a time may write about (a cart), claimed in the state store
    /// once the prechecks pass.
    package var subject: SubjectKey?

    /// Nothing to look up, nothing to stop.
    package static let nothing = FlowNeeds()

    /// Keys and tombstones to look up, a tombstone to write and a series to stop first, a subject
    /// to claim.
    package init(
        remembered: [RememberedKey] = [], tombstones: [String] = [], writeTombstone: TombstoneWrite? = nil,
        stopSeries: String? = nil, subject: SubjectKey? = nil
    ) {
        self.remembered = remembered
        self.tombstones = tombstones
        self.writeTombstone = writeTombstone
        self.stopSeries = stopSeries
        self.subject = subject
    }
}

/// A subject one event at a time may write about, across every process and instance: the audit's
/// memory of it (`RememberedKey`) answers events that come after, the claim answers events that
/// come at the same moment (docs/decisions/exactly-once.md).
package struct SubjectKey: Sendable {
    /// The dedupe key the terminal record lists ("cartAbandoned:shopify:cart:42").
    package var key: String
    /// How long, once an email about it went out, other events about it are stopped.
    package var memory: TimeInterval
    /// The verdict they stop with: the one the audit's memory would give.
    package var handledVerdict: GuardVerdict

    /// A subject, its memory and its verdict.
    package init(key: String, memory: TimeInterval, handledVerdict: GuardVerdict) {
        self.key = key
        self.memory = memory
        self.handledVerdict = handledVerdict
    }
}

/// A tombstone to write: its key, and how long the store keeps it.
package struct TombstoneWrite: Sendable, Hashable {
    /// `StateKey.orderCancelled(platform:orderID:)`.
    package var key: String
    /// Seconds of wall-clock time from the write until the store may forget it (like a claim's
    /// retention, never the pinned business clock: a replay of old events must not write a
    /// tombstone that is already expired).
    package var lifetime: TimeInterval

    /// A tombstone for `key`, kept `lifetime` seconds.
    package init(key: String, lifetime: TimeInterval) {
        self.key = key
        self.lifetime = lifetime
    }
}

/// A tombstone read again once a series is handed over: when it appeared meanwhile, the series'
/// messages not sent yet are withdrawn (`EmailService.cancelScheduled`, `ReviewQueue.withdraw`)
/// and the outcome says what was withdrawn.
package struct TombstoneRecheck: Sendable, Hashable {
    /// The tombstone to read (`StateKey.orderCancelled`).
    package var tombstone: String
    /// The series to withdraw (`X-Tidings-Series`).
    package var series: String
    /// The order the series is for, named in the outcome's reason.
    package var orderID: String

    /// A re-check of `tombstone` that withdraws `series` of `orderID`.
    package init(tombstone: String, series: String, orderID: String) {
        self.tombstone = tombstone
        self.series = series
        self.orderID = orderID
    }
}

/// The answer of `FlowPlanner.screen`: stop, or enrich this and go on to `plan`.
package enum Screening: Sendable {
    /// A guard on the resolved subject stopped the event.
    case stop(GuardVerdict)
    /// The guards passed; read this and plan.
    case enrich(EnrichmentNeeds)
}

/// What the pipeline reads for a planner between `screen` and `plan`.
package struct EnrichmentNeeds: Sendable {
    /// Which customer reading a flow needs.
    package enum Customer: Sendable {
        /// None (a scan reads its base itself).
        case none
        /// The catalog, the customer's record and orders, built into a `CustomerProfile`; the
        /// `enrich` record says what was learned. A guest's reference has no id: no record, no orders.
        case profile(CustomerReference, currency: String)
        /// The customer's record, orders and the catalog as the platform returns them (winBack's
        /// lifetime scores are computed from the raw history), with the stored lifetime parameters.
        case history(customerID: String)
    }

    /// The customer reading.
    package var customer: Customer
    /// Keys to look up once the subject is known (a customer's earlier cancellations).
    package var remembered: [RememberedKey]

    /// A reading and further keys.
    package init(_ customer: Customer, remembered: [RememberedKey] = []) {
        self.customer = customer
        self.remembered = remembered
    }
}

/// Everything a planner decides from: the run's instant and settings, and what the pipeline
/// looked up and read for it so far. A plain value: a test builds one by hand.
package struct FlowFacts: Sendable {
    /// "Now" for every decision about this event.
    package var now: Date
    /// The flow's timing and consent settings.
    package var settings: FlowSettings
    /// The configuration the pipeline was built with.
    package var configuration: Configuration
    /// The answers to the `RememberedKey`s asked for, by key.
    package var remembered: [String: Bool]
    /// The event's subject as the platform returned it, when the payload only referred to it:
    /// nil before it was read or when the payload was complete.
    package var resolved: ResolvedSubject?
    /// The customer's enrichment (`EnrichmentNeeds.Customer.profile`).
    package var enrichment: EnrichedCustomer?
    /// The customer's raw history and the stored lifetime parameters (`.history`).
    package var history: CustomerReading?
    /// The suppression entry for the event's own customer id or address, read before any guard;
    /// nil when neither is on the list. Marketing-only flows stop on it in `precheck`.
    package var suppression: SuppressionEntry?
    /// The tombstones found among those the planner asked for (`FlowNeeds.tombstones`), by key,
    /// with the time each was written; a key without one is absent.
    package var tombstones: [String: Date]

    /// Facts at `now` with nothing looked up yet.
    package init(
        now: Date, settings: FlowSettings, configuration: Configuration, remembered: [String: Bool] = [:],
        resolved: ResolvedSubject? = nil, enrichment: EnrichedCustomer? = nil, history: CustomerReading? = nil,
        suppression: SuppressionEntry? = nil, tombstones: [String: Date] = [:]
    ) {
        self.now = now
        self.settings = settings
        self.configuration = configuration
        self.remembered = remembered
        self.resolved = resolved
        self.enrichment = enrichment
        self.history = history
        self.suppression = suppression
        self.tombstones = tombstones
    }

    /// Whether a final outcome remembered `key` within the lookback the planner asked for. A key
    /// nobody asked about is not remembered (and trips an assertion in debug builds).
    package func remembers(_ key: String) -> Bool {
        assert(remembered[key] != nil, "\(key) was not among the keys the planner needed")
        return remembered[key] ?? false
    }

    /// The event's cart: the payload's, or the platform's for a thin payload; nil when the
    /// platform no longer has it.
    package func cart(of event: LifecycleEvent) -> (cart: Cart, customerID: String?)? {
        switch (event.cart, resolved) {
        case (.complete(let cart)?, _): return (cart, event.customer.id)
        case (.reference?, .cart(let found)?): return found
        default: return nil
        }
    }

    /// The event's order: the payload's, or the platform's for a thin payload; nil when the
    /// platform has no such order.
    package func order(of event: LifecycleEvent) -> PlacedOrder? {
        switch (event.order, resolved) {
        case (.complete(let order)?, _): return order
        case (.reference?, .order(let found)?): return found
        default: return nil
        }
    }
}

/// A thin payload's subject as the platform returned it; the inner nil means it is gone.
package enum ResolvedSubject: Sendable {
    /// `CommercePlatform.cart(id:)`.
    case cart((cart: Cart, customerID: String?)?)
    /// `CommercePlatform.order(id:)`.
    case order(PlacedOrder?)
}

/// A customer's history as the platform returns it, and the lifetime parameters to score it with.
package struct CustomerReading: Sendable {
    /// The record; nil when the platform has no such customer.
    package var record: CustomerRecord?
    /// Their orders, oldest first.
    package var orders: [OrderRecord]
    /// The shop's catalog with its co-purchase index.
    package var catalog: Catalog
    /// The stored lifetime parameters, or the recency/frequency rules when none are stored.
    package var lifetime: LifetimeParameters

    /// A reading from its parts.
    package init(record: CustomerRecord?, orders: [OrderRecord], catalog: Catalog, lifetime: LifetimeParameters) {
        self.record = record
        self.orders = orders
        self.catalog = catalog
        self.lifetime = lifetime
    }
}

/// What a planner decided: what it learned (written as its own record before anything is acted
/// on), and what to do.
package struct FlowPlan: Sendable {
    /// A stage record the plan carries: the flow's insights, or winBack's `select`.
    package struct Note: Sendable {
        /// The audit stage ("insights", "select").
        package var stage: String
        /// Its facts.
        package var facts: [String: JSONValue]

        /// A note for `stage`.
        package init(_ stage: String, _ facts: [String: JSONValue]) {
            self.stage = stage
            self.facts = facts
        }
    }

    /// What happens to the event.
    package enum Action: Sendable {
        /// A guard stopped it: suppressed (or duplicate) with its reason.
        case stop(GuardVerdict)
        /// One message; if it cannot be written the event fails.
        case write(PlannedMessage)
        /// A series: all are written before any is handed over; a marketing message that cannot
        /// be written is dropped, a transactional one fails the event.
        case writeSeries([PlannedMessage])
        /// A scan of the customer base: each selected customer's message is a child event.
        case fanOut(WinBackScanPlan)
    }

    /// The record written before the action, if any.
    package var note: Note?
    /// What to do.
    package var action: Action
    /// For a series: the tombstone read again once it is handed over (an order cancelled
    /// meanwhile withdraws it); nil when nothing can cancel it.
    package var recheck: TombstoneRecheck?

    /// A plan that only stops, without a note.
    package static func stop(_ verdict: GuardVerdict) -> FlowPlan { FlowPlan(note: nil, action: .stop(verdict)) }

    /// A plan from its note, action and re-check.
    package init(note: Note?, action: Action, recheck: TombstoneRecheck? = nil) {
        self.note = note
        self.action = action
        self.recheck = recheck
    }
}

/// One message a flow wants written: what it is, who it goes to, when, and the facts that the
/// writer, the validator and the router need.
package struct PlannedMessage: Sendable {
    /// The message's place in its flow ("cart_recovery", "thank_you", "review_request"); it goes into
    /// the X-Tidings-Step header and keeps Message-IDs of one event's messages apart.
    package var step: String
    /// The prompt template in `PromptLibrary`.
    package var promptID: String
    /// The PII-free facts the writer gets.
    package var context: PromptContext
    /// When the message should go out; a retry of the event renders the same Message-ID from it.
    package var sendAt: Date
    /// The mailbox, used only for the To header.
    package var recipient: Mailbox
    /// The platform customer id (or a guest key) that the unsubscribe link names.
    package var customerID: String
    /// The real link that replaces `PromptContext.checkoutPlaceholder` after generation.
    package var callToActionURL: String
    /// What the validator checks the draft against.
    package var checks: DraftValidator.Facts
    /// The customer's tier and the granted offer, for the router.
    package var tier: String
    /// The offer the draft may state; nil means none.
    package var offer: Offer?
    /// A reason this message goes to a human whatever the score (a sensitive moment); nil when the
    /// review rules alone decide.
    package var reviewReason: String?
    /// Transactional messages (an order's thank-you, a payment note) need no marketing consent.
    package var isTransactional: Bool
    /// Keys remembered in the terminal record so that later events can see this was handled
    /// (one email per cart, a series per order).
    package var dedupeKeys: [String]
    /// A key shared by the messages of one series, written to X-Tidings-Series, so that a later
    /// event can stop the ones not sent yet; nil for a single message.
    package var seriesKey: String?
    /// The customer's experiment group, set by the pipeline (`Run.assignExperiment`), never by a
    /// planner: it decides the writer (a `control_email` holdout gets the offline copywriter) and
    /// the subject rule. Nil outside an experiment.
    package var experiment: ExperimentAssignment?

    /// Creates a planned message; see the properties for what each part means.
    package init(
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

    /// The keys a handed-over message leaves in the terminal record: the flow's own, and for a
    /// marketing message the customer's contact key, which quiet periods read across flows (a
    /// message waiting for review counts: it is meant to go out).
    package var rememberedKeys: [String] {
        isTransactional ? dedupeKeys : dedupeKeys + [MarketingKeys.customer(customerID)]
    }
}

/// The keys that outlive one event and cross flows.
package enum MarketingKeys {
    /// The key every marketing message to a customer leaves in the audit (any flow), so that a
    /// quiet period ("not emailed recently") counts them all. The customer id is the platform's
    /// (or a guest's address hash); ids of two platforms are assumed not to collide.
    package static func customer(_ customerID: String) -> String { "marketing:customer:\(customerID)" }
}

/// What became of one planned message.
package struct ComposedMessage: Sendable, Hashable {
    /// The planned message's step.
    package var step: String
    /// `.sent` (handed to the email service, possibly for a later send time) or `.queuedForReview`.
    package var outcome: Outcome
    /// The chosen subject line.
    package var subject: String
    /// The outbox file, ESP reference or review item.
    package var reference: String
    /// Why a human reads it first; empty when sent.
    package var reviewReasons: [String]
    /// When it goes out.
    package var sendAt: Date
    /// Keys the terminal record remembers.
    package var dedupeKeys: [String]
}

/// What enrichment learned about the event's customer.
package struct EnrichedCustomer: Sendable {
    /// The shop's catalog with its co-purchase index.
    package var catalog: Catalog
    /// The platform's customer record; nil for a guest or an unknown customer.
    package var record: CustomerRecord?
    /// The customer's profile built from the record and the orders.
    package var profile: CustomerProfile

    /// An enrichment from its parts.
    package init(catalog: Catalog, record: CustomerRecord?, profile: CustomerProfile) {
        self.catalog = catalog
        self.record = record
        self.profile = profile
    }

    /// The personal values a draft must never contain, for `DraftValidator.Facts.personalData`.
    package func personalData(_ event: LifecycleEvent) -> [String] {
        [
            profile.email, profile.lastName, record?.email, record?.lastName, event.customer.email,
            event.customer.lastName,
        ].compactMap { $0 }
    }
}
