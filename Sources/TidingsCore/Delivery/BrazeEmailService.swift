import Foundation

/// Braze as the `EmailService` (`TIDINGS_ESP=braze`). Braze sends to a user profile, not an
/// address: the recipient is the platform customer id as `external_user_id` (the `c` of the
/// email's signed unsubscribe link). Two modes:
///
/// - messages (`BRAZE_APP_ID`): `/messages/send` with an `email` messages object carrying the
///   rendered subject, HTML, text, preheader, the List-Unsubscribe headers and the event id in
///   `extras`; a later step goes to `/messages/schedule/create` with `schedule.time`.
/// - campaign (`BRAZE_CAMPAIGN_ID`): `/campaigns/trigger/send` with the rendered parts as the
///   recipient's `trigger_properties`, which the campaign's template places; a later step goes to
///   `/campaigns/trigger/schedule/create`.
///
/// A scheduled step's `schedule_id` is recorded in the `ScheduledSendLedger` under its series and
/// `cancelScheduled` deletes it. Braze's `{"message":"success"}` means accepted, not delivered.
/// Tests/Fixtures/specs/braze/README.md lists the fields relied on, with their sources.
package struct BrazeEmailService: EmailService {
    /// Which endpoints carry the email.
    package enum Mode: Sendable, Hashable {
        /// `/messages/send` with the content; `appID` is the email object's `app_id`.
        case messages(appID: String)
        /// `/campaigns/trigger/send` of an API-triggered campaign.
        case campaign(id: String)
    }

    /// The workspace's REST endpoint without a trailing slash.
    package let endpoint: String
    /// The REST API key, sent as `Authorization: Bearer`.
    package let apiKey: Secret
    /// Messages or campaign.
    package let mode: Mode
    /// The HTTP transport; production wraps libcurl in `RetryingTransport`, which retries 429 and 5xx.
    package let transport: any HTTPTransport
    /// Where each scheduled step's `schedule_id` is kept for a later cancellation.
    package let ledger: any ScheduledSendLedger
    /// Tells whether a send time has come.
    package let clock: any TimeSource
    /// Seconds of lead a send time may have and still go at once (default 60, as the outbox's).
    package let tolerance: TimeInterval

    /// A service at `endpoint` (no trailing slash needed).
    package init(
        endpoint: String, apiKey: Secret, mode: Mode, transport: any HTTPTransport, ledger: any ScheduledSendLedger,
        clock: any TimeSource = SystemClock(), tolerance: TimeInterval = 60
    ) {
        self.endpoint = ModelEndpoint.trimmed(endpoint)
        self.apiKey = apiKey
        self.mode = mode
        self.transport = transport
        self.ledger = ledger
        self.clock = clock
        self.tolerance = tolerance
    }

    /// True: Braze holds a scheduled message until its time.
    package var holdsScheduledMessages: Bool { true }

    /// The path of a send (`scheduled` false) or a schedule creation in the service's mode.
    package func path(scheduled: Bool) -> String {
        switch (mode, scheduled) {
        case (.messages, false): "/messages/send"
        case (.messages, true): "/messages/schedule/create"
        case (.campaign, false): "/campaigns/trigger/send"
        case (.campaign, true): "/campaigns/trigger/schedule/create"
        }
    }

    /// The path that deletes a schedule in the service's mode.
    package var deletePath: String {
        switch mode {
        case .messages: "/messages/schedule/delete"
        case .campaign: "/campaigns/trigger/schedule/delete"
        }
    }

    /// Sends the email, or schedules it when `sendAt` is ahead. Returns a receipt with service
    /// "braze" and the `dispatch_id` (a send) or `schedule_id` (a schedule). Throws
    /// `DeliveryError` (service "braze"): an email without a customer id, Braze's errors by HTTP
    /// status (`error(from:)`), no answer as `.unreachable`.
    package func deliver(_ email: RenderedEmail) async throws -> DeliveryReceipt {
        let scheduled = email.sendAt.timeIntervalSince(clock.now) > tolerance
        let body = try requestBody(email, scheduleTime: scheduled ? email.sendAt : nil)
        let response = try await post(path(scheduled: scheduled), body: body)
        let members = try Self.accepted(response)
        let idName = scheduled ? "schedule_id" : "dispatch_id"
        guard let id = members[idName]?.stringValue, !id.isEmpty else {
            throw DeliveryError(
                service: "braze", reason: "HTTP \(response.status) success without a \(idName)", isRetryable: false,
                code: .upstreamFailure)
        }
        if scheduled, let series = email.extraHeaders.first(where: { $0.name == "X-Tidings-Series" })?.value {
            do {
                try ledger.record(ScheduledSend(service: "braze", reference: id, sendAt: email.sendAt), series: series)
            } catch {
                throw DeliveryError(
                    service: "braze",
                    reason: "scheduled as \(id) but the series ledger could not record it: \(error)",
                    isRetryable: false, code: .other)
            }
        }
        return DeliveryReceipt(service: "braze", reference: id)
    }

    /// Deletes the series' schedules the ledger holds whose time is after `after`; returns their
    /// ids. Braze answers a schedule that already went or was deleted with a 4xx, which is marked
    /// in the ledger and is not an error; a 429, 5xx or no answer throws.
    package func cancelScheduled(series: String, after: Date) async throws -> [String] {
        var deleted: [String] = []
        for send in try ledger.pending(series: series) where send.service == "braze" && send.sendAt > after {
            var body: [String: JSONValue] = ["schedule_id": .string(send.reference)]
            if case .campaign(let id) = mode { body["campaign_id"] = .string(id) }
            let response = try await post(deletePath, body: MandrillEmailService.encode(body))
            do {
                _ = try Self.accepted(response)
                deleted.append(send.reference)
            } catch let error as DeliveryError where error.code == .badRequest {
                // Gone already (sent or deleted): nothing left to stop.
            }
            try ledger.markCancelled(reference: send.reference, series: series)
        }
        return deleted
    }

    /// The JSON body of a send or schedule creation for `email` in the service's mode; with
    /// `scheduleTime`, a `schedule` object with `time` in ISO 8601 UTC. Keys sorted.
    package func requestBody(_ email: RenderedEmail, scheduleTime: Date?) throws -> [UInt8] {
        guard let customer = OutboxMessage.unsubscribeCustomer("<\(email.unsubscribeURL)>") else {
            throw DeliveryError(
                service: "braze", reason: "the email names no customer id (c= of its unsubscribe link)",
                isRetryable: false, code: .badRequest)
        }
        var body: [String: JSONValue]
        switch mode {
        case .messages(let appID):
            var message: [String: JSONValue] = [
                "app_id": .string(appID),
                "subject": .string(email.subject),
                "from": .string(Self.fromValue(email.from)),
                "body": .string(email.html),
                "plaintext_body": .string(email.text),
                "preheader": .string(email.preheader),
                "headers": [
                    "List-Unsubscribe": .string("<\(email.unsubscribeURL)>, <\(email.unsubscribeMailto)>"),
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                ],
            ]
            let extras = Self.extras(email)
            if !extras.isEmpty { message["extras"] = .object(extras) }
            body = ["external_user_ids": [.string(customer)], "messages": ["email": .object(message)]]
        case .campaign(let id):
            var properties = Self.extras(email)
            properties["subject"] = .string(email.subject)
            properties["preheader"] = .string(email.preheader)
            properties["html"] = .string(email.html)
            properties["text"] = .string(email.text)
            properties["unsubscribe_url"] = .string(email.unsubscribeURL)
            body = [
                "campaign_id": .string(id),
                "recipients": [["external_user_id": .string(customer), "trigger_properties": .object(properties)]],
            ]
        }
        if let scheduleTime {
            body["schedule"] = ["time": .string(Timestamp.format(scheduleTime, milliseconds: false))]
        }
        return MandrillEmailService.encode(body)
    }

    /// `event_id`, `flow`, `series` and `step` from the X-Tidings headers, those present.
    static func extras(_ email: RenderedEmail) -> [String: JSONValue] {
        var extras: [String: JSONValue] = [:]
        for (name, header) in [
            ("event_id", "X-Tidings-Event-Id"), ("flow", "X-Tidings-Flow"), ("series", "X-Tidings-Series"),
            ("step", "X-Tidings-Step"),
        ] {
            if let value = email.extraHeaders.first(where: { $0.name == header })?.value {
                extras[name] = .string(value)
            }
        }
        return extras
    }

    /// "Display Name <address>", the form the email object's `from` takes; the bare address
    /// without a name.
    static func fromValue(_ mailbox: Mailbox) -> String {
        guard let name = mailbox.name, !name.isEmpty else { return mailbox.address }
        return "\(name.filter { $0 != "<" && $0 != ">" && $0 != "\"" }) <\(mailbox.address)>"
    }

    func post(_ path: String, body: [UInt8]) async throws -> TransportResponse {
        let request = TransportRequest(
            method: "POST", url: endpoint + path,
            headers: [
                "Content-Type": "application/json",
                "Authorization": "Bearer " + String(decoding: apiKey.bytes, as: UTF8.self),
            ], body: body)
        do {
            return try await transport.send(request)
        } catch let error as TransportError {
            throw DeliveryError(
                service: "braze", reason: "no answer from \(error.host): \(error.code.rawValue)",
                isRetryable: error.isRetryable, code: .unreachable)
        }
    }

    /// The answer's members when it is a 2xx whose `message` is "success" (Braze's "accepted":
    /// queued for sending, not delivered); else the `DeliveryError` it means.
    package static func accepted(_ response: TransportResponse) throws -> [String: JSONValue] {
        let members = (try? JSONParser.parse(response.body))?.objectValue ?? [:]
        guard (200...299).contains(response.status) else { throw error(from: response, members: members) }
        guard members["message"]?.stringValue == "success" else {
            throw DeliveryError(
                service: "braze",
                reason:
                    "HTTP \(response.status) without message success: \((members["message"]?.stringValue ?? "no message").prefix(120))",
                isRetryable: false, code: .upstreamFailure)
        }
        return members
    }

    /// Braze's errors by HTTP status (its documented error responses): 401 and 403 `.unauthorized`,
    /// 429 `.throttled`, 5xx `.upstreamFailure` (these two retryable), any other 4xx `.badRequest`.
    static func error(from response: TransportResponse, members: [String: JSONValue]) -> DeliveryError {
        let code: DeliveryError.Code
        switch response.status {
        case 401, 403: code = .unauthorized
        case 429: code = .throttled
        case 500...599: code = .upstreamFailure
        default: code = .badRequest
        }
        var reason = "HTTP \(response.status)"
        if let message = members["message"]?.stringValue, !message.isEmpty {
            reason += ": \(SESEmailService.redactingAddresses(String(message.prefix(200))))"
        }
        return DeliveryError(
            service: "braze", reason: reason, isRetryable: [.throttled, .upstreamFailure].contains(code), code: code)
    }
}
