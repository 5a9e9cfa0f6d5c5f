import Foundation

/// The win-back inputs:
/// - canonical `customer.lapsed`:
///   `{"event":"customer.lapsed","triggered_at":…,"payload":{"customer":{"id":…},"reason_hints":["discount_only"]}}`;
/// - canonical `schedule.win_back`: `{"event":"schedule.win_back","triggered_at":…,"payload":{"criteria":{…}}}`;
/// - the EventBridge Scheduler (or scheduled-rule) event: `"source":"aws.scheduler"` or `"aws.events"`
///   with `"detail-type":"Scheduled Event"`, the criteria in `detail.criteria`. Recognized by that
///   pair only, so other EventBridge envelopes (Shopify's partner source) are not mistaken for it.
///
/// The scan's settings (`criteria`, see `WinBackCriteria.init(json:path:)`) may also carry
/// `platform` ("shopify", "bigcommerce"), `rate_per_second` and `concurrency`.
package enum WinBackEventDecoder {
    static let lapsedEvent = "customer.lapsed"
    static let scheduleEvent = "schedule.win_back"
    static let schedulerSources: Set<String> = ["aws.scheduler", "aws.events"]

    /// Whether the document is a scheduled event from EventBridge (Scheduler or a schedule rule).
    static func isScheduledEvent(_ root: JSONObjectReader) -> Bool {
        isScheduledEvent(root.members)
    }

    /// Whether a JSON object is a scheduled event from EventBridge: `source` `aws.scheduler` or
    /// `aws.events` with `detail-type` `Scheduled Event`. The runtime's envelope decoder asks this
    /// so that it hands the whole event to winBack instead of unwrapping `detail`.
    package static func isScheduledEvent(_ members: [String: JSONValue]) -> Bool {
        guard case .string(let detailType)? = members["detail-type"], case .string(let source)? = members["source"]
        else { return false }
        return detailType == "Scheduled Event" && schedulerSources.contains(source)
    }

    /// The EventBridge scheduled event as a scan.
    static func decodeScheduled(_ root: JSONObjectReader, headers: [String: String]) throws(InputError)
        -> LifecycleEvent
    {
        let id = try root.id("id")
        let time = try root.date("time")
        let detail = try root.optionalObject("detail")
        let subject = try scan(detail?.value("criteria"), path: (detail?.path ?? root.path) + ".criteria")
        return LifecycleEvent(
            flow: .winBack, id: "eventbridge:\(id)", occurredAt: time, shop: try root.optionalString("account") ?? "",
            customer: CustomerReference(id: nil, email: nil, firstName: nil), subject: .scan(subject),
            source: EventSource(platform: .canonical, topic: "Scheduled Event", headers: headers))
    }

    /// A canonical win-back event, or nil when `name` is not one.
    static func decodeCanonical(_ root: JSONObjectReader, name: String, headers: [String: String])
        throws(InputError) -> LifecycleEvent?
    {
        guard name == lapsedEvent || name == scheduleEvent else { return nil }
        let triggeredAt = try root.date("triggered_at")
        let payload = try root.object("payload")
        let shop = try root.optionalString("source") ?? "canonical"
        let source = EventSource(platform: .canonical, topic: name, headers: headers)
        if name == scheduleEvent {
            let subject = try scan(payload.value("criteria"), path: payload.path(of: "criteria"))
            let id =
                try root.optionalString("event_id") ?? headers["x-tidings-event-id"]
                ?? "canonical:\(name):\(Int(triggeredAt.timeIntervalSince1970))"
            return LifecycleEvent(
                flow: .winBack, id: id, occurredAt: triggeredAt, shop: shop,
                customer: CustomerReference(id: nil, email: nil, firstName: nil), subject: .scan(subject),
                source: source)
        }
        let customer = try CanonicalEventDecoder.decodeCustomer(try payload.object("customer"))
        guard let customerID = customer.id else {
            throw InputError(
                .missingField, path: payload.path(of: "customer") + ".id", reason: "a lapsed customer needs an id")
        }
        var hints: [ChurnReason.Kind] = []
        for (index, text) in try payload.strings("reason_hints").enumerated() {
            guard let kind = ChurnReason.Kind(rawValue: text) else {
                throw InputError(
                    .invalidField, path: "\(payload.path(of: "reason_hints"))[\(index)]",
                    reason:
                        "'\(text)' is not one of \(ChurnReason.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            hints.append(kind)
        }
        let id =
            try root.optionalString("event_id") ?? headers["x-tidings-event-id"]
            ?? "canonical:\(name):\(customerID):\(Int(triggeredAt.timeIntervalSince1970))"
        return LifecycleEvent(
            flow: .winBack, id: id, occurredAt: triggeredAt, shop: shop, customer: customer,
            subject: .lapsedCustomer(LapsedCustomerSubject(customerID: customerID, hints: hints)), source: source)
    }

    /// The scan's criteria and settings from the `criteria` object (absent: the defaults).
    static func scan(_ json: JSONValue?, path: String) throws(InputError) -> WinBackScanSubject {
        let criteria: WinBackCriteria
        do {
            criteria = try WinBackCriteria(json: json, path: path)
        } catch let error as InputError {
            throw error
        } catch {
            throw InputError(.invalidField, path: path, reason: "\(error)")
        }
        var platform = EventPlatform.shopify
        var rate: Double?
        var concurrency = 4
        if case .object(let members)? = json {
            let reader = JSONObjectReader(members, path: path)
            if let name = try reader.optionalString("platform") {
                guard let named = EventPlatform(rawValue: name), named != .canonical else {
                    throw InputError(
                        .invalidField, path: reader.path(of: "platform"),
                        reason: "'\(name)' is not shopify or bigcommerce")
                }
                platform = named
            }
            if let value = reader.value("rate_per_second") {
                switch value {
                case .int(let number) where number > 0: rate = Double(number)
                case .double(let number) where number > 0 && number.isFinite: rate = number
                default:
                    throw InputError(
                        .invalidField, path: reader.path(of: "rate_per_second"), reason: "must be a number above 0")
                }
            }
            if let value = try reader.optionalInt("concurrency") {
                guard (1...256).contains(value) else {
                    throw InputError(.invalidField, path: reader.path(of: "concurrency"), reason: "must be 1 to 256")
                }
                concurrency = value
            }
        }
        return WinBackScanSubject(
            criteria: criteria, platform: platform, requestsPerSecond: rate, concurrency: concurrency)
    }
}
