import Foundation
import Testing
import TidingsDevKit
import TidingsHTTP

@testable import TidingsCore
@testable import TidingsRuntime

/// The Admin GraphQL client against the loopback fake, which validates every request against the
/// official 2026-04 schema and executes it over the recorded shop's data. `.serialized`: each test
/// starts its own fake (a Python process that loads a 10 MB schema), two at once would crowd the
/// machine.
@Suite("Shopify Admin GraphQL client", .serialized)
struct ShopifyGraphQLClientTests {
    /// The client over the recorded shop's GraphQL answers (the embedded default): what the
    /// fake, executing the schema over the same data, must agree with.
    static func recordedClient() -> ShopifyGraphQLClient {
        ShopifyGraphQLClient(
            baseURL: RecordedShop.shopifyBaseURL, accessToken: Secret("recorded"),
            storefrontURL: RecordedShop.storefrontURL, coPurchases: .orderScan,
            transport: FileTransport(root: RuntimeTestSupport.root.appendingPathComponent("Events/shop/shopify").path))
    }

    /// Customers of the recorded shop with orders, consent, tags and a cancelled or refunded order among them.
    static let customers = ["6100000001", "6100000002", "6100000003", "6100000004", "6100000129"]

    @Test("Every document the client can send validates against the 2026-04 schema; a broken one does not")
    func documentsValidate() throws {
        var requests: [JSONValue] = ShopifyGraphQL.all.map { operation in
            .object(["name": .string(operation.name), "document": .string(operation.document)])
        }
        // The validator must be able to fail: a field the schema lacks, and a deprecated-free typo.
        requests.append(
            .object([
                "name": "broken", "document": "query Broken($id: ID!) { customer(id: $id) { id emailAddress } }",
            ]))
        requests.append(
            .object(["name": "broken-variable", "document": "query B($id: Int!) { customer(id: $id) { id } }"]))
        let verdicts = try Self.validate(requests)
        #expect(verdicts.count == requests.count)
        for (operation, verdict) in zip(ShopifyGraphQL.all, verdicts) {
            #expect(verdict == .array([]), "\(operation.name): \(verdict)")
        }
        #expect(verdicts.suffix(2).allSatisfy { $0 != .array([]) }, "the validator accepted a broken document")
    }

    /// The fake's `--validate` verdicts on `requests` (`name`, `document`, optional `variables`
    /// and `answer`): one problem list per request, empty when it is valid.
    static func validate(_ requests: [JSONValue]) throws -> [JSONValue] {
        let input = try JSONEncoder().encode(JSONValue.array(requests))
        let process = TestPython.process([
            ShopifyFake.script.path, "--root", RuntimeTestSupport.root.path, "--validate",
        ])
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        stdin.fileHandleForWriting.write(input)
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        guard case .array(let verdicts) = try JSONParser.parse(Array(output)) else {
            Issue.record("the validator printed no JSON array: \(String(decoding: output, as: UTF8.self))")
            return []
        }
        return verdicts
    }

    @Test(
        "Every recorded Shopify exchange is a request the client sends, valid for the schema, answered as the schema completes it"
    )
    func recordedExchangesValidate() throws {
        let exchanges = RecordedShopGenerator().shopifyGraphQLExchanges()
        var requests: [JSONValue] = []
        for exchange in exchanges {
            #expect(ShopifyGraphQL.all.contains(exchange.operation), "\(exchange.operation.name) is not the client's")
            requests.append(
                .object([
                    "name": .string(exchange.operation.name), "document": .string(exchange.operation.document),
                    "variables": .object(exchange.variables),
                    "answer": try JSONParser.parse(Array(exchange.answer.text.utf8)),
                ]))
        }
        #expect(
            Set(exchanges.map(\.operation.name)).isSuperset(of: [
                "TidingsCustomer", "TidingsCustomerOrders", "TidingsProducts", "TidingsShopOrders", "TidingsOrder",
            ]))
        // The check can fail: an enum value the schema lacks, and a non-null field left out.
        let customer = try #require(exchanges.first { $0.operation == ShopifyGraphQL.customer && !$0.isFallback })
        let wrong =
            exchange(customer, replacing: "\"SUBSCRIBED\"", with: "\"subscribed\"")
            ?? exchange(customer, replacing: "\"NOT_SUBSCRIBED\"", with: "\"subscribed\"")
        requests.append(try #require(wrong))
        requests.append(try #require(exchange(customer, replacing: "\"tags\"", with: "\"tagz\"")))
        let verdicts = try Self.validate(requests)
        #expect(verdicts.count == requests.count)
        for (exchange, verdict) in zip(exchanges, verdicts) {
            #expect(verdict == .array([]), "\(exchange.operation.name) \(exchange.variables): \(verdict)")
        }
        #expect(verdicts.suffix(2).allSatisfy { $0 != .array([]) }, "the answer check accepted a wrong answer")

        // The documents filed beside the answers are the client's, byte for byte.
        let folder = RuntimeTestSupport.root.appendingPathComponent(
            "Events/shop/shopify/admin/api/\(ShopifyGraphQLClient.defaultAPIVersion)/graphql")
        let documents = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter {
            $0.hasSuffix(".graphql")
        }
        #expect(documents.count == Set(exchanges.map(\.operation.name)).count)
        for file in documents {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            #expect(ShopifyGraphQL.all.contains { $0.name + ".graphql" == file && $0.document == text }, "\(file)")
        }
    }

    /// A request for the validator with `exchange`'s answer text changed, or nil when `old` is not in it.
    private func exchange(_ exchange: GeneratedShop.GraphQLExchange, replacing old: String, with new: String)
        -> JSONValue?
    {
        let text = exchange.answer.text
        guard text.contains(old) else { return nil }
        guard let answer = try? JSONParser.parse(Array(text.replacingOccurrences(of: old, with: new).utf8)) else {
            return nil
        }
        return .object([
            "name": .string(exchange.operation.name), "document": .string(exchange.operation.document),
            "variables": .object(exchange.variables), "answer": answer,
        ])
    }

    @Test(
        "Customers, orders and the catalog read from the fake (the schema executed, other page sizes) equal the recorded answers"
    )
    func sameRecordsAsRecording() async throws {
        try await ShopifyFake.with { fake in
            let graphQL = fake.client()
            let rest = Self.recordedClient()
            for id in Self.customers {
                let mine = try #require(try await graphQL.customer(id: id))
                let theirs = try #require(try await rest.customer(id: id))
                #expect(mine.id == theirs.id)
                #expect(mine.email == theirs.email)
                #expect(mine.firstName == theirs.firstName && mine.lastName == theirs.lastName)
                #expect(mine.consent == theirs.consent, "\(id)")
                #expect(mine.tags == theirs.tags, "\(id)")
                #expect(mine.createdAt == theirs.createdAt)
                let myOrders = try await graphQL.orders(customerID: id)
                let theirOrders = try await rest.orders(customerID: id)
                #expect(myOrders.map(\.id) == theirOrders.map(\.id), "\(id)")
                for (a, b) in zip(myOrders, theirOrders) {
                    #expect(a.total == b.total && a.createdAt == b.createdAt && a.cancelledAt == b.cancelledAt)
                    #expect(a.lines == b.lines, "order \(a.id)")
                    #expect(a.discountCodes == b.discountCodes && a.financialStatus == b.financialStatus)
                    #expect(a.customerID == b.customerID)
                }
            }
            let catalog = try await graphQL.catalog()
            let products = try await rest.catalog().products
            #expect(catalog.products.count == products.count && products.count > 30)
            for (id, product) in products { #expect(catalog.products[id] == product, "product \(id)") }
            try await fake.expectAllValid()
        }
    }

    @Test("A customer deleted between the webhook and the lookup is nil with no orders; an unknown order is nil")
    func deletedCustomer() async throws {
        try await ShopifyFake.with { fake in
            try await fake.faults(#"{"deleted": ["6100000002"]}"#)
            let client = fake.client()
            #expect(try await client.customer(id: "6100000002") == nil)
            #expect(try await client.orders(customerID: "6100000002").isEmpty)
            #expect(try await client.order(id: "999") == nil)
            try await fake.expectAllValid()
        }
    }

    @Test("A cursor that pages for ever ends in a final error after maxPages pages")
    func endlessCursor() async throws {
        try await ShopifyFake.with { fake in
            try await fake.faults(#"{"endless": true}"#)
            let client = fake.client(maxPages: 4)
            let error = try await #require(throws: PlatformError.self) {
                _ = try await client.orders(customerID: "6100000003")
            }
            #expect(!error.isRetryable)
            #expect(error.reason.contains("did not end after 4 pages"))
            #expect(try await fake.received().count == 4)
            try await fake.expectAllValid()
        }
    }

    @Test("THROTTLED (HTTP 200) is retried after the time the bucket needs to hold the requested cost")
    func throttledIsRetried() async throws {
        try await ShopifyFake.with { fake in
            try await fake.faults(#"{"script": ["throttled", "throttled"], "available": 0, "restore": 50}"#)
            let slept = SleepLog()
            let clock = FixedClock(Date(timeIntervalSince1970: 1_800_000_000))
            let client = fake.client(clock: clock, sleep: { seconds in slept.add(seconds) })
            let customer = try await client.customer(id: "6100000001")
            #expect(customer?.firstName == "Maya")
            let waits = slept.values
            #expect(waits.count == 2)
            // requestedQueryCost - currentlyAvailable over restoreRate, as the fake reported them.
            let requested = client.throttle.estimate("TidingsCustomer")
            #expect(requested > 1)
            for wait in waits { #expect(abs(wait - requested / 50) < 0.001, "\(wait)") }
            let received = try await fake.received()
            #expect(received.map(\.fault) == ["throttled", "throttled", nil])
            try await fake.expectAllValid()
        }
    }

    @Test("A throttle whose wait would pass the invocation's deadline fails retryably at once, without sleeping")
    func throttleStopsAtDeadline() async throws {
        try await ShopifyFake.with { fake in
            try await fake.faults(#"{"script": ["throttled"], "available": 0, "restore": 0.1}"#)
            let slept = SleepLog()
            let now = Date(timeIntervalSince1970: 1_800_000_000)
            let client = fake.client(
                clock: FixedClock(now), sleep: { seconds in slept.add(seconds) })
            let error = try await #require(throws: PlatformError.self) {
                try await InvocationDeadline.$current.withValue(now.addingTimeInterval(5)) {
                    _ = try await client.customer(id: "6100000001")
                }
            }
            #expect(error.isRetryable)
            #expect(error.reason.contains("deadline"))
            #expect(slept.values.isEmpty)
            #expect(try await fake.received().count == 1)
        }
    }

    @Test("Before a query the bucket cannot hold, the client waits for it to refill")
    func waitsBeforeAQueryThatWouldNotFit() {
        let throttle = ShopifyCostThrottle()
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(throttle.delay(for: 500, now: start) == 0, "nothing known: no wait")
        var cost = ShopifyGraphQLWire.Cost(
            requestedQueryCost: 300, actualQueryCost: 120,
            throttleStatus: .init(maximumAvailable: 1000, currentlyAvailable: 100, restoreRate: 50))
        throttle.observe(cost, operation: "Q", now: start)
        #expect(throttle.estimate("Q") == 300)
        #expect(throttle.estimate("Other") == ShopifyCostThrottle.firstEstimate)
        #expect(abs(throttle.delay(for: 300, now: start) - 4) < 1e-9)
        #expect(abs(throttle.delay(for: 300, now: start.addingTimeInterval(3)) - 1) < 1e-9)
        #expect(throttle.delay(for: 300, now: start.addingTimeInterval(4)) == 0)
        #expect(throttle.delay(for: 50, now: start) == 0)
        // A cost above the bucket waits for a full bucket, not for ever.
        #expect(abs(throttle.delay(for: 5000, now: start) - 18) < 1e-9)
        cost.throttleStatus = nil
        throttle.observe(cost, operation: "Q", now: start)
        #expect(throttle.status?.available == 100, "a response without a bucket keeps the last one")
    }

    @Test("5xx is retryable: one attempt fails with the status, the retrying transport gets through")
    func serverErrors() async throws {
        try await ShopifyFake.with { fake in
            try await fake.faults(#"{"script": ["502"]}"#)
            let error = try await #require(throws: PlatformError.self) {
                _ = try await fake.client().customer(id: "6100000001")
            }
            #expect(error.status == 502 && error.isRetryable)
            try await fake.faults(#"{"script": ["503", "502"]}"#)
            let retrying = RetryingTransport(fake.transport, sleep: { _ in })
            #expect(try await fake.client(transport: retrying).customer(id: "6100000001")?.firstName == "Maya")
            try await fake.expectAllValid()
        }
    }

    @Test("A request with no answer times out and is retryable")
    func timeout() async throws {
        try await ShopifyFake.with(hang: 5) { fake in
            try await fake.faults(#"{"script": ["hang"]}"#)
            let quick = CurlTransport(CurlTransport.Configuration(name: "shopify-timeout", totalTimeout: 1))
            let error = try await #require(throws: PlatformError.self) {
                _ = try await fake.client(transport: quick).customer(id: "6100000001")
            }
            #expect(error.isRetryable && error.status == nil)
        }
    }

    @Test("A wrong token is a final error naming the status; the token never appears in it")
    func wrongToken() async throws {
        try await ShopifyFake.with { fake in
            let client = ShopifyGraphQLClient(
                baseURL: fake.baseURL, accessToken: Secret("shpat_WRONG_secret_value"),
                storefrontURL: RecordedShop.storefrontURL, transport: fake.transport)
            let error = try await #require(throws: PlatformError.self) { _ = try await client.customer(id: "1") }
            #expect(error.status == 401 && !error.isRetryable)
            #expect(!"\(error)".contains("shpat_WRONG"))
        }
    }

    @Test("Access scopes come from currentAppInstallation; consent write-back sets UNSUBSCRIBED")
    func scopesAndConsent() async throws {
        try await ShopifyFake.with { fake in
            try await fake.faults(#"{"scopes": ["read_customers", "read_products"], "deleted": ["6100000004"]}"#)
            let client = fake.client()
            let scopes = try await client.accessScopes()
            #expect(scopes == ["read_customers", "read_products"])
            #expect(ShopifyShopCheck.missing(granted: scopes) == ["read_orders", "read_inventory"])
            let at = Date(timeIntervalSince1970: 1_800_000_000)
            #expect(
                try await client.updateEmailMarketingConsent(customerID: "6100000001", state: "UNSUBSCRIBED", at: at))
            #expect(
                try await !client.updateEmailMarketingConsent(customerID: "6100000004", state: "UNSUBSCRIBED", at: at))
            let writes = try await fake.consentWrites()
            #expect(
                writes.count == 1 && writes.first?.customer == "6100000001" && writes.first?.state == "UNSUBSCRIBED")
            try await fake.expectAllValid()
        }
    }
}

/// The waits a client asked for, instead of sleeping them.
final class SleepLog: @unchecked Sendable {
    private let lock = NSLock()
    private var log: [TimeInterval] = []

    /// Records one wait.
    func add(_ seconds: TimeInterval) { lock.withLock { log.append(seconds) } }

    /// Every wait, in order.
    var values: [TimeInterval] { lock.withLock { log } }
}
