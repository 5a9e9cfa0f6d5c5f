import Foundation
import Logging
import Testing
import TidingsCore
import TidingsDevKit

@testable import TidingsRuntime

/// The order race in one process (docs/decisions/exactly-once.md, "The order race"): an order's
/// create and its cancellation, each with an audit of its own (as two Lambda instances, whose
/// audits never see each other in time), sharing only the data folder's state store and outbox.
/// Whatever the order of their steps, no follow-up of the order stays scheduled.
@Suite("The order race, in process")
struct OrderRaceTests {
    static let created = RuntimeTestSupport.root.appendingPathComponent(
        "Events/orderCreated/shopify-repeat-customer.json")
    static let cancelled = RuntimeTestSupport.root.appendingPathComponent(
        "Events/orderCancelled/shopify-customer-cancelled-after-series.json")
    /// A minute after the recorded cancellation (13:30Z), a day after the order (2026-11-24T15:15Z):
    /// inside both flows' windows.
    static let now = Timestamp.parse("2026-11-25T13:31:00Z")!
    static let series = "order:shopify:820982911946154508"

    /// A pipeline of `kind` on the data folder, with its own in-memory audit and, when given, its
    /// email service wrapped.
    static func pipeline(
        _ kind: FlowKind, data: URL, audit: InMemoryAuditLog,
        email wrap: (any EmailService) -> any EmailService = { $0 }
    ) throws -> Pipeline {
        let configuration = try RuntimeTestSupport.configuration(dataDirectory: data)
        var stages = try FunctionEnvironment.embeddedStages(
            function: kind, configuration: configuration, clock: FixedClock(now))
        stages.audit = audit
        stages.email = wrap(stages.email)
        let flow = try #require(Flow.named(kind, configuration))
        return try Pipeline(flow: flow, configuration: configuration, stages: stages)
    }

    static func handle(_ pipeline: Pipeline, _ file: URL) async throws -> OutcomeReport {
        await pipeline.handle(
            InboundDelivery(body: Array(try Data(contentsOf: file))), correlationID: "race",
            logger: RuntimeTestSupport.quietLogger)
    }

    static func array(_ value: JSONValue?) -> [JSONValue]? {
        if case .array(let items)? = value { return items }
        return nil
    }

    /// The order's series files in a folder of the outbox: step and send time, by send time.
    static func seriesFiles(_ folder: URL) throws -> [(step: String, sendAt: Date)] {
        guard FileManager.default.fileExists(atPath: folder.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".eml") }
            .compactMap { name in
                let headers = try #require(OutboxEmailService.headers(of: folder.appendingPathComponent(name)))
                guard headers["x-tidings-series"] == series else { return nil }
                let sendAt = try #require(headers["x-tidings-send-at"].flatMap(Timestamp.parse))
                return (headers["x-tidings-step"] ?? "", sendAt)
            }.sorted { $0.sendAt < $1.sendAt }
    }

    @Test("Cancelled first: the tombstone stops the create before it plans anything, though its audit never saw it")
    func cancelledFirst() async throws {
        try await withScratch { data in
            let cancelAudit = InMemoryAuditLog()
            let createAudit = InMemoryAuditLog()
            let cancellation = try await Self.handle(
                try Self.pipeline(.orderCancelled, data: data, audit: cancelAudit), Self.cancelled)
            #expect(cancellation.outcome == .queuedForReview)
            // The tombstone was written first, then the series stopped (there was none yet).
            let stages = cancelAudit.entries.map(\.stage)
            #expect(Array(stages.prefix(3)) == ["normalize", "tombstone", "series"])
            let tombstone = try #require(cancelAudit.entries.first { $0.stage == "tombstone" })
            #expect(tombstone.facts["key"] == .string("order:shopify:820982911946154508:cancelled"))
            #expect(tombstone.facts["time"] == .string(Timestamp.format(Self.now)))
            #expect(tombstone.facts["first"] == .bool(true))

            let create = try await Self.handle(
                try Self.pipeline(.orderCreated, data: data, audit: createAudit), Self.created)
            #expect(create.outcome == .suppressed)
            #expect(create.code == .guarded(.orderCancelled))
            #expect(create.reason?.hasPrefix("order_cancelled: order 820982911946154508 was cancelled at") == true)
            #expect(create.reason?.contains("(its tombstone)") == true)
            // Nothing was planned: no enrichment, no prompt, no message anywhere.
            #expect(createAudit.entries.map(\.stage) == ["normalize", "guards", "outcome"])
            let outbox = data.appendingPathComponent("outbox")
            #expect(try Self.seriesFiles(outbox).isEmpty)
            #expect(try Self.seriesFiles(outbox.appendingPathComponent("cancelled")).isEmpty)
        }
    }

    @Test(
        "Cancelled while the series is handed over: the create finds the tombstone on its re-check and withdraws its messages"
    )
    func cancelledDuringHandOver() async throws {
        try await withScratch { data in
            let cancelAudit = InMemoryAuditLog()
            let createAudit = InMemoryAuditLog()
            let cancelPipeline = try Self.pipeline(.orderCancelled, data: data, audit: cancelAudit)
            let cancellation = Shared<OutcomeReport>()
            // The whole cancellation runs right after the create hands over its second message
            // (getting_started): it stops what is there, and two more messages follow it.
            let createPipeline = try Self.pipeline(.orderCreated, data: data, audit: createAudit) { outbox in
                InterjectingEmailService(inner: outbox, after: 2) {
                    await cancellation.set(try? await Self.handle(cancelPipeline, Self.cancelled))
                }
            }
            let create = try await Self.handle(createPipeline, Self.created)
            #expect(await cancellation.value?.outcome == .queuedForReview)
            let stopped = try #require(cancelAudit.entries.first { $0.stage == "series" })
            #expect(Self.array(stopped.facts["stopped"])?.count == 1)

            // The thank-you was due at once and is out; the three follow-ups are withdrawn.
            #expect(create.outcome == .sent)
            #expect(create.code == .guarded(.orderCancelled))
            #expect(
                create.reason
                    == "order_cancelled: order 820982911946154508 was cancelled at 2026-11-25T13:31:00.000Z while its series was handed over; withdrew getting_started, review_request, recommendations; thank_you had gone out already"
            )
            #expect(create.messages?.count == 1)
            let withdraw = try #require(createAudit.entries.first { $0.stage == "withdraw" })
            #expect(
                withdraw.facts["steps"]
                    == .array(["getting_started", "review_request", "recommendations"].map(JSONValue.string)))
            // The create moved the two the cancellation could not have seen.
            #expect(Self.array(withdraw.facts["stopped"])?.count == 2)
            let stages = createAudit.entries.map(\.stage)
            #expect(Array(stages.suffix(2)) == ["withdraw", "outcome"])
            let terminal = try #require(createAudit.entries.last)
            let steps = Self.array(terminal.facts["steps"])?.compactMap { $0.objectValue?["outcome"]?.stringValue }
            #expect(steps == ["sent", "withdrawn", "withdrawn", "withdrawn"])

            let outbox = data.appendingPathComponent("outbox")
            let waiting = try Self.seriesFiles(outbox)
            #expect(waiting.map(\.step) == ["thank_you"])
            #expect(waiting.allSatisfy { $0.sendAt <= Self.now })
            #expect(
                try Self.seriesFiles(outbox.appendingPathComponent("cancelled")).map(\.step) == [
                    "getting_started", "review_request", "recommendations",
                ])
        }
    }

    @Test("Created first: the create's re-check finds nothing, and the cancellation that follows stops the series")
    func createdFirst() async throws {
        try await withScratch { data in
            let createAudit = InMemoryAuditLog()
            let create = try await Self.handle(
                try Self.pipeline(.orderCreated, data: data, audit: createAudit), Self.created)
            #expect(create.outcome == .sent && create.code == nil && create.messages?.count == 4)
            #expect(!createAudit.entries.contains { $0.stage == "withdraw" })
            let cancellation = try await Self.handle(
                try Self.pipeline(.orderCancelled, data: data, audit: InMemoryAuditLog()), Self.cancelled)
            #expect(cancellation.outcome == .queuedForReview)
            let outbox = data.appendingPathComponent("outbox")
            #expect(try Self.seriesFiles(outbox).map(\.step) == ["thank_you"])
            #expect(try Self.seriesFiles(outbox.appendingPathComponent("cancelled")).count == 3)
        }
    }
}

extension OrderRaceTests {
    @Test("A re-check the store cannot answer is noted on the outcome, never turned into a retry that hands over again")
    func recheckUnreadable() async throws {
        try await withScratch { data in
            let audit = InMemoryAuditLog()
            var pipeline = try Self.pipeline(.orderCreated, data: data, audit: audit)
            // The guards' read answers; the one after the hand-over does not.
            pipeline.stages.state = FailingStateStore(pipeline.stages.state, tombstoneReadsAnswered: 1)
            let report = try await Self.handle(pipeline, Self.created)
            #expect(report.outcome == .sent && report.retryable == nil)
            #expect(report.messages?.count == 4)
            let terminal = try #require(audit.entries.last)
            #expect(terminal.facts["recheck_failed"]?.stringValue?.hasPrefix("state_unavailable: ") == true)
            #expect(!audit.entries.contains { $0.stage == "withdraw" })
        }
    }

    @Test("A cancellation whose tombstone cannot be written fails retryably before it stops or writes anything")
    func tombstoneUnwritable() async throws {
        try await withScratch { data in
            let audit = InMemoryAuditLog()
            var pipeline = try Self.pipeline(.orderCancelled, data: data, audit: audit)
            pipeline.stages.state = FailingStateStore(pipeline.stages.state, tombstoneWrites: false)
            let report = try await Self.handle(pipeline, Self.cancelled)
            #expect(report.outcome == .failed && report.retryable == true)
            #expect(report.code == .failure(.stateUnavailable))
            #expect(audit.entries.map(\.stage) == ["normalize", "outcome"])
        }
    }
}

/// A state store that forwards to another but refuses tombstone writes, or answers only the
/// first `tombstoneReadsAnswered` tombstone reads, as an unreachable store would.
struct FailingStateStore: StateStore {
    let inner: any StateStore
    let tombstoneWrites: Bool
    let tombstoneReadsAnswered: Int
    private let reads = Shared<Int>()

    init(_ inner: any StateStore, tombstoneWrites: Bool = true, tombstoneReadsAnswered: Int = .max) {
        self.inner = inner
        self.tombstoneWrites = tombstoneWrites
        self.tombstoneReadsAnswered = tombstoneReadsAnswered
    }

    static func unreachable(_ key: String) -> StateStoreError {
        StateStoreError(code: .unavailable, key: key, reason: "connection refused")
    }

    func claim(_ key: String, owner: String, leaseUntil: Date, now: Date) async throws(StateStoreError)
        -> ClaimOutcome
    {
        try await inner.claim(key, owner: owner, leaseUntil: leaseUntil, now: now)
    }

    func complete(_ key: String, owner: String, result: String, expiresAt: Date) async throws(StateStoreError) {
        try await inner.complete(key, owner: owner, result: result, expiresAt: expiresAt)
    }

    func release(_ key: String, owner: String) async throws(StateStoreError) {
        try await inner.release(key, owner: owner)
    }

    func completedResult(_ key: String) async throws(StateStoreError) -> String? {
        try await inner.completedResult(key)
    }

    func writeTombstone(_ key: String, time: Date, expiresAt: Date) async throws(StateStoreError) -> Date {
        guard tombstoneWrites else { throw Self.unreachable(key) }
        return try await inner.writeTombstone(key, time: time, expiresAt: expiresAt)
    }

    func tombstone(_ key: String) async throws(StateStoreError) -> Date? {
        guard await reads.increment() <= tombstoneReadsAnswered else { throw Self.unreachable(key) }
        return try await inner.tombstone(key)
    }

    func increment(_ key: String, by amount: Int64, in window: CounterWindow, cap: Int64?)
        async throws(StateStoreError) -> CounterOutcome
    {
        try await inner.increment(key, by: amount, in: window, cap: cap)
    }

    func count(_ key: String, in window: CounterWindow) async throws(StateStoreError) -> Int64 {
        try await inner.count(key, in: window)
    }

    func addSuppression(_ entry: SuppressionEntry) async throws(StateStoreError) {
        try await inner.addSuppression(entry)
    }

    func suppression(customerID: String?, addressHash: String?) async throws(StateStoreError) -> SuppressionEntry? {
        try await inner.suppression(customerID: customerID, addressHash: addressHash)
    }
}

/// An email service that runs `interject` once, right after its `after`-th hand-over returns.
struct InterjectingEmailService: EmailService {
    let inner: any EmailService
    let after: Int
    let interject: @Sendable () async -> Void
    private let count = Shared<Int>()

    init(inner: any EmailService, after: Int, interject: @escaping @Sendable () async -> Void) {
        self.inner = inner
        self.after = after
        self.interject = interject
    }

    var holdsScheduledMessages: Bool { inner.holdsScheduledMessages }

    func deliver(_ email: RenderedEmail) async throws -> DeliveryReceipt {
        let receipt = try await inner.deliver(email)
        if await count.increment() == after { await interject() }
        return receipt
    }

    func cancelScheduled(series: String, after: Date) async throws -> [String] {
        try await inner.cancelScheduled(series: series, after: after)
    }
}

/// A value set from a concurrent task and read after it.
actor Shared<Value: Sendable> {
    private(set) var value: Value?

    func set(_ value: Value?) { self.value = value }
}

extension Shared where Value == Int {
    /// Adds one and returns the new count.
    func increment() -> Int {
        value = (value ?? 0) + 1
        return value ?? 0
    }
}
