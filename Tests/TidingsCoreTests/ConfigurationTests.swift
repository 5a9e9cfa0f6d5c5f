import Foundation
import Testing

@testable import TidingsCore

@Suite("Configuration")
struct ConfigurationTests {
    let shop = TestPaths.shop.path

    func load(_ environment: [String: String], file: String? = nil) throws -> Configuration {
        var environment = environment
        environment["TIDINGS_SHOP_DIR"] = environment["TIDINGS_SHOP_DIR"] ?? shop
        guard let file else { return try Configuration.load(environment: environment) }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "tidings-config-\(UUID().uuidString).json")
        try Data(file.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        environment["TIDINGS_CONFIG_FILE"] = url.path
        return try Configuration.load(environment: environment)
    }

    func failure(_ environment: [String: String], file: String? = nil) -> ConfigurationError? {
        do {
            _ = try load(environment, file: file)
            return nil
        } catch let error as ConfigurationError {
            return error
        } catch {
            return nil
        }
    }

    @Test("Defaults need no configuration at all")
    func defaults() throws {
        let configuration = try load([:])
        #expect(configuration.dataDirectory.lastPathComponent == ".tidings")
        #expect(configuration.settings(for: .cartAbandoned).delay == 3600)
        #expect(configuration.unsubscribeKey.isDevelopmentDefault)
        #expect(configuration.pinnedNow == nil)
    }

    @Test("The file overrides defaults key by key")
    func file() throws {
        let configuration = try load(
            [:],
            file:
                #"{"policy":{"discount_caps":{"VIP":25}},"review":{"tiers":[]},"flows":{"cartAbandoned":{"delay_minutes":30}}}"#
        )
        #expect(configuration.policy.discountCaps == ["vip": 25])
        #expect(configuration.review.tiers.isEmpty)
        #expect(configuration.settings(for: .cartAbandoned).delay == 1800)
        #expect(configuration.settings(for: .cartAbandoned).window == 7 * 86_400)
    }

    @Test(
        "A bad value names its key",
        arguments: [
            (["TIDINGS_MAX_BODY_BYTES": "lots"], nil, "TIDINGS_MAX_BODY_BYTES"),
            (["TIDINGS_NOW": "yesterday"], nil, "TIDINGS_NOW"),
            (["TIDINGS_SHOP_DIR": "/nonexistent/shop"], nil, "TIDINGS_SHOP_DIR"),
            ([:], "{not json", "TIDINGS_CONFIG_FILE"),
            ([:], #"{"policy":{"discount_caps":{"vip":95}}}"#, "policy.discount_caps.vip"),
            ([:], #"{"brand":{"unsubscribe_url":"http://x.example/u"}}"#, "brand.unsubscribe_url"),
            ([:], #"{"brand":{"link_domain":["x.example"]}}"#, "brand.link_domain"),
            ([:], #"{"flows":{"cartAbandonned":{}}}"#, "flows.cartAbandonned"),
            ([:], #"{"flows":{"cartAbandoned":{"delay":5}}}"#, "flows.cartAbandoned.delay"),
        ] as [([String: String], String?, String)])
    func badValue(environment: [String: String], file: String?, key: String) {
        #expect(failure(environment, file: file)?.key == key)
    }

    @Test("Secrets come from the variable or its _FILE and never print themselves")
    func secrets() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tidings-secret-\(UUID().uuidString)")
        try Data("s3cret-from-file\n".utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let configuration = try load(["TIDINGS_UNSUBSCRIBE_SECRET_FILE": url.path])
        #expect(configuration.unsubscribeKey.bytes == Array("s3cret-from-file".utf8))
        #expect("\(configuration.unsubscribeKey)" == "<redacted>")
        #expect(!String(reflecting: configuration.unsubscribeKey).contains("s3cret"))
        #expect(failure(["TIDINGS_UNSUBSCRIBE_SECRET_FILE": "/nonexistent"])?.key == "TIDINGS_UNSUBSCRIBE_SECRET_FILE")
    }
}
