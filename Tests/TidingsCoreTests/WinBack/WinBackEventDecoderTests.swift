import Foundation
import Testing

@testable import TidingsCore

@Suite struct WinBackEventDecoderTests {
    private func decode(_ json: String) throws -> LifecycleEvent {
        try EventDecoder().decode(InboundDelivery(body: Array(json.utf8)))
    }

    @Test func schedulerEventIsAScanWithItsCriteria() throws {
        let event = try decode(
            #"{"version":"0","id":"abc","detail-type":"Scheduled Event","source":"aws.scheduler","account":"1","time":"2026-11-22T06:00:00Z","detail":{"criteria":{"min_clv":55,"rate_per_second":5,"concurrency":3}}}"#
        )
        #expect(event.flow == .winBack)
        #expect(event.id == "eventbridge:abc")
        guard case .scan(let scan) = event.subject else {
            Issue.record("not a scan")
            return
        }
        #expect(scan.criteria.minimumCLV == 55)
        #expect(scan.requestsPerSecond == 5 && scan.concurrency == 3 && scan.platform == .shopify)
    }

    @Test func otherEventBridgeEnvelopesAreNotScans() {
        // Shopify's partner event source: an EventBridge envelope, but not a schedule.
        let partner =
            #"{"version":"0","id":"x","detail-type":"shopifyWebhook","source":"aws.partner/shopify.com/1/tidings","time":"2026-11-22T06:00:00Z","detail":{"payload":{}}}"#
        #expect(throws: InputError.self) { try decode(partner) }
        let wrongSource =
            #"{"version":"0","id":"x","detail-type":"Scheduled Event","source":"my.app","time":"2026-11-22T06:00:00Z"}"#
        #expect(throws: InputError.self) { try decode(wrongSource) }
    }

    @Test func lapsedCustomerCarriesItsHints() throws {
        let event = try decode(
            #"{"event":"customer.lapsed","triggered_at":"2026-11-22T09:00:00Z","payload":{"customer":{"id":42},"reason_hints":["one_time_buyer"]}}"#
        )
        guard case .lapsedCustomer(let lapsed) = event.subject else {
            Issue.record("not a lapsed customer")
            return
        }
        #expect(lapsed.customerID == "42" && lapsed.hints == [.oneTimeBuyer])
        #expect(event.id == "canonical:customer.lapsed:42:1795338000")
    }

    @Test func badScanSettingsNameTheirPath() {
        #expect(
            throws: InputError(
                .invalidField, path: "$.payload.criteria.concurrency", reason: "must be 1 to 256")
        ) {
            try decode(
                #"{"event":"schedule.win_back","triggered_at":"2026-11-22T06:00:00Z","payload":{"criteria":{"concurrency":0}}}"#
            )
        }
        #expect(
            throws: InputError(
                .invalidField, path: "$.payload.criteria.platform", reason: "'magento' is not shopify or bigcommerce")
        ) {
            try decode(
                #"{"event":"schedule.win_back","triggered_at":"2026-11-22T06:00:00Z","payload":{"criteria":{"platform":"magento"}}}"#
            )
        }
    }
}
