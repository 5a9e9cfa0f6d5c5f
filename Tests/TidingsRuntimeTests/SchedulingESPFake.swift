import Foundation
import Testing
import TidingsCore
import TidingsHTTP

/// The loopback fake of Mandrill or Braze (`Tests/Fixtures/fakes/scheduling-esp-fake.py`), scoped:
/// started on a free port, handed to `body`, killed afterwards. It checks every request body
/// against the official description (Mandrill) or the hand-written one from Braze's pages, keeps
/// the scheduled set, and answers faults planned per path.
struct SchedulingESPFake {
    /// "mandrill" or "braze".
    let esp: String
    /// Its port on 127.0.0.1.
    let port: Int
    /// The API key it accepts.
    static let key = "test-key-7f3a9c"

    /// The base URL a service is configured with (`MANDRILL_BASE_URL`, `BRAZE_REST_ENDPOINT`).
    var url: String { esp == "mandrill" ? "http://127.0.0.1:\(port)/api/1.0" : "http://127.0.0.1:\(port)" }

    static let script = RuntimeTestSupport.root.appendingPathComponent("Tests/Fixtures/fakes/scheduling-esp-fake.py")

    /// Starts the fake for `esp`, runs `body`, and stops it whatever happens.
    static func with<Result>(_ esp: String, _ body: (SchedulingESPFake) async throws -> Result) async throws -> Result {
        try await TestPython.withServer(
            "the \(esp) fake (it needs jsonschema)", [script.path, "--esp", esp, "--key", key]
        ) { port in
            try await body(SchedulingESPFake(esp: esp, port: port))
        }
    }

    func get(_ path: String) async throws -> [[String: JSONValue]] {
        let transport = CurlTransport(CurlTransport.Configuration(name: "fake"))
        let response = try await transport.send(
            TransportRequest(method: "GET", url: "http://127.0.0.1:\(port)" + path))
        guard case .array(let items) = try JSONParser.parse(response.body) else { return [] }
        return items.compactMap(\.objectValue)
    }

    /// Every request received: path, body, step, problems.
    func requests() async throws -> [[String: JSONValue]] { try await get("/_requests") }
    /// The messages scheduled now, by send time.
    func scheduled() async throws -> [[String: JSONValue]] { try await get("/_scheduled") }
    /// The messages sent at once.
    func sent() async throws -> [[String: JSONValue]] { try await get("/_sent") }

    /// The paths of the requests received, in order.
    func paths() async throws -> [String] { try await requests().compactMap { $0["path"]?.stringValue } }

    /// The problems the fake found in the requests received; empty when every body was valid.
    func problems() async throws -> [String] {
        try await requests().flatMap { request -> [String] in
            guard case .array(let problems)? = request["problems"] else { return [] }
            return problems.compactMap(\.stringValue)
        }
    }

    /// Plans the next answers to `path` (`/messages/send-raw`, `/messages/send`, ...).
    func plan(_ path: String, _ steps: [String]) async throws {
        let transport = CurlTransport(CurlTransport.Configuration(name: "fake"))
        let body = JSONValue.object(["path": .string(path), "steps": .array(steps.map(JSONValue.string))])
        let response = try await transport.send(
            TransportRequest(
                method: "POST", url: "http://127.0.0.1:\(port)/_plan", headers: ["Content-Type": "application/json"],
                body: Array(try JSONEncoder().encode(body))))
        #expect(response.status == 200)
    }

    /// The environment that selects this ESP with the fake's URL and key.
    var environment: [String: String] {
        esp == "mandrill"
            ? ["TIDINGS_ESP": "mandrill", "MANDRILL_API_KEY": Self.key, "MANDRILL_BASE_URL": url]
            : [
                "TIDINGS_ESP": "braze", "BRAZE_API_KEY": Self.key, "BRAZE_REST_ENDPOINT": url,
                "BRAZE_APP_ID": "3f2a7c1e-0b4d-4e8f-9a6b-5c1d2e3f4a5b",
            ]
    }
}
