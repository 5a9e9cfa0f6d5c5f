import Foundation
import Testing

@testable import TidingsCore

/// The planners as pure functions: hand-built facts in, a plan value out. No audit, platform,
/// clock or sink is involved anywhere in this file.
@Suite("Flow planners are pure")
struct FlowPlannerTests {
    typealias S = StageFixtures
    static let configuration = Configuration(
        dataDirectory: URL(fileURLWithPath: "/nonexistent"), shopDirectory: URL(fileURLWithPath: "/nonexistent"))

    func facts(_ flow: FlowKind, remembered: [String: Bool] = [:]) -> FlowFacts {
        FlowFacts(
            now: S.now, settings: Self.configuration.settings(for: flow), configuration: Self.configuration,
            remembered: remembered)
    }

    func enrichment(_ profile: CustomerProfile = S.profile()) -> EnrichedCustomer {
        EnrichedCustomer(catalog: S.catalog, record: nil, profile: profile)
    }

    func verdict(_ plan: FlowPlan) -> GuardVerdict? {
        if case .stop(let verdict) = plan.action { return verdict }
        return nil
    }

    // MARK: cartAbandoned

    @Test("Cart: needs the cart key over the window; a remembered key stops before anything is read")
    func cartNeedsAndPrecheck() {
        let planner = CartAbandonedPlanner()
        let event = S.event(cart: S.cart([S.item("boot")]))
        let needs = planner.needs(event, facts: facts(.cartAbandoned))
        #expect(needs.remembered == [RememberedKey("cartAbandoned:canonical:cart:cart-1", since: S.now - 7 * 86_400)])
        #expect(needs.stopSeries == nil)
        let handled = planner.precheck(
            event, facts: facts(.cartAbandoned, remembered: ["cartAbandoned:canonical:cart:cart-1": true]))
        #expect(handled?.code == .cartAlreadyHandled)
        #expect(
            planner.precheck(event, facts: facts(.cartAbandoned, remembered: [needs.remembered[0].key: false])) == nil)
    }

    @Test("Cart: a thin payload's cart that the platform no longer has has converted; a found one names its customer")
    func cartScreen() throws {
        let planner = CartAbandonedPlanner()
        var event = S.event(cart: S.cart([S.item("boot")]))
        event.subject = .cart(.reference(cartID: "cart-1"))
        event.customer.id = nil
        var gone = facts(.cartAbandoned)
        gone.resolved = .cart(nil)
        guard case .stop(let verdict) = try planner.screen(event, facts: gone) else {
            Issue.record("a vanished cart must stop")
            return
        }
        #expect(verdict.code == .alreadyConverted)
        var found = facts(.cartAbandoned)
        found.resolved = .cart((S.cart([S.item("boot")]), "c-77"))
        guard case .enrich(let needs) = try planner.screen(event, facts: found),
            case .profile(let reference, let currency) = needs.customer
        else {
            Issue.record("a found cart must ask for the customer's profile")
            return
        }
        #expect(reference.id == "c-77")
        #expect(currency == "USD")
    }

    @Test("Cart: the plan is one cart_recovery message keyed by the cart, sent after the delay, with its insights")
    func cartPlan() throws {
        let planner = CartAbandonedPlanner()
        let cart = S.cart([S.item("boot"), S.item("gone", price: "20.00")])
        let event = S.event(cart: cart)
        var ready = facts(.cartAbandoned)
        ready.enrichment = enrichment()
        let plan = try planner.plan(event, facts: ready)
        #expect(plan.note?.stage == "insights")
        guard case .write(let message) = plan.action else {
            Issue.record("expected one message, got \(plan.action)")
            return
        }
        #expect(message.step == "cart_recovery")
        #expect(message.dedupeKeys == ["cartAbandoned:canonical:cart:cart-1"])
        #expect(message.sendAt == cart.abandonedAt + 3600)
        #expect(message.recipient.address == "casey.jordan@example.com")
        #expect(message.checks.cartTitles == ["Trail Boot"])  // the sold-out sock is not featured
        #expect(message.rememberedKeys.contains("marketing:customer:c1"))
    }

    @Test("Cart: no consent stops before insights, so no note is written")
    func cartNoConsent() throws {
        var ready = facts(.cartAbandoned)
        ready.enrichment = enrichment(S.profile(consent: .notSubscribed))
        let plan = try CartAbandonedPlanner().plan(S.event(cart: S.cart([S.item("boot")])), facts: ready)
        #expect(verdict(plan)?.code == .noConsent)
        #expect(plan.note == nil)
    }

    // MARK: orderCreated

    static func order(
        _ id: String = "o-9", createdAt: Date = S.now - 3600, complete: Bool = true, cancelledAt: Date? = nil,
        reason: CancelReason? = nil, refunded: String = "0.00"
    ) -> PlacedOrder {
        PlacedOrder(
            id: id, name: "#\(id)", customerID: "c1", currency: "USD", lines: [S.item("boot")],
            subtotal: S.usd("179.00"),
            total: S.usd("179.00"), shippingMethod: "Express", discountCodes: [], createdAt: createdAt,
            financialStatus: "paid", isComplete: complete, cancelledAt: cancelledAt, cancelReason: reason,
            refunded: S.usd(refunded), statusURL: "https://northwind.example/orders/\(id)")
    }

    static func orderEvent(_ flow: FlowKind, _ subject: OrderSubject, platform: EventPlatform = .shopify)
        -> LifecycleEvent
    {
        LifecycleEvent(
            flow: flow, id: "evt-o", occurredAt: S.now - 600, shop: "test",
            customer: CustomerReference(id: "c1", email: "casey.jordan@example.com", firstName: "Casey"),
            subject: .order(subject), source: EventSource(platform: platform, topic: "orders/create"))
    }

    @Test("Order created: a handled cancellation of the order wins over a late order-created event")
    func orderCreatedRemembered() {
        let planner = OrderCreatedPlanner()
        let event = Self.orderEvent(.orderCreated, .complete(Self.order()))
        let keys = planner.needs(event, facts: facts(.orderCreated)).remembered.map(\.key)
        #expect(keys == ["orderCreated:shopify:order:o-9", "order:shopify:o-9:cancelled"])
        let verdict = planner.precheck(
            event,
            facts: facts(.orderCreated, remembered: [keys[0]: false, keys[1]: true]))
        #expect(verdict?.code == .orderCancelled)
    }

    @Test("Order created: reads the order's tombstone; one there stops it before anything is read, naming its time")
    func orderCreatedTombstone() {
        let planner = OrderCreatedPlanner()
        let event = Self.orderEvent(.orderCreated, .complete(Self.order()))
        let needs = planner.needs(event, facts: facts(.orderCreated))
        #expect(needs.tombstones == ["order:shopify:o-9:cancelled"])
        #expect(needs.writeTombstone == nil && needs.stopSeries == nil)
        var found = facts(
            .orderCreated, remembered: Dictionary(uniqueKeysWithValues: needs.remembered.map { ($0.key, false) }))
        #expect(planner.precheck(event, facts: found) == nil)
        found.tombstones["order:shopify:o-9:cancelled"] = S.now - 5
        let verdict = planner.precheck(event, facts: found)
        #expect(verdict?.code == .orderCancelled)
        #expect(verdict?.detail == "order o-9 was cancelled at \(Timestamp.format(S.now - 5)) (its tombstone)")
        #expect(verdict?.isRetryable == false)
    }

    @Test("Order created: the series' plan asks for the tombstone to be read again once it is handed over")
    func orderCreatedRecheck() throws {
        let event = Self.orderEvent(.orderCreated, .complete(Self.order()))
        var ready = facts(.orderCreated)
        ready.enrichment = enrichment()
        let plan = try OrderCreatedPlanner().plan(event, facts: ready)
        #expect(
            plan.recheck
                == TombstoneRecheck(
                    tombstone: "order:shopify:o-9:cancelled", series: "order:shopify:o-9", orderID: "o-9"))
        // What the outcome says when the re-check withdrew part of the series.
        let verdict = Guards.cancelledDuringHandOver(
            "o-9", cancelledAt: S.now, withdrawn: ["getting_started", "review_request"], kept: ["thank_you"])
        #expect(verdict.code == .orderCancelled)
        #expect(verdict.reason.hasSuffix("withdrew getting_started, review_request; thank_you had gone out already"))
    }

    @Test("Order created: an incomplete order stops retryably before enrichment")
    func orderCreatedIncomplete() throws {
        let event = Self.orderEvent(.orderCreated, .complete(Self.order(complete: false)))
        guard case .stop(let verdict) = try OrderCreatedPlanner().screen(event, facts: facts(.orderCreated)) else {
            Issue.record("an incomplete order must stop")
            return
        }
        #expect(verdict.code == .incompleteOrder)
        #expect(verdict.isRetryable)
    }

    @Test("Order created: the plan is a series, every step carrying the order's series key")
    func orderCreatedSeries() throws {
        let event = Self.orderEvent(.orderCreated, .complete(Self.order()))
        var ready = facts(.orderCreated)
        ready.enrichment = enrichment()
        let plan = try OrderCreatedPlanner().plan(event, facts: ready)
        #expect(plan.note?.stage == "insights")
        guard case .writeSeries(let messages) = plan.action else {
            Issue.record("expected a series, got \(plan.action)")
            return
        }
        #expect(Array(messages.map(\.step).prefix(3)) == ["thank_you", "getting_started", "review_request"])
        #expect(messages.allSatisfy { $0.seriesKey == "order:shopify:o-9" })
        #expect(messages.first?.isTransactional == true)
        #expect(messages.map(\.sendAt) == messages.map(\.sendAt).sorted())
    }

    // MARK: orderCancelled

    @Test("Order cancelled: the series is stopped before any guard; a status that is not Cancelled stops nothing")
    func orderCancelledNeeds() {
        let planner = OrderCancelledPlanner()
        let cancelled = Self.orderEvent(.orderCancelled, .complete(Self.order(cancelledAt: S.now - 600)))
        let needs = planner.needs(cancelled, facts: facts(.orderCancelled))
        #expect(needs.stopSeries == "order:shopify:o-9")
        #expect(needs.remembered.map(\.key) == ["orderCancelled:shopify:order:o-9"])
        // The tombstone, written before the stop, outlives any series and any late order-created
        // event: the created flow's window (3 days), the longest series (7 + 7 + 7 + 1 days) and a day.
        #expect(needs.writeTombstone == TombstoneWrite(key: "order:shopify:o-9:cancelled", lifetime: 26 * 86_400))

        let shipped = Self.orderEvent(
            .orderCancelled,
            .reference(orderID: "o-9", statusChange: OrderStatusChange(previousStatusID: 11, newStatusID: 2)),
            platform: .bigcommerce)
        let none = planner.needs(shipped, facts: facts(.orderCancelled))
        #expect(none.stopSeries == nil && none.writeTombstone == nil)
        #expect(none.remembered.isEmpty)
        #expect(planner.precheck(shipped, facts: facts(.orderCancelled))?.code == .notCancelled)
    }

    @Test("Order cancelled: fraud stops before enrichment and leaves the order's tombstone")
    func orderCancelledFraud() throws {
        let event = Self.orderEvent(
            .orderCancelled, .complete(Self.order(cancelledAt: S.now - 600, reason: .fraud)))
        guard case .stop(let verdict) = try OrderCancelledPlanner().screen(event, facts: facts(.orderCancelled))
        else {
            Issue.record("fraud must stop")
            return
        }
        #expect(verdict.code == .fraud)
        #expect(verdict.rememberedKeys == ["orderCancelled:shopify:order:o-9", "order:shopify:o-9:cancelled"])
    }

    @Test("Order cancelled: a customer the audit remembers cancelling recently gets no win-back on top")
    func orderCancelledRepeat() throws {
        let planner = OrderCancelledPlanner()
        let event = Self.orderEvent(
            .orderCancelled, .complete(Self.order(cancelledAt: S.now - 600, reason: .customer)))
        guard case .enrich(let needs) = try planner.screen(event, facts: facts(.orderCancelled)) else {
            Issue.record("a customer cancellation must be enriched")
            return
        }
        let customerKey = "orderCancelled:shopify:customer:c1"
        #expect(needs.remembered == [RememberedKey(customerKey, since: S.now - 600 - 14 * 86_400)])
        var ready = facts(.orderCancelled, remembered: [customerKey: true])
        ready.enrichment = enrichment()
        let plan = try planner.plan(event, facts: ready)
        #expect(verdict(plan)?.code == .repeatCancellation)
        #expect(plan.note?.facts["recent_cancellation"] == .string("another order of this customer"))

        ready.remembered[customerKey] = false
        guard case .write(let message) = try planner.plan(event, facts: ready).action else {
            Issue.record("a first cancellation by the customer gets a win-back")
            return
        }
        #expect(message.step == "win_back")
        #expect(message.reviewReason != nil)  // review.cancellation_win_backs is on by default
        #expect(message.dedupeKeys.contains(customerKey))
    }

    // MARK: winBack

    @Test("winBack: a scan plans a fan-out with its criteria; a stale schedule stops first")
    func winBackScan() throws {
        let planner = WinBackPlanner()
        let scan = WinBackScanSubject(
            criteria: WinBackCriteria(), platform: .shopify, requestsPerSecond: 5, concurrency: 2)
        var event = LifecycleEvent(
            flow: .winBack, id: "scan-1", occurredAt: S.now - 60, shop: "test",
            customer: CustomerReference(id: nil, email: nil, firstName: nil), subject: .scan(scan),
            source: EventSource(platform: .canonical, topic: "schedule.win_back"))
        #expect(planner.needs(event, facts: facts(.winBack)).remembered.isEmpty)
        #expect(planner.precheck(event, facts: facts(.winBack)) == nil)
        guard case .fanOut(let plan) = try planner.plan(event, facts: facts(.winBack)).action else {
            Issue.record("a scan must fan out")
            return
        }
        #expect(plan.scan == scan)
        event.occurredAt = S.now - 8 * 86_400
        #expect(planner.precheck(event, facts: facts(.winBack))?.code == .stale)
    }

    @Test("winBack: a lapsed customer written to within the quiet period is stopped with the select note")
    func winBackLapsed() throws {
        let planner = WinBackPlanner()
        let event = LifecycleEvent(
            flow: .winBack, id: "lapse-1", occurredAt: S.now - 60, shop: "test",
            customer: CustomerReference(id: "c", email: nil, firstName: nil),
            subject: .lapsedCustomer(LapsedCustomerSubject(customerID: "c", hints: [])),
            source: EventSource(platform: .canonical, topic: "customer.lapsed"))
        let keys = planner.needs(event, facts: facts(.winBack)).remembered.map(\.key)
        #expect(keys == ["winBack:customer:c", "marketing:customer:c"])
        let orders = [
            WinBackFixtures.order("1", daysAgo: 300, total: 80), WinBackFixtures.order("2", daysAgo: 200, total: 90),
        ]
        let reading = CustomerReading(
            record: WinBackFixtures.customer("c"), orders: orders, catalog: S.catalog,
            lifetime: WinBackPlanner.rulesOnly(at: S.now))
        var quiet = facts(.winBack, remembered: [keys[0]: false, keys[1]: true])
        quiet.now = WinBackFixtures.now
        quiet.history = reading
        let stopped = try planner.plan(event, facts: quiet)
        #expect(verdict(stopped)?.code == .recentlyWritten)
        #expect(stopped.note?.stage == "select")
        #expect(stopped.note?.facts["decision"] == .string("skipped:emailed_recently"))

        quiet.remembered[keys[1]] = false
        guard case .write(let message) = try planner.plan(event, facts: quiet).action else {
            Issue.record("a lapsed customer not written to recently gets a win-back")
            return
        }
        #expect(message.dedupeKeys == ["winBack:customer:c"])
        #expect(message.sendAt == WinBackFixtures.now)
    }

    @Test("winBack: a scan's outcome is sent when any child was written, failed when only failures, else suppressed")
    func winBackConclusion() {
        var summary = WinBackScanSummary()
        summary.scanned = 3
        summary.selected = 1
        summary.skipped = ["no_consent": 2]
        summary.outcomes = ["failed": 1]
        #expect(WinBackPlanner.conclusion(of: summary).outcome == .failed)
        #expect(
            WinBackPlanner.conclusion(of: summary).reason == "scanned 3, selected 1, failed 1; skipped no_consent 2")
        summary.outcomes = ["sent": 1]
        #expect(WinBackPlanner.conclusion(of: summary).outcome == .sent)
        summary.outcomes = [:]
        #expect(WinBackPlanner.conclusion(of: summary).outcome == .suppressed)
    }
}

/// The routing overrides a planned message carries, decided in Routing/.
@Suite("Routing overrides")
struct RouterOverrideTests {
    func message(tier: String) throws -> PlannedMessage {
        let planner = FlowPlannerTests()
        var ready = planner.facts(.cartAbandoned)
        ready.enrichment = planner.enrichment(StageFixtures.profile(tier: tier))
        guard
            case .write(let message) = try CartAbandonedPlanner().plan(
                StageFixtures.event(cart: StageFixtures.cart([StageFixtures.item("boot")])), facts: ready
            ).action
        else { throw Failure(.internalError, "no message planned", retryable: false) }
        return message
    }

    @Test("A transactional message ignores the tier rule; a marketing one to a VIP goes to review")
    func transactionalIgnoresTier() throws {
        let router = Router(rules: ReviewRules())
        var message = try message(tier: "vip")
        #expect(router.decide(findings: Findings(), for: message) == .review(reasons: ["tier vip is reviewed by rule"]))
        message.isTransactional = true
        #expect(router.decide(findings: Findings(), for: message) == .send)
    }

    @Test("A forced review reason is added to whatever the rules decided, short of a rejection")
    func forcedReview() throws {
        let router = Router(rules: ReviewRules())
        var message = try message(tier: "vip")
        message.reviewReason = "a sensitive moment"
        #expect(
            router.decide(findings: Findings(), for: message)
                == .review(reasons: ["tier vip is reviewed by rule", "a sensitive moment"]))
        message.isTransactional = true
        #expect(router.decide(findings: Findings(), for: message) == .review(reasons: ["a sensitive moment"]))
        let broken = Findings([Finding(rule: "schema", severity: .error, field: "subject", message: "missing")])
        #expect(router.decide(findings: broken, for: message) == .reject(reasons: ["schema at subject: missing"]))
    }
}

/// A cart whose items the catalog does not know (a CDP's canonical event) is written about from
/// the event's own data; "not in stock" is said only when the catalog says so.
@Suite("Items the catalog does not know")
struct UncataloguedItemTests {
    typealias S = StageFixtures

    func plan(_ items: [CartItem]) throws -> FlowPlan {
        var facts = FlowFacts(
            now: S.now, settings: FlowPlannerTests.configuration.settings(for: .cartAbandoned),
            configuration: FlowPlannerTests.configuration, remembered: [:])
        facts.enrichment = EnrichedCustomer(catalog: S.catalog, record: nil, profile: S.profile())
        return try CartAbandonedPlanner().plan(S.event(cart: S.cart(items)), facts: facts)
    }

    func unknown(_ id: String, _ title: String) -> CartItem {
        var item = S.item(id, price: "29.99")
        item.title = title
        item.category = "Apparel"
        return item
    }

    @Test("Only unknown items: written to, the audit note names them, no picks or recommendations built on them")
    func unknownItemsAreWritten() async throws {
        let plan = try plan([unknown("prod_456", "Organic Cotton T-Shirt"), unknown("prod_789", "Reusable Bottle")])
        guard case .write(let message) = plan.action else {
            Issue.record("expected a message, got \(plan.action)")
            return
        }
        #expect(plan.note?.facts["not_in_catalog"] == .array([.string("prod_456"), .string("prod_789")]))
        #expect(plan.note?.facts["recommendations"] == .array([]))
        #expect(message.context.items.allSatisfy { $0.notInCatalog == true })
        #expect(message.context.soldOut.isEmpty)

        let prompt = try PromptLibrary().prompt("cart_abandoned", context: message.context)
        let draft = try DraftDecoder.decode(try await OfflineCopywriter().complete(prompt))
            .resolvingCheckoutLink(message.callToActionURL)
        #expect(draft.productPicks.isEmpty)
        #expect(draft.blocks.allSatisfy { $0.productID == nil })
        #expect(draft.blocks.contains { $0.text.contains("Organic Cotton T-Shirt") && $0.text.contains("$29.99") })
        let findings = DraftValidator(policy: ContentPolicy(), brand: .northwind).validate(draft, facts: message.checks)
        #expect(findings.errors.isEmpty, "\(findings.errors)")
    }

    @Test("A known sold-out item is still not featured, and a cart of only those is unavailable")
    func soldOutStillStops() throws {
        let plan = try plan([S.item("gone", price: "20.00")])
        guard case .stop(let verdict) = plan.action else {
            Issue.record("expected a stop, got \(plan.action)")
            return
        }
        #expect(verdict.code == .cartUnavailable)
        let mixed = try self.plan([S.item("gone", price: "20.00"), unknown("prod_456", "Organic Cotton T-Shirt")])
        guard case .write(let message) = mixed.action else {
            Issue.record("expected a message, got \(mixed.action)")
            return
        }
        #expect(message.context.soldOut.count == 1)
        #expect(message.context.items.map(\.productID) == ["prod_456"])
    }
}

@Suite("Inventory apology alternatives across currencies")
struct AlternativesCurrencyTests {
    typealias S = StageFixtures

    @Test("Alternatives closest in price are found in the catalog's currency, not against a EUR line price")
    func closenessInCatalogCurrency() throws {
        var products = S.products
        products.append(S.product("wool", "Wool Sock", "Socks", "25.00"))
        products.append(S.product("thick", "Expedition Sock", "Socks", "60.00"))
        let catalog = Catalog(
            products: Dictionary(uniqueKeysWithValues: products.map { ($0.id, $0) }),
            coPurchases: CoPurchaseIndex(orders: []))
        // The customer paid EUR 59.00 for the USD 22.00 Merino Sock.
        var line = S.item("sock", price: "59.00")
        line.price = try #require(Money(parsing: "59.00", currency: "EUR"))
        line.category = "Socks"
        let order = PlacedOrder(
            id: "o-9", name: "#o-9", customerID: "c1", currency: "EUR", lines: [line], subtotal: line.price,
            total: line.price, shippingMethod: nil, discountCodes: [], createdAt: S.now - 3600,
            financialStatus: "paid", isComplete: true, cancelledAt: S.now, cancelReason: .inventory,
            refunded: line.price, statusURL: nil)
        let situation = OrderSituation(
            order, enrichment: EnrichedCustomer(catalog: catalog, record: nil, profile: S.profile(orders: [])))
        let picks = OrderCancelledPlanner.alternatives(for: situation).map(\.product.id)
        #expect(Array(picks.prefix(2)) == ["wool", "liner"])
    }
}
