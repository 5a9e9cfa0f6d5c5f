import Foundation
import Logging

/// One request to a feedback route, as the HTTP front handed it over.
package struct FeedbackRequest: Sendable {
    /// "POST", "HEAD", ... (upper-cased here).
    package var method: String
    /// The headers, names lower-cased.
    package var headers: [String: String]
    /// The body's exact bytes.
    package var body: [UInt8]

    /// A request from its parts.
    package init(method: String, headers: [String: String], body: [UInt8]) {
        self.method = method.uppercased()
        self.headers = headers
        self.body = body
    }
}

/// Bounces, complaints and unsubscribes that an ESP reports, as values in, a response out: SES
/// through SNS (`/feedback/ses`) and Mandrill webhooks (`/feedback/mandrill`), both routes of the
/// `unsubscribe` function. Nothing is acted on before the sender is proven (the SNS signature,
/// topic and age; the Mandrill HMAC). Each request that adds to the list, or is refused, is an
/// audited event of its own (`feedback:<correlation id>`): a `suppress` record per addition
/// (address hash, customer id when known, reason, source, the sender's message or event id; never
/// an address, never a key) and one terminal `outcome` record (docs/decisions/suppression.md).
package struct FeedbackEndpoint: Sendable {
    /// The route paths, as the function URL delivers them.
    package static let sesPath = "/feedback/ses"
    /// The Mandrill webhook's path.
    package static let mandrillPath = "/feedback/mandrill"

    let sns: SNSVerifier
    let mandrillKey: [UInt8]?
    let mandrillURL: String?
    let suppression: any SuppressionList
    let audit: any AuditLog
    let clock: any TimeSource
    /// Where a complaint is also written back as withdrawn email consent (`SHOPIFY_CONSENT_WRITEBACK`);
    /// nil writes nothing back. The platform's answer is an audit fact and never fails the request.
    package var consentWriteBack: (any ConsentWriteBack)?

    /// The endpoint over `suppression` and `audit`, accepting what `settings` configures.
    package init(
        settings: FeedbackSettings, fetcher: SNSFetcher, suppression: any SuppressionList, audit: any AuditLog,
        clock: any TimeSource
    ) {
        sns = SNSVerifier(topics: settings.snsTopics, fetcher: fetcher)
        mandrillKey = settings.mandrillKey?.bytes
        mandrillURL = settings.mandrillURL
        self.suppression = suppression
        self.audit = audit
        self.clock = clock
    }

    // MARK: SES through SNS

    /// Answers one SNS POST: a `Notification` adds the SES notification's permanent bounces and
    /// complaints; a `SubscriptionConfirmation` is confirmed with a GET on its SubscribeURL; an
    /// `UnsubscribeConfirmation` is only logged (to `logger`, at warning: feedback stops arriving).
    /// 400 for a body that is not an SNS message, 403 for one that fails a check, 500 when the
    /// certificate or the list is unavailable (SNS retries).
    package func handleSNS(_ request: FeedbackRequest, correlationID: String, logger: Logger) async
        -> UnsubscribeResponse
    {
        guard request.method == "POST" else {
            return Self.text(405, "This address only answers POST from Amazon SNS.", headers: ["allow": "POST"])
        }
        let message: SNSMessage
        do {
            message = try SNSMessage.parse(request.body)
        } catch {
            return Self.text(400, "\(error)")
        }
        if let header = request.headers["x-amz-sns-message-type"], header != message.type {
            return Self.text(400, "x-amz-sns-message-type: '\(header.prefix(40))' is not the body's Type")
        }
        let now = clock.now
        let eventID = "feedback:\(correlationID)"
        var facts: [String: JSONValue] = [
            "source": .string(SESFeedback.source), "sns.type": .string(message.type),
            "sns.message_id": .string(String(message.messageID.prefix(128))),
            "sns.topic_arn": .string(String(message.topicArn.prefix(256))),
        ]
        do {
            try await sns.verify(message, now: now)
        } catch {
            return refuse(error, facts: facts, eventID: eventID, correlationID: correlationID, now: now)
        }
        switch message.type {
        case "SubscriptionConfirmation":
            return await confirm(message, facts: facts, eventID: eventID, correlationID: correlationID, now: now)
        case "UnsubscribeConfirmation":
            logger.warning(
                "SNS subscription removed: SES feedback from this topic no longer arrives",
                metadata: [
                    "sns.topic_arn": "\(message.topicArn.prefix(256))",
                    "sns.message_id": "\(message.messageID.prefix(128))",
                ])
            return Self.text(200, "Unsubscribe confirmation noted.")
        default:
            break
        }
        let entries: [(entry: SuppressionEntry, address: String)]
        do {
            entries = try SESFeedback.additions(message: message.message, now: now)
        } catch {
            facts["reason"] = .string("invalid_field: \(error)")
            let report = OutcomeReport(
                function: OneClickUnsubscribe.function, eventID: eventID, outcome: .rejectedInput,
                reason: "invalid_field: \(error)", code: .input(.invalidField))
            let written = conclude(report, facts: facts, eventID: eventID, correlationID: correlationID, now: now)
            guard written.outcome == .rejectedInput else { return Self.failed(written) }
            return Self.text(400, "\(error)", report: written)
        }
        return await add(
            entries.map { ($0.entry, message.messageID, $0.address) }, idKey: "sns.message_id", facts: facts,
            eventID: eventID,
            correlationID: correlationID, now: now)
    }

    /// GETs the SubscribeURL of a verified confirmation and records it.
    func confirm(
        _ message: SNSMessage, facts: [String: JSONValue], eventID: String, correlationID: String, now: Date
    ) async -> UnsubscribeResponse {
        var facts = facts
        let status: Int
        do {
            status = try await sns.fetcher.confirm(subscribeURL: message.subscribeURL ?? "")
        } catch let refusal as FeedbackRefusal {
            return refuse(refusal, facts: facts, eventID: eventID, correlationID: correlationID, now: now)
        } catch {
            status = 0
        }
        guard status == 200 else {
            let report = OutcomeReport(
                function: OneClickUnsubscribe.function, eventID: eventID, outcome: .failed,
                reason: "delivery_failed: the SubscribeURL answered \(status == 0 ? "nothing" : "\(status)")",
                code: .failure(.deliveryFailed), retryable: true)
            return Self.failed(conclude(report, facts: facts, eventID: eventID, correlationID: correlationID, now: now))
        }
        facts["sns.confirmed"] = .bool(true)
        let report = OutcomeReport(
            function: OneClickUnsubscribe.function, eventID: eventID, outcome: .sent,
            reason: "subscription_confirmed: the topic now delivers SES feedback here")
        let written = conclude(report, facts: facts, eventID: eventID, correlationID: correlationID, now: now)
        guard written.outcome == .sent else { return Self.failed(written) }
        return Self.text(200, "Subscription confirmed.", report: written)
    }

    // MARK: Mandrill

    /// Answers one Mandrill request: HEAD or GET (Mandrill's check when a webhook is added, before
    /// its key exists) is a 200; a POST must carry a valid `X-Mandrill-Signature` over
    /// `MANDRILL_WEBHOOK_URL` and its form fields, and its `hard_bounce`, `spam` and `unsub`
    /// events are added. 400 for a body without `mandrill_events`, 403 for a bad signature or an
    /// unconfigured key, 500 when the list or audit is unavailable (Mandrill retries).
    package func handleMandrill(_ request: FeedbackRequest, correlationID: String) async -> UnsubscribeResponse {
        switch request.method {
        case "HEAD", "GET": return Self.text(200, "Mandrill webhook endpoint.")
        case "POST": break
        default:
            return Self.text(405, "This address answers HEAD, GET and POST.", headers: ["allow": "HEAD, GET, POST"])
        }
        let now = clock.now
        let eventID = "feedback:\(correlationID)"
        let facts: [String: JSONValue] = ["source": .string(MandrillWebhook.source)]
        guard let key = mandrillKey, let url = mandrillURL else {
            let refusal = FeedbackRefusal(.notConfigured, "MANDRILL_WEBHOOK_KEY and MANDRILL_WEBHOOK_URL are not set")
            return refuse(refusal, facts: facts, eventID: eventID, correlationID: correlationID, now: now)
        }
        guard let fields = PercentEncoding.formFields(Substring(String(decoding: request.body, as: UTF8.self))) else {
            return Self.text(400, "body: not application/x-www-form-urlencoded")
        }
        do {
            try MandrillWebhook.verify(
                signature: request.headers["x-mandrill-signature"], url: url, fields: fields, key: key)
        } catch {
            return refuse(error, facts: facts, eventID: eventID, correlationID: correlationID, now: now)
        }
        guard let events = fields["mandrill_events"] else {
            return Self.text(400, "mandrill_events: missing")
        }
        let additions: [MandrillWebhook.Addition]
        do {
            additions = try MandrillWebhook.additions(mandrillEvents: events, now: now)
        } catch {
            return Self.text(400, "\(error)")
        }
        return await add(
            additions.map { ($0.entry, $0.eventID, $0.address) }, idKey: "mandrill.event_id", facts: facts,
            eventID: eventID,
            correlationID: correlationID, now: now)
    }

    // MARK: Recording

    /// Adds each entry, audits each addition, and ends the event `suppressed` (by the first
    /// entry's reason); a request that adds nothing is answered 200 without an audit record, like a
    /// page view.
    func add(
        _ entries: [(SuppressionEntry, String?, String)], idKey: String, facts: [String: JSONValue], eventID: String,
        correlationID: String, now: Date
    ) async -> UnsubscribeResponse {
        guard let first = entries.first?.0 else { return Self.text(200, "Nothing to add.") }
        for (entry, senderID, address) in entries {
            do {
                try await suppression.add(entry)
            } catch {
                return Self.failed(
                    OutcomeReport(
                        function: OneClickUnsubscribe.function, eventID: eventID, outcome: .failed,
                        reason: "suppression_unavailable: \(error)", code: .failure(.suppressionUnavailable),
                        retryable: true))
            }
            var record: [String: JSONValue] = [
                "reason": .string(entry.reason.rawValue), "source": .string(entry.source),
            ]
            if let hash = entry.addressHash { record["address_sha256"] = .string(hash) }
            if let customerID = entry.customerID { record["customer_id"] = .string(customerID) }
            if let senderID { record[idKey] = .string(String(senderID.prefix(128))) }
            if let topic = facts["sns.topic_arn"] { record["sns.topic_arn"] = topic }
            // A complaint withdraws consent on the platform too: by the customer id the ESP carried,
            // else by the address (looked up there; the address itself is not recorded).
            if entry.reason == .complaint, let consentWriteBack {
                record["platform_consent"] = .string(
                    await Self.writeBack(consentWriteBack, customerID: entry.customerID, address: address, now: now))
            }
            do {
                try audit.append(
                    AuditEntry(
                        time: now, eventID: eventID, correlationID: correlationID,
                        function: OneClickUnsubscribe.function, stage: "suppress", facts: record))
            } catch {
                return Self.failed(Self.auditFailure(error, eventID: eventID))
            }
        }
        var facts = facts
        facts["added"] = .int(entries.count)
        let report = OutcomeReport(
            function: OneClickUnsubscribe.function, eventID: eventID, outcome: .suppressed,
            reason: "\(GuardVerdict.Code(first.reason).rawValue): \(entries.count) added from \(first.source)",
            code: .guarded(GuardVerdict.Code(first.reason)))
        let written = conclude(report, facts: facts, eventID: eventID, correlationID: correlationID, now: now)
        guard written.outcome == .suppressed else { return Self.failed(written) }
        return Self.text(200, "Added \(entries.count) to the suppression list.", report: written)
    }

    /// The platform's answer to a complaint's consent write-back, as an audit fact
    /// ("shopify: updated", "shopify: unknown customer", "shopify: failed ...").
    static func writeBack(
        _ platform: any ConsentWriteBack, customerID: String?, address: String, now: Date
    ) async -> String {
        do {
            let known =
                if let customerID {
                    try await platform.withdrawEmailConsent(customerID: customerID, at: now)
                } else {
                    try await platform.withdrawEmailConsent(email: address, at: now)
                }
            return "\(platform.platformName): \(known ? "updated" : "unknown customer")"
        } catch let error as PlatformError {
            return "\(platform.platformName): failed\(error.isRetryable ? " (retryable)" : ""): \(error.reason)"
        } catch {
            return "\(platform.platformName): failed: \(error)"
        }
    }

    /// A refused request: 403 and an `unauthenticated` outcome; a certificate that did not arrive is
    /// a retryable 500 instead (SNS delivers again).
    func refuse(
        _ refusal: FeedbackRefusal, facts: [String: JSONValue], eventID: String, correlationID: String, now: Date
    ) -> UnsubscribeResponse {
        if refusal.code == .certificateUnreadable {
            let report = OutcomeReport(
                function: OneClickUnsubscribe.function, eventID: eventID, outcome: .failed,
                reason: "delivery_failed: the signing certificate did not arrive: \(refusal.detail)",
                code: .failure(.deliveryFailed), retryable: true)
            return Self.failed(conclude(report, facts: facts, eventID: eventID, correlationID: correlationID, now: now))
        }
        let report = OutcomeReport(
            function: OneClickUnsubscribe.function, eventID: eventID, outcome: .unauthenticated,
            reason: refusal.description, code: .unauthenticated)
        let written = conclude(report, facts: facts, eventID: eventID, correlationID: correlationID, now: now)
        guard written.outcome == .unauthenticated else { return Self.failed(written) }
        return Self.text(403, "refused: \(refusal)", report: written)
    }

    /// Writes the terminal record; the report of an audit failure when it cannot.
    func conclude(
        _ report: OutcomeReport, facts: [String: JSONValue], eventID: String, correlationID: String, now: Date
    ) -> OutcomeReport {
        var facts = facts
        if let reason = report.reason { facts["reason"] = .string(reason) }
        do {
            try audit.append(
                AuditEntry(
                    time: now, eventID: eventID, correlationID: correlationID, function: OneClickUnsubscribe.function,
                    stage: "outcome", outcome: report.outcome, facts: facts))
            return report
        } catch {
            return Self.auditFailure(error, eventID: eventID)
        }
    }

    static func auditFailure(_ error: any Error, eventID: String) -> OutcomeReport {
        OutcomeReport(
            function: OneClickUnsubscribe.function, eventID: eventID, outcome: .failed,
            reason: "audit_unavailable: \(error)", code: .failure(.auditUnavailable), retryable: true)
    }

    static func failed(_ report: OutcomeReport) -> UnsubscribeResponse {
        // The reason (a file path, a transport error) goes to the audit and the log, not to the caller.
        text(500, "Not recorded; please retry.", report: report)
    }

    /// A plain-text answer.
    static func text(
        _ status: Int, _ body: String, report: OutcomeReport? = nil, headers: [String: String] = [:]
    ) -> UnsubscribeResponse {
        UnsubscribeResponse(
            status: status, html: body + "\n", report: report, headers: headers,
            contentType: "text/plain; charset=utf-8")
    }
}
