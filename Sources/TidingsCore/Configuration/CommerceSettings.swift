import Foundation

/// Which commerce platform enrichment reads (`TIDINGS_COMMERCE`), read once at start: `recorded`
/// (the default) answers from the recorded shop under `TIDINGS_SHOP_DIR`; `shopify` and
/// `bigcommerce` read a live shop over the network, each configured by its own variables.
package struct CommerceSettings: Sendable {
    /// The value of `TIDINGS_COMMERCE`.
    package enum Source: String, Sendable, CaseIterable {
        /// The recorded shop under Events/shop, answered from files (no network).
        case recorded
        /// A live Shopify shop over the Admin GraphQL API (`ShopifySettings`).
        case shopify
        /// A live BigCommerce store over its V2/V3 REST APIs (`BigCommerce`).
        case bigcommerce
    }

    /// What a live BigCommerce store needs (docs/decisions/bigcommerce-live.md). The token is
    /// never printed.
    package struct BigCommerce: Sendable {
        /// `BIGCOMMERCE_STORE_HASH`: the store's hash, the path segment after `/stores/`.
        package var storeHash: String
        /// `BIGCOMMERCE_ACCESS_TOKEN` (or `…_FILE`): an API account's token, sent only as `X-Auth-Token`.
        package var accessToken: Secret
        /// `BIGCOMMERCE_BASE_URL`, default `https://api.bigcommerce.com`, without a trailing slash;
        /// plain http only for a loopback host (a fake in tests).
        package var baseURL: String
        /// `BIGCOMMERCE_TIMEOUT_SECONDS`: the most seconds one HTTP exchange may take (default 20,
        /// 1 to 60); an invocation's deadline shortens it further.
        package var timeout: TimeInterval
        /// `BIGCOMMERCE_CO_PURCHASES_FILE`: the co-purchase index `tidings shop index` wrote for this
        /// store (default `<TIDINGS_DATA_DIR>/derived/bigcommerce-co-purchases.json`); when the file
        /// is absent the catalog has no co-purchase counts.
        package var coPurchasesFile: String?

        /// Settings from their parts, unchecked (`load` checks what the environment gives).
        package init(
            storeHash: String, accessToken: Secret, baseURL: String = "https://api.bigcommerce.com",
            timeout: TimeInterval = 20, coPurchasesFile: String? = nil
        ) {
            self.storeHash = storeHash
            self.accessToken = accessToken
            self.baseURL = ModelEndpoint.trimmed(baseURL)
            self.timeout = timeout
            self.coPurchasesFile = coPurchasesFile
        }
    }

    /// The chosen platform.
    package var source: Source = .recorded
    /// The Shopify shop's settings when `source` is `.shopify`; nil otherwise.
    package var shopify: ShopifySettings?
    /// The store's settings when `source` is `.bigcommerce`; nil otherwise.
    package var bigCommerce: BigCommerce?

    /// The recorded shop.
    package init() {}

    /// Reads the settings. Throws `ConfigurationError` naming the variable: an unknown
    /// `TIDINGS_COMMERCE`, or what the chosen platform's `load` refuses.
    package static func load(environment: [String: String]) throws(ConfigurationError) -> CommerceSettings {
        var settings = CommerceSettings()
        if let text = environment["TIDINGS_COMMERCE"]?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
            guard let source = Source(rawValue: text.lowercased()) else {
                throw ConfigurationError(
                    key: "TIDINGS_COMMERCE",
                    reason: "'\(text.prefix(40))' is not one of "
                        + Source.allCases.map(\.rawValue).joined(separator: ", "))
            }
            settings.source = source
        }
        switch settings.source {
        case .recorded: break
        case .shopify: settings.shopify = try ShopifySettings.load(environment: environment)
        case .bigcommerce: settings.bigCommerce = try BigCommerce.load(environment: environment)
        }
        return settings
    }

    /// A variable's value without surrounding spaces; empty counts as unset.
    static func value(_ name: String, in environment: [String: String]) -> String? {
        guard let text = environment[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        return text
    }

    /// A live platform's access token from `name` or `name_FILE`, required with that platform. It
    /// travels in a header, so a line break or a control character is refused; never echoed.
    static func token(_ name: String, source: String, environment: [String: String]) throws(ConfigurationError)
        -> Secret
    {
        guard let token = try Configuration.readSecret(name, environment: environment) else {
            throw ConfigurationError(key: name, reason: "required when TIDINGS_COMMERCE=\(source) (or \(name)_FILE)")
        }
        guard token.bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw ConfigurationError(key: name, reason: "must be printable ASCII without spaces")
        }
        return token
    }

    /// The most seconds one HTTP exchange may take, from `name` (1 to 60); nil when unset.
    static func timeout(_ name: String, environment: [String: String]) throws(ConfigurationError) -> TimeInterval? {
        guard let text = value(name, in: environment) else { return nil }
        guard let seconds = Double(text), seconds >= 1, seconds <= 60 else {
            throw ConfigurationError(key: name, reason: "'\(text.prefix(20))' is not a number of seconds from 1 to 60")
        }
        return seconds
    }

    /// Whether an http(s) URL's host is a loopback address (`127.x.x.x`, `localhost`, `[::1]`).
    package static func isLoopback(_ url: String) -> Bool {
        guard let host = URLComponents(string: url)?.host?.lowercased() else { return false }
        return host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }
}

extension CommerceSettings.BigCommerce {
    /// Reads a live store's settings. Throws `ConfigurationError` naming the variable: a missing or
    /// malformed store hash or token, a base URL that is not https (or http to a loopback host), a
    /// timeout outside 1 to 60 seconds.
    package static func load(environment: [String: String]) throws(ConfigurationError) -> Self {
        func value(_ name: String) -> String? { CommerceSettings.value(name, in: environment) }
        guard let hash = value("BIGCOMMERCE_STORE_HASH") else {
            throw ConfigurationError(
                key: "BIGCOMMERCE_STORE_HASH", reason: "required when TIDINGS_COMMERCE=bigcommerce")
        }
        // Store hashes are short lower-case alphanumerics ("nw4x7k2q"); anything else is a typo.
        guard (1...64).contains(hash.count), hash.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw ConfigurationError(key: "BIGCOMMERCE_STORE_HASH", reason: "must be 1 to 64 ASCII letters and digits")
        }
        let token = try CommerceSettings.token(
            "BIGCOMMERCE_ACCESS_TOKEN", source: "bigcommerce", environment: environment)
        var store = Self(storeHash: hash, accessToken: token)
        if let text = value("BIGCOMMERCE_BASE_URL") {
            let url = try Configuration.baseURL(
                text, key: "BIGCOMMERCE_BASE_URL", example: "https://api.bigcommerce.com")
            guard url.lowercased().hasPrefix("https://") || CommerceSettings.isLoopback(url) else {
                throw ConfigurationError(
                    key: "BIGCOMMERCE_BASE_URL",
                    reason: "plain http is allowed only to a loopback host (127.0.0.1, localhost)")
            }
            store.baseURL = url
        }
        if let seconds = try CommerceSettings.timeout("BIGCOMMERCE_TIMEOUT_SECONDS", environment: environment) {
            store.timeout = seconds
        }
        store.coPurchasesFile = value("BIGCOMMERCE_CO_PURCHASES_FILE")
        return store
    }
}

/// How to reach a live Shopify shop (`TIDINGS_COMMERCE=shopify`, docs/decisions/shopify-graphql.md).
/// The token is never printed.
package struct ShopifySettings: Sendable {
    /// `SHOPIFY_SHOP`: the myshopify domain (`northwind-outfitters.myshopify.com`; the handle alone
    /// gets `.myshopify.com` added).
    package var shop: String
    /// `SHOPIFY_ADMIN_TOKEN` (or `SHOPIFY_ADMIN_TOKEN_FILE`): the Admin API access token, sent as
    /// `X-Shopify-Access-Token`.
    package var accessToken: Secret
    /// `SHOPIFY_API_VERSION`, `YYYY-MM`, default `ShopifyGraphQLClient.defaultAPIVersion`.
    package var apiVersion: String = ShopifyGraphQLClient.defaultAPIVersion
    /// `SHOPIFY_BASE_URL`, default `https://{SHOPIFY_SHOP}`; plain http only for a loopback address.
    package var baseURL: String
    /// `SHOPIFY_CONSENT_WRITEBACK=on`: a one-click unsubscribe also sets the customer's email
    /// marketing state to UNSUBSCRIBED in Shopify (needs `write_customers`). Off by default.
    package var consentWriteBack = false
    /// `SHOPIFY_TIMEOUT_SECONDS`: the most seconds one HTTP exchange may take (default 20, 1 to 60).
    package var timeout: TimeInterval = 20

    /// Settings from their parts; `baseURL` defaults to `https://{shop}`.
    package init(shop: String, accessToken: Secret, baseURL: String? = nil) {
        self.shop = shop
        self.accessToken = accessToken
        self.baseURL = baseURL ?? "https://\(shop)"
    }

    /// Reads the settings. Throws `ConfigurationError` naming the variable: a missing or malformed
    /// shop, a missing token (or unreadable token file), a version not `YYYY-MM`, a base URL that is
    /// not https (or http to a loopback address), a bad switch or timeout.
    package static func load(environment: [String: String]) throws(ConfigurationError) -> ShopifySettings {
        func value(_ name: String) -> String? { CommerceSettings.value(name, in: environment) }
        guard var shop = value("SHOPIFY_SHOP")?.lowercased() else {
            throw ConfigurationError(key: "SHOPIFY_SHOP", reason: "required when TIDINGS_COMMERCE=shopify")
        }
        if !shop.contains(".") { shop += ".myshopify.com" }
        guard shop.count <= 255, !shop.hasPrefix("."), !shop.hasPrefix("-"),
            shop.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" || $0 == "." })
        else {
            throw ConfigurationError(
                key: "SHOPIFY_SHOP", reason: "must be a shop domain such as northwind-outfitters.myshopify.com")
        }
        let token = try CommerceSettings.token("SHOPIFY_ADMIN_TOKEN", source: "shopify", environment: environment)
        var settings = ShopifySettings(shop: shop, accessToken: token)
        if let version = value("SHOPIFY_API_VERSION") {
            let parts = version.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0].count == 4, parts[1].count == 2,
                parts.allSatisfy({ $0.allSatisfy(\.isASCII) && Int($0) != nil })
            else {
                throw ConfigurationError(
                    key: "SHOPIFY_API_VERSION", reason: "'\(version.prefix(20))' is not a version such as 2026-04")
            }
            settings.apiVersion = version
        }
        if let text = value("SHOPIFY_BASE_URL") {
            let url = try Configuration.baseURL(text, key: "SHOPIFY_BASE_URL", example: "https://\(shop)")
            if url.lowercased().hasPrefix("http://") && !isLoopback(url) {
                throw ConfigurationError(
                    key: "SHOPIFY_BASE_URL",
                    reason: "plain http is allowed only for a loopback address (127.0.0.1, ::1, localhost)")
            }
            settings.baseURL = url
        }
        if let text = value("SHOPIFY_CONSENT_WRITEBACK") {
            switch text.lowercased() {
            case "on", "true", "1", "yes": settings.consentWriteBack = true
            case "off", "false", "0", "no": settings.consentWriteBack = false
            default:
                throw ConfigurationError(
                    key: "SHOPIFY_CONSENT_WRITEBACK", reason: "'\(text.prefix(20))' is not on or off")
            }
        }
        if let seconds = try CommerceSettings.timeout("SHOPIFY_TIMEOUT_SECONDS", environment: environment) {
            settings.timeout = seconds
        }
        return settings
    }

    /// Whether an http(s) URL's host is a loopback address.
    static func isLoopback(_ url: String) -> Bool { CommerceSettings.isLoopback(url) }

    /// The Admin API scopes the flows read, in the order `tidings shop check` reports them.
    package static let requiredScopes = ["read_customers", "read_orders", "read_products", "read_inventory"]
}
