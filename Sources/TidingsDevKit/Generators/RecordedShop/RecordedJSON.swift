import TidingsCore

/// A JSON document with its keys in the order they are written, rendered byte-for-byte the same
/// everywhere: the recorded shop keeps the key order of the real responses (`id` first) and must
/// regenerate to identical bytes. Numbers are kept as their literal text, so money never passes
/// through a floating-point value.
package indirect enum RecordedJSON: Sendable {
    case null
    case bool(Bool)
    /// A JSON number literal ("169", "12.45").
    case number(String)
    case string(String)
    case array([RecordedJSON])
    case object([(String, RecordedJSON)])

    /// An integer number.
    package static func int(_ value: Int) -> RecordedJSON { .number(String(value)) }

    /// The string, or null for nil.
    package static func optional(_ value: String?) -> RecordedJSON { value.map { .string($0) } ?? .null }

    /// Pretty-printed with two-space indentation and a final newline.
    package var text: String {
        var output = ""
        write(to: &output, indent: "")
        return output + "\n"
    }

    private func write(to output: inout String, indent: String) {
        switch self {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .number(let literal): output += literal
        case .string(let value): RecordedJSON.writeString(value, to: &output)
        case .array(let elements):
            if elements.isEmpty {
                output += "[]"
                return
            }
            output += "[\n"
            for (index, element) in elements.enumerated() {
                output += indent + "  "
                element.write(to: &output, indent: indent + "  ")
                output += index == elements.count - 1 ? "\n" : ",\n"
            }
            output += indent + "]"
        case .object(let members):
            if members.isEmpty {
                output += "{}"
                return
            }
            output += "{\n"
            for (index, (key, value)) in members.enumerated() {
                output += indent + "  "
                RecordedJSON.writeString(key, to: &output)
                output += ": "
                value.write(to: &output, indent: indent + "  ")
                output += index == members.count - 1 ? "\n" : ",\n"
            }
            output += indent + "}"
        }
    }

    private static func writeString(_ value: String, to output: inout String) {
        output += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20:
                output += "\\u" + Hex.encode([0, UInt8(scalar.value)])
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }

    /// An object with the named members' values replaced (in place, keeping the order); other
    /// values are returned unchanged.
    package func replacing(_ changes: [String: RecordedJSON]) -> RecordedJSON {
        guard case .object(let members) = self else { return self }
        return .object(members.map { name, value in (name, changes[name] ?? value) })
    }
}
