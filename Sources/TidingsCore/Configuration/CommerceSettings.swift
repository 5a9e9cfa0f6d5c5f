import Foundation

/// Which commerce platform the handlers read (`TIDINGS_COMMERCE`), read once at start:
/// `recorded` (the default) answers every platform from the recorded shop's files; `bigcommerce`
/// reads the BigCommerce store named by `BIGCOMMERCE_STORE_HASH` over the network. The Shopify
/// case is added beside it by the Shopify client's work (issue 14).
package struct CommerceSettings: Sendable {
    /// The values of `TIDINGS_COMMERCE`.
    package enum Source: String, Sendable, CaseIterable {
        /// The recorded shop under `TIDINGS_SHOP_DIR`, through the production clients.
        case recorded
        /// A live BigCommerce store (`BigCommerce`).
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

    /// The chosen source.
    package var source: Source = .recorded
    /// The store's settings when `source` is `.bigcommerce`; nil otherwise.
    package var bigCommerce: BigCommerce?

    /// The recorded shop.
    package init() {}

    /// Reads the settings. Throws `ConfigurationError` naming the variable: an unknown
    /// `TIDINGS_COMMERCE`; with `bigcommerce`, a missing or malformed store hash or token, a base
    /// URL that is not https (or http to a loopback host), a timeout outside 1 to 60 seconds.
    package static func load(environment: [String: String]) throws(ConfigurationError) -> CommerceSettings {
        func value(_ name: String) -> String? {
            guard let text = environment[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
                return nil
            }
            return text
        }
        var settings = CommerceSettings()
        if let text = value("TIDINGS_COMMERCE") {
            guard let source = Source(rawValue: text.lowercased()) else {
                throw ConfigurationError(
                    key: "TIDINGS_COMMERCE",
                    reason: "'\(text.prefix(40))' is not one of "
                        + Source.allCases.map(\.rawValue).joined(separator: ", "))
            }
            settings.source = source
        }
        guard settings.source == .bigcommerce else { return settings }
        guard let hash = value("BIGCOMMERCE_STORE_HASH") else {
            throw ConfigurationError(
                key: "BIGCOMMERCE_STORE_HASH", reason: "required when TIDINGS_COMMERCE=bigcommerce")
        }
        // Store hashes are short lower-case alphanumerics ("nw4x7k2q"); anything else is a typo.
        guard (1...64).contains(hash.count), hash.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw ConfigurationError(key: "BIGCOMMERCE_STORE_HASH", reason: "must be 1 to 64 ASCII letters and digits")
        }
        guard let token = try Configuration.readSecret("BIGCOMMERCE_ACCESS_TOKEN", environment: environment) else {
            throw ConfigurationError(
                key: "BIGCOMMERCE_ACCESS_TOKEN",
                reason: "required when TIDINGS_COMMERCE=bigcommerce (or BIGCOMMERCE_ACCESS_TOKEN_FILE)")
        }
        // A header cannot carry a line break or a control character; not echoed, it is a secret.
        guard token.bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw ConfigurationError(key: "BIGCOMMERCE_ACCESS_TOKEN", reason: "must be printable ASCII without spaces")
        }
        var store = BigCommerce(storeHash: hash, accessToken: token)
        if let text = value("BIGCOMMERCE_BASE_URL") {
            let url = try Configuration.baseURL(
                text, key: "BIGCOMMERCE_BASE_URL", example: "https://api.bigcommerce.com")
            guard url.lowercased().hasPrefix("https://") || isLoopback(url) else {
                throw ConfigurationError(
                    key: "BIGCOMMERCE_BASE_URL",
                    reason: "plain http is allowed only to a loopback host (127.0.0.1, localhost)")
            }
            store.baseURL = url
        }
        if let text = value("BIGCOMMERCE_TIMEOUT_SECONDS") {
            guard let seconds = Double(text), seconds >= 1, seconds <= 60 else {
                throw ConfigurationError(
                    key: "BIGCOMMERCE_TIMEOUT_SECONDS",
                    reason: "'\(text.prefix(20))' is not a number of seconds from 1 to 60")
            }
            store.timeout = seconds
        }
        store.coPurchasesFile = value("BIGCOMMERCE_CO_PURCHASES_FILE")
        settings.bigCommerce = store
        return settings
    }

    /// Whether an http(s) URL's host is a loopback address (`127.x.x.x`, `localhost`, `[::1]`).
    package static func isLoopback(_ url: String) -> Bool {
        guard let host = URLComponents(string: url)?.host?.lowercased() else { return false }
        return host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }
}
