import Crypto
import Foundation

/// One request to the unsubscribe endpoint, as the HTTP front handed it over.
package struct UnsubscribeRequest: Sendable {
    /// "GET", "POST", ... (upper-cased by the caller or here).
    package var method: String
    /// The decoded query parameters: `c` (the customer id the link names) and `t` (its token).
    package var query: [String: String]
    /// The request body; a one-click POST carries `List-Unsubscribe=One-Click`, form-encoded.
    package var body: [UInt8]

    /// A request from its parts.
    package init(method: String, query: [String: String], body: [UInt8]) {
        self.method = method.uppercased()
        self.query = query
        self.body = body
    }
}

/// What the unsubscribe endpoint answers: an HTTP status, a small HTML page, and for a request that
/// was audited the report of its terminal record.
package struct UnsubscribeResponse: Sendable {
    /// 200, 400, 403, 405 or 500.
    package var status: Int
    /// The HTML page (text/html; charset=utf-8).
    package var html: String
    /// The terminal record's report, when the request was audited (every POST, every forged token).
    package var report: OutcomeReport?
    /// Extra response headers (`Allow` on a 405).
    package var headers: [String: String] = [:]
    /// The body's media type: the pages are HTML, the feedback routes answer plain text.
    package var contentType = "text/html; charset=utf-8"
}

/// The one-click unsubscribe endpoint (RFC 8058) as values in, a response out: a signed link's POST
/// with `List-Unsubscribe=One-Click` adds the customer to the suppression list at once; a GET shows
/// a confirmation page whose form makes that POST and changes nothing; a token that is not the one
/// `EmailRenderer.unsubscribeToken` issued for the customer is refused. Every POST and every
/// refused token writes an event of its own to the audit (`unsubscribe:<correlation id>`): a
/// `suppress` record for each addition (customer id and reason; no address) and the terminal
/// `outcome` record (docs/decisions/suppression.md).
package struct OneClickUnsubscribe: Sendable {
    /// The function name in audit records and reports.
    package static let function = "unsubscribe"
    /// The `source` of the entries this endpoint adds.
    package static let source = "one_click"
    /// Customer ids longer than this are refused before anything is checked or recorded.
    package static let maximumCustomerIDLength = 128

    let key: [UInt8]
    let storefrontURL: String
    let suppression: any SuppressionList
    let audit: any AuditLog
    let clock: any TimeSource
    /// When set (`SHOPIFY_CONSENT_WRITEBACK=on`), a new unsubscribe is also written to the platform;
    /// its result is a fact of the terminal record (`platform_consent`) and never fails the request.
    package var consentWriteBack: (any ConsentWriteBack)?

    /// The endpoint over `suppression` and `audit`; `key` and `storefrontURL` must be the ones the
    /// renderer signs links with (`TIDINGS_UNSUBSCRIBE_SECRET`, `brand.storefront_url`).
    package init(
        key: SymmetricKey, storefrontURL: String, suppression: any SuppressionList, audit: any AuditLog,
        clock: any TimeSource
    ) {
        self.key = key.withUnsafeBytes { Array($0) }
        self.storefrontURL = storefrontURL
        self.suppression = suppression
        self.audit = audit
        self.clock = clock
    }

    /// Answers one request. Never throws: a list or audit that cannot be written is a 500, which
    /// the mail client (or the person) may retry.
    package func handle(_ request: UnsubscribeRequest, correlationID: String) async -> UnsubscribeResponse {
        guard request.method == "GET" || request.method == "POST" else {
            return UnsubscribeResponse(
                status: 405, html: Self.page("Not allowed", "This address only answers GET and POST."),
                headers: ["allow": "GET, POST"])
        }
        guard let customerID = request.query["c"], !customerID.isEmpty else {
            return Self.badRequest("c", "the link has no customer (query parameter c)")
        }
        guard customerID.count <= Self.maximumCustomerIDLength, !customerID.contains(where: \.isNewline) else {
            return Self.badRequest("c", "the customer parameter is not one we issue")
        }
        guard let token = request.query["t"], !token.isEmpty else {
            return Self.badRequest("t", "the link has no token (query parameter t)")
        }
        let now = clock.now
        let eventID = "unsubscribe:\(correlationID)"
        guard
            EmailRenderer.verifyUnsubscribeToken(
                token, customerID: customerID, storefrontURL: storefrontURL, key: SymmetricKey(data: key))
        else {
            let report = OutcomeReport(
                function: Self.function, eventID: eventID, outcome: .unauthenticated,
                reason: "forged_token: the token does not match the customer", code: .unauthenticated)
            let written = conclude(
                report, facts: ["customer_id": .string(customerID), "method": .string(request.method)],
                eventID: eventID,
                correlationID: correlationID, now: now)
            guard written.outcome == .unauthenticated else { return Self.failed(written) }
            return UnsubscribeResponse(
                status: 403, html: Self.page("Link not valid", "This unsubscribe link is not valid."), report: written)
        }
        if request.method == "GET" {
            return UnsubscribeResponse(status: 200, html: Self.confirmationPage(customerID: customerID, token: token))
        }
        let fields = PercentEncoding.formFields(Substring(String(decoding: request.body, as: UTF8.self))) ?? [:]
        guard fields["List-Unsubscribe"] == "One-Click" else {
            return Self.badRequest("List-Unsubscribe", "a one-click POST carries List-Unsubscribe=One-Click (RFC 8058)")
        }
        return await suppress(customerID, eventID: eventID, correlationID: correlationID, now: now)
    }

    /// Adds the customer (once) and records it.
    func suppress(_ customerID: String, eventID: String, correlationID: String, now: Date) async -> UnsubscribeResponse
    {
        let existing: SuppressionEntry?
        do {
            existing = try await suppression.entry(customerID: customerID, address: nil)
            if existing == nil {
                try await suppression.add(
                    SuppressionEntry(
                        customerID: customerID, addressHash: nil, reason: .unsubscribe, source: Self.source, time: now))
            }
        } catch {
            return Self.failed(
                OutcomeReport(
                    function: Self.function, eventID: eventID, outcome: .failed, reason: "\(error)",
                    code: .failure(.suppressionUnavailable), retryable: true))
        }
        var facts: [String: JSONValue] = ["customer_id": .string(customerID)]
        if let existing {
            facts["already_since"] = .string(Timestamp.format(existing.time))
        } else {
            do {
                try audit.append(
                    AuditEntry(
                        time: now, eventID: eventID, correlationID: correlationID, function: Self.function,
                        stage: "suppress",
                        facts: [
                            "customer_id": .string(customerID),
                            "reason": .string(SuppressionReason.unsubscribe.rawValue),
                            "source": .string(Self.source),
                        ]))
            } catch {
                return Self.failed(auditFailure(error, eventID: eventID))
            }
            if let consentWriteBack {
                facts["platform_consent"] = .string(await Self.writeBack(consentWriteBack, customerID, now: now))
            }
        }
        let report = OutcomeReport(
            function: Self.function, eventID: eventID, outcome: .suppressed,
            reason: existing == nil
                ? "unsubscribed: one-click unsubscribe (RFC 8058)" : "unsubscribed: already on the suppression list",
            code: .guarded(.unsubscribed))
        let written = conclude(report, facts: facts, eventID: eventID, correlationID: correlationID, now: now)
        guard written.outcome == .suppressed else { return Self.failed(written) }
        return UnsubscribeResponse(
            status: 200,
            html: Self.page("You are unsubscribed", "You will not get marketing email from us any more."),
            report: written)
    }

    /// The platform's answer to the consent write-back, as an audit fact: "shopify: updated",
    /// "shopify: unknown customer" or "shopify: failed (retryable): ...".
    static func writeBack(_ platform: any ConsentWriteBack, _ customerID: String, now: Date) async -> String {
        do {
            let known = try await platform.withdrawEmailConsent(customerID: customerID, at: now)
            return "\(platform.platformName): \(known ? "updated" : "unknown customer")"
        } catch let error as PlatformError {
            return "\(platform.platformName): failed\(error.isRetryable ? " (retryable)" : ""): \(error.reason)"
        } catch {
            return "\(platform.platformName): failed: \(error)"
        }
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
                    time: now, eventID: eventID, correlationID: correlationID, function: Self.function,
                    stage: "outcome", outcome: report.outcome, facts: facts))
            return report
        } catch {
            return auditFailure(error, eventID: eventID)
        }
    }

    func auditFailure(_ error: any Error, eventID: String) -> OutcomeReport {
        OutcomeReport(
            function: Self.function, eventID: eventID, outcome: .failed, reason: "audit_unavailable: \(error)",
            code: .failure(.auditUnavailable), retryable: true)
    }

    static func failed(_ report: OutcomeReport) -> UnsubscribeResponse {
        UnsubscribeResponse(
            status: 500, html: page("Please try again", "We could not record your request just now."), report: report)
    }

    /// A 400 page naming the field that is missing or wrong.
    package static func badRequest(_ field: String, _ reason: String) -> UnsubscribeResponse {
        UnsubscribeResponse(status: 400, html: page("Link incomplete", "\(field): \(reason)."))
    }

    /// The GET page: one button that POSTs the one-click body to the same link.
    static func confirmationPage(customerID: String, token: String) -> String {
        let action = "?c=\(PercentEncoding.encode(customerID))&t=\(PercentEncoding.encode(token))"
        return page(
            "Unsubscribe",
            "Press the button to stop marketing email from us. Order and delivery notes still reach you.",
            form: """
                <form method="post" action="\(escapeHTML(action))">\
                <input type="hidden" name="List-Unsubscribe" value="One-Click">\
                <button type="submit">Unsubscribe</button></form>
                """)
    }

    static func page(_ title: String, _ text: String, form: String = "") -> String {
        """
        <!doctype html><html lang="en"><head><meta charset="utf-8">\
        <meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">\
        <title>\(escapeHTML(title))</title></head><body><h1>\(escapeHTML(title))</h1><p>\(escapeHTML(text))</p>\
        \(form)</body></html>
        """
    }

    /// Text safe inside HTML element content and double-quoted attributes.
    package static func escapeHTML(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
