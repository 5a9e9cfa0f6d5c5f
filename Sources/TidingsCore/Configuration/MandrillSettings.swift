import Foundation

extension EmailSettings {
    /// What Mailchimp Transactional (Mandrill) needs (`TIDINGS_ESP=mandrill`,
    /// docs/decisions/scheduled-sends.md): where, and the API key, which travels in the JSON body
    /// field `key` and is never printed.
    package struct Mandrill: Sendable {
        /// The API's default base, the path Mailchimp's reference examples call; the OpenAPI
        /// description names `/api/1.4` and its Swagger twin `/api/1.3` for the same operations and
        /// shapes (docs/decisions/scheduled-sends.md).
        package static let defaultBaseURL = "https://mandrillapp.com/api/1.0"

        /// `MANDRILL_BASE_URL` without a trailing slash (default `defaultBaseURL`); the paths
        /// (`/messages/send-raw`, ...) are appended to it.
        package var baseURL: String
        /// `MANDRILL_API_KEY` (or `MANDRILL_API_KEY_FILE`).
        package var apiKey: Secret

        /// Settings from their parts, unchecked.
        package init(baseURL: String, apiKey: Secret) {
            self.baseURL = baseURL
            self.apiKey = apiKey
        }

        /// Reads the settings. Throws `ConfigurationError` naming the variable: a missing
        /// `MANDRILL_API_KEY` (and `_FILE`), an unreadable key file, a `MANDRILL_BASE_URL` that is
        /// not an http(s) URL.
        package static func load(environment: [String: String]) throws(ConfigurationError) -> Mandrill {
            guard let key = try Configuration.readSecret("MANDRILL_API_KEY", environment: environment) else {
                throw ConfigurationError(
                    key: "MANDRILL_API_KEY", reason: "required when TIDINGS_ESP=mandrill (or MANDRILL_API_KEY_FILE)")
            }
            var baseURL = defaultBaseURL
            if let text = environment["MANDRILL_BASE_URL"]?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
                baseURL = try Configuration.baseURL(
                    text, key: "MANDRILL_BASE_URL", example: "http://127.0.0.1:8025/api/1.0")
            }
            return Mandrill(baseURL: baseURL, apiKey: key)
        }
    }
}
