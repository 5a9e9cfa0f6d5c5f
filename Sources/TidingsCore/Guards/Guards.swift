import Foundation

/// Why an event is not written to. Each becomes a `suppressed` or `duplicate` outcome.
public struct GuardVerdict: Sendable, Hashable {
    /// Which guard stopped the event; the raw value opens the outcome's reason.
    public enum Code: String, Sendable, Hashable {
        case duplicate
        case noConsent = "no_consent"
        case alreadyConverted = "already_converted"
        case tooSoon = "too_soon"
        case stale
        case noRecipient = "no_recipient"
        /// An earlier event about the same cart already got its email (Shopify sends many
        /// checkouts/update webhooks for one checkout, each with its own event id).
        case cartAlreadyHandled = "cart_already_handled"
        /// Nothing in the cart can be bought any more.
        case cartUnavailable = "cart_unavailable"
        /// The order's series (or the answer to its cancellation) was already planned.
        case orderAlreadyHandled = "order_already_handled"
        /// The platform has no such order.
        case orderUnavailable = "order_unavailable"
        /// BigCommerce fires order-created for checkouts that never completed (status 0).
        case incompleteOrder = "incomplete_order"
        /// The order was cancelled before its series was planned.
        case orderCancelled = "order_cancelled"
        /// A status change that is not a cancellation, sent to orderCancelled.
        case notCancelled = "not_cancelled"
        /// The shop cancelled the order as fraud: never emailed.
        case fraud
        /// The customer cancelled another order within days: no win-back on top.
        case repeatCancellation = "repeat_cancellation"
        /// A lapsed customer who is not one to write to (no standing purchase, not selected).
        case notLapsed = "not_lapsed"
        /// Win-back wrote to the customer within the quiet period.
        case recentlyWritten = "recently_written"
    }

    /// Which guard stopped the event.
    public var code: Code
    /// The facts behind the verdict, in plain words ("the checkout was completed at ...").
    public var detail: String
    /// Whether handling the same event later can change the answer (too soon, an order not
    /// complete yet).
    public var isRetryable: Bool
    /// Keys the terminal record remembers even though nothing was written (an order's
    /// cancellation, so that a late order-created event for it plans no series).
    public var rememberedKeys: [String]

    /// Creates a verdict; set `retryable` only when a later delivery of the same event can be
    /// answered differently.
    public init(_ code: Code, _ detail: String, retryable: Bool = false, rememberedKeys: [String] = []) {
        self.code = code
        self.detail = detail
        self.isRetryable = retryable
        self.rememberedKeys = rememberedKeys
    }

    /// "too_soon: …", as results and the audit show it.
    public var reason: String { "\(code.rawValue): \(detail)" }
}

/// The guards of a flow. Cheap ones look only at the event; the others need the profile.
public struct Guards: Sendable {
    /// The flow's delay, window and consent rule.
    public var settings: FlowSettings

    /// Creates the guards of a flow.
    public init(settings: FlowSettings) {
        self.settings = settings
    }

    /// A cart the payload carries: stale, too soon, or a checkout already completed. A thin
    /// payload's cart is timed after enrichment (`checkTiming`), by its own last activity rather
    /// than the webhook's time.
    public func checkCart(_ cart: Cart, now: Date) -> GuardVerdict? {
        if let verdict = checkTiming(abandonedAt: cart.abandonedAt, now: now) { return verdict }
        if let completedAt = cart.completedAt {
            return GuardVerdict(.alreadyConverted, "the checkout was completed at \(ISO8601.format(completedAt))")
        }
        return nil
    }

    /// Stale (older than the window) or too soon (younger than the delay, retryable).
    public func checkTiming(abandonedAt: Date, now: Date) -> GuardVerdict? {
        let age = now.timeIntervalSince(abandonedAt)
        if age > settings.window {
            return GuardVerdict(
                .stale, "the cart is \(Self.describe(age)) old; the window is \(Self.describe(settings.window))")
        }
        if age < settings.delay {
            return GuardVerdict(
                .tooSoon,
                "the cart is \(Self.describe(max(0, age))) old; wait until \(Self.describe(settings.delay)) have passed",
                retryable: true)
        }
        return nil
    }

    /// Consent, an order placed after the cart was abandoned, and someone to write to.
    public func checkCustomer(_ profile: CustomerProfile, cart: Cart) -> GuardVerdict? {
        if settings.requiresConsent, profile.consent != .subscribed {
            let state = profile.consent == .unknown ? "unknown" : "not subscribed"
            return GuardVerdict(.noConsent, "marketing consent is \(state); this flow requires it")
        }
        if let order = profile.orders.first(where: { $0.createdAt > cart.abandonedAt && $0.cancelledAt == nil }) {
            return GuardVerdict(
                .alreadyConverted, "order \(order.id) was placed at \(ISO8601.format(order.createdAt)), after the cart")
        }
        if profile.email == nil {
            return GuardVerdict(.noRecipient, "the platform has no email address for this customer")
        }
        return nil
    }

    static func describe(_ interval: TimeInterval) -> String {
        let minutes = Int(interval / 60)
        if minutes < 120 { return "\(minutes) min" }
        if minutes < 48 * 60 { return "\(minutes / 60) h" }
        return "\(minutes / 1440) days"
    }
}
