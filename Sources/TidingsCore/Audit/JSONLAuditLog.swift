import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The production audit log: hash-chained JSON Lines files under a root folder, one file per UTC
/// day and per writer (`<root>/YYYY-MM-DD/<writerID>.jsonl`).
///
/// Each process writes only its own file, so concurrent function instances never interleave bytes
/// and need no lock between them. A record is written with one `write(2)` on a descriptor opened
/// with `O_APPEND`; a record whose time falls on another UTC day goes to that day's file, whose
/// chain starts afresh. The file format is described in `AuditRecordFormat`; `AuditVerifier`
/// checks it. After a file's first record and after each event's terminal record the writer
/// rewrites its head file, and after a file's first record
/// it lists the file in the day's manifest (`AuditManifest`), so that records removed from the
/// end of a file, or a whole file deleted, can be seen. With an `AuditKey` every record, head and
/// manifest line is sealed with HMAC-SHA256 instead of SHA-256. Thread-safe: appends from several
/// tasks are serialized.
package final class JSONLAuditLog: AuditLog {
    /// The folder that holds the day folders, e.g. `<data>/audit`.
    package let root: URL
    /// This instance's file name within a day folder (without `.jsonl`); unique per process.
    package let writerID: String

    private let writer: Mutex<WriterState>
    private let finals: Mutex<FinalOutcomeIndex>

    /// Opens nothing yet: the day folder and file are created by the first append.
    ///
    /// - Parameters:
    ///   - root: the folder that holds the day folders; created when missing.
    ///   - writerID: this instance's file name; characters other than letters, digits, `.`, `_`
    ///     and `-` are replaced by `_` so the name stays inside its folder. Two live instances
    ///     must never share one; the default is unique per process.
    ///   - key: seals the chain with HMAC-SHA256 (`TIDINGS_AUDIT_KEY`); nil seals it with SHA-256.
    package init(root: URL, writerID: String = JSONLAuditLog.makeWriterID(), key: AuditKey? = nil) {
        self.root = root
        self.writerID = Self.fileSafe(writerID)
        writer = Mutex(WriterState(key: key))
        finals = Mutex(FinalOutcomeIndex())
    }

    deinit {
        writer.withLock { $0.closeFile() }
    }

    /// A writer id unique to this process: `<function>-<yyyyMMdd'T'HHmmss>-<pid>-<4 hex>`, the
    /// start time in UTC. The random part keeps two instances apart that reuse a pid in the same
    /// second (containers often all run as pid 1).
    package static func makeWriterID(
        function: String = ProcessInfo.processInfo.processName, now: Date = Date()
    ) -> String {
        // "20261120T101530Z" -> "20261120T101530"
        let compact = Timestamp.compact(now).dropLast()
        let random = Hex.encode([UInt8.random(in: 0...255), UInt8.random(in: 0...255)])
        return fileSafe("\(function)-\(compact)-\(getpid())-\(random)")
    }

    /// Appends one record to this writer's file for the entry's UTC day.
    ///
    /// Throws `AuditError` when the folder or file cannot be created or the record cannot be
    /// written whole; a partly written record is cut off again so the file stays verifiable.
    /// Also throws when the head or manifest cannot be written; the record itself is then in
    /// the file, and the next append brings the head up to date.
    package func append(_ entry: AuditEntry) throws {
        let day = AuditTimestamp(entry.time).day
        try writer.withLock { state in
            if state.day != day || state.descriptor < 0 {
                try state.open(day: day, root: root.path, writerID: writerID)
            }
            var line = AuditRecordFormat.body(seq: state.nextSeq, entry: entry, prev: state.prev)
            let hash = AuditRecordFormat.seal(&line, key: state.key)
            do {
                try AuditFile.writeAll(line, to: state.descriptor, path: state.path)
            } catch {
                state.undoPartialWrite()
                throw error
            }
            state.nextSeq += 1
            state.prev = hash
            state.size += line.count
            // The head names the file's first record and each record that ends an event: what
            // comes after it is an event in progress. One `pwrite` per event, not per record.
            if entry.outcome != nil || state.nextSeq == 1 { try state.writeHead() }
        }
        if entry.isFinalOutcome {
            // Answer at once for our own outcomes, before the index next reads our file.
            finals.withLock { index in
                for key in entry.finalOutcomeKeys { index.record(eventID: key, at: AuditTimestamp(entry.time)) }
            }
        }
    }

    /// Whether any writer recorded a final outcome for `eventID` at or after `since` (to the
    /// millisecond). Reads only the day folders from `since`'s UTC day on, and of those only the
    /// bytes appended since the previous call. Torn and foreign lines are skipped.
    package func hasFinalOutcome(eventID: String, since: Date) throws -> Bool {
        let start = AuditTimestamp(since)
        return try finals.withLock { index in
            try index.catchUp(root: root.path, fromDay: start.day)
            return index.contains(eventID: eventID, since: start)
        }
    }

    /// Keeps letters, digits, `.`, `_` and `-`; anything else, `/` above all, becomes `_`.
    private static func fileSafe(_ name: String) -> String {
        let safe = name.unicodeScalars.map { scalar -> Character in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", ".", "_", "-": Character(scalar)
            default: "_"
            }
        }
        let joined = String(safe)
        return joined.isEmpty || joined.allSatisfy({ $0 == "." }) ? "writer" : joined
    }
}

/// The open file of one writer and where its chain stands.
private struct WriterState: ~Copyable {
    /// Seals records, head and manifest lines with HMAC-SHA256 when set.
    let key: AuditKey?
    var day: String?
    var descriptor: Int32 = -1
    var path = ""
    /// The open head file (`<writer>.head`) of the current file, rewritten after each append.
    var headDescriptor: Int32 = -1
    var headPath = ""
    /// The current file's name in its folder, and the head line's buffer, kept between appends.
    var fileName = ""
    var headLine: [UInt8] = []
    /// Whether the current file is listed in its day's manifest (or known to be).
    var listed = false
    /// Whether the current file held records when this writer opened it.
    var adopted = false
    var nextSeq = 0
    var prev = AuditRecordFormat.zeroHash
    /// The file's size as this writer knows it: it is the only one appending to it.
    var size = 0
    /// Bumped when a file cannot be continued (torn tail, failed repair); names the next file
    /// `<writerID>-<segment>.jsonl` so a chain is never continued across damage.
    var segment = 0

    init(key: AuditKey?) {
        self.key = key
    }

    /// Rewrites the head file in place with the last record's seq and seal (the line only grows,
    /// as seq does, so no stale bytes remain), then lists the file in the day's manifest if it
    /// is not yet. One `pwrite(2)`; the manifest costs one locked append per file.
    mutating func writeHead() throws {
        if headDescriptor < 0 {
            let slash = path.lastIndex(of: "/") ?? path.startIndex
            fileName = String(path[path.index(after: slash)...])
            headPath = String(path[..<slash]) + "/" + AuditManifest.headName(forFile: fileName)
            headDescriptor = try AuditFile.openForWriting(headPath)
        }
        AuditManifest.headLine(seq: nextSeq - 1, file: fileName, last: prev, key: key, into: &headLine)
        let written = headLine.withUnsafeBytes { pwrite(headDescriptor, $0.baseAddress, $0.count, 0) }
        guard written == headLine.count else {
            throw AuditError(.cannotWrite, path: headPath, reason: written < 0 ? AuditFile.lastError : "short write")
        }
        if !listed {
            let folder = String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)])
            try AuditManifest.register(file: fileName, folder: folder, key: key, checkListed: adopted)
            listed = true
        }
    }

    /// Opens the day's file and picks up its chain: a file that already holds records (the same
    /// writer id after a day switch back, or a restart with a fixed id) continues from its last
    /// record; one whose last line is torn is left alone and the next segment is used.
    mutating func open(day: String, root: String, writerID: String) throws {
        closeFile()
        let folder = root + "/" + day
        try AuditFile.createFolder(folder)
        if self.day != day { segment = 0 }
        while true {
            let name = segment == 0 ? writerID : "\(writerID)-\(segment)"
            let candidate = folder + "/" + name + ".jsonl"
            let opened = try AuditFile.openForAppending(candidate)
            let existing = try AuditFile.size(of: opened, path: candidate)
            if existing == 0 {
                adopt(
                    opened, path: candidate, day: day, size: 0, nextSeq: 0, prev: AuditRecordFormat.zeroHash)
                return
            }
            if let last = try Self.lastRecord(of: candidate, size: existing, key: key) {
                adopt(
                    opened, path: candidate, day: day, size: existing, nextSeq: last.seq + 1, prev: last.hash)
                return
            }
            close(opened)
            segment += 1
        }
    }

    /// Cuts a partly written record off again; when even that fails, the next append starts a new
    /// segment so that no record is ever glued to a fragment.
    mutating func undoPartialWrite() {
        guard descriptor >= 0 else { return }
        if ftruncate(descriptor, off_t(size)) != 0 {
            closeFile()
            segment += 1
        }
    }

    mutating func closeFile() {
        if descriptor >= 0 { close(descriptor) }
        if headDescriptor >= 0 { close(headDescriptor) }
        descriptor = -1
        headDescriptor = -1
        listed = false
    }

    private mutating func adopt(
        _ descriptor: Int32, path: String, day: String, size: Int, nextSeq: Int, prev: [UInt8]
    ) {
        self.descriptor = descriptor
        self.path = path
        self.day = day
        self.size = size
        self.nextSeq = nextSeq
        self.prev = prev
        adopted = size > 0
    }

    /// The seq and hash of the last line when it is a complete record sealed as this writer seals
    /// (with `key` or without), else nil. Reads the tail only, growing the window until it holds
    /// the whole last line.
    private static func lastRecord(of path: String, size: Int, key: AuditKey?) throws -> (seq: Int, hash: [UInt8])? {
        var window = 4096
        while true {
            let start = Swift.max(0, size - window)
            let tail = try AuditFile.read(path, offset: start, count: size - start)
            guard tail.last == 0x0a else { return nil }
            let body = tail.dropLast()
            if let newline = body.lastIndex(of: 0x0a) ?? (start == 0 ? body.startIndex - 1 : nil) {
                let line = Array(body[(newline + 1)...])
                return line.withUnsafeBytes { buffer in
                    guard let fields = AuditRecordFormat.chainFields(of: buffer), fields.keyed == (key != nil),
                        AuditRecordFormat.digest(
                            of: UnsafeRawBufferPointer(rebasing: buffer[0..<fields.bodyEnd]),
                            matches: UnsafeRawBufferPointer(
                                rebasing: buffer[fields.hashStart..<fields.hashStart + 64]),
                            key: key)
                    else { return nil }
                    return (fields.seq, Array(buffer[fields.hashStart..<fields.hashStart + 64]))
                }
            }
            window *= 4
        }
    }
}
