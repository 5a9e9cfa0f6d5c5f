import Foundation

/// ISO 8601 / RFC 3339 timestamps as platforms send them: "2026-11-20T09:30:00-05:00",
/// "2026-11-20T14:30:00.123Z". A hand parser because it is on every event's path, it must accept
/// both with and without fractional seconds, and it must refuse timestamps without an offset.
public enum ISO8601 {
    /// Parses a timestamp with a `Z` or `±hh:mm` offset; nil for anything else.
    public static func parse(_ text: String) -> Date? {
        parseKeepingOffset(text)?.date
    }

    /// The offset from UTC, in seconds, that a timestamp states ("-05:00" is -18000); nil when the
    /// text is not a timestamp. The local time of the place that wrote it, for send times.
    public static func utcOffset(of text: String) -> Int? {
        parseKeepingOffset(text)?.utcOffset
    }

    /// Parses a timestamp and keeps the offset it was written with.
    static func parseKeepingOffset(_ text: String) -> (date: Date, utcOffset: Int)? {
        let bytes = Array(text.utf8)
        var index = 0

        func number(_ width: Int) -> Int? {
            guard index + width <= bytes.count else { return nil }
            var value = 0
            for offset in 0..<width {
                let byte = bytes[index + offset]
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            index += width
            return value
        }
        func expect(_ character: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == character else { return false }
            index += 1
            return true
        }

        guard let year = number(4), expect(UInt8(ascii: "-")), let month = number(2), expect(UInt8(ascii: "-")),
            let day = number(2), expect(UInt8(ascii: "T")) || expect(UInt8(ascii: " ")),
            let hour = number(2), expect(UInt8(ascii: ":")), let minute = number(2), expect(UInt8(ascii: ":")),
            let second = number(2)
        else { return nil }
        guard (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day), hour < 24, minute < 60,
            second < 61
        else {
            return nil
        }
        var fraction = 0.0
        if expect(UInt8(ascii: ".")) {
            var scale = 0.1
            var digits = 0
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                fraction += Double(bytes[index] - UInt8(ascii: "0")) * scale
                scale /= 10
                index += 1
                digits += 1
            }
            if digits == 0 { return nil }
        }
        var offsetSeconds = 0
        if expect(UInt8(ascii: "Z")) || expect(UInt8(ascii: "z")) {
            offsetSeconds = 0
        } else if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            index += 1
            guard let offsetHours = number(2), offsetHours <= 23 else { return nil }
            _ = expect(UInt8(ascii: ":"))
            guard let offsetMinutes = number(2), offsetMinutes <= 59 else { return nil }
            offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }
        let days = CivilCalendar.days(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return (Date(timeIntervalSince1970: TimeInterval(seconds) + fraction), offsetSeconds)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Formats as UTC with milliseconds: "2026-11-20T14:30:00.000Z".
    public static func format(_ date: Date, milliseconds: Bool = true) -> String {
        let interval = date.timeIntervalSince1970
        var whole = Int(interval.rounded(.down))
        var millis = Int(((interval - Double(whole)) * 1000).rounded())
        if millis == 1000 {
            whole += 1
            millis = 0
        }
        let days = CivilCalendar.floorDivide(whole, 86_400)
        let (year, month, day) = CivilCalendar.date(days: days)
        let secondsOfDay = whole - days * 86_400
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        var result = "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T"
        result += "\(pad(secondsOfDay / 3600, 2)):\(pad(secondsOfDay % 3600 / 60, 2)):\(pad(secondsOfDay % 60, 2))"
        if milliseconds { result += ".\(pad(millis, 3))" }
        return result + "Z"
    }

    /// The UTC calendar day of an instant as "YYYY-MM-DD".
    public static func day(_ date: Date) -> String {
        String(format(date, milliseconds: false).prefix(10))
    }
}
