import Foundation

/// Checks the audit files under a root folder: every record's hash, and that each file's chain
/// runs from seq 0 with no record removed, moved or rewritten.
///
/// It reads bytes, not JSON: lines are found with `memchr`, `seq`, `prev` and `hash` by position,
/// and each body is hashed straight from a memory map, so a million records verify well within
/// the 2 s target on one core (figures in docs/audit-log.md). Only the first problem of each
/// file is reported: after a break in the chain every later record is suspect anyway.
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
    package func verify(days: [String]? = nil) throws -> AuditVerificationReport {
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
                files.append(try verifyFile(day + "/" + name))
            }
        }
        return AuditVerificationReport(files: files)
    }

    /// Verifies one file, named by its path relative to the root (`YYYY-MM-DD/<writer>.jsonl`).
    package func verifyFile(_ relativePath: String) throws -> AuditFileVerification {
        try AuditFile.withMappedFile(root.path + "/" + relativePath) { buffer in
            Self.verify(buffer, file: relativePath)
        }
    }

    /// Verifies the bytes of one file; `file` names it in the report.
    static func verify(_ buffer: UnsafeRawBufferPointer, file: String) -> AuditFileVerification {
        var result = AuditFileVerification(file: file, goodRecords: 0)
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
                result.warning = problem(
                    .torn, lineNumber, "the last line has no newline (a write was cut off)")
                break
            }
            let line = UnsafeRawBufferPointer(rebasing: buffer[start..<end])
            guard let fields = AuditRecordFormat.chainFields(of: line) else {
                if end + 1 == buffer.count {
                    result.warning = problem(.torn, lineNumber, "the last line is not a complete record")
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
            previousHashStart = start + fields.hashStart
            result.goodRecords += 1
            start = end + 1
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

/// The outcome of verifying an audit log: one entry per file.
package struct AuditVerificationReport: Sendable {
    /// Every file checked, in day and name order.
    package var files: [AuditFileVerification]

    /// Whether every file passed (torn last lines are warnings and do not fail).
    package var passed: Bool { files.allSatisfy(\.passed) }
    /// Records whose hash and chain checked out, over all files.
    package var goodRecords: Int { files.reduce(0) { $0 + $1.goodRecords } }
    /// The first problem of each failing file.
    package var problems: [AuditProblem] { files.compactMap(\.problem) }
    /// Tolerated damage: torn last lines.
    package var warnings: [AuditProblem] { files.compactMap(\.warning) }
}

/// What verifying one file found.
package struct AuditFileVerification: Sendable, Hashable {
    /// The file's path relative to the root: `YYYY-MM-DD/<writer>.jsonl`.
    package var file: String
    /// Records verified before the first problem (all of them when there is none).
    package var goodRecords: Int
    /// The first problem; nil when the file passed.
    package var problem: AuditProblem?
    /// A torn last line, which does not fail the file.
    package var warning: AuditProblem?

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
        /// A line that is not a record, with more lines after it.
        case malformed
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
