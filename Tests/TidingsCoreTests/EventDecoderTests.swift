import Foundation
import Testing

@testable import TidingsCore

@Suite("Event decoding")
struct EventDecoderTests {
    @Test("Shopify's official abandoned-checkout sample normalizes into one cart event")
    func officialShopifyCheckout() throws {
        let file = TestPaths.specs.appendingPathComponent(
            "shopify/rest-admin-2026-07-examples/abandoned_checkouts.json")
        let document = try JSONParser.parse(Array(try Data(contentsOf: file)))
        guard case .array(let checkouts)? = document.objectValue?["checkouts"], let first = checkouts.first else {
            Issue.record("the sample has no checkouts")
            return
        }
        let body = Array(try JSONEncoder().encode(first))
        let event = try EventDecoder().decode(InboundDelivery(body: body))
        #expect(event.flow == .cartAbandoned)
        #expect(event.source.platform == .shopify)
        #expect(event.customer.id == "207119551")
        #expect(event.customer.firstName == "Bob")
        #expect(event.customer.consent == .notSubscribed)
        guard case .complete(let cart) = event.cart else {
            Issue.record("expected a complete cart")
            return
        }
        #expect(cart.items.count == 2)
        #expect(cart.items[0].productID == "632910392")
        #expect(cart.items[0].price == Money(Decimal(string: "199.00")!, "USD"))
        #expect(cart.items.map(\.variantTitle) == ["Red", "Pink"])
        #expect(cart.subtotal.plainAmount == "398.00")
        #expect(cart.discountCodes.map(\.code) == ["TENOFF"])
        #expect(cart.shipping?.plainAmount == "0.00")
        #expect(Timestamp.format(cart.abandonedAt) == "2012-10-12T11:05:27.000Z")
    }

    @Test("A recorded delivery keeps its headers and takes the event id from X-Shopify-Event-Id")
    func recordedDelivery() throws {
        let event = try TestPaths.decode("shopify-first-time-buyer.json")
        #expect(event.id == "98f1a3c2-5d1e-4b7a-9c11-0f2a6e4d1001")
        #expect(event.shop == "northwind-outfitters.myshopify.com")
        #expect(event.source.topic == "checkouts/update")
        #expect(event.source.headers["x-shopify-hmac-sha256"] != nil)
        #expect(event.customer.id == "6100000001")
    }

    @Test("A recorded delivery's received_at is kept for replays")
    func receivedAt() throws {
        let (delivery, _) = try EventDecoder().unwrap(
            InboundDelivery(body: try TestPaths.event("shopify-too-soon.json")))
        #expect(delivery.receivedAt.map { Timestamp.format($0) } == "2026-11-21T13:10:00.000Z")
    }

    @Test("BigCommerce's thin callback carries only the cart id")
    func bigCommerce() throws {
        let event = try TestPaths.decode("bigcommerce-cart-abandoned.json")
        #expect(event.source.platform == .bigcommerce)
        #expect(event.shop == "nw4x7k2q")
        #expect(event.cart?.cartID == "5f1c0d7e-2a4b-4c1e-9b1a-7d3e2f4a6b01")
        #expect(event.customer.id == nil)
    }

    @Test("BigCommerce's official sample decodes")
    func bigCommerceSample() throws {
        let file = TestPaths.specs.appendingPathComponent("bigcommerce/webhook-samples-2021/store_cart_abandoned.json")
        let event = try EventDecoder().decode(InboundDelivery(body: Array(try Data(contentsOf: file))))
        #expect(event.cart?.cartID == "09346904-4175-44fd-be53-f7e598531b6c")
        #expect(event.occurredAt == Date(timeIntervalSince1970: 1_561_482_670))
    }

    @Test("The canonical event reads money exactly from strings and numbers")
    func canonical() throws {
        let event = try TestPaths.decode("canonical-unknown-to-shop.json")
        #expect(event.id == "cdp-evt-5521")
        #expect(event.customer.tier == "gold")
        #expect(event.customer.consent == .subscribed)
        #expect(event.customer.statedOrderCount == 3)
        guard case .complete(let cart) = event.cart else {
            Issue.record("expected a complete cart")
            return
        }
        #expect(cart.total.amount == Decimal(string: "129")!)
        #expect(cart.items[0].category == "Boots")
    }

    @Test(
        "Each invalid input names its field and reason",
        arguments: [
            ("broken-json.json", InputError.Code.malformedJSON, "$"),
            ("missing-customer.json", .missingField, "$.customer"),
            ("wrong-types.json", .invalidField, "$.payload.cart.items[0].quantity"),
            ("bad-money.json", .invalidField, "$.payload.cart.total_value"),
            ("unknown-topic.json", .unsupportedTopic, "$.headers.X-Shopify-Topic"),
            ("oversized.json", .oversized, "$"),
        ])
    func invalid(file: String, code: InputError.Code, path: String) throws {
        let body = try TestPaths.event("invalid/" + file)
        let error = #expect(throws: InputError.self) { try EventDecoder().decode(InboundDelivery(body: body)) }
        #expect(error?.code == code)
        #expect(error?.path == path)
        #expect(error?.reason.isEmpty == false)
    }

    @Test("Broken JSON reports line and column")
    func syntaxPosition() {
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse("{\n  \"a\": tru }") }
        do {
            _ = try JSONParser.parse("{\n  \"a\": tru }")
        } catch {
            #expect(error.line == 2)
        }
    }

    @Test("The parser handles escapes, surrogates and numbers")
    func parser() throws {
        let value = try JSONParser.parse(#"{"s":"a\"b\u00e9\ud83d\ude00","i":-12,"d":29.99,"b":[true,false,null]}"#)
        #expect(value == .object(["s": "a\"bé😀", "i": .int(-12), "d": .double(29.99), "b": [true, false, .null]]))
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse("[1,]") }
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse("01") }
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse("\"\\ud800\"") }
    }

    @Test("Money strings parse exactly and refuse anything else")
    func money() {
        #expect(Money(parsing: "29.99", currency: "USD")?.amount == Decimal(string: "29.99"))
        #expect(Money(parsing: "29,99", currency: "USD") == nil)
        #expect(Money(parsing: "1e3", currency: "USD") == nil)
        #expect(Money(parsing: ".5", currency: "USD") == nil)
        let sum = (0..<10).reduce(Money.zero("USD")) { total, _ in total + Money(parsing: "0.10", currency: "USD")! }
        #expect(sum.plainAmount == "1.00")
    }

    @Test("ISO 8601 timestamps need an offset and keep it")
    func timestamps() {
        #expect(Timestamp.parse("2026-11-21T09:12:40-05:00").map { Timestamp.format($0) } == "2026-11-21T14:12:40.000Z")
        #expect(Timestamp.parse("2026-11-21T14:12:41.123Z").map { Timestamp.format($0) } == "2026-11-21T14:12:41.123Z")
        #expect(Timestamp.parse("2026-11-21T09:12:40") == nil)
        #expect(Timestamp.parse("2026-13-01T00:00:00Z") == nil)
        #expect(Timestamp.parse("2026-02-31T10:00:00Z") == nil)
        #expect(Timestamp.parse("2028-02-29T10:00:00Z") != nil)
        #expect(Timestamp.parse("2026-02-10T10:00:00+99:99") == nil)
    }

    /// A canonical cart event with one item, edited.
    func canonical(_ edit: (inout [String: Any]) -> Void) throws -> [UInt8] {
        var item: [String: Any] = [
            "product_id": "7400000013", "title": "Merino Hiker Sock", "price": "22.00", "quantity": 2,
        ]
        var customer: [String: Any] = ["id": "6100000003", "email": "priya.raman@example.com", "first_name": "Priya"]
        var document: [String: Any] = [:]
        var fields: [String: Any] = ["item": item, "customer": customer]
        edit(&fields)
        item = fields["item"] as! [String: Any]
        customer = fields["customer"] as! [String: Any]
        document = [
            "event": "cart.updated", "triggered_at": "2026-11-21T17:20:00Z",
            "payload": ["cart_id": "c-1", "customer": customer, "cart": ["items": [item]]],
        ]
        return Array(try JSONSerialization.data(withJSONObject: document))
    }

    @Test(
        "Implausible quantities and amounts and malformed addresses are bad input, named by path",
        arguments: [
            ("quantity", JSONValue.int(0), "$.payload.cart.items[0].quantity"),
            ("quantity", .int(100_000_000), "$.payload.cart.items[0].quantity"),
            ("price", .string("99999999999999999999.99"), "$.payload.cart.items[0].price"),
            ("email", .string("not-an-email"), "$.payload.customer.email"),
            ("email", .string("a@b.com\r\nBcc: x@y.com"), "$.payload.customer.email"),
        ] as [(String, JSONValue, String)])
    func bounds(field: String, json: JSONValue, path: String) throws {
        let value: Any
        switch json {
        case .int(let number): value = number
        default: value = json.stringValue ?? ""
        }
        let body = try canonical { fields in
            if field == "email" {
                var customer = fields["customer"] as! [String: Any]
                customer["email"] = value
                fields["customer"] = customer
            } else {
                var item = fields["item"] as! [String: Any]
                item[field] = value
                fields["item"] = item
            }
        }
        let error = #expect(throws: InputError.self) { try EventDecoder().decode(InboundDelivery(body: body)) }
        #expect(error?.path == path)
    }

    @Test("Bytes that are not UTF-8 are malformed JSON, not silently repaired")
    func invalidUTF8() throws {
        var body = try canonical { _ in }
        let index = try #require(body.firstIndex(of: UInt8(ascii: "M")))
        body[index] = 0xFF
        let error = #expect(throws: InputError.self) { try EventDecoder().decode(InboundDelivery(body: body)) }
        #expect(error?.code == .malformedJSON)
    }
}
