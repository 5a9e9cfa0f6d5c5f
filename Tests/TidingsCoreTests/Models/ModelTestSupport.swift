import Foundation

@testable import TidingsCore

/// A transport that answers from a closure and keeps what it was sent: the writers' decoding is
/// tested on recorded and hand-written provider bodies, without a socket.
final class ScriptedTransport: HTTPTransport, @unchecked Sendable {
    private let lock = NSLock()
    private var sent: [TransportRequest] = []
    private let answer: @Sendable (TransportRequest) throws -> TransportResponse

    init(_ answer: @escaping @Sendable (TransportRequest) throws -> TransportResponse) {
        self.answer = answer
    }

    /// One JSON answer for every request.
    convenience init(status: Int = 200, headers: [String: String] = ["content-type": "application/json"], body: [UInt8])
    {
        self.init { _ in TransportResponse(status: status, headers: headers, body: body) }
    }

    var requests: [TransportRequest] { lock.withLock { sent } }

    func send(_ request: TransportRequest) async throws -> TransportResponse {
        lock.withLock { sent.append(request) }
        return try answer(request)
    }
}

enum ModelFixtures {
    /// A fake key: every test searches errors and kept bodies for it.
    static let key = "sk-test-K3Y-must-never-leak-0123456789"

    /// The cart_abandoned prompt for Tests/Fixtures/model/prompt-context.json.
    static func prompt() throws -> Prompt {
        let url = TestPaths.root.appendingPathComponent("Tests/Fixtures/model/prompt-context.json")
        // The fixture is PromptContext's own Codable form (Swift property names).
        let context = try JSONDecoder().decode(PromptContext.self, from: Data(contentsOf: url))
        return try PromptLibrary().prompt("cart_abandoned", context: context)
    }

    /// The recorded Anthropic exchanges (Tests/Fixtures/specs/anthropic), as JSON values.
    static func recordedAnthropic(_ file: String) throws -> [JSONValue] {
        let url = TestPaths.specs.appendingPathComponent("anthropic/\(file)")
        guard case .array(let exchanges) = try JSONParser.parse(Array(try Data(contentsOf: url))) else { return [] }
        return exchanges
    }

    /// The response of a recorded exchange as a transport response, body re-encoded.
    static func response(of exchange: JSONValue) -> TransportResponse {
        let response = exchange.objectValue?["response"]?.objectValue ?? [:]
        var status = 0
        if case .int(let code)? = response["status_code"] { status = code }
        var headers: [String: String] = [:]
        for (name, value) in response["headers"]?.objectValue ?? [:] { headers[name] = value.stringValue }
        return TransportResponse(status: status, headers: headers, body: ModelCall.encode(response["body"] ?? .null))
    }

    /// A clean draft as JSON text.
    static let draft = """
        {"subjects":["Your boots are waiting","Still thinking it over?","Free shipping on your cart"],\
        "preheader":"Trail Boot is still in your cart.","blocks":[{"kind":"greeting","text":"Hi Casey,","product_id":null},\
        {"kind":"paragraph","text":"Your Trail Boot is still in your cart.","product_id":null}],"product_picks":["sock"],\
        "offer":{"kind":"free_shipping","percent":0,"code":"SHIPFREE"},\
        "call_to_action":{"label":"Return to your cart","url":"{{checkout_url}}"}}
        """

    static func json(_ value: JSONValue) -> [UInt8] { ModelCall.encode(value) }

    /// Whether `bytes` contain the key.
    static func leaks(_ bytes: [UInt8]) -> Bool {
        String(decoding: bytes, as: UTF8.self).contains(key)
    }
}
