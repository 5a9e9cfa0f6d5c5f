import Foundation
import Testing

@testable import TidingsCore

/// `TIDINGS_ESP` and the AWS variables: the outbox by default, SES the AWS way, and a clear error
/// naming the variable for anything missing or malformed.
@Suite("Email settings")
struct EmailSettingsTests {
    static let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    static let ses = [
        "TIDINGS_ESP": "ses", "AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": secret,
    ]

    func key(_ environment: [String: String]) -> String? {
        do {
            _ = try EmailSettings.load(environment: environment)
            return nil
        } catch {
            #expect(!error.description.contains(Self.secret))
            return error.key
        }
    }

    @Test("Unset is the outbox, and the outbox needs nothing else")
    func outbox() throws {
        let settings = try EmailSettings.load(environment: ["AWS_REGION": "nonsense"])
        #expect(settings.service == .outbox)
        #expect(settings.ses == nil)
        #expect(try EmailSettings.load(environment: ["TIDINGS_ESP": "Outbox"]).service == .outbox)
    }

    @Test("SES: the regional endpoint, the credentials, the token and the configuration set; no secret printed")
    func ses() throws {
        let settings = try EmailSettings.load(
            environment: Self.ses.merging(
                ["AWS_SESSION_TOKEN": "token-1", "TIDINGS_SES_CONFIGURATION_SET": "tidings-marketing"]) { $1 })
        let ses = try #require(settings.ses)
        #expect(settings.service == .ses)
        #expect(ses.endpoint == "https://email.eu-west-1.amazonaws.com")
        #expect(ses.region == "eu-west-1")
        #expect(ses.credentials.accessKeyID == "AKIDEXAMPLE")
        #expect(ses.credentials.secretAccessKey.bytes == Array(Self.secret.utf8))
        #expect(ses.credentials.sessionToken?.bytes == Array("token-1".utf8))
        #expect(ses.configurationSet == "tidings-marketing")
        #expect(!"\(settings)".contains(Self.secret) && !String(reflecting: settings).contains(Self.secret))
        #expect(!"\(settings)".contains("token-1"))
    }

    @Test("The endpoint: AWS_ENDPOINT_URL_SESV2 before AWS_ENDPOINT_URL; AWS_DEFAULT_REGION when AWS_REGION is unset")
    func endpointAndRegionOrder() throws {
        var environment = Self.ses
        environment["AWS_ENDPOINT_URL"] = "http://127.0.0.1:4566/"
        #expect(try EmailSettings.load(environment: environment).ses?.endpoint == "http://127.0.0.1:4566")
        environment["AWS_ENDPOINT_URL_SESV2"] = "http://127.0.0.1:5000"
        #expect(try EmailSettings.load(environment: environment).ses?.endpoint == "http://127.0.0.1:5000")
        environment["AWS_REGION"] = nil
        environment["AWS_DEFAULT_REGION"] = "us-east-2"
        #expect(try EmailSettings.load(environment: environment).ses?.region == "us-east-2")
    }

    @Test("The secret can come from AWS_SECRET_ACCESS_KEY_FILE")
    func secretFile() throws {
        try RenderFixtures.withTemporaryDirectorySync { folder in
            let file = folder.appendingPathComponent("secret")
            try Data((Self.secret + "\n").utf8).write(to: file)
            var environment = Self.ses
            environment["AWS_SECRET_ACCESS_KEY"] = nil
            environment["AWS_SECRET_ACCESS_KEY_FILE"] = file.path
            let ses = try #require(try EmailSettings.load(environment: environment).ses)
            #expect(ses.credentials.secretAccessKey.bytes == Array(Self.secret.utf8))
        }
    }

    @Test("Each missing or malformed value names its variable")
    func errors() {
        func without(_ name: String) -> [String: String] { Self.ses.filter { $0.key != name } }
        func with(_ name: String, _ value: String) -> [String: String] { Self.ses.merging([name: value]) { $1 } }
        #expect(key(["TIDINGS_ESP": "sendgrid"]) == "TIDINGS_ESP")
        #expect(key(without("AWS_REGION")) == "AWS_REGION")
        #expect(key(with("AWS_REGION", "Europe")) == "AWS_REGION")
        #expect(key(without("AWS_REGION").merging(["AWS_DEFAULT_REGION": "eu_west_1"]) { $1 }) == "AWS_DEFAULT_REGION")
        #expect(key(without("AWS_ACCESS_KEY_ID")) == "AWS_ACCESS_KEY_ID")
        #expect(key(with("AWS_ACCESS_KEY_ID", Self.secret)) == "AWS_ACCESS_KEY_ID")
        #expect(key(without("AWS_SECRET_ACCESS_KEY")) == "AWS_SECRET_ACCESS_KEY")
        #expect(key(with("AWS_ENDPOINT_URL_SESV2", "ftp://host")) == "AWS_ENDPOINT_URL_SESV2")
        #expect(key(with("AWS_ENDPOINT_URL", "https://user:pw@host")) == "AWS_ENDPOINT_URL")
        #expect(key(with("TIDINGS_SES_CONFIGURATION_SET", "has space")) == "TIDINGS_SES_CONFIGURATION_SET")
    }

    @Test("Configuration.load reads TIDINGS_ESP with the rest")
    func throughConfiguration() throws {
        try RenderFixtures.withTemporaryDirectorySync { folder in
            var environment = Self.ses
            environment["TIDINGS_DATA_DIR"] = folder.path
            environment["TIDINGS_SHOP_DIR"] = TestPaths.shop.path
            let configuration = try Configuration.load(environment: environment, workingDirectory: TestPaths.root)
            #expect(configuration.email.service == .ses)
            environment["AWS_REGION"] = nil
            #expect(throws: ConfigurationError.self) {
                try Configuration.load(environment: environment, workingDirectory: TestPaths.root)
            }
        }
    }
}
