import Crypto
import Foundation
import Testing
import TidingsCore

@testable import TidingsRuntime

/// One-click unsubscribe (RFC 8058) end to end, through the handler binaries on one data folder:
/// the link a rendered cart email carries, POSTed to the `unsubscribe` function, suppresses the
/// customer, and the next marketing event for them ends `suppressed`; transactional mail still goes.
@Suite("One-click unsubscribe through the handler binaries", .serialized)
struct UnsubscribeTests {
    static let cartEvent = RuntimeTestSupport.root.appendingPathComponent(
        "Events/cartAbandoned/shopify-first-time-buyer.json")
    static let orderEvent = RuntimeTestSupport.root.appendingPathComponent(
        "Events/orderCreated/shopify-repeat-customer.json")

    func environment(_ data: URL, now: String) -> [String: String] {
        RuntimeTestSupport.webhookSecrets.merging([
            "TIDINGS_DATA_DIR": data.path, "TIDINGS_NOW": now, "TIDINGS_LOG_LEVEL": "critical",
            "TIDINGS_SHOP_DIR": RuntimeTestSupport.root.appendingPathComponent("Events/shop").path,
        ]) { _, new in new }
    }

    /// A function URL request (payload 2.0) for `query`, written to a file for stdin.
    func request(_ method: String, query: String, body: String? = nil, in scratch: URL) throws -> URL {
        var envelope: [String: Any] = [
            "version": "2.0", "rawPath": "/", "rawQueryString": query,
            "headers": ["content-type": "application/x-www-form-urlencoded"],
            "requestContext": ["http": ["method": method, "path": "/"], "requestId": UUID().uuidString],
            "isBase64Encoded": false,
        ]
        if let body { envelope["body"] = body }
        let file = scratch.appendingPathComponent("request-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: envelope).write(to: file)
        return file
    }

    /// Runs the unsubscribe binary on a request; its HTTP status, page and exit status.
    func unsubscribe(_ request: URL, data: URL) throws -> (status: Int, html: String, exit: Int32) {
        let run = try RuntimeTestSupport.execute(
            "unsubscribe", event: request, environment: environment(data, now: "2026-11-21T19:05:00Z"))
        let answer = try JSONParser.parse(Array(run.stdout)).objectValue ?? [:]
        guard case .int(let status)? = answer["statusCode"] else {
            Issue.record("no statusCode in \(String(decoding: run.stdout, as: UTF8.self)) \(run.stderr)")
            return (0, "", run.status)
        }
        return (status, answer["body"]?.stringValue ?? "", run.status)
    }

    /// The query of the List-Unsubscribe URL in the cart email the recorded event gets.
    func renderedLinkQuery(_ scratch: URL) throws -> String {
        let data = scratch.appendingPathComponent("first")
        let run = try RuntimeTestSupport.execute(
            "cartAbandoned", event: Self.cartEvent, environment: environment(data, now: "2026-11-21T19:00:00Z"))
        #expect(run.status == 0, "\(run.stderr)")
        let outbox = data.appendingPathComponent("outbox")
        let file = try #require(try FileManager.default.contentsOfDirectory(atPath: outbox.path).first)
        let text = try String(contentsOf: outbox.appendingPathComponent(file), encoding: .utf8)
        let header = try #require(text.components(separatedBy: "\r\n").first { $0.hasPrefix("List-Unsubscribe: ") })
        let https = try #require(header.range(of: "<https://")?.upperBound)
        let url = String(header[https...].prefix { $0 != ">" })
        return String(try #require(url.split(separator: "?", maxSplits: 1).last))
    }

    func auditRecords(_ data: URL) throws -> [[String: JSONValue]] {
        guard FileManager.default.fileExists(atPath: data.appendingPathComponent("audit").path) else { return [] }
        return try ReplayGoldenTests.auditLines(data).map { try JSONParser.parse($0).objectValue ?? [:] }
    }

    func suppressionLines(_ data: URL) -> [String] { RuntimeTestSupport.storedSuppressions(data) }

    func cartOutcome(_ data: URL) throws -> [String: JSONValue] {
        let run = try RuntimeTestSupport.execute(
            "cartAbandoned", event: Self.cartEvent, environment: environment(data, now: "2026-11-21T19:00:00Z"))
        return try JSONParser.parse(Array(run.stdout)).objectValue ?? [:]
    }

    @Test("The rendered link's POST suppresses at once; the next cart event ends suppressed: unsubscribed")
    func postSuppressesAndTheNextCartIsSuppressed() throws {
        try withScratchSync { scratch in
            let query = try renderedLinkQuery(scratch)
            #expect(query.hasPrefix("c=6100000001&t="))
            let data = scratch.appendingPathComponent("second")
            let answer = try unsubscribe(
                request("POST", query: query, body: "List-Unsubscribe=One-Click", in: scratch), data: data)
            #expect(answer.status == 200)
            #expect(answer.exit == 0)
            #expect(answer.html.contains("You are unsubscribed"))
            let lines = suppressionLines(data)
            #expect(lines.count == 1)
            #expect(lines.first?.contains("\"customer_id\":\"6100000001\"") == true)
            #expect(lines.first?.contains("\"reason\":\"unsubscribe\"") == true)

            // The addition is audited once, with its reason and source, and no address.
            let records = try auditRecords(data)
            let suppress = records.filter { $0["stage"] == "suppress" }
            #expect(suppress.count == 1)
            #expect(suppress.first?["facts"]?.objectValue?["customer_id"] == "6100000001")
            #expect(suppress.first?["facts"]?.objectValue?["reason"] == "unsubscribe")
            #expect(suppress.first?["facts"]?.objectValue?["source"] == "one_click")
            #expect(records.filter { $0["stage"] == "outcome" }.map { $0["outcome"] } == ["suppressed"])
            #expect(try ReplayGoldenTests.auditLines(data).allSatisfy { !$0.contains("@") })

            // A second POST of the same link changes nothing and adds no record of a suppression.
            let again = try unsubscribe(
                request("POST", query: query, body: "List-Unsubscribe=One-Click", in: scratch), data: data)
            #expect(again.status == 200)
            #expect(suppressionLines(data).count == 1)
            #expect(try auditRecords(data).filter { $0["stage"] == "suppress" }.count == 1)

            let cart = try cartOutcome(data)
            #expect(cart["outcome"] == "suppressed")
            #expect(cart["reason"]?.stringValue?.hasPrefix("unsubscribed: ") == true, "\(cart)")
            let outbox = data.appendingPathComponent("outbox")
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: outbox.path)) ?? []).isEmpty)
            // Stopped before the platform was read: no enrich record for the cart event.
            let cartRecords = try auditRecords(data).filter { $0["function"] == "cartAbandoned" }
            #expect(cartRecords.map { $0["stage"]?.stringValue ?? "" } == ["normalize", "guards", "outcome"])
        }
    }

    @Test("GET shows a page with the one-click form and changes nothing")
    func getShowsTheFormOnly() throws {
        try withScratchSync { scratch in
            let query = try renderedLinkQuery(scratch)
            let data = scratch.appendingPathComponent("second")
            let answer = try unsubscribe(request("GET", query: query, in: scratch), data: data)
            #expect(answer.status == 200)
            #expect(
                answer.html.contains(
                    "<form method=\"post\" action=\"?\(query.replacingOccurrences(of: "&", with: "&amp;"))\">"))
            #expect(answer.html.contains("name=\"List-Unsubscribe\" value=\"One-Click\""))
            #expect(suppressionLines(data).isEmpty)
            #expect(try auditRecords(data).isEmpty)
            #expect(try cartOutcome(data)["outcome"] == "sent")
        }
    }

    @Test(
        "A forged or altered link is refused with 403, audited, and suppresses nobody",
        arguments: ["altered token", "another customer's token", "altered customer"])
    func forgedLinksAreRefused(_ forgery: String) throws {
        try withScratchSync { scratch in
            let query = try renderedLinkQuery(scratch)
            let token = String(query.split(separator: "=").last!)
            let key = SymmetricKey(data: Array("tidings-development-unsubscribe-key".utf8))
            let forged: String
            switch forgery {
            case "altered token":
                let flipped: Character = token.first == "A" ? "B" : "A"
                forged = "c=6100000001&t=\(flipped)\(token.dropFirst())"
            case "another customer's token":
                let other = EmailRenderer.unsubscribeToken(
                    customerID: "6100000002", storefrontURL: "https://northwind.example", key: key)
                forged = "c=6100000001&t=\(other)"
            default:
                forged = "c=6100000002&t=\(token)"
            }
            let data = scratch.appendingPathComponent("second")
            let answer = try unsubscribe(
                request("POST", query: forged, body: "List-Unsubscribe=One-Click", in: scratch), data: data)
            #expect(answer.status == 403)
            #expect(answer.exit == ExitStatus.unauthenticated.rawValue)
            #expect(suppressionLines(data).isEmpty)
            let outcomes = try auditRecords(data).filter { $0["stage"] == "outcome" }
            #expect(outcomes.map { $0["outcome"] } == ["unauthenticated"])
            #expect(outcomes.first?["facts"]?.objectValue?["reason"]?.stringValue?.hasPrefix("forged_token") == true)
            #expect(try cartOutcome(data)["outcome"] == "sent")
        }
    }

    @Test(
        "A link without its customer or token, or a POST without the one-click body, is a 400",
        arguments: [("c=6100000001", "List-Unsubscribe=One-Click"), ("t=abc", "List-Unsubscribe=One-Click"), ("", "")])
    func incompleteRequests(_ query: String, _ body: String) throws {
        try withScratchSync { scratch in
            let data = scratch.appendingPathComponent("data")
            let answer = try unsubscribe(request("POST", query: query, body: body, in: scratch), data: data)
            #expect(answer.status == 400)
            #expect(answer.exit == ExitStatus.badInput.rawValue)
            #expect(suppressionLines(data).isEmpty)
        }
    }

    @Test("A valid link POSTed without List-Unsubscribe=One-Click is a 400 naming the field")
    func postWithoutOneClickBody() throws {
        try withScratchSync { scratch in
            let query = try renderedLinkQuery(scratch)
            let data = scratch.appendingPathComponent("second")
            let answer = try unsubscribe(
                request("POST", query: query, body: "unsubscribe=yes", in: scratch), data: data)
            #expect(answer.status == 400)
            #expect(answer.html.contains("List-Unsubscribe"))
            #expect(suppressionLines(data).isEmpty)
        }
    }

    @Test("A suppressed customer's order still gets its transactional messages, and no marketing")
    func transactionalStillGoes() throws {
        try withScratchSync { scratch in
            let data = scratch.appendingPathComponent("data")
            let key = SymmetricKey(data: Array("tidings-development-unsubscribe-key".utf8))
            let token = EmailRenderer.unsubscribeToken(
                customerID: "6100000007", storefrontURL: "https://northwind.example", key: key)
            let answer = try unsubscribe(
                request("POST", query: "c=6100000007&t=\(token)", body: "List-Unsubscribe=One-Click", in: scratch),
                data: data)
            #expect(answer.status == 200)

            let run = try RuntimeTestSupport.execute(
                "orderCreated", event: Self.orderEvent, environment: environment(data, now: "2026-11-24T15:16:00Z"))
            let result = try JSONParser.parse(Array(run.stdout)).objectValue ?? [:]
            #expect(result["outcome"] == "sent", "\(result) \(run.stderr)")
            guard case .array(let messages)? = result["messages"] else {
                Issue.record("no messages in \(result)")
                return
            }
            // Unsuppressed, this order gets 4 messages (HandlerEntryPointTests); the marketing ones are dropped.
            #expect(!messages.isEmpty && messages.count < 4)
            let records = try auditRecords(data).filter { $0["function"] == "orderCreated" }
            let suppression = try #require(records.first { $0["stage"] == "suppression" })
            #expect(suppression["facts"]?.objectValue?["reason"] == "unsubscribed")
            guard case .array(let dropped)? = suppression["facts"]?.objectValue?["dropped"] else {
                Issue.record("no dropped steps")
                return
            }
            #expect(dropped.count + messages.count == 4)
            // The order's thank-you is transactional: it is never among the dropped steps.
            #expect(!dropped.contains("thank_you"))
            #expect(dropped.contains("recommendations"), "\(dropped)")
        }
    }

    @Test("The request envelope: v2 with a base64 body and raw query, v1 with parameters, anything else named")
    func envelopes() throws {
        let v2 = try HTTPRequestEnvelope.decode(
            Array(
                try Data(
                    contentsOf: RuntimeTestSupport.root.appendingPathComponent(
                        "Tests/Fixtures/unsubscribe/function-url-one-click.json"))))
        #expect(v2.method == "POST")
        #expect(v2.query["c"] == "6100000001")
        #expect(v2.body == Array("List-Unsubscribe=One-Click".utf8))
        #expect(v2.headers["content-type"] == "application/x-www-form-urlencoded")
        let v1 = try HTTPRequestEnvelope.decode(
            Array(
                #"{"httpMethod":"get","requestContext":{"stage":"prod"},"queryStringParameters":{"c":"guest:ab","t":"x"},"headers":{"Host":"h"},"body":null}"#
                    .utf8))
        #expect(v1.method == "GET")
        #expect(v1.query == ["c": "guest:ab", "t": "x"])
        #expect(v1.body.isEmpty)
        #expect(throws: InputError.self) { try HTTPRequestEnvelope.decode(Array(#"{"body":"x"}"#.utf8)) }
        do {
            _ = try HTTPRequestEnvelope.decode(Array(#"{"httpMethod":"POST","rawQueryString":"c=%zz"}"#.utf8))
            Issue.record("a broken query must be refused")
        } catch {
            #expect(error.path == "$.rawQueryString")
        }
    }
}
