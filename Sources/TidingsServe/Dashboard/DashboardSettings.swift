import Foundation
import TidingsCore

/// The dashboard's configuration, read once at start from the environment: who may sign in
/// (`TIDINGS_DASHBOARD_USERS_FILE`), whether the dashboard is reached over TLS
/// (`TIDINGS_DASHBOARD_PUBLIC_URL`), and the session and lockout limits. docs/configuration.md.
package struct DashboardSettings: Sendable {
    /// The reviewers who may sign in, by name, with their password hashes.
    package var credentials: [String: PasswordHash] = [:]
    /// The address reviewers open, when set; an `https` one makes the session cookie `Secure`.
    package var publicURL: URL?
    /// A session unused this long ends (seconds).
    package var idleTimeout: TimeInterval = 30 * 60
    /// A session ends this long after sign-in, however busy (seconds).
    package var absoluteTimeout: TimeInterval = 8 * 3600
    /// Wrong passwords in a row after which a name is locked.
    package var lockoutFailures = 5
    /// How long a locked name stays locked (seconds).
    package var lockoutDuration: TimeInterval = 15 * 60

    /// Settings with nobody able to sign in.
    package init() {}

    /// Whether the session cookie carries `Secure`: when reviewers reach the dashboard over
    /// https (a TLS-terminating proxy in front of `tidings serve`, which speaks plain HTTP).
    package var secureCookies: Bool { publicURL?.scheme?.lowercased() == "https" }

    /// Reads `TIDINGS_DASHBOARD_USERS_FILE` (lines `name:pbkdf2-sha256$…`, `#` comments) and
    /// `TIDINGS_DASHBOARD_PUBLIC_URL`. Every name must be one of `reviewers` (review.reviewers):
    /// the desk decides by that name. Throws `ConfigurationError` naming the variable and line.
    package static func load(
        environment: [String: String], reviewers: Set<String>, workingDirectory: URL? = nil
    ) throws(ConfigurationError) -> DashboardSettings {
        var settings = DashboardSettings()
        if let value = environment["TIDINGS_DASHBOARD_PUBLIC_URL"], !value.isEmpty {
            guard let url = URL(string: value), let scheme = url.scheme?.lowercased(),
                ["http", "https"].contains(scheme),
                url.host != nil
            else {
                throw ConfigurationError(
                    key: "TIDINGS_DASHBOARD_PUBLIC_URL", reason: "'\(value.prefix(200))' is not an http(s) URL")
            }
            settings.publicURL = url
        }
        let key = "TIDINGS_DASHBOARD_USERS_FILE"
        guard let path = environment[key], !path.isEmpty else { return settings }
        let base = workingDirectory ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : base.appendingPathComponent(path)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ConfigurationError(key: key, reason: "cannot read \(url.path)")
        }
        settings.credentials = try credentials(String(decoding: data, as: UTF8.self), reviewers: reviewers, key: key)
        return settings
    }

    /// The users file's lines as hashes by name.
    static func credentials(_ text: String, reviewers: Set<String>, key: String) throws(ConfigurationError)
        -> [String: PasswordHash]
    {
        var credentials: [String: PasswordHash] = [:]
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let place = "line \(index + 1)"
            guard let colon = line.firstIndex(of: ":") else {
                throw ConfigurationError(key: key, reason: "\(place): expected NAME:HASH")
            }
            let name = String(line[..<colon])
            guard reviewers.contains(name) else {
                throw ConfigurationError(
                    key: key,
                    reason:
                        "\(place): '\(name.prefix(64))' is not in review.reviewers; the dashboard signs in reviewers only"
                )
            }
            guard credentials[name] == nil else {
                throw ConfigurationError(key: key, reason: "\(place): '\(name)' appears twice")
            }
            do {
                credentials[name] = try PasswordHash(encoded: String(line[line.index(after: colon)...]))
            } catch {
                throw ConfigurationError(key: key, reason: "\(place) (\(name)): \(error.reason)")
            }
        }
        return credentials
    }
}
