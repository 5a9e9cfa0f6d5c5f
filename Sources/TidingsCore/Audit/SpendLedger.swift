import Foundation
import Synchronization

/// What each flow spent on model calls, counted from the audit: the `cost_usd` facts of its
/// `generate` records, summed per UTC day (the day folder the record is in). The audit is the
/// source, so a budget holds across invocations and processes on one data folder. It tails the
/// files: per file it remembers how far it read and reads only the bytes appended since, up to
/// the last whole line. Safe to share between tasks.
package final class SpendLedger: Sendable {
    /// The audit root (the folder of day folders).
    package let root: URL
    private let state = Mutex(State())

    private struct State {
        /// File path -> bytes already read (always at a line end).
        var offsets: [String: UInt64] = [:]
        /// Day ("YYYY-MM-DD") -> function -> USD.
        var spent: [String: [String: Decimal]] = [:]
    }

    /// A ledger over the audit under `root`.
    package init(root: URL) {
        self.root = root
    }

    /// What `function` spent on the UTC day of `now` and in its UTC month, in USD, reading what
    /// was appended to the month's files since the last call. Throws when a file cannot be read.
    package func spent(function: String, at now: Date) throws -> (day: Decimal, month: Decimal) {
        let day = Timestamp.format(now).prefix(10)
        let month = day.prefix(8)  // "YYYY-MM-"
        return try state.withLock { state in
            let days = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
            for folder in days.sorted() where folder.hasPrefix(month) && folder.count == 10 {
                let path = root.path + "/" + folder
                let names = try FileManager.default.contentsOfDirectory(atPath: path)
                for name in names.sorted() where name.hasSuffix(".jsonl") {
                    try Self.tail(path + "/" + name, day: folder, state: &state)
                }
            }
            var total = (day: Decimal(0), month: Decimal(0))
            for (folder, functions) in state.spent where folder.hasPrefix(month) {
                let amount = functions[function] ?? 0
                total.month += amount
                if folder == day { total.day += amount }
            }
            return total
        }
    }

    private static let costKey = Array(#""cost_usd":""#.utf8)

    /// Reads the whole lines appended to `path` since the last read and adds their costs.
    private static func tail(_ path: String, day: String, state: inout State) throws {
        let offset = state.offsets[path] ?? 0
        guard let handle = FileHandle(forReadingAtPath: path) else { return }
        defer { try? handle.close() }
        try handle.seek(toOffset: offset)
        guard let data = try handle.readToEnd(), !data.isEmpty else { return }
        let bytes = Array(data)
        guard let lastNewline = bytes.lastIndex(of: 10) else { return }
        state.offsets[path] = offset + UInt64(lastNewline + 1)
        var start = 0
        while start <= lastNewline {
            let end = bytes[start...lastNewline].firstIndex(of: 10) ?? lastNewline
            let line = bytes[start..<end]
            start = end + 1
            // Only generate records with a cost are parsed; the rest are skipped by a byte search.
            let hasCost = line.withUnsafeBytes { AuditFile.firstOccurrence(of: costKey, in: $0, from: 0) != nil }
            guard hasCost,
                case .object(let record)? = try? JSONParser.parse(Array(line)),
                record["stage"] == "generate", case .string(let function)? = record["function"],
                case .string(let cost)? = record["facts"]?.objectValue?["cost_usd"],
                let amount = Decimal(string: cost, locale: Locale(identifier: "en_US_POSIX"))
            else { continue }
            state.spent[day, default: [:]][function, default: 0] += amount
        }
    }
}
