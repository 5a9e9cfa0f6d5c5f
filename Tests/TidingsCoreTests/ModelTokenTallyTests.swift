import Foundation
import Testing
import TidingsDevKit

@testable import TidingsCore

/// `ModelTokenTally`, which `tidings bench models` reads its tokens, prompt sizes and costs from.
struct ModelTokenTallyTests {
    /// A generate record of a model call with these tokens and cost, its request stored in `store`.
    func generate(
        _ event: String, function: String, request: String, store: FolderContentStore, input: Int, cached: Int,
        output: Int, cost: String
    ) throws -> AuditEntry {
        let address = try store.put(Array(request.utf8))
        return AuditEntry(
            time: auditTime("2026-12-07T04:00:00Z"), eventID: event, correlationID: "bench", function: function,
            stage: "generate",
            facts: [
                "writer": "openai:gpt-5-mini", "turn": "first", "input_tokens": .int(input),
                "cached_input_tokens": .int(cached), "cache_write_tokens": .int(0), "output_tokens": .int(output),
                "cost_usd": .string(cost), "priced_as": "gpt-5-mini", "request_sha256": .string(address),
            ])
    }

    func prompt(_ event: String, function: String, step: String) -> AuditEntry {
        AuditEntry(
            time: auditTime("2026-12-07T04:00:00Z"), eventID: event, correlationID: "bench", function: function,
            stage: "prompt", facts: ["step": .string(step), "template": "order_created@1"])
    }

    @Test func sumsCallsPerFunctionAndStepAndCountsARepairAsACallOfTheSameEmail() throws {
        try withTemporaryAuditRoot { root in
            let log = JSONLAuditLog(root: root, writerID: "bench")
            let store = FolderContentStore(directory: FolderContentStore.directory(auditRoot: root))
            let entries = [
                prompt("order-1", function: "orderCreated", step: "confirmation"),
                try generate(
                    "order-1", function: "orderCreated", request: String(repeating: "a", count: 400), store: store,
                    input: 100, cached: 1000, output: 300, cost: "0.000650"),
                // A repair turn: a second call for the same email.
                try generate(
                    "order-1", function: "orderCreated", request: String(repeating: "b", count: 600), store: store,
                    input: 200, cached: 1000, output: 300, cost: "0.000675"),
                prompt("order-1", function: "orderCreated", step: "delivered"),
                try generate(
                    "order-1", function: "orderCreated", request: String(repeating: "c", count: 500), store: store,
                    input: 50, cached: 0, output: 100, cost: "0.0002125"),
                prompt("order-2", function: "orderCreated", step: "confirmation"),
                try generate(
                    "order-2", function: "orderCreated", request: String(repeating: "d", count: 500), store: store,
                    input: 101, cached: 1000, output: 301, cost: "0.00065225"),
                // The offline copywriter reports no tokens: not a model call.
                prompt("cart-1", function: "cartAbandoned", step: "reminder"),
                AuditEntry(
                    time: auditTime("2026-12-07T04:00:00Z"), eventID: "cart-1", correlationID: "bench",
                    function: "cartAbandoned", stage: "generate", facts: ["writer": "offline-copywriter"]),
            ]
            for entry in entries { try log.append(entry) }

            let tally = try ModelTokenTally.read(auditRoot: root)
            #expect(tally.rows.map(\.step) == ["confirmation", "delivered"])
            let confirmation = try #require(tally.rows.first)
            #expect(confirmation.function == "orderCreated")
            #expect(confirmation.emails == 2)
            #expect(confirmation.calls == 3)
            #expect(confirmation.usage == TokenUsage(input: 401, cachedInput: 3000, output: 901))
            #expect(confirmation.perEmail == TokenUsage(input: 201, cachedInput: 1500, output: 451))
            #expect(confirmation.requestBytesPerCall == 500)
            #expect(confirmation.costUSD == Decimal(string: "0.00197725"))
            #expect(confirmation.costPerThousandEmails == Decimal(string: "0.988625"))
            #expect(confirmation.pricedAs == ["gpt-5-mini"])
            let delivered = tally.rows[1]
            #expect(delivered.emails == 1 && delivered.calls == 1 && delivered.requestBytes == 500)
        }
    }

    @Test func anAuditWithoutRecordsHasNoRows() throws {
        try withTemporaryAuditRoot { root in
            let rows = try ModelTokenTally.read(auditRoot: root).rows
            #expect(rows.isEmpty)
        }
    }
}
