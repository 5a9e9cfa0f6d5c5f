import Foundation

/// What every AWS service client needs, read from the environment the way the AWS SDKs read it:
/// the region (`AWS_REGION`, else `AWS_DEFAULT_REGION`), the credentials (`AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY` or its `_FILE`, `AWS_SESSION_TOKEN`) and the endpoint (the service's
/// `AWS_ENDPOINT_URL_<SERVICE>`, else `AWS_ENDPOINT_URL`, else the service's public endpoint in the
/// region). SES (`EmailSettings`) and DynamoDB (`StateSettings`) both read it here.
package struct AWSSettings: Sendable {
    /// The region ("eu-west-1").
    package var region: String
    /// The service's base URL, no trailing slash.
    package var endpoint: String
    /// Who signs.
    package var credentials: AWSCredentials

    /// Reads the settings for one service. `endpointKey` is its SDK endpoint variable
    /// (`AWS_ENDPOINT_URL_SESV2`); `defaultEndpoint` gives its public URL for a region;
    /// `requiredBy` names the setting that needs AWS ("TIDINGS_ESP=ses"), for the error. Throws
    /// `ConfigurationError` naming the variable: a missing or malformed region, missing
    /// credentials, or an endpoint override that is not an http(s) URL. Never echoes a secret.
    package static func load(
        environment: [String: String], endpointKey: String, defaultEndpoint: (String) -> String, requiredBy: String
    ) throws(ConfigurationError) -> AWSSettings {
        func value(_ name: String) -> String? {
            guard let text = environment[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
                return nil
            }
            return text
        }
        let regionKey = value("AWS_REGION") != nil ? "AWS_REGION" : "AWS_DEFAULT_REGION"
        guard let region = value(regionKey) else {
            throw ConfigurationError(key: "AWS_REGION", reason: "required when \(requiredBy) (or AWS_DEFAULT_REGION)")
        }
        guard isRegion(region) else {
            throw ConfigurationError(
                key: regionKey, reason: "'\(region.prefix(40))' is not a region name such as eu-west-1")
        }
        guard let accessKeyID = value("AWS_ACCESS_KEY_ID") else {
            throw ConfigurationError(key: "AWS_ACCESS_KEY_ID", reason: "required when \(requiredBy)")
        }
        guard accessKeyID.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            // Not echoed: a secret pasted into the wrong variable must not reach the logs.
            throw ConfigurationError(key: "AWS_ACCESS_KEY_ID", reason: "must be letters and digits only")
        }
        guard let secret = try Configuration.readSecret("AWS_SECRET_ACCESS_KEY", environment: environment) else {
            throw ConfigurationError(
                key: "AWS_SECRET_ACCESS_KEY", reason: "required when \(requiredBy) (or AWS_SECRET_ACCESS_KEY_FILE)")
        }
        let token = value("AWS_SESSION_TOKEN").map(Secret.init)

        var endpoint = defaultEndpoint(region)
        for key in [endpointKey, "AWS_ENDPOINT_URL"] {
            if let text = value(key) {
                endpoint = try Configuration.baseURL(text, key: key, example: "http://127.0.0.1:5000")
                break
            }
        }
        return AWSSettings(
            region: region, endpoint: endpoint,
            credentials: AWSCredentials(accessKeyID: accessKeyID, secretAccessKey: secret, sessionToken: token))
    }

    /// Whether `text` looks like an AWS region: lower-case letters and digits in dash-separated
    /// parts ("us-east-1", "us-gov-west-1"), at least three parts.
    static func isRegion(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        return parts.count >= 3 && text.count <= 32
            && parts.allSatisfy { part in
                !part.isEmpty && part.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber) }
            }
    }
}
