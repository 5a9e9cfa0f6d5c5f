import Foundation

/// Keeps events that could not be handled, byte for byte, so they can be replayed after a fix.
package protocol DeadLetterStore: Sendable {
    /// Stores the raw bytes and why they were refused; returns where they went.
    func keep(_ body: [UInt8], eventID: String, function: String, reason: String, at time: Date) throws -> String
}

/// The default dead-letter store: `<data>/dead-letter/<time>-<function>-<event id>.json` holds the raw bytes
/// (replayable with `tidings replay` or the handler's stdin) and `….json.error` says why.
package struct FolderDeadLetterStore: DeadLetterStore {
    /// The dead-letter folder; created on first use when missing.
    package let directory: URL

    /// A store writing into `directory`.
    package init(directory: URL) {
        self.directory = directory
    }

    /// Writes the body and a `.error` note beside it; returns the body file's path. Throws the
    /// file system's error when either cannot be written.
    package func keep(_ body: [UInt8], eventID: String, function: String, reason: String, at time: Date) throws
        -> String
    {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let stamp = Timestamp.format(time, milliseconds: false).replacingOccurrences(of: ":", with: "")
        let safeID = String(eventID.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" }.prefix(80))
        let file = directory.appendingPathComponent("\(stamp)-\(function)-\(safeID).json")
        try Data(body).write(to: file, options: .atomic)
        let note: JSONValue = [
            "event_id": .string(eventID), "function": .string(function), "reason": .string(reason),
            "kept_at": .string(Timestamp.format(time)),
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try encoder.encode(note).write(to: URL(fileURLWithPath: file.path + ".error"), options: .atomic)
        return file.path
    }
}
