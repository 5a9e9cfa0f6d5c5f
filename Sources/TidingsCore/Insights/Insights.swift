import Foundation

/// What is likely going on with this cart, and what to show the customer.
public struct Insights: Sendable {
    /// The strongest signal: the one the email answers.
    public var hypothesis: AbandonmentHypothesis
    /// Every signal found, strongest first (the hypothesis is the first).
    public var signals: [AbandonmentHypothesis]
    /// Products to suggest, best first; at most the recommender's limit, possibly none.
    public var recommendations: [Recommendation]

    /// Creates insights from the hypothesis, all signals (hypothesis first) and recommendations.
    public init(hypothesis: AbandonmentHypothesis, signals: [AbandonmentHypothesis], recommendations: [Recommendation])
    {
        self.hypothesis = hypothesis
        self.signals = signals
        self.recommendations = recommendations
    }
}

/// Why the cart was probably left, with the evidence behind the guess.
public struct AbandonmentHypothesis: Sendable, Hashable {
    /// The reason, written in snake_case ("shipping_cost") in prompts and the audit.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case shippingCost = "shipping_cost"
        case priceAboveUsualSpend = "price_above_usual_spend"
        case discountCodeFailed = "discount_code_failed"
        case sizeUncertainty = "size_uncertainty"
        case firstPurchaseHesitation = "first_purchase_hesitation"
        case waitingForDiscount = "waiting_for_discount"
        case distracted
    }

    /// Which reason this is.
    public var kind: Kind
    /// 0 to 100: how strongly the evidence points here.
    public var strength: Int
    /// Facts in plain words, for the prompt and the audit ("shipping is 23% of the subtotal").
    public var evidence: [String]

    /// Creates a hypothesis; `strength` runs from 0 to 100.
    public init(kind: Kind, strength: Int, evidence: [String]) {
        self.kind = kind
        self.strength = strength
        self.evidence = evidence
    }
}

/// A product to suggest, and why.
public struct Recommendation: Sendable, Hashable {
    /// The product to suggest, in stock when recommended.
    public var product: Product
    /// Co-purchase similarity, higher is closer.
    public var score: Double
    /// "often bought with Alpine Trek Boots", "popular in Socks".
    public var because: String

    /// Creates a recommendation; `score` is 0 for category best-sellers that fill the list.
    public init(product: Product, score: Double, because: String) {
        self.product = product
        self.score = score
        self.because = because
    }
}
