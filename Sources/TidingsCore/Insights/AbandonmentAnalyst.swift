import Foundation

/// Forms the abandonment hypothesis from the cart and the customer's history.
package struct AbandonmentAnalyst: Sendable {
    /// Shipping at or above this share of the subtotal counts as a reason to leave.
    package var shippingShareThreshold: Decimal = 0.12
    /// A cart at or above this multiple of the customer's usual order counts as a price shock.
    package var priceShockMultiple: Decimal = 2

    /// Creates an analyst with the default thresholds.
    package init() {}

    /// Every reason the cart may have been left, strongest first; never empty (`.distracted` when nothing else fits).
    package func hypotheses(cart: Cart, profile: CustomerProfile) -> [AbandonmentHypothesis] {
        var found: [AbandonmentHypothesis] = []

        if let shipping = cart.shipping, shipping.amount > 0 {
            let share = shipping.share(of: cart.subtotal)
            if share >= shippingShareThreshold {
                found.append(
                    AbandonmentHypothesis(
                        kind: .shippingCost, strength: min(95, 50 + share.wholePercent),
                        evidence: [
                            "shipping of \(shipping.display) is \(share.wholePercent)% of the \(cart.subtotal.display) subtotal"
                        ]))
            }
        }
        let failedCodes = cart.discountCodes.filter { $0.amount.amount == 0 }
        if !failedCodes.isEmpty {
            found.append(
                AbandonmentHypothesis(
                    kind: .discountCodeFailed, strength: 85,
                    evidence: failedCodes.map {
                        "the code \(PromptContext.data($0.code, limit: 32)) was entered but took nothing off"
                    }))
        }
        // The usual order is in the shop's currency; a cart in another is not compared with it.
        if profile.orderCount >= 2, let average = profile.averageOrderValue, average.amount > 0,
            average.currency == cart.total.currency
        {
            let multiple = cart.total.share(of: average)
            if multiple >= priceShockMultiple {
                found.append(
                    AbandonmentHypothesis(
                        kind: .priceAboveUsualSpend, strength: min(90, 40 + (multiple * 10).wholePercent / 100),
                        evidence: [
                            "the cart total \(cart.total.display) is \(Self.times(multiple)) the customer's usual order of \(average.display)"
                        ]))
            }
        }
        // Titles and codes are what customers and merchants typed: evidence carries them only as
        // inert data (PII masked, length capped), because it reaches the audit and the prompt.
        var variantsByProduct: [String: Set<String>] = [:]
        var titles: [String: String] = [:]
        for item in cart.items {
            variantsByProduct[item.productID, default: []].insert(
                PromptContext.data(item.variantTitle ?? item.variantID ?? "", limit: 40))
            titles[item.productID] = PromptContext.data(item.title, limit: 80)
        }
        for (productID, variants) in variantsByProduct.sorted(by: { $0.key < $1.key }) where variants.count >= 2 {
            let sizes = variants.sorted().joined(separator: ", ")
            found.append(
                AbandonmentHypothesis(
                    kind: .sizeUncertainty, strength: 80,
                    evidence: [
                        "\(variants.count) variants of \(titles[productID] ?? productID) (\(sizes)) are in the cart"
                    ]))
        }
        if profile.orderCount == 0 {
            found.append(
                AbandonmentHypothesis(
                    kind: .firstPurchaseHesitation, strength: 60,
                    evidence: ["no earlier orders: this would be the first purchase"]))
        } else if profile.orderCount >= 3, profile.discountedOrderShare >= 0.6 {
            found.append(
                AbandonmentHypothesis(
                    kind: .waitingForDiscount, strength: 55,
                    evidence: ["\(profile.discountedOrderShare.wholePercent)% of past orders used a discount code"]))
        }
        if found.isEmpty {
            found.append(
                AbandonmentHypothesis(
                    kind: .distracted, strength: 30,
                    evidence: ["no price, shipping or sizing signal: most likely interrupted"]))
        }
        return found.sorted { ($0.strength, $1.kind.rawValue) > ($1.strength, $0.kind.rawValue) }
    }

    static func times(_ multiple: Decimal) -> String {
        let tenths = (multiple * 10).wholePercent / 100
        return "\(tenths / 10).\(tenths % 10)×"
    }
}
