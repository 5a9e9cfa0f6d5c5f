import Foundation

extension Guards {
    /// An earlier event about the same cart already got its email (Shopify sends many
    /// checkouts/update webhooks for one checkout).
    package func checkCartHandled(_ cartID: String, remembered: Bool) -> GuardVerdict? {
        remembered ? cartHandled(cartID) : nil
    }

    /// The verdict of a cart that already had its email, whether the audit remembers it or the
    /// state store's claim on the cart answers.
    package func cartHandled(_ cartID: String) -> GuardVerdict {
        GuardVerdict(
            .cartAlreadyHandled,
            "cart \(cartID) already had its email within the last \(Self.describe(settings.window))")
    }

    /// A cart the payload carries: stale, too soon, or a checkout already completed. A thin
    /// payload's cart is timed once the platform returned it (`checkResolvedCart`), by its own last
    /// activity rather than the webhook's time.
    package func checkCart(_ cart: Cart, now: Date) -> GuardVerdict? {
        if let verdict = checkTiming("cart", at: cart.abandonedAt, now: now) { return verdict }
        if let completedAt = cart.completedAt {
            return GuardVerdict(.alreadyConverted, "the checkout was completed at \(Timestamp.format(completedAt))")
        }
        return nil
    }

    /// A thin payload's cart as the platform returned it: gone (converted or deleted), or timed by
    /// its own last activity.
    package func checkResolvedCart(_ cart: Cart?, cartID: String, now: Date) -> GuardVerdict? {
        guard let cart else {
            return GuardVerdict(
                .alreadyConverted, "cart \(cartID) no longer exists on the platform (converted or deleted)")
        }
        return checkTiming("cart", at: cart.abandonedAt, now: now)
    }

    /// Consent, an order placed after the cart was abandoned, and someone to write to.
    package func checkCustomer(_ profile: CustomerProfile, cart: Cart) -> GuardVerdict? {
        if settings.requiresConsent, profile.consent != .subscribed {
            let state = profile.consent == .unknown ? "unknown" : "not subscribed"
            return GuardVerdict(.noConsent, "marketing consent is \(state); this flow requires it")
        }
        if let order = profile.orders.first(where: { $0.createdAt > cart.abandonedAt && $0.cancelledAt == nil }) {
            return GuardVerdict(
                .alreadyConverted,
                "order \(order.id) was placed at \(Timestamp.format(order.createdAt)), after the cart")
        }
        return Self.checkRecipient(profile)
    }

    /// Something in the cart can still be bought (sold-out items are mentioned, never featured).
    package func checkStock(_ cart: Cart, soldOut: [CartItem]) -> GuardVerdict? {
        guard soldOut.count == cart.items.count else { return nil }
        return GuardVerdict(.cartUnavailable, "nothing in cart \(cart.id) is in stock any more")
    }
}
