import Foundation

/// Every timestamp Tidings reads or writes, in one place: ISO 8601 / RFC 3339 as platforms send it
/// ("2026-11-20T09:30:00-05:00", "2026-11-20T14:30:00.123Z"), RFC 2822 / RFC 5322 as BigCommerce V2,
/// email `Date:` headers and HTTP dates write it, the audit log's fixed 24-byte form, and the
/// proleptic Gregorian calendar arithmetic under all of them.
///
/// Written by hand: it is on every event's path, a `DateFormatter` is neither `Sendable` nor cheap
/// to set up at cold start, and none of these layouts may depend on a locale or the machine's time
/// zone. Every parser validates the calendar (2026-02-31 is nil, 2028-02-29 is a date) and refuses
/// a time without a stated offset.
package enum Timestamp {
    /// English month abbreviations, January first, as RFC 2822 dates write them.
    package static let monthNames = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]

    /// English weekday abbreviations, Sunday first (`weekday(days:)` indexes them).
    package static let weekdayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]

    // MARK: Parsing

    /// Parses an ISO 8601 timestamp with a `Z` or `±hh:mm` (or `±hhmm`) offset and optional
    /// fractional seconds; nil for anything else, including a date the calendar does not have.
    package static func parse(_ text: String) -> Date? {
        parseKeepingOffset(text)?.date
    }

    /// The offset from UTC, in seconds, that a timestamp states ("-05:00" is -18000); nil when the
    /// text is not a timestamp. The local time of the place that wrote it, for send times.
    package static func utcOffset(of text: String) -> Int? {
        parseKeepingOffset(text)?.utcOffset
    }

    /// Parses an ISO 8601 timestamp and keeps the offset it was written with, in seconds east of UTC.
    package static func parseKeepingOffset(_ text: String) -> (date: Date, utcOffset: Int)? {
        var scanner = ByteScanner(text)
        guard let year = scanner.number(4), scanner.expect("-"), let month = scanner.number(2), scanner.expect("-"),
            let day = scanner.number(2), scanner.expect("T") || scanner.expect(" ") || scanner.expect("t"),
            let hour = scanner.number(2), scanner.expect(":"), let minute = scanner.number(2), scanner.expect(":"),
            let second = scanner.number(2),
            let seconds = epochSeconds(year, month, day, hour, minute, second)
        else { return nil }
        var fraction = 0.0
        if scanner.expect(".") {
            var scale = 0.1
            var digits = 0
            while let digit = scanner.digit() {
                fraction += Double(digit) * scale
                scale /= 10
                digits += 1
            }
            if digits == 0 { return nil }
        }
        let offset: Int
        if scanner.expect("Z") || scanner.expect("z") {
            offset = 0
        } else if let sign = scanner.sign() {
            guard let hours = scanner.number(2), hours <= 23 else { return nil }
            _ = scanner.expect(":")
            guard let minutes = scanner.number(2), minutes <= 59 else { return nil }
            offset = sign * (hours * 3_600 + minutes * 60)
        } else {
            return nil
        }
        guard scanner.isAtEnd else { return nil }
        return (Date(timeIntervalSince1970: TimeInterval(seconds - offset) + fraction), offset)
    }

    /// Parses an RFC 2822 / RFC 5322 date-time, "Wed, 10 Jan 2018 21:05:30 +0000", as BigCommerce V2
    /// and email headers write it, and the HTTP date of a `Retry-After` header ("Sun, 06 Nov 1994
    /// 08:49:37 GMT"). The weekday is optional but must match the date when present; the zone is a
    /// numeric offset or `GMT` / `UT` / `UTC`. Nil for anything else.
    package static func parseRFC2822(_ text: String) -> Date? {
        var parts = text.split(separator: " ", omittingEmptySubsequences: true)
        var statedWeekday: Int?
        if let first = parts.first, first.hasSuffix(",") {
            guard let index = weekdayNames.firstIndex(of: String(first.dropLast())) else { return nil }
            statedWeekday = index
            parts.removeFirst()
        }
        guard parts.count == 5, (1...2).contains(parts[0].count), let day = Int(parts[0]),
            let monthIndex = monthNames.firstIndex(of: String(parts[1])),
            parts[2].count == 4, let year = Int(parts[2])
        else { return nil }
        var clock = ByteScanner(String(parts[3]))
        guard let hour = clock.number(2), clock.expect(":"), let minute = clock.number(2), clock.expect(":"),
            let second = clock.number(2), clock.isAtEnd,
            let seconds = epochSeconds(year, monthIndex + 1, day, hour, minute, second)
        else { return nil }
        let offset: Int
        switch parts[4] {
        case "GMT", "UT", "UTC":
            offset = 0
        default:
            var zone = ByteScanner(String(parts[4]))
            guard let sign = zone.sign(), let hours = zone.number(2), let minutes = zone.number(2), zone.isAtEnd,
                hours <= 23, minutes <= 59
            else { return nil }
            offset = sign * (hours * 3_600 + minutes * 60)
        }
        if let statedWeekday, statedWeekday != weekday(days: floorDivide(seconds, 86_400)) { return nil }
        return Date(timeIntervalSince1970: TimeInterval(seconds - offset))
    }

    // MARK: Formatting

    /// ISO 8601 in UTC, "2026-11-20T14:30:00.000Z", rounded to the millisecond; with
    /// `milliseconds: false`, "2026-11-20T14:30:00Z", truncated to the second.
    package static func format(_ date: Date, milliseconds: Bool = true) -> String {
        let interval = date.timeIntervalSince1970
        var whole = Int(interval.rounded(.down))
        guard milliseconds else { return civil(seconds: whole) + "Z" }
        var millis = Int(((interval - Double(whole)) * 1000).rounded())
        if millis == 1000 {
            whole += 1
            millis = 0
        }
        var bytes: [UInt8] = []
        appendDigits(millis, width: 3, to: &bytes)
        return civil(seconds: whole) + "." + String(decoding: bytes, as: UTF8.self) + "Z"
    }

    /// The UTC calendar day of an instant as "YYYY-MM-DD".
    package static func day(_ date: Date) -> String {
        String(civil(seconds: Int(date.timeIntervalSince1970.rounded(.down))).prefix(10))
    }

    /// RFC 5322 section 3.3 date-time in UTC, "Fri, 20 Nov 2026 09:05:00 +0000", to the second.
    package static func rfc5322(_ date: Date) -> String {
        rfc5322(seconds: Int(date.timeIntervalSince1970.rounded(.down)))
    }

    /// RFC 5322 date-time in UTC of whole seconds since 1970.
    package static func rfc5322(seconds: Int) -> String {
        let days = floorDivide(seconds, 86_400)
        let (year, month, day) = date(days: days)
        var bytes = Array(weekdayNames[weekday(days: days)].utf8) + Array(", ".utf8)
        appendDigits(day, width: 2, to: &bytes)
        bytes += Array(" \(monthNames[month - 1]) ".utf8)
        appendDigits(year, width: 4, to: &bytes)
        bytes.append(UInt8(ascii: " "))
        appendClock(secondOfDay: seconds - days * 86_400, to: &bytes)
        return String(decoding: bytes, as: UTF8.self) + " +0000"
    }

    /// ISO 8601 basic format in UTC, safe in file names and sorting as text: "20261120T090500Z".
    package static func compact(_ date: Date) -> String {
        civil(seconds: Int(date.timeIntervalSince1970.rounded(.down))).filter { $0 != "-" && $0 != ":" } + "Z"
    }

    /// "YYYY-MM-DDTHH:MM:SS" of whole seconds since 1970, with no zone: the caller appends `Z` or
    /// the offset it applied (`seconds` is then local time).
    package static func civil(seconds: Int) -> String {
        let days = floorDivide(seconds, 86_400)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(19)
        appendDate(days: days, to: &bytes)
        bytes.append(UInt8(ascii: "T"))
        appendClock(secondOfDay: seconds - days * 86_400, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: The audit log's fixed form

    /// Appends `YYYY-MM-DDTHH:MM:SS.mmmZ` (exactly 24 bytes) for milliseconds since 1970: the audit
    /// log's time, written for every record, so it builds bytes and allocates nothing.
    package static func appendISO8601(milliseconds: Int64, to bytes: inout [UInt8]) {
        let days = floorDivide(milliseconds, 86_400_000)
        let millisecondOfDay = Int(milliseconds - days * 86_400_000)
        appendDate(days: Int(days), to: &bytes)
        bytes.append(UInt8(ascii: "T"))
        appendClock(secondOfDay: millisecondOfDay / 1000, to: &bytes)
        bytes.append(UInt8(ascii: "."))
        appendDigits(millisecondOfDay % 1000, width: 3, to: &bytes)
        bytes.append(UInt8(ascii: "Z"))
    }

    /// Reads exactly the 24-byte form `appendISO8601(milliseconds:to:)` writes, as milliseconds since
    /// 1970; nil for anything else, including a date the calendar does not have.
    package static func parseISO8601Milliseconds<Bytes: RandomAccessCollection>(_ bytes: Bytes) -> Int64?
    where Bytes.Element == UInt8, Bytes.Index == Int {
        guard bytes.count == 24 else { return nil }
        let start = bytes.startIndex
        func number(_ offset: Int, _ width: Int) -> Int? {
            var value = 0
            for index in start + offset..<start + offset + width {
                let digit = Int(bytes[index]) &- 48
                guard digit >= 0, digit <= 9 else { return nil }
                value = value * 10 + digit
            }
            return value
        }
        // Checked in place, with no array of separators to allocate: the verifier reads every line.
        guard bytes[start + 4] == UInt8(ascii: "-"), bytes[start + 7] == UInt8(ascii: "-"),
            bytes[start + 10] == UInt8(ascii: "T"), bytes[start + 13] == UInt8(ascii: ":"),
            bytes[start + 16] == UInt8(ascii: ":"), bytes[start + 19] == UInt8(ascii: "."),
            bytes[start + 23] == UInt8(ascii: "Z")
        else { return nil }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
            let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
            let millisecond = number(20, 3),
            let seconds = epochSeconds(year, month, day, hour, minute, second)
        else { return nil }
        return Int64(seconds) * 1000 + Int64(millisecond)
    }

    // MARK: Calendar

    /// Seconds since 1970 of a UTC civil time; nil when a field is out of range or the day is not
    /// in the month (February 29 only in leap years). Second 60 is accepted for a leap second.
    package static func epochSeconds(
        _ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0
    ) -> Int? {
        guard isDate(year: year, month: month, day: day), (0...23).contains(hour), (0...59).contains(minute),
            (0...60).contains(second)
        else { return nil }
        return days(year: year, month: month, day: day) * 86_400 + hour * 3_600 + minute * 60 + second
    }

    /// Whether the proleptic Gregorian calendar has this day; month 1 to 12.
    package static func isDate(year: Int, month: Int, day: Int) -> Bool {
        (1...12).contains(month) && day >= 1 && day <= daysIn(month: month, year: year)
    }

    /// The number of days in a month of a year; month 1 to 12.
    package static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a date (Howard Hinnant's days-from-civil, exact for any year); the
    /// date must be valid (`isDate`).
    package static func days(year: Int, month: Int, day: Int) -> Int {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date of a day count since 1970-01-01.
    package static func date(days: Int) -> (year: Int, month: Int, day: Int) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// The weekday of a day count, 0 for Sunday (1970-01-01 was a Thursday).
    package static func weekday(days: Int) -> Int {
        let remainder = (days + 4) % 7
        return remainder < 0 ? remainder + 7 : remainder
    }

    /// Division rounding toward negative infinity, so instants before 1970 land on the right day.
    package static func floorDivide<Value: BinaryInteger>(_ value: Value, _ divisor: Value) -> Value {
        let quotient = value / divisor
        return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    // MARK: Byte building

    private static func appendDate(days: Int, to bytes: inout [UInt8]) {
        let (year, month, day) = date(days: days)
        appendDigits(year, width: 4, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(month, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(day, width: 2, to: &bytes)
    }

    private static func appendClock(secondOfDay: Int, to bytes: inout [UInt8]) {
        appendDigits(secondOfDay / 3_600, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(secondOfDay / 60 % 60, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(secondOfDay % 60, width: 2, to: &bytes)
    }

    /// Appends a non-negative number in decimal, zero-padded to at least `width` digits.
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

/// Reads ASCII fields left to right for the parsers above.
private struct ByteScanner {
    let bytes: [UInt8]
    var index = 0

    init(_ text: String) { bytes = Array(text.utf8) }

    var isAtEnd: Bool { index == bytes.count }

    /// Exactly `width` decimal digits.
    mutating func number(_ width: Int) -> Int? {
        guard index + width <= bytes.count else { return nil }
        var value = 0
        for byte in bytes[index..<index + width] {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        index += width
        return value
    }

    /// One decimal digit, if the next byte is one.
    mutating func digit() -> Int? {
        guard index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") else {
            return nil
        }
        index += 1
        return Int(bytes[index - 1] - UInt8(ascii: "0"))
    }

    /// `+` as 1 or `-` as -1.
    mutating func sign() -> Int? {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") else {
            return nil
        }
        index += 1
        return bytes[index - 1] == UInt8(ascii: "-") ? -1 : 1
    }

    mutating func expect(_ character: Unicode.Scalar) -> Bool {
        guard index < bytes.count, bytes[index] == UInt8(ascii: character) else { return false }
        index += 1
        return true
    }
}
