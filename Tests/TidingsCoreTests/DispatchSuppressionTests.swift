import Foundation
import Testing
import TidingsDevKit

@testable import TidingsCore

@Suite("OutboxDispatcher and the suppression list")
struct DispatchSuppressionTests {
    static let start = RenderFixtures.now
    static let customer = "gid://shopify/Customer/42"

    /// An order's series as the handler plans it: the transactional thank-you now, marketing
    /// recommendations five days later, a transactional delivery note six days later.
    static func queue(_ outbox: OutboxEmailService) async throws {
        for (step, days, transactional) in [
            ("thank_you", 0.0, true), ("recommendations", 5, false), ("delivery_note", 6, true),
        ] {
            var request = RenderFixtures.request()
            request.step = step
            request.seriesKey = "order:shopify:1001"
            request.eventID = "order:shopify:1001"
            request.isTransactional = transactional
            request.sendAt = start.addingTimeInterval(days * 86_400)
            _ = try await outbox.deliver(try RenderFixtures.render(request))
        }
    }

    static func run(
        _ folder: URL, _ service: CountingEmailService, _ list: any SuppressionList, audit: InMemoryAuditLog,
        days: Double
    ) async throws -> DispatchSummary {
        try await OutboxDispatcher(
            directory: folder, service: service, audit: audit,
            clock: FixedClock(start.addingTimeInterval(days * 86_400)),
            owner: "test", suppression: list
        ).run(correlationID: "run-\(days)")
    }

    @Test("the renderer marks each message marketing or transactional in X-Tidings-Category")
    func categoryHeader() throws {
        var request = RenderFixtures.request()
        #expect(try RenderFixtures.render(request).extraHeaders.contains(.init("X-Tidings-Category", "marketing")))
        request.isTransactional = true
        let raw = MIMEMessage.serialize(try RenderFixtures.render(request))
        #expect(String(decoding: raw, as: UTF8.self).contains("\r\nX-Tidings-Category: transactional\r\n"))
    }

    @Test("a customer who unsubscribes after planning gets no marketing step; transactional steps still go")
    func unsubscribedAfterPlanning() async throws {
        try await RenderFixtures.withTemporaryDirectory { folder in
            let outbox = OutboxEmailService(directory: folder)
            try await Self.queue(outbox)
            let list = JSONLSuppressionList(directory: folder.appendingPathComponent("suppression-list"))
            let service = CountingEmailService()
            let audit = InMemoryAuditLog()
            let first = try await Self.run(folder, service, list, audit: audit, days: 0)
            #expect(first.results.map(\.state) == [.sent])
            // Day 2: the customer presses the one-click link.
            try list.add(
                SuppressionEntry(
                    customerID: Self.customer, addressHash: nil, reason: .unsubscribe, source: "one_click",
                    time: Self.start.addingTimeInterval(2 * 86_400)))
            let second = try await Self.run(folder, service, list, audit: audit, days: 5)
            #expect(second.results.map(\.state) == [.suppressed])
            #expect(second.results.first?.step == "recommendations")
            #expect(second.results.first?.reason?.hasPrefix("suppressed: unsubscribe from one_click at ") == true)
            let third = try await Self.run(folder, service, list, audit: audit, days: 6)
            #expect(third.results.map(\.state) == [.sent])
            #expect(third.results.first?.step == "delivery_note")
            #expect(service.sent.count == 2)

            let suppressed = folder.appendingPathComponent("suppressed")
            let files = OutboxDispatcherTests.emls(suppressed)
            #expect(files.count == 1)
            let name = try #require(files.first)
            let reason = try String(contentsOf: suppressed.appendingPathComponent(name + ".reason"), encoding: .utf8)
            #expect(reason.contains("unsubscribe"))
            let record = try #require(audit.entries.first { $0.facts["step"]?.stringValue == "recommendations" })
            #expect(record.outcome == .suppressed && record.facts["result"]?.stringValue == "suppressed")
            #expect(record.facts["to"] == nil && record.facts["customer_id"] == nil)
        }
    }

    @Test("an address that bounced (by hash, no customer id) stops a marketing step too")
    func bouncedAddress() async throws {
        try await RenderFixtures.withTemporaryDirectory { folder in
            try await Self.queue(OutboxEmailService(directory: folder))
            let list = JSONLSuppressionList(directory: folder.appendingPathComponent("suppression-list"))
            try list.add(
                SuppressionEntry(
                    customerID: nil, addressHash: SuppressionKeys.addressHash(" Juergen@Example.com"),
                    reason: .hardBounce, source: "ses_sns", time: Self.start))
            let service = CountingEmailService()
            let summary = try await Self.run(folder, service, list, audit: InMemoryAuditLog(), days: 6)
            #expect(summary.results.map(\.state) == [.sent, .suppressed, .sent])
            #expect(summary.results[1].reason?.contains("hard_bounce from ses_sns") == true)
        }
    }

    @Test("an unreadable suppression list hands a marketing step back to the outbox rather than sending it")
    func unreadableList() async throws {
        struct BrokenList: SuppressionList {
            func add(_ entry: SuppressionEntry) throws(SuppressionError) {}
            func entry(customerID: String?, address: String?) throws(SuppressionError) -> SuppressionEntry? {
                throw SuppressionError(.unreadable, path: "/nowhere", reason: "EIO")
            }
        }
        try await RenderFixtures.withTemporaryDirectory { folder in
            try await Self.queue(OutboxEmailService(directory: folder))
            let service = CountingEmailService()
            let summary = try await Self.run(folder, service, BrokenList(), audit: InMemoryAuditLog(), days: 5)
            #expect(summary.results.map(\.state) == [.sent, .retry])
            #expect(OutboxDispatcherTests.emls(folder).count == 2, "the marketing step is back, with the later note")
        }
    }

    @Test("the customer comes from the List-Unsubscribe https URL's c parameter, percent-decoded")
    func customerFromHeader() {
        let value = "<https://shop.example/u?c=gid%3A%2F%2Fshopify%2FCustomer%2F42&t=abc>, <mailto:u@shop.example>"
        #expect(OutboxMessage.unsubscribeCustomer(value) == "gid://shopify/Customer/42")
        #expect(OutboxMessage.unsubscribeCustomer("<mailto:u@shop.example?c=1>") == nil)
    }
}
