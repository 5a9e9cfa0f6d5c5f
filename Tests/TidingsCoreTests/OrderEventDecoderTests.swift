import Foundation
import Testing

@testable import TidingsCore

/// The order inputs, pinned against the platforms' official samples.
@Suite("Order event decoding")
struct OrderEventDecoderTests {
    func sample(_ path: String) throws -> JSONValue {
        try JSONParser.parse(Array(try Data(contentsOf: TestPaths.specs.appendingPathComponent(path))))
    }

    func delivery(topic: String, order: JSONValue) throws -> InboundDelivery {
        InboundDelivery(
            body: Array(try JSONEncoder().encode(order)),
            headers: ["X-Shopify-Topic": topic, "X-Shopify-Event-Id": "e-1", "X-Shopify-Shop-Domain": "jsmith"])
    }

    @Test("Shopify's official order sample is an orders/create body")
    func shopifyOrderCreated() throws {
        let order = try #require(try sample("shopify/rest-admin-2026-07-examples/order.json").objectValue?["order"])
        let event = try EventDecoder().decode(try delivery(topic: "orders/create", order: order))
        #expect(event.flow == .orderCreated && event.id == "e-1")
        guard case .order(.complete(let placed)) = event.subject else {
            Issue.record("expected a complete order")
            return
        }
        #expect(placed.id == "450789469" && placed.name == "#1001")
        #expect(placed.lines.count == 3 && placed.lines[0].productID == "632910392")
        #expect(placed.total.plainAmount == "598.94")
        #expect(placed.shippingMethod == "Free Shipping")
        #expect(placed.refunded.plainAmount == "209.00" && placed.isRefunded)
        #expect(placed.cancelledAt == nil && placed.cancelReason == nil)
        #expect(event.customer.id == "207119551")
    }

    @Test("Shopify's official cancelled order sample carries its reason and refund")
    func shopifyOrderCancelled() throws {
        let order = try #require(
            try sample("shopify/rest-admin-2026-07-examples/order_cancel.json").objectValue?["order"])
        let event = try EventDecoder().decode(try delivery(topic: "orders/cancelled", order: order))
        #expect(event.flow == .orderCancelled)
        guard case .order(.complete(let placed)) = event.subject else {
            Issue.record("expected a complete order")
            return
        }
        #expect(placed.cancelReason == .other)
        #expect(placed.cancelledAt != nil)
        #expect(event.occurredAt == placed.cancelledAt)
        // A bare body (no headers) is told apart by cancelled_at.
        let bare = try EventDecoder().decode(InboundDelivery(body: Array(try JSONEncoder().encode(order))))
        #expect(bare.flow == .orderCancelled && bare.source.topic == "orders/cancelled")
    }

    @Test("BigCommerce's official order callbacks carry only the order id (and the status change)")
    func bigCommerceSamples() throws {
        let created = try EventDecoder().decode(
            InboundDelivery(
                body: Array(
                    try Data(
                        contentsOf: TestPaths.specs.appendingPathComponent(
                            "bigcommerce/webhook-samples-2021/store_order_created.json")))))
        #expect(created.flow == .orderCreated)
        guard case .order(.reference(let id, nil)) = created.subject else {
            Issue.record("expected an order reference")
            return
        }
        #expect(id == "250")
        let updated = try EventDecoder().decode(
            InboundDelivery(
                body: Array(
                    try Data(
                        contentsOf: TestPaths.specs.appendingPathComponent(
                            "bigcommerce/webhook-samples-2021/store_order_statusUpdated.json")))))
        #expect(updated.flow == .orderCancelled)
        guard case .order(.reference(_, let change?)) = updated.subject else {
            Issue.record("expected a status change")
            return
        }
        #expect(change == OrderStatusChange(previousStatusID: 0, newStatusID: 11))
    }

    @Test(
        "Bad order input names the field",
        arguments: [
            (
                #"{"event":"order.created","triggered_at":"2026-11-25T16:00:00Z","payload":{"order_id":"1","customer":{"id":"6"},"order":{"items":[]}}}"#,
                "$.payload.order.items"
            ),
            (
                #"{"event":"order.cancelled","triggered_at":"2026-11-25T16:00:00Z","payload":{"order_id":"1","customer":{"id":"6"},"order":{"cancel_reason":"bored","items":[{"product_id":"1","title":"t","price":"1.00","quantity":1}]}}}"#,
                "$.payload.order.cancel_reason"
            ),
            (
                #"{"scope":"store/order/statusUpdated","store_id":"1","data":{"type":"order","id":1,"status":{"previous_status_id":"x","new_status_id":5}},"created_at":1}"#,
                "$.data.status.previous_status_id"
            ),
        ])
    func badInput(json: String, path: String) {
        #expect {
            _ = try EventDecoder().decode(InboundDelivery(body: Array(json.utf8)))
        } throws: { error in
            (error as? InputError)?.path == path
        }
    }
}
