import Foundation
import Testing
import TidingsDevKit

@testable import TidingsCore

/// The bulk export's JSONL reader (`ShopifyBulkJSONL`): grouping by `__parentId`, customers without
/// orders, chunk boundaries, and malformed or misplaced lines named by their line number.
@Suite("Shopify bulk JSONL")
struct ShopifyBulkJSONLTests {
    static func temporaryFile(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("tidings-\(name)-\(UUID().uuidString).jsonl")
    }

    static func read(_ file: URL, chunkSize: Int = ShopifyBulkJSONL.chunkSize) async throws -> [CustomerHistory] {
        var histories: [CustomerHistory] = []
        try await ShopifyBulkJSONL.forEachHistory(in: file, chunkSize: chunkSize) { histories.append($0) }
        return histories
    }

    static func write(_ lines: [String]) throws -> URL {
        let file = temporaryFile("lines")
        try Data(lines.joined(separator: "\n").utf8).write(to: file)
        return file
    }

    static let customer =
        #"{"id":"gid://shopify/Customer/1","firstName":"A","lastName":"B","tags":["VIP"],"createdAt":"2024-01-02T03:04:05Z","defaultEmailAddress":{"emailAddress":"a@mail.example.com","marketingState":"SUBSCRIBED"},"amountSpent":{"amount":"40.00","currencyCode":"USD"},"numberOfOrders":"2"}"#
    static func order(_ id: Int, parent: Int = 1, created: String = "2025-01-02T03:04:05Z") -> String {
        let money =
            #"{"shopMoney":{"amount":"40.00","currencyCode":"USD"},"presentmentMoney":{"amount":"40.00","currencyCode":"USD"}}"#
        return
            ##"{"id":"gid://shopify/Order/\##(id)","name":"#\##(id)","createdAt":"\##(created)","cancelledAt":null,"cancelReason":null,"displayFinancialStatus":"PAID","currencyCode":"USD","presentmentCurrencyCode":"USD","discountCodes":[],"statusPageUrl":null,"customer":{"id":"gid://shopify/Customer/\##(parent)"},"totalPriceSet":\##(money),"totalRefundedSet":\##(money),"__parentId":"gid://shopify/Customer/\##(parent)"}"##
    }

    @Test(
        "A generated file groups every customer's orders; customers without orders are left out; any chunk size reads the same"
    )
    func generatedFile() async throws {
        let file = Self.temporaryFile("generated")
        defer { try? FileManager.default.removeItem(at: file) }
        let customers = 1_001
        try ShopifyBulkJSONLWriter.write(customers: customers, to: file)
        let histories = try await Self.read(file)
        #expect(histories.count == ShopifyBulkJSONLWriter.customersWithOrders(customers))
        #expect(histories.reduce(0) { $0 + $1.orders.count } == ShopifyBulkJSONLWriter.orders(customers))
        for history in histories {
            let index = Int(history.customer.id)! - 7_000_000_000
            #expect(history.orders.count == index % 4, "customer \(index)")
            #expect(history.orders.allSatisfy { $0.customerID == history.customer.id })
            #expect(zip(history.orders, history.orders.dropFirst()).allSatisfy { $0.createdAt <= $1.createdAt })
            #expect(history.customer.email == "c\(index)@mail.example.com")
        }
        // A chunk of 7 bytes splits every line many times over: same histories.
        let small = try await Self.read(file, chunkSize: 7)
        #expect(small.map(\.customer.id) == histories.map(\.customer.id))
        #expect(small.map { $0.orders.map(\.id) } == histories.map { $0.orders.map(\.id) })
    }

    @Test(
        "A customer's record and orders map as the GraphQL client maps them: legacy ids, consent, tags, money; orders oldest first"
    )
    func mapping() async throws {
        let file = try Self.write([
            Self.customer, Self.order(12, created: "2025-06-01T00:00:00Z"),
            Self.order(11, created: "2025-01-01T00:00:00Z"),
            "",
        ])
        defer { try? FileManager.default.removeItem(at: file) }
        let histories = try await Self.read(file)
        let history = try #require(histories.first)
        #expect(histories.count == 1)
        #expect(history.customer.id == "1")
        #expect(history.customer.consent == .subscribed)
        #expect(history.customer.tags == ["vip"])
        #expect(history.orders.map(\.id) == ["11", "12"])
        #expect(history.orders.first?.total == Money(Decimal(40), "USD"))
        #expect(history.orders.allSatisfy { $0.lines.isEmpty })
    }

    @Test(
        "Malformed and misplaced lines fail naming the line: bad JSON, an order before its parent, an order of another customer, a non-customer id"
    )
    func malformed() async throws {
        let cases: [(lines: [String], expected: String)] = [
            ([Self.customer, "{not json"], "line 2: not a customer line"),
            (
                [Self.order(11), Self.customer],
                "line 1: order gid://shopify/Order/11 has __parentId gid://shopify/Customer/1, before any customer line"
            ),
            (
                [Self.customer, Self.order(11, parent: 2)],
                "line 2: order gid://shopify/Order/11 has __parentId gid://shopify/Customer/2, but the open customer is gid://shopify/Customer/1"
            ),
            ([Self.customer, #"{"id":"gid://shopify/Customer/1","__parentId":"x"}"#], "line 2: not an order line"),
            ([#"{"id":"gid://shopify/Product/5","tags":[]}"#], "line 1: id gid://shopify/Product/5 is not a customer"),
        ]
        for (lines, expected) in cases {
            let file = try Self.write(lines)
            defer { try? FileManager.default.removeItem(at: file) }
            do {
                _ = try await Self.read(file)
                Issue.record("no error for \(expected)")
            } catch let error as PlatformError {
                #expect(error.reason.contains(expected), "\(error.reason)")
                #expect(!error.isRetryable)
            }
        }
    }
}
