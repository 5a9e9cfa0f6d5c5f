import Foundation
import Testing
import TidingsHTTP

@testable import TidingsCore
@testable import TidingsRuntime

/// The loopback Shopify Admin GraphQL fake (Tests/Fixtures/fakes/shopify-graphql-fake.py), scoped:
/// started on a free port, handed to `body`, killed afterwards. It validates every request
/// against the 2026-04 schema and executes it over the recorded shop's data.
struct ShopifyFake {
    /// The fake's port on 127.0.0.1.
    let port: Int
    /// The production transport (libcurl, no retries), one per fake.
    let transport: CurlTransport

    /// The token the fake accepts.
    static let token = "shpat_tidings_test"
    static let script = RuntimeTestSupport.root.appendingPathComponent("Tests/Fixtures/fakes/shopify-graphql-fake.py")

    /// `http://127.0.0.1:PORT`: SHOPIFY_BASE_URL.
    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// One request as the fake recorded it.
    struct Received {
        var operationName: String?
        var variables: JSONValue
        var problems: [String]
        var fault: String?
    }

    /// The settings of a run against the fake: TIDINGS_COMMERCE=shopify with its shop, token and
    /// base URL, and the test webhook secrets.
    func configuration(dataDirectory: URL) throws -> Configuration {
        try RuntimeTestSupport.configuration(
            dataDirectory: dataDirectory,
            extra: RuntimeTestSupport.webhookSecrets.merging([
                "TIDINGS_COMMERCE": "shopify", "SHOPIFY_SHOP": "northwind-outfitters",
                "SHOPIFY_ADMIN_TOKEN": Self.token, "SHOPIFY_BASE_URL": baseURL,
            ]) { _, new in new })
    }

    /// A client of the fake over `transport` (default the plain libcurl one), with a recording sleep.
    func client(
        transport: (any HTTPTransport)? = nil, maxPages: Int = 200, clock: any TimeSource = SystemClock(),
        sleep: @escaping @Sendable (TimeInterval) async throws -> Void = { _ in }
    ) -> ShopifyGraphQLClient {
        ShopifyGraphQLClient(
            baseURL: baseURL, accessToken: Secret(Self.token), storefrontURL: RecordedShop.storefrontURL,
            coPurchases: nil, maxPages: maxPages, transport: transport ?? self.transport, clock: clock, sleep: sleep)
    }

    /// Sets the fake's faults (`POST /_faults`), e.g. `{"script": ["throttled"]}`.
    func faults(_ json: String) async throws {
        let response = try await transport.send(
            TransportRequest(method: "POST", url: baseURL + "/_faults", body: Array(json.utf8)))
        #expect(response.status == 200)
    }

    /// Everything the fake received, in order.
    func received() async throws -> [Received] {
        let response = try await transport.send(TransportRequest(method: "GET", url: baseURL + "/_requests"))
        guard case .array(let records) = try JSONParser.parse(response.body) else { return [] }
        return records.map { record in
            let members = record.objectValue ?? [:]
            var problems: [String] = []
            if case .array(let list)? = members["problems"] { problems = list.compactMap(\.stringValue) }
            return Received(
                operationName: members["operationName"]?.stringValue, variables: members["variables"] ?? .null,
                problems: problems, fault: members["fault"]?.stringValue)
        }
    }

    /// The consent writes the fake applied: customer id and marketing state, in order.
    func consentWrites() async throws -> [(customer: String, state: String)] {
        let response = try await transport.send(TransportRequest(method: "GET", url: baseURL + "/_consent"))
        guard case .array(let records) = try JSONParser.parse(response.body) else { return [] }
        return records.map {
            ($0.objectValue?["customer"]?.stringValue ?? "", $0.objectValue?["marketingState"]?.stringValue ?? "")
        }
    }

    /// Expects that every request so far validated against the schema and executed cleanly.
    func expectAllValid(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let received = try await received()
        #expect(!received.isEmpty, sourceLocation: sourceLocation)
        for request in received {
            #expect(
                request.problems.isEmpty, "\(request.operationName ?? "?"): \(request.problems)",
                sourceLocation: sourceLocation)
        }
    }

    /// Starts the fake (`--hang` seconds for the hang fault), runs `body`, stops the fake.
    static func with<Result>(hang: Int = 30, _ body: (ShopifyFake) async throws -> Result) async throws -> Result {
        try await TestPython.withServer(
            "the Shopify GraphQL fake",
            [script.path, "--root", RuntimeTestSupport.root.path, "--hang", "\(hang)"], explain: missingModule
        ) { port in
            try await body(
                ShopifyFake(port: port, transport: CurlTransport(CurlTransport.Configuration(name: "shopify-fake"))))
        }
    }

    /// What to do when the interpreter lacks graphql-core, or nil for another failure.
    static func missingModule(_ stderr: String) -> String? {
        guard stderr.contains("No module named 'graphql'") else { return nil }
        return "python3 has no graphql module. Install it with `python3 -m pip install graphql-core`; "
            + "the tests make a venv under .build/test-python with it when python3 lacks it (TestPython)."
    }
}
