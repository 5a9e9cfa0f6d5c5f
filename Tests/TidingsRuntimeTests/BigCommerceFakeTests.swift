import Foundation
import Testing
import TidingsCore
import TidingsDevKit
import TidingsHTTP

@testable import TidingsRuntime

/// The loopback BigCommerce fake (Tests/Fixtures/fakes/bigcommerce-fake.py), scoped: started on
/// a free port over the recorded shop's BigCommerce data, handed to `body`, killed afterwards. It
/// checks every request's path, query and headers against the OpenAPI files in
/// Tests/Fixtures/specs/bigcommerce and answers faults on demand.
struct BigCommerceFake {
    /// The fake's port on 127.0.0.1.
    let port: Int
    /// `http://127.0.0.1:PORT`, the value for `BIGCOMMERCE_BASE_URL`.
    var url: String { "http://127.0.0.1:\(port)" }
    /// The token the fake accepts.
    static let token = "bc_fake_token"
    static let script = RuntimeTestSupport.root.appendingPathComponent("Tests/Fixtures/fakes/bigcommerce-fake.py")

    /// A new transport per call, so no connection cached for an earlier fake on a reused port is tried.
    static var transport: CurlTransport { CurlTransport(CurlTransport.Configuration(name: "bigcommerce-fake")) }

    /// Every request the fake received, in order.
    func requests() async throws -> [[String: JSONValue]] {
        let response = try await Self.transport.send(TransportRequest(method: "GET", url: url + "/_requests"))
        guard case .array(let items) = try JSONParser.parse(response.body) else { return [] }
        return items.compactMap(\.objectValue)
    }

    /// The problems the fake found, one line per bad request; [] when every request was valid.
    func problems() async throws -> [String] {
        try await requests().compactMap { request in
            guard case .array(let problems)? = request["problems"], !problems.isEmpty else { return nil }
            return
                "\(request["path"]?.stringValue ?? ""): \(problems.compactMap(\.stringValue).joined(separator: "; "))"
        }
    }

    /// Sets the faults (see the fake's docstring).
    func faults(_ json: String) async throws {
        let response = try await Self.transport.send(
            TransportRequest(method: "POST", url: url + "/_faults", body: Array(json.utf8)))
        #expect(response.status == 200)
    }

    /// Starts the fake (a 429 resets after `resetMs`, a hang lasts `hang` s), runs `body`, stops it.
    static func with<Result>(
        resetMs: Int = 200, hang: Int = 30, _ body: (BigCommerceFake) async throws -> Result
    ) async throws -> Result {
        try await TestPython.withServer(
            "the BigCommerce fake",
            [script.path, "--token", token, "--reset-ms", "\(resetMs)", "--hang", "\(hang)"]
        ) { port in
            try await body(BigCommerceFake(port: port))
        }
    }

    /// The environment of a handler reading this fake as a live store.
    func environment(data: URL, _ extra: [String: String] = [:]) -> [String: String] {
        [
            "TIDINGS_DATA_DIR": data.path,
            "TIDINGS_SHOP_DIR": RuntimeTestSupport.root.appendingPathComponent("Events/shop").path,
            "TIDINGS_LOG_LEVEL": "critical",
            "TIDINGS_COMMERCE": "bigcommerce", "BIGCOMMERCE_STORE_HASH": RecordedShop.bigCommerceStoreHash,
            "BIGCOMMERCE_ACCESS_TOKEN": Self.token, "BIGCOMMERCE_BASE_URL": url,
            "BIGCOMMERCE_CO_PURCHASES_FILE": RuntimeTestSupport.root.appendingPathComponent(
                "Events/shop/" + RecordedShop.coPurchasesFile(.bigcommerce)
            ).path,
        ].merging(RuntimeTestSupport.webhookSecrets) { $1 }.merging(extra) { $1 }
    }

    /// The production client over libcurl, as a handler builds it.
    func client(data: URL, _ extra: [String: String] = [:]) throws -> BigCommerceClient {
        let configuration = try Configuration.load(
            environment: environment(data: data, extra), workingDirectory: RuntimeTestSupport.root)
        return FunctionEnvironment.bigCommerceClient(
            try #require(configuration.commerce.bigCommerce), configuration: configuration)
    }
}

/// `TIDINGS_COMMERCE=bigcommerce`: the production client over libcurl against the fake, which
/// refuses any request the specs do not describe; the same model values as the recorded shop,
/// faults, the scan, `shop check` and a replay of the BigCommerce events end to end.
// Serialized: each test starts its own fake (a Python process parsing the specs); one at a time
// keeps the suite from crowding the timing-sensitive suites that run beside it.
@Suite("BigCommerce against the fake", .serialized)
struct BigCommerceFakeTests {
    @Test("The live client reads what the recorded client reads, and every request fits the specs")
    func sameAnswersAsTheRecordedShop() async throws {
        try await BigCommerceFake.with { fake in
            try await withScratch { scratch in
                let live = try fake.client(data: scratch)
                let recorded = RecordedShop.clients(
                    root: RuntimeTestSupport.root.appendingPathComponent("Events/shop"),
                    storefrontURL: Brand.northwind.storefrontURL, readStoredIndex: true)[.bigcommerce]!
                // The model types are not Equatable; their descriptions show every field.
                func same<T>(_ a: T, _ b: T) -> Bool { String(describing: a) == String(describing: b) }
                for id in ["11", "12"] {
                    let customer = try await live.customer(id: id)
                    let recordedCustomer = try await recorded.customer(id: id)
                    #expect(customer != nil && same(customer, recordedCustomer))
                    let orders = try await live.orders(customerID: id)
                    let recordedOrders = try await recorded.orders(customerID: id)
                    #expect(!orders.isEmpty && same(orders, recordedOrders))
                }
                #expect(try await live.customer(id: "99999") == nil)
                let cartID = "5f1c0d7e-2a4b-4c1e-9b1a-7d3e2f4a6b01"
                let cart = try #require(try await live.cart(id: cartID))
                let recordedCart = try #require(try await recorded.cart(id: cartID))
                #expect(same(cart.cart, recordedCart.cart) && cart.customerID == recordedCart.customerID)
                let order = try await live.order(id: "219")
                let recordedOrder = try await recorded.order(id: "219")
                #expect(order != nil && same(order, recordedOrder))
                let catalog = try await live.catalog()
                let recordedCatalog = try await recorded.catalog()
                #expect(catalog.products.count == 36 && catalog.products == recordedCatalog.products)
                #expect(catalog.coPurchases == recordedCatalog.coPurchases)
                #expect(try await fake.problems() == [])
                let requests = try await fake.requests()
                #expect(requests.count >= 8)
                for request in requests {
                    #expect(request["token_matched"] == .bool(true) && request["accept"] == "application/json")
                }
            }
        }
    }

    @Test("5xx, 429 with and without the rate-limit headers and an empty window are waited out")
    func faultsAreRetried() async throws {
        try await BigCommerceFake.with(resetMs: 300) { fake in
            try await withScratch { scratch in
                let client = try fake.client(data: scratch)
                try await fake.faults(#"{"script": {"customers": ["500", "503", "429"]}}"#)
                let started = Date()
                #expect(try await client.customer(id: "11")?.firstName == "Ava")
                // The 429 named a 300 ms reset, which was waited.
                #expect(Date().timeIntervalSince(started) >= 0.3)
                try await fake.faults(#"{"script": {"orders": ["429-bare", "429-bare"]}}"#)
                #expect(try await client.orders(customerID: "12").count == 1)
                // A window of 3 requests: the client waits for each reset instead of failing.
                try await fake.faults(#"{"quota": 3}"#)
                #expect(try await client.orders(customerID: "11").count == 3)
                let requests = try await fake.requests()
                let faults = requests.compactMap { $0["fault"]?.stringValue }
                #expect(faults.prefix(4) == ["500", "503", "429", "clean"])
                #expect(faults.filter { $0 == "429-bare" }.count == 2)
                // Past the quota only what the window allowed went through: no request was refused.
                #expect(requests.suffix(4).allSatisfy { $0["fault"] == "clean" })
                #expect(try await fake.problems() == [])

                // Faults that outlast the retries end in a retryable PlatformError.
                try await fake.faults(#"{"script": {"customers": ["500", "500", "500", "500"]}}"#)
                let error = await #expect(throws: PlatformError.self) { try await client.customer(id: "11") }
                #expect(error?.status == 500 && error?.isRetryable == true)
            }
        }
    }

    @Test("A customers listing that pages for ever stops at the bound with a final error")
    func endlessPages() async throws {
        try await BigCommerceFake.with { fake in
            try await withScratch { scratch in
                var client = try fake.client(data: scratch)
                client.maxPages = 3
                try await fake.faults(#"{"endless": true}"#)
                var handed = 0
                let error = await #expect(throws: PlatformError.self) {
                    try await client.forEachCustomerHistory { _ in handed += 1 }
                }
                #expect(error?.reason == "the listing did not end after 3 pages" && error?.isRetryable == false)
                #expect(handed == 3 * 74)
                let pages = try await fake.requests().filter { $0["route"] == "customers" }
                // The first page without a cursor, each next one after the cursor the last one ended on.
                let cursors = pages.map { $0["query"]?.objectValue?["after"]?.stringValue }
                #expect(
                    cursors.count == 3 && cursors[0] == nil && Set(cursors.dropFirst().compactMap { $0 }).count == 2)
                #expect(try await fake.problems() == [])
            }
        }
    }

    @Test("A timeout is retryable, within the deadline")
    func timeouts() async throws {
        try await BigCommerceFake.with(hang: 10) { fake in
            try await withScratch { scratch in
                let client = try fake.client(data: scratch, ["BIGCOMMERCE_TIMEOUT_SECONDS": "1"])
                try await fake.faults(#"{"script": {"customers": ["hang"]}}"#)
                #expect(try await client.customer(id: "12")?.firstName == "Noah")
                try await fake.faults(#"{"script": {"customers": ["hang", "hang", "hang", "hang"]}}"#)
                let started = Date()
                let error = await InvocationDeadline.$current.withValue(Date().addingTimeInterval(2.5)) {
                    await #expect(throws: PlatformError.self) { try await client.customer(id: "12") }
                }
                #expect(error?.isRetryable == true && error?.status == nil)
                // The deadline, not the retry count, ended it: fewer than the 4 attempts the policy
                // allows reached the fake, and nobody waited out a 10 s hang (no timed bound
                // tighter than that: the suite runs on a loaded machine).
                let hangs = try await fake.requests().filter { $0["fault"] == "hang" }.count
                #expect(hangs >= 2 && hangs <= 4, "\(hangs)")
                #expect(Date().timeIntervalSince(started) < 10)
            }
        }
    }

    @Test("A customer deleted between webhook and lookup ends in one clear terminal outcome")
    func deletedCustomer() async throws {
        let event = RuntimeTestSupport.cartEvents.appendingPathComponent("bigcommerce-cart-abandoned.json")
        for faults in [#"{"deleted_customers": ["11"]}"#, #"{"script": {"customers": ["404"]}}"#] {
            try await BigCommerceFake.with { fake in
                try await withScratch { scratch in
                    try await fake.faults(faults)
                    let environment = fake.environment(data: scratch, ["TIDINGS_NOW": "2026-11-21T16:00:00Z"])
                    let handler = try FunctionEnvironment.handler(
                        function: .cartAbandoned, environment: environment, logger: RuntimeTestSupport.quietLogger)
                    let answer = await handler.handle(
                        Array(try Data(contentsOf: event)), deadline: nil, correlationID: "bc-deleted",
                        logger: RuntimeTestSupport.quietLogger)
                    let report = try #require(answer.reports.first)
                    #expect(report.outcome == .suppressed, "\(faults): \(report.outcome) \(report.reason ?? "")")
                    // The store no longer has the customer: a reason of its own, not a consent
                    // question, and final (retrying cannot bring the customer back).
                    #expect(
                        report.reason
                            == "customer_deleted: bigcommerce has no customer 11 (deleted after the webhook was sent); nothing to write to",
                        "\(report.reason ?? "")")
                    #expect(report.retryable != true)
                    #expect(report.messages == nil || report.messages?.isEmpty == true)
                    let lines = try ReplayGoldenTests.auditLines(scratch).map {
                        try JSONParser.parse($0).objectValue ?? [:]
                    }
                    #expect(lines.filter { $0["outcome"] != nil }.count == 1)
                    #expect(try await fake.problems() == [])
                }
            }
        }
    }

    @Test("The win-back scan streams the BigCommerce customer base page by page")
    func scan() async throws {
        try await BigCommerceFake.with { fake in
            try await withScratch { scratch in
                let environment = fake.environment(data: scratch, ["TIDINGS_NOW": "2026-11-23T07:00:00Z"])
                let handler = try FunctionEnvironment.handler(
                    function: .winBack, environment: environment, logger: RuntimeTestSupport.quietLogger)
                let answer = await handler.handle(
                    Array(RuntimeTestSupport.winBackScanEvent(platform: "bigcommerce")), deadline: nil,
                    correlationID: "bc-scan",
                    logger: RuntimeTestSupport.quietLogger)
                let report = try #require(answer.reports.first)
                #expect(report.outcome != .failed, "\(report.reason ?? "")")
                let customersWithOrders = try Self.recordedCustomersWithOrders()
                #expect(report.reason?.hasPrefix("scanned \(customersWithOrders),") == true, "\(report.reason ?? "")")
                let requests = try await fake.requests()
                let pages = requests.filter { $0["route"] == "customers" && $0["query"]?.objectValue?["id:in"] == nil }
                // Two passes over the base (the lifetime model's fit on a sample, then the selection),
                // each one page of customers and one orders listing per customer: nothing read twice
                // within a pass, nothing held between pages.
                #expect(pages.count == 2)
                #expect(requests.filter { $0["route"] == "orders" }.count == 2 * customersWithOrders)
                for page in pages {
                    #expect(page["query"]?.objectValue == ["limit": "250"])
                }
                #expect(try await fake.problems() == [])
            }
        }
    }

    @Test(
        "The scan walks the customers with the after cursor: every customer once, in id order, each cursor the fake issued"
    )
    func scanPagesWithCursor() async throws {
        try await BigCommerceFake.with { fake in
            try await withScratch { scratch in
                var client = try fake.client(data: scratch)
                client.scanPageSize = 10
                var handed: [String] = []
                try await client.forEachCustomerHistory { handed.append($0.customer.id) }
                let withOrders = try Self.recordedCustomersWithOrders()
                #expect(handed.count == withOrders && Set(handed).count == handed.count)
                #expect(handed == handed.sorted { ($0.count, $0) < ($1.count, $1) })
                let pages = try await fake.requests().filter {
                    $0["route"] == "customers" && $0["query"]?.objectValue?["id:in"] == nil
                }
                let cursors = pages.map { $0["query"]?.objectValue?["after"]?.stringValue }
                // 74 customers at 10 a page: 8 pages, the first without a cursor, no page number anywhere.
                #expect(pages.count == 8 && cursors.first == .some(nil) && cursors.dropFirst().allSatisfy { $0 != nil })
                #expect(pages.allSatisfy { $0["query"]?.objectValue?["page"] == nil })
                #expect(try await fake.problems() == [])
            }
        }
    }

    /// Customers of the recorded BigCommerce shop that have an order.
    static func recordedCustomersWithOrders() throws -> Int {
        let folder = RuntimeTestSupport.root.appendingPathComponent("Events/shop/bigcommerce/stores/nw4x7k2q/v2")
        var count = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path)
        where name.hasPrefix("orders__customer_id=") {
            let data = try Data(contentsOf: folder.appendingPathComponent(name))
            if case .array(let orders) = try JSONParser.parse(Array(data)), !orders.isEmpty { count += 1 }
        }
        return count
    }

    @Test("shop check names each missing BigCommerce scope")
    func shopCheck() async throws {
        try await BigCommerceFake.with { fake in
            try await withScratch { scratch in
                let client = try fake.client(data: scratch)
                let allowed = await client.checkAccess()
                #expect(allowed.map(\.status) == Array(repeating: .readable, count: 4))
                try await fake.faults(#"{"deny_scopes": ["store_v2_orders_read_only", "store_cart_read_only"]}"#)
                let denied = await client.checkAccess()
                #expect(
                    denied.filter { $0.status == .missingScope }.map(\.scope) == [
                        "store_v2_orders_read_only", "store_cart_read_only",
                    ])
                #expect(
                    denied.filter { $0.status == .readable }.map(\.resource) == ["customers", "products and inventory"])
                #expect(try await fake.problems() == [])
            }
        }
    }

    @Test("Replay of the BigCommerce events with TIDINGS_COMMERCE=bigcommerce matches the recorded shop's goldens")
    func replayEndToEnd() async throws {
        let events = RuntimeTestSupport.root.appendingPathComponent("Events")
        var files: [URL] = []
        for folder in ["cartAbandoned", "cartAbandoned/envelopes", "orderCreated", "orderCancelled"] {
            for name in try FileManager.default.contentsOfDirectory(atPath: events.appendingPathComponent(folder).path)
            where name.contains("bigcommerce") && name.hasSuffix(".json") {
                files.append(events.appendingPathComponent(folder).appendingPathComponent(name))
            }
        }
        files.sort { $0.path < $1.path }
        #expect(files.count >= 7)
        var goldens: [String: ReplayGoldenTests.Golden] = [:]
        for name in ["golden-cartAbandoned.json", "golden-orders.json"] {
            let file = RuntimeTestSupport.root.appendingPathComponent("Tests/Fixtures/\(name)")
            goldens.merge(
                try JSONDecoder().decode([String: ReplayGoldenTests.Golden].self, from: Data(contentsOf: file))
            ) { $1 }
        }
        try await BigCommerceFake.with { fake in
            try await withScratch { scratch in
                let configuration = try Configuration.load(
                    environment: fake.environment(data: scratch), workingDirectory: RuntimeTestSupport.root)
                let results = try await Replayer(configuration: configuration, logger: RuntimeTestSupport.quietLogger)
                    .replay(files)
                #expect(results.count == files.count)
                for result in results {
                    var name = result.file.path.replacingOccurrences(of: events.path + "/", with: "")
                    if name.hasPrefix("cartAbandoned/") { name.removeFirst("cartAbandoned/".count) }
                    name += result.part.map { "#\($0)" } ?? ""
                    let golden = try #require(goldens[name], "no golden entry for \(name)")
                    let report = result.report
                    #expect(report.outcome.rawValue == golden.outcome, "\(name): \(report.reason ?? "")")
                    #expect(report.reason.map { String($0.prefix { $0 != ":" }) } == golden.reason, "\(name)")
                    #expect(report.subject == golden.subject, "\(name)")
                    #expect(report.messages?.count == golden.messages, "\(name)")
                }
                let lines = try ReplayGoldenTests.auditLines(scratch).map {
                    try JSONParser.parse($0).objectValue ?? [:]
                }
                #expect(lines.filter { $0["outcome"] != nil }.count == files.count)
                #expect(try await fake.problems() == [])
                #expect(try await fake.requests().count > files.count)
            }
        }
    }
}

extension BigCommerceFakeTests {
    @Test("The fake's validator accepts the client's requests and refuses what the specs do not allow (--self-check)")
    func fakeRefusesWrongRequests() async throws {
        await TestPython.prepare()
        let process = TestPython.process([BigCommerceFake.script.path, "--self-check"])
        let output = Pipe()
        process.standardOutput = output
        process.standardError = Pipe()
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.contains("ok   unknown parameter: query parameter customer_id is not declared"), "\(text)")
        #expect(text.contains("ok   bad sort: parameter sort: 'id:asc' is not one of"), "\(text)")
        #expect(text.contains("ok   no token: header X-Auth-Token"), "\(text)")
        #expect(!text.contains("WRONG"), "\(text)")
    }
}
