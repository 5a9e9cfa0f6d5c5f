import Foundation

@testable import TidingsCore

/// Runs `body` with a fresh temporary folder that is removed afterwards, whatever happens.
func withTemporaryAuditRoot<Result>(_ body: (URL) throws -> Result) throws -> Result {
    let root = FileManager.default.temporaryDirectory
        .appendingPathComponent("tidings-audit-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: root) }
    return try body(root)
}

/// An instant given as `2026-11-20T10:00:00Z` (whole seconds, UTC).
func auditTime(_ text: String) -> Date {
    ISO8601DateFormatter().date(from: text) ?? Date(timeIntervalSince1970: 0)
}

/// A plausible entry of one stage.
func auditEntry(
    _ eventID: String = "evt-1", at time: Date = auditTime("2026-11-20T10:00:00Z"), stage: String = "guards",
    outcome: Outcome? = nil, facts: [String: JSONValue] = ["shop": "demo.myshopify.com"]
) -> AuditEntry {
    AuditEntry(
        time: time, eventID: eventID, correlationID: "corr-\(eventID)", function: "cartAbandoned",
        stage: stage,
        outcome: outcome, facts: facts)
}

/// Writes `count` records one second apart with one writer, in events of two the way the
/// pipeline writes them: record `2k` is stage `stage-2k` of event `<prefix>-k`, record `2k+1` its
/// terminal outcome. An odd count leaves the last event open. Returns the file's path relative to
/// the root.
@discardableResult
func writeAuditRecords(
    _ count: Int, root: URL, writerID: String = "writer-a", eventPrefix: String = "evt", key: AuditKey? = nil
)
    throws -> String
{
    let log = JSONLAuditLog(root: root, writerID: writerID, key: key)
    let start = auditTime("2026-11-20T10:00:00Z")
    for index in 0..<count {
        let time = start.addingTimeInterval(Double(index))
        let eventID = "\(eventPrefix)-\(index / 2)"
        try log.append(
            index.isMultiple(of: 2)
                ? auditEntry(eventID, at: time, stage: "stage-\(index)")
                : auditEntry(eventID, at: time, stage: "outcome", outcome: .sent))
    }
    return "2026-11-20/\(writerID).jsonl"
}

/// Writes `events` events the way the pipeline does: `stages` stage records, then one terminal
/// `outcome` record, all with the event's correlation id. Returns the file's path relative to
/// the root; event `k` is `<prefix>-k` and takes lines `k * (stages + 1) + 1` to
/// `(k + 1) * (stages + 1)`. `openLast` leaves the last event without its outcome, as a handler
/// killed between two records does.
@discardableResult
func writeAuditEvents(
    _ events: Int, stages: Int = 3, root: URL, writerID: String = "writer-a", eventPrefix: String = "evt",
    key: AuditKey? = nil, openLast: Bool = false, startingAt start: Date = auditTime("2026-11-20T10:00:00Z")
) throws -> String {
    let log = JSONLAuditLog(root: root, writerID: writerID, key: key)
    for event in 0..<events {
        let time = start.addingTimeInterval(Double(event))
        for stage in ["normalize", "guards", "enrich", "generate", "render", "deliver"].prefix(stages) {
            try log.append(auditEntry("\(eventPrefix)-\(event)", at: time, stage: stage))
        }
        if openLast, event == events - 1 { break }
        try log.append(auditEntry("\(eventPrefix)-\(event)", at: time, stage: "outcome", outcome: .sent))
    }
    return "2026-11-20/\(writerID).jsonl"
}

/// Appends the first bytes of a record with no newline: what a write cut off by a crash leaves.
func appendTornLine(_ root: URL, _ file: String) throws {
    let handle = try FileHandle(forWritingTo: root.appendingPathComponent(file))
    defer { try? handle.close() }
    handle.seekToEndOfFile()
    handle.write(Data(#"{"seq":9999,"time":"2026-11-20T10:"#.utf8))
}

/// The key tests seal with, and one an attacker without it would have to guess.
let testAuditKey = AuditKey(Secret("test-audit-key"))
let guessedAuditKey = AuditKey(Secret("not-the-key"))

/// Re-seals the lines from `index` on as a writer would have: each `prev` set to the line
/// before's seal, each seal recomputed with `key` (nil: SHA-256). What someone who edits a record
/// and wants the chain to hold does.
func rechainAuditLines(_ lines: [Data], from index: Int, key: AuditKey?) -> [Data] {
    var lines = lines
    var prev = index == 0 ? AuditRecordFormat.zeroHash : Array(lines[index - 1].suffix(3 + 64).prefix(64))
    for position in index..<lines.count {
        var body = Array(lines[position].dropLast(9 + 64 + 3))  // ,"hash":"…"}\n
        body.replaceSubrange((body.count - 65)..<(body.count - 1), with: prev)
        prev = AuditRecordFormat.seal(&body, key: key)
        lines[position] = Data(body)
    }
    return lines
}

/// Rewrites a file's head to name its (new) last line, sealed with `key`: the second half of a
/// careful rewrite.
func rewriteAuditHead(_ root: URL, _ file: String, key: AuditKey?) throws {
    let lines = try auditLines(root, file)
    let name = String(file.split(separator: "/").last!)
    let head = root.appendingPathComponent(String(file.dropLast(name.count)) + AuditManifest.headName(forFile: name))
    guard let last = lines.last else {
        try FileManager.default.removeItem(at: head)
        return
    }
    let line = String(decoding: last, as: UTF8.self)
    let seq = Int(line.dropFirst(7).prefix { $0.isNumber })!
    try Data(AuditManifest.headLine(seq: seq, file: name, last: Array(last.suffix(3 + 64).prefix(64)), key: key))
        .write(to: head)
}

/// The file's lines, each with its newline, so that joining them gives the file back.
func auditLines(_ root: URL, _ file: String) throws -> [Data] {
    let data = try Data(contentsOf: root.appendingPathComponent(file))
    var lines: [Data] = []
    var start = data.startIndex
    while start < data.endIndex {
        let end = data[start...].firstIndex(of: 0x0a).map { $0 + 1 } ?? data.endIndex
        lines.append(data[start..<end])
        start = end
    }
    return lines
}

/// Replaces the file with the given lines.
func writeAuditLines(_ lines: [Data], _ root: URL, _ file: String) throws {
    try lines.reduce(Data(), +).write(to: root.appendingPathComponent(file))
}
