import Foundation
import Testing

@testable import TidingsCore

/// `TIDINGS_COMMERCE` and the BigCommerce variables: what loads, and each refusal naming its key
/// without echoing the token.
@Suite struct BigCommerceSettingsTests {
    let store = [
        "TIDINGS_COMMERCE": "bigcommerce", "BIGCOMMERCE_STORE_HASH": "nw4x7k2q",
        "BIGCOMMERCE_ACCESS_TOKEN": "bc_secret_token_123",
    ]

    func refusal(_ environment: [String: String]) -> ConfigurationError? {
        do {
            _ = try CommerceSettings.load(environment: environment)
            return nil
        } catch {
            return error
        }
    }

    @Test func recordedIsTheDefault() throws {
        let settings = try CommerceSettings.load(environment: [:])
        #expect(settings.source == .recorded && settings.bigCommerce == nil)
        #expect(try CommerceSettings.load(environment: ["TIDINGS_COMMERCE": "Recorded"]).source == .recorded)
    }

    @Test func aBigCommerceStoreLoadsWithItsDefaults() throws {
        let settings = try CommerceSettings.load(environment: store)
        let bigCommerce = try #require(settings.bigCommerce)
        #expect(settings.source == .bigcommerce)
        #expect(bigCommerce.storeHash == "nw4x7k2q" && bigCommerce.baseURL == "https://api.bigcommerce.com")
        #expect(bigCommerce.accessToken.bytes == Array("bc_secret_token_123".utf8))
        #expect("\(bigCommerce.accessToken)" == "<redacted>")
        #expect(bigCommerce.timeout == 20 && bigCommerce.coPurchasesFile == nil)

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bc-token-\(UUID().uuidString)")
        try Data("bc_from_file\n".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        var fromFile = store
        fromFile["BIGCOMMERCE_ACCESS_TOKEN"] = nil
        fromFile["BIGCOMMERCE_ACCESS_TOKEN_FILE"] = file.path
        fromFile["BIGCOMMERCE_BASE_URL"] = "http://127.0.0.1:8123/"
        fromFile["BIGCOMMERCE_TIMEOUT_SECONDS"] = "5"
        let loaded = try #require(try CommerceSettings.load(environment: fromFile).bigCommerce)
        #expect(loaded.accessToken.bytes == Array("bc_from_file".utf8))
        #expect(loaded.baseURL == "http://127.0.0.1:8123" && loaded.timeout == 5)
    }

    @Test func eachRefusalNamesItsKeyAndNeverTheToken() {
        let cases: [([String: String], String)] = [
            (["TIDINGS_COMMERCE": "magento"], "TIDINGS_COMMERCE"),
            (store.merging(["BIGCOMMERCE_STORE_HASH": ""]) { $1 }, "BIGCOMMERCE_STORE_HASH"),
            (store.merging(["BIGCOMMERCE_STORE_HASH": "nw4x/../x"]) { $1 }, "BIGCOMMERCE_STORE_HASH"),
            (store.merging(["BIGCOMMERCE_ACCESS_TOKEN": ""]) { $1 }, "BIGCOMMERCE_ACCESS_TOKEN"),
            (store.merging(["BIGCOMMERCE_ACCESS_TOKEN": "bc secret"]) { $1 }, "BIGCOMMERCE_ACCESS_TOKEN"),
            (
                store.merging(["BIGCOMMERCE_ACCESS_TOKEN_FILE": "/nonexistent/token"]) { $1 }.filter {
                    $0.key != "BIGCOMMERCE_ACCESS_TOKEN"
                }, "BIGCOMMERCE_ACCESS_TOKEN_FILE"
            ),
            (store.merging(["BIGCOMMERCE_BASE_URL": "http://api.example.com"]) { $1 }, "BIGCOMMERCE_BASE_URL"),
            (store.merging(["BIGCOMMERCE_BASE_URL": "ftp://127.0.0.1"]) { $1 }, "BIGCOMMERCE_BASE_URL"),
            (store.merging(["BIGCOMMERCE_TIMEOUT_SECONDS": "0"]) { $1 }, "BIGCOMMERCE_TIMEOUT_SECONDS"),
        ]
        for (environment, key) in cases {
            let error = refusal(environment)
            #expect(error?.key == key, "\(environment)")
            #expect(error.map { !"\($0)".contains("bc_secret_token") && !"\($0)".contains("bc secret") } ?? false)
        }
    }

    @Test func theConfigurationCarriesTheChoice() throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("bc-config-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        let configuration = try Configuration.load(
            environment: store.merging(["TIDINGS_DATA_DIR": data.path, "TIDINGS_SHOP_DIR": ShopPaths.recordedShop]) {
                $1
            })
        #expect(configuration.commerce.source == .bigcommerce)
        #expect(configuration.commerce.bigCommerce?.storeHash == "nw4x7k2q")
    }
}
