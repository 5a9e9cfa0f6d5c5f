import Foundation

extension EmailSettings {
    /// What the SMTP relay needs (`TIDINGS_ESP=smtp`, docs/decisions/smtp.md): where, whether
    /// STARTTLS is required, as whom, and which CA to trust. The password is never printed.
    package struct SMTP: Sendable {
        /// `SMTP_URL`: `smtp://host[:port]` (STARTTLS, port 25 by default) or `smtps://host[:port]`
        /// (TLS from the first byte, port 465 by default), without credentials, path or query.
        package var url: String
        /// True unless `SMTP_STARTTLS=off`: an `smtp://` relay that does not offer STARTTLS is
        /// refused rather than sent the message (and the password) in clear. Always true for smtps.
        package var requireTLS: Bool
        /// `SMTP_USERNAME`; nil sends without AUTH.
        package var username: String?
        /// `SMTP_PASSWORD` (or `SMTP_PASSWORD_FILE`); set exactly when `username` is.
        package var password: Secret?
        /// `SMTP_CA_FILE`: a PEM bundle to trust instead of the system's (a private relay's CA, a
        /// test's self-signed certificate). Verification itself is never turned off.
        package var caFile: String?
        /// `SMTP_MAIL_FROM`: the envelope sender (MAIL FROM, where bounces go), its domain in ASCII;
        /// nil uses each message's From address.
        package var mailFrom: String?

        /// Settings from their parts, unchecked (`load` checks what the environment gives).
        package init(
            url: String, requireTLS: Bool, username: String?, password: Secret?, caFile: String?, mailFrom: String?
        ) {
            self.url = url
            self.requireTLS = requireTLS
            self.username = username
            self.password = password
            self.caFile = caFile
            self.mailFrom = mailFrom
        }

        /// The URL's host, for logs and errors.
        package var host: String { URLComponents(string: url)?.host ?? "unknown host" }

        /// Reads the settings. Throws `ConfigurationError` naming the variable: a missing or
        /// malformed `SMTP_URL`, an `SMTP_STARTTLS` other than on or off, a username without a
        /// password or the reverse, an unreadable CA file, an envelope sender that is not a plain
        /// address.
        package static func load(environment: [String: String]) throws(ConfigurationError) -> SMTP {
            func value(_ name: String) -> String? {
                guard let text = environment[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
                    return nil
                }
                return text
            }
            guard let url = value("SMTP_URL") else {
                throw ConfigurationError(key: "SMTP_URL", reason: "required when TIDINGS_ESP=smtp")
            }
            let example = "such as smtp://smtp.example.com:587 or smtps://smtp.example.com:465"
            guard let parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased(),
                scheme == "smtp" || scheme == "smtps", let host = parts.host, !host.isEmpty
            else {
                throw ConfigurationError(
                    key: "SMTP_URL", reason: "must be an smtp:// or smtps:// URL with a host, \(example)")
            }
            // Credentials in the URL would reach the logs; a path would become libcurl's EHLO name.
            guard parts.user == nil, parts.password == nil, parts.query == nil, parts.fragment == nil,
                parts.path.isEmpty || parts.path == "/"
            else {
                throw ConfigurationError(
                    key: "SMTP_URL",
                    reason:
                        "must be only scheme, host and port (credentials go in SMTP_USERNAME and SMTP_PASSWORD), \(example)"
                )
            }
            if let port = parts.port, !(1...65535).contains(port) {
                throw ConfigurationError(key: "SMTP_URL", reason: "the port must be 1 to 65535")
            }

            var requireTLS = true
            if let text = value("SMTP_STARTTLS") {
                switch text.lowercased() {
                case "on": requireTLS = true
                case "off": requireTLS = scheme == "smtps"
                default: throw ConfigurationError(key: "SMTP_STARTTLS", reason: "must be on or off")
                }
            }

            let username = value("SMTP_USERNAME")
            let password = try Configuration.readSecret("SMTP_PASSWORD", environment: environment)
            if username != nil, password == nil {
                throw ConfigurationError(
                    key: "SMTP_PASSWORD", reason: "required with SMTP_USERNAME (or SMTP_PASSWORD_FILE)")
            }
            if username == nil, password != nil {
                throw ConfigurationError(key: "SMTP_USERNAME", reason: "required with SMTP_PASSWORD")
            }
            if let username, username.utf8.contains(where: { $0 < 32 || $0 == 127 }) {
                throw ConfigurationError(key: "SMTP_USERNAME", reason: "must not hold control characters")
            }

            let caFile = value("SMTP_CA_FILE")
            if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
                throw ConfigurationError(key: "SMTP_CA_FILE", reason: "cannot read the file '\(caFile.prefix(200))'")
            }
            var mailFrom: String?
            if let text = value("SMTP_MAIL_FROM") {
                do {
                    mailFrom = try EmailAddress(text).ascii
                } catch {
                    throw ConfigurationError(
                        key: "SMTP_MAIL_FROM", reason: "must be a plain address such as bounces@example.com: \(error)")
                }
            }
            return SMTP(
                url: url, requireTLS: requireTLS, username: username, password: password, caFile: caFile,
                mailFrom: mailFrom)
        }
    }
}
