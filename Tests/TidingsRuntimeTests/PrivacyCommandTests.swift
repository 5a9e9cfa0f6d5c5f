import Foundation
import Testing
import TidingsCore
import TidingsDevKit

@testable import TidingsRuntime

/// `tidings audit query`, `tidings privacy export` and `tidings privacy erase` on the order flows
/// replayed: Lena (6100000007) orders, her series goes to the outbox, she cancels, the unsent
/// steps move to `outbox/cancelled/` and a win-back waits in review; a refused event of hers sits
/// in the dead-letter folder.
@Suite("tidings audit query, privacy export and erase")
struct PrivacyCommandTests {
    static let customer = "6100000007"
    static let events = RuntimeTestSupport.root.appendingPathComponent("Events")

    /// Replays the order flows and a refused cart event naming the customer into `data`.
    static func replayOrders(_ data: URL) async throws -> [Replayer.Result] {
        let refusedFolder = data.appendingPathComponent("incoming/cartAbandoned")
        try FileManager.default.createDirectory(at: refusedFolder, withIntermediateDirectories: true)
        let badMoney = try String(
            contentsOf: events.appendingPathComponent("cartAbandoned/invalid/bad-money.json"), encoding: .utf8)
        #expect(badMoney.contains("6100000003"))
        let refused = refusedFolder.appendingPathComponent("bad-money-lena.json")
        try badMoney.replacingOccurrences(of: "6100000003", with: customer).write(
            to: refused, atomically: true, encoding: .utf8)
        let configuration = try RuntimeTestSupport.configuration(dataDirectory: data)
        let files =
            try Replayer.eventFiles([
                events.appendingPathComponent("orderCreated").path,
                events.appendingPathComponent("orderCancelled").path,
            ]) + [refused]
        return try await onOwnThread("privacy-orders") {
            try await Replayer(configuration: configuration, logger: RuntimeTestSupport.quietLogger).replay(files)
        }
    }

    /// Runs the built `tidings` with the arguments; standard output and standard error apart. The
    /// wait happens on a Dispatch thread, never on one of the few threads of the test pool that
    /// loopback servers of other tests need.
    static func tidings(_ arguments: [String]) async throws -> (status: Int32, output: String, errors: String) {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try blockingTidings(arguments) })
            }
        }
    }

    static func blockingTidings(_ arguments: [String]) throws -> (status: Int32, output: String, errors: String) {
        let binary = try #require(RuntimeTestSupport.builtBinary("tidings"), "build the package first (swift build)")
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        for name in ["TIDINGS_AUDIT_KEY", "TIDINGS_AUDIT_KEY_FILE", "TIDINGS_STATE", "TIDINGS_DATA_DIR"] {
            environment[name] = nil
        }
        process.environment = environment
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    static func eventID(_ results: [Replayer.Result], _ file: String) throws -> String {
        try #require(results.first { $0.file.lastPathComponent == file }?.report.eventID)
    }

    @Test("query --customer shows every record of the customer's events and no one else's, in time order")
    func queryCustomer() async throws {
        try await withScratch { data in
            let results = try await Self.replayOrders(data)
            let created = try Self.eventID(results, "shopify-repeat-customer.json")
            let cancelled = try Self.eventID(results, "shopify-customer-cancelled-after-series.json")

            let json = try await Self.tidings([
                "audit", "query", "--customer", Self.customer, "--data-dir", data.path, "--json",
            ])
            #expect(json.status == 0, "\(json.errors)")
            let object = try #require(try JSONParser.parse(Array(json.output.utf8)).objectValue)
            #expect(object["customer_id"]?.stringValue == Self.customer)
            let eventIDs = Set((object["events"]?.items ?? []).compactMap(\.stringValue))
            #expect(eventIDs.isSuperset(of: [created, cancelled]))
            let records = (object["records"]?.items ?? []).compactMap(\.objectValue)
            let times = records.compactMap { $0["time"]?.stringValue }
            #expect(times == times.sorted())
            #expect(records.allSatisfy { eventIDs.contains($0["event_id"]?.stringValue ?? "") })
            // Each of the customer's events is there whole, from its first record to its outcome.
            let all = try ReplayGoldenTests.auditLines(data).map { try JSONParser.parse($0).objectValue ?? [:] }
            for id in eventIDs {
                let expected = all.filter { $0["event_id"]?.stringValue == id }.count
                #expect(records.filter { $0["event_id"]?.stringValue == id }.count == expected, "\(id)")
                #expect(records.last { $0["event_id"]?.stringValue == id }?["stage"] == "outcome", "\(id)")
            }
            // Nobody else's: every event named another customer is left out.
            let others = Set(
                all.filter {
                    let id = $0["facts"]?.objectValue?["customer_id"]?.stringValue
                    return id != nil && id != Self.customer
                }
                .compactMap { $0["event_id"]?.stringValue })
            #expect(!others.isEmpty)
            #expect(eventIDs.isDisjoint(with: others))

            let text = try await Self.tidings(["audit", "query", "--customer", Self.customer, "--data-dir", data.path])
            #expect(text.status == 0)
            #expect(
                text.output.hasPrefix("customer \(Self.customer): \(eventIDs.count) events, \(records.count) records"))
            #expect(text.output.contains("\(cancelled)  orderCancelled  outcome -> "))

            let event = try await Self.tidings([
                "audit", "query", "--event", cancelled, "--data-dir", data.path, "--json",
            ])
            #expect(event.status == 0)
            let eventRecords = try JSONParser.parse(Array(event.output.utf8)).objectValue?["records"]?.items ?? []
            #expect(eventRecords.count == all.filter { $0["event_id"]?.stringValue == cancelled }.count)
            #expect(eventRecords.allSatisfy { $0.objectValue?["event_id"]?.stringValue == cancelled })

            let neither = try await Self.tidings(["audit", "query", "--data-dir", data.path])
            #expect(neither.status == 64)
            #expect(neither.errors.contains("exactly one of --customer ID and --event ID"))
            let nobody = try await Self.tidings([
                "audit", "query", "--customer", "no-such-customer", "--data-dir", data.path,
            ])
            #expect(nobody.status == 1)
            #expect(nobody.errors.contains("no records of customer no-such-customer"))
        }
    }

    @Test("query --customer on a win-back scan: the scan's decision about them and their own email event")
    func queryWinBackCustomer() async throws {
        try await withScratch { data in
            let configuration = try RuntimeTestSupport.configuration(dataDirectory: data)
            let scanFile = Self.events.appendingPathComponent("winBack/eventbridge-scheduled-scan.json")
            let results = try await onOwnThread("privacy-scan") {
                try await Replayer(configuration: configuration, logger: RuntimeTestSupport.quietLogger)
                    .replay([scanFile])
            }
            let scan = try #require(results.first?.report.eventID)
            let lines = try ReplayGoldenTests.auditLines(data).map { try JSONParser.parse($0).objectValue ?? [:] }
            let child = try #require(
                lines.compactMap { $0["event_id"]?.stringValue }.first { $0.hasPrefix(scan + "/customer/") })
            let customer = String(child.dropFirst((scan + "/customer/").count))
            let trail = try AuditTrail.read(root: data.appendingPathComponent("audit"), subject: .customer(customer))
            #expect(trail.eventIDs == [child], "the scan is not their event; their email is")
            let fromScan = trail.records.filter { $0.eventID == scan }
            #expect(fromScan.count == 1)
            #expect(fromScan.first?.stage == "select")
            #expect(
                trail.records.filter { $0.eventID == child }.count
                    == lines.filter { $0["event_id"]?.stringValue == child }.count)
            // The scan's own story has all its children.
            let whole = try AuditTrail.read(root: data.appendingPathComponent("audit"), subject: .event(scan))
            #expect(whole.eventIDs.first == scan)
            #expect(whole.eventIDs.contains(child))
        }
    }

    @Test("export holds everything, erase removes the personal data, verify still passes, the erasure is recorded")
    func exportEraseExport() async throws {
        try await withScratch { data in
            let results = try await Self.replayOrders(data)
            let configuration = try RuntimeTestSupport.configuration(dataDirectory: data)
            // She unsubscribed: the entry that must survive the erasure.
            // The address her emails went to: the shop's customer record's.
            let address = "lena.hoffmann@mail.example.com"
            let state = FunctionEnvironment.stateStore(configuration)
            try await FunctionEnvironment.suppressionList(configuration, state: state).add(
                SuppressionEntry(
                    customerID: Self.customer, addressHash: SuppressionKeys.addressHash(address), reason: .unsubscribe,
                    source: "one_click", time: Date()))

            let before = data.appendingPathComponent("before.json")
            let exported = try await Self.tidings([
                "privacy", "export", "--customer", Self.customer, "--data-dir", data.path, "--out", before.path,
            ])
            #expect(exported.status == 0, "\(exported.errors)")
            let first = try #require(try JSONParser.parse(Array(Data(contentsOf: before))).objectValue)
            let outbox = (first["outbox"]?.items ?? []).compactMap(\.objectValue)
            let states = Set(outbox.compactMap { $0["state"]?.stringValue })
            #expect(states.isSuperset(of: ["sent", "cancelled"]), "\(states)")
            for message in outbox {
                let email = message["email"]?.stringValue ?? ""
                #expect(email.contains(address), "\(message["file"]?.stringValue ?? "") \(email.prefix(400))")
            }
            #expect((first["review_items"]?.items ?? []).count >= 1)
            #expect((first["dead_letters"]?.items ?? []).count == 1)
            #expect((first["content"]?.objectValue ?? [:]).count >= 4)
            #expect((first["suppression"]?.items ?? []).count == 1)
            let beforeText = try String(contentsOf: before, encoding: .utf8)
            #expect(beforeText.contains(address))

            // Another customer's files, to see they stay.
            let outboxFolder = data.appendingPathComponent("outbox")
            let othersBefore = Set(CustomerData.files(under: outboxFolder).map(\.path))
                .subtracting(outbox.compactMap { $0["file"]?.stringValue })
            #expect(!othersBefore.isEmpty)

            let erased = try await Self.tidings([
                "privacy", "erase", "--customer", Self.customer, "--data-dir", data.path,
            ])
            #expect(erased.status == 0, "\(erased.errors)")
            #expect(
                erased.output.contains(
                    "customer \(Self.customer): erased \(first["review_items"]?.items?.count ?? -1) review items, \(outbox.count) outbox messages, 1 dead letters"
                ), "\(erased.output)")

            let verify = try await Self.tidings(["audit", "verify", "--data-dir", data.path])
            #expect(verify.status == 0, "\(verify.output)")
            #expect(verify.output.contains("erased on request"), "\(verify.output)")

            let after = try await Self.tidings([
                "privacy", "export", "--customer", Self.customer, "--data-dir", data.path,
            ])
            #expect(after.status == 0)
            let second = try #require(try JSONParser.parse(Array(after.output.utf8)).objectValue)
            #expect(second["outbox"]?.items == [])
            #expect(second["review_items"]?.items == [])
            #expect(second["dead_letters"]?.items == [])
            // Only content another customer's event shares is still held, and it names nobody.
            let held = second["content"]?.objectValue ?? [:]
            #expect((second["content_not_held"]?.items ?? []).count >= 4)
            // Nothing personal: no address, no last name, nothing the recorded data holds on anyone.
            let personal = try RecordedPersonalData.read(Self.events)
            #expect(personal.leaks(in: after.output) == [])
            #expect(!after.output.lowercased().contains("lena.hoffmann"))
            #expect(emailAddresses(in: withoutMessageIDs(after.output)) == [])
            // The suppression entry stays, by id and address hash.
            let kept = (second["suppression"]?.items ?? []).compactMap(\.objectValue)
            #expect(kept.count == 1)
            #expect(kept.first?["address_sha256"]?.stringValue == SuppressionKeys.addressHash(address))
            #expect(
                try await FunctionEnvironment.suppressionList(configuration, state: state).entry(
                    customerID: Self.customer, address: nil) != nil)

            // The erasure is in the audit, with counts and no personal data, and its content list.
            let records = (second["audit_records"]?.items ?? []).compactMap(\.objectValue)
            let erase = try #require(records.first { $0["stage"] == "erase" })
            let facts = try #require(erase["facts"]?.objectValue)
            #expect(facts["customer_id"]?.stringValue == Self.customer)
            #expect(facts["outbox_messages"] == .int(outbox.count))
            #expect(facts["dead_letters"] == .int(1))
            #expect(facts["content_shared"] == .int(held.count))
            let removed = (facts[PrivacyErasure.erasedContentFact]?.items ?? []).compactMap(\.stringValue)
            #expect(!removed.isEmpty)
            let contentFolder = data.appendingPathComponent("audit/content")
            for address in removed {
                #expect(!FileManager.default.fileExists(atPath: contentFolder.appendingPathComponent(address).path))
            }
            let ending = try #require(records.last { $0["event_id"] == erase["event_id"] })
            #expect(ending["outcome"] == "suppressed")
            #expect(ending["facts"]?.objectValue?["reason"]?.stringValue?.hasPrefix("erased") == true)

            // Everyone else's data stayed.
            let othersAfter = Set(CustomerData.files(under: outboxFolder).map(\.path))
            #expect(othersAfter == othersBefore)
            #expect(results.contains { $0.report.outcome == .sent })

            // The exemption is exactly the listed files: removing any other content file is damage.
            let other = try #require(
                try FileManager.default.contentsOfDirectory(atPath: contentFolder.path).first { !$0.hasPrefix(".") })
            try FileManager.default.removeItem(at: contentFolder.appendingPathComponent(other))
            let damaged = try await Self.tidings(["audit", "verify", "--data-dir", data.path])
            #expect(damaged.status == 1)
            #expect(damaged.output.contains("references content/\(other), which is missing"), "\(damaged.output)")
        }
    }

    @Test("A customer id that is empty is refused naming --customer")
    func emptyCustomer() async throws {
        let result = try await Self.tidings(["privacy", "export", "--customer", " "])
        #expect(result.status == 64)
        #expect(result.errors.contains("--customer: the customer id is empty"))
    }
}

extension JSONValue {
    /// The elements of an array value; nil for anything else.
    fileprivate var items: [JSONValue]? {
        if case .array(let values) = self { return values }
        return nil
    }
}
