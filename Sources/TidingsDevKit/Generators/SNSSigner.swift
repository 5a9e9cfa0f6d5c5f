import Crypto
import Foundation
import TidingsCore
import _CryptoExtras

/// Signs SNS messages the way SNS does, with a test key: PKCS#1 v1.5 over `SNSMessage.stringToSign`,
/// SHA-1 for SignatureVersion 1 and SHA-256 for 2. For tests and local tools that need genuine
/// signatures over messages of their own (Tests/Fixtures/sns holds the key and its certificate).
package struct SNSSigner: Sendable {
    let key: _RSA.Signing.PrivateKey

    /// A signer with a PEM private key (PKCS#1 or PKCS#8) of 2048 bits or more.
    package init(pem: String) throws {
        key = try _RSA.Signing.PrivateKey(pemRepresentation: pem)
    }

    /// `message` with SignatureVersion, SigningCertURL and Signature set; version 1 or 2.
    package func sign(_ message: SNSMessage, version: String, certificateURL: String) throws -> SNSMessage {
        var message = message
        message.signatureVersion = version
        message.signingCertURL = certificateURL
        let signed = Data(message.stringToSign.utf8)
        let signature =
            version == "1"
            ? try key.signature(for: Insecure.SHA1.hash(data: signed), padding: .insecurePKCS1v1_5)
            : try key.signature(for: SHA256.hash(data: signed), padding: .insecurePKCS1v1_5)
        message.signature = signature.rawRepresentation.base64EncodedString()
        return message
    }

    /// The JSON SNS POSTs for `message` (the fields it carries, keys sorted).
    package static func body(_ message: SNSMessage) -> [UInt8] {
        var object: [String: String] = [
            "Type": message.type, "MessageId": message.messageID, "TopicArn": message.topicArn,
            "Message": message.message, "Timestamp": message.timestamp, "SignatureVersion": message.signatureVersion,
            "Signature": message.signature, "SigningCertURL": message.signingCertURL,
        ]
        if let subject = message.subject { object["Subject"] = subject }
        if let url = message.subscribeURL { object["SubscribeURL"] = url }
        if let token = message.token { object["Token"] = token }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(object)) ?? Data())
    }
}
