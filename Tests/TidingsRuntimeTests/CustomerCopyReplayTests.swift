import Crypto
import Foundation
import Testing

@testable import TidingsCore
@testable import TidingsRuntime

/// What the customer reads, end to end on the embedded defaults: a recorded order edited so the
/// customer paid in euros, and the Date of a series' scheduled messages.
@Suite("Customer copy, replayed")
struct CustomerCopyReplayTests {
    let flows = OrderFlowTests()

    /// The recorded repeat-customer order, paid in EUR: 55.55 a jacket, 9.10 a sock (the shop's
    /// currency stays USD, with the catalog's prices in its `shop_money`).
    func euroOrder(in scratch: URL) throws -> URL {
        let source = OrderFlowTests.created.appendingPathComponent("shopify-repeat-customer.json")
        var recording = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: source)) as? [String: Any])
        let bodyText = try #require(recording["body"] as? String)
        var body = try #require(try JSONSerialization.jsonObject(with: Data(bodyText.utf8)) as? [String: Any])
        func set(_ shop: String, _ eur: String) -> [String: Any] {
            [
                "shop_money": ["amount": shop, "currency_code": "USD"],
                "presentment_money": ["amount": eur, "currency_code": "EUR"],
            ]
        }
        body["presentment_currency"] = "EUR"
        var lines = try #require(body["line_items"] as? [[String: Any]])
        for index in lines.indices {
            let shopPrice = try #require(lines[index]["price"] as? String)
            lines[index]["price_set"] = set(shopPrice, shopPrice == "169.00" ? "55.55" : "9.10")
        }
        body["line_items"] = lines
        body["total_price_set"] = set(try #require(body["total_price"] as? String), "73.75")
        body["subtotal_price_set"] = set(try #require(body["subtotal_price"] as? String), "73.75")
        let bytes = try JSONSerialization.data(withJSONObject: body)
        recording["body"] = String(decoding: bytes, as: UTF8.self)
        // Signed again with the fixtures' secret, as Shopify would sign the edited body.
        var headers = try #require(recording["headers"] as? [String: String])
        let secret = SymmetricKey(
            data: Data(try #require(RuntimeTestSupport.webhookSecrets["SHOPIFY_WEBHOOK_SECRET"]).utf8))
        headers["X-Shopify-Hmac-Sha256"] = Data(HMAC<SHA256>.authenticationCode(for: bytes, using: secret))
            .base64EncodedString()
        recording["headers"] = headers
        // The replayer picks the function by the folder a recording sits in.
        let folder = scratch.appendingPathComponent("orderCreated")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("euro-order.json")
        try JSONSerialization.data(withJSONObject: recording).write(to: file)
        return file
    }

    @Test("An order paid in EUR shows its own euro line prices in every email, never the catalog's USD price")
    func euroOrderShowsEuros() async throws {
        try await withScratch { scratch in
            let file = try euroOrder(in: scratch)
            let data = scratch.appendingPathComponent("data")
            let reports = try await flows.replay([file], in: data)
            #expect(reports.first?.outcome == .sent, "\(String(describing: reports.first?.reason))")
            let series = try flows.emails(data)
            #expect(!series.isEmpty)
            let thankYou = try #require(series.first { flows.header("X-Tidings-Step", in: $0.text) == "thank_you" })
            #expect(thankYou.text.contains("Summit Softshell Jacket - =E2=82=AC55.55"), "\(thankYou.text)")
            for email in series {
                #expect(!email.text.contains("$169.00"), "\(email.name)")
                #expect(!email.text.contains("$22.00"), "\(email.name)")
            }
        }
    }

    @Test("Each message of a series is dated at its send time: Date matches X-Tidings-Send-At")
    func seriesDates() async throws {
        try await withScratch { scratch in
            let reports = try await flows.replay(
                [OrderFlowTests.created.appendingPathComponent("shopify-repeat-customer.json")], in: scratch)
            #expect(reports.first?.outcome == .sent)
            let series = try flows.emails(scratch)
            #expect(series.count == 4)
            for email in series {
                let sendAt = try #require(flows.header("X-Tidings-Send-At", in: email.text).flatMap(Timestamp.parse))
                let date = try #require(flows.header("Date", in: email.text))
                // The replay clock is the order's time: the thank-you goes now, the rest weeks later.
                #expect(date == Timestamp.rfc5322(sendAt), "\(email.name)")
            }
            let dates = series.compactMap { flows.header("Date", in: $0.text) }
            #expect(Set(dates).count == 4, "\(dates)")
        }
    }
}
