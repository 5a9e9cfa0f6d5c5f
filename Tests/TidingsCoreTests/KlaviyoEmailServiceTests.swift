import Foundation
import Testing

@testable import TidingsCore

/// The Klaviyo service's wire format and error mapping, without a network: the exact requests,
/// the unique_id's stability, the metric names, and each answer's DeliveryError.
@Suite("Klaviyo email service")
struct KlaviyoEmailServiceTests {
    static func service(_ transport: any HTTPTransport) -> KlaviyoEmailService {
        KlaviyoEmailService(baseURL: "https://a.klaviyo.com/", apiKey: Secret("pk_test_123"), transport: transport)
    }

    static let upserted = TransportResponse(
        status: 201, headers: ["content-type": "application/vnd.api+json"],
        body: Array(#"{"data":{"type":"profile","id":"01KPROFILE","attributes":{}}}"#.utf8))
    static let accepted = TransportResponse(status: 202, body: [])

    static func email(step: String? = nil, sendAt: Date = RenderFixtures.now) throws -> RenderedEmail {
        var request = RenderFixtures.request()
        request.step = step
        request.sendAt = sendAt
        return try RenderFixtures.render(request)
    }

    static func object(_ request: TransportRequest) throws -> [String: JSONValue] {
        try #require(try JSONParser.parse(request.body).objectValue)
    }

    @Test("Profile upsert then Create Event, with the key, revision and JSON:API media type on both")
    func requests() async throws {
        let transport = ScriptedResponses([Self.upserted, Self.accepted])
        let email = try Self.email()
        let receipt = try await Self.service(transport).deliver(email)
        let requests = transport.requests
        try #require(requests.count == 2)
        #expect(
            requests.map(\.url) == ["https://a.klaviyo.com/api/profile-import", "https://a.klaviyo.com/api/events"])
        for request in requests {
            #expect(request.method == "POST")
            #expect(request.headers["Authorization"] == "Klaviyo-API-Key pk_test_123")
            #expect(request.headers["revision"] == "2026-07-15")
            #expect(request.headers["accept"] == "application/vnd.api+json")
            #expect(request.headers["content-type"] == "application/vnd.api+json")
        }
        // The exact bytes: keys sorted, slashes unescaped, UTF-8 as it is.
        #expect(
            String(decoding: requests[0].body, as: UTF8.self)
                == #"{"data":{"attributes":{"email":"juergen@example.com","first_name":"Jürgen"},"type":"profile"}}"#)
        let profile = try Self.object(requests[0])
        #expect(
            profile["data"]
                == ["type": "profile", "attributes": ["email": "juergen@example.com", "first_name": "Jürgen"]])

        let data = try #require(try Self.object(requests[1])["data"]?.objectValue)
        #expect(data["type"] == "event")
        let attributes = try #require(data["attributes"]?.objectValue)
        #expect(attributes["metric"] == ["data": ["type": "metric", "attributes": ["name": "Tidings Cart Abandoned"]]])
        #expect(
            attributes["profile"]
                == ["data": ["type": "profile", "id": "01KPROFILE", "attributes": ["email": "juergen@example.com"]]],
            "the event names the profile the upsert returned")
        #expect(attributes["unique_id"] == .string(KlaviyoEmailService.uniqueID(email)))
        #expect(attributes["time"] == .string(Timestamp.format(email.sendAt, milliseconds: false)))
        let properties = try #require(attributes["properties"]?.objectValue)
        #expect(properties["subject"] == .string(email.subject))
        #expect(properties["preheader"] == .string(email.preheader))
        #expect(properties["event_id"] == "evt-1001")
        #expect(properties["unsubscribe_url"] == .string(email.unsubscribeURL))
        #expect(properties["$extra"] == ["html": .string(email.html), "text": .string(email.text)])
        #expect(receipt == DeliveryReceipt(service: "klaviyo", reference: KlaviyoEmailService.uniqueID(email)))
    }

    @Test("unique_id: the same event and step give the same id at any send time; another step another id")
    func uniqueID() throws {
        let early = try Self.email(step: "thank_you")
        let late = try Self.email(step: "thank_you", sendAt: RenderFixtures.now.addingTimeInterval(3600))
        #expect(early.messageID != late.messageID, "the Message-ID follows the send time")
        #expect(KlaviyoEmailService.uniqueID(early) == KlaviyoEmailService.uniqueID(late))
        #expect(KlaviyoEmailService.uniqueID(early) != KlaviyoEmailService.uniqueID(try Self.email(step: "review")))
        #expect(KlaviyoEmailService.uniqueID(early).hasPrefix("tidings-"))
        #expect(KlaviyoEmailService.uniqueID(early).count == 8 + 32)
    }

    @Test("Metric names: Tidings and the flow in words")
    func metricNames() {
        #expect(KlaviyoEmailService.metricName(flow: "cartAbandoned") == "Tidings Cart Abandoned")
        #expect(KlaviyoEmailService.metricName(flow: "orderCreated") == "Tidings Order Created")
        #expect(KlaviyoEmailService.metricName(flow: "orderCancelled") == "Tidings Order Cancelled")
        #expect(KlaviyoEmailService.metricName(flow: "winBack") == "Tidings Win Back")
    }

    static func failure(_ status: Int, _ body: String = "") -> TransportResponse {
        TransportResponse(status: status, headers: ["content-type": "application/vnd.api+json"], body: Array(body.utf8))
    }

    @Test(
        "Answers map to codes: 429 throttled and 5xx upstream_failure retryable; 400 bad_request, 401/403 unauthorized not",
        arguments: [
            (429, DeliveryError.Code.throttled, true), (500, .upstreamFailure, true), (503, .upstreamFailure, true),
            (400, .badRequest, false), (404, .badRequest, false), (401, .unauthorized, false),
            (403, .unauthorized, false),
        ])
    func errors(_ status: Int, _ code: DeliveryError.Code, _ retryable: Bool) async throws {
        let transport = ScriptedResponses([Self.upserted, Self.failure(status)])
        let error = try await #require(throws: DeliveryError.self) {
            try await Self.service(transport).deliver(try Self.email())
        }
        #expect(error.code == code)
        #expect(error.isRetryable == retryable)
        #expect(error.service == "klaviyo")
        #expect(error.reason.hasPrefix("create event: HTTP \(status)"), "\(error)")
    }

    @Test("A JSON:API error's code, detail and pointer reach the reason, with addresses removed")
    func errorReason() {
        let body = #"""
            {"errors":[{"id":"1","status":400,"code":"invalid","title":"Invalid input.",
            "detail":"juergen@example.com is not a valid email","source":{"pointer":"/data/attributes/email"}}]}
            """#
        let error = KlaviyoEmailService.error(from: Self.failure(400, body), what: "profile upsert")
        #expect(
            error.reason
                == "profile upsert: HTTP 400 invalid: <address> is not a valid email (at /data/attributes/email)")
    }

    @Test("An upsert without data.id, no answer, or an HTML over 100 KB each fail as they should, before any event")
    func otherFailures() async throws {
        let empty = ScriptedResponses([TransportResponse(status: 200, body: Array("{}".utf8))])
        let noID = try await #require(throws: DeliveryError.self) {
            try await Self.service(empty).deliver(try Self.email())
        }
        #expect(noID.code == .upstreamFailure && noID.isRetryable)
        #expect(empty.requests.count == 1)

        struct Refused: HTTPTransport {
            func send(_ request: TransportRequest) async throws -> TransportResponse {
                throw TransportError(.timedOut, host: "a.klaviyo.com", detail: "no answer in 20 s")
            }
        }
        let unreachable = try await #require(throws: DeliveryError.self) {
            try await Self.service(Refused()).deliver(try Self.email())
        }
        #expect(unreachable.code == .unreachable && unreachable.isRetryable)
        #expect(unreachable.reason.contains("timed_out"))

        var big = try Self.email()
        big.html += String(repeating: "x", count: KlaviyoEmailService.maxPropertyBytes)
        let transport = ScriptedResponses([Self.upserted, Self.accepted])
        let tooBig = try await #require(throws: DeliveryError.self) {
            try await Self.service(transport).deliver(big)
        }
        #expect(tooBig.code == .badRequest && !tooBig.isRetryable)
        #expect(tooBig.reason.contains("html"))
        #expect(!transport.requests.contains { $0.url.hasSuffix("/api/events") })
    }

    @Test("A 429 is retried after its Retry-After through RetryingTransport, at most 1 + max retries times")
    func throttlingRetries() async throws {
        let throttled = TransportResponse(status: 429, headers: ["retry-after": "3"], body: [])
        let clock = ManualClock()
        func retrying(_ inner: ScriptedResponses) -> RetryingTransport {
            RetryingTransport(inner, clock: clock, sleep: { clock.advance($0) }, random: { $0.upperBound })
        }
        let recovering = ScriptedResponses([Self.upserted, throttled, Self.accepted])
        let start = clock.now
        _ = try await Self.service(retrying(recovering)).deliver(try Self.email())
        #expect(recovering.requests.count == 3)
        #expect(clock.now.timeIntervalSince(start) == 3, "waited what Retry-After asked")
        #expect(recovering.requests[1] == recovering.requests[2], "the same event, the same unique_id")
    }

    @Test("A message read back from the outbox (the dispatcher's) carries the same subject, text, HTML and link")
    func readBack() async throws {
        var request = RenderFixtures.request(subject: "Jürgen, Ihre Laufschuhe warten noch – mit Rabatt für Sie")
        request.step = "review_request"
        let email = try RenderFixtures.render(request)
        let raw = MIMEMessage.serialize(email)
        let parts = try #require(MIMEMessage.read(raw))
        #expect(parts.subject == email.subject)
        #expect(parts.html == email.html)
        #expect(parts.text == email.text)
        #expect(parts.unsubscribeURL == email.unsubscribeURL)

        // What OutboxMessage.read builds: headers and bytes, no bodies.
        var dispatched = RenderedEmail(
            messageID: email.messageID, from: email.from, to: email.to, subject: "=?utf-8?B?...?=", preheader: "",
            html: "", text: "", unsubscribeURL: "", unsubscribeMailto: "", date: email.date, sendAt: email.sendAt,
            extraHeaders: email.extraHeaders)
        dispatched.rawMessage = raw
        let content = KlaviyoEmailService.Content(dispatched)
        #expect(content.subject == email.subject)
        #expect(content.html == email.html)
        #expect(content.unsubscribeURL == email.unsubscribeURL)
        #expect(KlaviyoEmailService.uniqueID(dispatched) == KlaviyoEmailService.uniqueID(email))
    }

    @Test("Settings: the key (or its file) is required, the base URL and timeout are checked, naming the variable")
    func settings() throws {
        func key(_ environment: [String: String]) -> String? {
            do {
                _ = try EmailSettings.load(environment: environment)
                return nil
            } catch {
                return error.key
            }
        }
        let base = ["TIDINGS_ESP": "klaviyo", "KLAVIYO_API_KEY": "pk_live_abc"]
        let settings = try #require(try EmailSettings.load(environment: base).klaviyo)
        #expect(settings.baseURL == "https://a.klaviyo.com")
        #expect(settings.timeout == 20)
        #expect(!"\(settings.apiKey)".contains("pk_live_abc"), "the key is redacted when printed")
        #expect(key([:].merging(["TIDINGS_ESP": "klaviyo"]) { $1 }) == "KLAVIYO_API_KEY")
        #expect(key(base.merging(["KLAVIYO_API_KEY": "pk live"]) { $1 }) == "KLAVIYO_API_KEY")
        #expect(key(base.merging(["KLAVIYO_BASE_URL": "ftp://a.klaviyo.com"]) { $1 }) == "KLAVIYO_BASE_URL")
        #expect(key(base.merging(["KLAVIYO_TIMEOUT_SECONDS": "90"]) { $1 }) == "KLAVIYO_TIMEOUT_SECONDS")
        let local = try #require(
            try EmailSettings.load(
                environment: base.merging([
                    "KLAVIYO_BASE_URL": "http://127.0.0.1:8080/", "KLAVIYO_TIMEOUT_SECONDS": "5",
                ]) {
                    $1
                }
            ).klaviyo)
        #expect(local.baseURL == "http://127.0.0.1:8080")
        #expect(local.timeout == 5)
        try RenderFixtures.withTemporaryDirectorySync { folder in
            let file = folder.appendingPathComponent("key")
            try Data("pk_from_file\n".utf8).write(to: file)
            let fromFile = try #require(
                try EmailSettings.load(environment: ["TIDINGS_ESP": "klaviyo", "KLAVIYO_API_KEY_FILE": file.path])
                    .klaviyo)
            #expect(fromFile.apiKey.bytes == Array("pk_from_file".utf8))
        }
    }
}
