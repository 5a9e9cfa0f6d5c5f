import Foundation
import Testing
import TidingsHTTP

@testable import TidingsCore
@testable import TidingsRuntime

/// The loopback model fake (Tests/Fixtures/fakes/model-fake.py), scoped: started on a free port,
/// handed to `body`, killed afterwards.
struct ModelFake {
    /// The fake's port on 127.0.0.1.
    let port: Int
    /// The production transport (libcurl, no retries), one per fake as one per upstream in a
    /// handler: the writers under test and the fake's own GETs go through it.
    let transport: CurlTransport

    /// `transport` with the production retry policy, for tests where retries matter.
    var retrying: RetryingTransport { RetryingTransport(transport) }

    /// `http://127.0.0.1:PORT`: Anthropic's base URL form.
    var root: String { "http://127.0.0.1:\(port)" }
    /// `http://127.0.0.1:PORT/v1`: OpenAI's base URL form.
    var v1: String { root + "/v1" }

    static let script = RuntimeTestSupport.root.appendingPathComponent("Tests/Fixtures/fakes/model-fake.py")

    /// One request as the fake recorded it.
    struct Received {
        var path: String
        var headers: [String: String]
        var body: JSONValue
        /// The request body's exact text.
        var raw: String
        var problems: [String]
        var step: String?
        /// The response body's exact text (nil after a reset).
        var answer: String?
    }

    /// Everything the fake received, in order.
    func received() async throws -> [Received] {
        let response = try await transport.send(TransportRequest(method: "GET", url: root + "/_requests"))
        guard case .array(let records) = try JSONParser.parse(response.body) else { return [] }
        return records.map { record in
            let members = record.objectValue ?? [:]
            var headers: [String: String] = [:]
            for (name, value) in members["headers"]?.objectValue ?? [:] { headers[name] = value.stringValue }
            var problems: [String] = []
            if case .array(let list)? = members["problems"] { problems = list.compactMap(\.stringValue) }
            return Received(
                path: members["path"]?.stringValue ?? "", headers: headers, body: members["body"] ?? .null,
                raw: members["raw"]?.stringValue ?? "", problems: problems, step: members["step"]?.stringValue,
                answer: members["answer"]?.stringValue)
        }
    }

    /// The most requests the fake has answered at once.
    func maxInFlight() async throws -> Int {
        let response = try await transport.send(TransportRequest(method: "GET", url: root + "/_stats"))
        if case .int(let count)? = try JSONParser.parse(response.body).objectValue?["max_in_flight"] { return count }
        return 0
    }

    /// The fake's interpreter (`TestPython`: it needs the `jsonschema` package).
    static func python(_ arguments: [String]) -> Process { TestPython.process(arguments) }

    /// Starts the fake, runs `body`, and stops the fake whatever happens.
    static func with<Result>(_ body: (ModelFake) async throws -> Result) async throws -> Result {
        try await TestPython.withServer("the model fake", [script.path], explain: missingModule) { port in
            try await body(
                ModelFake(port: port, transport: CurlTransport(CurlTransport.Configuration(name: "model-fake"))))
        }
    }

    /// What to do when the fake's interpreter lacks `jsonschema`, or nil for another failure.
    static func missingModule(_ stderr: String) -> String? {
        guard stderr.contains("No module named 'jsonschema'") else { return nil }
        return "python3 on PATH has no jsonschema module. Install it with "
            + "`python3 -m pip install jsonschema` (or `apt-get install python3-jsonschema`); the tests make a venv under .build/test-python with it when python3 lacks it (TestPython)."
    }
}

enum ModelLoopbackFixtures {
    /// A fake key, searched for in every error and kept body.
    static let key = "sk-test-K3Y-must-never-leak-0123456789"

    /// The cart_abandoned prompt for Tests/Fixtures/model/prompt-context.json.
    static func prompt() throws -> Prompt {
        let url = RuntimeTestSupport.root.appendingPathComponent("Tests/Fixtures/model/prompt-context.json")
        // The fixture is PromptContext's own Codable form (Swift property names).
        let context = try JSONDecoder().decode(PromptContext.self, from: Data(contentsOf: url))
        return try PromptLibrary().prompt("cart_abandoned", context: context)
    }
}
