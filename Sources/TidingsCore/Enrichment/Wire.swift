import Foundation

/// Small decodable values shared by the platform wire types: ids of any JSON type, exact money
/// strings and timestamps with offsets. Each one fails with a `DecodingError` whose coding path
/// names the field, which `PlatformAPI` turns into a `PlatformError` naming the JSON path.
package enum Wire {
    /// A platform id: JSON number or string, always a `String` in our model.
    package struct ID: Decodable, Sendable, Hashable {
        /// The id as text: integers in decimal, strings as sent (never empty).
        package var value: String

        /// Wraps an id already in text form.
        package init(_ value: String) { self.value = value }

        /// Accepts a JSON integer or a non-empty string; throws `DecodingError.typeMismatch` otherwise.
        package init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(Int64.self) {
                value = String(number)
            } else if let number = try? container.decode(UInt64.self) {
                value = String(number)
            } else if let text = try? container.decode(String.self), !text.isEmpty {
                value = text
            } else {
                throw DecodingError.typeMismatch(
                    String.self,
                    .init(
                        codingPath: container.codingPath, debugDescription: "expected an integer or string id"
                    ))
            }
        }
    }

    /// A money amount sent as a plain decimal string ("29.99", "336.3200"), parsed exactly.
    package struct DecimalString: Decodable, Sendable, Hashable {
        /// The exact amount; the currency comes from the enclosing resource.
        package var value: Decimal

        /// Accepts only a plain decimal string; throws `DecodingError.dataCorrupted` for numbers, "1e3" or "".
        package init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let money = Money(parsing: text, currency: "") else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "expected a plain decimal string, got \"\(text)\"")
            }
            value = money.amount
        }
    }

    /// An ISO 4217 currency code ("USD"), checked against `ISO4217` as it is decoded: "usd" or
    /// "XXX1" from a platform API is a decoding error naming the field, not an amount's currency.
    package struct CurrencyCode: Decodable, Sendable, Hashable {
        /// The code as the standard writes it.
        package var value: String

        /// Throws `DecodingError.dataCorrupted` for anything not on the ISO 4217 list.
        package init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard ISO4217.isCode(text) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "\"\(text.prefix(16))\" is not an ISO 4217 currency code")
            }
            value = text
        }
    }

    /// An ISO 8601 timestamp with a `Z` or `±hh:mm` offset ("2026-11-20T10:12:00-05:00").
    package struct ISOTimestamp: Decodable, Sendable, Hashable {
        /// The instant, offset applied.
        package var date: Date

        /// Throws `DecodingError.dataCorrupted` for a time without an offset or in another format.
        package init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = Wire.parseISO8601(text) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "expected an ISO 8601 time with offset, got \"\(text)\"")
            }
            self.date = date
        }
    }

    /// An RFC 2822 timestamp as BigCommerce V2 sends it ("Wed, 10 Jan 2018 21:05:30 +0000").
    package struct RFC2822Timestamp: Decodable, Sendable, Hashable {
        /// The instant, offset applied.
        package var date: Date

        /// Throws `DecodingError.dataCorrupted` for anything that is not RFC 2822 with a numeric offset.
        package init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = Wire.parseRFC2822(text) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "expected an RFC 2822 time, got \"\(text)\"")
            }
            self.date = date
        }
    }

    // Hand-written parsers: no formatter objects to build on a cold start, no locale or machine
    // time zone involved, and the same result on every platform.

    /// Parses `yyyy-MM-ddTHH:mm:ss[.fff](Z|±hh:mm|±hhmm)`; nil for anything else.
    package static func parseISO8601(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " "),
            bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            let year = number(bytes, 0, 4), let month = number(bytes, 5, 2), let day = number(bytes, 8, 2),
            let hour = number(bytes, 11, 2), let minute = number(bytes, 14, 2),
            let second = number(bytes, 17, 2)
        else { return nil }
        var index = 19
        var fraction = 0.0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            let start = index
            while index < bytes.count, let digit = digit(bytes[index]) {
                fraction += Double(digit) * scale
                scale /= 10
                index += 1
            }
            if index == start { return nil }
        }
        guard index < bytes.count, let offset = offsetSeconds(bytes[index...]) else { return nil }
        guard let seconds = epochSeconds(year, month, day, hour, minute, second) else { return nil }
        return Date(timeIntervalSince1970: Double(seconds - offset) + fraction)
    }

    /// Parses `EEE, dd MMM yyyy HH:mm:ss ±hhmm`; nil for anything else.
    package static func parseRFC2822(_ text: String) -> Date? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[0].hasSuffix(","),
            let day = Int(parts[1]), let month = monthNames.firstIndex(of: String(parts[2])),
            let year = Int(parts[3])
        else { return nil }
        let clock = parts[4].split(separator: ":")
        guard clock.count == 3, let hour = Int(clock[0]), let minute = Int(clock[1]),
            let second = Int(clock[2]),
            let offset = offsetSeconds(Array(parts[5].utf8)[...]),
            let seconds = epochSeconds(year, month + 1, day, hour, minute, second)
        else { return nil }
        return Date(timeIntervalSince1970: Double(seconds - offset))
    }

    /// English month abbreviations, January first, as RFC 2822 dates write them.
    package static let monthNames = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]

    /// Seconds since 1970 for a UTC civil time; nil when a field is out of range.
    package static func epochSeconds(
        _ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int
    )
        -> Int?
    {
        guard (1...12).contains(month), (1...31).contains(day), (0...23).contains(hour),
            (0...59).contains(minute), (0...60).contains(second)
        else { return nil }
        return CivilCalendar.days(year: year, month: month, day: day) * 86_400 + hour * 3_600 + minute * 60 + second
    }

    private static func offsetSeconds(_ bytes: ArraySlice<UInt8>) -> Int? {
        let rest = Array(bytes)
        if rest == [UInt8(ascii: "Z")] { return 0 }
        guard rest.count == 6 || rest.count == 5, rest[0] == UInt8(ascii: "+") || rest[0] == UInt8(ascii: "-")
        else { return nil }
        let minuteStart = rest.count == 6 ? 4 : 3
        if rest.count == 6, rest[3] != UInt8(ascii: ":") { return nil }
        guard let hours = number(rest, 1, 2), let minutes = number(rest, minuteStart, 2), hours < 24,
            minutes < 60
        else { return nil }
        let magnitude = hours * 3_600 + minutes * 60
        return rest[0] == UInt8(ascii: "-") ? -magnitude : magnitude
    }

    private static func number(_ bytes: [UInt8], _ start: Int, _ length: Int) -> Int? {
        guard start + length <= bytes.count else { return nil }
        var value = 0
        for byte in bytes[start..<(start + length)] {
            guard let digit = digit(byte) else { return nil }
            value = value * 10 + digit
        }
        return value
    }

    private static func digit(_ byte: UInt8) -> Int? {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) ? Int(byte - UInt8(ascii: "0")) : nil
    }
}
