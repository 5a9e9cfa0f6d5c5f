import Foundation
import Testing

@testable import TidingsCore

/// `TIDINGS_COMMERCE` and the Shopify variables: defaults, and a bad value stops start-up naming
/// the variable without echoing the token.
@Suite("Commerce settings")
struct CommerceSettingsTests {
    static let shopify = [
        "TIDINGS_COMMERCE": "shopify", "SHOPIFY_SHOP": "northwind-outfitters",
        "SHOPIFY_ADMIN_TOKEN": "shpat_SECRET_value",
    ]

    @Test("The recorded shop is the default; shopify reads its settings with their defaults")
    func defaults() throws {
        #expect(try CommerceSettings.load(environment: [:]).source == .recorded)
        #expect(try CommerceSettings.load(environment: [:]).shopify == nil)
        let settings = try #require(try CommerceSettings.load(environment: Self.shopify).shopify)
        #expect(settings.shop == "northwind-outfitters.myshopify.com")
        #expect(settings.baseURL == "https://northwind-outfitters.myshopify.com")
        #expect(settings.apiVersion == "2026-04")
        #expect(!settings.consentWriteBack)
        #expect(settings.timeout == 20)
        #expect(String(decoding: settings.accessToken.bytes, as: UTF8.self) == "shpat_SECRET_value")
        var environment = Self.shopify
        environment["SHOPIFY_BASE_URL"] = "http://127.0.0.1:8080/"
        environment["SHOPIFY_API_VERSION"] = "2025-10"
        environment["SHOPIFY_CONSENT_WRITEBACK"] = "on"
        let custom = try #require(try CommerceSettings.load(environment: environment).shopify)
        #expect(custom.baseURL == "http://127.0.0.1:8080")
        #expect(custom.apiVersion == "2025-10" && custom.consentWriteBack)
    }

    @Test("The token can come from a file")
    func tokenFile() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("shopify-token-\(UUID().uuidString)")
        try Data("shpat_from_file\n".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let settings = try CommerceSettings.load(environment: [
            "TIDINGS_COMMERCE": "shopify", "SHOPIFY_SHOP": "northwind-outfitters.myshopify.com",
            "SHOPIFY_ADMIN_TOKEN_FILE": file.path,
        ])
        #expect(settings.shopify.map { String(decoding: $0.accessToken.bytes, as: UTF8.self) } == "shpat_from_file")
    }

    @Test(
        "A bad value names its variable and never echoes the token",
        arguments: [
            (["TIDINGS_COMMERCE": "magento"], "TIDINGS_COMMERCE"),
            (["SHOPIFY_SHOP": ""], "SHOPIFY_SHOP"),
            (["SHOPIFY_SHOP": "north wind/../x"], "SHOPIFY_SHOP"),
            (["SHOPIFY_ADMIN_TOKEN": ""], "SHOPIFY_ADMIN_TOKEN"),
            (["SHOPIFY_ADMIN_TOKEN": "shpat SECRET"], "SHOPIFY_ADMIN_TOKEN"),
            (["SHOPIFY_API_VERSION": "latest"], "SHOPIFY_API_VERSION"),
            (["SHOPIFY_BASE_URL": "http://shop.example.com"], "SHOPIFY_BASE_URL"),
            (["SHOPIFY_BASE_URL": "https://user:pw@shop.example.com"], "SHOPIFY_BASE_URL"),
            (["SHOPIFY_CONSENT_WRITEBACK": "maybe"], "SHOPIFY_CONSENT_WRITEBACK"),
            (["SHOPIFY_TIMEOUT_SECONDS": "600"], "SHOPIFY_TIMEOUT_SECONDS"),
        ])
    func refused(_ change: [String: String], key: String) {
        let environment = Self.shopify.merging(change) { _, new in new }
        #expect {
            try CommerceSettings.load(environment: environment)
        } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            return error.key == key && !"\(error)".contains("SECRET")
        }
    }

    @Test("shop check names each missing scope; a write scope counts as its read scope")
    func missingScopes() {
        #expect(ShopifyShopCheck.missing(granted: []) == ShopifySettings.requiredScopes)
        #expect(
            ShopifyShopCheck.missing(granted: ["write_customers", "read_orders", "read_products"]) == ["read_inventory"]
        )
        #expect(ShopifyShopCheck.missing(granted: ShopifySettings.requiredScopes).isEmpty)
    }

    @Test("Ids: webhook ids become gids, gids become the numeric ids webhooks carry")
    func ids() {
        #expect(ShopifyGraphQL.gid("Customer", "6100000001") == "gid://shopify/Customer/6100000001")
        #expect(ShopifyGraphQL.gid("Customer", "gid://shopify/Customer/7") == "gid://shopify/Customer/7")
        #expect(ShopifyGraphQL.legacyID("gid://shopify/Order/5500000231") == "5500000231")
        #expect(ShopifyGraphQL.legacyID("gid://shopify/LineItem/1?x=2") == "1")
        #expect(ShopifyGraphQL.legacyID("plain") == "plain")
    }

    @Test("The request body has sorted keys, the operation name, the document and the variables")
    func requestBody() throws {
        let body = try ShopifyGraphQLClient.requestBody(ShopifyGraphQL.customer, ["id": "gid://shopify/Customer/1"])
        let text = String(decoding: body, as: UTF8.self)
        #expect(text.hasPrefix(#"{"operationName":"TidingsCustomer","query":"query TidingsCustomer("#))
        #expect(text.hasSuffix(#""variables":{"id":"gid://shopify/Customer/1"}}"#))
    }
}
