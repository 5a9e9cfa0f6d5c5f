import Foundation
import Testing
import TidingsCore
import TidingsDevKit

@testable import TidingsRuntime

/// The win-back scan's bulk export against the fake (in the serialized GraphQL client suite: one
/// fake at a time): run, poll, download and group; a FAILED operation and a deadline that comes
/// first; and a winBack scan with TIDINGS_COMMERCE=shopify end to end.
extension ShopifyGraphQLClientTests {
    @Test("The bulk export streams the same customers and orders the client reads one by one from the recording")
    func bulkScanMatchesRecording() async throws {
        try await ShopifyFake.with { fake in
            let sleeps = SleepLog()
            let client = fake.client(sleep: { seconds in sleeps.add(seconds) })
            var bulk: [CustomerHistory] = []
            try await client.forEachCustomerHistory { bulk.append($0) }
            #expect(bulk.count > 10)
            #expect(bulk.map(\.customer.id).sorted() == (try Self.recordedCustomersWithOrders()))
            let rest = Self.recordedClient()
            for history in bulk {
                let theirs = try await rest.orders(customerID: history.customer.id)
                #expect(history.orders.map(\.id) == theirs.map(\.id), "\(history.customer.id)")
                #expect(history.orders.map(\.createdAt) == theirs.map(\.createdAt))
                #expect(history.orders.map(\.total) == theirs.map(\.total))
                let customer = try #require(try await rest.customer(id: history.customer.id))
                #expect(history.customer.email == customer.email)
                #expect(history.customer.consent == customer.consent)
            }
            let names = try await fake.received().compactMap(\.operationName)
            #expect(names == ["TidingsBulkRun", "TidingsBulkPoll", "TidingsBulkPoll"])
            // One wait between the RUNNING poll and the COMPLETED one.
            #expect(sleeps.values == [ShopifyGraphQLClient.bulkPollInterval])
            // The bulk query validated against the schema, and the download carried no token.
            try await fake.expectAllValid()
        }
    }

    @Test("A FAILED bulk operation ends the scan with a final error naming its errorCode")
    func bulkFailed() async throws {
        try await ShopifyFake.with { fake in
            try await fake.faults(#"{"bulk": "FAILED", "bulk_error": "ACCESS_DENIED"}"#)
            do {
                try await fake.client().forEachCustomerHistory { _ in Issue.record("a customer from a failed export") }
                Issue.record("a FAILED bulk operation did not throw")
            } catch let error as PlatformError {
                #expect(error.reason.contains("ended FAILED (errorCode ACCESS_DENIED)"), "\(error.reason)")
                #expect(!error.isRetryable)
            }
        }
    }

    @Test("A bulk operation still running at the invocation's deadline ends retryable, without sleeping past it")
    func bulkDeadline() async throws {
        try await ShopifyFake.with { fake in
            let sleeps = SleepLog()
            // The HTTP exchanges get a real 30 s (a loaded machine took over 1.5 s for the run and the
            // first poll); the client's clock reads 29 s later, so its first wait between polls
            // (1 s, plus a query's second) is the one that would pass the deadline.
            let client = fake.client(clock: AheadClock(seconds: 29), sleep: { seconds in sleeps.add(seconds) })
            do {
                try await InvocationDeadline.$current.withValue(Date().addingTimeInterval(30)) {
                    try await client.forEachCustomerHistory { _ in }
                }
                Issue.record("the scan outlived the deadline")
            } catch let error as PlatformError {
                #expect(error.reason.contains("still RUNNING at the invocation's deadline"), "\(error.reason)")
                #expect(error.isRetryable)
            }
            #expect(sleeps.values.isEmpty)
        }
    }

    @Test(
        "A winBack scan with TIDINGS_COMMERCE=shopify streams the shop through a bulk export instead of scan_unsupported"
    )
    func winBackScanOverShopify() async throws {
        try await ShopifyFake.with { fake in
            try await withScratch { scratch in
                let report = try await Self.scan(over: fake, in: scratch)
                #expect(report.outcome != .failed, "\(report.reason ?? "")")
                let withOrders = try Self.recordedCustomersWithOrders().count
                #expect(report.reason?.hasPrefix("scanned \(withOrders),") == true, "\(report.reason ?? "")")
                let received = try await fake.received()
                #expect(received.compactMap(\.operationName).contains("TidingsBulkRun"))
                // The bulk orders have no lines: each written customer was read again, lines
                // included, and their child event's churn reason decided on that.
                let audit = try ReplayGoldenTests.auditLines(scratch).map {
                    try JSONParser.parse($0).objectValue ?? [:]
                }
                let childSelects = audit.filter {
                    $0["event_id"]?.stringValue?.hasPrefix(report.eventID + "/customer/") == true
                        && $0["stage"] == "select"
                }
                #expect(!childSelects.isEmpty, "the scan selected nobody: \(report.reason ?? "")")
                let reread = Set(
                    received.filter { $0.operationName == "TidingsCustomerOrders" }.compactMap {
                        $0.variables.objectValue?["id"]?.stringValue.map(ShopifyGraphQL.legacyID)
                    })
                for record in childSelects {
                    let facts = record["facts"]?.objectValue ?? [:]
                    let id = try #require(facts["customer_id"]?.stringValue)
                    #expect(reread.contains(id), "customer \(id) was written without reading their orders again")
                    #expect(facts["history"]?.stringValue == "read again with order lines")
                    #expect(facts["churn_reason"]?.stringValue != nil)
                }
                try await fake.expectAllValid()
            }
        }
    }

    @Test("A customer deleted between the bulk export and the second read is not written to: no_recipient")
    func customerDeletedAfterTheExport() async throws {
        try await ShopifyFake.with { fake in
            try await withScratch { scratch in
                // The bulk listing still has them; customer(id:) answers null, as for a deleted customer.
                let ids = try Self.recordedCustomersWithOrders().map { "\"\($0)\"" }.joined(separator: ", ")
                try await fake.faults(#"{"deleted": [\#(ids)]}"#)
                let report = try await Self.scan(over: fake, in: scratch)
                let audit = try ReplayGoldenTests.auditLines(scratch).map {
                    try JSONParser.parse($0).objectValue ?? [:]
                }
                let terminals = audit.filter {
                    $0["event_id"]?.stringValue?.hasPrefix(report.eventID + "/customer/") == true
                        && $0["outcome"] != nil
                }
                #expect(!terminals.isEmpty, "the scan selected nobody: \(report.reason ?? "")")
                for record in terminals {
                    #expect(record["outcome"] == "suppressed", "\(record)")
                    let reason = record["facts"]?.objectValue?["reason"]?.stringValue ?? ""
                    #expect(reason.hasPrefix("no_recipient: the platform has no customer"), "\(reason)")
                }
                #expect(report.outcome == .suppressed, "\(report.reason ?? "")")
                let outbox = scratch.appendingPathComponent("outbox").path
                let emails = (FileManager.default.enumerator(atPath: outbox)?.allObjects as? [String] ?? [])
                #expect(emails.filter { $0.hasSuffix(".eml") }.isEmpty, "\(emails)")
            }
        }
    }

    /// Replays a winBack scan with TIDINGS_COMMERCE=shopify against the fake at 2026-11-23T07:00:00Z.
    static func scan(over fake: ShopifyFake, in scratch: URL) async throws -> OutcomeReport {
        let event = scratch.appendingPathComponent("scan.json")
        try RuntimeTestSupport.winBackScanEvent(platform: "shopify").write(to: event)
        let results = try await Replayer(
            configuration: try fake.configuration(dataDirectory: scratch), logger: RuntimeTestSupport.quietLogger
        )
        .replay([event], now: Date(timeIntervalSince1970: 1_795_417_200), function: .winBack)
        return try #require(results.first?.report)
    }

    /// Ids of the recorded Shopify customers with at least one order, sorted.
    static func recordedCustomersWithOrders() throws -> [String] {
        let folder = RuntimeTestSupport.root.appendingPathComponent(
            "Events/shop/shopify/admin/api/\(ShopifyGraphQLClient.defaultAPIVersion)/graphql")
        var ids: [String] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path)
        where name.hasPrefix("TidingsCustomerOrders__") && !name.contains("after=") {
            let data = try Data(contentsOf: folder.appendingPathComponent(name))
            let customer = try JSONParser.parse(Array(data)).objectValue?["data"]?.objectValue?["customer"]?.objectValue
            guard case .array(let orders)? = customer?["orders"]?.objectValue?["nodes"], !orders.isEmpty,
                let id = customer?["id"]?.stringValue
            else { continue }
            ids.append(ShopifyGraphQL.legacyID(id))
        }
        return ids.sorted()
    }
}

/// The wall clock, read `seconds` ahead: a deadline looks near to the client while the transport,
/// which reads the real time, still has all of it.
private struct AheadClock: TimeSource {
    var seconds: TimeInterval
    var now: Date { Date().addingTimeInterval(seconds) }
}
