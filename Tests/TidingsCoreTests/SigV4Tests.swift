import Foundation
import Testing

@testable import TidingsCore

/// SigV4 against AWS's published test suite (Tests/Fixtures/specs/aws/sigv4-test-suite, copied
/// from awslabs/aws-c-auth; PROVENANCE.md): for each vector the canonical request, the string to
/// sign, the signature and the Authorization header must equal AWS's, byte for byte.
@Suite("SigV4 signing")
struct SigV4Tests {
    static let suite = TestPaths.specs.appendingPathComponent("aws/sigv4-test-suite")

    /// The vectors copied; each is a folder with context.json, request.txt and the expected files.
    static let vectors = [
        "get-vanilla", "post-vanilla", "post-x-www-form-urlencoded", "get-vanilla-with-session-token",
        "get-vanilla-query-order-key-case", "get-vanilla-query-unreserved", "post-vanilla-query",
        "post-header-key-sort", "get-header-value-trim",
    ]

    /// A vector's request, signer and time, read from its files.
    struct Vector {
        var request: TransportRequest
        var signer: SigV4Signer
        var date: Date

        init(_ name: String) throws {
            let folder = SigV4Tests.suite.appendingPathComponent(name)
            let context = try JSONParser.parse(Array(Data(contentsOf: folder.appendingPathComponent("context.json"))))
            let members = try #require(context.objectValue)
            let credentials = try #require(members["credentials"]?.objectValue)
            signer = SigV4Signer(
                credentials: AWSCredentials(
                    accessKeyID: try #require(credentials["access_key_id"]?.stringValue),
                    secretAccessKey: Secret(try #require(credentials["secret_access_key"]?.stringValue)),
                    sessionToken: credentials["token"]?.stringValue.map(Secret.init)),
                region: try #require(members["region"]?.stringValue),
                service: try #require(members["service"]?.stringValue),
                sendsContentHash: members["sign_body"] == .bool(true))
            let timestamp = try #require(members["timestamp"]?.stringValue)
            date = try #require(Timestamp.parse(timestamp))
            request = try Self.parseRequest(try SigV4Tests.text(name, "request.txt"))
        }

        /// "METHOD TARGET HTTP/1.1", "Name:value" lines, a blank line and the body; Host goes into the URL.
        static func parseRequest(_ text: String) throws -> TransportRequest {
            var lines = text.components(separatedBy: "\n")
            let first = lines.removeFirst().split(separator: " ")
            var headers: [String: String] = [:]
            var host = ""
            while let line = lines.first, !line.isEmpty {
                lines.removeFirst()
                let colon = try #require(line.firstIndex(of: ":"))
                let name = String(line[..<colon])
                let value = String(line[line.index(after: colon)...])
                if name.lowercased() == "host" { host = value } else { headers[name] = value }
            }
            let body = lines.isEmpty ? "" : lines.dropFirst().joined(separator: "\n")
            return TransportRequest(
                method: String(first[0]), url: "https://\(host)\(first[1])", headers: headers, body: Array(body.utf8))
        }
    }

    static func text(_ vector: String, _ file: String) throws -> String {
        try String(contentsOf: suite.appendingPathComponent(vector).appendingPathComponent(file), encoding: .utf8)
    }

    @Test("Each step equals AWS's vector", arguments: vectors)
    func vector(_ name: String) throws {
        let vector = try Vector(name)
        let signature = try vector.signer.signature(for: vector.request, at: vector.date)
        #expect(signature.canonicalRequest == (try Self.text(name, "header-canonical-request.txt")))
        #expect(signature.stringToSign == (try Self.text(name, "header-string-to-sign.txt")))
        #expect(signature.signature == (try Self.text(name, "header-signature.txt")))
        // The signed request carries the same Authorization, date and token lines as AWS's.
        let expected = try Self.text(name, "header-signed-request.txt").components(separatedBy: "\n")
        let signed = try vector.signer.sign(vector.request, at: vector.date)
        let authorization = try #require(signed.headers["Authorization"])
        #expect(expected.contains("Authorization:" + authorization))
        #expect(expected.contains("X-Amz-Date:" + (signed.headers["X-Amz-Date"] ?? "")))
        if let token = signed.headers["X-Amz-Security-Token"] {
            #expect(expected.contains("X-Amz-Security-Token:" + token))
        } else {
            #expect(!expected.contains { $0.hasPrefix("X-Amz-Security-Token") })
        }
        #expect(
            signed.headers["x-amz-content-sha256"] == nil
                || expected.contains("x-amz-content-sha256:" + (signed.headers["x-amz-content-sha256"] ?? "")))
    }

    @Test("A changed body, header, secret or time changes the signature")
    func signatureCoversEverything() throws {
        let vector = try Vector("post-x-www-form-urlencoded")
        let base = try vector.signer.signature(for: vector.request, at: vector.date).signature
        var body = vector.request
        body.body = Array("Param1=value2".utf8)
        var header = vector.request
        header.headers["Content-Type"] = "text/plain"
        var secret = vector.signer
        secret.credentials.secretAccessKey = Secret("another-secret")
        let variants = [
            try vector.signer.signature(for: body, at: vector.date).signature,
            try vector.signer.signature(for: header, at: vector.date).signature,
            try secret.signature(for: vector.request, at: vector.date).signature,
            try vector.signer.signature(for: vector.request, at: vector.date.addingTimeInterval(1)).signature,
        ]
        #expect(Set(variants + [base]).count == 5)
    }

    @Test("The host carries a non-default port, and the secret appears in no header")
    func hostPortAndNoSecret() throws {
        let signer = SigV4Signer(
            credentials: AWSCredentials(
                accessKeyID: "AKIDEXAMPLE", secretAccessKey: Secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")),
            region: "eu-west-1", service: "ses")
        let request = TransportRequest(method: "POST", url: "http://127.0.0.1:4566/v2/email/outbound-emails")
        let signature = try signer.signature(for: request, at: Date(timeIntervalSince1970: 0))
        #expect(signature.canonicalRequest.contains("\nhost:127.0.0.1:4566\n"))
        #expect(signature.scope == "19700101/eu-west-1/ses/aws4_request")
        #expect(!signature.headers.values.contains { $0.contains("wJalrXUtnFEMI") })
        #expect(throws: SigningError.self) {
            try signer.sign(TransportRequest(method: "GET", url: "not a url"), at: Date())
        }
    }
}
