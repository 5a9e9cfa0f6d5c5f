import Foundation

/// Reads the fields of one JSON object and names the JSON path of whatever is missing or mistyped.
/// Decoders are strict about what a flow needs and tolerant of everything else: unknown members
/// are never looked at.
package struct JSONObjectReader: Sendable {
    /// The object's members, null ones included.
    package let members: [String: JSONValue]
    /// The path of this object ("$.payload.customer").
    package let path: String

    /// Wraps members already known to form an object at `path`.
    package init(_ members: [String: JSONValue], path: String = "$") {
        self.members = members
        self.path = path
    }

    /// Reads a value that must be an object.
    package init(_ value: JSONValue, path: String = "$") throws(InputError) {
        guard case .object(let members) = value else {
            throw InputError(.invalidField, path: path, reason: "expected an object, found \(value.typeName)")
        }
        self.init(members, path: path)
    }

    /// The path of a member of this object.
    package func path(of key: String) -> String { "\(path).\(key)" }

    /// The raw member, nil when absent or null.
    package func value(_ key: String) -> JSONValue? {
        switch members[key] {
        case .none, .null?: return nil
        case let value?: return value
        }
    }

    func missing(_ key: String) -> InputError {
        InputError(.missingField, path: path(of: key), reason: "required field is missing")
    }

    func wrongType(_ key: String, expected: String, found: JSONValue) -> InputError {
        InputError(.invalidField, path: path(of: key), reason: "expected \(expected), found \(found.typeName)")
    }

    /// A required non-empty string.
    package func string(_ key: String) throws(InputError) -> String {
        guard let value = try optionalString(key) else { throw missing(key) }
        return value
    }

    /// An optional string; empty strings count as absent.
    package func optionalString(_ key: String) throws(InputError) -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let text) = value else { throw wrongType(key, expected: "a string", found: value) }
        return text.isEmpty ? nil : text
    }

    /// A required id: platforms send ids as numbers or strings; the model keeps strings.
    package func id(_ key: String) throws(InputError) -> String {
        guard let value = try optionalID(key) else { throw missing(key) }
        return value
    }

    /// An optional id, string or integer.
    package func optionalID(_ key: String) throws(InputError) -> String? {
        guard let value = value(key) else { return nil }
        switch value {
        case .string(let text): return text.isEmpty ? nil : text
        case .int(let number): return String(number)
        default: throw wrongType(key, expected: "an id (string or integer)", found: value)
        }
    }

    /// No cart or order in a shop comes near this; larger amounts are bad input, not money.
    static let largestAmount: Decimal = 1_000_000_000

    /// A required quantity: an integer from 1 to 10,000.
    package func quantity(_ key: String) throws(InputError) -> Int {
        let value = try int(key)
        guard (1...10_000).contains(value) else {
            throw InputError(
                .invalidField, path: path(of: key), reason: "quantity \(value) is not between 1 and 10,000")
        }
        return value
    }

    /// An optional email address, checked and normalized by `EmailAddress` (the check the renderer
    /// uses too): returned in ASCII form, its domain in IDNA `xn--` form. A non-ASCII local part is
    /// refused (it would need SMTPUTF8). Only the shape is checked; the ESP finds out whether it exists.
    package func optionalEmail(_ key: String) throws(InputError) -> String? {
        guard let text = try optionalString(key) else { return nil }
        do {
            return try EmailAddress(text).ascii
        } catch {
            // The reason names the rule broken, not the address: errors reach logs.
            throw InputError(.invalidField, path: path(of: key), reason: "not a deliverable email address: \(error)")
        }
    }

    /// A required integer; integral strings ("3") are accepted since some platforms quote numbers.
    package func int(_ key: String) throws(InputError) -> Int {
        guard let value = try optionalInt(key) else { throw missing(key) }
        return value
    }

    /// An optional integer.
    package func optionalInt(_ key: String) throws(InputError) -> Int? {
        guard let value = value(key) else { return nil }
        switch value {
        case .int(let number): return number
        case .string(let text):
            guard let number = Int(text) else { throw wrongType(key, expected: "an integer", found: value) }
            return number
        default: throw wrongType(key, expected: "an integer", found: value)
        }
    }

    /// An optional boolean.
    package func optionalBool(_ key: String) throws(InputError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let flag) = value else { throw wrongType(key, expected: "true or false", found: value) }
        return flag
    }

    /// An optional ISO 4217 currency code ("EUR"); anything not on the list, such as "usd" or
    /// "XXX1", is refused naming the field rather than shown to a customer.
    package func optionalCurrency(_ key: String) throws(InputError) -> String? {
        guard let code = try optionalString(key) else { return nil }
        guard ISO4217.isCode(code) else {
            throw InputError(
                .invalidField, path: path(of: key),
                reason: "'\(code.prefix(16))' is not an ISO 4217 currency code (three upper-case letters, such as USD)")
        }
        return code
    }

    /// Required money: a decimal string ("29.99") or a JSON number, read exactly.
    package func money(_ key: String, currency: String) throws(InputError) -> Money {
        guard let value = try optionalMoney(key, currency: currency) else { throw missing(key) }
        return value
    }

    /// Optional money.
    package func optionalMoney(_ key: String, currency: String) throws(InputError) -> Money? {
        guard let value = value(key) else { return nil }
        let text: String
        switch value {
        case .string(let string): text = string
        case .int(let number): text = String(number)
        // Swift prints the shortest text that reads back as the same double, so 129.99 stays "129.99".
        case .double(let number): text = String(number)
        default: throw wrongType(key, expected: "a money amount", found: value)
        }
        guard let money = Money(parsing: text, currency: currency) else {
            throw InputError(.invalidField, path: path(of: key), reason: "'\(text)' is not a decimal amount")
        }
        if money.amount < 0 {
            throw InputError(.invalidField, path: path(of: key), reason: "amount must not be negative")
        }
        if money.amount > JSONObjectReader.largestAmount {
            throw InputError(
                .invalidField, path: path(of: key), reason: "amount is implausibly large (over 1,000,000,000)")
        }
        return money
    }

    /// A required timestamp: ISO 8601 with an offset, or Unix seconds.
    package func date(_ key: String) throws(InputError) -> Date {
        guard let value = try optionalDate(key) else { throw missing(key) }
        return value
    }

    /// An optional timestamp.
    package func optionalDate(_ key: String) throws(InputError) -> Date? {
        guard let value = value(key) else { return nil }
        switch value {
        case .string(let text):
            guard let date = Timestamp.parse(text) else {
                throw InputError(
                    .invalidField, path: path(of: key),
                    reason: "'\(text)' is not an ISO 8601 timestamp with a time zone")
            }
            return date
        case .int(let seconds): return Date(timeIntervalSince1970: TimeInterval(seconds))
        default: throw wrongType(key, expected: "a timestamp", found: value)
        }
    }

    /// A required nested object.
    package func object(_ key: String) throws(InputError) -> JSONObjectReader {
        guard let reader = try optionalObject(key) else { throw missing(key) }
        return reader
    }

    /// An optional nested object.
    package func optionalObject(_ key: String) throws(InputError) -> JSONObjectReader? {
        guard let value = value(key) else { return nil }
        guard case .object(let members) = value else { throw wrongType(key, expected: "an object", found: value) }
        return JSONObjectReader(members, path: path(of: key))
    }

    /// An optional array of objects, each with its indexed path; absent reads as empty.
    package func objects(_ key: String) throws(InputError) -> [JSONObjectReader] {
        guard let value = value(key) else { return [] }
        guard case .array(let elements) = value else { throw wrongType(key, expected: "an array", found: value) }
        var readers: [JSONObjectReader] = []
        readers.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            readers.append(try JSONObjectReader(element, path: "\(path(of: key))[\(index)]"))
        }
        return readers
    }

    /// An optional array of strings; absent reads as empty.
    package func strings(_ key: String) throws(InputError) -> [String] {
        guard let value = value(key) else { return [] }
        guard case .array(let elements) = value else { throw wrongType(key, expected: "an array", found: value) }
        var result: [String] = []
        for (index, element) in elements.enumerated() {
            guard case .string(let text) = element else {
                throw InputError(
                    .invalidField, path: "\(path(of: key))[\(index)]",
                    reason: "expected a string, found \(element.typeName)")
            }
            result.append(text)
        }
        return result
    }
}

extension JSONValue {
    /// The JSON type's name, for error messages.
    package var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int, .double: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}
