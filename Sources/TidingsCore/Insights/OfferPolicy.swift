import Foundation

/// An incentive the flow decided on, within the configured caps.
package struct Offer: Sendable, Hashable {
    /// Percent off or free shipping.
    package var kind: DraftOffer.Kind
    /// Whole percent off; 0 for free shipping.
    package var percent: Int
    /// The code the customer enters at checkout.
    package var code: String
    /// When the code stops working; the policy sets it `validity` after the event is handled.
    package var expiresAt: Date

    /// Creates an offer; `percent` is a whole number and 0 for free shipping.
    package init(kind: DraftOffer.Kind, percent: Int, code: String, expiresAt: Date) {
        self.kind = kind
        self.percent = percent
        self.code = code
        self.expiresAt = expiresAt
    }
}

/// Decides the offer by hypothesis, tier and cart value, capped per tier by configuration.
package struct OfferPolicy: Sendable {
    /// The caps and thresholds from configuration.
    package var policy: ContentPolicy
    /// How long an offer stays valid.
    package var validity: TimeInterval = 48 * 3600

    /// Creates a policy with the configured caps and a 48-hour validity.
    package init(policy: ContentPolicy) {
        self.policy = policy
    }

    /// The cap in whole percent for a tier; unnamed tiers get none.
    package func cap(for tier: String) -> Int { policy.discountCaps[tier] ?? 0 }

    /// The offer for this cart, or nil when an incentive would not answer the hypothesis (sizing,
    /// distraction) or would teach a discount-seeker to wait.
    package func offer(
        hypothesis: AbandonmentHypothesis, profile: CustomerProfile, cart: Cart, eventID: String, now: Date
    ) -> Offer? {
        let cap = cap(for: profile.tier)
        let code = Self.code(eventID: eventID)
        let expiry = now.addingTimeInterval(validity)
        switch hypothesis.kind {
        case .shippingCost:
            guard cart.subtotal.amount >= policy.freeShippingThreshold else { return nil }
            return Offer(kind: .freeShipping, percent: 0, code: "SHIP-" + code, expiresAt: expiry)
        case .priceAboveUsualSpend, .firstPurchaseHesitation, .discountCodeFailed:
            var percent = profile.tier == "vip" ? 15 : 10
            if cart.total.amount >= 300 { percent += 5 }
            percent = min(percent, cap)
            guard percent > 0 else { return nil }
            return Offer(kind: .percentOff, percent: percent, code: "SAVE\(percent)-" + code, expiresAt: expiry)
        case .sizeUncertainty, .distracted, .waitingForDiscount:
            return nil
        }
    }

    /// The incentive of a win-back after a cancelled order, by the customer's value: more for those
    /// who spent more, within the tier's cap; a new customer gets free shipping rather than a
    /// discount. Valid a week: there is no cart waiting, so two days would be pressure.
    package func winBackOffer(profile: CustomerProfile, eventID: String, now: Date) -> Offer? {
        let code = Self.code(eventID: eventID)
        let expiry = now.addingTimeInterval(7 * 86_400)
        let percent: Int
        switch profile.tier {
        case "vip": percent = 15
        case "loyal": percent = 10
        case "regular": percent = 5
        default: return Offer(kind: .freeShipping, percent: 0, code: "SHIP-" + code, expiresAt: expiry)
        }
        let capped = min(percent, cap(for: profile.tier))
        guard capped > 0 else { return nil }
        return Offer(kind: .percentOff, percent: capped, code: "BACK\(capped)-" + code, expiresAt: expiry)
    }

    /// A short code derived from the event, so a replay offers the same code.
    static func code(eventID: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in eventID.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var text = ""
        for _ in 0..<6 {
            text.append(alphabet[Int(hash % UInt64(alphabet.count))])
            hash /= UInt64(alphabet.count)
        }
        return text
    }
}
