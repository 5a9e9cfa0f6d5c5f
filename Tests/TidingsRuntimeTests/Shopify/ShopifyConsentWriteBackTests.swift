import Crypto
import Foundation
import Logging
import Testing
import TidingsCore

@testable import TidingsRuntime

/// `SHOPIFY_CONSENT_WRITEBACK=on`: a one-click unsubscribe also sets the customer's email marketing
/// state to UNSUBSCRIBED in Shopify (the fake validates the mutation against the schema), and the
/// terminal record says what Shopify answered. Off, nothing is written to Shopify.
@Suite("Consent written back to Shopify", .serialized)
struct ShopifyConsentWriteBackTests {
    /// A function URL POST of the one-click link for `customerID`, signed with `key`.
    static func oneClick(_ customerID: String, configuration: Configuration) throws -> [UInt8] {
        let token = EmailRenderer.unsubscribeToken(
            customerID: customerID, storefrontURL: configuration.brand.storefrontURL,
            key: SymmetricKey(data: configuration.unsubscribeKey.bytes))
        let envelope: [String: Any] = [
            "version": "2.0", "rawPath": "/", "rawQueryString": "c=\(customerID)&t=\(PercentEncoding.encode(token))",
            "headers": ["content-type": "application/x-www-form-urlencoded"],
            "requestContext": ["http": ["method": "POST", "path": "/"], "requestId": UUID().uuidString],
            "isBase64Encoded": false, "body": "List-Unsubscribe=One-Click",
        ]
        return Array(try JSONSerialization.data(withJSONObject: envelope))
    }

    @Test("On: the unsubscribe updates Shopify and records it; an unknown customer is recorded; off writes nothing")
    func writeBack() async throws {
        try await ShopifyFake.with { fake in
            try await withScratch { scratch in
                var environment: [String: String] = [
                    "TIDINGS_DATA_DIR": scratch.path, "TIDINGS_NOW": "2026-11-21T19:05:00Z",
                    "TIDINGS_SHOP_DIR": RuntimeTestSupport.root.appendingPathComponent("Events/shop").path,
                    "TIDINGS_COMMERCE": "shopify", "SHOPIFY_SHOP": "northwind-outfitters",
                    "SHOPIFY_ADMIN_TOKEN": ShopifyFake.token, "SHOPIFY_BASE_URL": fake.baseURL,
                    "SHOPIFY_CONSENT_WRITEBACK": "on",
                ]
                let configuration = try Configuration.load(environment: environment)
                let logger = Logger(label: "test")
                let handler = try UnsubscribeHandler.make(environment: environment, logger: logger)
                let known = await handler.handle(
                    try Self.oneClick("6100000001", configuration: configuration), deadline: nil,
                    correlationID: "one", logger: logger)
                #expect(known.reports.first?.outcome == .suppressed)
                let unknown = await handler.handle(
                    try Self.oneClick("999", configuration: configuration), deadline: nil, correlationID: "two",
                    logger: logger)
                #expect(unknown.reports.first?.outcome == .suppressed)
                let writes = try await fake.consentWrites()
                #expect(writes.map(\.customer) == ["6100000001"])
                #expect(writes.first?.state == "UNSUBSCRIBED")
                let records = try ReplayGoldenTests.auditLines(scratch).map {
                    try JSONParser.parse($0).objectValue ?? [:]
                }
                let consent = records.compactMap { $0["facts"]?.objectValue?["platform_consent"]?.stringValue }
                #expect(consent == ["shopify: updated", "shopify: unknown customer"])
                try await fake.expectAllValid()

                environment["SHOPIFY_CONSENT_WRITEBACK"] = "off"
                let quiet = try UnsubscribeHandler.make(environment: environment, logger: logger)
                _ = await quiet.handle(
                    try Self.oneClick("6100000002", configuration: configuration), deadline: nil,
                    correlationID: "three", logger: logger)
                #expect(try await fake.consentWrites().count == 1)
            }
        }
    }

    @Test(
        "A complaint's address is looked up with customerByIdentifier and that customer set UNSUBSCRIBED; an unknown address writes nothing"
    )
    func complaintByEmail() async throws {
        try await ShopifyFake.with { fake in
            let client = fake.client()
            let at = Date(timeIntervalSince1970: 1_795_287_900)
            #expect(try await client.customerID(email: "Jonas.Lindqvist@mail.example.com") == "6100000002")
            #expect(try await client.withdrawEmailConsent(email: "jonas.lindqvist@mail.example.com", at: at))
            #expect(try await client.withdrawEmailConsent(email: "nobody@mail.example.com", at: at) == false)
            try await fake.faults(#"{"deleted": ["6100000002"]}"#)
            #expect(try await client.withdrawEmailConsent(email: "jonas.lindqvist@mail.example.com", at: at) == false)
            let writes = try await fake.consentWrites()
            #expect(writes.map(\.customer) == ["6100000002"] && writes.first?.state == "UNSUBSCRIBED")
            let operations = try await fake.received().compactMap(\.operationName)
            #expect(operations.filter { $0 == "TidingsCustomerByEmail" }.count == 4)
            #expect(operations.filter { $0 == "TidingsConsentUpdate" }.count == 1)
            try await fake.expectAllValid()
        }
    }
}
