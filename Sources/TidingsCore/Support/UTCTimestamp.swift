import Foundation

/// The few fixed UTC date layouts the wire formats need, written by hand: a `DateFormatter` is neither
/// `Sendable` nor cheap to set up at cold start, and these layouts never depend on a locale.
enum UTCTimestamp {
    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]

    private struct Parts {
        var year, month, day, hour, minute, second, weekday: Int
    }

    private static func parts(_ date: Date) -> Parts {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let days = CivilCalendar.floorDivide(seconds, 86_400)
        let (year, month, day) = CivilCalendar.date(days: days)
        let inDay = seconds - days * 86_400
        return Parts(
            year: year, month: month, day: day, hour: inDay / 3600, minute: inDay / 60 % 60, second: inDay % 60,
            weekday: CivilCalendar.weekday(days: days) + 1)
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// RFC 5322 section 3.3 date-time in UTC: "Fri, 20 Nov 2026 09:05:00 +0000".
    static func rfc5322(_ date: Date) -> String {
        let p = parts(date)
        return "\(weekdays[p.weekday - 1]), \(pad(p.day, 2)) \(months[p.month - 1]) \(pad(p.year, 4)) "
            + "\(pad(p.hour, 2)):\(pad(p.minute, 2)):\(pad(p.second, 2)) +0000"
    }

    /// ISO 8601 in UTC to the second: "2026-11-20T09:05:00Z".
    static func iso8601(_ date: Date) -> String {
        let p = parts(date)
        return
            "\(pad(p.year, 4))-\(pad(p.month, 2))-\(pad(p.day, 2))T\(pad(p.hour, 2)):\(pad(p.minute, 2)):\(pad(p.second, 2))Z"
    }

    /// ISO 8601 basic format, safe in file names and sorting as text: "20261120T090500Z".
    static func compact(_ date: Date) -> String {
        let p = parts(date)
        return
            "\(pad(p.year, 4))\(pad(p.month, 2))\(pad(p.day, 2))T\(pad(p.hour, 2))\(pad(p.minute, 2))\(pad(p.second, 2))Z"
    }
}
