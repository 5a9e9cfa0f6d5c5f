import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Checks the audit files under a root folder, and tells damage from a crash.
///
/// Per file: every record's seal (SHA-256, or HMAC-SHA256 under the audit key), that the chain
/// runs from seq 0 with no record removed, moved or rewritten, and that every event ends in one
/// terminal record. Per day: the head of each file (`AuditManifest`) must match the file's end,
/// and every file the manifest lists must be there. Across the log: an event left open at the
/// end of a file (a handler killed between two records) is an interruption, "recovered" when a
/// terminal record for it comes later in any file; one event id sent twice is a double send.
///
/// It reads bytes, not JSON: lines are found with `memchr`, `seq`, `prev` and `hash` by position,
/// and each body is hashed straight from a memory map (figures in docs/audit-log.md). Only the
/// first problem of each file is reported: after a break in the chain every later record is
/// suspect anyway. What it can and cannot see, with and without the key: docs/audit-log.md.
package struct AuditVerifier: Sendable {
    /// The folder that holds the day folders.
    package var root: URL
    /// The audit key, when the log is sealed with one (`TIDINGS_AUDIT_KEY`). Without it keyed
    /// seals cannot be checked (a warning per file); with it every seal must be keyed.
    package var key: AuditKey?

    /// A verifier for the log under `root`.
    package init(root: URL, key: AuditKey? = nil) {
        self.root = root
        self.key = key
    }

    /// Verifies every `.jsonl` file in the given day folders (`YYYY-MM-DD`), or in all of them,
    /// with their heads and manifests. Throws `AuditError` when the root is missing or a day
    /// folder or file cannot be read; a missing day given by name is simply absent from the report.
    package func verify(days: [String]? = nil) throws -> AuditVerificationReport {
        // A mistyped root must not pass as an empty, perfect log.
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isFolder), isFolder.boolValue
        else {
            throw AuditError(.cannotOpen, path: root.path, reason: "no such audit folder")
        }
        var dayNames = try AuditFile.names(in: root.path).filter(AuditTimestamp.isDayFolderName)
        if let days { dayNames = dayNames.filter(days.contains) }
        var report = AuditVerificationReport(files: [])
        var scans: [FileScan] = []
        for day in dayNames.sorted() {
            let names = try AuditFile.names(in: root.path + "/" + day)
            let manifest = try names.contains(AuditManifest.manifestName) ? checkManifest(day: day) : nil
            let listed = manifest?.files ?? [:]
            for name in names.sorted() where name.hasSuffix(".jsonl") {
                let headSeq = try readHead(day + "/" + AuditManifest.headName(forFile: name))?.seq
                var scan = try AuditFile.withMappedFile(root.path + "/" + day + "/" + name) { buffer in
                    Self.scan(buffer, file: day + "/" + name, key: key, headSeq: headSeq)
                }
                try checkHead(of: &scan, day: day, name: name, listed: listed[name] != nil)
                scans.append(scan)
                if manifest != nil, listed[name] == nil, scan.result.goodRecords > 0 {
                    report.notices.append(
                        AuditProblem(
                            kind: .unregistered, file: day + "/" + name, line: 0,
                            detail:
                                "not listed in the day's manifest: a writer killed between its first record and "
                                + "listing the file, or a file put there by hand; its deletion would not be seen"))
                }
            }
            guard let manifest else {
                if key != nil {
                    report.findings.append(
                        AuditProblem(
                            kind: .unkeyed, file: day + "/" + AuditManifest.manifestName, line: 0,
                            detail:
                                "the day has no manifest: with the audit key every day must have a keyed one "
                                + "(verify days written before the key with --day, without the key)"))
                } else {
                    report.notices.append(
                        AuditProblem(
                            kind: .noManifest, file: day, line: 0,
                            detail:
                                "the day has no manifest (written before manifests): records removed from the "
                                + "end of a file, and deleted or emptied files, cannot be seen"))
                }
                continue
            }
            if let problem = manifest.problem { report.findings.append(problem) }
            report.notices += manifest.warnings
            for (name, line) in listed.sorted(by: { $0.value < $1.value }) where !names.contains(name) {
                report.findings.append(
                    AuditProblem(
                        kind: .deleted, file: day + "/" + name, line: 0,
                        detail: "listed in the manifest (line \(line)) but gone: the file was deleted"))
            }
        }
        Self.judgeAcrossFiles(&scans, report: &report)
        report.files = scans.map(\.result)
        try checkContent(files: scans.map(\.result.file), report: &report)
        return report
    }

    /// Checks that every content address the records reference (`request_sha256`,
    /// `answer_sha256`, `draft_sha256`, `findings_sha256`) is a file under `content/` whose bytes
    /// hash to its name. A file is hashed once however often it is referenced. Reads bytes:
    /// references are found by searching for `_sha256":"`, which in a record can only be a key.
    /// A missing file that an erasure record lists (`erased_content`, `PrivacyErasure`) was removed
    /// on purpose: counted in `erasedContent`, not damage. The list is sealed in the chain like any
    /// fact, so with the key nobody can excuse a deletion after the fact.
    func checkContent(files: [String], report: inout AuditVerificationReport) throws {
        // Address -> where it was first referenced.
        var referenced: [String: (file: String, line: Int)] = [:]
        var order: [String] = []
        var erased: Set<String> = []
        for file in files {
            try AuditFile.withMappedFile(root.path + "/" + file) { buffer in
                Self.contentReferences(in: buffer) { address, line in
                    if referenced[address] == nil {
                        referenced[address] = (file, line)
                        order.append(address)
                    }
                }
                Self.erasedContent(in: buffer) { erased.insert($0) }
            }
        }
        let store = FolderContentStore(directory: FolderContentStore.directory(auditRoot: root))
        for address in order {
            guard let (file, line) = referenced[address] else { continue }
            let bytes: [UInt8]?
            do {
                bytes = try store.get(address)
            } catch {
                throw AuditError(.cannotOpen, path: store.directory.path + "/" + address, reason: "\(error)")
            }
            guard let bytes else {
                if erased.contains(address) {
                    report.erasedContent += 1
                    continue
                }
                report.findings.append(
                    AuditProblem(
                        kind: .content, file: file, line: line,
                        detail: "references content/\(address), which is missing"))
                continue
            }
            if FolderContentStore.address(of: bytes) != address {
                report.findings.append(
                    AuditProblem(
                        kind: .content, file: file, line: line,
                        detail: "references content/\(address), whose bytes no longer hash to its name (altered)"))
            }
        }
        report.contentFiles = order.count
    }

    private static let referenceMarker = Array(#"_sha256":""#.utf8)
    private static let erasedMarker = Array(("\"" + PrivacyErasure.erasedContentFact + "\":[").utf8)

    /// Calls `found` with each address an erasure record lists under `erased_content`: an array of
    /// 64-hex strings, written by `PrivacyErasure` only.
    static func erasedContent(in buffer: UnsafeRawBufferPointer, _ found: (String) -> Void) {
        var position = 0
        while position < buffer.count,
            let markerStart = AuditFile.firstOccurrence(of: erasedMarker, in: buffer, from: position)
        {
            position = markerStart + erasedMarker.count
            // ["<64 hex>","<64 hex>",...]: each entry is a quote, 64 digits, a quote, then , or ].
            while position + 66 <= buffer.count, buffer[position] == UInt8(ascii: "\""),
                buffer[position + 65] == UInt8(ascii: "\"")
            {
                let address = String(
                    decoding: UnsafeRawBufferPointer(rebasing: buffer[position + 1..<position + 65]), as: UTF8.self)
                if ContentReference.isAddress(address) { found(address) }
                position += 66
                guard position < buffer.count, buffer[position] == UInt8(ascii: ",") else { break }
                position += 1
            }
        }
    }

    /// Calls `found` with each content address referenced in `buffer` and its 1-based line.
    static func contentReferences(in buffer: UnsafeRawBufferPointer, _ found: (String, Int) -> Void) {
        guard let base = buffer.baseAddress else { return }
        let keys = Set(ContentReference.allCases.map { Array($0.rawValue.utf8) })
        var position = 0
        var line = 1
        var counted = 0
        while position < buffer.count,
            let markerStart = AuditFile.firstOccurrence(of: referenceMarker, in: buffer, from: position)
        {
            let valueStart = markerStart + referenceMarker.count
            position = valueStart
            guard valueStart + 64 < buffer.count, buffer[valueStart + 64] == UInt8(ascii: "\"") else { continue }
            // The key runs back from the marker to its opening quote.
            var keyStart = markerStart
            while keyStart > 0, buffer[keyStart - 1] != UInt8(ascii: "\"") { keyStart -= 1 }
            let key = Array(buffer[keyStart..<(markerStart + 7)])
            guard keys.contains(key) else { continue }
            while counted < markerStart {
                guard let newline = memchr(base + counted, 0x0a, markerStart - counted) else {
                    counted = markerStart
                    break
                }
                line += 1
                counted = UnsafeRawPointer(newline) - UnsafeRawPointer(base) + 1
            }
            let address = String(
                decoding: UnsafeRawBufferPointer(rebasing: buffer[valueStart..<valueStart + 64]), as: UTF8.self)
            if ContentReference.isAddress(address) { found(address, line) }
            position = valueStart + 64
        }
    }

    /// One file's findings, and what the checks across files need from it.
    struct FileScan {
        var result: AuditFileVerification
        /// The seal of the record whose seq the head names, when the file has it.
        var headSeal: [UInt8]?
        /// Whether the records are sealed with the key; nil for a file without records.
        var keyed: Bool?
        /// The event left open by the file's last record, if any.
        var openTail: OpenEvent?
        /// Every terminal record, in line order.
        var terminals: [Terminal] = []
    }

    /// An event whose last record in its file is not terminal, at the file's end.
    struct OpenEvent {
        var eventID: String
        var line: Int
        var time: AuditTimestamp?
    }

    /// A terminal record: an event id ending with an outcome.
    struct Terminal {
        var eventID: String
        var outcome: String
        var time: AuditTimestamp?
        var line: Int
    }

    /// Verifies the bytes of one file, without head or manifest; `file` names it in the report,
    /// and the seal of record `headSeq` is kept for the head check.
    static func scan(_ buffer: UnsafeRawBufferPointer, file: String, key: AuditKey?, headSeq: Int? = nil) -> FileScan {
        var scan = FileScan(result: AuditFileVerification(file: file, goodRecords: 0))
        var events = EventTracker()
        // Kept aside, not set as the problem: the chain check below would overwrite it, and an
        // unterminated event on an earlier line may still come first.
        var duplicate: AuditProblem?
        var uncheckedSeals = false
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
                // The torn line is ignored; the event check below runs on the good records.
                scan.result.warnings.append(
                    problem(.torn, lineNumber, "the last line has no newline (a write was cut off)"))
                break
            }
            let line = UnsafeRawBufferPointer(rebasing: buffer[start..<end])
            guard let fields = AuditRecordFormat.chainFields(of: line) else {
                if end + 1 == buffer.count {
                    scan.result.warnings.append(problem(.torn, lineNumber, "the last line is not a complete record"))
                } else {
                    scan.result.problem = problem(.malformed, lineNumber, "the line is not an audit record")
                }
                break
            }
            if let keyed = scan.keyed, keyed != fields.keyed {
                scan.result.problem = problem(
                    .unkeyed, lineNumber,
                    fields.keyed
                        ? "an HMAC-sealed record in a file sealed with plain SHA-256"
                        : "a record sealed with plain SHA-256 in a file sealed with the audit key")
                break
            }
            if key != nil, !fields.keyed {
                scan.result.problem = problem(
                    .unkeyed, lineNumber,
                    "sealed with plain SHA-256 although the audit key is given: written without the key, "
                        + "or rewritten by someone who does not hold it")
                break
            }
            scan.keyed = fields.keyed
            let body = UnsafeRawBufferPointer(rebasing: line[0..<fields.bodyEnd])
            let hash = UnsafeRawBufferPointer(rebasing: line[fields.hashStart..<fields.hashStart + 64])
            if fields.keyed, key == nil {
                uncheckedSeals = true
            } else if !AuditRecordFormat.digest(of: body, matches: hash, key: fields.keyed ? key : nil) {
                scan.result.problem = problem(
                    .edited, lineNumber,
                    fields.keyed ? "HMAC does not match the record" : "hash does not match the record")
                break
            }
            let expectedSeq = scan.result.goodRecords
            if fields.seq > expectedSeq {
                // A gap is a removal unless a skipped seq turns up further down: then lines moved.
                let skipped = expectedSeq..<fields.seq
                if Self.seqAppears(in: skipped, in: buffer, after: end + 1) {
                    scan.result.problem = problem(
                        .reordered, lineNumber, "seq \(fields.seq) comes before seq \(expectedSeq)")
                } else {
                    let what = skipped.count == 1 ? "record \(expectedSeq) is" : "records \(skipped) are"
                    scan.result.problem = problem(
                        .missing, lineNumber,
                        "seq \(fields.seq) where \(expectedSeq) was expected: \(what) gone")
                }
                break
            }
            if fields.seq < expectedSeq {
                scan.result.problem = problem(
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
                scan.result.problem = problem(
                    .edited, lineNumber, "prev does not match \(before) (a record was rewritten)")
                break
            }
            guard let eventFields = AuditRecordFormat.eventFields(of: line) else {
                // The hash fits, so these are the bytes that were written, just not by this format.
                scan.result.problem = problem(
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
            if eventFields.isTerminal, let outcome = eventFields.outcome {
                scan.terminals.append(
                    Terminal(
                        eventID: AuditRecordFormat.decodedString(line, eventFields.eventID),
                        outcome: AuditRecordFormat.decodedString(line, outcome),
                        time: AuditTimestamp(iso8601: line[eventFields.time]), line: lineNumber))
            }
            if fields.seq == headSeq { scan.headSeal = Array(hash) }
            previousHashStart = start + fields.hashStart
            scan.result.goodRecords += 1
            start = end + 1
        }
        if uncheckedSeals {
            scan.result.warnings.append(
                problem(
                    .unchecked, 0,
                    "sealed with the audit key, which was not given: order and links were checked, the HMACs "
                        + "were not, so a rewritten record would not be seen"))
        }
        // A duplicate lies among good records, so it is reported when it comes before a break.
        if let duplicate, duplicate.line < scan.result.problem?.line ?? Int.max { scan.result.problem = duplicate }
        // Whether an event ends can only be judged on a whole chain: after a break its terminal
        // record may be among the suspect lines, and the break is the problem to report.
        guard scan.result.problem == nil || scan.result.problem?.kind == .duplicateOutcome else { return scan }
        let ends = events.unterminated(in: buffer)
        var open = ends.open
        // The file's last event without its terminal record is what a handler killed between two
        // records leaves (a torn line or not): judged across files, once the heads have shown
        // that nothing was removed after it.
        if let last = ends.last, !last.terminated {
            open.removeAll { $0.line == last.line }
            scan.openTail = OpenEvent(
                eventID: AuditRecordFormat.decodedString(buffer, last.eventID), line: last.line,
                time: AuditTimestamp(iso8601: buffer[last.time]))
        }
        if let first = open.min(by: { $0.line < $1.line }), first.line < scan.result.problem?.line ?? Int.max {
            scan.result.problem = problem(
                .unterminated, first.line,
                "event \(AuditRecordFormat.decodedString(buffer, first.eventID)) has no terminal outcome record "
                    + "after line \(first.line), though later events in the file do")
        }
        return scan
    }

    /// Compares a file with its head, which names the file's first record or its latest terminal
    /// record (records after it belong to an event in progress): a head ahead of the file means
    /// records were removed from its end (or all of them); a head whose seal differs from the
    /// record it names means the records were rewritten. A file listed in the manifest must have
    /// a head.
    private func checkHead(of scan: inout FileScan, day: String, name: String, listed: Bool) throws {
        let file = day + "/" + name
        let headFile = day + "/" + AuditManifest.headName(forFile: name)
        let chainBroken = scan.result.problem.map { ![.unterminated, .duplicateOutcome].contains($0.kind) } ?? false
        guard !chainBroken else { return }
        func fail(_ kind: AuditProblem.Kind, _ path: String, _ line: Int, _ detail: String) {
            scan.result.problem = AuditProblem(kind: kind, file: path, line: line, detail: detail)
            scan.openTail = nil
        }
        guard let headSize = AuditFile.size(atPath: root.path + "/" + headFile) else {
            if listed { fail(.manifest, headFile, 0, "the head of \(name) is gone: it was deleted") }
            return
        }
        // A writer killed between creating its head and the head's first `pwrite` leaves it empty,
        // and it lists its file in the manifest only after that write: an empty head of an
        // unlisted file is that crash, and vouches for nothing, as no head would. Emptied once
        // listed, it is damage (below: not a head line).
        if headSize == 0, !listed {
            scan.result.warnings.append(
                AuditProblem(
                    kind: .torn, file: headFile, line: 1,
                    detail: "the head is empty (a writer killed between creating it and writing it)"))
            return
        }
        guard let head = try readHead(headFile) else {
            return fail(.manifest, headFile, 1, "not a head line")
        }
        if key != nil, !head.keyed {
            return fail(.unkeyed, headFile, 1, "the head is sealed with plain SHA-256 although the audit key is given")
        }
        guard head.sealValid != false else {
            return fail(.manifest, headFile, 1, "the head's seal does not match it: the head was edited")
        }
        guard head.file == name else {
            return fail(.manifest, headFile, 1, "the head names \(head.file), not \(name)")
        }
        let lastSeq = scan.result.goodRecords - 1
        if head.seq > lastSeq {
            let detail =
                lastSeq < 0
                ? "the file has no records but its head records seq \(head.seq): it was emptied"
                : "the file ends at seq \(lastSeq) but its head records seq \(head.seq): "
                    + "\(head.seq - lastSeq) record(s) were removed from its end"
            return fail(.truncated, file, scan.result.goodRecords + 1, detail)
        }
        if scan.headSeal != head.link {
            fail(
                .edited, file, head.seq + 1,
                "the record at seq \(head.seq) is not the one its head records: the records were rewritten "
                    + "and re-chained")
        }
    }

    /// The head line at `relativePath`, or nil when there is none or it is not a head line.
    private func readHead(_ relativePath: String) throws -> AuditManifest.Line? {
        let path = root.path + "/" + relativePath
        guard let size = AuditFile.size(atPath: path) else { return nil }
        var bytes = try AuditFile.read(path, offset: 0, count: size)
        if bytes.last == 0x0a { bytes.removeLast() }
        return AuditManifest.parse(bytes, key: key)
    }

    /// Checks a day's manifest chain; returns the files it lists (name -> line) and its first problem.
    private func checkManifest(day: String) throws -> (
        files: [String: Int], problem: AuditProblem?, warnings: [AuditProblem]
    ) {
        let file = day + "/" + AuditManifest.manifestName
        let path = root.path + "/" + file
        let bytes = try AuditFile.read(path, offset: 0, count: AuditFile.size(atPath: path) ?? 0)
        var files: [String: Int] = [:]
        var warnings: [AuditProblem] = []
        var prev = AuditRecordFormat.zeroHash
        var lines = bytes.split(separator: 0x0a, omittingEmptySubsequences: false).map(Array.init)
        if lines.last?.isEmpty == true { lines.removeLast() }
        for (index, line) in lines.enumerated() {
            let number = index + 1
            func problem(_ kind: AuditProblem.Kind, _ detail: String) -> AuditProblem {
                AuditProblem(kind: kind, file: file, line: number, detail: detail)
            }
            guard let entry = AuditManifest.parse(line, key: key) else {
                if number == lines.count, bytes.last != 0x0a {
                    warnings.append(problem(.torn, "the last line is cut off (a writer killed while listing its file)"))
                    break
                }
                return (files, problem(.manifest, "not a manifest line"), warnings)
            }
            if key != nil, !entry.keyed {
                return (files, problem(.unkeyed, "sealed with plain SHA-256 although the audit key is given"), warnings)
            }
            guard entry.sealValid != false else {
                return (files, problem(.manifest, "the seal does not match the line: it was edited"), warnings)
            }
            guard entry.seq == index, entry.link == prev else {
                return (
                    files,
                    problem(
                        .manifest, "seq or prev does not follow line \(index): a line was removed, moved or rewritten"),
                    warnings
                )
            }
            if entry.sealValid == nil, warnings.isEmpty {
                warnings.append(
                    problem(.unchecked, "sealed with the audit key, which was not given: seals not checked"))
            }
            files[entry.file] = files[entry.file] ?? number
            prev = entry.seal
        }
        return (files, nil, warnings)
    }

    /// Interruptions and recoveries, and double sends: what only all files together show.
    private static func judgeAcrossFiles(_ scans: inout [FileScan], report: inout AuditVerificationReport) {
        var terminals: [String: [(file: String, terminal: Terminal)]] = [:]
        for scan in scans {
            for terminal in scan.terminals {
                terminals[terminal.eventID, default: []].append((scan.result.file, terminal))
            }
        }
        for index in scans.indices {
            guard let open = scans[index].openTail else { continue }
            let file = scans[index].result.file
            let later = terminals[open.eventID]?.first { entry in
                guard let time = entry.terminal.time, let since = open.time,
                    entry.file != file || entry.terminal.line > open.line
                else { return false }
                return time >= since
            }
            let kind: AuditProblem.Kind = later == nil ? .interrupted : .recovered
            let detail =
                if let later {
                    "event \(open.eventID) stopped after line \(open.line) (a handler killed between two records) "
                        + "and was finished later: \(later.terminal.outcome) in \(later.file) line \(later.terminal.line)"
                } else {
                    "event \(open.eventID) stopped after line \(open.line) (a handler killed between two records) "
                        + "and no terminal record for it was found in the days verified"
                }
            scans[index].result.warnings.append(
                AuditProblem(kind: kind, file: scans[index].result.file, line: open.line, detail: detail))
        }
        for (eventID, ends) in terminals.sorted(by: { $0.key < $1.key }) {
            let sends = ends.filter { $0.terminal.outcome == Outcome.sent.rawValue }
            guard sends.count > 1 else { continue }
            let first = sends[0]
            for again in sends.dropFirst() {
                report.findings.append(
                    AuditProblem(
                        kind: .doubleSend, file: again.file, line: again.terminal.line,
                        detail:
                            "event \(eventID) was sent again: it was already sent in \(first.file) line \(first.terminal.line)"
                    ))
            }
        }
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
        /// The time bytes of the event's latest record.
        var time: Range<Int>
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
                ?? Track(
                    eventID: eventID, line: line, time: 0..<0, terminated: false, terminalCorrelation: nil,
                    terminalLine: 0)
        }
        var duplicate: Duplicate?
        track.line = line
        track.time = fields.time.lowerBound + lineStart..<fields.time.upperBound + lineStart
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

/// The outcome of verifying an audit log: one entry per file, and what concerns days and the
/// log as a whole.
package struct AuditVerificationReport: Sendable {
    /// Every file checked, in day and name order.
    package var files: [AuditFileVerification]
    /// Damage beyond single files: a deleted file, a broken manifest, a double send, a missing
    /// or altered content file.
    package var findings: [AuditProblem] = []
    /// Content files referenced by the records, each checked once.
    package var contentFiles = 0
    /// Of those, files gone because an erasure record lists them (not damage).
    package var erasedContent = 0
    /// Warnings beyond single files: a day without manifest, a file not listed in it.
    package var notices: [AuditProblem] = []

    /// Whether nothing is damaged (warnings do not fail).
    package var passed: Bool { problems.isEmpty }
    /// Records whose hash and chain checked out, over all files.
    package var goodRecords: Int { files.reduce(0) { $0 + $1.goodRecords } }
    /// The first problem of each failing file, then the findings.
    package var problems: [AuditProblem] { files.compactMap(\.problem) + findings }
    /// What is reported but not damage: torn last lines, interrupted and recovered events, what
    /// could not be checked.
    package var warnings: [AuditProblem] { files.flatMap(\.warnings) + notices }
    /// Whether a record's hash or link failed: the only case the chain itself is broken.
    package var chainBroken: Bool { problems.contains { $0.kind.breaksChain } }
}

/// What verifying one file found.
package struct AuditFileVerification: Sendable, Hashable {
    /// The file's path relative to the root: `YYYY-MM-DD/<writer>.jsonl`.
    package var file: String
    /// Records verified before the first problem (all of them when there is none).
    package var goodRecords: Int
    /// The first problem; nil when the file passed.
    package var problem: AuditProblem?
    /// Reported, not failing: a torn last line, an interrupted or recovered last event, seals
    /// that could not be checked without the key.
    package var warnings: [AuditProblem] = []

    /// Whether the file passed.
    package var passed: Bool { problem == nil }
}

/// One problem (or warning) in one line of one audit file.
package struct AuditProblem: Sendable, Hashable, CustomStringConvertible {
    /// What kind of damage it is; the kinds marked "warning" never fail verification.
    package enum Kind: String, Sendable, Hashable {
        /// The record's seal does not match its bytes, or its `prev` does not match the record
        /// before, or the record its head names is not the one in the file: a rewrite.
        case edited
        /// Seq jumps forward and the skipped records are nowhere later: lines were removed
        /// (including the first, which must have seq 0).
        case missing
        /// Seq goes backwards, or jumps forward to records that come later: lines were moved.
        case reordered
        /// Warning: the last line is cut off (no newline, or not a complete record), or a head of a
        /// file not yet in the manifest is empty: a crash mid-write.
        case torn
        /// A line that is not a record, with more lines after it, or a record whose event fields
        /// are not where the format puts them.
        case malformed
        /// An event whose last record is not its terminal `outcome` record while later events in
        /// the same file end: its terminal line was removed.
        case unterminated
        /// A second terminal `outcome` record for the same event and correlation id (one handling
        /// ends once; a redelivery is a new handling with its own correlation id).
        case duplicateOutcome
        /// The file ends before the record its head names: records were removed from its end, or
        /// all of them (an emptied file).
        case truncated
        /// A file the day's manifest lists is gone.
        case deleted
        /// A head or manifest line that is missing, unreadable, edited or out of chain.
        case manifest
        /// A record, head or manifest sealed without the key while the key is given, or a file
        /// mixing both seals.
        case unkeyed
        /// One event id with terminal outcome `sent` twice.
        case doubleSend
        /// Warning: the file's last event has no terminal record (a handler killed between two
        /// records) and none was found in any file verified.
        case interrupted
        /// Warning: as `interrupted`, but a terminal record for the event comes later.
        case recovered
        /// Warning: a file with records that the day's manifest does not list.
        case unregistered
        /// Warning: a day written without a manifest; removals at file ends are not seen.
        case noManifest
        /// Warning: keyed seals read without the key: not checked.
        case unchecked
        /// A content file a record references (prompt, answer, draft, findings) is missing, or its
        /// bytes do not hash to its name.
        case content

        /// Whether this kind is a failed hash or link: the chain itself is broken.
        package var breaksChain: Bool {
            switch self {
            case .edited, .missing, .reordered, .malformed: true
            default: false
            }
        }
    }

    /// What kind of damage it is.
    package var kind: Kind
    /// The file's path relative to the root.
    package var file: String
    /// 1-based line number in the file; 0 when the problem concerns the whole file.
    package var line: Int
    /// Why, in words.
    package var detail: String

    /// E.g. `2026-11-20/cartAbandoned-….jsonl line 7: edited (hash does not match the record)`.
    package var description: String {
        line == 0 ? "\(file): \(kind.rawValue) (\(detail))" : "\(file) line \(line): \(kind.rawValue) (\(detail))"
    }
}
