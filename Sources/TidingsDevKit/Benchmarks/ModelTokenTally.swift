import Foundation
import TidingsCore

/// The model calls of an audit, summed per function and step from its `generate` records: the
/// tokens each call reported, its cost as the price table priced it, and the size of the request
/// body the model saw (read back from the content store). For `tidings bench models`. Prints nothing.
package struct ModelTokenTally: Sendable {
    /// The calls of one function's step (cartAbandoned has one step; orderCreated several).
    package struct Row: Sendable, Hashable {
        /// The function (`cartAbandoned`, `orderCreated`, ...).
        package var function: String
        /// The message's step, from the `prompt` record that precedes the call in the same event.
        package var step: String
        /// Emails (event and step) that at least one call with reported tokens was made for.
        package var emails = 0
        /// Calls with reported tokens (a repair turn is a second call for the same email).
        package var calls = 0
        /// The calls' tokens, summed.
        package var usage = TokenUsage(input: 0, output: 0)
        /// The calls' request bodies, summed, in bytes (what was sent: system text, schema and context).
        package var requestBytes = 0
        /// The calls' `cost_usd` facts, summed; calls without a price add nothing.
        package var costUSD: Decimal = 0
        /// The price-table keys the calls were priced as (`priced_as`), or the unpriced model names.
        package var pricedAs: Set<String> = []

        /// The calls' tokens per email, rounded to whole tokens.
        package var perEmail: TokenUsage {
            let count = max(1, emails)
            func share(_ total: Int) -> Int { Int((Double(total) / Double(count)).rounded()) }
            return TokenUsage(
                input: share(usage.input), cachedInput: share(usage.cachedInput), cacheWrite: share(usage.cacheWrite),
                output: share(usage.output))
        }

        /// Request bytes per call.
        package var requestBytesPerCall: Int { calls == 0 ? 0 : requestBytes / calls }

        /// What 1,000 emails cost, in USD, at the calls' recorded costs.
        package var costPerThousandEmails: Decimal {
            emails == 0 ? 0 : costUSD * 1000 / Decimal(emails)
        }
    }

    /// One row per function and step, in the order of their first call.
    package var rows: [Row]

    /// Reads every record under `auditRoot` (day folders of `.jsonl` files, in name order, each
    /// file line by line) and sums the `generate` records that report tokens (`input_tokens`),
    /// which the offline writers never do. Throws when a file or a stored request cannot be read.
    package static func read(auditRoot: URL) throws -> ModelTokenTally {
        let files = FileManager.default
        let store = FolderContentStore(directory: FolderContentStore.directory(auditRoot: auditRoot))
        var rows: [Row] = []
        var index: [String: Int] = [:]
        var stepOf: [String: String] = [:]
        var emails: Set<String> = []
        let days = ((try? files.contentsOfDirectory(atPath: auditRoot.path)) ?? []).filter {
            $0.count == 10 && $0.first?.isNumber == true
        }
        for day in days.sorted() {
            let folder = auditRoot.appendingPathComponent(day)
            for name in try files.contentsOfDirectory(atPath: folder.path).sorted() where name.hasSuffix(".jsonl") {
                let data = try Data(contentsOf: folder.appendingPathComponent(name))
                for line in data.split(separator: 10) {
                    guard case .object(let record)? = try? JSONParser.parse(Array(line)),
                        let event = record["event_id"]?.stringValue, let stage = record["stage"]?.stringValue,
                        let facts = record["facts"]?.objectValue
                    else { continue }
                    if stage == "prompt", let step = facts["step"]?.stringValue {
                        stepOf[event] = step
                        continue
                    }
                    guard stage == "generate", case .int(let input)? = facts["input_tokens"] else { continue }
                    let function = record["function"]?.stringValue ?? "?"
                    let step = stepOf[event] ?? "-"
                    let key = function + "\u{0}" + step
                    let at = index[key] ?? rows.count
                    if at == rows.count {
                        index[key] = at
                        rows.append(Row(function: function, step: step))
                    }
                    func count(_ name: String) -> Int {
                        if case .int(let value)? = facts[name] { return value }
                        return 0
                    }
                    rows[at].calls += 1
                    if emails.insert(event + "\u{0}" + step).inserted { rows[at].emails += 1 }
                    rows[at].usage.input += input
                    rows[at].usage.cachedInput += count("cached_input_tokens")
                    rows[at].usage.cacheWrite += count("cache_write_tokens")
                    rows[at].usage.output += count("output_tokens")
                    if let text = facts["cost_usd"]?.stringValue, let cost = Decimal(string: text) {
                        rows[at].costUSD += cost
                    }
                    if let id = facts["priced_as"]?.stringValue ?? facts["price_unknown"]?.stringValue {
                        rows[at].pricedAs.insert(id)
                    }
                    if let address = facts[ContentReference.request.rawValue]?.stringValue,
                        let body = try store.get(address)
                    {
                        rows[at].requestBytes += body.count
                    }
                }
            }
        }
        return ModelTokenTally(rows: rows)
    }
}
