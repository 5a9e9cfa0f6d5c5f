import Foundation

/// Small decodable values shared by the platform wire types: ids of any JSON type, exact money
/// strings and timestamps with offsets (parsed by `Timestamp`). Each one fails with a `DecodingError` whose coding path
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
            guard let date = Timestamp.parse(text) else {
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
            guard let date = Timestamp.parseRFC2822(text) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "expected an RFC 2822 time, got \"\(text)\"")
            }
            self.date = date
        }
    }
}
