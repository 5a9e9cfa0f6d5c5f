import Crypto

/// The secret that seals the audit chain with HMAC-SHA256 instead of plain SHA-256
/// (`TIDINGS_AUDIT_KEY` or `TIDINGS_AUDIT_KEY_FILE`), so that records, heads and manifests cannot
/// be rewritten and re-chained by someone who can write the files but does not hold the key.
///
/// Never prints itself; the writer and the verifier must be given the same key. Sendable by hand:
/// `SymmetricKey` is an immutable value that swift-crypto does not mark.
public struct AuditKey: @unchecked Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The HMAC key.
    let symmetricKey: SymmetricKey

    /// Keys the audit chain with a configured secret (its UTF-8 bytes).
    public init(_ secret: Secret) {
        symmetricKey = SymmetricKey(data: secret.bytes)
    }

    /// Always "<redacted>".
    public var description: String { "<redacted>" }
    /// Always "<redacted>".
    public var debugDescription: String { "<redacted>" }
}
