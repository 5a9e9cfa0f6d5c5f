import Foundation

/// Reads a transaction log in the CDNOW_master.txt layout and summarizes it per customer: one
/// transaction a line, whitespace-separated `customer id`, `date` (yyyymmdd), `quantity`,
/// `amount`; an optional first line of column names. Transactions of one customer on one day are
/// one purchase occasion (amounts added), as the models count them.
package enum CustomerTransactionLog {
    /// Whether `text` looks like such a log rather than a summary CSV: its first line with data
    /// has no comma and four whitespace-separated fields.
    package static func looksLikeLog(_ text: String) -> Bool {
        guard let line = text.split(whereSeparator: \.isNewline).first(where: { !$0.allSatisfy(\.isWhitespace) })
        else { return false }
        return !line.contains(",") && line.split(whereSeparator: \.isWhitespace).count == 4
    }

    /// The customers' summaries, observed until the end of `observedUntil` (default: the day of
    /// the last transaction), in first-purchase order. Transactions after it are left out.
    /// Throws `CustomerSummaryCSV.ParseError` naming the line and column of a bad field.
    package static func summaries(_ text: String, observedUntil: Date? = nil) throws -> [CustomerSummary] {
        var occasions: [String: [Int: Double]] = [:]
        var order: [String] = []
        var lastDay = Int.min
        var lineNumber = 0
        let columns = ["customer id", "date", "quantity", "amount"]
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            lineNumber += 1
            let fields = line.split(whereSeparator: \.isWhitespace).map(String.init)
            if fields.isEmpty { continue }
            // The header: a first line whose date column is not a number.
            if lineNumber == 1, Int(fields.count > 1 ? fields[1] : "") == nil { continue }
            guard fields.count == 4 else {
                throw CustomerSummaryCSV.ParseError(
                    line: lineNumber, column: nil,
                    reason: "expected 4 fields (customer id, date yyyymmdd, quantity, amount), found \(fields.count)")
            }
            guard let day = dayNumber(fields[1]) else {
                throw CustomerSummaryCSV.ParseError(
                    line: lineNumber, column: columns[1], reason: "'\(fields[1])' is not a date yyyymmdd")
            }
            guard let amount = Double(fields[3]), amount.isFinite, amount >= 0 else {
                throw CustomerSummaryCSV.ParseError(
                    line: lineNumber, column: columns[3], reason: "'\(fields[3])' is not an amount")
            }
            guard Int(fields[2]) != nil else {
                throw CustomerSummaryCSV.ParseError(
                    line: lineNumber, column: columns[2], reason: "'\(fields[2])' is not a whole number")
            }
            let id = fields[0]
            if occasions[id] == nil { order.append(id) }
            occasions[id, default: [:]][day, default: 0] += amount
            lastDay = max(lastDay, day)
        }
        guard !order.isEmpty else {
            throw CustomerSummaryCSV.ParseError(line: lineNumber, column: nil, reason: "no transactions")
        }
        let end = observedUntil.map { Int(($0.timeIntervalSince1970 / 86_400).rounded(.down)) } ?? lastDay
        var summaries: [CustomerSummary] = []
        for id in order {
            let days = occasions[id, default: [:]].filter { $0.key <= end }.sorted { $0.key < $1.key }
            guard let first = days.first else { continue }
            let repeats = days.dropFirst()
            summaries.append(
                CustomerSummary(
                    id: id, frequency: Double(repeats.count),
                    recency: Double((days.last?.key ?? first.key) - first.key) / 7,
                    age: Double(end - first.key) / 7,
                    monetary: repeats.isEmpty ? nil : repeats.reduce(0) { $0 + $1.value } / Double(repeats.count)))
        }
        return summaries
    }

    /// Days since 1970-01-01 of a yyyymmdd date, nil when it is not one.
    static func dayNumber(_ text: String) -> Int? {
        guard text.count == 8, let value = Int(text) else { return nil }
        let (year, month, day) = (value / 10_000, value / 100 % 100, value % 100)
        // 20230231 is not a date.
        guard Timestamp.isDate(year: year, month: month, day: day) else { return nil }
        return Timestamp.days(year: year, month: month, day: day)
    }
}
