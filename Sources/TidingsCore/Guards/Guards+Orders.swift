import Foundation

extension Guards {
    // MARK: orderCreated

    /// The order's series was already planned, or its cancellation already handled (a late or
    /// retried order-created event plans nothing for a cancelled order).
    package func checkOrderRemembered(_ orderID: String, seriesPlanned: Bool, cancellationHandled: Bool)
        -> GuardVerdict?
    {
        if seriesPlanned {
            return GuardVerdict(.orderAlreadyHandled, "the series for order \(orderID) was already planned")
        }
        if cancellationHandled {
            return GuardVerdict(.orderCancelled, "the cancellation of order \(orderID) was already handled")
        }
        return nil
    }

    /// An order the platform does not have. `remembered` are the keys a cancellation leaves even so.
    package static func orderUnavailable(_ orderID: String, remembered: [String] = []) -> GuardVerdict {
        GuardVerdict(.orderUnavailable, "order \(orderID) does not exist on the platform", rememberedKeys: remembered)
    }

    /// A new order: incomplete (a BigCommerce checkout not finished yet: retryable, a redelivery
    /// may find it complete), cancelled already, or out of the flow's timing.
    package func checkNewOrder(_ order: PlacedOrder, now: Date) -> GuardVerdict? {
        guard order.isComplete else {
            return GuardVerdict(
                .incompleteOrder, "order \(order.id) is incomplete: the checkout was never finished", retryable: true)
        }
        if let cancelledAt = order.cancelledAt {
            return GuardVerdict(
                .orderCancelled, "order \(order.id) was cancelled at \(Timestamp.format(cancelledAt))")
        }
        return checkTiming("order", at: order.createdAt, now: now)
    }

    /// Consent when the configuration asks for it (the series is transactional otherwise), and an
    /// address.
    package func checkOrderCustomer(_ profile: CustomerProfile) -> GuardVerdict? {
        if settings.requiresConsent, profile.consent != .subscribed {
            return GuardVerdict(.noConsent, "flows.orderCreated.require_consent is set and consent is missing")
        }
        return Self.checkRecipient(profile)
    }

    // MARK: orderCancelled

    /// A BigCommerce status update that is not a cancellation.
    package func checkIsCancellation(_ event: LifecycleEvent) -> GuardVerdict? {
        guard case .order(.reference(_, let change?)) = event.subject,
            change.newStatusID != BigCommerceWire.Order.cancelledStatusID
        else { return nil }
        return GuardVerdict(.notCancelled, "the order's status changed to \(change.newStatusID), not Cancelled (5)")
    }

    /// The cancellation was already answered.
    package func checkCancellationHandled(_ orderID: String, remembered: Bool) -> GuardVerdict? {
        guard remembered else { return nil }
        return GuardVerdict(.orderAlreadyHandled, "the cancellation of order \(orderID) was already answered")
    }

    /// The cancelled order: out of the flow's timing, or fraud (never emailed). `remembered` are
    /// the keys a final verdict leaves, so a late order-created event plans nothing.
    package func checkCancelledOrder(
        _ order: PlacedOrder, cancelledAt: Date, reason: CancelReason, now: Date, remembered: [String]
    ) -> GuardVerdict? {
        if var verdict = checkTiming("cancellation", at: cancelledAt, now: now) {
            if !verdict.isRetryable { verdict.rememberedKeys = remembered }
            return verdict
        }
        if reason == .fraud {
            return GuardVerdict(
                .fraud, "order \(order.id) was cancelled as fraud; fraud is never emailed", rememberedKeys: remembered)
        }
        return nil
    }

    /// After the analysis: an order placed since (an inventory apology is still owed), another
    /// cancellation shortly before (no win-back on top), consent for a win-back (or whenever the
    /// configuration asks), and an address.
    package func checkCancellationAnswer(
        isWinBack: Bool, isApology: Bool, laterOrder: OrderRecord?, recentCancellation: String?,
        repeatWindow: TimeInterval, profile: CustomerProfile, remembered: [String]
    ) -> GuardVerdict? {
        func stop(_ code: GuardVerdict.Code, _ detail: String) -> GuardVerdict {
            GuardVerdict(code, detail, rememberedKeys: remembered)
        }
        if let later = laterOrder, !isApology {
            return stop(
                .alreadyConverted,
                "order \(later.id) was placed at \(Timestamp.format(later.createdAt)), after the cancelled one")
        }
        if let recentCancellation, isWinBack {
            return stop(
                .repeatCancellation,
                "\(recentCancellation) was also cancelled within \(Self.describe(repeatWindow)); no win-back on top")
        }
        if profile.consent != .subscribed, isWinBack || settings.requiresConsent {
            return stop(.noConsent, "a win-back is marketing and the customer has not subscribed")
        }
        if let verdict = Self.checkRecipient(profile) {
            return stop(.noRecipient, verdict.detail)
        }
        return nil
    }
}
