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

    /// Each of these loaded before and then failed every event (exit 70); now start-up stops (78).
    @Test(
        "A value that would fail every event stops start-up, naming its key",
        arguments: [
            ([:], #"{"brand":{"from_address":"hello at northwind"}}"#, "brand.from_address"),
            ([:], #"{"brand":{"from_address":"Hello <hello@northwind.example>"}}"#, "brand.from_address"),
            ([:], #"{"brand":{"storefront_url":"http://northwind.example"}}"#, "brand.storefront_url"),
            ([:], #"{"brand":{"storefront_url":"https://shop.other.example"}}"#, "brand.storefront_url"),
            ([:], #"{"brand":{"link_domains":[]}}"#, "brand.link_domains"),
            ([:], #"{"brand":{"link_domains":["https://northwind.example"]}}"#, "brand.link_domains[0]"),
            ([:], #"{"policy":{"subject_max_length":0}}"#, "policy.subject_max_length"),
            ([:], #"{"policy":{"subject_max_length":-5}}"#, "policy.subject_max_length"),
            ([:], #"{"policy":{"subject_max_length":39}}"#, "policy.subject_max_length"),
            ([:], #"{"flows":{"orderCreated":{"delay_minutes":-10}}}"#, "flows.orderCreated.delay_minutes"),
            ([:], #"{"flows":{"cartAbandoned":{"window_days":0}}}"#, "flows.cartAbandoned.window_days"),
            ([:], #"{"review":{"below_score":101}}"#, "review.below_score"),
            ([:], #"{"review":{"below_score":-1}}"#, "review.below_score"),
            (["TIDINGS_LOG_LEVEL": "verbose"], nil, "TIDINGS_LOG_LEVEL"),
            (["TIDINGS_SHOP_DIR": TestPaths.cartAbandoned.path], nil, "TIDINGS_SHOP_DIR"),
            (["TIDINGS_CUSTOMER_BASE_DIR": "/nonexistent/base"], nil, "TIDINGS_CUSTOMER_BASE_DIR"),
            (["TIDINGS_CUSTOMER_BASE_DIR": TestPaths.cartAbandoned.path], nil, "TIDINGS_CUSTOMER_BASE_DIR"),
        ] as [([String: String], String?, String)])
    func failsEveryEvent(environment: [String: String], file: String?, key: String) {
        let error = failure(environment, file: file)
        #expect(error?.key == key, "\(error.map(String.init(describing:)) ?? "loaded")")
    }

    @Test("The edges of those ranges load, and a log level is read in any case")
    func rangeEdges() throws {
        let configuration = try load(
            ["TIDINGS_LOG_LEVEL": "DEBUG"],
            file:
                #"{"policy":{"subject_max_length":40},"review":{"below_score":0},"flows":{"cartAbandoned":{"delay_minutes":0}}}"#
        )
        #expect(configuration.logLevel == .debug)
        #expect(configuration.policy.subjectMaxLength == 40)
        #expect(configuration.review.belowScore == 0)
        #expect(try load([:]).logLevel == .info)
    }

    @Test("A data folder that cannot be written stops start-up with a plain reason, not a Cocoa error")
    func unwritableDataFolder() throws {
        try withTemporaryDirectorySync { scratch in
            let file = scratch.appendingPathComponent("a-file")
            try Data("x".utf8).write(to: file)
            let error = try #require(failure(["TIDINGS_DATA_DIR": file.appendingPathComponent("data").path]))
            #expect(error.key == "TIDINGS_DATA_DIR")
            #expect(error.reason == "\(file.path) is a file, not a folder")
            #expect(!"\(error)".contains("NSCocoaErrorDomain"))
            // A missing folder is created, as the first write would, and is then usable.
            let fresh = scratch.appendingPathComponent("new/data")
            let configuration = try load(["TIDINGS_DATA_DIR": fresh.path])
            #expect(configuration.dataDirectory.path == fresh.path)
            #expect(try FileManager.default.contentsOfDirectory(atPath: fresh.path).isEmpty, "no probe left behind")
        }
    }

    @Test("winBack's customer base is its own setting: TIDINGS_CUSTOMER_BASE_DIR, else Events/winBack/shop")
    func customerBase() throws {
        let base = TestPaths.events.appendingPathComponent("winBack/shop")
        // Set: used as given, wherever the recorded shop is.
        let set = try load(["TIDINGS_CUSTOMER_BASE_DIR": base.path])
        #expect(set.customerBaseDirectory.path == base.path)
        // Unset: the default, relative to the working directory.
        let unset = try Configuration.load(environment: ["TIDINGS_SHOP_DIR": shop], workingDirectory: TestPaths.root)
        #expect(unset.customerBaseDirectory.standardizedFileURL.path == base.standardizedFileURL.path)
        // Unset, and no default folder there: the recorded shop.
        let elsewhere = try Configuration.load(
            environment: ["TIDINGS_SHOP_DIR": shop, "TIDINGS_DATA_DIR": NSTemporaryDirectory() + "tidings-cfg-data"],
            workingDirectory: URL(fileURLWithPath: NSTemporaryDirectory()))
        #expect(elsewhere.customerBaseDirectory.path == shop)
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
