import Foundation
import Testing
import TidingsCore
import TidingsHTTP

@testable import TidingsRuntime

/// moto (PyPI `moto[server]`) in server mode on loopback, scoped: started on a free port, handed
/// to `body`, killed afterwards, on `TestPython`'s interpreter (which has moto).
struct MotoServer {
    /// moto's port on 127.0.0.1.
    let port: Int
    /// `http://127.0.0.1:PORT`, the value for `AWS_ENDPOINT_URL_SESV2`.
    var url: String { "http://127.0.0.1:\(port)" }

    /// The production transport, for the test's own calls to moto's API: a new one per call, so no
    /// connection cached for an earlier moto on a reused port is tried on this one.
    static var transport: CurlTransport { CurlTransport(CurlTransport.Configuration(name: "moto")) }

    /// Sends the test's own request to moto, again when moto closed the connection unanswered:
    /// its werkzeug server does that now and then on a loaded machine (a CI run failed on one
    /// such reset of `/moto-api/data.json`). Only the test's reads and set-up go through here;
    /// what Tidings sends to moto meets moto as it is.
    func send(_ request: TransportRequest) async throws -> TransportResponse {
        var attempt = 1
        while true {
            do {
                return try await Self.transport.send(request)
            } catch let error as TransportError where error.code == .connectionReset && attempt < 3 {
                attempt += 1
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    static let script = RuntimeTestSupport.root.appendingPathComponent("Tests/Fixtures/fakes/moto-server.py")

    /// Verifies `address` as an SES identity (SES v2 CreateEmailIdentity); moto marks it verified.
    func verify(_ address: String) async throws {
        let response = try await send(
            TransportRequest(
                method: "POST", url: url + "/v2/email/identities",
                headers: ["Content-Type": "application/json", "Authorization": Self.authorization],
                body: Array(#"{"EmailIdentity":"\#(address)"}"#.utf8)))
        // A retried create may find the identity made by the attempt whose answer was lost.
        let answer = String(decoding: response.body, as: UTF8.self)
        #expect(response.status == 200 || answer.contains("AlreadyExists"), "\(answer)")
    }

    /// The raw messages moto's SES backend holds, in the order sent: id, source and raw data.
    func sentRawMessages() async throws -> [(id: String, source: String, raw: String)] {
        let response = try await send(TransportRequest(method: "GET", url: url + "/moto-api/data.json"))
        guard
            case .array(let messages)? = try JSONParser.parse(response.body).objectValue?["ses"]?.objectValue?[
                "RawMessage"]
        else { return [] }
        return messages.map { message in
            let members = message.objectValue ?? [:]
            return (
                members["id"]?.stringValue ?? "", members["source"]?.stringValue ?? "",
                members["raw_data"]?.stringValue ?? ""
            )
        }
    }

    /// moto reads the region from a SigV4 Authorization header; it does not check the signature.
    static let authorization =
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261121/eu-west-1/ses/aws4_request, SignedHeaders=host, Signature=0"

    /// Starts moto, runs `body`, and stops moto whatever happens.
    static func with<Result>(_ body: (MotoServer) async throws -> Result) async throws -> Result {
        try await TestPython.withServer("moto (it needs moto[server])", [script.path]) { port in
            try await body(MotoServer(port: port))
        }
    }
}

/// `TIDINGS_ESP=ses` end to end against moto: the handler built from the environment, as a
/// function starts, sends a recorded cart's email through libcurl, SigV4 and SendEmail; moto's
/// copy of the raw message is the outbox's .eml byte for byte, unsubscribe headers included.
@Suite("SES against moto")
struct SESMotoTests {
    let event = RuntimeTestSupport.cartEvents.appendingPathComponent("shopify-first-time-buyer.json")
    static let sender = "hello@northwind.example"

    func environment(data: URL, esp: [String: String]) -> [String: String] {
        [
            "TIDINGS_DATA_DIR": data.path,
            "TIDINGS_SHOP_DIR": RuntimeTestSupport.root.appendingPathComponent("Events/shop").path,
            "TIDINGS_NOW": "2026-11-21T15:20:00Z", "TIDINGS_LOG_LEVEL": "critical",
        ].merging(RuntimeTestSupport.webhookSecrets) { $1 }.merging(esp) { $1 }
    }

    static func ses(_ moto: MotoServer) -> [String: String] {
        [
            "TIDINGS_ESP": "ses", "AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
            "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "AWS_SESSION_TOKEN": "session-token-1",
            "AWS_ENDPOINT_URL_SESV2": moto.url, "TIDINGS_SES_CONFIGURATION_SET": "tidings-marketing",
        ]
    }

    func handle(_ environment: [String: String]) async throws -> OutcomeReport {
        let handler = try FunctionEnvironment.handler(
            function: .cartAbandoned, environment: environment, logger: RuntimeTestSupport.quietLogger)
        let answer = await handler.handle(
            Array(try Data(contentsOf: event)), deadline: nil, correlationID: "moto",
            logger: RuntimeTestSupport.quietLogger)
        return try #require(answer.reports.first)
    }

    /// The value of a header of a raw message (unfolded), nil when absent.
    static func header(_ name: String, in raw: String) -> String? {
        let head = raw.components(separatedBy: "\r\n\r\n").first ?? ""
        let unfolded = head.replacingOccurrences(of: "\r\n ", with: " ").replacingOccurrences(of: "\r\n\t", with: " ")
        for line in unfolded.components(separatedBy: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            if line[..<colon].lowercased() == name.lowercased() {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    @Test("An unverified sender is refused; once verified, moto holds the exact message with its unsubscribe headers")
    func sendsTheExactMessage() async throws {
        try await MotoServer.with { moto in
            try await withScratch { scratch in
                // Before the identity is verified, SES (moto) refuses the sender: a failed outcome
                // that says why and is not retried.
                let refused = try await handle(
                    environment(data: scratch.appendingPathComponent("refused"), esp: Self.ses(moto)))
                #expect(refused.outcome != .sent, "\(refused)")
                #expect(refused.reason?.contains("MessageRejected") == true, "\(refused)")
                #expect(try await moto.sentRawMessages().isEmpty)

                try await moto.verify(Self.sender)
                let sent = try await handle(
                    environment(data: scratch.appendingPathComponent("ses"), esp: Self.ses(moto)))
                #expect(sent.outcome == .sent, "\(sent)")
                let messages = try await moto.sentRawMessages()
                try #require(messages.count == 1)
                let message = messages[0]
                #expect(message.source == Self.sender)
                #expect(sent.messages?.contains(message.id) == true, "the receipt is SES's MessageId: \(sent)")

                // The same event through the outbox: the .eml it writes is what SES received.
                let outboxData = scratch.appendingPathComponent("outbox-run")
                let local = try await handle(environment(data: outboxData, esp: ["TIDINGS_ESP": "outbox"]))
                #expect(local.outcome == .sent)
                let outbox = outboxData.appendingPathComponent("outbox")
                let names = try FileManager.default.contentsOfDirectory(atPath: outbox.path).filter {
                    $0.hasSuffix(".eml")
                }
                try #require(names.count == 1)
                let eml = try Data(contentsOf: outbox.appendingPathComponent(names[0]))
                #expect(Data(message.raw.utf8) == eml, "moto's raw message equals the rendered bytes")

                let raw = message.raw
                let unsubscribe = try #require(Self.header("List-Unsubscribe", in: raw))
                #expect(unsubscribe.hasPrefix("<https://") && unsubscribe.contains(">, <mailto:"), "\(unsubscribe)")
                #expect(Self.header("List-Unsubscribe-Post", in: raw) == "List-Unsubscribe=One-Click")
                #expect(Self.header("X-Tidings-Flow", in: raw) == "cartAbandoned")
                #expect(Self.header("X-Tidings-Event-Id", in: raw)?.isEmpty == false)
                #expect(Self.header("From", in: raw)?.contains(Self.sender) == true)
            }
        }
    }
}

extension SESMotoTests {
    @Test("The cartAbandoned binary with TIDINGS_ESP=ses sends through moto and answers with SES's MessageId")
    func handlerBinary() async throws {
        try await MotoServer.with { moto in
            try await moto.verify(Self.sender)
            try await withScratch { scratch in
                let execution = try RuntimeTestSupport.execute(
                    "cartAbandoned", event: event,
                    environment: environment(data: scratch, esp: Self.ses(moto)).merging(["TIDINGS_LOG_LEVEL": "trace"])
                    {
                        $1
                    })
                #expect(execution.status == 0, "\(execution.stderr.suffix(800))")
                // Logged at trace, and still no secret or session token in the log.
                #expect(execution.stderr.contains("email service"), "\(execution.stderr.prefix(400))")
                #expect(!execution.stderr.contains("wJalrXUtnFEMI"), "the secret is never logged")
                #expect(!execution.stderr.contains("session-token-1"), "nor the session token")
                let answer = try JSONParser.parse(Array(execution.stdout)).objectValue ?? [:]
                #expect(answer["outcome"]?.stringValue == "sent", "\(answer)")
                let messages = try await moto.sentRawMessages()
                try #require(messages.count == 1)
                #expect(answer["messages"] == .array([.string(messages[0].id)]))
                #expect(Self.header("List-Unsubscribe-Post", in: messages[0].raw) == "List-Unsubscribe=One-Click")
            }
        }
    }
}

/// The handler's start-up with `TIDINGS_ESP`: a missing region or credential stops it naming the
/// variable, before any event is read.
@Suite("TIDINGS_ESP at start-up")
struct EmailServiceStartupTests {
    @Test("ses without a region or a secret key stops start-up, naming the variable")
    func missingSettings() async throws {
        try await withScratch { scratch in
            let base = [
                "TIDINGS_DATA_DIR": scratch.path,
                "TIDINGS_SHOP_DIR": RuntimeTestSupport.root.appendingPathComponent("Events/shop").path,
                "TIDINGS_ESP": "ses", "AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
                "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            ]
            func key(_ environment: [String: String]) -> String? {
                do {
                    _ = try FunctionEnvironment.handler(
                        function: .cartAbandoned, environment: environment, logger: RuntimeTestSupport.quietLogger)
                    return nil
                } catch {
                    return error.key
                }
            }
            #expect(key(base) == nil)
            #expect(key(base.filter { $0.key != "AWS_REGION" }) == "AWS_REGION")
            #expect(key(base.filter { $0.key != "AWS_SECRET_ACCESS_KEY" }) == "AWS_SECRET_ACCESS_KEY")
            #expect(key(base.merging(["TIDINGS_ESP": "mailgun"]) { $1 }) == "TIDINGS_ESP")
        }
    }
}
