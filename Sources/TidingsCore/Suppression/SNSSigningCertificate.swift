import Crypto
import Foundation
import SwiftASN1
import _CryptoExtras

/// The part of an SNS signing certificate the signature check needs: its validity dates and its
/// RSA public key, cut out of the X.509 DER (`tbsCertificate.subjectPublicKeyInfo`). The
/// certificate is trusted because it came over https from an SNS host (`SNSMessage.
/// checkCertificateURL`), as AWS describes; its chain is not walked (docs/decisions/suppression.md).
package struct SNSSigningCertificate: Sendable {
    /// The start of the validity period.
    package var notBefore: Date
    /// The end of the validity period.
    package var notAfter: Date
    /// The subject's key; at least 2048 bits (swift-crypto refuses shorter ones).
    package var publicKey: _RSA.Signing.PublicKey

    /// Reads a PEM certificate (`-----BEGIN CERTIFICATE-----`). Throws `SNSError` on field
    /// `SigningCertURL` when it is not an X.509 certificate with an RSA key of 2048 bits or more.
    package init(pem: String) throws(SNSError) {
        let der: [UInt8]
        do {
            let document = try PEMDocument(pemString: pem)
            guard document.discriminator == "CERTIFICATE" else {
                throw SNSError(
                    field: "SigningCertURL", reason: "the PEM holds a \(document.discriminator), not a certificate")
            }
            der = document.derBytes
        } catch let error as SNSError {
            throw error
        } catch {
            throw SNSError(field: "SigningCertURL", reason: "not a PEM certificate")
        }
        try self.init(der: der)
    }

    /// Reads a DER certificate: `Certificate ::= SEQUENCE { tbsCertificate, ... }` with
    /// `tbsCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber, signature, issuer,
    /// validity, subject, subjectPublicKeyInfo, ... }` (RFC 5280, 4.1).
    package init(der: [UInt8]) throws(SNSError) {
        func bad(_ reason: String) -> SNSError { SNSError(field: "SigningCertURL", reason: reason) }
        let tbs: [ASN1Node]
        do {
            let root = try DER.parse(der)
            guard case .constructed(let certificate) = root.content, let first = Array(certificate).first,
                case .constructed(let fields) = first.content
            else { throw bad("not an X.509 certificate") }
            tbs = Array(fields)
        } catch let error as SNSError {
            throw error
        } catch {
            throw bad("not DER: \(error)")
        }
        // An explicit [0] version comes first in v3 certificates; without it the fields move up one.
        let offset = tbs.first?.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) ? 1 : 0
        guard tbs.count >= offset + 6, case .constructed(let validity) = tbs[offset + 3].content else {
            throw bad("the certificate has no validity or key")
        }
        let dates = Array(validity)
        guard dates.count == 2, let start = Self.date(dates[0]), let end = Self.date(dates[1]) else {
            throw bad("the certificate's validity dates do not read")
        }
        do {
            publicKey = try _RSA.Signing.PublicKey(derRepresentation: Array(tbs[offset + 5].encodedBytes))
        } catch {
            throw bad("the certificate's key is not an RSA key of 2048 bits or more")
        }
        notBefore = start
        notAfter = end
    }

    /// A UTCTime or GeneralizedTime as a date; nil for anything else.
    static func date(_ node: ASN1Node) -> Date? {
        let parts: (Int, Int, Int, Int, Int, Int)
        if let time = try? UTCTime(derEncoded: node) {
            parts = (time.year, time.month, time.day, time.hours, time.minutes, time.seconds)
        } else if let time = try? GeneralizedTime(derEncoded: node) {
            parts = (time.year, time.month, time.day, time.hours, time.minutes, time.seconds)
        } else {
            return nil
        }
        return Timestamp.epochSeconds(parts.0, parts.1, parts.2, parts.3, parts.4, parts.5)
            .map { Date(timeIntervalSince1970: TimeInterval($0)) }
    }

    /// Checks that `message` was signed with this certificate's key, now within its validity:
    /// PKCS#1 v1.5 over `stringToSign` with SHA-1 (SignatureVersion 1) or SHA-256 (2).
    package func verify(_ message: SNSMessage, now: Date) throws(FeedbackRefusal) {
        guard now >= notBefore, now <= notAfter else {
            throw FeedbackRefusal(
                .certificateExpired,
                "the signing certificate is valid from \(Timestamp.format(notBefore)) to \(Timestamp.format(notAfter))")
        }
        let algorithm: String
        do {
            algorithm = try message.signatureAlgorithm
        } catch {
            throw FeedbackRefusal(.unknownSignatureVersion, error.description)
        }
        guard let signature = Data(base64Encoded: message.signature) else {
            throw FeedbackRefusal(.badSignature, "Signature: not base64")
        }
        let signed = Data(message.stringToSign.utf8)
        let rsa = _RSA.Signing.RSASignature(rawRepresentation: signature)
        let valid =
            algorithm == "SHA1withRSA"
            ? publicKey.isValidSignature(rsa, for: Insecure.SHA1.hash(data: signed), padding: .insecurePKCS1v1_5)
            : publicKey.isValidSignature(rsa, for: SHA256.hash(data: signed), padding: .insecurePKCS1v1_5)
        guard valid else {
            throw FeedbackRefusal(.badSignature, "the signature does not match the message and the signing certificate")
        }
    }
}

/// Why a feedback request (an SNS message, a Mandrill webhook) was refused: nothing of it was
/// acted on. The endpoint answers 403 and audits it as `unauthenticated`, the code opening the reason.
package struct FeedbackRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was wrong, as a value.
    package enum Code: String, Sendable, Hashable {
        /// The SNS message is from a topic that is not configured (`TIDINGS_SNS_TOPIC_ARNS`).
        case wrongTopic = "wrong_topic"
        /// SignatureVersion is neither 1 nor 2.
        case unknownSignatureVersion = "unknown_signature_version"
        /// SigningCertURL or SubscribeURL is not on an SNS host.
        case untrustedURL = "untrusted_url"
        /// The message's Timestamp is too old (a replay) or in the future.
        case staleMessage = "stale_message"
        /// The signing certificate is outside its validity dates.
        case certificateExpired = "certificate_expired"
        /// The signing certificate did not arrive or does not read.
        case certificateUnreadable = "certificate_unreadable"
        /// The RSA or HMAC signature does not match.
        case badSignature = "bad_signature"
        /// No signature header.
        case missingSignature = "missing_signature"
        /// The source is not configured here (no topics, no Mandrill webhook key).
        case notConfigured = "not_configured"
    }

    /// What was wrong.
    package var code: Code
    /// The facts, without any secret.
    package var detail: String

    /// A refusal with its code and facts.
    package init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    /// "<code>: <detail>".
    package var description: String { "\(code.rawValue): \(detail)" }
}
