import Foundation
import Testing
import TidingsDevKit

@testable import TidingsCore

@Suite struct SyntheticShopTests {
    private func client(_ root: URL) -> ShopifyGraphQLClient {
        ShopifyGraphQLClient(
            baseURL: RecordedShop.shopifyBaseURL, accessToken: Secret("recorded"),
            storefrontURL: RecordedShop.storefrontURL,
            transport: FileTransport(root: root.appendingPathComponent("shopify").path, cachesResponses: false))
    }

    /// The scan's path end to end: the synthetic shop's bulk export through the production client,
    /// summaries from the decoded orders, and a fit that finds the generating parameters.
    @Test func streamedShopRecoversItsGeneratingParameters() async throws {
        try await withTemporaryDirectory { root in
            let shop = SyntheticShop(customers: 12_000, seed: 11)
            let written = try shop.write(to: root.path)
            var summaries: [CustomerSummary] = []
            var customers = 0
            try await client(root).forEachCustomerHistory { history in
                customers += 1
                if let summary = CustomerSummary(
                    id: history.customer.id, orders: history.orders, now: SyntheticShop.observedUntil)
                {
                    summaries.append(summary)
                }
            }
            #expect(customers == written.customers)
            #expect(summaries.count == written.customers)
            let fitted = try LifetimeFit.bgnbd(summaries).model
            #expect(abs(fitted.r / shop.bgnbd.r - 1) < 0.15, "r \(fitted.r)")
            #expect(abs(fitted.alpha / shop.bgnbd.alpha - 1) < 0.15, "alpha \(fitted.alpha)")
            #expect(abs(fitted.a / shop.bgnbd.a - 1) < 0.25, "a \(fitted.a)")
            #expect(abs(fitted.b / shop.bgnbd.b - 1) < 0.25, "b \(fitted.b)")
            let spend = try LifetimeFit.gammaGamma(summaries).model
            #expect(abs(spend.p / shop.gammaGamma.p - 1) < 0.2, "p \(spend.p)")
            #expect(abs(spend.q / shop.gammaGamma.q - 1) < 0.2, "q \(spend.q)")
            #expect(abs(spend.gamma / shop.gammaGamma.gamma - 1) < 0.25, "gamma \(spend.gamma)")
        }
    }

    @Test func sameSeedWritesTheSameBytes() async throws {
        try await withTemporaryDirectory { root in
            let first = root.appendingPathComponent("a")
            let second = root.appendingPathComponent("b")
            try SyntheticShop(customers: 300, seed: 5).write(to: first.path)
            try SyntheticShop(customers: 300, seed: 5).write(to: second.path)
            let page = "shopify/" + SyntheticShop.bulkFile
            let a = try Data(contentsOf: first.appendingPathComponent(page))
            #expect(a == (try Data(contentsOf: second.appendingPathComponent(page))))
            try SyntheticShop(customers: 300, seed: 6).write(to: root.appendingPathComponent("c").path)
            #expect(a != (try Data(contentsOf: root.appendingPathComponent("c").appendingPathComponent(page))))
        }
    }

    @Test func customerFilesServeThePerCustomerCalls() async throws {
        try await withTemporaryDirectory { root in
            try SyntheticShop(customers: 20, seed: 2, customerFiles: true).write(to: root.path)
            let platform = client(root)
            let id = String(SyntheticShop.firstCustomerID + 7)
            let customer = try #require(try await platform.customer(id: id))
            #expect(customer.email?.hasSuffix("@mail.example.com") == true)
            let orders = try await platform.orders(customerID: id)
            #expect(!orders.isEmpty)
            #expect(orders.allSatisfy { $0.customerID == id })
        }
    }

}

@Suite struct CustomerSummaryFromOrdersTests {
    private func order(_ day: Int, _ total: Decimal, cancelled: Bool = false, status: String = "paid") -> OrderRecord {
        OrderRecord(
            id: "\(day)-\(total)", customerID: "1",
            createdAt: Date(timeIntervalSince1970: Double(day) * 86_400 + 3_600),
            total: Money(total, "USD"), lines: [], cancelledAt: cancelled ? Date(timeIntervalSince1970: 0) : nil,
            discountCodes: [], financialStatus: status)
    }

    @Test func countsPurchaseDaysAndSkipsCancelledAndRefundedOrders() throws {
        let now = Date(timeIntervalSince1970: 71 * 86_400)
        let orders = [
            order(0, 50), order(14, 20), order(14, 10), order(28, 90), order(42, 70, cancelled: true),
            order(56, 60, status: "refunded"),
        ]
        let summary = try #require(CustomerSummary(id: "1", orders: orders, now: now))
        #expect(summary.frequency == 2)
        #expect(summary.recency == 4)
        #expect(abs(summary.age - (71 * 86_400 - 3_600) / CustomerSummary.week) < 1e-9)
        #expect(summary.monetary == 60)  // (30 + 90) / 2: the same-day orders are one occasion
        #expect(CustomerSummary(id: "1", orders: [order(3, 10, cancelled: true)], now: now) == nil)
    }
}
