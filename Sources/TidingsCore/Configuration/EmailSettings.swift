import Foundation

/// Where finished email goes, read once from the environment at start. `TIDINGS_ESP` picks the
/// service (`outbox`, the default, needs nothing); `ses` needs a region and credentials, read the
/// AWS way (docs/configuration.md, docs/decisions/ses.md); `smtp` a relay URL (SMTPSettings.swift,
/// docs/decisions/smtp.md); `klaviyo`, `mandrill` and `braze` an API key and where to send
/// (KlaviyoSettings.swift, MandrillSettings.swift, BrazeSettings.swift; docs/decisions/klaviyo.md,
/// scheduled-sends.md). Secrets are never printed.
package struct EmailSettings: Sendable {
    /// The service behind `TIDINGS_ESP`.
    package enum Service: String, Sendable, CaseIterable {
        /// The scheduled outbox folder under the data folder (no network).
        case outbox
        /// Amazon SES v2 `SendEmail` with the raw message.
        case ses
        /// An SMTP relay through libcurl (SMTPSettings.swift).
        case smtp
        /// Klaviyo: a profile upsert and an event a Klaviyo flow sends on (KlaviyoSettings.swift).
        case klaviyo
        /// Mailchimp Transactional `messages/send-raw`, which schedules itself (MandrillSettings.swift).
        case mandrill
        /// Braze `messages/send` or an API-triggered campaign, which schedules itself (BrazeSettings.swift).
        case braze
    }

    /// What SES needs: where, as whom, and under which configuration set.
    package struct SES: Sendable {
        /// `AWS_REGION`, else `AWS_DEFAULT_REGION` ("eu-west-1").
        package var region: String
        /// `AWS_ENDPOINT_URL_SESV2`, else `AWS_ENDPOINT_URL`, else `https://email.REGION.amazonaws.com`.
        package var endpoint: String
        /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` (or `_FILE`) and `AWS_SESSION_TOKEN`.
        package var credentials: AWSCredentials
        /// `TIDINGS_SES_CONFIGURATION_SET`; nil sends without one.
        package var configurationSet: String?
    }

    /// The chosen service.
    package var service: Service = .outbox
    /// SES's settings when `service` is `.ses`; nil otherwise.
    package var ses: SES?
    /// The relay's settings when `service` is `.smtp`; nil otherwise.
    package var smtp: SMTP?
    /// Klaviyo's settings when `service` is `.klaviyo`; nil otherwise.
    package var klaviyo: Klaviyo?
    /// Mandrill's settings when `service` is `.mandrill`; nil otherwise.
    package var mandrill: Mandrill?
    /// Braze's settings when `service` is `.braze`; nil otherwise.
    package var braze: Braze?

    /// The outbox.
    package init() {}

    /// Reads the settings. Throws `ConfigurationError` naming the variable: an unknown
    /// `TIDINGS_ESP`; for `smtp`, `klaviyo`, `mandrill` and `braze`, what their `load` refuses; for
    /// `ses`, a missing or malformed region, missing credentials, an endpoint
    /// override that is not an http(s) URL, or a configuration set name SES would refuse.
    package static func load(environment: [String: String]) throws(ConfigurationError) -> EmailSettings {
        func value(_ name: String) -> String? {
            guard let text = environment[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
                return nil
            }
            return text
        }
        var settings = EmailSettings()
        if let text = value("TIDINGS_ESP") {
            guard let service = Service(rawValue: text.lowercased()) else {
                throw ConfigurationError(
                    key: "TIDINGS_ESP",
                    reason: "'\(text.prefix(40))' is not one of "
                        + Service.allCases.map(\.rawValue).joined(separator: ", "))
            }
            settings.service = service
        }
        if settings.service == .smtp {
            settings.smtp = try SMTP.load(environment: environment)
            return settings
        }
        if settings.service == .klaviyo {
            settings.klaviyo = try Klaviyo.load(environment: environment)
            return settings
        }
        if settings.service == .mandrill {
            settings.mandrill = try Mandrill.load(environment: environment)
            return settings
        }
        if settings.service == .braze {
            settings.braze = try Braze.load(environment: environment)
            return settings
        }
        guard settings.service == .ses else { return settings }

        let regionKey = value("AWS_REGION") != nil ? "AWS_REGION" : "AWS_DEFAULT_REGION"
        guard let region = value(regionKey) else {
            throw ConfigurationError(key: "AWS_REGION", reason: "required when TIDINGS_ESP=ses (or AWS_DEFAULT_REGION)")
        }
        guard isRegion(region) else {
            throw ConfigurationError(
                key: regionKey, reason: "'\(region.prefix(40))' is not a region name such as eu-west-1")
        }
        guard let accessKeyID = value("AWS_ACCESS_KEY_ID") else {
            throw ConfigurationError(key: "AWS_ACCESS_KEY_ID", reason: "required when TIDINGS_ESP=ses")
        }
        guard accessKeyID.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            // Not echoed: a secret pasted into the wrong variable must not reach the logs.
            throw ConfigurationError(key: "AWS_ACCESS_KEY_ID", reason: "must be letters and digits only")
        }
        guard let secret = try Configuration.readSecret("AWS_SECRET_ACCESS_KEY", environment: environment) else {
            throw ConfigurationError(
                key: "AWS_SECRET_ACCESS_KEY", reason: "required when TIDINGS_ESP=ses (or AWS_SECRET_ACCESS_KEY_FILE)")
        }
        let token = value("AWS_SESSION_TOKEN").map(Secret.init)

        var endpoint = "https://email.\(region).amazonaws.com"
        for key in ["AWS_ENDPOINT_URL_SESV2", "AWS_ENDPOINT_URL"] {
            if let text = value(key) {
                endpoint = try Configuration.baseURL(text, key: key, example: "http://127.0.0.1:5000")
                break
            }
        }
        let configurationSet = value("TIDINGS_SES_CONFIGURATION_SET")
        if let configurationSet {
            guard configurationSet.count <= 64,
                configurationSet.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") })
            else {
                throw ConfigurationError(
                    key: "TIDINGS_SES_CONFIGURATION_SET",
                    reason: "must be at most 64 ASCII letters, digits, underscores or dashes")
            }
        }
        settings.ses = SES(
            region: region, endpoint: endpoint,
            credentials: AWSCredentials(accessKeyID: accessKeyID, secretAccessKey: secret, sessionToken: token),
            configurationSet: configurationSet)
        return settings
    }

    /// Whether `text` looks like an AWS region: lower-case letters and digits in dash-separated
    /// parts ("us-east-1", "us-gov-west-1"), at least three parts.
    static func isRegion(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        return parts.count >= 3 && text.count <= 32
            && parts.allSatisfy { part in
                !part.isEmpty && part.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber) }
            }
    }
}
