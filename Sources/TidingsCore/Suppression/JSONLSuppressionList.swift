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
/// (no newline yet), or a line that is not an entry, is skipped. A lookup reads the whole file and
/// decodes only the lines that contain the customer id or the address hash (figures in
/// docs/decisions/suppression.md).
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
        let hash = address.map(SuppressionKeys.addressHash)
        // Only lines that contain the id or the hash as a JSON string are decoded: at 10,000
        // entries, decoding every line cost a debug-built handler 330 ms a lookup.
        let needles = [customerID, hash].compactMap { $0 }.map(Self.jsonString)
        guard !needles.isEmpty else { return nil }
        let data = try contents()
        var candidates: Set<Range<Int>> = []
        for needle in needles { candidates.formUnion(Self.lines(containing: needle, in: data)) }
        for range in candidates.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let entry = Self.decode(Array(data[range])), entry.matches(customerID: customerID, addressHash: hash) {
                return entry
            }
        }
        return nil
    }

    /// The file's bytes; none when it does not exist.
    func contents() throws(SuppressionError) -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch CocoaError.fileReadNoSuchFile {
            return Data()
        } catch {
            throw SuppressionError(.unreadable, path: path, reason: "\(error)")
        }
    }

    /// The ranges (without the newline) of the complete lines of `data` that contain `needle`.
    /// Searched over the raw bytes: Foundation's `Data.range(of:)` made a lookup in a 10,000-entry
    /// list cost 35 ms (docs/BENCHMARKS.md, "The outbox dispatcher").
    static func lines(containing needle: Data, in data: Data) -> [Range<Int>] {
        guard !needle.isEmpty else { return [] }
        let newline = UInt8(ascii: "\n")
        return data.withUnsafeBytes { (haystack: UnsafeRawBufferPointer) -> [Range<Int>] in
            needle.withUnsafeBytes { (pattern: UnsafeRawBufferPointer) -> [Range<Int>] in
                guard let base = haystack.baseAddress, pattern.baseAddress != nil else { return [] }
                var ranges: [Range<Int>] = []
                var from = 0
                while let hitOffset = Self.firstOffset(of: pattern, in: haystack, from: from) {
                    var start = hitOffset
                    while start > 0, haystack[start - 1] != newline { start -= 1 }
                    let after = hitOffset + pattern.count
                    // The last line without its newline is not complete yet.
                    guard after <= haystack.count,
                        let end = memchr(base + after, Int32(newline), haystack.count - after)
                    else { break }
                    let endOffset = base.distance(to: UnsafeRawPointer(end))
                    ranges.append(
                        (data.startIndex + start)..<(data.startIndex + endOffset))
                    from = endOffset + 1
                }
                return ranges
            }
        }
    }

    /// The offset of the first occurrence of `pattern` (not empty) in `haystack` at or after `from`.
    static func firstOffset(of pattern: UnsafeRawBufferPointer, in haystack: UnsafeRawBufferPointer, from: Int)
        -> Int?
    {
        guard pattern.count <= haystack.count, from <= haystack.count - pattern.count else { return nil }
        let first = pattern[0]
        let last = pattern[pattern.count - 1]
        var index = from
        let stop = haystack.count - pattern.count
        while index <= stop {
            if haystack[index] == first, haystack[index + pattern.count - 1] == last,
                memcmp(haystack.baseAddress! + index, pattern.baseAddress!, pattern.count) == 0
            {
                return index
            }
            index += 1
        }
        return nil
    }

    /// `text` as the lines write it: a JSON string, quotes included.
    static func jsonString(_ text: String) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return (try? encoder.encode(text)) ?? Data()
    }

    /// Every complete entry, oldest first; an absent file is an empty list.
    package func entries() throws(SuppressionError) -> [SuppressionEntry] {
        var entries: [SuppressionEntry] = []
        let bytes = [UInt8](try contents())
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
