import Foundation

/// The win-back flow. Two inputs:
/// - a lapsed customer (`customer.lapsed`): their record and orders from the platform, scored
///   and checked (consent, an address, not written to by win-back within the quiet period), the
///   churn reason predicted (the event's hints preferred where the history supports them), and one
///   email;
/// - a scan (EventBridge Scheduler or `schedule.win_back`): the plan is a fan-out. The pipeline
///   (`Pipeline+Scan.swift`) streams the platform's customer base page by page; this planner
///   decides about each customer (`selector`, `decisionFacts`), plans each selected customer's
///   email (`message(for:...)`), which the pipeline writes as a child event
///   (`<scan id>/customer/<id>`) with its own terminal outcome, and states the scan's own outcome
///   from its counts (`conclusion`).
/// The lifetime models' parameters are read from `<data>/models/lifetime.json`; when they are
/// missing or older than `modelMaximumAge`, the scan refits first on a bounded sample of the base.
package struct WinBackPlanner: FlowPlanner {
    /// Refit when the stored parameters are older than this.
    package var modelMaximumAge: TimeInterval = 30 * 86_400
    /// Most customers the refit reads (a uniform reservoir sample, so memory stays bounded).
    package var fitSampleSize = 100_000

    /// Creates the planner.
    package init() {}

    /// A lapsed customer's quiet period, looked up before anything is read; a scan looks its
    /// customers up as it streams them.
    package func needs(_ event: LifecycleEvent, facts: FlowFacts) -> FlowNeeds {
        guard case .lapsedCustomer(let lapsed) = event.subject else { return .nothing }
        return FlowNeeds(remembered: Self.quietKeys(lapsed.customerID, criteria: WinBackCriteria(), now: facts.now))
    }

    /// A lapse report for a suppressed customer stops; a schedule or a lapse report is acted on
    /// within the flow's window (and after its delay).
    package func precheck(_ event: LifecycleEvent, facts: FlowFacts) -> GuardVerdict? {
        if case .lapsedCustomer = event.subject, let verdict = Guards.checkSuppression(facts.suppression) {
            return verdict
        }
        let what = event.subject.kind == "scan" ? "scheduled scan" : "lapse report"
        return Guards(settings: facts.settings).checkTiming(what, at: event.occurredAt, now: facts.now)
    }

    /// A lapsed customer's history and the stored lifetime parameters; a scan reads its base itself.
    package func screen(_ event: LifecycleEvent, facts: FlowFacts) throws -> Screening {
        switch event.subject {
        case .lapsedCustomer(let lapsed): return .enrich(EnrichmentNeeds(.history(customerID: lapsed.customerID)))
        case .scan: return .enrich(EnrichmentNeeds(.none))
        default:
            throw Failure(
                .unsupportedSubject, "\(event.subject.kind) events are not win-back inputs", retryable: false)
        }
    }

    /// A lapsed customer's selection and email, or a scan's fan-out.
    package func plan(_ event: LifecycleEvent, facts: FlowFacts) throws -> FlowPlan {
        switch event.subject {
        case .lapsedCustomer(let lapsed): return try planLapsed(event, lapsed, facts: facts)
        case .scan(let scan): return FlowPlan(note: nil, action: .fanOut(WinBackScanPlan(planner: self, scan: scan)))
        default:
            throw Failure(
                .unsupportedSubject, "\(event.subject.kind) events are not win-back inputs", retryable: false)
        }
    }

    // MARK: One lapsed customer

    func planLapsed(_ event: LifecycleEvent, _ lapsed: LapsedCustomerSubject, facts: FlowFacts) throws -> FlowPlan {
        guard let reading = facts.history else {
            throw Failure(.historyUnread, "customer \(lapsed.customerID) was not read", retryable: false)
        }
        guard let record = reading.record else {
            return .stop(Guards.unknownCustomer(lapsed.customerID))
        }
        // The sender already judged the customer lapsed: only consent, an address and the quiet
        // period apply, and the scores are kept for the audit.
        var criteria = WinBackCriteria()
        criteria.minimumProbabilityAlive = 0
        criteria.maximumProbabilityAlive = 1
        criteria.minimumCLV = 0
        criteria.lapseFactor = 0
        let selector = WinBackSelector(
            criteria: criteria, scorer: LifetimeScorer(parameters: reading.lifetime, horizon: criteria.horizonWeeks),
            categories: reading.catalog.products.mapValues(\.category))
        let (decision, target) = selector.decide(
            CustomerHistory(customer: record, orders: reading.orders), now: facts.now, hints: lapsed.hints,
            emailedRecently: { _ in
                Self.quietKeys(lapsed.customerID, criteria: WinBackCriteria(), now: facts.now).contains {
                    facts.remembers($0.key)
                }
            })
        let note = FlowPlan.Note("select", Self.decisionFacts(decision))
        guard let target else {
            // The selector returns no target exactly when it records a skip.
            return FlowPlan(note: note, action: .stop(Guards.checkSelection(decision)!))
        }
        let message = try message(for: target, eventID: event.id, catalog: reading.catalog, facts: facts)
        return FlowPlan(note: note, action: .write(message))
    }

    // MARK: The scan's decisions

    /// The selector a scan decides with, from its criteria, the lifetime parameters and the catalog.
    package static func selector(for scan: WinBackScanSubject, parameters: LifetimeParameters, catalog: Catalog)
        -> WinBackSelector
    {
        WinBackSelector(
            criteria: scan.criteria,
            scorer: LifetimeScorer(parameters: parameters, horizon: scan.criteria.horizonWeeks),
            categories: catalog.products.mapValues(\.category))
    }

    /// The keys whose memory means a marketing email (a win-back, a cart email, an order's
    /// recommendations) went to the customer within the quiet period.
    package static func quietKeys(_ customerID: String, criteria: WinBackCriteria, now: Date) -> [RememberedKey] {
        let since = now - Double(criteria.quietDays) * 86_400
        return [
            RememberedKey(WinBackSelector.auditKey(customerID: customerID), since: since),
            RememberedKey(MarketingKeys.customer(customerID), since: since),
        ]
    }

    /// The scan's terminal outcome from its counts. Nothing written but something failed (the model
    /// or the email service down): the scan failed, and a retry writes to those it missed (the
    /// ones written are final children).
    package static func conclusion(of summary: WinBackScanSummary) -> (outcome: Outcome, reason: String) {
        let written = (summary.outcomes["sent"] ?? 0) + (summary.outcomes["queued_for_review"] ?? 0)
        let failed = summary.outcomes["failed"] ?? 0
        let heldOut = summary.outcomes[Outcome.heldOut.rawValue] ?? 0
        return (
            written > 0 ? .sent : failed > 0 ? .failed : heldOut > 0 ? .heldOut : .suppressed,
            "scanned \(summary.scanned), selected \(summary.selected)"
                + summary.outcomes.sorted { $0.key < $1.key }.map { ", \($0.key) \($0.value)" }.joined()
                + "; skipped "
                + summary.skipped.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\($0.key) \($0.value)" }
                .joined(separator: ", ")
        )
    }

    // MARK: The message

    /// The win-back email to a selected customer; `eventID` is the lapse report's or the scan's
    /// child event id. Throws a non-retryable `Failure` when the customer has no address.
    package func message(for target: WinBackTarget, eventID: String, catalog: Catalog, facts: FlowFacts) throws
        -> PlannedMessage
    {
        let configuration = facts.configuration
        let currency = target.orders.last?.total.currency ?? "USD"
        let reference = CustomerReference(
            id: target.customer.id, email: target.customer.email, firstName: target.customer.firstName,
            lastName: target.customer.lastName, consent: target.customer.consent)
        let profile = ProfileBuilder().build(
            reference: reference, record: target.customer, orders: target.orders, catalog: catalog, currency: currency)
        guard let email = profile.email ?? target.customer.email else {
            throw Failure(.noRecipient, "the platform has no email address for this customer", retryable: false)
        }
        let picks = Self.recommendations(for: target, catalog: catalog)
        let offer = Self.offer(
            for: target, tier: profile.tier, policy: OfferPolicy(policy: configuration.policy), eventID: eventID,
            now: facts.now)
        let promptContext = PromptContext(
            eventID: eventID, brand: configuration.brand, profile: profile, target: target, catalog: catalog,
            recommendations: picks, offer: offer, subjectMaxLength: configuration.policy.subjectMaxLength,
            now: facts.now)
        let personal = [profile.email, profile.lastName, target.customer.email, target.customer.lastName].compactMap {
            $0
        }
        return PlannedMessage(
            step: "win_back", promptID: "win_back", context: promptContext, sendAt: facts.now,
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
            // In id order: a Set iterates in a per-process order, and ties must not pick a different partner each run.
            for id in bought.sorted() {
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

    // MARK: Audit facts

    /// A customer decision's `select` record facts.
    package static func decisionFacts(_ decision: WinBackDecision) -> [String: JSONValue] {
        var facts = decision.facts
        facts["decision"] = .string(decision.skip.map { "skipped:\($0.rawValue)" } ?? "selected")
        return facts
    }

    /// The `model` record facts: which lifetime parameters a scan scores with, and whether it refitted.
    package static func modelFacts(_ parameters: LifetimeParameters, refitted: Bool) -> [String: JSONValue] {
        var facts: [String: JSONValue] = [
            "refitted": .bool(refitted), "fitted_at": .string(Timestamp.format(parameters.fittedAt)),
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

    /// The recency/frequency rules, when no parameters are stored.
    package static func rulesOnly(at now: Date) -> LifetimeParameters {
        var parameters = LifetimeParameters(fittedAt: now, timeUnit: "weeks", customers: 0, repeatCustomers: 0)
        parameters.fallbackReason = "no fitted parameters stored; recency/frequency rules"
        return parameters
    }
}

/// A scan's fan-out, as `WinBackPlanner.plan` returns it: the pipeline streams the base and asks
/// the planner's pure functions about each customer.
package struct WinBackScanPlan: Sendable {
    /// The planner whose decisions and model settings the scan uses.
    package var planner: WinBackPlanner
    /// What to scan and how fast.
    package var scan: WinBackScanSubject
}
