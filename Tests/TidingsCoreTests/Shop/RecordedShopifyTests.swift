import Foundation
import Testing

@testable import TidingsCore

/// The production Shopify GraphQL client over the recorded shop: the personas and the catalog
/// the event fixtures rely on, and the requests it sends.
@Suite struct RecordedShopifyTests {

    @Test func personasDecodeFromTheRecordedShop() async throws {
        let client = recordedShopify()
        let maya = try #require(try await client.customer(id: "6100000001"))
        #expect(maya.firstName == "Maya" && maya.consent == .subscribed)
        #expect(try await client.orders(customerID: "6100000001").isEmpty)

        let jonas = try #require(try await client.customer(id: "6100000002"))
        #expect(jonas.tags == ["vip", "newsletter"])
        let jonasOrders = try await client.orders(customerID: "6100000002")
        #expect(jonasOrders.count == 14)
        #expect(jonasOrders.map(\.createdAt) == jonasOrders.map(\.createdAt).sorted())
        #expect(jonasOrders.first?.total.amount == Decimal(string: "171.90"))
        #expect(jonasOrders.first?.discountCodes == ["WELCOME10"])
        let spent = jonasOrders.reduce(Decimal(0)) { $0 + $1.total.amount }
        #expect("\(spent)" == "2563.9")

        #expect(try await client.customer(id: "6100000004")?.consent == .notSubscribed)
        #expect(try await client.orders(customerID: "6100000003").count == 3)
        #expect(try await client.orders(customerID: "6100000007").count == 6)

        let elena = try await client.orders(customerID: "6100000005")
        #expect(elena.count == 4)
        let converted = try #require(elena.last)
        #expect(converted.createdAt == Date(timeIntervalSince1970: 1_795_187_520))  // 2026-11-20T15:12:00Z
        #expect(Set(converted.lines.map(\.productID)) == ["7400000003", "7400000011"])

        let sam = try await client.orders(customerID: "6100000006")
        #expect(sam.filter { !$0.discountCodes.isEmpty }.count == 4)
        #expect(sam.allSatisfy { $0.customerID == "6100000006" })
    }

    @Test func catalogHasProductsAndCoPurchases() async throws {
        let catalog = try await recordedShopify().catalog()
        #expect(catalog.products.count == 36)
        let jacket = try #require(catalog["7400000003"])
        #expect(jacket.category == "Jackets" && jacket.price.amount == Decimal(string: "169.00"))
        #expect(jacket.url == "https://northwind.example/products/summit-softshell-jacket")
        #expect(catalog["7400000011"]?.category == "Base Layers")
        let soldOut = catalog.products.values.filter { !$0.isInStock }.map(\.id).sorted()
        #expect(soldOut == ["7400000008", "7400000018", "7400000030", "7400000034"])
        // Boots sell with socks, tents with sleeping bags.
        let bootIDs = catalog.products.values.filter { $0.category == "Boots" }.map(\.id)
        let sockIDs = Set(catalog.products.values.filter { $0.category == "Socks" }.map(\.id))
        var bootSockPairs = 0
        for boot in bootIDs {
            for (partner, count) in catalog.coPurchases.counts[boot] ?? [:] where sockIDs.contains(partner) {
                bootSockPairs += count
            }
        }
        #expect(bootSockPairs >= 15)
        #expect(catalog.coPurchases.counts["7400000005"]?["7400000013"] ?? 0 >= 2)
        let topForTent = catalog.coPurchases.counts["7400000017"]?.max { $0.value < $1.value }?.key
        #expect(["Sleeping Bags", "Headlamps"].contains(catalog[topForTent ?? ""]?.category ?? ""))
    }

    @Test("Requests are GraphQL POSTs to the one endpoint, named by operation; the catalog is read once")
    func requestsArePinned() async throws {
        let transport = RecordingTransport(fallback: FileTransport(root: ShopPaths.recordedShop + "/shopify"))
        let client = recordedShopify(transport)
        _ = try await client.customer(id: "6100000002")
        _ = try await client.orders(customerID: "6100000002")
        _ = try await client.catalog()
        _ = try await client.catalog()  // cached: no second round of requests
        var operations: [String] = []
        for request in transport.requests {
            #expect(request.method == "POST")
            #expect(request.url == "https://northwind-outfitters.myshopify.com/admin/api/2026-04/graphql.json")
            #expect(
                request.headers == [
                    "X-Shopify-Access-Token": "shpat_recorded", "Accept": "application/json",
                    "Content-Type": "application/json",
                ])
            let body = try JSONParser.parse(request.body).objectValue
            operations.append(body?["operationName"]?.stringValue ?? "?")
        }
        let shopPages = operations.filter { $0 == "TidingsShopOrders" }.count
        #expect(Array(operations.prefix(3)) == ["TidingsCustomer", "TidingsCustomerOrders", "TidingsProducts"])
        #expect(shopPages > 5 && operations.count == 3 + shopPages)
        #expect(try await client.cart(id: "anything") == nil)
    }

    @Test("An operation whose document differs from the recorded one is refused, naming the fix")
    func changedDocumentIsRefused() async throws {
        var changed = ShopifyGraphQL.customer
        changed.document += "\n"
        let body = try ShopifyGraphQLClient.requestBody(changed, ["id": "gid://shopify/Customer/6100000002"])
        let response = try await FileTransport(root: ShopPaths.recordedShop + "/shopify").send(
            TransportRequest(
                method: "POST", url: "https://northwind-outfitters.myshopify.com/admin/api/2026-04/graphql.json",
                body: body))
        #expect(String(decoding: response.body, as: UTF8.self).contains("regenerate"))
    }
}
