import Foundation
import Logging

/// Everything a function needs to know, read once at start from environment variables and an
/// optional JSON file, then never changed. docs/configuration.md lists every key with its default.
package struct Configuration: Sendable {
    /// Where audit/, outbox/, dead-letter/ and review/ live (`TIDINGS_DATA_DIR`, default `.tidings`).
    package var dataDirectory: URL
    /// The recorded shop the embedded commerce platform reads (`TIDINGS_SHOP_DIR`, default `Events/shop`).
    package var shopDirectory: URL
    /// winBack's customer base, a shop whose orders listing is grouped by customer
    /// (`TIDINGS_CUSTOMER_BASE_DIR`, default `Events/winBack/shop`, else the recorded shop).
    package var customerBaseDirectory: URL
    /// How much is logged (`TIDINGS_LOG_LEVEL`, default info).
    package var logLevel: Logger.Level = .info
    /// Bodies larger than this are bad input (`TIDINGS_MAX_BODY_BYTES`, default 262144).
    package var maximumBodyBytes: Int
    /// Key for signing unsubscribe links (`TIDINGS_UNSUBSCRIBE_SECRET` or `…_FILE`). Never logged.
    package var unsubscribeKey: Secret
    /// Sender, links and postal address (the config file's `brand` object; default `Brand.northwind`).
    package var brand: Brand
    /// Content rules every draft is checked against (the config file's `policy` object).
    package var policy: ContentPolicy
    /// When drafts go to a human (the config file's `review` object).
    package var review: ReviewRules
    /// Per-flow timing and consent (the config file's `flows` object); flows not named use defaults.
    package var flows: [FlowKind: FlowSettings]
    /// A pinned "now" (`TIDINGS_NOW`, ISO 8601) for replays and tests; nil uses the wall clock.
    package var pinnedNow: Date?
    /// Secrets that authenticate webhooks (`SHOPIFY_WEBHOOK_SECRET`, `BIGCOMMERCE_WEBHOOK_SECRET`,
    /// or their `_FILE` forms); a platform without one is not checked.
    package var webhookSecrets = WebhookSecrets()
    /// Seals the audit chain with HMAC-SHA256 (`TIDINGS_AUDIT_KEY` or `…_FILE`); nil seals it with
    /// SHA-256, which anyone who can write the files can recompute. Never logged.
    package var auditKey: Secret?
    /// Time an invocation must have left for a model call (`TIDINGS_MODEL_RESERVE_MS`, default
    /// 15000 ms); with less, the offline copywriter writes instead of the model.
    package var modelReserve: TimeInterval = 15
    /// Prices, rate limits and budgets of model calls (the config file's `models` object).
    package var models = ModelGovernanceSettings()
    /// Which writer drafts the email and how to reach it (`TIDINGS_MODEL` and the provider's
    /// variables); the offline copywriter by default.
    package var writer = ModelSettings()
    /// Where finished email goes (`TIDINGS_ESP` and the service's variables); the outbox by default.
    package var email = EmailSettings()
    /// Where the state that spans events lives (`TIDINGS_STATE`): claims, tombstones, counters,
    /// suppression. SQLite under the data folder by default (docs/decisions/state-store.md).
    package var state = StateSettings()
    /// How long a claim on an event holds when the invocation has no deadline (a stdin run, a
    /// replay): `TIDINGS_CLAIM_LEASE_SECONDS`, default 300. Under the Runtime API the lease ends
    /// a little after the invocation's deadline instead. A crashed holder's claim is taken over
    /// after it (docs/decisions/exactly-once.md).
    package var claimLease: TimeInterval = 300
    /// Which commerce platform enrichment reads (`TIDINGS_COMMERCE`): the recorded shop by default,
    /// or a live shop with its settings.
    package var commerce = CommerceSettings()

    /// Creates a configuration from values; `Configuration+Loading` reads one from the environment.
    package init(
        dataDirectory: URL, shopDirectory: URL, customerBaseDirectory: URL? = nil, maximumBodyBytes: Int = 256 * 1024,
        unsubscribeKey: Secret = .development, brand: Brand = .northwind, policy: ContentPolicy = ContentPolicy(),
        review: ReviewRules = ReviewRules(), flows: [FlowKind: FlowSettings] = FlowSettings.defaults
    ) {
        self.dataDirectory = dataDirectory
        self.shopDirectory = shopDirectory
        self.customerBaseDirectory = customerBaseDirectory ?? shopDirectory
        self.maximumBodyBytes = maximumBodyBytes
        self.unsubscribeKey = unsubscribeKey
        self.brand = brand
        self.policy = policy
        self.review = review
        self.flows = flows
    }

    /// The settings of one flow, defaults when the configuration names none.
    package func settings(for flow: FlowKind) -> FlowSettings {
        flows[flow] ?? FlowSettings.defaults[flow] ?? FlowSettings()
    }
}

/// The secrets that authenticate webhook deliveries, one per platform.
package struct WebhookSecrets: Sendable {
    /// The Shopify app's client secret: the key of `X-Shopify-Hmac-Sha256`.
    package var shopify: Secret?
    /// The value BigCommerce sends in the `X-Tidings-Webhook-Secret` header set at hook creation.
    package var bigcommerce: Secret?

    /// Creates the set; nil leaves a platform unchecked.
    package init(shopify: Secret? = nil, bigcommerce: Secret? = nil) {
        self.shopify = shopify
        self.bigcommerce = bigcommerce
    }

    /// Whether any platform's deliveries are checked.
    package var isEmpty: Bool { shopify == nil && bigcommerce == nil }
}

/// A secret value that never prints itself.
package struct Secret: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The secret's bytes (UTF-8 of the configured text), for keying HMACs.
    package let bytes: [UInt8]
    /// True for the built-in development key used when none is configured.
    package let isDevelopmentDefault: Bool

    /// Wraps a configured secret; never pass one that should be logged.
    package init(_ text: String) {
        bytes = Array(text.utf8)
        isDevelopmentDefault = false
    }

    private init(development text: String) {
        bytes = Array(text.utf8)
        isDevelopmentDefault = true
    }

    /// Signs unsubscribe links of local runs; production sets `TIDINGS_UNSUBSCRIBE_SECRET`.
    package static let development = Secret(development: "tidings-development-unsubscribe-key")

    /// Always "<redacted>", so string interpolation cannot leak the secret.
    package var description: String { "<redacted>" }
    /// Always "<redacted>", so debug output cannot leak the secret.
    package var debugDescription: String { "<redacted>" }
}

/// Brand and compliance rules every draft is checked against.
package struct ContentPolicy: Sendable {
    /// Longest subject line accepted, in characters (`policy.subject_max_length`).
    package var subjectMaxLength: Int
    /// Phrases that reject a draft outright (`policy.banned_phrases`), matched case-insensitively.
    package var bannedPhrases: [String]
    /// Phrases a human must see before sending (`policy.regulated_phrases`).
    package var regulatedPhrases: [String]
    /// Highest discount in whole percent per tier (`policy.discount_caps`); tiers not named get 0.
    package var discountCaps: [String: Int]
    /// Cart subtotal from which a shipping-cost hypothesis earns free shipping (`policy.free_shipping_threshold`).
    package var freeShippingThreshold: Decimal

    /// Creates a policy; the defaults are the shipped rules (60-character subjects, caps 10/10/15/20 %).
    package init(
        subjectMaxLength: Int = 60,
        bannedPhrases: [String] = [
            "act now", "risk-free", "risk free", "guaranteed", "100% free", "click here", "once in a lifetime",
            "limited time only", "last chance", "don't miss out", "!!!",
            // Medical claims: a shop's copy must not make them, in any email.
            "clinically proven", "medically proven", "doctor recommended", "doctor-recommended", "cures your",
            "cure for", "heals your", "relieves pain", "pain relief", "treats your",
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
package struct ReviewRules: Sendable {
    /// Customer tiers whose email a human reads first (`review.tiers`, default vip).
    package var tiers: Set<String>
    /// Drafts scoring below this go to review (`review.below_score`, default 80).
    package var belowScore: Int
    /// Offers of at least this many percent go to review (`review.offer_percent_at_least`, default 20).
    package var offerPercentAtLeast: Int
    /// Whether the win-back answer to an order cancelled by the customer (or for another reason)
    /// always goes to review (`review.cancellation_win_backs`, default true): a cancelled order is
    /// a sensitive moment.
    package var cancellationWinBacks: Bool = true

    /// Creates review rules; defaults send vip email, scores below 80 and offers of 20 % or more to review.
    package init(tiers: Set<String> = ["vip"], belowScore: Int = 80, offerPercentAtLeast: Int = 20) {
        self.tiers = tiers
        self.belowScore = belowScore
        self.offerPercentAtLeast = offerPercentAtLeast
    }
}

/// Timing and consent of one flow (`flows.<name>.*`).
package struct FlowSettings: Sendable {
    /// Younger events are too soon: suppressed, retryable (`delay_minutes`).
    package var delay: TimeInterval
    /// Older events are stale (`window_days`).
    package var window: TimeInterval
    /// Whether marketing consent is required (`require_consent`). The order flows are
    /// transactional and ask for consent only for their marketing messages.
    package var requiresConsent: Bool
    /// Days after the expected delivery that the review request goes out (`review_request_days`,
    /// orderCreated only).
    package var reviewRequestDays: Int = 7

    /// Creates flow settings; `delay` and `window` are in seconds (defaults 0 and 7 days).
    package init(delay: TimeInterval = 0, window: TimeInterval = 7 * 86_400, requiresConsent: Bool = true) {
        self.delay = delay
        self.window = window
        self.requiresConsent = requiresConsent
    }

    /// Built-in settings: abandoned carts wait 1 hour, stay eligible 7 days, and need consent; an
    /// order's series is planned within 3 days of the order; a cancellation is answered within 7 days.
    package static let defaults: [FlowKind: FlowSettings] = [
        .cartAbandoned: FlowSettings(delay: 60 * 60, window: 7 * 86_400, requiresConsent: true),
        .orderCreated: FlowSettings(delay: 0, window: 3 * 86_400, requiresConsent: false),
        .orderCancelled: FlowSettings(delay: 0, window: 7 * 86_400, requiresConsent: false),
        .winBack: FlowSettings(delay: 0, window: 7 * 86_400, requiresConsent: true),
    ]
}

/// A configuration that cannot start a function. Names the key.
package struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    /// The configuration key at fault (`TIDINGS_NOW`, `policy.discount_caps`, ...).
    package var key: String
    /// What is wrong with the value and, where it helps, what is expected.
    package var reason: String

    /// Creates an error for a key and its reason.
    package init(key: String, reason: String) {
        self.key = key
        self.reason = reason
    }

    /// "configuration key KEY: REASON", for logs and the exit message.
    package var description: String { "configuration key \(key): \(reason)" }
}
