import Foundation

/// What the feedback routes of the `unsubscribe` function accept (docs/decisions/suppression.md,
/// "Bounces and complaints"): the SNS topics whose SES notifications may suppress, and Mandrill's
/// webhook key and URL. A source left unconfigured is refused (403, `not_configured`), so a
/// function deployed without them suppresses nobody on anyone's say-so.
package struct FeedbackSettings: Sendable {
    /// `TIDINGS_SNS_TOPIC_ARNS`: comma-separated topic ARNs (default none: every SNS message refused).
    package var snsTopics: Set<String>
    /// `MANDRILL_WEBHOOK_KEY` (or `MANDRILL_WEBHOOK_KEY_FILE`): the webhook's signing key as Mandrill
    /// shows it (default none: every Mandrill POST refused).
    package var mandrillKey: Secret?
    /// `MANDRILL_WEBHOOK_URL`: the webhook URL exactly as configured at Mandrill, which it signs.
    /// Required when the key is set.
    package var mandrillURL: String?

    /// Settings from their parts.
    package init(snsTopics: Set<String> = [], mandrillKey: Secret? = nil, mandrillURL: String? = nil) {
        self.snsTopics = snsTopics
        self.mandrillKey = mandrillKey
        self.mandrillURL = mandrillURL
    }

    /// Reads the settings. Throws `ConfigurationError` naming the variable: a topic that is not an
    /// `arn:aws:sns:` or `arn:aws-cn:sns:` ARN, a Mandrill key without its URL or the other way
    /// round, a URL that is not http(s).
    package static func load(environment: [String: String]) throws(ConfigurationError) -> FeedbackSettings {
        var topics: Set<String> = []
        for part in (environment["TIDINGS_SNS_TOPIC_ARNS"] ?? "").split(separator: ",") {
            let arn = part.trimmingCharacters(in: .whitespaces)
            if arn.isEmpty { continue }
            let fields = arn.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count == 6, fields[0] == "arn", fields[1].hasPrefix("aws"), fields[2] == "sns",
                !fields[3].isEmpty, !fields[4].isEmpty, !fields[5].isEmpty
            else {
                throw ConfigurationError(
                    key: "TIDINGS_SNS_TOPIC_ARNS",
                    reason: "'\(arn.prefix(80))' is not arn:aws:sns:<region>:<account>:<topic>")
            }
            topics.insert(arn)
        }
        let key = try Configuration.readSecret("MANDRILL_WEBHOOK_KEY", environment: environment)
        let url = environment["MANDRILL_WEBHOOK_URL"].flatMap { $0.isEmpty ? nil : $0 }
        if key != nil, url == nil {
            throw ConfigurationError(
                key: "MANDRILL_WEBHOOK_URL", reason: "set it to the webhook URL configured at Mandrill, which it signs")
        }
        if let url {
            guard key != nil else {
                throw ConfigurationError(
                    key: "MANDRILL_WEBHOOK_KEY", reason: "MANDRILL_WEBHOOK_URL is set without the key")
            }
            guard let scheme = URLComponents(string: url)?.scheme, scheme == "https" || scheme == "http" else {
                throw ConfigurationError(key: "MANDRILL_WEBHOOK_URL", reason: "not an http(s) URL")
            }
        }
        return FeedbackSettings(snsTopics: topics, mandrillKey: key, mandrillURL: url)
    }
}
