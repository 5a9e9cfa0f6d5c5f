import Crypto
import Foundation
import TidingsCore
import _CryptoExtras

/// A reviewer's password as the users file keeps it: PBKDF2-HMAC-SHA256 over a random 16-byte
/// salt, 32 bytes out, written `pbkdf2-sha256$<iterations>$<salt base64>$<hash base64>`.
/// The iteration count travels with the hash, so raising the default later does not lock anyone
/// out (docs/decisions/serve-dashboard.md has the cost measured on this machine).
package struct PasswordHash: Sendable, Hashable {
    /// The scheme's name, the encoded form's first field.
    package static let scheme = "pbkdf2-sha256"
    /// What `tidings serve hash-password` uses: OWASP's 2023 figure for PBKDF2-HMAC-SHA256.
    package static let defaultIterations = 600_000
    /// The fewest iterations a users file may name; swift-crypto's checked API refuses fewer.
    package static let minimumIterations = 210_000

    /// PBKDF2 rounds.
    package var iterations: Int
    /// The random salt.
    package var salt: [UInt8]
    /// The derived key.
    package var hash: [UInt8]

    /// A new hash of `password` under a fresh random salt. Throws when `iterations` is below
    /// `minimumIterations`.
    package static func make(_ password: String, iterations: Int = defaultIterations) throws -> PasswordHash {
        guard iterations >= minimumIterations else {
            throw PasswordHashError(reason: "at least \(minimumIterations) iterations, not \(iterations)")
        }
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return PasswordHash(
            iterations: iterations, salt: salt, hash: try derive(password, salt: salt, iterations: iterations))
    }

    /// The users file's form.
    package var encoded: String {
        "\(Self.scheme)$\(iterations)$\(Data(salt).base64EncodedString())$\(Data(hash).base64EncodedString())"
    }

    /// Reads the encoded form. Throws `PasswordHashError` saying which part is wrong.
    package init(encoded text: String) throws(PasswordHashError) {
        let parts = text.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == Self.scheme else {
            throw PasswordHashError(
                reason: "expected \(Self.scheme)$ITERATIONS$SALT$HASH (from `tidings serve hash-password`)")
        }
        guard let iterations = Int(parts[1]), iterations >= Self.minimumIterations else {
            throw PasswordHashError(
                reason: "the iteration count must be a number of at least \(Self.minimumIterations)")
        }
        guard let salt = Data(base64Encoded: String(parts[2])), salt.count >= 16 else {
            throw PasswordHashError(reason: "the salt must be base64 of at least 16 bytes")
        }
        guard let hash = Data(base64Encoded: String(parts[3])), hash.count == 32 else {
            throw PasswordHashError(reason: "the hash must be base64 of 32 bytes")
        }
        self.init(iterations: iterations, salt: Array(salt), hash: Array(hash))
    }

    /// A hash from its parts.
    package init(iterations: Int, salt: [UInt8], hash: [UInt8]) {
        self.iterations = iterations
        self.salt = salt
        self.hash = hash
    }

    /// Whether `password` is the one hashed: derives it again (the slow part) and compares in
    /// constant time. False when the derivation fails (BoringSSL fails only on allocation).
    package func matches(_ password: String) -> Bool {
        guard let derived = try? Self.derive(password, salt: salt, iterations: iterations) else { return false }
        return ConstantTime.equals(derived, hash)
    }

    /// PBKDF2-HMAC-SHA256, 32 bytes. The iteration count is checked where a hash is made or read
    /// (a test's known-answer hash may use fewer).
    static func derive(_ password: String, salt: [UInt8], iterations: Int) throws -> [UInt8] {
        let key = try KDF.Insecure.PBKDF2.deriveKey(
            from: Array(password.utf8), salt: salt, using: .sha256, outputByteCount: 32,
            unsafeUncheckedRounds: iterations)
        return key.withUnsafeBytes { Array($0) }
    }
}

/// A password hash that cannot be read or made.
package struct PasswordHashError: Error, Sendable, CustomStringConvertible {
    /// What is wrong.
    package var reason: String
    /// The reason, for the configuration error that wraps it.
    package var description: String { reason }
}
