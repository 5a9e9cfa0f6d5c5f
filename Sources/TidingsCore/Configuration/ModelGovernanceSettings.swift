import Foundation

/// What governs model calls, from the config file's `models` object: the price table, the rate
/// limits per upstream and the budgets per flow. Empty by default: no prices are built in (list
/// prices change; docs/decisions/model-budgets.md), no limits, no budgets.
package struct ModelGovernanceSettings: Sendable, Hashable {
    /// USD per million tokens, by model id (`models.prices`).
    package var prices: [String: ModelPrice] = [:]
    /// Requests and tokens per minute, by upstream (`models.rate_limits`).
    package var rateLimits: [String: RateLimit] = [:]
    /// USD per UTC day and month, by flow (`models.budgets`).
    package var budgets: [FlowKind: Budget] = [:]

    /// Creates empty settings.
    package init() {}

    /// One model's list prices, each in USD per million tokens.
    package struct ModelPrice: Sendable, Hashable {
        /// Input tokens billed at the full rate.
        package var input: Decimal
        /// Input tokens read from the provider's prompt cache (default: the input price).
        package var cachedInput: Decimal
        /// Input tokens written to the prompt cache (default: the input price).
        package var cacheWrite: Decimal
        /// Output tokens.
        package var output: Decimal

        /// Creates a price; `cachedInput` and `cacheWrite` default to `input`.
        package init(input: Decimal, cachedInput: Decimal? = nil, cacheWrite: Decimal? = nil, output: Decimal) {
            self.input = input
            self.cachedInput = cachedInput ?? input
            self.cacheWrite = cacheWrite ?? input
            self.output = output
        }

        /// What `usage` costs, in USD (exact decimal arithmetic).
        package func cost(of usage: TokenUsage) -> Decimal {
            let perMillion =
                Decimal(usage.input) * input + Decimal(usage.cachedInput) * cachedInput
                + Decimal(usage.cacheWrite) * cacheWrite + Decimal(usage.output) * output
            return perMillion / 1_000_000
        }
    }

    /// One upstream's limits; either may be absent.
    package struct RateLimit: Sendable, Hashable {
        /// Requests a minute.
        package var requestsPerMinute: Int?
        /// Tokens (input and output) a minute.
        package var tokensPerMinute: Int?

        /// Creates a limit.
        package init(requestsPerMinute: Int? = nil, tokensPerMinute: Int? = nil) {
            self.requestsPerMinute = requestsPerMinute
            self.tokensPerMinute = tokensPerMinute
        }
    }

    /// One flow's model budget in USD; either may be absent (no limit).
    package struct Budget: Sendable, Hashable {
        /// USD per UTC day.
        package var daily: Decimal?
        /// USD per UTC calendar month.
        package var monthly: Decimal?

        /// Creates a budget.
        package init(daily: Decimal? = nil, monthly: Decimal? = nil) {
            self.daily = daily
            self.monthly = monthly
        }
    }

    /// The price of a model: the first of `ids` that the table names, else the longest table key
    /// that one of them starts with followed by "-" (a dated snapshot "gpt-4.1-mini-2025-04-14"
    /// is priced as "gpt-4.1-mini"). A provider prefix ("openai:") is tried without it too.
    package func price(for ids: [String]) -> (id: String, price: ModelPrice)? {
        var candidates: [String] = []
        for id in ids where !id.isEmpty {
            candidates.append(id)
            if let colon = id.firstIndex(of: ":") { candidates.append(String(id[id.index(after: colon)...])) }
        }
        for id in candidates {
            if let price = prices[id] { return (id, price) }
        }
        for id in candidates {
            let match = prices.keys.filter { id.hasPrefix($0 + "-") }.max { $0.count < $1.count }
            if let match, let price = prices[match] { return (match, price) }
        }
        return nil
    }

    /// The limit of the upstream a model name belongs to: the full name, else the part before ":"
    /// ("openai:gpt-4.1-mini" is limited by `openai`).
    package func rateLimit(for modelName: String) -> (upstream: String, limit: RateLimit)? {
        if let limit = rateLimits[modelName] { return (modelName, limit) }
        if let colon = modelName.firstIndex(of: ":") {
            let upstream = String(modelName[..<colon])
            if let limit = rateLimits[upstream] { return (upstream, limit) }
        }
        return nil
    }
}

extension Configuration {
    /// Reads the config file's `models` object: `prices` (model id -> `input`, `cached_input`,
    /// `cache_write`, `output`, USD per million tokens), `rate_limits` (upstream ->
    /// `requests_per_minute`, `tokens_per_minute`) and `budgets` (flow -> `daily_usd`,
    /// `monthly_usd`). Throws `InputError` naming the JSON path of a bad value.
    static func modelGovernance(_ reader: JSONObjectReader) throws(InputError) -> ModelGovernanceSettings {
        try refuseUnknownKeys(reader, allowed: ["prices", "rate_limits", "budgets"])
        var settings = ModelGovernanceSettings()
        if let prices = try reader.optionalObject("prices") {
            for id in prices.members.keys.sorted() {
                let price = try prices.object(id)
                try refuseUnknownKeys(price, allowed: ["input", "cached_input", "cache_write", "output"])
                guard let input = try usd(price, "input"), let output = try usd(price, "output") else {
                    throw InputError(
                        .missingField, path: price.path(of: price.value("input") == nil ? "input" : "output"),
                        reason: "a price needs input and output (USD per million tokens)")
                }
                settings.prices[id] = ModelGovernanceSettings.ModelPrice(
                    input: input, cachedInput: try usd(price, "cached_input"),
                    cacheWrite: try usd(price, "cache_write"), output: output)
            }
        }
        if let limits = try reader.optionalObject("rate_limits") {
            for upstream in limits.members.keys.sorted() {
                let limit = try limits.object(upstream)
                try refuseUnknownKeys(limit, allowed: ["requests_per_minute", "tokens_per_minute"])
                settings.rateLimits[upstream] = ModelGovernanceSettings.RateLimit(
                    requestsPerMinute: try positive(limit, "requests_per_minute"),
                    tokensPerMinute: try positive(limit, "tokens_per_minute"))
            }
        }
        if let budgets = try reader.optionalObject("budgets") {
            for key in budgets.members.keys.sorted() {
                guard let kind = FlowKind(rawValue: key) else {
                    throw InputError(.invalidField, path: budgets.path(of: key), reason: "not a flow name")
                }
                let budget = try budgets.object(key)
                try refuseUnknownKeys(budget, allowed: ["daily_usd", "monthly_usd"])
                settings.budgets[kind] = ModelGovernanceSettings.Budget(
                    daily: try usd(budget, "daily_usd"), monthly: try usd(budget, "monthly_usd"))
            }
        }
        return settings
    }

    /// A non-negative USD amount given as a JSON number or a decimal string ("0.40"), exactly.
    private static func usd(_ reader: JSONObjectReader, _ key: String) throws(InputError) -> Decimal? {
        let text: String
        switch reader.value(key) {
        case nil, .null?: return nil
        case .int(let number)?: text = String(number)
        case .double(let number)?: text = number.description
        case .string(let string)?: text = string
        default:
            throw InputError(.invalidField, path: reader.path(of: key), reason: "must be a number of USD")
        }
        guard let amount = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")), amount >= 0,
            text.range(of: #"^[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$"#, options: .regularExpression) != nil
        else {
            throw InputError(
                .invalidField, path: reader.path(of: key), reason: "'\(text)' is not a non-negative USD amount")
        }
        return amount
    }

    /// A positive whole number, or nil when absent.
    private static func positive(_ reader: JSONObjectReader, _ key: String) throws(InputError) -> Int? {
        guard let value = try reader.optionalInt(key) else { return nil }
        guard value > 0 else {
            throw InputError(.invalidField, path: reader.path(of: key), reason: "must be a positive whole number")
        }
        return value
    }
}
