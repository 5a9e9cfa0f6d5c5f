import Foundation
import Synchronization
import Testing

@testable import TidingsCore

/// Answers each send with the next scripted response (the last repeats) and keeps the requests.
final class ScriptedResponses: HTTPTransport, Sendable {
    private let state: Mutex<(responses: [TransportResponse], requests: [TransportRequest])>
    init(_ responses: [TransportResponse]) { state = Mutex((responses, [])) }
    var requests: [TransportRequest] { state.withLock { $0.requests } }

    func send(_ request: TransportRequest) async throws -> TransportResponse {
        state.withLock { state in
            state.requests.append(request)
            return state.responses[min(state.requests.count - 1, state.responses.count - 1)]
        }
    }
}

/// Checks a JSON value against a Smithy/botocore shape of a service-2.json: structure members and
/// `required`, lists, strings with min/max, blobs as base64, and no member the shape lacks.
struct ShapeChecker {
    let shapes: [String: JSONValue]

    init(model: URL) throws {
        let document = try JSONParser.parse(Array(Data(contentsOf: model)))
        shapes = try #require(document.objectValue?["shapes"]?.objectValue)
    }

    func problems(_ value: JSONValue, shape name: String, path: String = "$") -> [String] {
        guard let shape = shapes[name]?.objectValue, let type = shape["type"]?.stringValue else {
            return ["\(path): unknown shape \(name)"]
        }
        func bound(_ key: String) -> Int? { if case .int(let n)? = shape[key] { return n } else { return nil } }
        switch (type, value) {
        case ("structure", .object(let members)):
            let declared = shape["members"]?.objectValue ?? [:]
            var found: [String] = []
            var required: [JSONValue] = []
            if case .array(let names)? = shape["required"] { required = names }
            for case .string(let key) in required where members[key] == nil {
                found.append("\(path).\(key): required")
            }
            for (key, member) in members {
                guard let target = declared[key]?.objectValue?["shape"]?.stringValue else {
                    found.append("\(path).\(key): not a member of \(name)")
                    continue
                }
                found += problems(member, shape: target, path: "\(path).\(key)")
            }
            return found
        case ("list", .array(let items)):
            let member = shape["member"]?.objectValue?["shape"]?.stringValue ?? ""
            var found: [String] = []
            if let min = bound("min"), items.count < min { found.append("\(path): fewer than \(min)") }
            if let max = bound("max"), items.count > max { found.append("\(path): more than \(max)") }
            for (index, item) in items.enumerated() {
                found += problems(item, shape: member, path: "\(path)[\(index)]")
            }
            return found
        case ("string", .string(let text)):
            if let min = bound("min"), text.count < min { return ["\(path): shorter than \(min)"] }
            if let max = bound("max"), text.count > max { return ["\(path): longer than \(max)"] }
            return []
        case ("blob", .string(let text)):
            return Data(base64Encoded: text) == nil ? ["\(path): not base64"] : []
        default:
            return ["\(path): a \(value) is not a \(type)"]
        }
    }
}

@Suite("SES v2 SendEmail")
struct SESEmailServiceTests {
    static let model = TestPaths.specs.appendingPathComponent("aws/sesv2/send-email.json")
    static let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY-must-not-leak"
    static let token = "FwoGZXIvYXdzEXAMPLE-session-token-must-not-leak"
    static let credentials = AWSCredentials(
        accessKeyID: "AKIDEXAMPLE", secretAccessKey: Secret(secret), sessionToken: Secret(token))

    static func service(_ transport: any HTTPTransport, configurationSet: String? = "tidings-marketing")
        -> SESEmailService
    {
        SESEmailService(
            endpoint: "https://email.eu-west-1.amazonaws.com/", region: "eu-west-1", credentials: credentials,
            configurationSet: configurationSet, transport: transport, clock: FixedClock(RenderFixtures.now))
    }

    static func email() throws -> RenderedEmail {
        var email = try RenderFixtures.render()
        email.rawMessage = MIMEMessage.serialize(email)
        return email
    }

    static let accepted = TransportResponse(
        status: 200, headers: ["content-type": "application/json"],
        body: Array(#"{"MessageId":"010201-abc-000000"}"#.utf8))

    @Test("The body fits SendEmail's input shape and carries the exact message, sender, recipient, set and tags")
    func bodyMatchesTheModel() throws {
        let email = try Self.email()
        let transport = ScriptedResponses([Self.accepted])
        let request = try Self.service(transport).sendRequest(email)
        #expect(request.method == "POST")
        #expect(request.url == "https://email.eu-west-1.amazonaws.com/v2/email/outbound-emails")
        let body = try JSONParser.parse(request.body)
        let checker = try ShapeChecker(model: Self.model)
        #expect(checker.problems(body, shape: "SendEmailRequest") == [])
        // The model's operation names this path and method.
        let operation = try JSONParser.parse(Array(Data(contentsOf: Self.model))).objectValue?["operations"]?
            .objectValue?["SendEmail"]?.objectValue?["http"]?.objectValue
        #expect(operation?["requestUri"]?.stringValue == SESEmailService.sendPath)
        #expect(operation?["method"]?.stringValue == "POST")

        let members = try #require(body.objectValue)
        #expect(members["FromEmailAddress"]?.stringValue == email.from.address)
        #expect(members["Destination"] == ["ToAddresses": [.string(email.to.address)]])
        #expect(members["ConfigurationSetName"]?.stringValue == "tidings-marketing")
        #expect(
            members["EmailTags"] == [
                ["Name": "flow", "Value": "cartAbandoned"], ["Name": "event_id", "Value": "evt-1001"],
            ])
        let data = try #require(members["Content"]?.objectValue?["Raw"]?.objectValue?["Data"]?.stringValue)
        let raw = try #require(Data(base64Encoded: data))
        #expect(raw == email.rawMessage)
        let text = String(decoding: raw, as: UTF8.self)
        #expect(text.contains("\r\nList-Unsubscribe: <"))
        #expect(text.contains("\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"))
        #expect(text.contains("\r\nX-Tidings-Event-Id: evt-1001\r\n"))
    }

    @Test("A shape problem is found: the checker is not a rubber stamp")
    func checkerFindsProblems() throws {
        let checker = try ShapeChecker(model: Self.model)
        let bad: JSONValue = [
            "Content": ["Raw": ["Data": "not base64 !"]], "Destination": ["To": ["a@b.example"]],
            "EmailTags": [["Name": "flow"]],
        ]
        let problems = checker.problems(bad, shape: "SendEmailRequest")
        #expect(problems.contains("$.Content.Raw.Data: not base64"))
        #expect(problems.contains("$.Destination.To: not a member of Destination"))
        #expect(problems.contains("$.EmailTags[0].Value: required"))
        #expect(checker.problems(["Destination": [:]], shape: "SendEmailRequest") == ["$.Content: required"])
    }

    @Test("The request is signed for ses in the region, with the session token and no secret")
    func signedRequest() throws {
        let request = try Self.service(ScriptedResponses([Self.accepted])).sendRequest(try Self.email())
        let authorization = try #require(request.headers["Authorization"])
        #expect(
            authorization.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261118/eu-west-1/ses/aws4_request, "))
        #expect(authorization.contains("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token,"))
        #expect(request.headers["X-Amz-Date"] == "20261118T110640Z")
        #expect(request.headers["X-Amz-Security-Token"] == Self.token)
        let everything =
            request.headers.map { "\($0.key): \($0.value)" }.joined() + String(decoding: request.body, as: UTF8.self)
        #expect(!everything.contains(Self.secret))
    }

    @Test("The MessageId is the receipt; cancelScheduled has nothing at SES to stop")
    func receipt() async throws {
        let service = Self.service(ScriptedResponses([Self.accepted]))
        let receipt = try await service.deliver(try Self.email())
        #expect(receipt == DeliveryReceipt(service: "ses", reference: "010201-abc-000000"))
        #expect(try await service.cancelScheduled(series: "order-1", after: RenderFixtures.now) == [])
    }

    static func failure(_ status: Int, header: String? = nil, body: String) -> TransportResponse {
        TransportResponse(
            status: status, headers: header.map { ["x-amzn-errortype": $0] } ?? [:], body: Array(body.utf8))
    }

    @Test(
        "Each SES error maps to its code and retry decision",
        arguments: [
            (
                failure(429, header: "TooManyRequestsException:http://internal.amazon.com/", body: "{}"),
                DeliveryError.Code.throttled, true
            ),
            (
                failure(400, body: #"{"__type":"com.amazonaws.ses#LimitExceededException","message":"quota"}"#),
                .quotaExceeded, true
            ),
            (failure(400, header: "SendingPausedException", body: #"{"message":"paused"}"#), .sendingPaused, false),
            (failure(400, body: #"{"code":"AccountSuspendedException"}"#), .accountSuspended, false),
            (
                failure(
                    400, header: "MessageRejected",
                    body:
                        #"{"message":"Email address is not verified. The following identities failed the check in region EU-WEST-1: juergen@example.com"}"#
                ), .messageRejected, false
            ),
            (failure(400, header: "MailFromDomainNotVerifiedException", body: "{}"), .senderNotVerified, false),
            (failure(403, header: "InvalidSignatureException", body: "{}"), .unauthorized, false),
            (failure(400, header: "BadRequestException", body: "{}"), .badRequest, false),
            (failure(503, body: "<html>Service Unavailable</html>"), .upstreamFailure, true),
        ])
    func errors(_ response: TransportResponse, _ code: DeliveryError.Code, _ retryable: Bool) async throws {
        let service = Self.service(ScriptedResponses([response]))
        let error = try await #require(throws: DeliveryError.self) { try await service.deliver(try Self.email()) }
        #expect(error.code == code)
        #expect(error.isRetryable == retryable)
        #expect(error.service == "ses")
        #expect(error.reason.hasPrefix("HTTP \(response.status) "))
        #expect(!error.reason.contains("@"), "addresses are redacted: \(error.reason)")
        #expect(!error.reason.contains(Self.secret) && !error.reason.contains(Self.token))
    }

    @Test("A 200 without a MessageId and no answer at all are errors too")
    func oddAnswers() async throws {
        let empty = Self.service(ScriptedResponses([TransportResponse(status: 200, body: Array("{}".utf8))]))
        let error = try await #require(throws: DeliveryError.self) { try await empty.deliver(try Self.email()) }
        #expect(error.code == .upstreamFailure)
        #expect(!error.isRetryable, "the message may have gone; another send could send it twice")

        struct Refused: HTTPTransport {
            func send(_ request: TransportRequest) async throws -> TransportResponse {
                throw TransportError(.connectFailed, host: "email.eu-west-1.amazonaws.com", detail: "refused")
            }
        }
        let unreachable = try await #require(throws: DeliveryError.self) {
            try await Self.service(Refused()).deliver(try Self.email())
        }
        #expect(unreachable.code == .unreachable)
        #expect(unreachable.isRetryable)
    }

    @Test("Throttling is retried through RetryingTransport, honouring Retry-After, and bounded")
    func throttlingRetries() async throws {
        let throttled = TransportResponse(
            status: 429, headers: ["x-amzn-errortype": "TooManyRequestsException", "retry-after": "2"],
            body: Array(#"{"message":"Maximum sending rate exceeded."}"#.utf8))
        let clock = ManualClock()
        func retrying(_ inner: ScriptedResponses) -> RetryingTransport {
            RetryingTransport(inner, clock: clock, sleep: { clock.advance($0) }, random: { $0.upperBound })
        }
        let recovering = ScriptedResponses([throttled, Self.accepted])
        let start = clock.now
        let receipt = try await Self.service(retrying(recovering)).deliver(try Self.email())
        #expect(receipt.reference == "010201-abc-000000")
        #expect(recovering.requests.count == 2)
        #expect(clock.now.timeIntervalSince(start) == 2, "waited what Retry-After asked")
        #expect(recovering.requests[0] == recovering.requests[1], "the same signed request again")

        let stuck = ScriptedResponses([throttled])
        let error = try await #require(throws: DeliveryError.self) {
            try await Self.service(retrying(stuck)).deliver(try Self.email())
        }
        #expect(stuck.requests.count == RetryPolicy().maxRetries + 1)
        #expect(error.code == .throttled)
        #expect(error.isRetryable)
    }

    @Test("Tag values keep SES's allowed characters only, cut to 256")
    func tagValues() {
        #expect(SESEmailService.tagValue("evt-1001_ok") == "evt-1001_ok")
        #expect(SESEmailService.tagValue("gid://shopify/Checkout/9.1 é") == "gid___shopify_Checkout_9_1__")
        #expect(SESEmailService.tagValue(String(repeating: "a", count: 300)).count == 256)
    }
}
