import Foundation
import Testing

@testable import TidingsCore

@Suite struct ShopifyAdminClientTests {
    let base = "https://northwind-outfitters.myshopify.com/admin/api/2026-07"

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

    @Test func requestsArePinned() async throws {
        let transport = RecordingTransport(fallback: FileTransport(root: ShopPaths.recordedShop + "/shopify"))
        let client = recordedShopify(transport)
        _ = try await client.customer(id: "6100000002")
        _ = try await client.orders(customerID: "6100000002")
        _ = try await client.catalog()
        _ = try await client.catalog()  // cached: no second round of requests
        #expect(
            transport.requests.map(\.url) == [
                "\(base)/customers/6100000002.json",
                "\(base)/customers/6100000002/orders.json?status=any&limit=250",
                "\(base)/products.json?limit=250",
                "\(base)/orders.json?status=any&limit=250",
            ])
        for request in transport.requests {
            #expect(request.method == "GET")
            #expect(
                request.headers == ["X-Shopify-Access-Token": "shpat_recorded", "Accept": "application/json"])
        }
        #expect(try await client.cart(id: "anything") == nil)
    }

    @Test func decodesTheOfficialSamples() async throws {
        let customer = try String(
            contentsOfFile: ShopPaths.specs + "/shopify/rest-admin-2026-07-examples/customer.json",
            encoding: .utf8)
        let order = try String(
            contentsOfFile: ShopPaths.specs + "/shopify/rest-admin-2026-07-examples/order.json",
            encoding: .utf8)
        // The sample is `{"order": {...}}`; a list response holds the same object.
        let inner = order.drop { $0 != ":" }.dropFirst().trimmingCharacters(in: .whitespacesAndNewlines)
            .dropLast()
        let transport = RecordingTransport([
            "\(base)/customers/207119551.json": .json(customer),
            "\(base)/customers/207119551/orders.json?status=any&limit=250": .json(
                #"{"orders": [\#(inner)]}"#),
            "\(base)/orders/450789469.json": .json(order),
        ])
        let client = recordedShopify(transport)
        let record = try #require(try await client.customer(id: "207119551"))
        #expect(record.id == "207119551" && record.email == "bob.norman@mail.example.com")
        #expect(record.tags == ["léon", "noël"])
        #expect(record.consent == .notSubscribed)
        #expect(record.createdAt == Timestamp.parse("2025-04-02T11:25:58-05:00"))
        let orders = try await client.orders(customerID: "207119551")
        let sample = try #require(orders.first)
        #expect(sample.id == "450789469" && sample.customerID == "207119551")
        #expect(sample.total == Money(Decimal(string: "598.94")!, "USD"))
        #expect(sample.discountCodes == ["TENOFF"] && sample.financialStatus == "partially_refunded")
        #expect(sample.cancelledAt == nil && sample.lines.count == 3)
        #expect(
            sample.lines.allSatisfy {
                $0.productID == "632910392" && $0.price.amount == Decimal(string: "199.00")
            })
        // A single order (what an order flow looks up) decodes like the webhook body.
        let placed = try #require(try await client.order(id: "450789469"))
        #expect(placed.name == "#1001" && placed.customerID == "207119551" && placed.lines.count == 3)
        #expect(placed.refunded == Money(Decimal(string: "209.00")!, "USD") && placed.isRefunded)
        #expect(transport.requests.last?.url == "\(base)/orders/450789469.json")
    }

    @Test func missingRequiredFieldNamesItsPath() async throws {
        let transport = RecordingTransport([
            "\(base)/customers/1.json": .json(#"{"customer": {"id": 1, "email_marketing_consent": {}}}"#),
            "\(base)/customers/1/orders.json?status=any&limit=250": .json(
                #"{"orders": [{"id": 5, "created_at": "2026-01-01T00:00:00Z", "currency": "USD", "line_items": []}]}"#
            ),
            "\(base)/customers/2.json": .json(#"{"customer": {"id": true}}"#),
        ])
        let client = recordedShopify(transport)
        let consent = await #expect(throws: PlatformError.self) { try await client.customer(id: "1") }
        #expect(consent?.reason.contains("`customer.email_marketing_consent.state`") == true)
        #expect(consent?.isRetryable == false)
        let total = await #expect(throws: PlatformError.self) { try await client.orders(customerID: "1") }
        #expect(total?.reason.contains("`orders[0].total_price`") == true)
        let id = await #expect(throws: PlatformError.self) { try await client.customer(id: "2") }
        #expect(id?.reason.contains("`customer.id`") == true)
    }

    @Test func statusesMapToErrors() async throws {
        let transport = RecordingTransport([
            "\(base)/customers/500.json": .json(#"{"errors":"Internal"}"#, status: 500),
            "\(base)/customers/401.json": .json(#"{"errors":"Invalid API key"}"#, status: 401),
            "\(base)/customers/429.json": .json(#"{"errors":"Throttled"}"#, status: 429),
        ])
        let client = recordedShopify(transport)
        #expect(try await client.customer(id: "404") == nil)
        let serverError = await #expect(throws: PlatformError.self) { try await client.customer(id: "500") }
        #expect(serverError?.isRetryable == true && serverError?.status == 500)
        let unauthorized = await #expect(throws: PlatformError.self) { try await client.customer(id: "401") }
        #expect(unauthorized?.isRetryable == false && unauthorized?.status == 401)
        let throttled = await #expect(throws: PlatformError.self) { try await client.customer(id: "429") }
        #expect(throttled?.isRetryable == true)
        #expect(try await client.customer(id: "../products") == nil)
        #expect(transport.requests.last?.url == "\(base)/customers/..%2Fproducts.json")
    }

    @Test func followsLinkPagesAndSkipsCancelledOrders() async throws {
        func order(_ id: Int, _ products: [Int], cancelled: Bool = false) -> String {
            let lines = products.map {
                #"{"product_id": \#($0), "title": "P\#($0)", "quantity": 1, "price": "1.00"}"#
            }
            let cancelledAt = cancelled ? #""2026-01-02T00:00:00Z""# : "null"
            return
                #"{"id": \#(id), "created_at": "2026-01-01T00:00:00-05:00", "currency": "USD", "total_price": "2.00", "cancelled_at": \#(cancelledAt), "line_items": [\#(lines.joined(separator: ","))]}"#
        }
        let page2 = "\(base)/orders.json?limit=250&page_info=abc"
        var first = TransportResponse.json(
            #"{"orders": [\#(order(1, [1, 2])), \#(order(2, [1, 3], cancelled: true))]}"#)
        first.headers["link"] = "<\(page2)>; rel=\"next\""
        let transport = RecordingTransport([
            "\(base)/products.json?limit=250": .json(#"{"products": []}"#),
            "\(base)/orders.json?status=any&limit=250": first,
            page2: .json(#"{"orders": [\#(order(3, [1, 2]))]}"#),
        ])
        let catalog = try await recordedShopify(transport).catalog()
        #expect(transport.requests.last?.url == page2)
        #expect(catalog.coPurchases.counts["1"]?["2"] == 2)
        #expect(catalog.coPurchases.counts["1"]?["3"] == nil)
        #expect(catalog.coPurchases.orderCounts["3"] == nil)
    }
}
