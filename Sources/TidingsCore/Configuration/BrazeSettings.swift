import Foundation

extension EmailSettings {
    /// What Braze needs (`TIDINGS_ESP=braze`, docs/decisions/scheduled-sends.md): the workspace's
    /// REST endpoint, the API key (sent as `Authorization: Bearer`, never printed) and either an app
    /// id for messages whose content Tidings sends, or an API-triggered campaign that renders it.
    package struct Braze: Sendable {
        /// `BRAZE_REST_ENDPOINT` without a trailing slash, such as `https://rest.iad-01.braze.com`.
        package var endpoint: String
        /// `BRAZE_API_KEY` (or `BRAZE_API_KEY_FILE`).
        package var apiKey: Secret
        /// `BRAZE_CAMPAIGN_ID`: when set, email goes through `/campaigns/trigger/send` with the
        /// rendered parts as `trigger_properties`; nil sends the content with `/messages/send`.
        package var campaignID: String?
        /// `BRAZE_APP_ID`: the email object's required `app_id`; required unless `campaignID` is set.
        package var appID: String?

        /// Settings from their parts, unchecked.
        package init(endpoint: String, apiKey: Secret, campaignID: String?, appID: String?) {
            self.endpoint = endpoint
            self.apiKey = apiKey
            self.campaignID = campaignID
            self.appID = appID
        }

        /// Reads the settings. Throws `ConfigurationError` naming the variable: a missing or
        /// malformed `BRAZE_REST_ENDPOINT`, a missing `BRAZE_API_KEY` (and `_FILE`), a missing
        /// `BRAZE_APP_ID` without a campaign, an id that is not letters, digits and dashes.
        package static func load(environment: [String: String]) throws(ConfigurationError) -> Braze {
            func value(_ name: String) -> String? {
                guard let text = environment[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
                    return nil
                }
                return text
            }
            guard let text = value("BRAZE_REST_ENDPOINT") else {
                throw ConfigurationError(
                    key: "BRAZE_REST_ENDPOINT",
                    reason:
                        "required when TIDINGS_ESP=braze: the workspace's REST endpoint, such as https://rest.iad-01.braze.com"
                )
            }
            let endpoint = try Configuration.baseURL(
                text, key: "BRAZE_REST_ENDPOINT", example: "https://rest.iad-01.braze.com")
            guard let key = try Configuration.readSecret("BRAZE_API_KEY", environment: environment) else {
                throw ConfigurationError(
                    key: "BRAZE_API_KEY", reason: "required when TIDINGS_ESP=braze (or BRAZE_API_KEY_FILE)")
            }
            let campaignID = value("BRAZE_CAMPAIGN_ID")
            let appID = value("BRAZE_APP_ID")
            for (name, id) in [("BRAZE_CAMPAIGN_ID", campaignID), ("BRAZE_APP_ID", appID)] {
                guard let id else { continue }
                guard id.count <= 64, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
                    throw ConfigurationError(key: name, reason: "must be at most 64 ASCII letters, digits or dashes")
                }
            }
            if campaignID == nil && appID == nil {
                throw ConfigurationError(
                    key: "BRAZE_APP_ID",
                    reason: "required when TIDINGS_ESP=braze without BRAZE_CAMPAIGN_ID (the email object's app_id)")
            }
            return Braze(endpoint: endpoint, apiKey: key, campaignID: campaignID, appID: appID)
        }
    }
}
