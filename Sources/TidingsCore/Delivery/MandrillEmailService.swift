import Foundation

/// Mailchimp Transactional (Mandrill) as the `EmailService` (`TIDINGS_ESP=mandrill`):
/// `messages/send-raw` with the exact RFC 5322 bytes Tidings rendered, so List-Unsubscribe,
/// List-Unsubscribe-Post and the X-Tidings headers arrive as written. Mandrill schedules: a step
/// whose time is more than `tolerance` away goes with `send_at`, is recorded in the
/// `ScheduledSendLedger` under its series, and `cancelScheduled` calls `messages/cancel-scheduled`
/// for each of the series' steps still ahead. docs/decisions/scheduled-sends.md says why send-raw,
/// what the metadata header carries, and what a crash between hand-over and audit means.
package struct MandrillEmailService: EmailService {
    /// The API's base without a trailing slash (`https://mandrillapp.com/api/1.0`).
    package let baseURL: String
    /// The API key, sent as the body's `key`.
    package let apiKey: Secret
    /// The HTTP transport; production wraps libcurl in `RetryingTransport`, which retries 429 and 5xx.
    package let transport: any HTTPTransport
    /// Where each scheduled step's Mandrill id is kept for a later cancellation.
    package let ledger: any ScheduledSendLedger
    /// Tells whether a send time has come.
    package let clock: any TimeSource
    /// Seconds of lead a send time may have and still go at once (default 60, as the outbox's).
    package let tolerance: TimeInterval

    /// `messages/send-raw` (transactional.openapi.json, operation messages/send-raw).
    package static let sendRawPath = "/messages/send-raw"
    /// `messages/cancel-scheduled`.
    package static let cancelPath = "/messages/cancel-scheduled"
    /// Mandrill keeps at most 200 bytes of JSON metadata per message.
    static let metadataLimit = 200

    /// A service at `baseURL` (no trailing slash needed).
    package init(
        baseURL: String, apiKey: Secret, transport: any HTTPTransport, ledger: any ScheduledSendLedger,
        clock: any TimeSource = SystemClock(), tolerance: TimeInterval = 60
    ) {
        self.baseURL = ModelEndpoint.trimmed(baseURL)
        self.apiKey = apiKey
        self.transport = transport
        self.ledger = ledger
        self.clock = clock
        self.tolerance = tolerance
    }

    /// True: Mandrill holds a message until its `send_at`.
    package var holdsScheduledMessages: Bool { true }

    /// Sends the email, or schedules it when `sendAt` is ahead. Returns a receipt with service
    /// "mandrill" and Mandrill's message `_id`. Throws `DeliveryError` (service "mandrill"): a
    /// recipient `rejected` or `invalid` is `.messageRejected`, not retryable, with the
    /// `reject_reason`; an error body maps by its `name` (`errorCode`); no answer is `.unreachable`.
    package func deliver(_ email: RenderedEmail) async throws -> DeliveryReceipt {
        let sendAt = email.sendAt.timeIntervalSince(clock.now) > tolerance ? email.sendAt : nil
        let response = try await post(Self.sendRawPath, body: Self.sendBody(email, key: apiKey, sendAt: sendAt))
        let receipt = try Self.receipt(from: response)
        if let sendAt, let series = Self.series(of: email) {
            do {
                try ledger.record(
                    ScheduledSend(service: "mandrill", reference: receipt.reference, sendAt: sendAt), series: series)
            } catch {
                // Mandrill holds the step; sending again would schedule it twice. Not retryable,
                // and the reason names the id so a person can cancel it by hand.
                throw DeliveryError(
                    service: "mandrill",
                    reason: "scheduled as \(receipt.reference) but the series ledger could not record it: \(error)",
                    isRetryable: false, code: .other)
            }
        }
        return receipt
    }

    /// Cancels the series' steps the ledger holds whose send time is after `after`, one
    /// `messages/cancel-scheduled` each; returns the ids Mandrill cancelled. An `Unknown_Message`
    /// answer (already sent or already cancelled) is marked in the ledger and is not an error.
    /// Throws `DeliveryError` for any other failure; the steps cancelled before it stay marked.
    package func cancelScheduled(series: String, after: Date) async throws -> [String] {
        var cancelled: [String] = []
        for send in try ledger.pending(series: series) where send.service == "mandrill" && send.sendAt > after {
            let response = try await post(Self.cancelPath, body: Self.cancelBody(id: send.reference, key: apiKey))
            if !(200...299).contains(response.status) {
                let error = Self.error(from: response)
                guard Self.errorName(response) == "Unknown_Message" else { throw error }
            } else {
                cancelled.append(send.reference)
            }
            try ledger.markCancelled(reference: send.reference, series: series)
        }
        return cancelled
    }

    func post(_ path: String, body: [UInt8]) async throws -> TransportResponse {
        let request = TransportRequest(
            method: "POST", url: baseURL + path, headers: ["Content-Type": "application/json"], body: body)
        do {
            return try await transport.send(request)
        } catch let error as TransportError {
            throw DeliveryError(
                service: "mandrill", reason: "no answer from \(error.host): \(error.code.rawValue)",
                isRetryable: error.isRetryable, code: .unreachable)
        }
    }

    /// The series key of an email (X-Tidings-Series); nil for a single message.
    static func series(of email: RenderedEmail) -> String? {
        email.extraHeaders.first { $0.name == "X-Tidings-Series" }?.value
    }

    /// The `messages/send-raw` body (MessagesSendRawRequest): `key`, `raw_message` (the rendered
    /// message after an `X-MC-Metadata` header), `from_email`, `to`, `async` false and, for a
    /// scheduled step, `send_at` as "YYYY-MM-DD HH:MM:SS" UTC. Keys sorted, so the bytes are stable.
    package static func sendBody(_ email: RenderedEmail, key: Secret, sendAt: Date?) -> [UInt8] {
        let rendered = email.rawMessage ?? MIMEMessage.serialize(email)
        var raw = Data()
        if let metadata = metadataHeader(email) { raw.append(contentsOf: Array(metadata.utf8)) }
        raw.append(rendered)
        var body: [String: JSONValue] = [
            "key": .string(String(decoding: key.bytes, as: UTF8.self)),
            "raw_message": .string(String(decoding: raw, as: UTF8.self)),
            "from_email": .string(email.from.address),
            "to": [.string(email.to.address)],
            "async": false,
        ]
        if let sendAt { body["send_at"] = .string(sendAtText(sendAt)) }
        return encode(body)
    }

    /// The `messages/cancel-scheduled` body: `key` and `id`.
    package static func cancelBody(id: String, key: Secret) -> [UInt8] {
        encode(["key": .string(String(decoding: key.bytes, as: UTF8.self)), "id": .string(id)])
    }

    /// `send_at`'s form: "2026-11-29 15:00:00", UTC, to the second.
    package static func sendAtText(_ date: Date) -> String {
        Timestamp.civil(seconds: Int(date.timeIntervalSince1970.rounded(.down))).replacingOccurrences(
            of: "T", with: " ")
    }

    /// `X-MC-Metadata: {...}\r\n` with `event_id`, `flow` and `series` from the X-Tidings headers:
    /// Mandrill reads the X-MC-* headers of a raw message as it does over SMTP, keeps the metadata
    /// with the message and sends it with every webhook. Members are dropped from the end (series,
    /// then flow) to stay within Mandrill's 200 bytes; nil when nothing is left.
    package static func metadataHeader(_ email: RenderedEmail) -> String? {
        var members: [(String, String)] = []
        for (name, header) in [
            ("event_id", "X-Tidings-Event-Id"), ("flow", "X-Tidings-Flow"), ("series", "X-Tidings-Series"),
        ] {
            if let value = email.extraHeaders.first(where: { $0.name == header })?.value, !value.isEmpty {
                members.append((name, value.filter { $0 != "\r" && $0 != "\n" }))
            }
        }
        while !members.isEmpty {
            let json = String(
                decoding: encode(
                    .object(Dictionary(uniqueKeysWithValues: members.map { ($0.0, JSONValue.string($0.1)) }))),
                as: UTF8.self)
            if json.utf8.count <= metadataLimit { return "X-MC-Metadata: \(json)\r\n" }
            members.removeLast()
        }
        return nil
    }

    static func encode(_ value: [String: JSONValue]) -> [UInt8] { encode(.object(value)) }

    static func encode(_ value: JSONValue) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a JSONValue cannot fail.
        return Array((try? encoder.encode(value)) ?? Data())
    }

    /// The receipt in a 200's result for the recipient, or the `DeliveryError` the answer means.
    package static func receipt(from response: TransportResponse) throws -> DeliveryReceipt {
        guard (200...299).contains(response.status) else { throw error(from: response) }
        guard case .array(let results)? = try? JSONParser.parse(response.body), let first = results.first?.objectValue,
            let status = first["status"]?.stringValue
        else {
            // The message may have gone: sending it again could send it twice.
            throw DeliveryError(
                service: "mandrill", reason: "HTTP \(response.status) without a recipient status", isRetryable: false,
                code: .upstreamFailure)
        }
        let id = first["_id"]?.stringValue ?? ""
        switch status {
        case "sent", "queued", "scheduled":
            guard !id.isEmpty else {
                throw DeliveryError(
                    service: "mandrill", reason: "status \(status) without an _id", isRetryable: false,
                    code: .upstreamFailure)
            }
            return DeliveryReceipt(service: "mandrill", reference: id)
        case "rejected":
            let reason = first["reject_reason"]?.stringValue ?? "no reject_reason"
            throw DeliveryError(
                service: "mandrill", reason: "recipient rejected: \(reason.prefix(60))", isRetryable: false,
                code: .messageRejected)
        case "invalid":
            throw DeliveryError(
                service: "mandrill", reason: "recipient invalid", isRetryable: false, code: .messageRejected)
        default:
            throw DeliveryError(
                service: "mandrill", reason: "unknown recipient status '\(status.prefix(40))'", isRetryable: false,
                code: .upstreamFailure)
        }
    }

    /// The `name` of Mandrill's error body (`{"status":"error","code":..,"name":..,"message":..}`).
    static func errorName(_ response: TransportResponse) -> String? {
        (try? JSONParser.parse(response.body))?.objectValue?["name"]?.stringValue
    }

    /// What an error name (else the HTTP status) means: Invalid_Key is `.unauthorized`,
    /// PaymentRequired `.accountSuspended`, ValidationError, Unknown_Subaccount and Unknown_Message
    /// `.badRequest`, RequestLimitExceeded (or 429) `.throttled`, GeneralError, ServiceUnavailable
    /// and other 5xx `.upstreamFailure`.
    package static func errorCode(name: String?, status: Int) -> DeliveryError.Code {
        switch (name, status) {
        case ("Invalid_Key", _), (nil, 401), (nil, 403): return .unauthorized
        case ("PaymentRequired", _), (nil, 402): return .accountSuspended
        case ("RequestLimitExceeded", _), (_, 429): return .throttled
        case ("ValidationError", _), ("Unknown_Subaccount", _), ("Unknown_Message", _): return .badRequest
        case ("GeneralError", _), ("ServiceUnavailable", _), (_, 500...599): return .upstreamFailure
        default: return .badRequest
        }
    }

    static func error(from response: TransportResponse) -> DeliveryError {
        let members = (try? JSONParser.parse(response.body))?.objectValue ?? [:]
        let name = members["name"]?.stringValue
        let code = errorCode(name: name, status: response.status)
        var reason = "HTTP \(response.status) \(name ?? "without an error name")"
        if let message = members["message"]?.stringValue, !message.isEmpty {
            reason += ": \(SESEmailService.redactingAddresses(String(message.prefix(200))))"
        }
        return DeliveryError(
            service: "mandrill", reason: reason, isRetryable: [.throttled, .upstreamFailure].contains(code), code: code)
    }
}
