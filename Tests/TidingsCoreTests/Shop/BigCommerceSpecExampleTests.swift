import Foundation
import Testing

@testable import TidingsCore

/// The BigCommerce client against the official response examples of the V2 Orders and V3
/// Customers references (Tests/Fixtures/bigcommerce-spec-examples), requested by the exact URLs
/// the client builds.
@Suite("BigCommerce client against the official examples")
struct BigCommerceSpecExampleTests {
    static let folder = ShopPaths.repositoryRoot + "/Tests/Fixtures/bigcommerce-spec-examples/"
    static let base = "https://api.bigcommerce.com/stores/abc123"

    static func example(_ name: String) throws -> TransportResponse {
        let body = try Data(contentsOf: URL(fileURLWithPath: folder + name))
        return TransportResponse(status: 200, headers: ["content-type": "application/json"], body: Array(body))
    }

    func client(_ answers: [String: TransportResponse]) -> (BigCommerceClient, RecordingTransport) {
        let transport = RecordingTransport(answers)
        let client = BigCommerceClient(
            storeHash: "abc123", accessToken: "token", storefrontURL: "https://shop.example", transport: transport)
        return (client, transport)
    }

    @Test("An order and its products from the official examples become one exact OrderRecord")
    func orders() async throws {
        let (client, transport) = client([
            "\(Self.base)/v2/orders?customer_id=20&limit=250": try Self.example("orders.json"),
            "\(Self.base)/v2/orders/100/products": try Self.example("order-products.json"),
        ])
        let orders = try await client.orders(customerID: "20")
        #expect(
            transport.requests.map(\.url) == [
                "\(Self.base)/v2/orders?customer_id=20&limit=250", "\(Self.base)/v2/orders/100/products",
            ])
        #expect(transport.requests.allSatisfy { $0.method == "GET" && $0.headers["X-Auth-Token"] == "token" })
        let order = try #require(orders.first)
        #expect(orders.count == 1)
        #expect(order.id == "100")
        #expect(order.customerID == "20")
        #expect(order.total == Money(Decimal(string: "361.95")!, "USD"))
        #expect(Timestamp.format(order.createdAt) == "2018-01-10T21:05:30.000Z")
        #expect(order.cancelledAt == nil)
        #expect(order.lines.map(\.productID) == ["77", "86"])
        #expect(order.lines.first?.price == Money(Decimal(string: "55.99")!, "USD"))
        // The manual discount has no code, so no code is recorded.
        #expect(order.discountCodes.isEmpty)
    }

    @Test("A thin order webhook's order comes from the official single-order and products examples")
    func singleOrder() async throws {
        let (client, transport) = client([
            "\(Self.base)/v2/orders/218": try Self.example("order.json"),
            "\(Self.base)/v2/orders/218/products": try Self.example("order-products.json"),
        ])
        let order = try #require(try await client.order(id: "218"))
        #expect(transport.requests.map(\.url) == ["\(Self.base)/v2/orders/218", "\(Self.base)/v2/orders/218/products"])
        #expect(order.id == "218" && order.name == "#218" && order.customerID == "11")
        #expect(order.total == Money(Decimal(string: "69.84")!, "USD"))
        #expect(order.isComplete && order.cancelledAt == nil && !order.isRefunded)
        #expect(order.financialStatus == "authorized")
        #expect(order.lines.map(\.productID) == ["77", "86"])
        // A missing order is nil, not an error.
        let (empty, _) = self.client([:])
        #expect(try await empty.order(id: "5") == nil)
    }

    @Test("The official customers example names what the client needs and lacks: its id")
    func customerExampleWithoutID() async throws {
        let (client, _) = client(["\(Self.base)/v3/customers?id:in=7": try Self.example("customers.json")])
        // The published example omits `id`; a real response carries it, and a customer without
        // one cannot be looked up again, so the client refuses it by path.
        let error = await #expect(throws: PlatformError.self) { try await client.customer(id: "7") }
        #expect(error?.reason == "missing required field `data[0].id`")
        #expect(error?.isRetryable == false)
    }
}
