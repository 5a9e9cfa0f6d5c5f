import Foundation

/// What is likely going on with this cart, and what to show the customer.
package struct Insights: Sendable {
    /// The strongest signal: the one the email answers.
    package var hypothesis: AbandonmentHypothesis
    /// Every signal found, strongest first (the hypothesis is the first).
    package var signals: [AbandonmentHypothesis]
    /// Products to suggest, best first; at most the recommender's limit, possibly none.
    package var recommendations: [Recommendation]

    /// Creates insights from the hypothesis, all signals (hypothesis first) and recommendations.
    package init(hypothesis: AbandonmentHypothesis, signals: [AbandonmentHypothesis], recommendations: [Recommendation])
    {
        self.hypothesis = hypothesis
        self.signals = signals
        self.recommendations = recommendations
    }
}

/// Why the cart was probably left, with the evidence behind the guess.
package struct AbandonmentHypothesis: Sendable, Hashable {
    /// The reason, written in snake_case ("shipping_cost") in prompts and the audit.
    package enum Kind: String, Sendable, Hashable, CaseIterable {
        case shippingCost = "shipping_cost"
        case priceAboveUsualSpend = "price_above_usual_spend"
        case discountCodeFailed = "discount_code_failed"
        case sizeUncertainty = "size_uncertainty"
        case firstPurchaseHesitation = "first_purchase_hesitation"
        case waitingForDiscount = "waiting_for_discount"
        case distracted
    }

    /// Which reason this is.
    package var kind: Kind
    /// 0 to 100: how strongly the evidence points here.
    package var strength: Int
    /// Facts in plain words, for the prompt and the audit ("shipping is 23% of the subtotal").
    package var evidence: [String]

    /// Creates a hypothesis; `strength` runs from 0 to 100.
    package init(kind: Kind, strength: Int, evidence: [String]) {
        self.kind = kind
        self.strength = strength
        self.evidence = evidence
    }
}

/// A product to suggest, and why.
package struct Recommendation: Sendable, Hashable {
    /// The product to suggest, in stock when recommended.
    package var product: Product
    /// Co-purchase similarity, higher is closer.
    package var score: Double
    /// "often bought with Alpine Trek Boots", "popular in Socks".
    package var because: String

    /// Creates a recommendation; `score` is 0 for category best-sellers that fill the list.
    package init(product: Product, score: Double, because: String) {
        self.product = product
        self.score = score
        self.because = because
    }
}
