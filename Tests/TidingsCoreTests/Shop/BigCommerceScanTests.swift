import Foundation
import Synchronization
import Testing

@testable import TidingsCore

/// An in-memory transport whose answer is computed from the request, recording every URL.
final class FunctionTransport: HTTPTransport {
    private let answer: @Sendable (String) -> TransportResponse
    private let log = Mutex<[String]>([])

    init(_ answer: @escaping @Sendable (String) -> TransportResponse) { self.answer = answer }

    var urls: [String] { log.withLock { $0 } }

    func send(_ request: TransportRequest) async throws -> TransportResponse {
        log.withLock { $0.append(request.url) }
        return answer(request.url)
    }
}

/// The BigCommerce customer-base scan (`BigCommerceClient+Scan`): V3 customers page by page, each
/// customer's V2 orders, only customers with orders handed over, in the listing's order, and every
/// listing bounded.
@Suite struct BigCommerceScanTests {
    static let base = "https://api.bigcommerce.com/stores/abc"

    static func customer(_ id: Int) -> String {
        #"{"id": \#(id), "email": "c\#(id)@mail.example.com", "first_name": "C\#(id)", "date_created": "2025-01-0\#(id)T00:00:00Z", "accepts_product_review_abandoned_cart_emails": true}"#
    }

    /// A cursor page as customers.v3.yml describes it: `cursor_pagination` with `end_cursor`, and
    /// `links.next` when `next` is given.
    static func page(_ ids: [Int], end: String, next: Bool) -> TransportResponse {
        let links = next ? #"{"next": "?limit=250&after=\#(end)"}"# : "{}"
        return .json(
            #"{"data": [\#(ids.map(customer).joined(separator: ","))], "meta": {"cursor_pagination": {"count": \#(ids.count), "per_page": 250, "end_cursor": "\#(end)", "links": \#(links)}}}"#
        )
    }

    static func order(_ id: Int, customer: Int) -> String {
        #"{"id": \#(id), "customer_id": \#(customer), "date_created": "Wed, 11 Feb 2026 20:15:00 +0000", "status_id": 10, "total_inc_tax": "10.0000", "currency_code": "USD"}"#
    }

    func client(_ transport: any HTTPTransport, maxPages: Int = 10_000) -> BigCommerceClient {
        var client = BigCommerceClient(
            storeHash: "abc", accessToken: "t", storefrontURL: "https://shop.example", transport: transport)
        client.maxPages = maxPages
        return client
    }

    @Test func streamsCustomersWithOrdersPageByPageInListingOrder() async throws {
        let base = Self.base
        let transport = FunctionTransport { url in
            let listing = "\(base)/v3/customers?limit=250"
            // The cursor is sent percent-encoded: "eyJpZCI6M30=" (base64 of {"id":3}) keeps no raw "=".
            if url == listing { return Self.page([1, 2, 3], end: "eyJpZCI6M30=", next: true) }
            if url == listing + "&after=eyJpZCI6M30%3D" { return Self.page([4], end: "eyJpZCI6NH0=", next: false) }
            if url == "\(base)/v2/orders?customer_id=1&limit=250" {
                return .json("[\(Self.order(101, customer: 1)), \(Self.order(102, customer: 1))]")
            }
            if url == "\(base)/v2/orders?customer_id=4&limit=250" { return .json("[\(Self.order(401, customer: 4))]") }
            if url == "\(base)/v2/orders?customer_id=3&limit=250" { return .json("[\(Self.order(301, customer: 3))]") }
            if url.hasPrefix("\(base)/v2/orders?customer_id=") { return TransportResponse(status: 204) }
            if url.hasSuffix("/products") {
                return .json(#"[{"product_id": 7, "name": "Sock", "quantity": 1, "base_price": "10.0000"}]"#)
            }
            return .json(#"{"status": 404}"#, status: 404)
        }
        var seen: [(String, [String])] = []
        try await client(transport).forEachCustomerHistory { history in
            seen.append((history.customer.id, history.orders.map(\.id)))
            #expect(history.orders.allSatisfy { $0.lines.map(\.productID) == ["7"] })
        }
        #expect(seen.map(\.0) == ["1", "3", "4"])
        #expect(seen.map(\.1) == [["101", "102"], ["301"], ["401"]])
        #expect(transport.urls.filter { $0.contains("/v3/customers") }.count == 2)
        #expect(transport.urls.filter { $0.contains("/v2/orders?customer_id=") }.count == 4)
    }

    @Test func aListingThatNeverEndsStopsAtTheBoundWithAFinalError() async throws {
        let transport = FunctionTransport { url in
            if url.contains("/v3/customers") {
                let page = (Int(url.split(separator: "=").last ?? "0") ?? 0) + 1
                return Self.page([page % 9 + 1], end: String(page), next: true)
            }
            return TransportResponse(status: 204)
        }
        let error = await #expect(throws: PlatformError.self) {
            try await client(transport, maxPages: 3).forEachCustomerHistory { _ in }
        }
        #expect(error?.isRetryable == false)
        #expect(error?.reason == "the listing did not end after 3 pages")
        #expect(transport.urls.filter { $0.contains("/v3/customers") }.count == 3)

        // V2 order pages that are always full stop at the same bound.
        let orders = FunctionTransport { url in
            let full = (0..<250).map { Self.order($0, customer: 9) }.joined(separator: ",")
            return url.contains("/products") ? .json("[]") : .json("[\(full)]")
        }
        let ordersError = await #expect(throws: PlatformError.self) {
            _ = try await client(orders, maxPages: 2).orders(customerID: "9")
        }
        #expect(ordersError?.reason == "the listing did not end after 2 pages")
    }

    @Test("A cursor that repeats, or a next page without an end_cursor, is a final error at once")
    func aRepeatedCursorIsAnError() async throws {
        for end in ["same", ""] {
            let transport = FunctionTransport { url in
                url.contains("/v3/customers") ? Self.page([1], end: end, next: true) : TransportResponse(status: 204)
            }
            let error = await #expect(throws: PlatformError.self) {
                try await client(transport).forEachCustomerHistory { _ in }
            }
            #expect(error?.isRetryable == false)
            #expect(error?.reason.contains(end.isEmpty ? "is missing" : "repeats") == true, "\(error?.reason ?? "")")
            #expect(transport.urls.filter { $0.contains("/v3/customers") }.count == (end.isEmpty ? 1 : 2))
        }
    }

    @Test func aMissingListingIsAWrongStoreNotAnEmptyBase() async throws {
        let transport = FunctionTransport { _ in .json(#"{"status": 404}"#, status: 404) }
        let error = await #expect(throws: PlatformError.self) {
            try await client(transport).forEachCustomerHistory { _ in }
        }
        #expect(error?.status == 404 && error?.isRetryable == false)
        #expect(error?.reason.contains("BIGCOMMERCE_STORE_HASH") == true)
    }
}
