import Crypto
import Foundation

/// The whole story of one event as the audit tells it: its records in order, and the content they
/// reference (the request each writer saw, its raw answer, the decoded draft, the findings), for
/// `tidings audit show`. Reads every day folder; meant for a person looking at one event.
package struct AuditStory: Sendable {
    /// One record of the event.
    package struct Record: Sendable {
        /// The record's time, as written (ISO 8601, UTC).
        package var time: String
        /// The file it is in, relative to the audit root, and its 1-based line.
        package var file: String
        package var line: Int
        /// The pipeline stage, the terminal outcome (last record only) and the facts.
        package var stage: String
        package var outcome: String?
        package var function: String
        package var correlationID: String
        package var facts: [String: JSONValue]
        /// The record's event id (`AuditTrail` mixes events; a story's records are all `eventID`'s).
        package var eventID: String = ""
    }

    /// The event's id.
    package var eventID: String
    /// Its records, by time, then file and line.
    package var records: [Record]
    /// The content the records reference, by address; an address whose file is missing is absent.
    package var content: [String: [UInt8]]

    /// Reads the records of `eventID` from the audit under `root`, and the content they reference.
    /// Throws `AuditError` when a file cannot be read.
    package static func read(root: URL, eventID: String) throws -> AuditStory {
        var needle: [UInt8] = []
        AuditRecordFormat.appendJSONString(eventID, to: &needle)
        let needleData = Data(#""event_id":"#.utf8 + needle)
        var records: [Record] = []
        for day in try AuditFile.names(in: root.path).filter(AuditTimestamp.isDayFolderName).sorted() {
            for name in try AuditFile.names(in: root.path + "/" + day).sorted() where name.hasSuffix(".jsonl") {
                let path = root.path + "/" + day + "/" + name
                guard let data = FileManager.default.contents(atPath: path), data.range(of: needleData) != nil
                else { continue }
                for (index, line) in data.split(separator: 10, omittingEmptySubsequences: false).enumerated()
                where line.range(of: needleData) != nil {
                    guard case .object(let fields)? = try? JSONParser.parse(Array(line)),
                        fields["event_id"]?.stringValue == eventID
                    else { continue }
                    records.append(
                        Record(
                            time: fields["time"]?.stringValue ?? "", file: day + "/" + name, line: index + 1,
                            stage: fields["stage"]?.stringValue ?? "", outcome: fields["outcome"]?.stringValue,
                            function: fields["function"]?.stringValue ?? "",
                            correlationID: fields["correlation_id"]?.stringValue ?? "",
                            facts: fields["facts"]?.objectValue ?? [:], eventID: eventID))
                }
            }
        }
        records.sort { ($0.time, $0.file, $0.line) < ($1.time, $1.file, $1.line) }
        let store = FolderContentStore(directory: FolderContentStore.directory(auditRoot: root))
        var content: [String: [UInt8]] = [:]
        for record in records {
            for reference in ContentReference.allCases {
                guard let address = record.facts[reference.rawValue]?.stringValue, content[address] == nil else {
                    continue
                }
                do {
                    content[address] = try store.get(address)
                } catch {
                    throw AuditError(.cannotOpen, path: store.directory.path + "/" + address, reason: "\(error)")
                }
            }
        }
        return AuditStory(eventID: eventID, records: records, content: content)
    }

    /// The story for a person: the records (time, stage, facts), then per writer's turn the
    /// prompt (system and user text) and the raw answer, the decoded draft, the findings, and
    /// where the email went.
    package func text() -> String {
        var out = "event \(eventID): \(records.count) records\n\n"
        for record in records {
            let outcome = record.outcome.map { " -> \($0)" } ?? ""
            out += "\(record.time)  \(record.stage)\(outcome)  \(Self.compact(.object(record.facts)))\n"
        }
        for record in records {
            let writer = record.facts["writer"]?.stringValue ?? "?"
            let turn = record.facts["turn"]?.stringValue ?? "first"
            switch record.stage {
            case "generate":
                out += "\n== \(writer), \(turn) turn\n"
                out += section("prompt", record, .request) { Self.describeRequest($0) }
                out += section("answer", record, .answer) { String(decoding: $0, as: UTF8.self) + "\n" }
                out += section("draft", record, .draft) { Self.pretty($0) }
                if let error = record.facts["error"]?.stringValue { out += "-- not used: \(error)\n" }
            case "validate":
                let decision = record.facts["decision"]?.stringValue ?? "?"
                out += "\n== findings on \(writer)'s \(turn) draft: \(decision)\n"
                out += section("findings", record, .findings) { Self.pretty($0) }
                if let reason = record.facts["fallback_reason"]?.stringValue {
                    out += "-- why this writer: the earlier draft was not used: \(reason)\n"
                }
            default:
                break
            }
        }
        out += "\n== where it went\n"
        var went = false
        for record in records {
            switch record.stage {
            case "render":
                if let hash = record.facts["email_sha256"]?.stringValue {
                    out += "rendered \(record.facts["step"]?.stringValue ?? ""): email_sha256 \(hash)\n"
                }
            case "deliver":
                went = true
                let reference = record.facts["reference"]?.stringValue ?? "?"
                out += "delivered by \(record.facts["service"]?.stringValue ?? "?"): \(reference)"
                out += emailCheck(reference: reference, step: record.facts["step"]?.stringValue) + "\n"
            case "review":
                went = true
                out += "queued for review: \(record.facts["reference"]?.stringValue ?? "?")\n"
            case "review_approve", "review_reject", "review_edit", "review_expire", "review_escalate":
                // A reviewer's decision (docs/decisions/review.md): who, when, and on what.
                let who = record.facts["reviewer"]?.stringValue.map { " by \($0)" } ?? ""
                let why = record.facts["reason"]?.stringValue.map { ": \($0)" } ?? ""
                out += "\(record.stage.dropFirst("review_".count))\(who) at \(record.time)\(why)\n"
                if record.stage == "review_edit" {
                    out += section("draft before the edit", record, .draftBefore) { Self.pretty($0) }
                    out += section("draft after the edit", record, .draft) { Self.pretty($0) }
                }
            case "outcome":
                let reason = record.facts["reason"]?.stringValue.map { " (\($0))" } ?? ""
                out += "outcome: \(record.outcome ?? "?")\(reason)\n"
            default:
                break
            }
        }
        if !went { out += "no email left the function\n" }
        return out
    }

    /// The story as JSON: the records, and each referenced document (parsed when it is JSON,
    /// else as text) by address.
    package func json() -> JSONValue {
        var documents: [String: JSONValue] = [:]
        for (address, bytes) in content {
            documents[address] = (try? JSONParser.parse(bytes)) ?? .string(String(decoding: bytes, as: UTF8.self))
        }
        return .object([
            "event_id": .string(eventID),
            "records": .array(
                records.map { record in
                    var fields: [String: JSONValue] = [
                        "time": .string(record.time), "file": .string(record.file), "line": .int(record.line),
                        "stage": .string(record.stage), "function": .string(record.function),
                        "correlation_id": .string(record.correlationID), "facts": .object(record.facts),
                    ]
                    if let outcome = record.outcome { fields["outcome"] = .string(outcome) }
                    return .object(fields)
                }),
            "content": .object(documents),
        ])
    }

    private func section(
        _ title: String, _ record: Record, _ reference: ContentReference, _ describe: ([UInt8]) -> String
    ) -> String {
        guard let address = record.facts[reference.rawValue]?.stringValue else { return "" }
        guard let bytes = content[address] else { return "-- \(title) (\(address)): missing from content/\n" }
        return "-- \(title) (\(address))\n" + describe(bytes)
    }

    /// Whether the delivered .eml is still the rendered one (its hash is the render record's).
    private func emailCheck(reference: String, step: String?) -> String {
        guard reference.hasPrefix("/"), let data = FileManager.default.contents(atPath: reference) else { return "" }
        let hash = Hex.encode(SHA256.hash(data: data))
        let rendered = records.filter { $0.stage == "render" && $0.facts["step"]?.stringValue == step }
            .compactMap { $0.facts["email_sha256"]?.stringValue }
        return rendered.contains(hash) ? " (matches the rendered email)" : " (differs from the rendered email)"
    }

    /// The request as a person reads it: a prompt document's system and user text (and repair
    /// note); a provider's request body exactly as it was sent, byte for byte (re-indenting it
    /// could change how numbers and escapes are spelled, and the promise is the exact prompt).
    static func describeRequest(_ bytes: [UInt8]) -> String {
        guard case .object(let document)? = try? JSONParser.parse(bytes),
            let system = document["system"]?.stringValue, let user = document["user"]?.stringValue
        else { return String(decoding: bytes, as: UTF8.self) + "\n" }
        var out = "[system]\n\(system)\n[user]\n\(user)\n"
        if case .object(let repair)? = document["repair"] {
            out += "[repair: previous answer]\n\(repair["previous_answer"]?.stringValue ?? "")\n[repair: problems]\n"
            if case .array(let problems)? = repair["problems"] {
                for problem in problems { out += "- \(problem.stringValue ?? "")\n" }
            }
        }
        return out
    }

    /// JSON indented for reading, or the text as it is when it is not JSON.
    static func pretty(_ bytes: [UInt8]) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]),
            let data = try? JSONSerialization.data(
                withJSONObject: object,
                options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
        else { return String(decoding: bytes, as: UTF8.self) + "\n" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    static func compact(_ value: JSONValue) -> String { String(decoding: CanonicalJSON.bytes(value), as: UTF8.self) }
}
