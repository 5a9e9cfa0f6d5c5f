import Foundation

extension Guards {
    // MARK: orderCreated

    /// The order's series was already planned, or its cancellation already handled (a late or
    /// retried order-created event plans nothing for a cancelled order) or under way: `tombstone`
    /// is when a cancellation marked the order in the state store, nil when none did.
    package func checkOrderRemembered(
        _ orderID: String, seriesPlanned: Bool, cancellationHandled: Bool, cancelledAt tombstone: Date? = nil
    ) -> GuardVerdict? {
        if seriesPlanned {
            return GuardVerdict(.orderAlreadyHandled, "the series for order \(orderID) was already planned")
        }
        if let tombstone {
            return GuardVerdict(
                .orderCancelled, "order \(orderID) was cancelled at \(Timestamp.format(tombstone)) (its tombstone)")
        }
        if cancellationHandled {
            return GuardVerdict(.orderCancelled, "the cancellation of order \(orderID) was already handled")
        }
        return nil
    }

    /// A series handed over while its order was being cancelled (the tombstone appeared before the
    /// re-check): what was withdrawn, and what had gone out already (due at once, like a thank-you).
    package static func cancelledDuringHandOver(
        _ orderID: String, cancelledAt: Date, withdrawn: [String], kept: [String]
    ) -> GuardVerdict {
        var detail =
            "order \(orderID) was cancelled at \(Timestamp.format(cancelledAt)) while its series was handed over; "
            + (withdrawn.isEmpty ? "nothing was left to withdraw" : "withdrew \(withdrawn.joined(separator: ", "))")
        if !kept.isEmpty { detail += "; \(kept.joined(separator: ", ")) had gone out already" }
        return GuardVerdict(.orderCancelled, detail)
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
