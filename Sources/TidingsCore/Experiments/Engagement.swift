import Foundation

/// One engagement fact about one message or customer: a send, an open, a click, or an order
/// with its revenue. `EngagementReader` reads them from the shapes a shop has.
package struct EngagementEvent: Sendable, Hashable {
    /// What happened.
    package enum Kind: String, Sendable, Hashable, CaseIterable {
        case send, open, click, order
    }

    /// What happened.
    package var kind: Kind
    /// The platform's customer id (or a guest key) the report joins on; nil when not given.
    package var customerID: String?
    /// The email's Message-ID (the `render` record's `message_id`) or the email service's
    /// reference (the `deliver` record's); nil when not given.
    package var messageID: String?
    /// The Tidings event id (the X-Tidings-Event-Id header, Mandrill's metadata); nil when not given.
    package var eventID: String?
    /// An order's revenue in main units (0 for other kinds).
    package var revenue: Decimal
    /// The revenue's ISO 4217 currency when the source states one.
    package var currency: String?

    /// An engagement event from its parts; at least one of the three keys should be set.
    package init(
        kind: Kind, customerID: String? = nil, messageID: String? = nil, eventID: String? = nil, revenue: Decimal = 0,
        currency: String? = nil
    ) {
        self.kind = kind
        self.customerID = customerID
        self.messageID = messageID
        self.eventID = eventID
        self.revenue = revenue
        self.currency = currency
    }
}

/// Why an engagement file could not be read: where (line or JSON path) and what is wrong.
package struct EngagementError: Error, Sendable, CustomStringConvertible {
    /// "line 4, column revenue", "$.data[2].payload", "mandrill_events[0].msg".
    package var location: String
    /// What is wrong and what is expected.
    package var reason: String

    /// "engagement LOCATION: REASON".
    package var description: String { "engagement \(location): \(reason)" }
}

/// Reads engagement in the shapes docs/experiments.md lists, telling them apart by content:
/// - JSON Lines, one object a line: `event` (send, open, click, order; `type` is accepted too),
///   `customer_id`, `message_id`, `event_id` (at least one), `revenue` (string or number),
///   `currency`;
/// - CSV with a header row naming the same columns (any order, others ignored; RFC 4180 quoting);
/// - Mailchimp Transactional (Mandrill) webhooks: the `mandrill_events` array, the form body
///   `mandrill_events=…`, or an object holding it; `send`, `open` and `click` count, joined by
///   `msg.metadata.event_id` (Tidings sets it), `msg.metadata.tidings_customer_id` and `msg._id`;
/// - Klaviyo webhooks: `{"data": [{"topic": "event:klaviyo.opened_email", "payload": {"data":
///   {"type": "event", "attributes": {"event_properties": {...}}}}}]}` (or the event objects
///   themselves); received/opened/clicked email and placed order count, joined by the event
///   properties `event_id`, `message_id` (Tidings's Create Event sets both) or `customer_id`,
///   revenue from `$value` or `value`.
/// Events of other kinds (bounces, unsubscribes) are skipped; a recognised event without any key
/// to join on, or with a malformed revenue, is an error naming its place.
package enum EngagementReader {
    /// Reads every event in `bytes`.
    package static func read(_ bytes: [UInt8]) throws(EngagementError) -> [EngagementEvent] {
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("mandrill_events=") {
            guard let field = PercentEncoding.formFields(Substring(text))?["mandrill_events"] else {
                throw EngagementError(location: "mandrill_events", reason: "the form body does not decode")
            }
            return try mandrill(parse(field, location: "mandrill_events"), location: "mandrill_events")
        }
        guard text.hasPrefix("{") || text.hasPrefix("[") else { return try csv(text) }
        // One JSON document (a webhook body), else JSON Lines.
        if let document = try? JSONParser.parse(text) {
            switch document {
            case .array(let elements):
                if elements.first?.objectValue?["msg"] != nil {
                    return try mandrill(document, location: "$")
                }
                var events: [EngagementEvent] = []
                for (index, element) in elements.enumerated() {
                    if let event = try canonical(element, location: "$[\(index)]") { events.append(event) }
                }
                return events
            case .object(let members):
                if let field = members["mandrill_events"] {
                    // The form field holds the array as JSON text; a decoded capture holds it as is.
                    var events = field
                    if let text = field.stringValue { events = try parse(text, location: "$.mandrill_events") }
                    return try mandrill(events, location: "$.mandrill_events")
                }
                if case .array? = members["data"] { return try klaviyo(members) }
                return try canonical(document, location: "line 1").map { [$0] } ?? []
            default:
                throw EngagementError(location: "$", reason: "expected an object or an array")
            }
        }
        var events: [EngagementEvent] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            let value = try parse(trimmed, location: "line \(index + 1)")
            if let event = try canonical(value, location: "line \(index + 1)") { events.append(event) }
        }
        return events
    }

    static func parse(_ text: String, location: String) throws(EngagementError) -> JSONValue {
        do {
            return try JSONParser.parse(text)
        } catch {
            throw EngagementError(location: location, reason: "not JSON: \(error)")
        }
    }

    /// One JSON Lines or JSON-array record.
    static func canonical(_ value: JSONValue, location: String) throws(EngagementError) -> EngagementEvent? {
        guard let members = value.objectValue else {
            throw EngagementError(location: location, reason: "expected an object")
        }
        var fields: [String: String] = [:]
        for (key, member) in members {
            switch member {
            case .string(let text): fields[key] = text
            case .int(let number): fields[key] = String(number)
            case .double(let number): fields[key] = String(number)
            default: continue
            }
        }
        return try record(fields, location: location)
    }

    /// A record from named text fields (a JSON line's or a CSV row's).
    static func record(_ fields: [String: String], location: String) throws(EngagementError) -> EngagementEvent? {
        guard let name = (fields["event"] ?? fields["type"])?.lowercased(), !name.isEmpty else {
            throw EngagementError(location: "\(location), event", reason: "missing (send, open, click or order)")
        }
        guard let kind = EngagementEvent.Kind(rawValue: name) else {
            throw EngagementError(
                location: "\(location), event", reason: "'\(name.prefix(40))' is not send, open, click or order")
        }
        func key(_ name: String) -> String? {
            fields[name].map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
        }
        var event = EngagementEvent(
            kind: kind, customerID: key("customer_id"), messageID: key("message_id"), eventID: key("event_id"),
            currency: key("currency"))
        guard event.customerID != nil || event.messageID != nil || event.eventID != nil else {
            throw EngagementError(location: location, reason: "needs customer_id, message_id or event_id to join on")
        }
        if let text = key("revenue") {
            guard let amount = Money(parsing: text, currency: "XXX")?.amount, amount >= 0 else {
                throw EngagementError(
                    location: "\(location), revenue", reason: "'\(text.prefix(40))' is not a plain decimal amount")
            }
            event.revenue = amount
        }
        return event
    }

    /// CSV with a header row.
    static func csv(_ text: String) throws(EngagementError) -> [EngagementEvent] {
        var rows = csvRows(text)
        guard !rows.isEmpty else { return [] }
        let header = rows.removeFirst().map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard header.contains("event") || header.contains("type") else {
            throw EngagementError(
                location: "line 1",
                reason: "not JSON, and not a CSV header with an event column (event, customer_id, message_id, "
                    + "event_id, revenue, currency)")
        }
        var events: [EngagementEvent] = []
        for (index, row) in rows.enumerated() where !(row.count == 1 && row[0].isEmpty) {
            var fields: [String: String] = [:]
            for (column, name) in header.enumerated() where column < row.count { fields[name] = row[column] }
            if let event = try record(fields, location: "line \(index + 2)") { events.append(event) }
        }
        return events
    }

    /// RFC 4180 rows: fields split on commas, double-quoted fields may hold commas, newlines and
    /// doubled quotes.
    static func csvRows(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var iterator = text.makeIterator()
        while let character = iterator.next() {
            if quoted {
                if character == "\"" {
                    // A doubled quote is a quote; a single one ends the quoted part.
                    var lookahead = iterator
                    if lookahead.next() == "\"" {
                        field.append("\"")
                        iterator = lookahead
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(character)
                }
                continue
            }
            switch character {
            case "\"": quoted = true
            case ",":
                row.append(field)
                field = ""
            case "\n", "\r\n":
                row.append(field)
                rows.append(row)
                (row, field) = ([], "")
            case "\r": continue
            default: field.append(character)
            }
        }
        if !field.isEmpty || !row.isEmpty {
            row.append(field)
            rows.append(row)
        }
        return rows
    }

    /// Mandrill's event array.
    static func mandrill(_ value: JSONValue, location: String) throws(EngagementError) -> [EngagementEvent] {
        guard case .array(let elements) = value else {
            throw EngagementError(location: location, reason: "expected the mandrill_events array")
        }
        var events: [EngagementEvent] = []
        for (index, element) in elements.enumerated() {
            let place = "\(location)[\(index)]"
            guard let object = element.objectValue, let name = object["event"]?.stringValue else {
                throw EngagementError(location: "\(place).event", reason: "missing")
            }
            guard let kind = EngagementEvent.Kind(rawValue: name), kind != .order else { continue }
            guard let message = object["msg"]?.objectValue else {
                throw EngagementError(location: "\(place).msg", reason: "missing")
            }
            let metadata = message["metadata"]?.objectValue ?? [:]
            let event = EngagementEvent(
                kind: kind, customerID: metadata[MandrillWebhook.customerIDKey]?.stringValue,
                messageID: message["_id"]?.stringValue, eventID: metadata["event_id"]?.stringValue)
            guard event.customerID != nil || event.messageID != nil || event.eventID != nil else {
                throw EngagementError(location: "\(place).msg", reason: "no _id or metadata.event_id to join on")
            }
            events.append(event)
        }
        return events
    }

    /// Klaviyo's webhook body: `data` holds deliveries of event topics.
    static func klaviyo(_ members: [String: JSONValue]) throws(EngagementError) -> [EngagementEvent] {
        guard case .array(let elements)? = members["data"] else { return [] }
        var events: [EngagementEvent] = []
        for (index, element) in elements.enumerated() {
            let place = "$.data[\(index)]"
            guard let object = element.objectValue else {
                throw EngagementError(location: place, reason: "expected an object")
            }
            // A topic delivery wraps the event in payload.data; an event object stands alone.
            let event = object["payload"]?.objectValue?["data"]?.objectValue ?? object
            let attributes = event["attributes"]?.objectValue ?? [:]
            let topic =
                object["topic"]?.stringValue ?? attributes["metric"]?.objectValue?["name"]?.stringValue
                ?? attributes["metric_name"]?.stringValue ?? ""
            guard let kind = klaviyoKind(topic) else { continue }
            let properties = (attributes["event_properties"] ?? attributes["properties"])?.objectValue ?? [:]
            func text(_ key: String) -> String? {
                switch properties[key] {
                case .string(let value)?: return value.isEmpty ? nil : value
                case .int(let value)?: return String(value)
                default: return nil
                }
            }
            var engagement = EngagementEvent(
                kind: kind, customerID: text("customer_id") ?? text(MandrillWebhook.customerIDKey),
                messageID: text("message_id"), eventID: text("event_id"), currency: text("currency"))
            guard engagement.customerID != nil || engagement.messageID != nil || engagement.eventID != nil else {
                throw EngagementError(
                    location: "\(place) event_properties",
                    reason: "no event_id, message_id or customer_id to join on")
            }
            if kind == .order {
                switch properties["$value"] ?? properties["value"] {
                case .int(let value)?: engagement.revenue = Decimal(value)
                case .double(let value)?: engagement.revenue = Decimal(string: String(value)) ?? 0
                case .string(let value)?:
                    guard let amount = Money(parsing: value, currency: "XXX")?.amount else {
                        throw EngagementError(location: "\(place) $value", reason: "not a decimal amount")
                    }
                    engagement.revenue = amount
                default: break
                }
            }
            events.append(engagement)
        }
        return events
    }

    /// The kind of a Klaviyo topic or metric name ("event:klaviyo.opened_email", "Opened Email").
    static func klaviyoKind(_ topic: String) -> EngagementEvent.Kind? {
        let name = topic.lowercased().replacingOccurrences(of: " ", with: "_")
        if name.hasSuffix("received_email") { return .send }
        if name.hasSuffix("opened_email") { return .open }
        if name.hasSuffix("clicked_email") { return .click }
        if name.hasSuffix("placed_order") { return .order }
        return nil
    }
}
