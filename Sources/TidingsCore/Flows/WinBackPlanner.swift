import Foundation

/// The win-back flow. Two inputs:
/// - a lapsed customer (`customer.lapsed`): their record and orders from the platform, scored
///   and checked (consent, an address, not written to by win-back within the quiet period), the
///   churn reason predicted (the event's hints preferred where the history supports them), and one
///   email;
/// - a scan (EventBridge Scheduler or `schedule.win_back`): the platform's whole customer base
///   streamed page by page through `WinBackScan`; each customer's decision is a `select` record of
///   the scan event, each selected customer's email is a child event
///   (`<scan id>/customer/<id>`) with its own terminal outcome, and the scan ends in one terminal
///   outcome with the counts.
/// The lifetime models' parameters are read from `<data>/models/lifetime.json`; when they are
/// missing or older than `modelMaximumAge`, the scan refits first on a bounded sample of the base.
public struct WinBackPlanner: FlowPlanner {
    /// Refit when the stored parameters are older than this.
    public var modelMaximumAge: TimeInterval = 30 * 86_400
    /// Most customers the refit reads (a uniform reservoir sample, so memory stays bounded).
    public var fitSampleSize = 100_000

    /// Creates the planner.
    public init() {}

    /// Plans a lapsed customer's email or runs a scan.
    public func plan(_ event: LifecycleEvent, in context: FlowContext) async throws -> FlowResult {
        // A schedule or a lapse report is acted on within the flow's window (and after its delay).
        let what = event.subject.kind == "scan" ? "scheduled scan" : "lapse report"
        if let verdict = OrderSituation.checkTiming(
            event.occurredAt, what: what, settings: context.settings, now: context.now)
        {
            return .stop(verdict)
        }
        switch event.subject {
        case .lapsedCustomer(let lapsed):
            return try await planLapsed(event, lapsed, in: context)
        case .scan(let scan):
            return try await runScan(event, scan, in: context)
        default:
            throw Failure(
                reason: "unsupported_subject: \(event.subject.kind) events are not win-back inputs", retryable: false)
        }
    }

    // MARK: One lapsed customer

    func planLapsed(_ event: LifecycleEvent, _ lapsed: LapsedCustomerSubject, in context: FlowContext) async throws
        -> FlowResult
    {
        let platform = try context.platform(for: event)
        let (record, orders, catalog) = try await context.fromPlatform {
            (
                try await platform.customer(id: lapsed.customerID),
                try await platform.orders(customerID: lapsed.customerID), try await platform.catalog()
            )
        }
        guard let record else {
            return .stop(GuardVerdict(.noRecipient, "the platform has no customer \(lapsed.customerID)"))
        }
        let parameters = try loadParameters(context) ?? Self.rulesOnly(at: context.now)
        // The sender already judged the customer lapsed: only consent, an address and the quiet
        // period apply, and the scores are kept for the audit.
        var criteria = WinBackCriteria()
        criteria.minimumProbabilityAlive = 0
        criteria.maximumProbabilityAlive = 1
        criteria.minimumCLV = 0
        criteria.lapseFactor = 0
        let selector = WinBackSelector(
            criteria: criteria, scorer: LifetimeScorer(parameters: parameters, horizon: criteria.horizonWeeks),
            categories: catalog.products.mapValues(\.category))
        let (decision, target) = try selector.decide(
            CustomerHistory(customer: record, orders: orders), now: context.now, hints: lapsed.hints,
            emailedRecently: { try recentlyEmailed($0, criteria: WinBackCriteria(), in: context) })
        try context.record("select", decisionFacts(decision))
        guard let target else {
            return .stop(Self.verdict(for: decision))
        }
        let message = try planMessage(for: target, event: event, eventID: event.id, catalog: catalog, in: context)
        return .messages([try await context.compose(message)])
    }

    // MARK: The scan

    func runScan(_ event: LifecycleEvent, _ scan: WinBackScanSubject, in context: FlowContext) async throws
        -> FlowResult
    {
        let platform = try context.platform(for: LifecycleEvent.scanSource(scan.platform, like: event))
        guard let base = platform as? any CustomerBaseStreaming else {
            throw Failure(
                reason:
                    "scan_unsupported: the \(scan.platform.rawValue) client cannot stream the customer base yet; scan a Shopify shop",
                retryable: false)
        }
        let catalog = try await context.fromPlatform { try await platform.catalog() }
        let parameters = try await currentParameters(base, in: context)
        let selector = WinBackSelector(
            criteria: scan.criteria,
            scorer: LifetimeScorer(parameters: parameters, horizon: scan.criteria.horizonWeeks),
            categories: catalog.products.mapValues(\.category))
        // 50 ms of tokens: a page read that stalls the stream does not cost the rate (docs/decisions/win-back-scan.md).
        let limiter = scan.requestsPerSecond.map { TokenBucket(rate: $0, burst: max(1, $0 * 0.05)) }
        let scanner = WinBackScan(selector: selector, now: context.now, concurrency: scan.concurrency)
        let summary = try await context.fromPlatform {
            try await scanner.run(
                source: base, limiter: limiter,
                recentlyEmailed: { try recentlyEmailed($0, criteria: scan.criteria, in: context) },
                record: { decision in
                    var facts = decisionFacts(decision)
                    facts["customer_id"] = .string(decision.customerID)
                    try context.record("select", facts)
                },
                write: { target in
                    try await writeChild(target, scanEvent: event, catalog: catalog, in: context)
                })
        }
        // Nothing written but something failed (the model or the email service down): the scan
        // failed, and a retry writes to those it missed (the ones written are final children).
        let written = (summary.outcomes["sent"] ?? 0) + (summary.outcomes["queued_for_review"] ?? 0)
        let failed = summary.outcomes["failed"] ?? 0
        return .scanned(
            outcome: written > 0 ? .sent : failed > 0 ? .failed : .suppressed,
            reason: "scanned \(summary.scanned), selected \(summary.selected)"
                + summary.outcomes.sorted { $0.key < $1.key }.map { ", \($0.key) \($0.value)" }.joined()
                + "; skipped "
                + summary.skipped.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\($0.key) \($0.value)" }
                .joined(separator: ", "),
            facts: summary.facts)
    }

    /// One selected customer's email as its own event under the scan, ending in its own outcome.
    func writeChild(_ target: WinBackTarget, scanEvent: LifecycleEvent, catalog: Catalog, in context: FlowContext)
        async throws -> String
    {
        var run = context.run
        run.eventID = "\(scanEvent.id)/customer/\(target.customer.id)"
        let child = FlowContext(run: run)
        do {
            try child.record(
                "select",
                [
                    "scan_event": .string(scanEvent.id), "customer_id": .string(target.customer.id),
                    "churn_reason": .string(target.reason.kind.rawValue),
                ])
            let message = try planMessage(
                for: target, event: scanEvent, eventID: run.eventID, catalog: catalog, in: child)
            let composed = try await child.compose(message)
            return run.finish([composed]).outcome.rawValue
        } catch {
            // Any error still ends the child event in its own terminal record.
            return run.fail(error).outcome.rawValue
        }
    }

    // MARK: The message

    func planMessage(
        for target: WinBackTarget, event: LifecycleEvent, eventID: String, catalog: Catalog, in context: FlowContext
    ) throws -> PlannedMessage {
        let configuration = context.configuration
        let currency = target.orders.last?.total.currency ?? "USD"
        let reference = CustomerReference(
            id: target.customer.id, email: target.customer.email, firstName: target.customer.firstName,
            lastName: target.customer.lastName, consent: target.customer.consent)
        let profile = ProfileBuilder().build(
            reference: reference, record: target.customer, orders: target.orders, catalog: catalog, currency: currency)
        guard let email = profile.email ?? target.customer.email else {
            throw Failure(reason: "no_recipient: the platform has no email address for this customer", retryable: false)
        }
        let picks = Self.recommendations(for: target, catalog: catalog)
        let offer = Self.offer(
            for: target, tier: profile.tier, policy: OfferPolicy(policy: configuration.policy), eventID: eventID,
            now: context.now)
        let promptContext = PromptContext(
            eventID: eventID, brand: configuration.brand, profile: profile, target: target, catalog: catalog,
            recommendations: picks, offer: offer, subjectMaxLength: configuration.policy.subjectMaxLength,
            now: context.now)
        let personal = [profile.email, profile.lastName, target.customer.email, target.customer.lastName].compactMap {
            $0
        }
        return PlannedMessage(
            step: "win_back", promptID: "win_back", context: promptContext, sendAt: context.now,
            recipient: Mailbox(name: profile.firstName, address: email), customerID: target.customer.id,
            callToActionURL: configuration.brand.storefrontURL,
            checks: DraftValidator.Facts(
                catalog: catalog, offer: offer, tier: profile.tier, firstName: profile.firstName,
                personalData: personal, cartTitles: []),
            tier: profile.tier, offer: offer,
            dedupeKeys: [WinBackSelector.auditKey(customerID: target.customer.id)])
    }

    /// In-stock products the customer has not bought: from other categories when their one
    /// category is worn out, else from their favourite categories; ranked by how often the shop's
    /// orders bought them with the customer's past products, then by popularity.
    static func recommendations(for target: WinBackTarget, catalog: Catalog, limit: Int = 3) -> [Recommendation] {
        let bought = Set(target.orders.flatMap { $0.lines.map(\.productID) })
        let favourites = Set(target.favouriteCategories)
        let elsewhere = target.reason.kind == .categoryWornOut
        var scored: [(Product, Double, String)] = []
        for product in catalog.products.values where product.isInStock && !bought.contains(product.id) {
            let inFavourites = favourites.contains(product.category)
            guard elsewhere ? !inFavourites : (inFavourites || favourites.isEmpty) else { continue }
            var together = 0
            var partner: String?
            for id in bought {
                let count = catalog.coPurchases.counts[id]?[product.id] ?? 0
                if count > together {
                    together = count
                    partner = target.orders.lazy.flatMap(\.lines).first { $0.productID == id }?.title
                }
            }
            let popularity = Double(catalog.coPurchases.orderCounts[product.id] ?? 0)
            let because = partner.map { "often bought with the \($0)" } ?? "new in \(product.category)"
            scored.append((product, Double(together) * 1_000 + popularity, because))
        }
        scored.sort { ($0.1, $1.0.id) > ($1.1, $0.0.id) }
        return scored.prefix(limit).map { Recommendation(product: $0.0, score: $0.1, because: $0.2) }
    }

    /// The incentive a churn reason calls for, within the tier's cap: a discount-only buyer and a
    /// one-time buyer get a percentage, a cancelled last order free shipping, the others none (an
    /// offer would teach full-price customers to wait).
    static func offer(for target: WinBackTarget, tier: String, policy: OfferPolicy, eventID: String, now: Date)
        -> Offer?
    {
        let code = OfferPolicy.code(eventID: eventID)
        let expiry = now.addingTimeInterval(7 * 86_400)
        switch target.reason.kind {
        case .discountOnly, .oneTimeBuyer:
            let percent = min(target.reason.kind == .discountOnly ? 15 : 10, policy.cap(for: tier))
            guard percent > 0 else { return nil }
            return Offer(kind: .percentOff, percent: percent, code: "BACK\(percent)-" + code, expiresAt: expiry)
        case .lastOrderCancelled:
            return Offer(kind: .freeShipping, percent: 0, code: "SHIP-" + code, expiresAt: expiry)
        case .fallingOrderValues, .categoryWornOut, .drifted:
            return nil
        }
    }

    // MARK: Helpers

    func decisionFacts(_ decision: WinBackDecision) -> [String: JSONValue] {
        var facts = decision.facts
        facts["decision"] = .string(decision.skip.map { "skipped:\($0.rawValue)" } ?? "selected")
        return facts
    }

    static func verdict(for decision: WinBackDecision) -> GuardVerdict {
        switch decision.skip {
        case .noConsent: return GuardVerdict(.noConsent, "the customer has not subscribed to marketing email")
        case .noEmail: return GuardVerdict(.noRecipient, "the platform has no email address for this customer")
        case .emailedRecently:
            return GuardVerdict(.recentlyWritten, "a marketing email went to this customer within the quiet period")
        case .noPurchases: return GuardVerdict(.notLapsed, "the customer has no standing purchase")
        default: return GuardVerdict(.notLapsed, "the customer was not selected: \(decision.skip?.rawValue ?? "")")
        }
    }

    /// Whether any marketing email (a win-back, a cart email, an order's recommendations) went to
    /// the customer within the quiet period, by the audit.
    func recentlyEmailed(_ customerID: String, criteria: WinBackCriteria, in context: FlowContext) throws -> Bool {
        let since = context.now.addingTimeInterval(-Double(criteria.quietDays) * 86_400)
        return try context.hasFinalOutcome(forKey: WinBackSelector.auditKey(customerID: customerID), since: since)
            || context.hasFinalOutcome(forKey: FlowContext.marketingKey(customerID: customerID), since: since)
    }

    func loadParameters(_ context: FlowContext) throws -> LifetimeParameters? {
        let file = context.configuration.dataDirectory.appendingPathComponent(LifetimeParameters.relativePath)
        do {
            return try LifetimeParameters.load(from: file)
        } catch {
            throw Failure(reason: "model_unreadable: \(file.path): \(error)", retryable: false)
        }
    }

    /// The stored parameters, or a fresh fit on a reservoir sample of the base when they are
    /// missing or stale (saved for the next scan); the `model` record says which.
    func currentParameters(_ base: any CustomerBaseStreaming, in context: FlowContext) async throws
        -> LifetimeParameters
    {
        if let stored = try loadParameters(context), !stored.isStale(at: context.now, maximumAge: modelMaximumAge) {
            try context.record("model", modelFacts(stored, refitted: false))
            return stored
        }
        let now = context.now
        let (sample, _) = try await context.fromPlatform {
            try await base.reservoirSample(size: fitSampleSize, seed: 0x5EED, now: now)
        }
        let fitted = LifetimeParameters.fit(sample, at: now)
        let file = context.configuration.dataDirectory.appendingPathComponent(LifetimeParameters.relativePath)
        do {
            try fitted.save(to: file)
        } catch {
            throw Failure(reason: "model_unwritable: \(file.path): \(error)", retryable: true)
        }
        try context.record("model", modelFacts(fitted, refitted: true))
        return fitted
    }

    func modelFacts(_ parameters: LifetimeParameters, refitted: Bool) -> [String: JSONValue] {
        var facts: [String: JSONValue] = [
            "refitted": .bool(refitted), "fitted_at": .string(ISO8601.format(parameters.fittedAt)),
            "customers": .int(parameters.customers), "method": .string(parameters.bgnbd == nil ? "rules" : "model"),
        ]
        if let model = parameters.bgnbd {
            facts["bgnbd"] = .object([
                "r": .double(model.r), "alpha": .double(model.alpha), "a": .double(model.a), "b": .double(model.b),
            ])
        }
        if let model = parameters.gammaGamma {
            facts["gamma_gamma"] = .object([
                "p": .double(model.p), "q": .double(model.q), "gamma": .double(model.gamma),
            ])
        }
        if let reason = parameters.fallbackReason { facts["fallback_reason"] = .string(reason) }
        return facts
    }

    static func rulesOnly(at now: Date) -> LifetimeParameters {
        var parameters = LifetimeParameters(fittedAt: now, timeUnit: "weeks", customers: 0, repeatCustomers: 0)
        parameters.fallbackReason = "no fitted parameters stored; recency/frequency rules"
        return parameters
    }
}

extension LifecycleEvent {
    /// A copy of a scan event whose source names the scanned platform, for `FlowContext.platform(for:)`.
    static func scanSource(_ platform: EventPlatform, like event: LifecycleEvent) -> LifecycleEvent {
        var copy = event
        copy.source.platform = platform
        return copy
    }
}
