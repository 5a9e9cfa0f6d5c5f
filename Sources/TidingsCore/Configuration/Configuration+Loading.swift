import Foundation
import Logging

extension Configuration {
    /// Reads the configuration from environment variables and the optional JSON file named by
    /// `TIDINGS_CONFIG_FILE`. Relative paths resolve against `workingDirectory`.
    /// Throws `ConfigurationError` naming the first bad key.
    package static func load(
        environment: [String: String],
        workingDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    ) throws(ConfigurationError) -> Configuration {
        func path(_ key: String, default fallback: String) -> URL {
            let value = environment[key].flatMap { $0.isEmpty ? nil : $0 } ?? fallback
            return value.hasPrefix("/")
                ? URL(fileURLWithPath: value) : workingDirectory.appendingPathComponent(value)
        }
        var configuration = Configuration(
            dataDirectory: path("TIDINGS_DATA_DIR", default: ".tidings"),
            shopDirectory: path("TIDINGS_SHOP_DIR", default: "Events/shop"))
        configuration.logLevel = try logLevel(environment)

        if let text = environment["TIDINGS_MAX_BODY_BYTES"] {
            guard let value = Int(text), value > 0 else {
                throw ConfigurationError(key: "TIDINGS_MAX_BODY_BYTES", reason: "'\(text)' is not a positive integer")
            }
            configuration.maximumBodyBytes = value
        }
        if let text = environment["TIDINGS_NOW"], !text.isEmpty {
            guard let pinned = Timestamp.parse(text) else {
                throw ConfigurationError(
                    key: "TIDINGS_NOW", reason: "'\(text)' is not an ISO 8601 timestamp with an offset")
            }
            configuration.pinnedNow = pinned
        }
        if let secret = try readSecret("TIDINGS_UNSUBSCRIBE_SECRET", environment: environment) {
            configuration.unsubscribeKey = secret
        }
        configuration.webhookSecrets = WebhookSecrets(
            shopify: try readSecret("SHOPIFY_WEBHOOK_SECRET", environment: environment),
            bigcommerce: try readSecret("BIGCOMMERCE_WEBHOOK_SECRET", environment: environment))
        configuration.auditKey = try readSecret("TIDINGS_AUDIT_KEY", environment: environment)
        if let text = environment["TIDINGS_MODEL_RESERVE_MS"], !text.isEmpty {
            guard let value = Int(text), value >= 0 else {
                throw ConfigurationError(
                    key: "TIDINGS_MODEL_RESERVE_MS", reason: "'\(text)' is not a whole number of milliseconds")
            }
            configuration.modelReserve = TimeInterval(value) / 1000
        }
        try checkShop(configuration.shopDirectory, key: "TIDINGS_SHOP_DIR", what: "the recorded shop folder")
        if let text = environment["TIDINGS_CUSTOMER_BASE_DIR"], !text.isEmpty {
            let base = path("TIDINGS_CUSTOMER_BASE_DIR", default: text)
            try checkShop(base, key: "TIDINGS_CUSTOMER_BASE_DIR", what: "the customer base folder")
            configuration.customerBaseDirectory = base
        } else {
            let base = workingDirectory.appendingPathComponent(defaultCustomerBase)
            var isDirectory: ObjCBool = false
            let present = FileManager.default.fileExists(atPath: base.path, isDirectory: &isDirectory)
            configuration.customerBaseDirectory = present && isDirectory.boolValue ? base : configuration.shopDirectory
        }
        configuration.writer = try ModelSettings.load(environment: environment)
        configuration.email = try EmailSettings.load(environment: environment)
        configuration.state = try StateSettings.load(environment: environment)
        configuration.commerce = try CommerceSettings.load(environment: environment)
        if let text = environment["TIDINGS_CLAIM_LEASE_SECONDS"], !text.isEmpty {
            guard let seconds = Int(text), (1...86_400).contains(seconds) else {
                throw ConfigurationError(
                    key: "TIDINGS_CLAIM_LEASE_SECONDS",
                    reason: "'\(text.prefix(40))' is not a whole number from 1 to 86400")
            }
            configuration.claimLease = TimeInterval(seconds)
        }
        if let problem = writableFolderProblem(configuration.dataDirectory) {
            throw ConfigurationError(key: "TIDINGS_DATA_DIR", reason: problem)
        }
        if let file = environment["TIDINGS_CONFIG_FILE"], !file.isEmpty {
            let url = file.hasPrefix("/") ? URL(fileURLWithPath: file) : workingDirectory.appendingPathComponent(file)
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw ConfigurationError(key: "TIDINGS_CONFIG_FILE", reason: "cannot read \(url.path)")
            }
            let document: JSONValue
            do {
                document = try JSONParser.parse(Array(data))
            } catch {
                throw ConfigurationError(key: "TIDINGS_CONFIG_FILE", reason: "\(url.path) is not valid JSON (\(error))")
            }
            try configuration.apply(document)
        }
        try configuration.check()
        return configuration
    }

    /// Where winBack's customer base is when `TIDINGS_CUSTOMER_BASE_DIR` is unset, relative to the
    /// working directory; when that folder is absent too, the recorded shop is the base.
    package static let defaultCustomerBase = "Events/winBack/shop"

    /// The log level named by `TIDINGS_LOG_LEVEL` (any case; default info). Throws for a name
    /// swift-log does not know, so a typo cannot silently change what is logged.
    package static func logLevel(_ environment: [String: String]) throws(ConfigurationError) -> Logger.Level {
        guard let text = environment["TIDINGS_LOG_LEVEL"], !text.isEmpty else { return .info }
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            throw ConfigurationError(
                key: "TIDINGS_LOG_LEVEL",
                reason: "'\(text)' is not a log level; expected one of "
                    + Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return level
    }

    /// A shop folder (the recorded shop or a customer base) must exist and hold a platform's
    /// recorded answers (`shopify/` or `bigcommerce/`), or every event would fail to find its customer.
    static func checkShop(_ folder: URL, key: String, what: String) throws(ConfigurationError) {
        func isFolder(_ url: URL) -> Bool {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
        }
        guard isFolder(folder) else {
            throw ConfigurationError(key: key, reason: "\(what) \(folder.path) does not exist")
        }
        guard
            isFolder(folder.appendingPathComponent("shopify")) || isFolder(folder.appendingPathComponent("bigcommerce"))
        else {
            throw ConfigurationError(
                key: key, reason: "\(folder.path) is not a recorded shop: it has no shopify/ or bigcommerce/ folder")
        }
    }

    /// Why the data folder cannot be written, or nil when it can: it is created when missing
    /// (as the first write would), then a probe file is created and removed in it.
    static func writableFolderProblem(_ folder: URL) -> String? {
        func systemError() -> String { String(cString: strerror(errno)) }
        let path = folder.standardizedFileURL.path
        var missing: [String] = []
        var current = folder.standardizedFileURL
        var isDirectory: ObjCBool = false
        while !FileManager.default.fileExists(atPath: current.path, isDirectory: &isDirectory) {
            missing.append(current.path)
            current = current.deletingLastPathComponent()
        }
        guard isDirectory.boolValue else { return "\(current.path) is a file, not a folder" }
        for component in missing.reversed() where mkdir(component, 0o755) != 0 && errno != EEXIST {
            return "cannot create the data folder \(component): \(systemError())"
        }
        let probe = path + "/.tidings-write-check-\(getpid())"
        let descriptor = open(probe, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else { return "cannot write in the data folder \(path): \(systemError())" }
        close(descriptor)
        unlink(probe)
        return nil
    }

    /// The checks across keys and of ranges that the file's types cannot express: a value that
    /// would load and then fail every event stops start-up instead, naming its key.
    func check() throws(ConfigurationError) {
        do throws(RenderError) {
            try EmailRenderer.checkAddress(brand.fromAddress, field: "brand.from_address")
        } catch {
            throw ConfigurationError(
                key: "brand.from_address", reason: "'\(brand.fromAddress)' is not a plain local@domain address")
        }
        guard let storefront = URLComponents(string: brand.storefrontURL), storefront.scheme == "https",
            let host = storefront.host?.lowercased(), !host.isEmpty
        else {
            throw ConfigurationError(
                key: "brand.storefront_url", reason: "'\(brand.storefrontURL)' is not an https URL with a host")
        }
        guard !brand.linkDomains.isEmpty else {
            throw ConfigurationError(
                key: "brand.link_domains", reason: "is empty, so every link in every draft would be refused")
        }
        for (index, domain) in brand.linkDomains.enumerated()
        where domain.isEmpty || domain.contains("/") || domain.contains(":") || domain.contains(where: \.isWhitespace) {
            throw ConfigurationError(key: "brand.link_domains[\(index)]", reason: "'\(domain)' is not a host name")
        }
        guard brand.linkDomains.contains(where: { host == $0.lowercased() || host.hasSuffix("." + $0.lowercased()) })
        else {
            throw ConfigurationError(
                key: "brand.storefront_url",
                reason: "its host \(host) is not in brand.link_domains, so every product link would be refused")
        }
        guard (Self.subjectLengthRange).contains(policy.subjectMaxLength) else {
            throw ConfigurationError(
                key: "policy.subject_max_length",
                reason: "\(policy.subjectMaxLength) is not \(Self.subjectLengthRange.lowerBound) to "
                    + "\(Self.subjectLengthRange.upperBound) characters")
        }
        guard policy.freeShippingThreshold >= 0 else {
            throw ConfigurationError(key: "policy.free_shipping_threshold", reason: "must not be negative")
        }
        guard (0...100).contains(review.belowScore) else {
            throw ConfigurationError(key: "review.below_score", reason: "\(review.belowScore) is not 0 to 100")
        }
        guard (0...100).contains(review.offerPercentAtLeast) else {
            throw ConfigurationError(
                key: "review.offer_percent_at_least", reason: "\(review.offerPercentAtLeast) is not 0 to 100")
        }
    }

    /// Below 40 characters the offline copywriter, every flow's fallback writer, cannot fit the
    /// three subject options a draft needs for some recorded events (measured in
    /// docs/decisions/start-up-checks.md); 998 is the longest line RFC 5322 allows.
    static let subjectLengthRange = 40...998

    /// A secret from `NAME` or from the file named by `NAME_FILE` (trailing newline dropped).
    /// Throws `ConfigurationError` naming `NAME_FILE` when the file cannot be read or is empty;
    /// the error never holds the secret.
    package static func readSecret(_ name: String, environment: [String: String]) throws(ConfigurationError)
        -> Secret?
    {
        if let value = environment[name], !value.isEmpty { return Secret(value) }
        guard let file = environment[name + "_FILE"], !file.isEmpty else { return nil }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ConfigurationError(key: name + "_FILE", reason: "cannot read the secret file")
        }
        var text = String(decoding: data, as: UTF8.self)
        while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
        guard !text.isEmpty else { throw ConfigurationError(key: name + "_FILE", reason: "the secret file is empty") }
        return Secret(text)
    }

    /// Applies the members of a configuration file over the defaults.
    mutating func apply(_ document: JSONValue) throws(ConfigurationError) {
        do throws(InputError) {
            let root = try JSONObjectReader(document)
            try Self.refuseUnknownKeys(root, allowed: ["brand", "policy", "review", "flows", "models"])
            try Self.refuseUnknownKeys(
                root.optionalObject("brand"),
                allowed: [
                    "name", "from_address", "from_name", "storefront_url", "link_domains", "postal_address", "voice",
                    "unsubscribe_url", "unsubscribe_mailto",
                ])
            try Self.refuseUnknownKeys(
                root.optionalObject("policy"),
                allowed: [
                    "subject_max_length", "banned_phrases", "regulated_phrases", "discount_caps",
                    "free_shipping_threshold",
                ])
            try Self.refuseUnknownKeys(
                root.optionalObject("review"),
                allowed: ["tiers", "below_score", "offer_percent_at_least", "cancellation_win_backs"])
            if let brand = try root.optionalObject("brand") {
                self.brand.name = try brand.optionalString("name") ?? self.brand.name
                self.brand.fromAddress = try brand.optionalString("from_address") ?? self.brand.fromAddress
                self.brand.fromName = try brand.optionalString("from_name") ?? self.brand.fromName
                self.brand.storefrontURL = try brand.optionalString("storefront_url") ?? self.brand.storefrontURL
                self.brand.postalAddress = try brand.optionalString("postal_address") ?? self.brand.postalAddress
                self.brand.voice = try brand.optionalString("voice") ?? self.brand.voice
                self.brand.unsubscribeURL = try brand.optionalString("unsubscribe_url") ?? self.brand.unsubscribeURL
                self.brand.unsubscribeMailto =
                    try brand.optionalString("unsubscribe_mailto") ?? self.brand.unsubscribeMailto
                if brand.value("link_domains") != nil { self.brand.linkDomains = try brand.strings("link_domains") }
                guard self.brand.unsubscribeURL.hasPrefix("https://") else {
                    throw InputError(
                        .invalidField, path: "$.brand.unsubscribe_url", reason: "must be an https URL (RFC 8058)")
                }
            }
            if let policy = try root.optionalObject("policy") {
                self.policy.subjectMaxLength =
                    try policy.optionalInt("subject_max_length") ?? self.policy.subjectMaxLength
                if policy.value("banned_phrases") != nil {
                    self.policy.bannedPhrases = try policy.strings("banned_phrases")
                }
                if policy.value("regulated_phrases") != nil {
                    self.policy.regulatedPhrases = try policy.strings("regulated_phrases")
                }
                if let caps = try policy.optionalObject("discount_caps") {
                    var parsed: [String: Int] = [:]
                    for key in caps.members.keys {
                        let percent = try caps.int(key)
                        guard (0...90).contains(percent) else {
                            throw InputError(.invalidField, path: caps.path(of: key), reason: "must be 0 to 90 percent")
                        }
                        parsed[key.lowercased()] = percent
                    }
                    self.policy.discountCaps = parsed
                }
                if let threshold = try policy.optionalMoney("free_shipping_threshold", currency: "USD") {
                    self.policy.freeShippingThreshold = threshold.amount
                }
            }
            if let review = try root.optionalObject("review") {
                if review.value("tiers") != nil {
                    self.review.tiers = Set(try review.strings("tiers").map { $0.lowercased() })
                }
                self.review.belowScore = try review.optionalInt("below_score") ?? self.review.belowScore
                self.review.offerPercentAtLeast =
                    try review.optionalInt("offer_percent_at_least") ?? self.review.offerPercentAtLeast
                self.review.cancellationWinBacks =
                    try review.optionalBool("cancellation_win_backs") ?? self.review.cancellationWinBacks
            }
            if let models = try root.optionalObject("models") { self.models = try Self.modelGovernance(models) }
            if let flows = try root.optionalObject("flows") {
                for key in flows.members.keys.sorted() {
                    guard let kind = FlowKind(rawValue: key) else {
                        throw InputError(.invalidField, path: flows.path(of: key), reason: "not a flow name")
                    }
                    let reader = try flows.object(key)
                    try Self.refuseUnknownKeys(
                        reader, allowed: ["delay_minutes", "window_days", "require_consent", "review_request_days"])
                    var settings = self.settings(for: kind)
                    if let minutes = try reader.optionalInt("delay_minutes") {
                        // A negative delay would make every event "too soon" forever in reverse:
                        // refused, as is anything past a year (and an overflow of minutes * 60).
                        guard (0...525_600).contains(minutes) else {
                            throw InputError(
                                .invalidField, path: reader.path(of: "delay_minutes"),
                                reason: "\(minutes) is not 0 to 525600 minutes (a year)")
                        }
                        settings.delay = TimeInterval(minutes * 60)
                    }
                    if let days = try reader.optionalInt("window_days") {
                        guard (1...3650).contains(days) else {
                            throw InputError(
                                .invalidField, path: reader.path(of: "window_days"),
                                reason: "\(days) is not 1 to 3650 days; with 0 every event would be stale")
                        }
                        settings.window = TimeInterval(days * 86_400)
                    }
                    settings.requiresConsent = try reader.optionalBool("require_consent") ?? settings.requiresConsent
                    if reader.value("review_request_days") != nil, kind != .orderCreated {
                        throw InputError(
                            .invalidField, path: reader.path(of: "review_request_days"),
                            reason: "only orderCreated plans a review request")
                    }
                    if let days = try reader.optionalInt("review_request_days") {
                        guard (1...90).contains(days) else {
                            throw InputError(
                                .invalidField, path: reader.path(of: "review_request_days"), reason: "must be 1 to 90")
                        }
                        settings.reviewRequestDays = days
                    }
                    self.flows[kind] = settings
                }
            }
        } catch {
            let key = error.path.replacingOccurrences(of: "$.", with: "")
            throw ConfigurationError(key: key, reason: error.reason)
        }
    }

    /// A misspelt key would otherwise be silently without effect, which is worse than stopping.
    static func refuseUnknownKeys(_ reader: JSONObjectReader?, allowed: Set<String>) throws(InputError) {
        guard let reader else { return }
        if let unknown = reader.members.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw InputError(
                .invalidField, path: reader.path(of: unknown),
                reason: "unknown key; expected one of \(allowed.sorted().joined(separator: ", "))")
        }
    }
}

extension Configuration {
    /// `text` as a base URL without trailing slashes. Throws `ConfigurationError` for `key` unless
    /// it is an http(s) URL with a host and no credentials, query, fragment or space; the value is
    /// not echoed, since a URL may carry credentials. `example` shows the expected form.
    package static func baseURL(_ text: String, key: String, example: String) throws(ConfigurationError) -> String {
        let lower = text.lowercased()
        let authority = text.split(separator: "/", omittingEmptySubsequences: true).dropFirst().first ?? ""
        guard lower.hasPrefix("https://") || lower.hasPrefix("http://"), !authority.isEmpty,
            !authority.contains("@"), !text.contains("?"), !text.contains("#"), !text.contains(" ")
        else {
            throw ConfigurationError(
                key: key, reason: "must be an http(s) URL with a host and no query or credentials, such as \(example)")
        }
        return ModelEndpoint.trimmed(text)
    }
}
