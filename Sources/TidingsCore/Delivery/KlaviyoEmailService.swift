import Crypto
import Foundation

/// Klaviyo as the `EmailService` (`TIDINGS_ESP=klaviyo`): Tidings writes and renders the email,
/// Klaviyo sends it. Each hand-over is two JSON:API calls of revision 2026-07-15: the recipient's
/// profile is upserted (`POST /api/profile-import`), then an event is created (`POST /api/events`)
/// on the flow's metric ("Tidings Cart Abandoned", ...) with the subject, preheader, text and
/// rendered HTML in its properties; a Klaviyo flow triggered by that metric sends the email
/// (deploy/klaviyo.md). The event's `unique_id` is the message's identity (event id, flow, step),
/// so a redelivered event or a retried request is recorded by Klaviyo once.
/// docs/decisions/klaviyo.md says why and what is left.
///
/// Klaviyo cannot hold a message until a time, so like SES a later step of a series stays in the
/// scheduled outbox and the dispatcher hands it over when due; `cancelScheduled` has nothing at
/// Klaviyo to stop.
package struct KlaviyoEmailService: EmailService {
    /// The API revision every request names in its `revision` header (the spec's `info.version`).
    package static let revision = "2026-07-15"
    /// JSON:API's media type, the `accept` and `content-type` of every request.
    package static let mediaType = "application/vnd.api+json"
    /// The upsert's path (create_or_update_profile).
    package static let profilePath = "/api/profile-import"
    /// Create Event's path (create_event).
    package static let eventPath = "/api/events"
    /// Klaviyo's limit on one string of an event's properties (100 KB, the spec's `properties`).
    package static let maxPropertyBytes = 100 * 1024

    /// The API's base URL without a trailing slash (`https://a.klaviyo.com`).
    package let baseURL: String
    private let apiKey: Secret
    /// The HTTP transport; production wraps libcurl in `RetryingTransport`, which retries 429s
    /// (after their Retry-After) and 5xx.
    package let transport: any HTTPTransport

    /// A service at `baseURL` with the private API key `apiKey`.
    package init(baseURL: String, apiKey: Secret, transport: any HTTPTransport) {
        self.baseURL = ModelEndpoint.trimmed(baseURL)
        self.apiKey = apiKey
        self.transport = transport
    }

    /// Upserts the profile, then creates the event. Returns a receipt with service "klaviyo" and
    /// the event's `unique_id` as the reference (Create Event answers 202 with no body). Throws
    /// `DeliveryError` (service "klaviyo"): a 429 is `throttled` and a 5xx `upstream_failure`
    /// (retryable, and safe to retry: the unique_id makes a second event a no-op), no answer
    /// `unreachable`, 401/403 `unauthorized`, another 4xx or an email Klaviyo cannot take
    /// (a string over 100 KB) `bad_request`.
    package func deliver(_ email: RenderedEmail) async throws -> DeliveryReceipt {
        let content = Content(email)
        let profile = try await exchange(profileRequest(email), what: "profile upsert")
        guard let profileID = Self.profileID(in: profile) else {
            // The upsert is idempotent, so asking again is safe.
            throw DeliveryError(
                service: "klaviyo", reason: "profile upsert: HTTP \(profile.status) without data.id",
                isRetryable: true, code: .upstreamFailure)
        }
        let request = try eventRequest(email, content: content, profileID: profileID)
        _ = try await exchange(request, what: "create event")
        return DeliveryReceipt(service: "klaviyo", reference: Self.uniqueID(email))
    }

    /// Returns []: Klaviyo cannot schedule, so no step of a series waits there (see the type's note).
    package func cancelScheduled(series: String, after: Date) async throws -> [String] { [] }

    /// The metric an email's flow creates its events on: "Tidings " and the flow's name in words
    /// ("cartAbandoned" -> "Tidings Cart Abandoned"). One per flow, so a shop builds one Klaviyo
    /// flow per Tidings flow; the steps of a series share it and differ in the `step` property.
    package static func metricName(flow: String) -> String {
        var words: [String] = []
        for character in flow {
            if character.isUppercase || words.isEmpty {
                words.append(String(character).uppercased())
            } else {
                words[words.count - 1].append(character)
            }
        }
        return (["Tidings"] + words).joined(separator: " ")
    }

    /// The event's `unique_id`: "tidings-" and 32 hex digits of SHA-256 over the event id, flow and
    /// step (X-Tidings-Event-Id, -Flow, -Step). The same event and step give the same id however
    /// often and whenever they are handled; the Message-ID would not, as it includes the send time,
    /// which a win-back or cancellation email takes from the moment it is handled.
    package static func uniqueID(_ email: RenderedEmail) -> String {
        let eventID = header("X-Tidings-Event-Id", of: email) ?? email.messageID
        let seed = [eventID, header("X-Tidings-Flow", of: email) ?? "", header("X-Tidings-Step", of: email) ?? ""]
            .joined(separator: "\n")
        return "tidings-" + Hex.encode(SHA256.hash(data: Data(seed.utf8)).prefix(16))
    }

    /// The upsert request: the recipient's email address, and the first word of the display name
    /// as first name when there is one.
    package func profileRequest(_ email: RenderedEmail) -> TransportRequest {
        var attributes: [String: JSONValue] = ["email": .string(email.to.address)]
        if let first = email.to.name?.split(separator: " ").first { attributes["first_name"] = .string(String(first)) }
        let body: JSONValue = ["data": ["type": "profile", "attributes": .object(attributes)]]
        return request(Self.profilePath, body: body)
    }

    /// The Create Event request for `email` on the profile `profileID`. Throws `DeliveryError`
    /// (`bad_request`, not retryable) when the HTML or text exceeds Klaviyo's 100 KB per string.
    package func eventRequest(_ email: RenderedEmail, content: Content, profileID: String) throws -> TransportRequest {
        for (name, value) in [("html", content.html), ("text", content.text)]
        where value.utf8.count > Self.maxPropertyBytes {
            throw DeliveryError(
                service: "klaviyo",
                reason:
                    "the email's \(name) is \(value.utf8.count) bytes; Klaviyo takes at most 102400 in one property",
                isRetryable: false, code: .badRequest)
        }
        let flow = Self.header("X-Tidings-Flow", of: email) ?? "email"
        var properties: [String: JSONValue] = [
            "subject": .string(content.subject), "preheader": .string(content.preheader),
            "from_name": .string(email.from.name ?? ""), "from_email": .string(email.from.address),
            "flow": .string(flow), "message_id": .string(email.messageID),
            "unsubscribe_url": .string(content.unsubscribeURL),
            // Not segmentable, and templates read it as event.extra.html (the spec's advice for HTML).
            "$extra": ["html": .string(content.html), "text": .string(content.text)],
        ]
        for (name, header) in [
            ("event_id", "X-Tidings-Event-Id"), ("step", "X-Tidings-Step"), ("series", "X-Tidings-Series"),
            ("category", "X-Tidings-Category"), ("prompt", "X-Tidings-Prompt"),
        ] {
            if let value = Self.header(header, of: email) { properties[name] = .string(value) }
        }
        let body: JSONValue = [
            "data": [
                "type": "event",
                "attributes": [
                    "properties": .object(properties),
                    "metric": [
                        "data": ["type": "metric", "attributes": ["name": .string(Self.metricName(flow: flow))]]
                    ],
                    "profile": [
                        "data": [
                            "type": "profile", "id": .string(profileID),
                            "attributes": ["email": .string(email.to.address)],
                        ]
                    ],
                    "unique_id": .string(Self.uniqueID(email)),
                    "time": .string(Timestamp.format(email.sendAt, milliseconds: false)),
                ],
            ]
        ]
        return request(Self.eventPath, body: body)
    }

    private func request(_ path: String, body: JSONValue) -> TransportRequest {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return TransportRequest(
            method: "POST", url: baseURL + path,
            headers: [
                "Authorization": "Klaviyo-API-Key " + String(decoding: apiKey.bytes, as: UTF8.self),
                "revision": Self.revision, "accept": Self.mediaType, "content-type": Self.mediaType,
            ],
            // Encoding a JSONValue of strings cannot fail.
            body: Array((try? encoder.encode(body)) ?? Data()))
    }

    /// Sends `request`; returns a 2xx answer, throws the `DeliveryError` of anything else.
    private func exchange(_ request: TransportRequest, what: String) async throws -> TransportResponse {
        let response: TransportResponse
        do {
            response = try await transport.send(request)
        } catch let error as TransportError {
            throw DeliveryError(
                service: "klaviyo", reason: "\(what): no answer from \(error.host): \(error.code.rawValue)",
                isRetryable: error.isRetryable, code: .unreachable)
        }
        guard (200...299).contains(response.status) else { throw Self.error(from: response, what: what) }
        return response
    }

    /// The profile's id in an upsert's answer (`data.id`), nil when absent.
    static func profileID(in response: TransportResponse) -> String? {
        guard let document = try? JSONParser.parse(response.body),
            let id = document.objectValue?["data"]?.objectValue?["id"]?.stringValue, !id.isEmpty
        else { return nil }
        return id
    }

    /// The `DeliveryError` a non-2xx answer means: 429 `throttled` and 5xx `upstream_failure`
    /// (retryable), 401/403 `unauthorized`, any other status `bad_request`. The reason quotes the
    /// status and the first of the JSON:API `errors[]` (code, detail, source pointer), with every
    /// word holding an "@" replaced, as Klaviyo may quote the address it refused.
    package static func error(from response: TransportResponse, what: String) -> DeliveryError {
        let code: DeliveryError.Code
        switch response.status {
        case 429: code = .throttled
        case 401, 403: code = .unauthorized
        case 500...599: code = .upstreamFailure
        default: code = .badRequest
        }
        var reason = "\(what): HTTP \(response.status)"
        if let document = try? JSONParser.parse(response.body),
            case .array(let errors)? = document.objectValue?["errors"],
            let first = errors.first?.objectValue
        {
            if let kind = first["code"]?.stringValue { reason += " \(kind)" }
            if let detail = first["detail"]?.stringValue ?? first["title"]?.stringValue {
                reason += ": " + SESEmailService.redactingAddresses(String(detail.prefix(200)))
            }
            if let pointer = first["source"]?.objectValue?["pointer"]?.stringValue { reason += " (at \(pointer))" }
        }
        return DeliveryError(
            service: "klaviyo", reason: reason, isRetryable: code == .throttled || code == .upstreamFailure, code: code)
    }

    static func header(_ name: String, of email: RenderedEmail) -> String? {
        email.extraHeaders.first { $0.name == name }.map(\.value)
    }

    /// What the event carries of an email. A message the dispatcher read back from the outbox
    /// has only its headers and exact bytes, so subject, text and HTML are decoded from those;
    /// its preheader (hidden at the top of the HTML, in no header) stays empty.
    package struct Content: Sendable, Hashable {
        /// The subject line, decoded.
        package var subject: String
        /// The inbox preview text; empty for a message read back from the outbox.
        package var preheader: String
        /// The rendered HTML body.
        package var html: String
        /// The plain-text alternative.
        package var text: String
        /// Tidings' one-click unsubscribe URL; empty when the message has none.
        package var unsubscribeURL: String

        /// The content of `email`, from its fields or, when it was read back, its raw message.
        package init(_ email: RenderedEmail) {
            subject = email.subject
            preheader = email.preheader
            html = email.html
            text = email.text
            unsubscribeURL = email.unsubscribeURL
            guard html.isEmpty, let raw = email.rawMessage, let read = MIMEMessage.read(raw) else { return }
            subject = read.subject
            html = read.html
            text = read.text
            unsubscribeURL = read.unsubscribeURL ?? ""
        }
    }
}
