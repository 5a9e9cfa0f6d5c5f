import Foundation
import TidingsCore

/// The audit of one event (with its child events) or one customer as a timeline: every record in
/// time order with its stage, outcome and reason, read by `AuditTrail` exactly as
/// `tidings audit query` reads it. The page shows what the audit holds and nothing else: no
/// profile, no address, no draft content (docs/decisions/serve-insights.md).
package enum AuditTimelinePage {
    package static let title = "Audit timeline"

    /// The longest id the form accepts; platform ids and event ids are far shorter.
    package static let maximumIDLength = 512

    /// What the query string asks for. Throws `AuditTimelineQueryError` when it names both an event
    /// and a customer, or an id that is too long; nil when it names neither (the empty form).
    package static func subject(event: String?, customer: String?) throws(AuditTimelineQueryError)
        -> AuditTrail.Subject?
    {
        let event = event?.trimmingCharacters(in: .whitespaces).nilIfEmpty
        let customer = customer?.trimmingCharacters(in: .whitespaces).nilIfEmpty
        if event != nil && customer != nil {
            throw AuditTimelineQueryError(field: "event", reason: "give an event or a customer, not both")
        }
        if let event {
            guard event.utf8.count <= maximumIDLength else {
                throw AuditTimelineQueryError(field: "event", reason: "longer than \(maximumIDLength) bytes")
            }
            return .event(event)
        }
        if let customer {
            guard customer.utf8.count <= maximumIDLength else {
                throw AuditTimelineQueryError(field: "customer", reason: "longer than \(maximumIDLength) bytes")
            }
            return .customer(customer)
        }
        return nil
    }

    /// What the page shows under its form.
    package enum Content: Sendable {
        /// Nothing asked yet.
        case empty
        case trail(AuditTrail)
        /// The audit could not be read, said for a reader.
        case problem(String)
    }

    /// Reads the trail of `subject` from the audit under `root`.
    package static func load(root: URL, subject: AuditTrail.Subject?) -> Content {
        guard let subject else { return .empty }
        guard FileManager.default.fileExists(atPath: root.path) else {
            return .problem("No audit yet at \(root.path): no event has been handled.")
        }
        do {
            return .trail(try AuditTrail.read(root: root, subject: subject))
        } catch {
            return .problem("The audit cannot be read: \(error)")
        }
    }

    /// The link to an event's timeline, for other pages (a draft's page links its event).
    package static func link(event: String) -> String {
        "/audit?event=" + PercentEncoding.encode(event)
    }

    /// The page's main content (the dashboard's layout wraps it).
    package static func html(_ content: Content, subject: AuditTrail.Subject?) -> String {
        var out = form(subject)
        switch content {
        case .empty:
            out +=
                "<p class=\"muted\">Name an event id (as the result and the review queue name it) or a customer id.</p>"
        case .problem(let text):
            out += "<p class=\"problem\">\(escape(text))</p>"
        case .trail(let trail):
            out += timeline(trail)
        }
        return out
    }

    /// The chooser: a GET form (reading changes nothing).
    static func form(_ subject: AuditTrail.Subject?) -> String {
        var event = ""
        var customer = ""
        switch subject {
        case .event(let id)?: event = id
        case .customer(let id)?: customer = id
        case nil: break
        }
        return "<form method=\"get\" action=\"/audit\" class=\"inline\">"
            + "<label for=\"audit-event\">Event</label> "
            + "<input id=\"audit-event\" name=\"event\" value=\"\(escape(event))\" size=\"40\"> "
            + "<label for=\"audit-customer\">or customer</label> "
            + "<input id=\"audit-customer\" name=\"customer\" value=\"\(escape(customer))\" size=\"16\"> "
            + "<button type=\"submit\">Show</button></form>"
    }

    static func timeline(_ trail: AuditTrail) -> String {
        guard !trail.records.isEmpty else {
            return "<p class=\"card\">The audit has no records of \(escape(trail.title)).</p>"
        }
        var out = "<h2>\(escape(trail.title))</h2>"
        out += "<p class=\"muted\">\(trail.eventIDs.count) \(trail.eventIDs.count == 1 ? "event" : "events"), "
        out += "\(trail.records.count) records, oldest first.</p>"
        let manyEvents = trail.eventIDs.count > 1 || trail.records.contains { !trail.eventIDs.contains($0.eventID) }
        out += "<table class=\"timeline\"><thead><tr><th scope=\"col\">Time</th>"
        if manyEvents { out += "<th scope=\"col\">Event</th>" }
        out += "<th scope=\"col\">Stage</th><th scope=\"col\">Outcome</th><th scope=\"col\">Reason</th>"
        out += "<th scope=\"col\">Facts</th></tr></thead><tbody>"
        for record in trail.records {
            out += "<tr class=\"record\" data-stage=\"\(escape(record.stage))\">"
            // Date and time of day apart, so a narrow column breaks between them.
            let shown = record.time.replacingOccurrences(of: "T", with: " ")
            out += "<td><time datetime=\"\(escape(record.time))\">\(escape(shown))</time></td>"
            if manyEvents {
                out +=
                    record.eventID.isEmpty
                    ? "<td></td>"
                    : "<td><a class=\"event\" href=\"\(escape(link(event: record.eventID)))\">\(escape(record.eventID))</a></td>"
            }
            out += "<td><span class=\"stage\">\(escape(record.stage))</span>"
            out += " <span class=\"muted\">\(escape(record.function))</span>"
            if let reviewer = (record.facts["reviewer"] ?? record.facts["approved_by"])?.stringValue {
                out += " <span class=\"who\">by \(escape(reviewer))</span>"
            }
            out += "</td><td>"
            if let outcome = record.outcome {
                out += "<span class=\"outcome tag\(Self.outcomeClass(outcome))\">\(escape(outcome))</span>"
            }
            out += "</td><td class=\"reason\">\(escape(record.facts["reason"]?.stringValue ?? ""))</td>"
            out += "<td>\(facts(record.facts))</td></tr>"
        }
        return out + "</tbody></table>"
    }

    /// The stylesheet's tag colour for an outcome: a failure red, a stop amber, the rest plain.
    static func outcomeClass(_ outcome: String) -> String {
        switch outcome {
        case Outcome.failed.rawValue, Outcome.rejectedInput.rawValue: " error"
        case Outcome.suppressed.rawValue, Outcome.heldOut.rawValue, Outcome.queuedForReview.rawValue: " warning"
        default: ""
        }
    }

    /// The record's facts as the audit holds them, folded away.
    static func facts(_ facts: [String: JSONValue]) -> String {
        guard !facts.isEmpty else { return "" }
        var out = "<details><summary>\(facts.count) facts</summary><dl class=\"facts\">"
        for key in facts.keys.sorted() {
            let value = facts[key]!
            let text = value.stringValue ?? String(decoding: CanonicalJSON.bytes(value), as: UTF8.self)
            out += "<dt>\(escape(key))</dt><dd>\(escape(text))</dd>"
        }
        return out + "</dl></details>"
    }

    static func escape(_ text: String) -> String { OneClickUnsubscribe.escapeHTML(text) }
}

/// A query string the timeline page refuses, naming its field; answered with 400.
package struct AuditTimelineQueryError: Error, Sendable, Equatable, CustomStringConvertible {
    package var field: String
    package var reason: String
    package var description: String { "\(field): \(reason)" }

    package init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }
}

extension String {
    fileprivate var nilIfEmpty: String? { isEmpty ? nil : self }
}
