import Foundation
import Testing

@testable import TidingsCore

/// The wire formats of the two ESPs that schedule: the bodies Tidings sends and what each answer
/// means, pinned without a network (the loopback fake checks the same bodies against the
/// descriptions in TidingsRuntimeTests).
@Suite("Mandrill and Braze wire formats")
struct SchedulingESPWireTests {
    static func response(_ status: Int, _ body: String) -> TransportResponse {
        TransportResponse(status: status, headers: ["content-type": "application/json"], body: Array(body.utf8))
    }

    static func email(series: String? = "order-1042") throws -> RenderedEmail {
        var email = try RenderFixtures.render()
        if let series { email.extraHeaders.append(.init("X-Tidings-Series", series)) }
        email.rawMessage = MIMEMessage.serialize(email)
        return email
    }

    @Test("send-raw: key, sorted members, async false, send_at in Mandrill's form, the message after X-MC-Metadata")
    func mandrillSendBody() throws {
        let email = try Self.email()
        let sendAt = Date(timeIntervalSince1970: 1_795_964_400)  // 2026-11-29T15:00:00Z
        let bytes = MandrillEmailService.sendBody(email, key: Secret("k-1"), sendAt: sendAt)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix(#"{"async":false,"from_email":"hello@northwind.example","key":"k-1","raw_message":"#))
        let members = try #require(try JSONParser.parse(bytes).objectValue)
        #expect(members["send_at"]?.stringValue == "2026-11-29 15:00:00")
        #expect(members["to"] == .array([.string("juergen@example.com")]))
        let raw = try #require(members["raw_message"]?.stringValue)
        let metadata = #"X-MC-Metadata: {"event_id":"evt-1001","flow":"cartAbandoned","series":"order-1042"}"# + "\r\n"
        #expect(raw.hasPrefix(metadata), "\(raw.prefix(120))")
        #expect(Data(raw.utf8.dropFirst(metadata.utf8.count)) == email.rawMessage)
        // Due now: no send_at member at all.
        let now = try #require(
            try JSONParser.parse(MandrillEmailService.sendBody(email, key: Secret("k"), sendAt: nil)).objectValue)
        #expect(now["send_at"] == nil)
    }

    @Test("Metadata stays within Mandrill's 200 bytes by dropping the series, then the flow")
    func metadataLimit() throws {
        let long = try Self.email(series: String(repeating: "s", count: 180))
        let header = try #require(MandrillEmailService.metadataHeader(long))
        #expect(header == #"X-MC-Metadata: {"event_id":"evt-1001","flow":"cartAbandoned"}"# + "\r\n")
    }

    @Test(
        "Each recipient status and error name means what the description says",
        arguments: [
            (
                200, #"[{"email":"a@b.example","status":"rejected","reject_reason":"unsub","_id":"m1"}]"#,
                DeliveryError.Code.messageRejected, false, "rejected: unsub"
            ),
            (200, #"[{"email":"a@b.example","status":"invalid","_id":"m1"}]"#, .messageRejected, false, "invalid"),
            (
                401, #"{"status":"error","code":401,"name":"Invalid_Key","message":"Invalid API key"}"#, .unauthorized,
                false, "Invalid_Key"
            ),
            (
                402, #"{"status":"error","code":10,"name":"PaymentRequired","message":"no balance"}"#,
                .accountSuspended, false, "PaymentRequired"
            ),
            (
                500, #"{"status":"error","code":-2,"name":"ValidationError","message":"bad email x@y.example"}"#,
                .badRequest, false, "<address>"
            ),
            (
                429, #"{"status":"error","code":429,"name":"RequestLimitExceeded","message":"slow"}"#, .throttled, true,
                "RequestLimitExceeded"
            ),
            (
                500, #"{"status":"error","code":-1,"name":"GeneralError","message":"oops"}"#, .upstreamFailure, true,
                "GeneralError"
            ),
            (200, #"{"not":"an array"}"#, .upstreamFailure, false, "without a recipient status"),
        ])
    func mandrillAnswers(
        status: Int, body: String, code: DeliveryError.Code, retryable: Bool, reason: String
    ) throws {
        #expect {
            _ = try MandrillEmailService.receipt(from: Self.response(status, body))
        } throws: { error in
            guard let error = error as? DeliveryError else { return false }
            return error.code == code && error.isRetryable == retryable && error.service == "mandrill"
                && error.reason.contains(reason) && !error.reason.contains("x@y.example")
        }
    }

    @Test("sent, queued and scheduled are accepted, with Mandrill's _id as the reference")
    func mandrillAccepted() throws {
        for status in ["sent", "queued", "scheduled"] {
            let receipt = try MandrillEmailService.receipt(
                from: Self.response(200, #"[{"email":"a@b.example","status":"\#(status)","_id":"abc123"}]"#))
            #expect(receipt == DeliveryReceipt(service: "mandrill", reference: "abc123"))
        }
    }

    @Test("Braze messages body: the customer from the unsubscribe link, the email object, schedule.time in ISO 8601")
    func brazeBody() throws {
        let email = try Self.email()
        let customer = try #require(
            URLComponents(string: email.unsubscribeURL)?.queryItems?.first { $0.name == "c" }?.value)
        let service = BrazeEmailService(
            endpoint: "https://rest.iad-01.braze.com/", apiKey: Secret("k"), mode: .messages(appID: "app-1"),
            transport: NoTransport(), ledger: JSONLScheduledSendLedger(directory: URL(fileURLWithPath: "/nonexistent")))
        let body = try #require(
            try JSONParser.parse(service.requestBody(email, scheduleTime: RenderFixtures.now)).objectValue)
        #expect(body["external_user_ids"] == .array([.string(customer)]))
        #expect(body["schedule"] == .object(["time": "2026-11-18T11:06:40Z"]))
        let object = try #require(body["messages"]?.objectValue?["email"]?.objectValue)
        #expect(object["app_id"] == "app-1")
        #expect(object["from"]?.stringValue?.hasSuffix("<hello@northwind.example>") == true)
        #expect(object["body"]?.stringValue == email.html)
        #expect(object["plaintext_body"]?.stringValue == email.text)
        #expect(object["preheader"]?.stringValue == email.preheader)
        #expect(
            object["headers"]?.objectValue?["List-Unsubscribe"]?.stringValue
                == "<\(email.unsubscribeURL)>, <\(email.unsubscribeMailto)>")
        #expect(object["extras"]?.objectValue?["event_id"] == "evt-1001")
        #expect(service.path(scheduled: true) == "/messages/schedule/create")
        #expect(service.deletePath == "/messages/schedule/delete")
    }

    @Test("Braze: success is accepted; other answers are errors by status")
    func brazeAnswers() throws {
        #expect(
            try BrazeEmailService.accepted(Self.response(201, #"{"message":"success","dispatch_id":"d"}"#))[
                "dispatch_id"] == "d")
        for (status, body, code, retryable) in [
            (200, #"{"message":"queued"}"#, DeliveryError.Code.upstreamFailure, false),
            (400, #"{"message":"Invalid"}"#, .badRequest, false),
            (401, #"{"message":"Invalid API key"}"#, .unauthorized, false),
            (429, #"{"message":"slow down"}"#, .throttled, true),
            (503, "", .upstreamFailure, true),
        ] {
            #expect {
                _ = try BrazeEmailService.accepted(Self.response(status, body))
            } throws: { error in
                (error as? DeliveryError)?.code == code && (error as? DeliveryError)?.isRetryable == retryable
            }
        }
    }

    struct NoTransport: HTTPTransport {
        func send(_ request: TransportRequest) async throws -> TransportResponse {
            throw TransportError(.connectFailed, host: "none", detail: "no network in this test")
        }
    }
}
