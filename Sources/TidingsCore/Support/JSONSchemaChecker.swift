/// Checks a `JSONValue` against a JSON Schema, for the subset the draft schema uses: `type` (one
/// name or a list), `enum`, `properties`, `required`, `additionalProperties: false`, `items`,
/// `minItems` / `maxItems`, `minLength` / `maxLength` (in Unicode code points, as the standard
/// counts) and `minimum` / `maximum`. The schema a model is given is the schema its answer is
/// checked against, so the two cannot drift apart.
///
/// A keyword outside the subset is refused when the checker is made, not silently ignored.
package struct JSONSchemaChecker: Sendable {
    /// The schema, as sent to models.
    package let schema: JSONValue

    static let keywords: Set<String> = [
        "type", "enum", "properties", "required", "additionalProperties", "items", "minItems", "maxItems",
        "minLength", "maxLength", "minimum", "maximum",
    ]

    /// A checker for `schema`; throws `InputError(.invalidField)` naming the schema path of a
    /// keyword this checker does not implement.
    package init(_ schema: JSONValue) throws(InputError) {
        try Self.checkKeywords(schema, path: "#")
        self.schema = schema
    }

    /// Throws `InputError(.invalidField)` naming the JSON path of the first place `value` breaks the schema.
    package func check(_ value: JSONValue, path: String = "$") throws(InputError) {
        try Self.check(value, against: schema, path: path)
    }

    private static func checkKeywords(_ schema: JSONValue, path: String) throws(InputError) {
        guard case .object(let members) = schema else {
            throw InputError(.invalidField, path: path, reason: "a schema must be an object")
        }
        for key in members.keys.sorted() where !keywords.contains(key) {
            throw InputError(.invalidField, path: "\(path)/\(key)", reason: "schema keyword not supported")
        }
        if case .object(let properties)? = members["properties"] {
            for (name, property) in properties.sorted(by: { $0.key < $1.key }) {
                try checkKeywords(property, path: "\(path)/properties/\(name)")
            }
        }
        if let items = members["items"] { try checkKeywords(items, path: "\(path)/items") }
    }

    private static func check(_ value: JSONValue, against schema: JSONValue, path: String) throws(InputError) {
        guard case .object(let rules) = schema else { return }
        func fail(_ reason: String) -> InputError { InputError(.invalidField, path: path, reason: reason) }

        if let type = rules["type"] {
            let names: [String]
            switch type {
            case .string(let name): names = [name]
            case .array(let list): names = list.compactMap { if case .string(let name) = $0 { name } else { nil } }
            default: names = []
            }
            guard names.contains(where: { matches(value, type: $0) }) else {
                throw fail("expected \(names.joined(separator: " or ")), found \(typeName(value))")
            }
        }
        if case .array(let allowed)? = rules["enum"], !allowed.contains(value) {
            throw fail("'\(describe(value))' is not one of \(allowed.map(describe).joined(separator: ", "))")
        }
        switch value {
        case .object(let members):
            let properties: [String: JSONValue]
            if case .object(let declared)? = rules["properties"] { properties = declared } else { properties = [:] }
            if case .bool(false)? = rules["additionalProperties"],
                let extra = members.keys.sorted().first(where: { properties[$0] == nil })
            {
                throw InputError(.invalidField, path: "\(path).\(extra)", reason: "not allowed by the schema")
            }
            if case .array(let required)? = rules["required"] {
                for case .string(let name) in required where members[name] == nil {
                    throw InputError(.missingField, path: "\(path).\(name)", reason: "required by the schema")
                }
            }
            for (name, member) in members.sorted(by: { $0.key < $1.key }) {
                if let property = properties[name] { try check(member, against: property, path: "\(path).\(name)") }
            }
        case .array(let elements):
            if let minimum = integer(rules["minItems"]), elements.count < minimum {
                throw fail("needs at least \(minimum) items, found \(elements.count)")
            }
            if let maximum = integer(rules["maxItems"]), elements.count > maximum {
                throw fail("allows at most \(maximum) items, found \(elements.count)")
            }
            if let items = rules["items"] {
                for (index, element) in elements.enumerated() {
                    try check(element, against: items, path: "\(path)[\(index)]")
                }
            }
        case .string(let text):
            let length = text.unicodeScalars.count
            if let minimum = integer(rules["minLength"]), length < minimum {
                throw fail(minimum == 1 ? "must not be empty" : "shorter than \(minimum) characters")
            }
            if let maximum = integer(rules["maxLength"]), length > maximum {
                throw fail("longer than \(maximum) characters")
            }
        case .int(let number):
            if let minimum = integer(rules["minimum"]), number < minimum { throw fail("below the minimum \(minimum)") }
            if let maximum = integer(rules["maximum"]), number > maximum { throw fail("above the maximum \(maximum)") }
        default:
            break
        }
    }

    private static func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null),
            ("integer", .int), ("number", .int), ("number", .double):
            return true
        default:
            return false
        }
    }

    private static func integer(_ value: JSONValue?) -> Int? {
        if case .int(let number)? = value { return number }
        return nil
    }

    private static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .object: return "object"
        case .array: return "array"
        case .string: return "string"
        case .bool: return "boolean"
        case .null: return "null"
        case .int: return "integer"
        case .double: return "number"
        }
    }

    private static func describe(_ value: JSONValue) -> String {
        if case .string(let text) = value { return String(text.prefix(40)) }
        return typeName(value)
    }
}
