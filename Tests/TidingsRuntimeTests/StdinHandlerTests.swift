import Foundation
import Testing
import TidingsCore

@testable import TidingsRuntime

/// The real cartAbandoned binary in stdin mode: result JSON on stdout, exit codes as DESIGN.md says.
@Suite("cartAbandoned binary, stdin mode")
struct StdinHandlerTests {
    struct Run {
        var status: Int32
        var result: [String: JSONValue]
    }

    func run(_ event: String, dataDirectory: URL, environment extra: [String: String] = [:]) throws -> Run {
        let environment = ["TIDINGS_DATA_DIR": dataDirectory.path, "TIDINGS_LOG_LEVEL": "error"].merging(extra) {
            _, new in new
        }
        let execution = try RuntimeTestSupport.execute(
            "cartAbandoned", event: RuntimeTestSupport.cartEvents.appendingPathComponent(event),
            environment: environment)
        let parsed = try JSONParser.parse(Array(execution.stdout)).objectValue ?? [:]
        return Run(status: execution.status, result: parsed)
    }

    @Test("A consenting guest's cart is sent: exit 0, the subject in the result, one .eml in the outbox")
    func sent() async throws {
        try await withScratch { scratch in
            let guest = try run(
                "shopify-guest-checkout.json", dataDirectory: scratch,
                environment: ["TIDINGS_NOW": "2026-11-21T17:00:00Z"])
            #expect(guest.status == 0)
            #expect(guest.result["function"] == "cartAbandoned")
            #expect(guest.result["outcome"] == "sent")
            #expect(guest.result["subject"]?.stringValue?.contains("Basecamp 2 Backpacking Tent") == true)
            let outbox = try FileManager.default.contentsOfDirectory(
                atPath: scratch.appendingPathComponent("outbox").path)
            #expect(outbox.filter { $0.hasSuffix(".eml") }.count == 1)
        }
    }

    @Test("The same cart a week later is stale: handled, exit 0, nothing written")
    func stale() async throws {
        try await withScratch { scratch in
            let guest = try run(
                "shopify-guest-checkout.json", dataDirectory: scratch,
                environment: ["TIDINGS_NOW": "2026-12-01T17:00:00Z"])
            #expect(guest.status == 0)
            #expect(guest.result["outcome"] == "suppressed")
            #expect(guest.result["reason"]?.stringValue?.hasPrefix("stale") == true)
            #expect(!FileManager.default.fileExists(atPath: scratch.appendingPathComponent("outbox").path))
        }
    }

    @Test("Bad input exits 65, names the field and keeps the event")
    func badInput() async throws {
        try await withScratch { scratch in
            let result = try run("invalid/wrong-types.json", dataDirectory: scratch)
            #expect(result.status == 65)
            #expect(result.result["outcome"] == "rejected_input")
            #expect(result.result["reason"]?.stringValue?.contains("$.payload.cart.items[0].quantity") == true)
            let kept = try FileManager.default.contentsOfDirectory(
                atPath: scratch.appendingPathComponent("dead-letter").path)
            #expect(kept.contains { $0.hasSuffix(".json") })
        }
    }

    @Test("An oversized event is dead-lettered whole, with its true size in the reason")
    func oversized() async throws {
        try await withScratch { scratch in
            let original = try Data(
                contentsOf: RuntimeTestSupport.cartEvents.appendingPathComponent("invalid/oversized.json"))
            let result = try run("invalid/oversized.json", dataDirectory: scratch)
            #expect(result.status == 65)
            #expect(result.result["reason"]?.stringValue?.contains("\(original.count) bytes") == true)
            let folder = scratch.appendingPathComponent("dead-letter")
            let kept = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }
            #expect(kept.count == 1)
            #expect(try Data(contentsOf: folder.appendingPathComponent(kept[0])) == original)
        }
    }

    @Test("A bad configuration exits 78 and names the key")
    func badConfiguration() async throws {
        try await withScratch { scratch in
            let result = try run(
                "shopify-guest-checkout.json", dataDirectory: scratch, environment: ["TIDINGS_MAX_BODY_BYTES": "lots"])
            #expect(result.status == 78)
            #expect(result.result["reason"]?.stringValue?.contains("TIDINGS_MAX_BODY_BYTES") == true)
        }
    }
}
