import Foundation

/// An instant in whole milliseconds since 1970 in UTC, as the audit log writes it.
///
/// Formatting is `Timestamp`'s byte writer rather than `ISO8601DateFormatter`: appends must reach 100,000
/// records a second, and a record's bytes must not depend on the machine's locale or time zone.
struct AuditTimestamp: Comparable, Hashable, Sendable {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    var milliseconds: Int64

    init(milliseconds: Int64) {
        self.milliseconds = milliseconds
    }

    /// The instant truncated to the millisecond. Rounding to the microsecond first keeps a date
    /// that was parsed from "….123Z" at 123 ms despite binary floating point.
    init(_ date: Date) {
        let microseconds = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        milliseconds = Timestamp.floorDivide(microseconds, 1000)
    }

    static func < (lhs: AuditTimestamp, rhs: AuditTimestamp) -> Bool {
        lhs.milliseconds < rhs.milliseconds
    }

    /// The UTC day as `YYYY-MM-DD`, the name of the audit folder this instant belongs in.
    var day: String {
        Timestamp.civil(seconds: Int(Timestamp.floorDivide(milliseconds, 1000))).prefix(10).description
    }

    /// Appends `YYYY-MM-DDTHH:MM:SS.mmmZ` (24 bytes), `Timestamp`'s audit form.
    func appendISO8601(to bytes: inout [UInt8]) {
        Timestamp.appendISO8601(milliseconds: milliseconds, to: &bytes)
    }

    /// Reads exactly the 24-byte form that `appendISO8601` writes; nil for anything else,
    /// including a date the calendar does not have.
    init?<Bytes: RandomAccessCollection>(iso8601 bytes: Bytes)
    where Bytes.Element == UInt8, Bytes.Index == Int {
        guard let milliseconds = Timestamp.parseISO8601Milliseconds(bytes) else { return nil }
        self.milliseconds = milliseconds
    }

    /// Whether `name` looks like a day folder (`YYYY-MM-DD`); those sort by time as strings.
    static func isDayFolderName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard bytes.count == 10 else { return false }
        for (index, byte) in bytes.enumerated() {
            if index == 4 || index == 7 {
                guard byte == UInt8(ascii: "-") else { return false }
            } else {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return false }
            }
        }
        return true
    }
}
