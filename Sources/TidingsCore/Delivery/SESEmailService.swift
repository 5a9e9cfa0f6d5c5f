import Foundation

/// Amazon SES v2 as the `EmailService` (`TIDINGS_ESP=ses`): `SendEmail` with `Content.Raw`, the
/// exact RFC 5322 bytes Tidings rendered, so List-Unsubscribe, List-Unsubscribe-Post and the
/// X-Tidings headers arrive as they were written. Signed with SigV4 (signing name "ses"); the
/// receipt's reference is SES's MessageId. docs/decisions/ses.md says why and what is left.
///
/// SES cannot hold a message until a later time, so a scheduled step of a series is not handed to
/// it early: the scheduled outbox stays the queue and the dispatcher (`OutboxDispatcher`) sends each
/// step when its time comes. `cancelScheduled` therefore has nothing at SES to stop.
package struct SESEmailService: EmailService {
    /// The service's base URL without a trailing slash (`https://email.REGION.amazonaws.com`, or
    /// the `AWS_ENDPOINT_URL_SESV2` / `AWS_ENDPOINT_URL` override).
    package let endpoint: String
    /// Signs each request for the region.
    package let signer: SigV4Signer
    /// `ConfigurationSetName` of every send (`TIDINGS_SES_CONFIGURATION_SET`); nil sends without.
    package let configurationSet: String?
    /// The HTTP transport; production wraps libcurl in `RetryingTransport`, which retries the 429s.
    package let transport: any HTTPTransport
    /// The signing clock.
    package let clock: any TimeSource

    /// `SendEmail`'s path (service-2.json, operation SendEmail).
    package static let sendPath = "/v2/email/outbound-emails"

    /// A service at `endpoint` (no trailing slash needed) in `region`.
    package init(
        endpoint: String, region: String, credentials: AWSCredentials, configurationSet: String?,
        transport: any HTTPTransport, clock: any TimeSource = SystemClock()
    ) {
        self.endpoint = ModelEndpoint.trimmed(endpoint)
        self.signer = SigV4Signer(credentials: credentials, region: region, service: "ses")
        self.configurationSet = configurationSet
        self.transport = transport
        self.clock = clock
    }

    /// Sends the email. Returns a receipt with service "ses" and SES's MessageId. Throws
    /// `DeliveryError` (service "ses") with the code SES's error type maps to: throttling, a
    /// quota, a 5xx and no answer are retryable; a paused or suspended account, a rejected message,
    /// an unverified sender, refused credentials and a malformed request are not.
    package func deliver(_ email: RenderedEmail) async throws -> DeliveryReceipt {
        let request = try sendRequest(email)
        let response: TransportResponse
        do {
            response = try await transport.send(request)
        } catch let error as TransportError {
            throw DeliveryError(
                service: "ses", reason: "no answer from \(error.host): \(error.code.rawValue)",
                isRetryable: error.isRetryable, code: .unreachable)
        }
        return try Self.receipt(from: response)
    }

    /// Returns []: SES cannot schedule, so no step of a series waits at SES (see the type's note).
    package func cancelScheduled(series: String, after: Date) async throws -> [String] { [] }

    /// The signed `SendEmail` request for `email`.
    package func sendRequest(_ email: RenderedEmail) throws -> TransportRequest {
        let request = TransportRequest(
            method: "POST", url: endpoint + Self.sendPath, headers: ["Content-Type": "application/json"],
            body: Self.body(for: email, configurationSet: configurationSet))
        do {
            return try signer.sign(request, at: clock.now)
        } catch {
            throw DeliveryError(service: "ses", reason: error.description, isRetryable: false, code: .badRequest)
        }
    }

    /// The JSON body of `SendEmail` (SendEmailRequest): FromEmailAddress, Destination.ToAddresses,
    /// Content.Raw.Data (base64 of the exact message), ConfigurationSetName when set and EmailTags
    /// (flow, event id). Keys sorted, so the bytes are stable.
    package static func body(for email: RenderedEmail, configurationSet: String?) -> [UInt8] {
        var request: [String: JSONValue] = [
            "FromEmailAddress": .string(email.from.address),
            "Destination": ["ToAddresses": [.string(email.to.address)]],
            "Content": [
                "Raw": ["Data": .string((email.rawMessage ?? MIMEMessage.serialize(email)).base64EncodedString())]
            ],
        ]
        if let configurationSet { request["ConfigurationSetName"] = .string(configurationSet) }
        let tags = emailTags(email)
        if !tags.isEmpty {
            request["EmailTags"] = .array(tags.map { ["Name": .string($0.name), "Value": .string($0.value)] })
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a JSONValue of strings cannot fail.
        return Array((try? encoder.encode(JSONValue.object(request))) ?? Data())
    }

    /// The message tags: `flow` and `event_id` from the X-Tidings-Flow and X-Tidings-Event-Id
    /// headers, each value made to fit SES's rule for tag values (ASCII letters, digits, `_`, `-`,
    /// at most 256 characters). A header that is absent gives no tag.
    package static func emailTags(_ email: RenderedEmail) -> [(name: String, value: String)] {
        var tags: [(name: String, value: String)] = []
        for (name, header) in [("flow", "X-Tidings-Flow"), ("event_id", "X-Tidings-Event-Id")] {
            guard let value = email.extraHeaders.first(where: { $0.name == header })?.value else { continue }
            let tag = tagValue(value)
            if !tag.isEmpty { tags.append((name, tag)) }
        }
        return tags
    }

    /// `value` with every character SES does not allow in a tag value made `_`, cut to 256.
    package static func tagValue(_ value: String) -> String {
        var result = ""
        for scalar in value.unicodeScalars.prefix(256) {
            let allowed =
                scalar.isASCII && (PercentEncoding.isUnreserved(UInt8(scalar.value)) && scalar != "." && scalar != "~")
            result.unicodeScalars.append(allowed ? scalar : "_")
        }
        return result
    }

    /// The receipt in a 2xx answer's `MessageId`, or the `DeliveryError` the answer means.
    package static func receipt(from response: TransportResponse) throws -> DeliveryReceipt {
        let document = try? JSONParser.parse(response.body)
        if (200...299).contains(response.status) {
            guard let id = document?.objectValue?["MessageId"]?.stringValue, !id.isEmpty else {
                // The message may have gone: sending it again could send it twice.
                throw DeliveryError(
                    service: "ses", reason: "HTTP \(response.status) without a MessageId", isRetryable: false,
                    code: .upstreamFailure)
            }
            return DeliveryReceipt(service: "ses", reference: id)
        }
        throw error(from: response, document: document)
    }

    /// SES's error type, as restJson1 carries it: the `x-amzn-ErrorType` header, else the body's
    /// `__type` or `code`; any `:detail` suffix and `namespace#` prefix removed. Nil when absent.
    package static func errorType(_ response: TransportResponse, document: JSONValue?) -> String? {
        let members = document?.objectValue ?? [:]
        let raw =
            response.headers["x-amzn-errortype"] ?? members["__type"]?.stringValue ?? members["code"]?.stringValue
        guard var type = raw?.trimmingCharacters(in: .whitespaces), !type.isEmpty else { return nil }
        if let colon = type.firstIndex(of: ":") { type = String(type[..<colon]) }
        if let hash = type.lastIndex(of: "#") { type = String(type[type.index(after: hash)...]) }
        return type
    }

    static func error(from response: TransportResponse, document: JSONValue?) -> DeliveryError {
        let type = errorType(response, document: document)
        let code: DeliveryError.Code
        switch (type, response.status) {
        case ("TooManyRequestsException", _), ("ThrottlingException", _), ("Throttling", _), (_, 429):
            code = .throttled
        case ("LimitExceededException", _): code = .quotaExceeded
        case ("SendingPausedException", _): code = .sendingPaused
        case ("AccountSuspendedException", _): code = .accountSuspended
        case ("MessageRejected", _): code = .messageRejected
        case ("MailFromDomainNotVerifiedException", _): code = .senderNotVerified
        case (_, 401), (_, 403): code = .unauthorized
        case (_, 500...599): code = .upstreamFailure
        default: code = .badRequest
        }
        let retryable = [.throttled, .quotaExceeded, .upstreamFailure].contains(code)
        let members = document?.objectValue ?? [:]
        let message = (members["message"] ?? members["Message"])?.stringValue.map(redactingAddresses)
        var reason = "HTTP \(response.status) \(type ?? "without an error type")"
        if let message, !message.isEmpty { reason += ": \(message.prefix(200))" }
        return DeliveryError(service: "ses", reason: reason, isRetryable: retryable, code: code)
    }

    /// `text` with each word that holds an "@" replaced by "<address>": SES quotes the identities
    /// it refused, and the reason goes into the audit, which keeps no addresses.
    static func redactingAddresses(_ text: String) -> String {
        text.split(separator: " ", omittingEmptySubsequences: false)
            .map { $0.contains("@") ? "<address>" : String($0) }
            .joined(separator: " ")
    }
}
