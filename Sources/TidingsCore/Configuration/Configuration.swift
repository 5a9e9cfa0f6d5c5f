import Foundation

/// Everything a function needs to know, read once at start from environment variables and an
/// optional JSON file, then never changed. docs/configuration.md lists every key with its default.
public struct Configuration: Sendable {
    /// Where audit/, outbox/, dead-letter/ and review/ live (`TIDINGS_DATA_DIR`, default `.tidings`).
    public var dataDirectory: URL
    /// The recorded shop the embedded commerce platform reads (`TIDINGS_SHOP_DIR`, default `Events/shop`).
    public var shopDirectory: URL
    /// Bodies larger than this are bad input (`TIDINGS_MAX_BODY_BYTES`, default 262144).
    public var maximumBodyBytes: Int
    /// Key for signing unsubscribe links (`TIDINGS_UNSUBSCRIBE_SECRET` or `…_FILE`). Never logged.
    public var unsubscribeKey: Secret
    public var brand: Brand
    public var policy: ContentPolicy
    public var review: ReviewRules
    public var flows: [FlowKind: FlowSettings]
    /// A pinned "now" (`TIDINGS_NOW`, ISO 8601) for replays and tests; nil uses the wall clock.
    public var pinnedNow: Date?

    public init(
        dataDirectory: URL, shopDirectory: URL, maximumBodyBytes: Int = 256 * 1024,
        unsubscribeKey: Secret = .development, brand: Brand = .northwind, policy: ContentPolicy = ContentPolicy(),
        review: ReviewRules = ReviewRules(), flows: [FlowKind: FlowSettings] = FlowSettings.defaults
    ) {
        self.dataDirectory = dataDirectory
        self.shopDirectory = shopDirectory
        self.maximumBodyBytes = maximumBodyBytes
        self.unsubscribeKey = unsubscribeKey
        self.brand = brand
        self.policy = policy
        self.review = review
        self.flows = flows
    }

    /// The settings of one flow, defaults when the configuration names none.
    public func settings(for flow: FlowKind) -> FlowSettings {
        flows[flow] ?? FlowSettings.defaults[flow] ?? FlowSettings()
    }
}

/// A secret value that never prints itself.
public struct Secret: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public let bytes: [UInt8]
    /// True for the built-in development key used when none is configured.
    public let isDevelopmentDefault: Bool

    public init(_ text: String) {
        bytes = Array(text.utf8)
        isDevelopmentDefault = false
    }

    private init(development text: String) {
        bytes = Array(text.utf8)
        isDevelopmentDefault = true
    }

    /// Signs unsubscribe links of local runs; production sets `TIDINGS_UNSUBSCRIBE_SECRET`.
    public static let development = Secret(development: "tidings-development-unsubscribe-key")

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
}

/// Brand and compliance rules every draft is checked against.
public struct ContentPolicy: Sendable {
    /// Longest subject line accepted, in characters (`policy.subject_max_length`).
    public var subjectMaxLength: Int
    /// Phrases that reject a draft outright (`policy.banned_phrases`), matched case-insensitively.
    public var bannedPhrases: [String]
    /// Phrases a human must see before sending (`policy.regulated_phrases`).
    public var regulatedPhrases: [String]
    /// Highest discount in whole percent per tier (`policy.discount_caps`); tiers not named get 0.
    public var discountCaps: [String: Int]
    /// Cart subtotal from which a shipping-cost hypothesis earns free shipping (`policy.free_shipping_threshold`).
    public var freeShippingThreshold: Decimal

    public init(
        subjectMaxLength: Int = 60,
        bannedPhrases: [String] = [
            "act now", "risk-free", "risk free", "guaranteed", "100% free", "click here", "once in a lifetime",
            "limited time only", "last chance", "don't miss out", "!!!",
        ],
        regulatedPhrases: [String] = [
            "waterproof guarantee", "lifetime warranty", "clinically", "eco-friendly", "carbon neutral",
            "best price", "lowest price",
        ],
        discountCaps: [String: Int] = ["new": 10, "regular": 10, "loyal": 15, "vip": 20],
        freeShippingThreshold: Decimal = 50
    ) {
        self.subjectMaxLength = subjectMaxLength
        self.bannedPhrases = bannedPhrases
        self.regulatedPhrases = regulatedPhrases
        self.discountCaps = discountCaps
        self.freeShippingThreshold = freeShippingThreshold
    }
}

/// When a draft goes to a human instead of out.
public struct ReviewRules: Sendable {
    /// Customer tiers whose email a human reads first (`review.tiers`, default vip).
    public var tiers: Set<String>
    /// Drafts scoring below this go to review (`review.below_score`, default 80).
    public var belowScore: Int
    /// Offers of at least this many percent go to review (`review.offer_percent_at_least`, default 20).
    public var offerPercentAtLeast: Int

    public init(tiers: Set<String> = ["vip"], belowScore: Int = 80, offerPercentAtLeast: Int = 20) {
        self.tiers = tiers
        self.belowScore = belowScore
        self.offerPercentAtLeast = offerPercentAtLeast
    }
}

/// Timing and consent of one flow (`flows.<name>.*`).
public struct FlowSettings: Sendable {
    /// Younger events are too soon: suppressed, retryable (`delay_minutes`).
    public var delay: TimeInterval
    /// Older events are stale (`window_days`).
    public var window: TimeInterval
    /// Whether marketing consent is required (`require_consent`).
    public var requiresConsent: Bool

    public init(delay: TimeInterval = 0, window: TimeInterval = 7 * 86_400, requiresConsent: Bool = true) {
        self.delay = delay
        self.window = window
        self.requiresConsent = requiresConsent
    }

    public static let defaults: [FlowKind: FlowSettings] = [
        .cartAbandoned: FlowSettings(delay: 60 * 60, window: 7 * 86_400, requiresConsent: true)
    ]
}

/// A configuration that cannot start a function. Names the key.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public var key: String
    public var reason: String

    public init(key: String, reason: String) {
        self.key = key
        self.reason = reason
    }

    public var description: String { "configuration key \(key): \(reason)" }
}
