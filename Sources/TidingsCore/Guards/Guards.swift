import Foundation

/// Why an event is not written to. Each becomes a `suppressed` or `duplicate` outcome.
package struct GuardVerdict: Sendable, Hashable {
    /// Which guard stopped the event; the raw value opens the outcome's reason.
    package enum Code: String, Sendable, Hashable {
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
        /// The recipient unsubscribed (one-click link or an ESP's unsubscribe): no marketing.
        case unsubscribed
        /// The recipient's address bounced permanently: no marketing.
        case hardBounce = "hard_bounce"
        /// The recipient marked a message as spam: no marketing.
        case complaint
        /// The platform has no customer with the event's id (deleted between the webhook and the
        /// lookup) and the payload states no consent of its own: there is no one to ask, and
        /// retrying cannot bring the customer back.
        case customerDeleted = "customer_deleted"
        /// The customer already had as many marketing messages in the window as the frequency
        /// cap allows (`FrequencyCap`); transactional messages are never capped.
        case frequencyCap = "frequency_cap"
    }

    /// Which guard stopped the event.
    package var code: Code
    /// The facts behind the verdict, in plain words ("the checkout was completed at ...").
    package var detail: String
    /// Whether handling the same event later can change the answer (too soon, an order not
    /// complete yet).
    package var isRetryable: Bool
    /// Keys the terminal record remembers even though nothing was written (an order's
    /// cancellation, so that a late order-created event for it plans no series).
    package var rememberedKeys: [String]

    /// Creates a verdict; set `retryable` only when a later delivery of the same event can be
    /// answered differently.
    package init(_ code: Code, _ detail: String, retryable: Bool = false, rememberedKeys: [String] = []) {
        self.code = code
        self.detail = detail
        self.isRetryable = retryable
        self.rememberedKeys = rememberedKeys
    }

    /// "too_soon: …", as results and the audit show it.
    package var reason: String { "\(code.rawValue): \(detail)" }
}

/// The guards of every flow: each check takes the values it needs and returns the verdict that
/// stops the event, or nil. Planners call them in their flow's order; nothing here reads the
/// audit or the platform (remembered keys arrive as booleans).
package struct Guards: Sendable {
    /// The flow's delay, window and consent rule.
    package var settings: FlowSettings

    /// A customer the event names by id whom the platform no longer has: stops the event when the
    /// payload carries no consent of its own (BigCommerce's thin webhooks never do), since the
    /// platform's record was the only source of consent, names and history. A guest (no id) and a
    /// payload that states consent (Shopify's checkouts) go on as before.
    package static func checkCustomerFound(
        _ reference: CustomerReference, record: CustomerRecord?, platform: EventPlatform
    ) -> GuardVerdict? {
        guard let id = reference.id, record == nil, reference.consent == .unknown else { return nil }
        return GuardVerdict(
            .customerDeleted,
            "\(platform.rawValue) has no customer \(id) (deleted after the webhook was sent); nothing to write to")
    }

    /// Creates the guards of a flow.
    package init(settings: FlowSettings) {
        self.settings = settings
    }

    /// The same event (by id) already reached a final outcome: a redelivery.
    package static func checkDuplicate(_ eventID: String, remembered: Bool) -> GuardVerdict? {
        remembered ? GuardVerdict(.duplicate, "event \(eventID) already reached a final outcome") : nil
    }

    /// Stale (older than the window) or too soon (younger than the delay, retryable), for anything
    /// timed: a cart by its last activity, an order, a cancellation, a lapse report or a scan.
    /// `what` names it in the reason ("the cart is 3 h old; ...").
    package func checkTiming(_ what: String, at time: Date, now: Date) -> GuardVerdict? {
        var age = now.timeIntervalSince(time)
        if age < 0 {
            // A sender's clock a little ahead of ours is not a reason to wait; an event dated well
            // in the future is, and says so rather than "0 min old".
            guard -age <= Self.clockSkewTolerance else {
                return GuardVerdict(
                    .tooSoon,
                    "the \(what) is dated \(Self.describe(-age)) in the future; handled once that time has come",
                    retryable: true)
            }
            age = 0
        }
        if age > settings.window {
            return GuardVerdict(
                .stale, "the \(what) is \(Self.describe(age)) old; the window is \(Self.describe(settings.window))")
        }
        if age < settings.delay {
            return GuardVerdict(
                .tooSoon,
                "the \(what) is \(Self.describe(age)) old; wait until \(Self.describe(settings.delay)) have passed",
                retryable: true)
        }
        return nil
    }

    /// How far ahead of this machine's clock an event may be dated and still count as just now.
    static let clockSkewTolerance: TimeInterval = 300

    /// Someone to write to: an address, and one Tidings can deliver to. A platform's record may
    /// hold an address the renderer must refuse (a non-ASCII local part needs SMTPUTF8); that is
    /// nobody to write to, said with the reason, not a failed event (the address is not repeated).
    package static func checkRecipient(_ profile: CustomerProfile) -> GuardVerdict? {
        guard let email = profile.email else { return noRecipient }
        return checkDeliverable(email)
    }

    /// An address the email service cannot take, as a `no_recipient` verdict; nil when it can.
    package static func checkDeliverable(_ email: String) -> GuardVerdict? {
        do {
            _ = try EmailAddress(email)
            return nil
        } catch {
            return GuardVerdict(.noRecipient, "the customer's address cannot be written to: \(error)")
        }
    }

    /// The platform knows no address for the customer.
    package static let noRecipient = GuardVerdict(.noRecipient, "the platform has no email address for this customer")

    static func describe(_ interval: TimeInterval) -> String {
        let minutes = Int(interval / 60)
        if minutes < 120 { return "\(minutes) min" }
        if minutes < 48 * 60 { return "\(minutes / 60) h" }
        return "\(minutes / 1440) days"
    }
}
