import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The evidence kept beside the writer files of a day, for what a file's own chain cannot show:
/// records removed from its end, a file emptied or deleted.
///
/// - `<day>/<writer>.head`: one line, rewritten in place after every append,
///   `{"seq":N,"file":"<writer>.jsonl","last":"<seal of record N>"` and its seal. A file that
///   ends before record N was cut short; one whose record N has another seal was rewritten.
/// - `<day>/manifest`: one line per writer file, appended under `flock` after the file's first
///   record, `{"seq":K,"file":"<writer>.jsonl","prev":"<seal of line K-1>"` and its seal: a chain
///   of the day's files, so a listed file that is gone was deleted.
///
/// Seals are those of records (`AuditRecordFormat.seal`): SHA-256 without the audit key, which
/// anyone can recompute (so an unkeyed head or manifest only shows damage done without care),
/// and HMAC-SHA256 with it. docs/audit-log.md says what each can and cannot prove.
enum AuditManifest {
    /// The manifest's name in a day folder (no `.jsonl`, so readers of records skip it).
    static let manifestName = "manifest"

    /// `<writer>.head` for `<writer>.jsonl`.
    static func headName(forFile name: String) -> String {
        (name.hasSuffix(".jsonl") ? String(name.dropLast(6)) : name) + ".head"
    }

    /// The head line of a file whose last record is `seq` with seal `last`.
    static func headLine(seq: Int, file: String, last: [UInt8], key: AuditKey?) -> [UInt8] {
        var line: [UInt8] = []
        headLine(seq: seq, file: file, last: last, key: key, into: &line)
        return line
    }

    /// The same, written over `line`, whose storage is reused: the writer calls it per record.
    static func headLine(seq: Int, file: String, last: [UInt8], key: AuditKey?, into line: inout [UInt8]) {
        sealedLine(seq: seq, file: file, link: #","last":""#, hash: last, key: key, into: &line)
    }

    /// The manifest line that lists `file` as the day's `seq`th file, after a line sealed `prev`.
    static func manifestLine(seq: Int, file: String, prev: [UInt8], key: AuditKey?) -> [UInt8] {
        var line: [UInt8] = []
        sealedLine(seq: seq, file: file, link: #","prev":""#, hash: prev, key: key, into: &line)
        return line
    }

    /// `{"seq":…,"file":…,<link><hash>"` sealed: the one shape of head and manifest lines, which
    /// differ only in what the hash links to (the file's last record, or the manifest's line before).
    private static func sealedLine(
        seq: Int, file: String, link: String, hash: [UInt8], key: AuditKey?, into line: inout [UInt8]
    ) {
        line.removeAll(keepingCapacity: true)
        line.append(contentsOf: #"{"seq":"#.utf8)
        line.append(contentsOf: String(seq).utf8)
        line.append(contentsOf: #","file":"#.utf8)
        AuditRecordFormat.appendJSONString(file, to: &line)
        line.append(contentsOf: link.utf8)
        line.append(contentsOf: hash)
        line.append(UInt8(ascii: "\""))
        _ = AuditRecordFormat.seal(&line, key: key)
    }

    /// A head or manifest line split into its parts.
    struct Line {
        var seq: Int
        var file: String
        /// `last` of a head, `prev` of a manifest line (64 hex bytes).
        var link: [UInt8]
        /// The line's own seal (64 hex bytes).
        var seal: [UInt8]
        var keyed: Bool
        /// Whether the seal matches the body: under `key` for a keyed line; nil for a keyed line
        /// read without the key, which cannot be checked.
        var sealValid: Bool?
    }

    private struct Fields: Decodable {
        var seq: Int
        var file: String
        var last: String?
        var prev: String?
    }

    /// Parses one line (without its newline), or nil when it is not a head or manifest line.
    static func parse(_ line: [UInt8], key: AuditKey?) -> Line? {
        // `,"hash":"` or `,"hmac":"`, 64 hex, `"}`.
        guard line.count > 9 + 64 + 2, line[line.count - 1] == UInt8(ascii: "}"),
            line[line.count - 2] == UInt8(ascii: "\"")
        else { return nil }
        let sealStart = line.count - 2 - 64
        let bodyEnd = sealStart - 9
        let marker = String(decoding: line[bodyEnd..<sealStart], as: UTF8.self)
        guard marker == #","hash":""# || marker == #","hmac":""# else { return nil }
        let keyed = marker == #","hmac":""#
        var json = Array(line[0..<bodyEnd])
        json.append(UInt8(ascii: "}"))
        guard let fields = try? JSONDecoder().decode(Fields.self, from: Data(json)),
            let link = fields.last ?? fields.prev, link.utf8.count == 64
        else { return nil }
        let seal = Array(line[sealStart..<sealStart + 64])
        var valid: Bool?
        if !keyed || key != nil {
            valid = line.withUnsafeBytes { buffer in
                AuditRecordFormat.digest(
                    of: UnsafeRawBufferPointer(rebasing: buffer[0..<bodyEnd]),
                    matches: UnsafeRawBufferPointer(rebasing: buffer[sealStart..<sealStart + 64]),
                    key: keyed ? key : nil)
            }
        }
        return Line(
            seq: fields.seq, file: fields.file, link: Array(link.utf8), seal: seal, keyed: keyed, sealValid: valid)
    }

    /// Lists `file` in the day folder's manifest, once: under an exclusive `flock`, so writers of
    /// other processes append one after another and the chain holds. A torn last line (a writer
    /// killed while registering, holding the lock) is cut off first. Called once per file, after
    /// its first record and head are written; `checkListed` (a file this writer did not create)
    /// first looks whether the file is listed already.
    static func register(file: String, folder: String, key: AuditKey?, checkListed: Bool) throws {
        let path = folder + "/" + manifestName
        let descriptor = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw AuditError(.cannotOpen, path: path, reason: AuditFile.lastError) }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX) == 0 else {
            throw AuditError(.cannotWrite, path: path, reason: AuditFile.lastError)
        }
        defer { flock(descriptor, LOCK_UN) }
        let size = try AuditFile.size(of: descriptor, path: path)
        var content = try AuditFile.read(path, offset: 0, count: size)
        if let last = content.last, last != 0x0a {
            let keep = (content.lastIndex(of: 0x0a) ?? -1) + 1
            guard ftruncate(descriptor, off_t(keep)) == 0 else {
                throw AuditError(.cannotWrite, path: path, reason: AuditFile.lastError)
            }
            content.removeLast(content.count - keep)
        }
        let lines = content.split(separator: 0x0a).map(Array.init)
        if checkListed, lines.contains(where: { parse($0, key: key)?.file == file }) { return }
        let prev = lines.last.flatMap { parse($0, key: key)?.seal } ?? AuditRecordFormat.zeroHash
        let line = manifestLine(seq: lines.count, file: file, prev: prev, key: key)
        try AuditFile.writeAll(line, to: descriptor, path: path)
    }
}
