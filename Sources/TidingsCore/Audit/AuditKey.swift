import Crypto

/// The secret that seals the audit chain with HMAC-SHA256 instead of plain SHA-256
/// (`TIDINGS_AUDIT_KEY` or `TIDINGS_AUDIT_KEY_FILE`), so that records, heads and manifests cannot
/// be rewritten and re-chained by someone who can write the files but does not hold the key.
///
/// Never prints itself; the writer and the verifier must be given the same key. Sendable by hand:
/// the keyed `HMAC` value is only ever copied, never changed in place.
package struct AuditKey: @unchecked Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// An HMAC already keyed and fed nothing: each seal starts from a copy, so the key's pads
    /// are hashed once, not per record (swift-crypto's digest state is copy-on-write).
    let keyed: HMAC<SHA256>

    /// Keys the audit chain with a configured secret (its UTF-8 bytes).
    package init(_ secret: Secret) {
        keyed = HMAC<SHA256>(key: SymmetricKey(data: secret.bytes))
    }

    /// Always "<redacted>".
    package var description: String { "<redacted>" }
    /// Always "<redacted>".
    package var debugDescription: String { "<redacted>" }
}
