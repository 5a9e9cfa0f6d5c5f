/// The draft schema as a provider's constrained decoding accepts it. Providers compile the schema
/// into a grammar and accept only a subset of JSON Schema: every object closed and fully required,
/// nullability as `anyOf` with a null branch, and (per provider) no length or range bounds. The
/// copy keeps every bound it drops in the property's `description`, so the model still reads it,
/// and `DraftDecoder` checks the full `PromptLibrary.draftSchema` on every answer afterwards
/// (docs/decisions/model-writers.md).
package enum StructuredOutputSchema {
    /// Which provider's subset to derive.
    package enum Dialect: Sendable {
        /// OpenAI strict mode (Responses and Chat Completions): array sizes and number ranges are
        /// supported, string lengths are not.
        case openAI
        /// Anthropic `output_config.format` and strict tools: no ranges, no string lengths, no
        /// `maxItems`, `minItems` only 0 or 1.
        case anthropic

        func keeps(_ keyword: String, _ value: JSONValue) -> Bool {
            switch (self, keyword) {
            case (_, "minLength"), (_, "maxLength"): return false
            case (.openAI, _): return true
            case (.anthropic, "minimum"), (.anthropic, "maximum"), (.anthropic, "exclusiveMinimum"),
                (.anthropic, "exclusiveMaximum"), (.anthropic, "multipleOf"), (.anthropic, "maxItems"):
                return false
            case (.anthropic, "minItems"): return value == 0 || value == 1
            case (.anthropic, _): return true
            }
        }
    }

    /// Keywords that bound a value; the ones a dialect drops move into the description.
    static let bounds = [
        "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
        "minItems", "maxItems",
    ]

    /// The provider copy of `schema`: closes every object (`additionalProperties: false`, all
    /// properties required), gives a string-only `enum` its `type`, turns `type: [T, "null"]` into
    /// `anyOf: [{type: T, …}, {type: "null"}]`, and moves the bounds the dialect does not support
    /// into `description` ("{minLength: 1}").
    package static func derive(_ schema: JSONValue, for dialect: Dialect) -> JSONValue {
        guard case .object(var members) = schema else { return schema }

        if case .array(let types)? = members["type"], types.contains(.string("null")) {
            let others = types.filter { $0 != .string("null") }
            var nonNull = members
            nonNull["type"] = others.count == 1 ? others[0] : .array(others)
            var wrapper: [String: JSONValue] = ["anyOf": [derive(.object(nonNull), for: dialect), ["type": "null"]]]
            if let description = members["description"] { wrapper["description"] = description }
            return .object(wrapper)
        }

        var dropped: [String] = []
        for keyword in bounds {
            guard let value = members[keyword], !dialect.keeps(keyword, value) else { continue }
            dropped.append("\(keyword): \(describe(value))")
            members[keyword] = nil
        }
        if !dropped.isEmpty {
            let note = "{" + dropped.joined(separator: ", ") + "}"
            let existing = members["description"]?.stringValue
            members["description"] = .string(existing.map { $0 + "\n\n" + note } ?? note)
        }

        if members["type"] == nil, case .array(let values)? = members["enum"],
            values.allSatisfy({ $0.stringValue != nil })
        {
            members["type"] = "string"
        }

        if case .object(let properties)? = members["properties"] {
            var derived: [String: JSONValue] = [:]
            for (name, property) in properties { derived[name] = derive(property, for: dialect) }
            members["properties"] = .object(derived)
            members["required"] = .array(properties.keys.sorted().map { .string($0) })
            members["additionalProperties"] = false
        }
        if let items = members["items"] { members["items"] = derive(items, for: dialect) }
        for keyword in ["anyOf", "allOf", "oneOf"] {
            if case .array(let branches)? = members[keyword] {
                members[keyword] = .array(branches.map { derive($0, for: dialect) })
            }
        }
        return .object(members)
    }

    private static func describe(_ value: JSONValue) -> String {
        switch value {
        case .int(let number): return String(number)
        case .double(let number): return String(number)
        case .string(let text): return text
        default: return "\(value)"
        }
    }
}
