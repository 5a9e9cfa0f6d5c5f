import Foundation

/// Checks the audit files under a root folder: every record's hash, and that each file's chain
/// runs from seq 0 with no record removed, moved or rewritten.
///
/// It reads bytes, not JSON: lines are found with `memchr`, `seq`, `prev` and `hash` by position,
/// and each body is hashed straight from a memory map, so a million records verify well within
/// the 2 s target on one core (figures in docs/audit-log.md). Only the first problem of each
/// file is reported: after a break in the chain every later record is suspect anyway.
///
/// Besides the chain it checks that every event ends: the pipeline writes an event's records
/// stage by stage and closes them with exactly one terminal record (stage `outcome`, with an
/// `outcome` key). Dropping that last line keeps the chain intact, so it is checked per event.
/// The check is per file, on the assumption that events never span files: one process handles
/// an event in one go and writes all its records with one writer, and a day boundary falls
/// between events only because each handling stamps all its records with one time.
package struct AuditVerifier: Sendable {
    /// The folder that holds the day folders.
    package var root: URL

    /// A verifier for the log under `root`.
    package init(root: URL) {
        self.root = root
    }

    /// Verifies every `.jsonl` file in the given day folders (`YYYY-MM-DD`), or in all of them.
    /// Throws `AuditError` when the root is missing or a day folder or file cannot be read; a
    /// missing day given by name is simply absent from the report.
    ///
    /// `allowOpenTail` is for verifying while functions run: the newest file of a live writer
    /// may end mid-event (stages written, terminal record not yet), so the last event of each
    /// file may then lack its terminal record and is reported as a warning. Every other
    /// unterminated event still fails. Off by default: a finished log must close every event.
    package func verify(days: [String]? = nil, allowOpenTail: Bool = false) throws -> AuditVerificationReport {
        // A mistyped root must not pass as an empty, perfect log.
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isFolder), isFolder.boolValue
        else {
            throw AuditError(.cannotOpen, path: root.path, reason: "no such audit folder")
        }
        var dayNames = try AuditFile.names(in: root.path).filter(AuditTimestamp.isDayFolderName)
        if let days { dayNames = dayNames.filter(days.contains) }
        var files: [AuditFileVerification] = []
        for day in dayNames.sorted() {
            for name in try AuditFile.names(in: root.path + "/" + day).sorted() where name.hasSuffix(".jsonl") {
                files.append(try verifyFile(day + "/" + name, allowOpenTail: allowOpenTail))
            }
        }
        return AuditVerificationReport(files: files)
    }

    /// Verifies one file, named by its path relative to the root (`YYYY-MM-DD/<writer>.jsonl`);
    /// `allowOpenTail` as in `verify(days:allowOpenTail:)`.
    package func verifyFile(_ relativePath: String, allowOpenTail: Bool = false) throws -> AuditFileVerification {
        try AuditFile.withMappedFile(root.path + "/" + relativePath) { buffer in
            Self.verify(buffer, file: relativePath, allowOpenTail: allowOpenTail)
        }
    }

    /// Verifies the bytes of one file; `file` names it in the report.
    static func verify(_ buffer: UnsafeRawBufferPointer, file: String, allowOpenTail: Bool = false)
        -> AuditFileVerification
    {
        var result = AuditFileVerification(file: file, goodRecords: 0)
        var events = EventTracker()
        // Kept aside, not set as the problem: the chain check below would overwrite it, and an
        // unterminated event on an earlier line may still come first.
        var duplicate: AuditProblem?
        func problem(_ kind: AuditProblem.Kind, _ line: Int, _ detail: String) -> AuditProblem {
            AuditProblem(kind: kind, file: file, line: line, detail: detail)
        }
        var lineNumber = 0
        var start = 0
        // Where the previous record's hash is in the buffer; nil before the first record.
        var previousHashStart: Int?
        while start < buffer.count {
            lineNumber += 1
            guard let end = AuditFile.nextNewline(in: buffer, from: start) else {
                // The torn line is ignored; the event check below runs on the good records, and
                // tolerates only the one event the crash interrupted.
                result.warnings.append(
                    problem(.torn, lineNumber, "the last line has no newline (a write was cut off)"))
                break
            }
            let line = UnsafeRawBufferPointer(rebasing: buffer[start..<end])
            guard let fields = AuditRecordFormat.chainFields(of: line) else {
                if end + 1 == buffer.count {
                    result.warnings.append(problem(.torn, lineNumber, "the last line is not a complete record"))
                } else {
                    result.problem = problem(.malformed, lineNumber, "the line is not an audit record")
                }
                break
            }
            let body = UnsafeRawBufferPointer(rebasing: line[0..<fields.bodyEnd])
            let hash = UnsafeRawBufferPointer(rebasing: line[fields.hashStart..<fields.hashStart + 64])
            guard AuditRecordFormat.digest(of: body, matches: hash) else {
                result.problem = problem(.edited, lineNumber, "hash does not match the record")
                break
            }
            let expectedSeq = result.goodRecords
            if fields.seq > expectedSeq {
                // A gap is a removal unless a skipped seq turns up further down: then lines moved.
                let skipped = expectedSeq..<fields.seq
                if Self.seqAppears(in: skipped, in: buffer, after: end + 1) {
                    result.problem = problem(
                        .reordered, lineNumber, "seq \(fields.seq) comes before seq \(expectedSeq)")
                } else {
                    let what = skipped.count == 1 ? "record \(expectedSeq) is" : "records \(skipped) are"
                    result.problem = problem(
                        .missing, lineNumber,
                        "seq \(fields.seq) where \(expectedSeq) was expected: \(what) gone")
                }
                break
            }
            if fields.seq < expectedSeq {
                result.problem = problem(
                    .reordered, lineNumber, "seq \(fields.seq) after seq \(expectedSeq - 1)")
                break
            }
            let prev = UnsafeRawBufferPointer(rebasing: line[fields.prevStart..<fields.prevStart + 64])
            let linked: Bool
            if let previousHashStart {
                linked = memcmp(prev.baseAddress!, buffer.baseAddress! + previousHashStart, 64) == 0
            } else {
                linked = prev.elementsEqual(AuditRecordFormat.zeroHash)
            }
            guard linked else {
                // Seq is in order and the hash fits its own body, so a record was rewritten
                // with a recomputed hash: this one, or the one before.
                let before =
                    lineNumber == 1 ? "the zero hash of a first record" : "the hash of line \(lineNumber - 1)"
                result.problem = problem(
                    .edited, lineNumber, "prev does not match \(before) (a record was rewritten)")
                break
            }
            guard let eventFields = AuditRecordFormat.eventFields(of: line) else {
                // The hash fits, so these are the bytes that were written, just not by this format.
                result.problem = problem(
                    .malformed, lineNumber, "the record has no event_id, correlation_id and stage where expected")
                break
            }
            if let second = events.record(eventFields, lineStart: start, line: lineNumber, in: buffer),
                duplicate == nil
            {
                duplicate = problem(
                    .duplicateOutcome, lineNumber,
                    "event \(AuditRecordFormat.decodedString(buffer, second.eventID)) has a second terminal "
                        + "outcome record (the first is line \(second.firstLine))")
            }
            previousHashStart = start + fields.hashStart
            result.goodRecords += 1
            start = end + 1
        }
        // A duplicate lies among good records, so it is reported when it comes before a break.
        if let duplicate, duplicate.line < result.problem?.line ?? Int.max { result.problem = duplicate }
        // Whether an event ends can only be judged on a whole chain: after a break its terminal
        // record may be among the suspect lines, and the break is the problem to report.
        guard result.problem == nil || result.problem?.kind == .duplicateOutcome else { return result }
        let ends = events.unterminated(in: buffer)
        var open = ends.open
        // A torn last line is what a crash leaves: the event being written when it happened has no
        // terminal record and will be handled again on retry. Reported, and tolerated like the
        // open tail of a running writer. A last line removed whole (no tear) is not a crash.
        let tornTail = result.warnings.contains { $0.kind == .torn }
        if allowOpenTail || tornTail, let last = ends.last, !last.terminated {
            open.removeAll { $0.line == last.line }
            let why = tornTail ? "cut off by the crash that tore the last line" : "the open tail of a running writer"
            result.warnings.append(
                problem(
                    .unterminated, last.line,
                    "event \(AuditRecordFormat.decodedString(buffer, last.eventID)) has no terminal outcome record "
                        + "after line \(last.line) (\(why): tolerated)"))
        }
        if let first = open.min(by: { $0.line < $1.line }), first.line < result.problem?.line ?? Int.max {
            result.problem = problem(
                .unterminated, first.line,
                "event \(AuditRecordFormat.decodedString(buffer, first.eventID)) has no terminal outcome record "
                    + "after line \(first.line)")
        }
        return result
    }

    /// Whether a line after `offset` carries a seq in `range`.
    private static func seqAppears(in range: Range<Int>, in buffer: UnsafeRawBufferPointer, after offset: Int)
        -> Bool
    {
        var start = offset
        while start < buffer.count {
            let end = AuditFile.nextNewline(in: buffer, from: start) ?? buffer.count
            if let seq = AuditRecordFormat.seq(of: UnsafeRawBufferPointer(rebasing: buffer[start..<end])),
                range.contains(seq)
            {
                return true
            }
            start = end + 1
        }
        return false
    }
}

/// Follows each event of one file: where its last record is, and whether that record ends it.
///
/// Events are written contiguously, so the record's event is almost always the previous
/// record's: that case compares bytes in the mapped file and touches no dictionary. Only when
/// the event changes is the previous one filed by its id (one `String` per run of records), so
/// interleaved events, as concurrent tasks sharing a writer produce, are still followed.
private struct EventTracker {
    /// One event's state, with offsets into the mapped file.
    struct Track {
        /// The event id's JSON string (quotes included) in some record of the event.
        var eventID: Range<Int>
        /// The line of the event's latest record.
        var line: Int
        /// Whether that record is the terminal one.
        var terminated: Bool
        /// The correlation id (JSON string) of the event's latest terminal record, and its line.
        var terminalCorrelation: Range<Int>?
        var terminalLine: Int
    }

    /// A second terminal record of one handling.
    struct Duplicate {
        var eventID: Range<Int>
        var firstLine: Int
    }

    private var filed: [String: Track] = [:]
    private var current: Track?

    /// Takes in one good record; returns a duplicate when it is a second terminal record of the
    /// same handling.
    ///
    /// A handling is an event id with its correlation id: a redelivered or retried event is
    /// handled again, in the same file when the same process gets it, and legitimately ends
    /// again (see Events/cartAbandoned/shopify-first-time-buyer.redelivery.json), but under a
    /// new correlation id. The same correlation id ending twice is a duplicated terminal record.
    mutating func record(
        _ fields: AuditRecordFormat.EventFields, lineStart: Int, line: Int, in buffer: UnsafeRawBufferPointer
    ) -> Duplicate? {
        let eventID = fields.eventID.lowerBound + lineStart..<fields.eventID.upperBound + lineStart
        var track: Track
        if let current, Self.equal(current.eventID, eventID, in: buffer) {
            track = current
        } else {
            if let current { filed[Self.key(current.eventID, in: buffer)] = current }
            track =
                filed[Self.key(eventID, in: buffer)]
                ?? Track(eventID: eventID, line: line, terminated: false, terminalCorrelation: nil, terminalLine: 0)
        }
        var duplicate: Duplicate?
        track.line = line
        track.terminated = fields.isTerminal
        if fields.isTerminal {
            let correlation =
                fields.correlationID.lowerBound + lineStart..<fields.correlationID.upperBound + lineStart
            if let previous = track.terminalCorrelation, Self.equal(previous, correlation, in: buffer) {
                duplicate = Duplicate(eventID: eventID, firstLine: track.terminalLine)
            }
            track.terminalCorrelation = correlation
            track.terminalLine = line
        }
        current = track
        return duplicate
    }

    /// The events whose latest record is not terminal, and the event of the file's last record.
    func unterminated(in buffer: UnsafeRawBufferPointer) -> (open: [Track], last: Track?) {
        var all = filed
        // The filed copy of the current event, if any, is older than `current`.
        if let current { all[Self.key(current.eventID, in: buffer)] = current }
        return (all.values.filter { !$0.terminated }, current)
    }

    private static func equal(_ first: Range<Int>, _ second: Range<Int>, in buffer: UnsafeRawBufferPointer) -> Bool {
        first.count == second.count
            && memcmp(buffer.baseAddress! + first.lowerBound, buffer.baseAddress! + second.lowerBound, first.count) == 0
    }

    private static func key(_ range: Range<Int>, in buffer: UnsafeRawBufferPointer) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: buffer[range]), as: UTF8.self)
    }
}

/// The outcome of verifying an audit log: one entry per file.
package struct AuditVerificationReport: Sendable {
    /// Every file checked, in day and name order.
    package var files: [AuditFileVerification]

    /// Whether every file passed (warnings do not fail).
    package var passed: Bool { files.allSatisfy(\.passed) }
    /// Records whose hash and chain checked out, over all files.
    package var goodRecords: Int { files.reduce(0) { $0 + $1.goodRecords } }
    /// The first problem of each failing file.
    package var problems: [AuditProblem] { files.compactMap(\.problem) }
    /// Tolerated damage: torn last lines, and open last events under `allowOpenTail`.
    package var warnings: [AuditProblem] { files.flatMap(\.warnings) }
}

/// What verifying one file found.
package struct AuditFileVerification: Sendable, Hashable {
    /// The file's path relative to the root: `YYYY-MM-DD/<writer>.jsonl`.
    package var file: String
    /// Records verified before the first problem (all of them when there is none).
    package var goodRecords: Int
    /// The first problem; nil when the file passed.
    package var problem: AuditProblem?
    /// Tolerated damage, which does not fail the file: a torn last line, and (only when asked
    /// for with `allowOpenTail`) a last event without its terminal record.
    package var warnings: [AuditProblem] = []

    /// Whether the file passed.
    package var passed: Bool { problem == nil }
}

/// One problem in one line of one audit file.
package struct AuditProblem: Sendable, Hashable, CustomStringConvertible {
    /// What kind of damage it is.
    package enum Kind: String, Sendable, Hashable {
        /// The record's hash does not match its bytes, or its `prev` does not match the record
        /// before (a record rewritten with a recomputed hash).
        case edited
        /// Seq jumps forward and the skipped records are nowhere later: lines were removed
        /// (including the first, which must have seq 0).
        case missing
        /// Seq goes backwards, or jumps forward to records that come later: lines were moved.
        case reordered
        /// The last line is cut off (no newline, or not a complete record): a crash mid-write.
        /// Tolerated: a warning, not a failure.
        case torn
        /// A line that is not a record, with more lines after it, or a record whose event fields
        /// are not where the format puts them.
        case malformed
        /// An event whose last record in the file is not its terminal `outcome` record: the
        /// terminal line was removed, or the writer stopped mid-event. A warning only for the last
        /// event of a file under `allowOpenTail`.
        case unterminated
        /// A second terminal `outcome` record for the same event and correlation id (one handling
        /// ends once; a redelivery is a new handling with its own correlation id).
        case duplicateOutcome
    }

    /// What kind of damage it is.
    package var kind: Kind
    /// The file's path relative to the root.
    package var file: String
    /// 1-based line number in the file.
    package var line: Int
    /// Why, in words.
    package var detail: String

    /// E.g. `2026-11-20/cartAbandoned-….jsonl line 7: edited (hash does not match the record)`.
    package var description: String { "\(file) line \(line): \(kind.rawValue) (\(detail))" }
}
