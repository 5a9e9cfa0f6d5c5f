import Foundation

/// The post-purchase series for a new order: a thank-you at once, a getting-started note when the
/// order should arrive, a review request some days after that, and, with marketing consent only,
/// recommendations that go with what was bought. Every message carries the order's series key, so
/// a later cancellation can stop the ones not sent yet.
struct OrderCreatedPlanner: FlowPlanner {
    /// Guards (incomplete or cancelled order, timing, series already planned, consent when the
    /// configuration asks for it, a recipient), enrichment and the series.
    func plan(_ event: LifecycleEvent, in context: FlowContext) async throws -> FlowResult {
        let settings = context.settings
        let now = context.now
        let lookback = now.addingTimeInterval(-settings.window - 86_400)
        let handledKey = OrderSituation.key(.orderCreated, event)
        if try context.hasFinalOutcome(forKey: handledKey, since: lookback) {
            return .stop(
                GuardVerdict(.orderAlreadyHandled, "the series for order \(event.subject.id) was already planned"))
        }
        // A cancellation handled before this event (a late or retried order-created) wins.
        if try context.hasFinalOutcome(forKey: OrderSituation.cancelledKey(event), since: lookback) {
            return .stop(
                GuardVerdict(.orderCancelled, "the cancellation of order \(event.subject.id) was already handled"))
        }
        let platform = try context.platform(for: event)
        guard let order = try await OrderSituation.resolveOrder(event, platform: platform, in: context) else {
            return .stop(GuardVerdict(.orderUnavailable, "order \(event.subject.id) does not exist on the platform"))
        }
        guard order.isComplete else {
            // BigCommerce announces an order before its checkout completes. Retryable: a redelivery
            // (SQS, within the window) finds it complete and plans the series then.
            return .stop(
                GuardVerdict(
                    .incompleteOrder, "order \(order.id) is incomplete: the checkout was never finished",
                    retryable: true))
        }
        if let cancelledAt = order.cancelledAt {
            return .stop(
                GuardVerdict(.orderCancelled, "order \(order.id) was cancelled at \(ISO8601.format(cancelledAt))"))
        }
        if let verdict = OrderSituation.checkTiming(order.createdAt, what: "order", settings: settings, now: now) {
            return .stop(verdict)
        }
        let situation = try await OrderSituation.enrich(order, event: event, platform: platform, in: context)
        let profile = situation.profile
        let marketing = profile.consent == .subscribed
        if settings.requiresConsent, !marketing {
            return .stop(GuardVerdict(.noConsent, "flows.orderCreated.require_consent is set and consent is missing"))
        }
        guard let email = profile.email else {
            return .stop(GuardVerdict(.noRecipient, "the platform has no email address for this customer"))
        }

        let configuration = context.configuration
        let soldOut = situation.soldOutLines
        // Follow-ups go out at a civil hour of the shop's day (the order's own offset), not at
        // whatever time of night the order happened to be placed.
        let offset = order.utcOffset ?? 0
        let transit = Self.transitDays(order.shippingMethod)
        let delivery = Self.morning(of: order.createdAt, plusDays: transit, utcOffset: offset)
        let reviewAt = Self.morning(
            of: order.createdAt, plusDays: transit + settings.reviewRequestDays, utcOffset: offset)
        let recommendations =
            marketing ? Recommender().recommend(for: situation.lines, profile: profile, catalog: situation.catalog) : []
        try context.record(
            "insights",
            [
                "order": .string(order.id), "ordinal": situation.ordinal.map(JSONValue.int) ?? .null,
                "expected_delivery": .string(Self.localDay(delivery, utcOffset: offset)),
                "marketing_consent": .bool(marketing),
                "recommendations": .array(recommendations.map { .string($0.product.id) }),
                "sold_out_since": .array(soldOut.map { .string($0.productID) }),
            ])

        struct Step {
            var name: String
            var sendAt: Date
            var link: String
            var daysAfterDelivery: Int? = nil
            var transactional = true
            var recommendations: [Recommendation] = []
        }
        let leadPage = situation.lines.first { !soldOut.contains($0) }.flatMap {
            situation.catalog[$0.productID]?.url
        }
        var steps = [
            Step(
                name: "thank_you", sendAt: order.createdAt,
                link: OrderSituation.link(order.statusURL, fallback: "/account/orders", configuration: configuration)),
            Step(
                name: "getting_started", sendAt: delivery,
                link: OrderSituation.link(leadPage, fallback: "/pages/care", configuration: configuration)),
            Step(
                name: "review_request", sendAt: reviewAt,
                link: OrderSituation.link(
                    leadPage.map { $0 + "#reviews" }, fallback: "/account/orders", configuration: configuration),
                daysAfterDelivery: settings.reviewRequestDays),
        ]
        if !recommendations.isEmpty {
            steps.append(
                Step(
                    name: "recommendations", sendAt: reviewAt.addingTimeInterval(7 * 86_400),
                    link: configuration.brand.storefrontURL, transactional: false, recommendations: recommendations))
        }
        let messages = steps.map { step in
            let promptContext = PromptContext(
                eventID: event.id, flow: .orderCreated, step: step.name, brand: configuration.brand, profile: profile,
                order: situation.facts(
                    expectedDelivery: Self.localDay(delivery, utcOffset: offset),
                    daysAfterDelivery: step.daysAfterDelivery),
                items: situation.lines, soldOut: soldOut, recommendations: step.recommendations, offer: nil,
                subjectMaxLength: configuration.policy.subjectMaxLength, now: now)
            var message = situation.message(
                step: step.name, promptID: "order_created", context: promptContext, sendAt: step.sendAt, email: email,
                link: step.link, event: event)
            message.isTransactional = step.transactional
            message.seriesKey = OrderSituation.seriesKey(event)
            message.dedupeKeys = [handledKey]
            return message
        }
        return .messages(try await context.compose(series: messages))
    }

    /// The hour of the local day that follow-ups are sent at.
    static let sendHour = 10

    /// `sendHour` o'clock, local time, `days` days after the local day of `date`.
    static func morning(of date: Date, plusDays days: Int, utcOffset: Int) -> Date {
        let local = Int(date.timeIntervalSince1970.rounded(.down)) + utcOffset
        let dayStart = local - ((local % 86_400) + 86_400) % 86_400
        return Date(timeIntervalSince1970: TimeInterval(dayStart + days * 86_400 + sendHour * 3600 - utcOffset))
    }

    /// The local calendar day (yyyy-MM-dd) of `date`.
    static func localDay(_ date: Date, utcOffset: Int) -> String {
        ISO8601.day(date.addingTimeInterval(TimeInterval(utcOffset)))
    }

    /// Days from order to doorstep by the shipping method's title; 5 when it says nothing.
    static func transitDays(_ method: String?) -> Int {
        let text = method?.lowercased() ?? ""
        if text.contains("overnight") || text.contains("next day") { return 1 }
        if text.contains("express") || text.contains("priority") { return 2 }
        if text.contains("economy") || text.contains("free") { return 7 }
        return 5
    }
}
