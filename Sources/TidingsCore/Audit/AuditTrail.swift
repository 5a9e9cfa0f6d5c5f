import Foundation

/// Everything the audit says happened to one customer or one event, in time order: for
/// `tidings audit query`, `tidings privacy export` and `erase`. Reads every day folder (a person's
/// question, not the hot path).
///
/// A customer's records are the records of the events that are theirs, and any other record that
/// names them. An event is theirs when one of its records names them by `customer_id`, except a
/// win-back scan's `select` record: the scan decides about 250 customers at once and is nobody's
/// event, so only that customer's `select` record of it is theirs (their email is the scan's child
/// event `<scan>/customer/<id>`, whose records name them). An event's records are its own and
/// its children's (`<event>/...`).
package struct AuditTrail: Sendable {
    /// Whose or which trail.
    package enum Subject: Sendable, Hashable {
        /// A platform's customer id (or a guest's `guest:` key where the records name it).
        case customer(String)
        /// An event id, with its child events.
        case event(String)
    }

    /// What was asked for.
    package var subject: Subject
    /// The records, by time, then file and line.
    package var records: [AuditStory.Record]
    /// The ids of the events that are the subject's, in the order of their first record.
    package var eventIDs: [String]
    /// Content addresses referenced by records that are not in this trail: what an erasure must
    /// keep, since another event's record refers to the same bytes.
    package var sharedContent: Set<String>

    /// Reads the trail from the audit under `root`. Throws `AuditError` when a folder or file
    /// cannot be read; a line that is not a record (a torn last line) is skipped.
    package static func read(root: URL, subject: Subject) throws -> AuditTrail {
        var all: [AuditStory.Record] = []
        for day in try AuditFile.names(in: root.path).filter(AuditTimestamp.isDayFolderName).sorted() {
            for name in try AuditFile.names(in: root.path + "/" + day).sorted() where name.hasSuffix(".jsonl") {
                let path = root.path + "/" + day + "/" + name
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw AuditError(.cannotOpen, path: path, reason: "cannot read the file")
                }
                for (index, line) in data.split(separator: 10, omittingEmptySubsequences: false).enumerated() {
                    guard !line.isEmpty, case .object(let fields)? = try? JSONParser.parse(Array(line)) else {
                        continue
                    }
                    all.append(
                        AuditStory.Record(
                            time: fields["time"]?.stringValue ?? "", file: day + "/" + name, line: index + 1,
                            stage: fields["stage"]?.stringValue ?? "", outcome: fields["outcome"]?.stringValue,
                            function: fields["function"]?.stringValue ?? "",
                            correlationID: fields["correlation_id"]?.stringValue ?? "",
                            facts: fields["facts"]?.objectValue ?? [:], eventID: fields["event_id"]?.stringValue ?? ""))
                }
            }
        }
        all.sort { ($0.time, $0.file, $0.line) < ($1.time, $1.file, $1.line) }

        var owned: Set<String> = []
        var single: Set<Int> = []
        switch subject {
        case .customer(let id):
            for (index, record) in all.enumerated() where record.facts["customer_id"]?.stringValue == id {
                if Self.isScanDecision(record) {
                    single.insert(index)
                } else {
                    owned.insert(record.eventID)
                }
            }
        case .event(let id):
            owned = Set(all.map(\.eventID).filter { $0 == id || $0.hasPrefix(id + "/") })
        }
        var trail = AuditTrail(subject: subject, records: [], eventIDs: [], sharedContent: [])
        for (index, record) in all.enumerated() {
            if owned.contains(record.eventID) || single.contains(index) {
                trail.records.append(record)
                if owned.contains(record.eventID), !trail.eventIDs.contains(record.eventID) {
                    trail.eventIDs.append(record.eventID)
                }
            } else {
                trail.sharedContent.formUnion(record.contentAddresses)
            }
        }
        return trail
    }

    /// A win-back scan's decision about one of the many customers it read: a `select` record
    /// of the scan event itself (a child's `select` record names its `scan_event`).
    static func isScanDecision(_ record: AuditStory.Record) -> Bool {
        record.stage == "select" && record.facts["scan_event"] == nil
    }

    /// Every content address the trail's records reference, in order, each once.
    package var contentAddresses: [String] {
        var seen: Set<String> = []
        var addresses: [String] = []
        for record in records {
            for address in record.contentAddresses where seen.insert(address).inserted { addresses.append(address) }
        }
        return addresses
    }

    /// The subject as the output names it ("customer 6100000001", "event shopify:…").
    package var title: String {
        switch subject {
        case .customer(let id): "customer \(id)"
        case .event(let id): "event \(id)"
        }
    }

    /// The trail for a person: a summary line, then one line per record (time, event, function,
    /// stage, outcome, facts).
    package func text() -> String {
        var out = "\(title): \(eventIDs.count) events, \(records.count) records\n"
        for record in records {
            let outcome = record.outcome.map { " -> \($0)" } ?? ""
            out += "\(record.time)  \(record.eventID)  \(record.function)  \(record.stage)\(outcome)  "
            out += String(decoding: CanonicalJSON.bytes(.object(record.facts)), as: UTF8.self) + "\n"
        }
        return out
    }

    /// The trail as JSON: the subject, the event ids and the records (as `tidings audit show --json`
    /// writes them, with `event_id`).
    package func json() -> JSONValue {
        var object: [String: JSONValue] = [
            "events": .array(eventIDs.map(JSONValue.string)), "records": .array(records.map(\.json)),
        ]
        switch subject {
        case .customer(let id): object["customer_id"] = .string(id)
        case .event(let id): object["event_id"] = .string(id)
        }
        return .object(object)
    }
}

extension AuditStory.Record {
    /// The content addresses this record's facts reference.
    package var contentAddresses: [String] {
        ContentReference.allCases.compactMap { facts[$0.rawValue]?.stringValue }
    }

    /// The record as JSON: time, file, line, event, stage, function, correlation id, facts and
    /// (on a terminal record) the outcome.
    package var json: JSONValue {
        var fields: [String: JSONValue] = [
            "time": .string(time), "file": .string(file), "line": .int(line), "stage": .string(stage),
            "function": .string(function), "correlation_id": .string(correlationID), "facts": .object(facts),
        ]
        if !eventID.isEmpty { fields["event_id"] = .string(eventID) }
        if let outcome { fields["outcome"] = .string(outcome) }
        return .object(fields)
    }
}
