import Foundation

/// An instant in whole milliseconds since 1970 in UTC, as the audit log writes it.
///
/// Formatting is done by hand rather than with `ISO8601DateFormatter`: appends must reach 100,000
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
        milliseconds = Self.floorDivide(microseconds, 1000)
    }

    static func < (lhs: AuditTimestamp, rhs: AuditTimestamp) -> Bool {
        lhs.milliseconds < rhs.milliseconds
    }

    /// The UTC day as `YYYY-MM-DD`, the name of the audit folder this instant belongs in.
    var day: String {
        let (year, month, dayOfMonth) = CivilCalendar.date(days: Int(Self.floorDivide(milliseconds, 86_400_000)))
        var bytes: [UInt8] = []
        bytes.reserveCapacity(10)
        Self.appendDigits(year, width: 4, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        Self.appendDigits(month, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        Self.appendDigits(dayOfMonth, width: 2, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `YYYY-MM-DDTHH:MM:SS.mmmZ` (24 bytes).
    func appendISO8601(to bytes: inout [UInt8]) {
        let days = Self.floorDivide(milliseconds, 86_400_000)
        let millisecondOfDay = Int(milliseconds - days * 86_400_000)
        let (year, month, dayOfMonth) = CivilCalendar.date(days: Int(days))
        Self.appendDigits(year, width: 4, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        Self.appendDigits(month, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        Self.appendDigits(dayOfMonth, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "T"))
        Self.appendDigits(millisecondOfDay / 3_600_000, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        Self.appendDigits(millisecondOfDay / 60_000 % 60, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        Self.appendDigits(millisecondOfDay / 1000 % 60, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "."))
        Self.appendDigits(millisecondOfDay % 1000, width: 3, to: &bytes)
        bytes.append(UInt8(ascii: "Z"))
    }

    /// Reads exactly the 24-byte form that `appendISO8601` writes; nil for anything else.
    init?<Bytes: RandomAccessCollection>(iso8601 bytes: Bytes)
    where Bytes.Element == UInt8, Bytes.Index == Int {
        guard bytes.count == 24 else { return nil }
        let start = bytes.startIndex
        func number(_ offset: Int, _ width: Int) -> Int? {
            var value = 0
            for index in start + offset..<start + offset + width {
                let digit = Int(bytes[index]) - 48
                guard digit >= 0, digit <= 9 else { return nil }
                value = value * 10 + digit
            }
            return value
        }
        let separators: [(Int, Character)] = [
            (4, "-"), (7, "-"), (10, "T"), (13, ":"), (16, ":"), (19, "."), (23, "Z"),
        ]
        for (offset, separator) in separators where bytes[start + offset] != separator.asciiValue {
            return nil
        }
        guard let year = number(0, 4), let month = number(5, 2), let dayOfMonth = number(8, 2),
            let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
            let millisecond = number(20, 3), (1...12).contains(month), (1...31).contains(dayOfMonth)
        else { return nil }
        let days = Int64(CivilCalendar.days(year: year, month: month, day: dayOfMonth))
        let millisecondOfDay = Int64(((hour * 60 + minute) * 60 + second) * 1000 + millisecond)
        milliseconds = days * 86_400_000 + millisecondOfDay
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

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return value % divisor < 0 ? quotient - 1 : quotient
    }

    private static func appendDigits(_ value: Int, width: Int, to bytes: inout [UInt8]) {
        let rest = Swift.max(value, 0)
        var divisor = 1
        for _ in 1..<Swift.max(width, 1) { divisor *= 10 }
        while rest / divisor >= 10 { divisor *= 10 }
        while divisor > 0 {
            bytes.append(UInt8(48 + rest / divisor % 10))
            divisor /= 10
        }
    }

}
