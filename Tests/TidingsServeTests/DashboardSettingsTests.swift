import Foundation
import Testing
import TidingsCore
import TidingsServe

/// The users file and its password hashes (docs/decisions/serve-dashboard.md).
@Suite("Dashboard: users file and password hashes")
struct DashboardSettingsTests {
    static let cost = PasswordHash.minimumIterations

    @Test("A hash matches its password only, carries its cost and salt, and reads back from its line")
    func passwordHash() throws {
        let hash = try PasswordHash.make("s3cret pass", iterations: Self.cost)
        #expect(hash.matches("s3cret pass"))
        #expect(!hash.matches("s3cret pasS"))
        #expect(!hash.matches(""))
        #expect(hash.encoded.hasPrefix("pbkdf2-sha256$\(Self.cost)$"))
        #expect(!hash.encoded.contains("s3cret"))
        let again = try PasswordHash.make("s3cret pass", iterations: Self.cost)
        #expect(again.salt != hash.salt && again.hash != hash.hash, "a fresh salt each time")
        #expect(try PasswordHash(encoded: hash.encoded) == hash)
        #expect(throws: PasswordHashError.self) { try PasswordHash.make("x", iterations: 1000) }
    }

    @Test("PBKDF2-HMAC-SHA256 as RFC 7914 section 11 pins it (passwd, salt, 1 round, 64 bytes)")
    func knownAnswer() throws {
        // The derivation itself, at a cost only a test may use: a hash of these parts matches.
        let expected = "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
        let bytes = stride(from: 0, to: expected.count, by: 2).map { offset -> UInt8 in
            let start = expected.index(expected.startIndex, offsetBy: offset)
            return UInt8(expected[start..<expected.index(start, offsetBy: 2)], radix: 16)!
        }
        let known = PasswordHash(iterations: 1, salt: Array("salt".utf8), hash: bytes)
        #expect(known.matches("passwd"))
        #expect(!known.matches("passwe"))
    }

    @Test("The users file: names must be reviewers, hashes well formed, costs high enough; errors name the line")
    func usersFile() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("users-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let good = try PasswordHash.make("pw", iterations: Self.cost).encoded
        func load(_ text: String) throws -> DashboardSettings {
            try Data(text.utf8).write(to: scratch)
            return try DashboardSettings.load(
                environment: ["TIDINGS_DASHBOARD_USERS_FILE": scratch.path], reviewers: ["maria", "tom"])
        }
        let settings = try load("# reviewers\nmaria:\(good)\n\n")
        #expect(settings.credentials.keys.sorted() == ["maria"])
        #expect(settings.credentials["maria"]?.matches("pw") == true)

        func refusal(_ text: String) -> String? {
            do {
                _ = try load(text)
                return nil
            } catch {
                return "\(error)"
            }
        }
        #expect(refusal("mallory:\(good)")?.contains("line 1: 'mallory' is not in review.reviewers") == true)
        #expect(refusal("maria:\(good)\nmaria:\(good)")?.contains("line 2: 'maria' appears twice") == true)
        #expect(refusal("maria:pbkdf2-sha256$1000$AAAAAAAAAAAAAAAAAAAAAA==$AAAA")?.contains("iteration count") == true)
        #expect(refusal("maria:md5$xyz")?.contains("expected pbkdf2-sha256$") == true)
        #expect(refusal("maria")?.contains("expected NAME:HASH") == true)
        #expect(refusal("tom:\(good)")?.contains("TIDINGS_DASHBOARD_USERS_FILE") == nil)
        #expect(
            throws: ConfigurationError.self,
            performing: {
                try DashboardSettings.load(
                    environment: ["TIDINGS_DASHBOARD_USERS_FILE": scratch.path + ".missing"], reviewers: [])
            })
    }

    @Test("TIDINGS_DASHBOARD_PUBLIC_URL decides Secure cookies; a bad one is refused")
    func publicURL() throws {
        #expect(!DashboardSettings().secureCookies)
        let https = try DashboardSettings.load(
            environment: ["TIDINGS_DASHBOARD_PUBLIC_URL": "https://review.example.com/"], reviewers: [])
        #expect(https.secureCookies)
        let http = try DashboardSettings.load(
            environment: ["TIDINGS_DASHBOARD_PUBLIC_URL": "http://127.0.0.1:8080"], reviewers: [])
        #expect(!http.secureCookies)
        #expect(throws: ConfigurationError.self) {
            try DashboardSettings.load(
                environment: ["TIDINGS_DASHBOARD_PUBLIC_URL": "review.example.com"], reviewers: [])
        }
    }
}
