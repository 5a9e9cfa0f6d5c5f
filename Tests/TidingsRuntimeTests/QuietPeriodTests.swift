import Foundation
import Testing
import TidingsCore
import TidingsDevKit

@testable import TidingsRuntime

/// A quiet period counts every marketing email, whichever flow sent it.
@Suite("Quiet period across flows")
struct QuietPeriodTests {
    @Test("A customer who just got a cart email is not sent a win-back within the quiet period")
    func cartEmailSilencesWinBack() async throws {
        try await withScratch { scratch in
            let folder = scratch.appendingPathComponent("events/cartAbandoned")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let cart = folder.appendingPathComponent("cart.json")
            try Data(
                #"""
                {"event": "cart.updated", "event_id": "quiet-cart-1", "triggered_at": "2026-11-21T10:00:00Z",
                 "payload": {"cart_id": "quiet-cart-1",
                   "customer": {"id": "8100000121", "email": "quiet.customer@example.com", "first_name": "Robin",
                                "marketing_consent": "subscribed"},
                   "cart": {"currency": "USD", "abandoned_at": "2026-11-21T10:00:00Z",
                            "items": [{"product_id": "7400000024", "title": "Beacon 800 Rechargeable Headlamp",
                                       "price": "79.00", "quantity": 1}]}}}
                """#.utf8
            ).write(to: cart)
            let lapsed = RuntimeTestSupport.root.appendingPathComponent("Events/winBack/canonical-customer-lapsed.json")
            let configuration = try RuntimeTestSupport.configuration(dataDirectory: scratch)
            let replayer = Replayer(configuration: configuration, logger: RuntimeTestSupport.quietLogger)

            // Without the cart email the lapse event writes (the recorded fixture's golden outcome).
            let alone = try await withScratch { other in
                try await Replayer(
                    configuration: try RuntimeTestSupport.configuration(dataDirectory: other),
                    logger: RuntimeTestSupport.quietLogger
                ).replay([lapsed])
            }
            #expect(alone.first?.report.outcome == .sent)

            let results = try await replayer.replay([cart, lapsed])
            #expect(results.map(\.report.outcome) == [.sent, .suppressed])
            #expect(results.last?.report.reason?.hasPrefix("recently_written") == true)
        }
    }
}
