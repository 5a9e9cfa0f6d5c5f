import Foundation
import TidingsCore

/// Writes a Shopify bulk-export JSONL of `customers` synthetic customers, as
/// `bulkOperationRunQuery(groupObjects: true)` over `ShopifyGraphQL.bulkCustomersQuery` writes it:
/// a customer line, then that customer's orders, each with `__parentId`. Customer `i` (from 1)
/// has `i % 4` orders, so a quarter of the base has none; orders are spread over the two years
/// before `2026-11-01`, each of 15.00 to 125.00 (spend varies, as the Gamma-Gamma fit needs: a
/// base where every order costs the same has no spend model to fit). Deterministic; streamed to
/// the file through a 1 MiB buffer, so a million-customer file costs no memory to write.
package enum ShopifyBulkJSONLWriter {
    /// Customers with orders among the first `customers` (`i % 4 != 0`).
    package static func customersWithOrders(_ customers: Int) -> Int { customers - customers / 4 }

    /// Orders written for `customers` customers.
    package static func orders(_ customers: Int) -> Int {
        customers <= 0 ? 0 : (1...customers).reduce(0) { $0 + $1 % 4 }
    }

    /// Writes the file; returns its size in bytes.
    @discardableResult
    package static func write(customers: Int, to file: URL) throws -> Int {
        FileManager.default.createFile(atPath: file.path, contents: nil)
        let handle = try FileHandle(forWritingTo: file)
        defer { try? handle.close() }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20)
        var written = 0
        let base = 1_793_000_000  // 2026-10-26, seconds since 1970
        let nothingRefunded =
            #"{"shopMoney":{"amount":"0.00","currencyCode":"USD"},"presentmentMoney":{"amount":"0.00","currencyCode":"USD"}}"#
        for index in stride(from: 1, through: customers, by: 1) {
            let customerID = 7_000_000_000 + index
            let state = index % 3 == 0 ? "NOT_SUBSCRIBED" : "SUBSCRIBED"
            let totals = (0..<(index % 4)).map { 15 + (index * 31 + $0 * 17) % 23 * 5 }
            buffer += Array(
                (#"{"id":"gid://shopify/Customer/\#(customerID)","firstName":"First\#(index)","lastName":"Last","#
                    + #""tags":[\#(index % 5 == 0 ? "\"vip\"" : "")],"createdAt":"2024-01-02T03:04:05Z","#
                    + #""defaultEmailAddress":{"emailAddress":"c\#(index)@mail.example.com","marketingState":"\#(state)"},"#
                    + #""amountSpent":{"amount":"\#(totals.reduce(0, +)).00","currencyCode":"USD"},"numberOfOrders":"\#(index % 4)"}"#
                    + "\n").utf8)
            for order in 0..<(index % 4) {
                let orderID = 9_000_000_000 + index * 4 + order
                let created = Date(
                    timeIntervalSince1970: Double(base - (index * 7919 + order * 86_400 * 97) % 63_000_000))
                let money =
                    #"{"shopMoney":{"amount":"\#(totals[order]).00","currencyCode":"USD"},"presentmentMoney":{"amount":"\#(totals[order]).00","currencyCode":"USD"}}"#
                buffer += Array(
                    (##"{"id":"gid://shopify/Order/\##(orderID)","name":"#\##(orderID)","##
                        + #""createdAt":"\#(Timestamp.format(created, milliseconds: false))","cancelledAt":null,"#
                        + #""cancelReason":null,"displayFinancialStatus":"PAID","currencyCode":"USD","#
                        + #""presentmentCurrencyCode":"USD","discountCodes":[],"statusPageUrl":null,"#
                        + #""customer":{"id":"gid://shopify/Customer/\#(customerID)"},"#
                        + #""totalPriceSet":\#(money),"totalRefundedSet":\#(nothingRefunded),"#
                        + #""__parentId":"gid://shopify/Customer/\#(customerID)"}"# + "\n").utf8)
            }
            if buffer.count >= 1 << 20 {
                handle.write(Data(buffer))
                written += buffer.count
                buffer.removeAll(keepingCapacity: true)
            }
        }
        handle.write(Data(buffer))
        return written + buffer.count
    }
}
