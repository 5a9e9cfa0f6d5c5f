import Foundation

/// The event ids that reached a final outcome, with the latest time each did, read from the audit
/// files of every writer.
///
/// It remembers how far it has read each file and reads only what was appended since, so the
/// duplicate guard can ask on every event: a call costs a folder listing and a `stat` per file,
/// and new bytes are read once. Other instances keep writing while this one runs, which is why
/// it catches up on each question instead of loading the window once. A line without its newline
/// (being written, or torn by a crash) is left for the next call; a line that is not a record is
/// skipped, because the verifier, not the duplicate guard, is where damage is reported.
struct FinalOutcomeIndex {
    /// Bytes of complete lines already read, by file path.
    private var consumed: [String: Int] = [:]
    /// The latest final outcome of each event id.
    private var latestFinal: [String: AuditTimestamp] = [:]
    /// How much of a file is read at a time: bounded memory for large days.
    private let chunkSize = 8 << 20

    /// Notes a final outcome.
    mutating func record(eventID: String, at time: AuditTimestamp) {
        if let known = latestFinal[eventID], known >= time { return }
        latestFinal[eventID] = time
    }

    /// Whether `eventID` had a final outcome at or after `since`, among what has been read.
    func contains(eventID: String, since: AuditTimestamp) -> Bool {
        guard let time = latestFinal[eventID] else { return false }
        return time >= since
    }

    /// Reads what is new in the day folders from `firstDay` on, every writer's file.
    mutating func catchUp(root: String, fromDay firstDay: String) throws {
        let days = try AuditFile.names(in: root).filter {
            AuditTimestamp.isDayFolderName($0) && $0 >= firstDay
        }
        for day in days.sorted() {
            let folder = root + "/" + day
            for name in try AuditFile.names(in: folder).sorted() where name.hasSuffix(".jsonl") {
                try catchUp(file: folder + "/" + name)
            }
        }
    }

    private mutating func catchUp(file path: String) throws {
        guard let size = AuditFile.size(atPath: path) else { return }
        var offset = consumed[path] ?? 0
        // A file shorter than what was read was replaced; reading it again is harmless.
        if size < offset { offset = 0 }
        var chunk = chunkSize
        while offset < size {
            let bytes = try AuditFile.read(path, offset: offset, count: Swift.min(chunk, size - offset))
            let used = readCompleteLines(bytes)
            if used == 0 {
                // No newline: a torn or unfinished tail, or a line longer than the chunk.
                if offset + bytes.count >= size { break }
                chunk *= 2
                continue
            }
            offset += used
        }
        consumed[path] = offset
    }

    /// Records the final outcomes among the newline-terminated lines; returns the bytes used.
    private mutating func readCompleteLines(_ bytes: [UInt8]) -> Int {
        bytes.withUnsafeBytes { buffer in
            var start = 0
            while let end = AuditFile.nextNewline(in: buffer, from: start) {
                let line = UnsafeRawBufferPointer(rebasing: buffer[start..<end])
                if let fields = AuditRecordFormat.outcomeFields(of: line),
                    OutcomeReport(
                        function: "", eventID: fields.eventID, outcome: fields.outcome,
                        retryable: fields.retryable
                    ).isFinal
                {
                    record(eventID: fields.eventID, at: fields.time)
                    for key in Self.dedupeKeys(of: line) { record(eventID: key, at: fields.time) }
                }
                start = end + 1
            }
            return start
        }
    }

    private static let dedupeMarker = Array("\"\(AuditEntry.dedupeKeysFact)\":".utf8)

    /// The `dedupe_keys` fact of a terminal record. One line per event has it, so a full decode
    /// of just that line is affordable and sees through any escaping.
    static func dedupeKeys(of line: UnsafeRawBufferPointer) -> [String] {
        guard line.count >= dedupeMarker.count,
            (0...(line.count - dedupeMarker.count)).contains(where: { start in
                dedupeMarker.indices.allSatisfy { line[start + $0] == dedupeMarker[$0] }
            })
        else { return [] }
        struct FactsOnly: Decodable { var facts: [String: JSONValue]? }
        guard
            case .array(let keys)? = (try? JSONDecoder().decode(FactsOnly.self, from: Data(line)))?.facts?[
                AuditEntry.dedupeKeysFact]
        else { return [] }
        return keys.compactMap(\.stringValue)
    }
}
