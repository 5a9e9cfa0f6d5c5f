import Crypto
import Foundation

/// The exact bytes of an audit record line, in one place: how a record is written, and how its
/// chain and outcome fields are read back without a general JSON parser.
///
/// A line is `{"seq":N,"time":"…","event_id":…,"correlation_id":…,"function":…,"stage":…`
/// `[,"outcome":…],"facts":{…},"prev":"<64 hex>","hash":"<64 hex>"}` and a newline. The keys are
/// always in this order and only `facts` holds keys chosen by callers, so every field before
/// `facts` is found by position, and `prev` and `hash` at fixed offsets from the end. The hash is
/// SHA-256 over the bytes before `,"hash":"`, which include `prev`, so records form a chain and
/// a verifier checks them textually, with no canonical form to agree on.
enum AuditRecordFormat {
    /// `prev` of the first record of a file.
    static let zeroHash = [UInt8](repeating: UInt8(ascii: "0"), count: 64)

    private static let seqPrefix = Array(#"{"seq":"#.utf8)
    private static let hashMarker = Array(#","hash":""#.utf8)
    /// The keyed line's marker: same length as `hashMarker`, so every offset stays the same.
    private static let hmacMarker = Array(#","hmac":""#.utf8)
    private static let prevMarker = Array(#","prev":""#.utf8)
    private static let hexDigits = Hex.lowercaseDigits
    /// `,"hash":"` + 64 hex + `"}`.
    private static let hashSuffixLength = 9 + 64 + 2

    // MARK: Writing

    /// The line without its hash: everything the hash covers.
    static func body(seq: Int, entry: AuditEntry, prev: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(320)
        bytes.append(contentsOf: seqPrefix)
        bytes.append(contentsOf: String(seq).utf8)
        bytes.append(contentsOf: #","time":""#.utf8)
        AuditTimestamp(entry.time).appendISO8601(to: &bytes)
        bytes.append(contentsOf: #"","event_id":"#.utf8)
        appendJSONString(entry.eventID, to: &bytes)
        bytes.append(contentsOf: #","correlation_id":"#.utf8)
        appendJSONString(entry.correlationID, to: &bytes)
        bytes.append(contentsOf: #","function":"#.utf8)
        appendJSONString(entry.function, to: &bytes)
        bytes.append(contentsOf: #","stage":"#.utf8)
        appendJSONString(entry.stage, to: &bytes)
        if let outcome = entry.outcome {
            bytes.append(contentsOf: #","outcome":"#.utf8)
            appendJSONString(outcome.rawValue, to: &bytes)
        }
        bytes.append(contentsOf: #","facts":"#.utf8)
        appendJSON(.object(entry.facts), to: &bytes)
        bytes.append(contentsOf: prevMarker)
        bytes.append(contentsOf: prev)
        bytes.append(UInt8(ascii: "\""))
        return bytes
    }

    /// Completes `body` into a full line with its seal and newline; returns the seal (64 hex
    /// bytes): `"hash"` = SHA-256 of the body without a key, `"hmac"` = HMAC-SHA256 with one.
    static func seal(_ body: inout [UInt8], key: AuditKey? = nil) -> [UInt8] {
        let hash = body.withUnsafeBytes { hexDigest(of: $0, key: key) }
        body.append(contentsOf: key == nil ? hashMarker : hmacMarker)
        body.append(contentsOf: hash)
        body.append(contentsOf: "\"}\n".utf8)
        return hash
    }

    /// Lowercase hex SHA-256 of `bytes`, or HMAC-SHA256 under `key`.
    static func hexDigest(of bytes: UnsafeRawBufferPointer, key: AuditKey? = nil) -> [UInt8] {
        var hex: [UInt8] = []
        hex.reserveCapacity(64)
        withDigest(of: bytes, key: key) { digest in
            for byte in digest { Hex.append(byte, to: &hex) }
        }
        return hex
    }

    /// Whether the SHA-256 (or, with `key`, the HMAC-SHA256) of `body` is `hex` (64 lowercase
    /// hex bytes), without allocating.
    static func digest(of body: UnsafeRawBufferPointer, matches hex: UnsafeRawBufferPointer, key: AuditKey? = nil)
        -> Bool
    {
        var matches = true
        withDigest(of: body, key: key) { digest in
            var index = 0
            for byte in digest {
                guard hex[index] == hexDigits[Int(byte >> 4)], hex[index + 1] == hexDigits[Int(byte & 0x0f)]
                else {
                    matches = false
                    return
                }
                index += 2
            }
        }
        return matches
    }

    private static func withDigest(
        of bytes: UnsafeRawBufferPointer, key: AuditKey?, _ body: (UnsafeRawBufferPointer) -> Void
    ) {
        if let key {
            var mac = key.keyed
            mac.update(data: bytes)
            mac.finalize().withUnsafeBytes(body)
        } else {
            var hasher = SHA256()
            hasher.update(bufferPointer: bytes)
            hasher.finalize().withUnsafeBytes(body)
        }
    }

    /// Appends `value` as JSON; object keys sorted by their UTF-8 bytes so equal facts give equal
    /// bytes. Non-finite doubles, which JSON cannot hold, are written as null.
    static func appendJSON(_ value: JSONValue, to bytes: inout [UInt8]) {
        switch value {
        case .null:
            bytes.append(contentsOf: "null".utf8)
        case .bool(let flag):
            bytes.append(contentsOf: (flag ? "true" : "false").utf8)
        case .int(let number):
            bytes.append(contentsOf: String(number).utf8)
        case .double(let number):
            // Swift's description is the shortest round-tripping form and valid JSON ("1e-05").
            bytes.append(contentsOf: (number.isFinite ? number.description : "null").utf8)
        case .string(let text):
            appendJSONString(text, to: &bytes)
        case .array(let elements):
            bytes.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                appendJSON(element, to: &bytes)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            let keys = members.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (index, key) in keys.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                appendJSONString(key, to: &bytes)
                bytes.append(UInt8(ascii: ":"))
                appendJSON(members[key] ?? .null, to: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    /// Appends `text` as a JSON string. Swift strings are valid Unicode, so only the quote, the
    /// backslash and control characters need escaping; everything else is copied as UTF-8.
    static func appendJSONString(_ text: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): bytes.append(contentsOf: #"\\"#.utf8)
            case 0x0a: bytes.append(contentsOf: #"\n"#.utf8)
            case 0x0d: bytes.append(contentsOf: #"\r"#.utf8)
            case 0x09: bytes.append(contentsOf: #"\t"#.utf8)
            case 0x00..<0x20:
                bytes.append(contentsOf: #"\u00"#.utf8)
                Hex.append(byte, to: &bytes)
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    // MARK: Reading

    /// Where the chain fields of a line are, as offsets into the line (which excludes its newline).
    struct ChainFields {
        /// The record's sequence number in its file.
        var seq: Int
        /// The end of the hashed part (the start of `,"hash":"`).
        var bodyEnd: Int
        /// The start of the 64 hex bytes of `prev`.
        var prevStart: Int
        /// The start of the 64 hex bytes of `hash` (or `hmac`).
        var hashStart: Int
        /// Whether the record is sealed with the audit key (`"hmac"` instead of `"hash"`).
        var keyed: Bool
    }

    /// The chain fields of a complete line, or nil when the line does not have the record shape
    /// (a torn or foreign line). Only the frame is checked here; the hash vouches for the rest.
    static func chainFields(of line: UnsafeRawBufferPointer) -> ChainFields? {
        let count = line.count
        guard count >= seqPrefix.count + 1 + hashSuffixLength + 9 + 65,
            starts(line, with: seqPrefix, at: 0),
            let (seq, _) = unsignedNumber(in: line, at: seqPrefix.count),
            line[count - 1] == UInt8(ascii: "}"), line[count - 2] == UInt8(ascii: "\"")
        else { return nil }
        let hashStart = count - 2 - 64
        let bodyEnd = hashStart - hashMarker.count
        let prevStart = bodyEnd - 1 - 64
        let keyed = starts(line, with: hmacMarker, at: bodyEnd)
        guard keyed || starts(line, with: hashMarker, at: bodyEnd), isHex(line, from: hashStart),
            line[bodyEnd - 1] == UInt8(ascii: "\""),
            starts(line, with: prevMarker, at: prevStart - prevMarker.count),
            isHex(line, from: prevStart)
        else { return nil }
        return ChainFields(seq: seq, bodyEnd: bodyEnd, prevStart: prevStart, hashStart: hashStart, keyed: keyed)
    }

    /// Where the event fields of a record are, as offsets into the line, for the verifier's
    /// per-event check. Ids are compared as written (quotes and escapes included): the writer
    /// escapes deterministically, so equal ids are equal bytes and nothing needs decoding.
    struct EventFields {
        /// The JSON string of `event_id`, quotes included.
        var eventID: Range<Int>
        /// The JSON string of `correlation_id`, quotes included.
        var correlationID: Range<Int>
        /// Whether the record ends its event: stage `"outcome"` and an `outcome` key, as
        /// `Run.finish` writes it. Either alone is not a terminal record.
        var isTerminal: Bool
        /// The 24 bytes of the record's time.
        var time: Range<Int>
        /// The JSON string of `outcome`, quotes included, when the record has one.
        var outcome: Range<Int>?
    }

    private static let outcomeStage = Array(#""outcome""#.utf8)

    /// The event fields of a line whose frame `chainFields` accepted, or nil when the fields
    /// before `facts` are not where the format puts them. Reads by position, like `chainFields`.
    static func eventFields(of line: UnsafeRawBufferPointer) -> EventFields? {
        guard starts(line, with: seqPrefix, at: 0),
            let (_, afterSeq) = unsignedNumber(in: line, at: seqPrefix.count)
        else { return nil }
        var index = afterSeq
        // The time has a fixed width (`AuditTimestamp`): skip it without parsing.
        guard expect(#","time":""#, in: line, at: &index), index + 25 <= line.count,
            line[index + 24] == UInt8(ascii: "\"")
        else { return nil }
        let time = index..<index + 24
        index += 25
        guard expect(#","event_id":"#, in: line, at: &index) else { return nil }
        let eventStart = index
        guard skipString(in: line, at: &index) != nil else { return nil }
        let eventID = eventStart..<index
        guard expect(#","correlation_id":"#, in: line, at: &index) else { return nil }
        let correlationStart = index
        guard skipString(in: line, at: &index) != nil else { return nil }
        let correlationID = correlationStart..<index
        guard expect(#","function":"#, in: line, at: &index), skipString(in: line, at: &index) != nil,
            expect(#","stage":"#, in: line, at: &index)
        else { return nil }
        let stageStart = index
        guard skipString(in: line, at: &index) != nil else { return nil }
        let isOutcomeStage =
            index - stageStart == outcomeStage.count && starts(line, with: outcomeStage, at: stageStart)
        let hasOutcome = expect(#","outcome":"#, in: line, at: &index)
        var outcome: Range<Int>?
        if hasOutcome {
            let outcomeStart = index
            guard skipString(in: line, at: &index) != nil else { return nil }
            outcome = outcomeStart..<index
        }
        return EventFields(
            eventID: eventID, correlationID: correlationID, isTerminal: isOutcomeStage && hasOutcome, time: time,
            outcome: outcome)
    }

    /// The text of the JSON string at `range` of `buffer` (quotes included), unescaped; for
    /// messages, so not on any hot path.
    static func decodedString(_ buffer: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        var index = range.lowerBound
        let line = UnsafeRawBufferPointer(rebasing: buffer[0..<range.upperBound])
        return string(in: line, at: &index) ?? String(decoding: buffer[range], as: UTF8.self)
    }

    /// The facts of a terminal record that decide whether it consumes its event id.
    struct OutcomeFields {
        var eventID: String
        var time: AuditTimestamp
        var outcome: Outcome
        /// The `retryable` fact, read only for suppressions (the one outcome it changes).
        var retryable: Bool?
    }

    /// The outcome fields of a line, or nil when the line has no outcome or is not a record.
    static func outcomeFields(of line: UnsafeRawBufferPointer) -> OutcomeFields? {
        guard starts(line, with: seqPrefix, at: 0),
            let (_, afterSeq) = unsignedNumber(in: line, at: seqPrefix.count)
        else { return nil }
        var index = afterSeq
        guard expect(#","time":""#, in: line, at: &index), index + 25 <= line.count,
            let time = AuditTimestamp(iso8601: line[index..<index + 24]),
            line[index + 24] == UInt8(ascii: "\"")
        else { return nil }
        index += 25
        guard expect(#","event_id":"#, in: line, at: &index), let eventID = string(in: line, at: &index),
            expect(#","correlation_id":"#, in: line, at: &index), skipString(in: line, at: &index) != nil,
            expect(#","function":"#, in: line, at: &index), skipString(in: line, at: &index) != nil,
            expect(#","stage":"#, in: line, at: &index), skipString(in: line, at: &index) != nil,
            expect(#","outcome":"#, in: line, at: &index), let name = string(in: line, at: &index),
            let outcome = Outcome(rawValue: name)
        else { return nil }
        var retryable: Bool?
        if outcome == .suppressed {
            // Rare, so a full decode is fine here; it also sees through any escaping in facts.
            struct FactsOnly: Decodable { var facts: [String: JSONValue]? }
            let record = try? JSONDecoder().decode(FactsOnly.self, from: Data(line))
            if case .bool(let flag) = record?.facts?["retryable"] { retryable = flag }
        }
        return OutcomeFields(eventID: eventID, time: time, outcome: outcome, retryable: retryable)
    }

    /// The sequence number at the start of a line, for the verifier's look-ahead.
    static func seq(of line: UnsafeRawBufferPointer) -> Int? {
        guard starts(line, with: seqPrefix, at: 0) else { return nil }
        return unsignedNumber(in: line, at: seqPrefix.count)?.value
    }

    private static func starts(_ line: UnsafeRawBufferPointer, with marker: [UInt8], at offset: Int) -> Bool {
        guard offset >= 0, offset + marker.count <= line.count else { return false }
        for (index, byte) in marker.enumerated() where line[offset + index] != byte { return false }
        return true
    }

    private static func expect(_ marker: StaticString, in line: UnsafeRawBufferPointer, at index: inout Int)
        -> Bool
    {
        let count = marker.utf8CodeUnitCount
        guard index + count <= line.count,
            memcmp(line.baseAddress! + index, marker.utf8Start, count) == 0
        else { return false }
        index += count
        return true
    }

    private static func isHex(_ line: UnsafeRawBufferPointer, from start: Int) -> Bool {
        for index in start..<start + 64 {
            let byte = line[index]
            guard (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66) else { return false }
        }
        return true
    }

    /// A decimal number of at most 18 digits followed by a comma.
    private static func unsignedNumber(in line: UnsafeRawBufferPointer, at start: Int) -> (
        value: Int, end: Int
    )? {
        var index = start
        var value = 0
        while index < line.count, index - start < 18, line[index] >= 0x30, line[index] <= 0x39 {
            value = value * 10 + Int(line[index] - 0x30)
            index += 1
        }
        guard index > start, index < line.count, line[index] == UInt8(ascii: ",") else { return nil }
        return (value, index)
    }

    /// Moves past a JSON string starting at `index`; returns whether it held escapes.
    private static func skipString(in line: UnsafeRawBufferPointer, at index: inout Int) -> Bool? {
        guard index < line.count, line[index] == UInt8(ascii: "\"") else { return nil }
        var cursor = index + 1
        var escaped = false
        while cursor < line.count {
            switch line[cursor] {
            case UInt8(ascii: "\\"):
                escaped = true
                cursor += 2
            case UInt8(ascii: "\""):
                index = cursor + 1
                return escaped
            default:
                cursor += 1
            }
        }
        return nil
    }

    private static func string(in line: UnsafeRawBufferPointer, at index: inout Int) -> String? {
        let start = index
        guard let escaped = skipString(in: line, at: &index) else { return nil }
        if !escaped {
            return String(decoding: line[start + 1..<index - 1], as: UTF8.self)
        }
        var array = Array("[".utf8)
        array.append(contentsOf: line[start..<index])
        array.append(UInt8(ascii: "]"))
        return (try? JSONDecoder().decode([String].self, from: Data(array)))?.first
    }
}
