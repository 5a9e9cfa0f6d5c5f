import Logging

/// The one log handler of every function and of the CLI: swift-log's stderr stream, with every
/// control character in the message and in metadata escaped first. Ids and reasons come from
/// events, and an event id holding CR LF would otherwise write a line of its own into the log
/// that looks like ours.
package struct EscapingLogHandler: LogHandler {
    var inner: StreamLogHandler

    /// A handler writing to stderr under `label`.
    package static func standardError(label: String) -> EscapingLogHandler {
        EscapingLogHandler(inner: StreamLogHandler.standardError(label: label))
    }

    /// A handler writing to `stream` (tests capture the lines this way).
    package init(label: String, stream: any TextOutputStream & Sendable) {
        inner = StreamLogHandler(label: label, stream: stream, metadataProvider: nil)
    }

    init(inner: StreamLogHandler) {
        self.inner = inner
    }

    /// The handler's own metadata, escaped when it is written.
    package var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    /// The lowest level that is written.
    package var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    /// The metadata value under `key`.
    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    /// Escapes the message, the metadata and the handler's own metadata, then writes the line.
    package func log(event: LogEvent) {
        var handler = inner
        if !handler.metadata.isEmpty { handler.metadata = Self.escaped(handler.metadata) }
        var escapedEvent = event
        escapedEvent.message = Logger.Message(stringLiteral: Self.escaped(event.message.description))
        var metadata = event.metadata ?? [:]
        if let error = event.error {
            // The stream handler would print the error's description as it is: escape it here.
            metadata["error.message"] = .string("\(error)")
            metadata["error.type"] = .string(String(reflecting: type(of: error)))
            escapedEvent.error = nil
        }
        escapedEvent.metadata = event.metadata == nil && event.error == nil ? nil : Self.escaped(metadata)
        handler.log(event: escapedEvent)
    }

    /// Every C0 and C1 control character, DEL and the Unicode line and paragraph separators as a
    /// visible escape (`\r`, `\n`, `\t`, `\u{1B}`); everything else unchanged.
    package static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var result = ""
        result.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where needsEscape(scalar): result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
    }

    static func escaped(_ metadata: Logger.Metadata) -> Logger.Metadata {
        var result: Logger.Metadata = [:]
        for (key, value) in metadata { result[escaped(key)] = escaped(value) }
        return result
    }

    static func escaped(_ value: Logger.Metadata.Value) -> Logger.Metadata.Value {
        switch value {
        case .string(let text): .string(escaped(text))
        case .stringConvertible(let convertible): .string(escaped(convertible.description))
        case .array(let values): .array(values.map(escaped))
        case .dictionary(let metadata): .dictionary(escaped(metadata))
        }
    }
}
