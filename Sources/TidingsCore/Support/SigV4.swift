import Crypto
import Foundation

/// AWS credentials as the SDKs read them from the environment: `AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY` and, for temporary credentials (what Lambda sets), `AWS_SESSION_TOKEN`.
/// The secret and the token are `Secret`s, so no interpolation can print them.
package struct AWSCredentials: Sendable {
    /// The access key id ("AKIA..."); it names the key and appears in every Authorization header.
    package var accessKeyID: String
    /// The secret access key; it keys the signature and is never sent.
    package var secretAccessKey: Secret
    /// The session token of temporary credentials, sent as `X-Amz-Security-Token`; nil otherwise.
    package var sessionToken: Secret?

    /// Creates credentials; pass `sessionToken` for temporary (STS, Lambda) credentials.
    package init(accessKeyID: String, secretAccessKey: Secret, sessionToken: Secret? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }
}

/// Signature Version 4, written against AWS's published algorithm ("Create a signed AWS API
/// request", IAM User Guide): canonical request, string to sign, the derived signing key and the
/// Authorization header. A pure function of the request, the credentials and the time, pinned by
/// AWS's own test vectors (Tests/Fixtures/specs/aws/sigv4-test-suite).
///
/// The path is normalized (dot segments removed, empty segments dropped) and each segment encoded
/// again, as every service but S3 expects; the query is decoded, re-encoded with RFC 3986 and
/// sorted. Every header of the request is signed (except `Authorization`), with `host` taken from
/// the URL when the request has no Host header, so no header can be altered in transit.
package struct SigV4Signer: Sendable {
    /// Who signs.
    package var credentials: AWSCredentials
    /// The region of the endpoint ("eu-west-1").
    package var region: String
    /// The signing name of the service ("ses" for SES v2, whose endpoint prefix is "email").
    package var service: String
    /// Whether to send and sign `x-amz-content-sha256` (S3 needs it; other services accept it).
    package var sendsContentHash: Bool

    /// Creates a signer for a service in a region.
    package init(credentials: AWSCredentials, region: String, service: String, sendsContentHash: Bool = false) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.sendsContentHash = sendsContentHash
    }

    /// Every intermediate of one signature, so tests can compare each with AWS's vectors.
    package struct Signature: Sendable, Hashable {
        /// `yyyyMMdd'T'HHmmss'Z'`, the `X-Amz-Date` value.
        package var amzDate: String
        /// `date/region/service/aws4_request`.
        package var scope: String
        /// The canonical request, lines joined by "\n".
        package var canonicalRequest: String
        /// Lower-case header names, sorted, joined by ";".
        package var signedHeaders: String
        /// The string to sign.
        package var stringToSign: String
        /// The signature, 64 lower-case hex digits.
        package var signature: String
        /// The headers to add to the request: `X-Amz-Date`, `X-Amz-Security-Token` (temporary
        /// credentials), `x-amz-content-sha256` (when sent) and `Authorization`.
        package var headers: [String: String]
    }

    /// The request with its signature headers added; signed at `date`. Throws `SigningError` when
    /// the URL has no host.
    package func sign(_ request: TransportRequest, at date: Date) throws(SigningError) -> TransportRequest {
        var signed = request
        for (name, value) in try signature(for: request, at: date).headers { signed.headers[name] = value }
        return signed
    }

    /// The signature of `request` at `date`, with every intermediate.
    package func signature(for request: TransportRequest, at date: Date) throws(SigningError) -> Signature {
        guard let components = URLComponents(string: request.url), let host = components.host, !host.isEmpty else {
            throw SigningError(reason: "the URL has no host")
        }
        let stamp = Timestamp.format(date, milliseconds: false).filter { $0 != "-" && $0 != ":" }
        let day = String(stamp.prefix(8))
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let payloadHash = Hex.encode(SHA256.hash(data: request.body))

        var added: [String: String] = ["X-Amz-Date": stamp]
        if let token = credentials.sessionToken {
            added["X-Amz-Security-Token"] = String(decoding: token.bytes, as: UTF8.self)
        }
        if sendsContentHash { added["x-amz-content-sha256"] = payloadHash }

        var canonical: [String: String] = [:]
        for (name, value) in request.headers.merging(added, uniquingKeysWith: { _, new in new }) {
            let lower = name.lowercased()
            guard lower != "authorization" else { continue }
            canonical[lower] = Self.canonicalValue(value)
        }
        if canonical["host"] == nil {
            let defaultPort = components.scheme?.lowercased() == "https" ? 443 : 80
            canonical["host"] = components.port.map { $0 == defaultPort ? host : "\(host):\($0)" } ?? host
        }
        let names = canonical.keys.sorted()
        let signedHeaders = names.joined(separator: ";")
        let canonicalRequest = [
            request.method.uppercased(),
            Self.canonicalPath(components.percentEncodedPath),
            Self.canonicalQuery(components.percentEncodedQuery),
            names.map { "\($0):\(canonical[$0] ?? "")\n" }.joined(),
            signedHeaders,
            payloadHash,
        ].joined(separator: "\n")
        let stringToSign = [
            "AWS4-HMAC-SHA256", stamp, scope, Hex.encode(SHA256.hash(data: Array(canonicalRequest.utf8))),
        ].joined(separator: "\n")
        let key = signingKey(day: day)
        let signature = Hex.encode(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key))
        added["Authorization"] =
            "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
        return Signature(
            amzDate: stamp, scope: scope, canonicalRequest: canonicalRequest, signedHeaders: signedHeaders,
            stringToSign: stringToSign, signature: signature, headers: added)
    }

    /// The signing key of a day: HMAC chained over date, region, service and "aws4_request",
    /// starting from "AWS4" + the secret access key.
    func signingKey(day: String) -> SymmetricKey {
        var key = SymmetricKey(data: Array("AWS4".utf8) + credentials.secretAccessKey.bytes)
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key))
        }
        return key
    }

    /// The value trimmed, with each run of spaces inside it made one space.
    static func canonicalValue(_ value: String) -> String {
        var result = ""
        var pendingSpace = false
        for character in value.trimmingCharacters(in: .whitespaces) {
            if character == " " || character == "\t" {
                pendingSpace = true
                continue
            }
            if pendingSpace { result.append(" ") }
            pendingSpace = false
            result.append(character)
        }
        return result
    }

    /// The normalized path with each (already encoded) segment encoded again; "/" when empty.
    static func canonicalPath(_ encodedPath: String) -> String {
        var segments: [Substring] = []
        for segment in encodedPath.split(separator: "/", omittingEmptySubsequences: true) {
            switch segment {
            case ".": continue
            case "..": _ = segments.popLast()
            default: segments.append(segment)
            }
        }
        var path = "/" + segments.map { PercentEncoding.encode(String($0)) }.joined(separator: "/")
        if encodedPath.hasSuffix("/") && !segments.isEmpty { path += "/" }
        return path
    }

    /// The query's parameters decoded, re-encoded with RFC 3986 and sorted by name, then value.
    static func canonicalQuery(_ encodedQuery: String?) -> String {
        guard let encodedQuery, !encodedQuery.isEmpty else { return "" }
        var pairs: [(String, String)] = []
        for parameter in encodedQuery.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0]).removingPercentEncoding ?? String(parts[0])
            let value = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? String(parts[1])) : ""
            pairs.append((PercentEncoding.encode(name), PercentEncoding.encode(value)))
        }
        pairs.sort { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }
        return pairs.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }
}

/// A request that cannot be signed (its URL has no host).
package struct SigningError: Error, Sendable, CustomStringConvertible {
    /// What is wrong with the request; never holds a credential.
    package var reason: String

    /// Creates an error with its reason.
    package init(reason: String) { self.reason = reason }

    /// "cannot sign the request: REASON".
    package var description: String { "cannot sign the request: \(reason)" }
}
