import Foundation

extension EmailSettings {
    /// What Klaviyo needs (`TIDINGS_ESP=klaviyo`, docs/decisions/klaviyo.md): the private API key,
    /// where the API is, and how long one request may take. The key is never printed.
    package struct Klaviyo: Sendable {
        /// `KLAVIYO_API_KEY` (or `KLAVIYO_API_KEY_FILE`): a private key with the `profiles:write`
        /// and `events:write` scopes, sent as `Authorization: Klaviyo-API-Key <key>`.
        package var apiKey: Secret
        /// `KLAVIYO_BASE_URL`, default `https://a.klaviyo.com` (no trailing slash); plain http only
        /// for a loopback fake.
        package var baseURL: String
        /// `KLAVIYO_TIMEOUT_SECONDS`: the most seconds one HTTP exchange may take, connect
        /// included (default 20, at most 60); an invocation's deadline shortens it further.
        package var timeout: TimeInterval

        /// Settings from their parts, unchecked (`load` checks what the environment gives).
        package init(apiKey: Secret, baseURL: String = "https://a.klaviyo.com", timeout: TimeInterval = 20) {
            self.apiKey = apiKey
            self.baseURL = ModelEndpoint.trimmed(baseURL)
            self.timeout = timeout
        }

        /// Reads the settings. Throws `ConfigurationError` naming the variable: a missing or empty
        /// key (or an unreadable key file), a base URL that is not an http(s) URL, a timeout that is
        /// not a number of seconds from 1 to 60.
        package static func load(environment: [String: String]) throws(ConfigurationError) -> Klaviyo {
            func value(_ name: String) -> String? {
                guard let text = environment[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
                    return nil
                }
                return text
            }
            guard let key = try Configuration.readSecret("KLAVIYO_API_KEY", environment: environment) else {
                throw ConfigurationError(
                    key: "KLAVIYO_API_KEY", reason: "required when TIDINGS_ESP=klaviyo (or KLAVIYO_API_KEY_FILE)")
            }
            // A header cannot carry a line break or a control character; not echoed, it is a secret.
            guard key.bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw ConfigurationError(key: "KLAVIYO_API_KEY", reason: "must be printable ASCII without spaces")
            }
            var settings = Klaviyo(apiKey: key)
            if let text = value("KLAVIYO_BASE_URL") {
                settings.baseURL = try Configuration.baseURL(
                    text, key: "KLAVIYO_BASE_URL", example: "https://a.klaviyo.com")
            }
            if let text = value("KLAVIYO_TIMEOUT_SECONDS") {
                guard let seconds = Double(text), seconds >= 1, seconds <= 60 else {
                    throw ConfigurationError(
                        key: "KLAVIYO_TIMEOUT_SECONDS",
                        reason: "'\(text.prefix(20))' is not a number of seconds from 1 to 60")
                }
                settings.timeout = seconds
            }
            return settings
        }
    }
}
