import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The suppression list as one JSON Lines file, `<data>/suppression/suppression.jsonl`: one
/// line per addition, appended with one `write(2)` on an `O_APPEND` descriptor, so handlers of
/// several processes add without a lock and a reader sees whole lines. A line cut short by a crash
/// (no newline yet), or a line that is not an entry, is skipped. Lookups read the whole file: at 10,000 entries that is about a
/// megabyte and a few milliseconds (docs/decisions/suppression.md).
package struct JSONLSuppressionList: SuppressionList {
    /// The folder holding `suppression.jsonl`.
    package let directory: URL

    /// The list under `directory` (created on the first addition).
    package init(directory: URL) {
        self.directory = directory
    }

    /// The file's path.
    package var path: String { directory.appendingPathComponent("suppression.jsonl").path }

    package func add(_ entry: SuppressionEntry) throws(SuppressionError) {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw SuppressionError(.unwritable, path: directory.path, reason: "\(error)")
        }
        var line = Self.encode(entry)
        line.append(UInt8(ascii: "\n"))
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw SuppressionError(.unwritable, path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        let failure: String? = line.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return String(cString: strerror(errno))
                }
                offset += written
            }
            return nil
        }
        if let failure { throw SuppressionError(.unwritable, path: path, reason: failure) }
    }

    package func entry(customerID: String?, address: String?) throws(SuppressionError) -> SuppressionEntry? {
        guard customerID != nil || address != nil else { return nil }
        let hash = address.map(SuppressionKeys.addressHash)
        return try entries().first { $0.matches(customerID: customerID, addressHash: hash) }
    }

    /// Every complete entry, oldest first; an absent file is an empty list.
    package func entries() throws(SuppressionError) -> [SuppressionEntry] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch CocoaError.fileReadNoSuchFile {
            return []
        } catch {
            throw SuppressionError(.unreadable, path: path, reason: "\(error)")
        }
        var entries: [SuppressionEntry] = []
        let bytes = [UInt8](data)
        var start = 0
        while let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
            defer { start = end + 1 }
            if end == start { continue }
            // A line that is not an entry (written by hand, or torn) is skipped rather than
            // stopping every marketing send of the shop until someone edits the file.
            if let entry = Self.decode(Array(bytes[start..<end])) { entries.append(entry) }
        }
        return entries
    }

    /// One line's JSON (keys sorted, so lines are byte-stable).
    static func encode(_ entry: SuppressionEntry) -> [UInt8] {
        var object: [String: JSONValue] = [
            "reason": .string(entry.reason.rawValue), "source": .string(entry.source),
            "time": .string(Timestamp.format(entry.time)),
        ]
        if let customerID = entry.customerID { object["customer_id"] = .string(customerID) }
        if let hash = entry.addressHash { object["address_sha256"] = .string(hash) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(JSONValue.object(object))) ?? Data())
    }

    /// One line parsed; nil when it is not an entry.
    static func decode(_ line: [UInt8]) -> SuppressionEntry? {
        guard let object = (try? JSONParser.parse(line))?.objectValue,
            let reason = object["reason"]?.stringValue.flatMap(SuppressionReason.init(rawValue:)),
            let source = object["source"]?.stringValue,
            let time = object["time"]?.stringValue.flatMap(Timestamp.parse)
        else { return nil }
        let customerID = object["customer_id"]?.stringValue
        let hash = object["address_sha256"]?.stringValue
        guard customerID != nil || hash != nil else { return nil }
        return SuppressionEntry(customerID: customerID, addressHash: hash, reason: reason, source: source, time: time)
    }
}
