import Foundation
import Testing
import TidingsDevKit

@testable import TidingsCore

/// The production GraphQL client over the recorded shop's GraphQL exchanges.
@Suite struct RecordedShopifyGraphQLTests {
    static func client(_ transport: (any HTTPTransport)? = nil, coPurchases: CoPurchaseSource = .orderScan)
        -> ShopifyGraphQLClient
    {
        ShopifyGraphQLClient(
            baseURL: RecordedShop.shopifyBaseURL, accessToken: Secret("recorded"),
            storefrontURL: RecordedShop.storefrontURL, coPurchases: coPurchases,
            transport: transport ?? FileTransport(root: ShopPaths.recordedShop + "/shopify"))
    }

    @Test(
        "Every customer, their orders, the catalog and the co-purchase index read over GraphQL equal the REST recording"
    )
    func sameRecordsAsREST() async throws {
        let recording = RecordingTransport(fallback: FileTransport(root: ShopPaths.recordedShop + "/shopify"))
        let graphQL = Self.client(recording)
        let rest = recordedShopify()
        let shop = GeneratedShop.build(
            seed: RecordedShopGenerator.defaultSeed, randomCustomers: RecordedShopGenerator.defaultRandomCustomers)
        let ids = shop.customers.compactMap(\.shopifyID)
        #expect(ids.count > 50)
        for id in ids {
            let mine = try #require(try await graphQL.customer(id: id))
            let theirs = try #require(try await rest.customer(id: id))
            #expect(mine.id == theirs.id && mine.email == theirs.email && mine.createdAt == theirs.createdAt)
            #expect(mine.firstName == theirs.firstName && mine.lastName == theirs.lastName)
            #expect(mine.consent == theirs.consent && mine.tags == theirs.tags, "customer \(id)")
            let myOrders = try await graphQL.orders(customerID: id)
            let theirOrders = try await rest.orders(customerID: id)
            #expect(myOrders.map(\.id) == theirOrders.map(\.id), "orders of \(id)")
            for (a, b) in zip(myOrders, theirOrders) {
                #expect(a.total == b.total && a.createdAt == b.createdAt && a.cancelledAt == b.cancelledAt)
                #expect(a.lines == b.lines && a.customerID == b.customerID, "order \(a.id)")
                #expect(a.discountCodes == b.discountCodes && a.financialStatus == b.financialStatus)
            }
        }
        #expect(try await graphQL.customer(id: "6199999999") == nil)
        #expect(try await graphQL.orders(customerID: "6199999999").isEmpty)
        // The recording has no single-order answers (REST had no orders/{id}.json): both read none.
        let mineOrder = try await graphQL.order(id: "5500000001")
        let theirOrder = try await rest.order(id: "5500000001")
        #expect(mineOrder == nil && theirOrder == nil)
        let catalog = try await graphQL.catalog()
        let restCatalog = try await rest.catalog()
        #expect(catalog.products == restCatalog.products && catalog.products.count == shop.products.count)
        #expect(catalog.coPurchases.encoded() == restCatalog.coPurchases.encoded())
        // Every request went to the one GraphQL endpoint, as a POST.
        #expect(
            recording.requests.allSatisfy { $0.method == "POST" && $0.url.hasSuffix("/admin/api/2026-04/graphql.json") }
        )
    }
}
