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

/// `TIDINGS_ESP=smtp`: the relay URL, the TLS rule, the credentials and the CA file.
@Suite("EmailSettings: SMTP")
struct SMTPSettingsTests {
    static let smtp = [
        "TIDINGS_ESP": "smtp", "SMTP_URL": "smtp://smtp.example.com:587", "SMTP_USERNAME": "relay",
        "SMTP_PASSWORD": "relay-secret-1",
    ]

    func key(_ environment: [String: String]) -> String? {
        do {
            _ = try EmailSettings.load(environment: environment)
            return nil
        } catch {
            return error.key
        }
    }

    func with(_ name: String, _ value: String?) -> [String: String] {
        var environment = Self.smtp
        environment[name] = value
        return environment
    }

    @Test("STARTTLS is required by default and only SMTP_STARTTLS=off lifts it, never for smtps")
    func startTLS() throws {
        let settings = try #require(try EmailSettings.load(environment: Self.smtp).smtp)
        #expect(settings.url == "smtp://smtp.example.com:587")
        #expect(settings.requireTLS)
        #expect(settings.username == "relay")
        #expect(settings.password?.bytes == Array("relay-secret-1".utf8))
        #expect(settings.host == "smtp.example.com")
        #expect(try EmailSettings.load(environment: with("SMTP_STARTTLS", "off")).smtp?.requireTLS == false)
        #expect(try EmailSettings.load(environment: with("SMTP_STARTTLS", "ON")).smtp?.requireTLS == true)
        var smtps = with("SMTP_URL", "smtps://smtp.example.com")
        smtps["SMTP_STARTTLS"] = "off"
        #expect(try EmailSettings.load(environment: smtps).smtp?.requireTLS == true)
        #expect(
            try EmailSettings.load(environment: with("SMTP_USERNAME", nil).filter { $0.key != "SMTP_PASSWORD" }).smtp?
                .username == nil)
    }

    @Test("Each missing or malformed value names its variable, and the password is never quoted")
    func errors() throws {
        #expect(key(with("SMTP_URL", nil)) == "SMTP_URL")
        #expect(key(with("SMTP_URL", "https://smtp.example.com")) == "SMTP_URL")
        #expect(key(with("SMTP_URL", "smtp://relay:pw@smtp.example.com")) == "SMTP_URL")
        #expect(key(with("SMTP_URL", "smtp://smtp.example.com/ehlo")) == "SMTP_URL")
        #expect(key(with("SMTP_URL", "smtp://")) == "SMTP_URL")
        #expect(key(with("SMTP_STARTTLS", "maybe")) == "SMTP_STARTTLS")
        #expect(key(with("SMTP_PASSWORD", nil)) == "SMTP_PASSWORD")
        #expect(key(with("SMTP_USERNAME", nil)) == "SMTP_USERNAME")
        #expect(key(with("SMTP_CA_FILE", "/nonexistent/ca.pem")) == "SMTP_CA_FILE")
        #expect(key(with("SMTP_MAIL_FROM", "Bounces <b@example.com>")) == "SMTP_MAIL_FROM")
        #expect(
            try EmailSettings.load(environment: with("SMTP_MAIL_FROM", "b@example.com")).smtp?.mailFrom
                == "b@example.com")
        do {
            _ = try EmailSettings.load(environment: with("SMTP_USERNAME", nil))
            Issue.record("a password without a username must be refused")
        } catch {
            #expect(!"\(error)".contains("relay-secret-1"))
        }
    }
}
