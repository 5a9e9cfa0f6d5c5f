import Foundation
import Testing

@testable import TidingsCore

@Suite struct BigCommerceClientTests {
    let base = "https://api.bigcommerce.com/stores/nw4x7k2q"

    @Test func personasDecodeFromTheRecordedShop() async throws {
        let client = recordedBigCommerce()
        let ava = try #require(try await client.customer(id: "11"))
        #expect(ava.firstName == "Ava" && ava.consent == .subscribed && ava.tags.isEmpty)
        #expect(ava.createdAt == Timestamp.parse("2025-04-20T16:00:00Z"))
        let avaOrders = try await client.orders(customerID: "11")
        #expect(avaOrders.count == 3)
        #expect(avaOrders.map(\.createdAt) == avaOrders.map(\.createdAt).sorted())
        #expect(avaOrders.first?.total.amount == Decimal(string: "201.0000"))
        #expect(avaOrders.first?.lines.map(\.productID) == ["105", "113"])
        #expect(avaOrders.first?.lines.first?.price == Money(Decimal(string: "179.00")!, "USD"))

        let noah = try #require(try await client.customer(id: "12"))
        #expect(noah.consent == .notSubscribed)
        let noahOrders = try await client.orders(customerID: "12")
        #expect(noahOrders.count == 1 && noahOrders.first?.customerID == "12")
        #expect(try await client.customer(id: "999") == nil)
        #expect(try await client.orders(customerID: "999").isEmpty)
    }

    @Test func cartsDecodeWithSizes() async throws {
        let client = recordedBigCommerce()
        let (cart, customer) = try #require(try await client.cart(id: "5f1c0d7e-2a4b-4c1e-9b1a-7d3e2f4a6b01"))
        #expect(customer == "11")
        #expect(cart.items.count == 3)
        #expect(cart.items.map(\.productID) == ["103", "103", "113"])
        #expect(cart.items.map(\.variantTitle) == ["M", "L", "S/M"])
        #expect(cart.items[2].quantity == 2)
        #expect(cart.subtotal == Money(Decimal(string: "382")!, "USD"))
        #expect(cart.abandonedAt == Timestamp.parse("2026-11-21T14:42:10Z"))
        let other = try #require(try await client.cart(id: "5f1c0d7e-2a4b-4c1e-9b1a-7d3e2f4a6b02"))
        #expect(other.customerID == "12" && other.cart.items.map(\.productID) == ["126"])
        #expect(try await client.cart(id: "5f1c0d7e-0000-0000-0000-000000000000") == nil)
    }

    @Test func catalogHasProductsAndCoPurchases() async throws {
        let catalog = try await recordedBigCommerce().catalog()
        #expect(catalog.products.count == 36)
        let jacket = try #require(catalog["103"])
        #expect(jacket.category == "Jackets" && jacket.price.amount == Decimal(string: "169"))
        #expect(jacket.url == "https://northwind.example/summit-softshell-jacket/" && jacket.isInStock)
        #expect(
            catalog.products.values.filter { !$0.isInStock }.map(\.id).sorted() == [
                "108", "118", "130", "134",
            ])
        let sockIDs = catalog.products.values.filter { $0.category == "Socks" }.map(\.id)
        let bootPartners = catalog.coPurchases.counts["105"] ?? [:]
        #expect(sockIDs.reduce(0) { $0 + (bootPartners[$1] ?? 0) } >= 3)
    }

    @Test func requestsArePinned() async throws {
        let transport = RecordingTransport(
            fallback: FileTransport(
                root: ShopPaths.recordedShop + "/bigcommerce", notFoundBody: FileTransport.bigCommerceNotFound
            ))
        let client = recordedBigCommerce(transport)
        _ = try await client.customer(id: "12")
        _ = try await client.orders(customerID: "12")
        _ = try await client.cart(id: "5f1c0d7e-2a4b-4c1e-9b1a-7d3e2f4a6b02")
        let noahOrder = try #require(try await client.orders(customerID: "12").first?.id)
        #expect(
            Array(transport.requests.map(\.url).prefix(4)) == [
                "\(base)/v3/customers?id:in=12",
                "\(base)/v2/orders?customer_id=12&limit=250",
                "\(base)/v2/orders/\(noahOrder)/products",
                "\(base)/v3/carts/5f1c0d7e-2a4b-4c1e-9b1a-7d3e2f4a6b02?include=line_items.physical_items.options",
            ])
        let before = transport.requests.count
        _ = try await client.catalog()
        let catalogURLs = transport.requests.dropFirst(before).map(\.url)
        #expect(
            Array(catalogURLs.prefix(3)) == [
                "\(base)/v3/catalog/trees/categories?limit=250",
                "\(base)/v3/catalog/products?include=variants&limit=250",
                "\(base)/v2/orders?sort=id:asc&limit=250",
            ])
        for request in transport.requests {
            #expect(request.method == "GET")
            #expect(request.headers == ["X-Auth-Token": "bc_recorded", "Accept": "application/json"])
        }
    }

    @Test func strictDecodingAndStatuses() async throws {
        let transport = RecordingTransport([
            "\(base)/v3/customers?id:in=1": .json(#"{"data": [{"email": "a@b.example"}], "meta": {}}"#),
            "\(base)/v2/orders?customer_id=2&limit=250": .json(
                #"[{"id": 9, "customer_id": 2, "date_created": "2026-01-01", "status_id": 10, "total_inc_tax": "1.0000", "currency_code": "USD"}]"#
            ),
            "\(base)/v2/orders?customer_id=3&limit=250": TransportResponse(status: 204),
            "\(base)/v3/customers?id:in=4": .json(#"{"status": 503}"#, status: 503),
            "\(base)/v3/customers?id:in=5": .json(#"{"status": 403}"#, status: 403),
        ])
        let client = recordedBigCommerce(transport)
        let missing = await #expect(throws: PlatformError.self) { try await client.customer(id: "1") }
        #expect(missing?.reason.contains("`data[0].id`") == true)
        let date = await #expect(throws: PlatformError.self) { try await client.orders(customerID: "2") }
        #expect(date?.reason.contains("`[0].date_created`") == true)
        #expect(try await client.orders(customerID: "3").isEmpty)
        let unavailable = await #expect(throws: PlatformError.self) { try await client.customer(id: "4") }
        #expect(unavailable?.isRetryable == true && unavailable?.platform == "bigcommerce")
        let forbidden = await #expect(throws: PlatformError.self) { try await client.customer(id: "5") }
        #expect(forbidden?.isRetryable == false)
    }
}
