import Foundation
import Testing

@testable import TidingsCore

/// The suppression list's file, the guards that read it, and the form decoding the endpoint uses.
@Suite("Suppression list and guards")
struct SuppressionTests {
    static let time = Date(timeIntervalSince1970: 1_795_287_900)

    func withList(_ body: (JSONLSuppressionList) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "suppression-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try body(JSONLSuppressionList(directory: directory))
    }

    @Test("Entries are found by customer id or by the address in any case, never by another")
    func lookups() throws {
        try withList { list in
            #expect(try list.entry(customerID: "7", address: "a@example.com") == nil)
            let bounce = SuppressionEntry(
                customerID: nil, addressHash: SuppressionKeys.addressHash("Lena@Example.com "), reason: .hardBounce,
                source: "ses_sns", time: Self.time)
            try list.add(bounce)
            try list.add(
                SuppressionEntry(
                    customerID: "7", addressHash: nil, reason: .unsubscribe, source: "one_click", time: Self.time))
            #expect(try list.entry(customerID: nil, address: "lena@example.com") == bounce)
            #expect(try list.entry(customerID: "7", address: nil)?.reason == .unsubscribe)
            #expect(try list.entry(customerID: "8", address: "other@example.com") == nil)
            #expect(try list.entry(customerID: nil, address: nil) == nil)
            // The file holds the hash, never the address.
            let text = try String(contentsOfFile: list.path, encoding: .utf8)
            #expect(!text.contains("@"))
            #expect(text.split(separator: "\n").count == 2)
        }
    }

    @Test("A torn or foreign line is skipped; the entries around it still count")
    func tornLines() throws {
        try withList { list in
            try list.add(
                SuppressionEntry(customerID: "1", addressHash: nil, reason: .complaint, source: "x", time: Self.time))
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: list.path))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data("{\"customer_id\":\"2\",\"rea\n".utf8))
            try handle.close()
            try list.add(
                SuppressionEntry(customerID: "3", addressHash: nil, reason: .unsubscribe, source: "x", time: Self.time))
            #expect(try list.entries().compactMap(\.customerID) == ["1", "3"])
            #expect(try list.entry(customerID: "2", address: nil) == nil)
        }
    }

    @Test("The guard's verdict code is the entry's reason")
    func verdictCodes() {
        let entry = SuppressionEntry(
            customerID: "7", addressHash: nil, reason: .unsubscribe, source: "one_click", time: Self.time)
        #expect(Guards.checkSuppression(entry)?.code == .unsubscribed)
        #expect(Guards.checkSuppression(entry)?.reason.hasPrefix("unsubscribed: ") == true)
        var bounced = entry
        bounced.reason = .hardBounce
        #expect(Guards.checkSuppression(bounced)?.code == .hardBounce)
        #expect(Guards.checkSuppression(nil) == nil)
    }

    @Test("A suppressed customer's cart stops in precheck, before the platform is read")
    func cartPrecheck() {
        let planner = FlowPlannerTests()
        let event = StageFixtures.event(cart: StageFixtures.cart([StageFixtures.item("boot")]))
        var facts = planner.facts(.cartAbandoned, remembered: [CartAbandonedPlanner.cartKey(event): false])
        #expect(CartAbandonedPlanner().precheck(event, facts: facts) == nil)
        facts.suppression = SuppressionEntry(
            customerID: "7", addressHash: nil, reason: .complaint, source: "ses_sns", time: Self.time)
        #expect(CartAbandonedPlanner().precheck(event, facts: facts)?.code == .complaint)
    }

    @Test("Screening keeps transactional messages and drops marketing ones to a suppressed recipient")
    func screening() throws {
        var marketing = try RouterOverrideTests().message(tier: "new")
        marketing.step = "recommendations"
        var transactional = marketing
        transactional.step = "thank_you"
        transactional.isTransactional = true
        let entry = SuppressionEntry(
            customerID: "7", addressHash: nil, reason: .unsubscribe, source: "one_click", time: Self.time)
        let both = Guards.screenSuppressed([transactional, marketing], entries: [0: entry, 1: entry])
        #expect(both.kept.map(\.step) == ["thank_you"])
        #expect(both.dropped.map(\.step) == ["recommendations"])
        #expect(both.verdict == nil)
        let only = Guards.screenSuppressed([marketing], entries: [0: entry])
        #expect(only.kept.isEmpty)
        #expect(only.verdict?.code == .unsubscribed)
        #expect(Guards.screenSuppressed([marketing], entries: [:]).kept.count == 1)
    }

    @Test("Form fields decode percent-escapes and plus signs; a broken escape is refused")
    func formFields() {
        #expect(PercentEncoding.formFields("List-Unsubscribe=One-Click") == ["List-Unsubscribe": "One-Click"])
        #expect(PercentEncoding.formFields("c=guest%3Aab+c&t=x&c=second") == ["c": "guest:ab c", "t": "x"])
        #expect(PercentEncoding.formFields("c=%zz") == nil)
        #expect(PercentEncoding.formFields("") == [:])
    }

    @Test(
        "The line search finds every complete line holding the needle, at the start, middle and end, not a torn last line"
    )
    func lineSearch() {
        let text = "\"a\"x\n{\"b\"}\nzz\"a\"\n\n\"a\"-torn"
        let data = Data(text.utf8)
        let ranges = JSONLSuppressionList.lines(containing: Data("\"a\"".utf8), in: data)
        #expect(ranges.map { String(decoding: data[$0], as: UTF8.self) } == ["\"a\"x", "zz\"a\""])
        #expect(JSONLSuppressionList.lines(containing: Data("\"q\"".utf8), in: data).isEmpty)
        #expect(JSONLSuppressionList.lines(containing: Data("x".utf8), in: Data()).isEmpty)
        // A slice whose indices do not start at zero is searched by its own indices.
        let slice = Data("pad\n\"a\"1\n".utf8).dropFirst(4)
        let found = JSONLSuppressionList.lines(containing: Data("\"a\"".utf8), in: slice)
        #expect(found.map { String(decoding: slice[$0], as: UTF8.self) } == ["\"a\"1"])
    }
}
