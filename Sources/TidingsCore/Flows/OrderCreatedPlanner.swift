import Foundation

/// The post-purchase series for a new order: a thank-you at once, a getting-started note when the
/// order should arrive, a review request some days after that, and, with marketing consent only,
/// recommendations that go with what was bought. Every message carries the order's series key, so
/// a later cancellation can stop the ones not sent yet.
public struct OrderCreatedPlanner: FlowPlanner {
    /// Creates the planner; it holds no state.
    public init() {}

    /// Guards (incomplete or cancelled order, stale, series already planned, recipient), enrichment
    /// and the series.
    public func plan(_ event: LifecycleEvent, in context: FlowContext) async throws -> FlowResult {
        let settings = context.settings
        let now = context.now
        let handledKey = OrderSituation.key(.orderCreated, event)
        if try context.hasFinalOutcome(forKey: handledKey, since: now.addingTimeInterval(-settings.window - 86_400)) {
            return .stop(
                GuardVerdict(.orderAlreadyHandled, "the series for order \(event.subject.id) was already planned"))
        }
        let platform = try context.platform(for: event)
        guard let order = try await OrderSituation.resolveOrder(event, platform: platform, in: context) else {
            return .stop(GuardVerdict(.orderUnavailable, "order \(event.subject.id) does not exist on the platform"))
        }
        guard order.isComplete else {
            return .stop(
                GuardVerdict(.incompleteOrder, "order \(order.id) is incomplete: the checkout was never finished"))
        }
        if let cancelledAt = order.cancelledAt {
            return .stop(
                GuardVerdict(.orderCancelled, "order \(order.id) was cancelled at \(ISO8601.format(cancelledAt))"))
        }
        let age = now.timeIntervalSince(order.createdAt)
        if age > settings.window {
            return .stop(
                GuardVerdict(
                    .stale,
                    "the order is \(Guards.describe(age)) old; the window is \(Guards.describe(settings.window))"))
        }
        let situation = try await OrderSituation.enrich(order, event: event, platform: platform, in: context)
        let profile = situation.profile
        guard let email = profile.email else {
            return .stop(GuardVerdict(.noRecipient, "the platform has no email address for this customer"))
        }

        let configuration = context.configuration
        let soldOut = situation.lines.filter { situation.catalog[$0.productID]?.isInStock != true }
        let inStock = situation.lines.filter { !soldOut.contains($0) }
        let delivery = order.createdAt.addingTimeInterval(Double(Self.transitDays(order.shippingMethod)) * 86_400)
        let reviewAt = delivery.addingTimeInterval(Double(settings.reviewRequestDays) * 86_400)
        let marketing = profile.consent == .subscribed
        let recommendations =
            marketing ? Recommender().recommend(for: situation.lines, profile: profile, catalog: situation.catalog) : []
        try context.record(
            "insights",
            [
                "order": .string(order.id), "ordinal": .int(situation.ordinal),
                "expected_delivery": .string(ISO8601.day(delivery)),
                "marketing_consent": .bool(marketing),
                "recommendations": .array(recommendations.map { .string($0.product.id) }),
                "sold_out_since": .array(soldOut.map { .string($0.productID) }),
            ])

        struct Step {
            var name: String
            var sendAt: Date
            var link: String
            var daysAfterDelivery: Int?
            var transactional: Bool
            var recommendations: [Recommendation] = []
        }
        let storefront = configuration.brand.storefrontURL
        let leadPage = inStock.first.flatMap { situation.catalog[$0.productID]?.url }
        var steps = [
            Step(
                name: "thank_you", sendAt: order.createdAt,
                link: OrderSituation.link(order.statusURL, fallback: "/account/orders", configuration: configuration),
                transactional: true),
            Step(
                name: "getting_started", sendAt: delivery,
                link: OrderSituation.link(leadPage, fallback: "/pages/care", configuration: configuration),
                transactional: true),
            Step(
                name: "review_request", sendAt: reviewAt,
                link: OrderSituation.link(
                    leadPage.map { $0 + "#reviews" }, fallback: "/account/orders", configuration: configuration),
                daysAfterDelivery: settings.reviewRequestDays, transactional: true),
        ]
        if !recommendations.isEmpty {
            steps.append(
                Step(
                    name: "recommendations", sendAt: reviewAt.addingTimeInterval(7 * 86_400), link: storefront,
                    transactional: false, recommendations: recommendations))
        }
        let series = OrderSituation.seriesKey(event)
        var composed: [ComposedMessage] = []
        for step in steps {
            let promptContext = PromptContext(
                eventID: event.id, flow: .orderCreated, step: step.name, brand: configuration.brand, profile: profile,
                order: situation.facts(expectedDelivery: delivery, daysAfterDelivery: step.daysAfterDelivery),
                items: situation.lines, soldOut: soldOut, recommendations: step.recommendations, offer: nil,
                subjectMaxLength: configuration.policy.subjectMaxLength, now: now)
            var message = situation.message(
                step: step.name, promptID: "order_created", context: promptContext, sendAt: step.sendAt, email: email,
                link: step.link, event: event, featured: situation.lines)
            message.isTransactional = step.transactional
            message.seriesKey = series
            message.dedupeKeys = [handledKey]
            composed.append(try await context.compose(message))
        }
        return .messages(composed)
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
