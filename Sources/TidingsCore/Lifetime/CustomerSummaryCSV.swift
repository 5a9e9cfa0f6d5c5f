import Foundation

/// Reads per-customer summaries from CSV: a header naming the columns, then one customer a row.
///
/// Columns (case-insensitive, any order, others ignored): `id` (or `ID`, `customer_id`),
/// `frequency` or `x`, `recency` or `t_x`, `T`, and optionally `monetary` or `zbar`. Fields are
/// plain (no quoting: ids and numbers need none). Strict: a missing column, a short row, a
/// non-number or an impossible summary (recency beyond T, fractional frequency) is an error
/// naming the line and the column.
package enum CustomerSummaryCSV {
    /// A CSV the reader cannot use, with where and why.
    package struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        /// 1-based line number in the file (the header is line 1).
        package var line: Int
        /// The column concerned, as the header spells it; nil for a whole-row problem.
        package var column: String?
        /// What is wrong.
        package var reason: String

        /// "line N, column C: reason".
        package var description: String {
            "line \(line)\(column.map { ", column \($0)" } ?? ""): \(reason)"
        }
    }

    /// Parses a whole CSV text. Throws `ParseError`.
    package static func parse(_ text: String) throws -> [CustomerSummary] {
        var rows: [CustomerSummary] = []
        try forEachRow(in: text) { rows.append($0) }
        return rows
    }

    /// Reads the file at `path`; throws `ParseError` (line 0 when the file cannot be read).
    package static func read(path: String) throws -> [CustomerSummary] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ParseError(line: 0, column: nil, reason: "cannot read \(path)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ParseError(line: 0, column: nil, reason: "\(path) is not UTF-8")
        }
        return try parse(text)
    }

    /// Calls `body` with each row in order, without keeping them. Throws `ParseError`.
    package static func forEachRow(in text: String, _ body: (CustomerSummary) throws -> Void) throws {
        var lineNumber = 0
        var columns: Columns?
        // Split on newline characters: "\r\n" is one Character in Swift, so it counts as one.
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            lineNumber += 1
            if line.allSatisfy({ $0 == " " }) { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard let header = columns else {
                columns = try Columns(header: fields, line: lineNumber)
                continue
            }
            try body(header.summary(fields, line: lineNumber))
        }
        if columns == nil { throw ParseError(line: 1, column: nil, reason: "no header row") }
    }

    private struct Columns {
        var names: [String]
        var id: Int
        var frequency: Int
        var recency: Int
        var age: Int
        var monetary: Int?

        init(header: [String], line: Int) throws {
            names = header
            func find(_ accepted: [String], required: Bool) throws -> Int? {
                if let index = header.firstIndex(where: { name in
                    accepted.contains { $0.caseInsensitiveCompare(name) == .orderedSame }
                }) {
                    return index
                }
                guard required else { return nil }
                throw ParseError(
                    line: line, column: accepted[0],
                    reason: "missing column (accepted names: \(accepted.joined(separator: ", ")))")
            }
            id = try find(["id", "customer_id"], required: true)!
            frequency = try find(["frequency", "x"], required: true)!
            recency = try find(["recency", "t_x"], required: true)!
            // "T" only: a case-insensitive "t" would be ambiguous with nothing here, but keep it exact.
            guard let ageIndex = header.firstIndex(of: "T") else {
                throw ParseError(line: line, column: "T", reason: "missing column (customer age since first purchase)")
            }
            age = ageIndex
            monetary = try find(["monetary", "zbar", "monetary_value"], required: false)
        }

        func summary(_ fields: [String], line: Int) throws -> CustomerSummary {
            guard fields.count == names.count else {
                throw ParseError(
                    line: line, column: nil, reason: "expected \(names.count) fields, found \(fields.count)")
            }
            func number(_ index: Int) throws -> Double {
                guard let value = Double(fields[index]), value.isFinite else {
                    throw ParseError(line: line, column: names[index], reason: "'\(fields[index])' is not a number")
                }
                return value
            }
            let id = fields[self.id]
            guard !id.isEmpty else { throw ParseError(line: line, column: names[self.id], reason: "empty id") }
            let summary = CustomerSummary(
                id: id, frequency: try number(frequency), recency: try number(recency), age: try number(age),
                monetary: try monetary.map(number))
            if let problem = summary.problem {
                let column: String
                if problem.hasPrefix("frequency") {
                    column = names[frequency]
                } else if problem.hasPrefix("monetary") {
                    column = names[monetary ?? 0]
                } else {
                    column = names[recency]
                }
                throw ParseError(line: line, column: column, reason: problem)
            }
            return summary
        }
    }
}
