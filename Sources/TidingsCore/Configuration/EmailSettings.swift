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

        let aws = try AWSSettings.load(
            environment: environment, endpointKey: "AWS_ENDPOINT_URL_SESV2",
            defaultEndpoint: { "https://email.\($0).amazonaws.com" }, requiredBy: "TIDINGS_ESP=ses")
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
            region: aws.region, endpoint: aws.endpoint, credentials: aws.credentials, configurationSet: configurationSet
        )
        return settings
    }
}
