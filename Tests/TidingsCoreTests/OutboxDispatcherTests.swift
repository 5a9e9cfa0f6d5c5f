import Foundation
import Synchronization
import Testing
import TidingsDevKit

@testable import TidingsCore

/// A sending service that takes `latency` a send and remembers the most sends it held at once.
final class InFlightEmailService: EmailService {
    private let state = Mutex<(now: Int, most: Int, sent: [String])>((0, 0, []))
    let latency: Duration

    init(latency: Duration) { self.latency = latency }

    var most: Int { state.withLock { $0.most } }
    var sent: [String] { state.withLock { $0.sent } }

    func deliver(_ email: RenderedEmail) async throws -> DeliveryReceipt {
        state.withLock { state in
            state.now += 1
            state.most = max(state.most, state.now)
        }
        try await Task.sleep(for: latency)
        state.withLock { state in
            state.now -= 1
            state.sent.append(email.messageID)
        }
        return DeliveryReceipt(service: "in-flight", reference: email.messageID)
    }

    func cancelScheduled(series: String, after: Date) async throws -> [String] { [] }
}

/// A sending service that counts what it was handed, by Message-ID, and can be told to fail.
final class CountingEmailService: EmailService {
    private let state = Mutex<(sent: [String], failure: DeliveryError?)>(([], nil))

    init(failure: DeliveryError? = nil) {
        state.withLock { $0.failure = failure }
    }

    var sent: [String] { state.withLock { $0.sent } }

    func deliver(_ email: RenderedEmail) async throws -> DeliveryReceipt {
        // A short pause, so concurrent dispatchers really overlap.
        try await Task.sleep(for: .milliseconds(2))
        return try state.withLock { state in
            if let failure = state.failure { throw failure }
            state.sent.append(email.messageID)
            return DeliveryReceipt(service: "counting", reference: "ref-\(email.messageID.prefix(8))")
        }
    }

    func cancelScheduled(series: String, after: Date) async throws -> [String] { [] }
}

@Suite("OutboxDispatcher")
struct OutboxDispatcherTests {
    static let start = RenderFixtures.now
    static let series = "order:shopify:1001"
    static let steps: [(String, Double)] = [("thank_you", 0), ("getting_started", 5), ("review_request", 12)]

    /// An order's three-step series in the scheduled outbox, as the handler leaves it.
    static func queueSeries(_ outbox: OutboxEmailService, series: String = series) async throws {
        for (step, days) in steps {
            var request = RenderFixtures.request()
            request.step = step
            request.seriesKey = series
            request.eventID = series
            request.sendAt = start.addingTimeInterval(days * 86_400)
            _ = try await outbox.deliver(try RenderFixtures.render(request))
        }
    }

    static func dispatcher(
        _ folder: URL, _ service: any EmailService, audit: any AuditLog = InMemoryAuditLog(), at time: Date,
        owner: String = "test"
    ) -> OutboxDispatcher {
        OutboxDispatcher(directory: folder, service: service, audit: audit, clock: FixedClock(time), owner: owner)
    }

    static func emls(_ folder: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".eml") }
            .sorted()
    }

    @Test("each run sends exactly the steps that are due, once, files them in sent/ with the receipt, and audits each")
    func stepByStep() async throws {
        try await RenderFixtures.withTemporaryDirectory { folder in
            let outbox = OutboxEmailService(directory: folder)
            try await Self.queueSeries(outbox)
            let service = CountingEmailService()
            let audit = InMemoryAuditLog()
            var sentSteps: [[String]] = []
            for days in [-1.0, 0, 1, 5, 5, 12, 30] {
                let run = try await Self.dispatcher(
                    folder, service, audit: audit, at: Self.start.addingTimeInterval(days * 86_400)
                ).run(correlationID: "run-\(days)")
                sentSteps.append(run.results.filter { $0.state == .sent }.compactMap(\.step))
            }
            #expect(sentSteps == [[], ["thank_you"], [], ["getting_started"], [], ["review_request"], []])
            #expect(service.sent.count == 3 && Set(service.sent).count == 3)
            #expect(Self.emls(folder).isEmpty)
            let sent = folder.appendingPathComponent("sent")
            #expect(Self.emls(sent).count == 3)
            let first = try #require(Self.emls(sent).first)
            let receipt = try String(contentsOf: sent.appendingPathComponent(first + ".receipt"), encoding: .utf8)
            #expect(receipt.contains("service: counting") && receipt.contains("reference: ref-"))
            #expect(Self.emls(folder.appendingPathComponent("claimed")).isEmpty)
            #expect(
                ((try? FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("claimed").path))
                    ?? []).isEmpty)

            let records = audit.entries
            #expect(records.count == 3)
            #expect(records.allSatisfy { $0.function == "dispatch" && $0.outcome == .sent })
            #expect(
                records.map { $0.facts["step"]?.stringValue } == ["thank_you", "getting_started", "review_request"])
            #expect(records.allSatisfy { $0.facts["event_id"]?.stringValue == Self.series })
            #expect(records.allSatisfy { $0.facts["service"]?.stringValue == "counting" })
            #expect(records.allSatisfy { $0.facts["reference"]?.stringValue?.hasPrefix("ref-") == true })
            #expect(records.allSatisfy { $0.facts["to"] == nil }, "no recipient beyond the deliver record")
            #expect(Set(records.map(\.eventID)).count == 3)
        }
    }

    @Test("a cancellation between steps stops the rest, in the outbox and in a claim taken before it")
    func cancellationStops() async throws {
        try await RenderFixtures.withTemporaryDirectory { folder in
            let outbox = OutboxEmailService(directory: folder)
            try await Self.queueSeries(outbox)
            try await Self.queueSeries(outbox, series: "order:shopify:1002")
            let service = CountingEmailService()
            let first = try await Self.dispatcher(folder, service, at: Self.start).run(correlationID: "t0")
            #expect(first.count(.sent) == 2)

            // A dispatcher claimed order 1002's second step and died before sending; then both
            // orders are cancelled. The outbox copy of 1001 is moved at once; the claim is not
            // reachable by the move, so the mark stops it when the claim is taken over.
            let claimed = folder.appendingPathComponent("claimed")
            try FileManager.default.createDirectory(at: claimed, withIntermediateDirectories: true)
            let names = Self.emls(folder)
            let victim = try #require(
                names.first { name in
                    OutboxEmailService.headers(of: folder.appendingPathComponent(name))?["x-tidings-series"]
                        == "order:shopify:1002"
                        && OutboxEmailService.headers(of: folder.appendingPathComponent(name))?["x-tidings-step"]
                            == "getting_started"
                })
            let stale = Claim(name: victim, owner: "crashed", leaseEnd: Self.start.addingTimeInterval(60))
            try FileManager.default.moveItem(
                at: folder.appendingPathComponent(victim), to: claimed.appendingPathComponent(stale.fileName))

            let cutOff = Self.start.addingTimeInterval(86_400)
            let moved1001 = try await outbox.cancelScheduled(series: Self.series, after: cutOff)
            let moved1002 = try await outbox.cancelScheduled(series: "order:shopify:1002", after: cutOff)
            #expect(moved1001.count == 2)
            #expect(moved1002.count == 1, "the claimed step is not in the outbox to move")

            let later = try await Self.dispatcher(folder, service, at: Self.start.addingTimeInterval(30 * 86_400))
                .run(correlationID: "t30")
            #expect(later.count(.sent) == 0)
            #expect(later.count(.cancelled) == 1)
            #expect(later.results.first?.name == victim)
            #expect(service.sent.count == 2, "only the two thank-you messages ever went")
            #expect(Self.emls(folder.appendingPathComponent("cancelled")).count == 4)
        }
    }

    @Test("four dispatchers at once over 50 due messages send each exactly once")
    func concurrentDispatchers() async throws {
        try await RenderFixtures.withTemporaryDirectory { folder in
            let outbox = OutboxEmailService(directory: folder)
            for index in 0..<50 {
                var request = RenderFixtures.request()
                request.eventID = "order-\(index)"
                request.sendAt = Self.start.addingTimeInterval(Double(index))
                _ = try await outbox.deliver(try RenderFixtures.render(request))
            }
            #expect(Self.emls(folder).count == 50)
            let service = CountingEmailService()
            let audit = InMemoryAuditLog()
            let summaries = try await withThrowingTaskGroup(of: DispatchSummary.self) { group in
                for worker in 0..<4 {
                    group.addTask {
                        try await Self.dispatcher(
                            folder, service, audit: audit, at: Self.start.addingTimeInterval(3600),
                            owner: "worker\(worker)"
                        ).run(correlationID: "worker-\(worker)")
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(service.sent.count == 50)
            #expect(Set(service.sent).count == 50, "no message twice")
            #expect(summaries.map { $0.count(.sent) }.reduce(0, +) == 50)
            #expect(
                summaries.filter { $0.count(.sent) > 0 }.count > 1,
                "the work was shared: \(summaries.map { $0.count(.sent) })")
            #expect(Self.emls(folder.appendingPathComponent("sent")).count == 50)
            #expect(audit.entries.filter { $0.outcome == .sent }.count == 50)
        }
    }

    @Test("a stale claim is taken over and sent; a live one is left to its owner")
    func staleClaim() async throws {
        try await RenderFixtures.withTemporaryDirectory { folder in
            let outbox = OutboxEmailService(directory: folder)
            for index in 0..<2 {
                var request = RenderFixtures.request()
                request.eventID = "order-\(index)"
                _ = try await outbox.deliver(try RenderFixtures.render(request))
            }
            let names = Self.emls(folder)
            let claimed = folder.appendingPathComponent("claimed")
            try FileManager.default.createDirectory(at: claimed, withIntermediateDirectories: true)
            let now = Self.start.addingTimeInterval(7200)  // the fixture is due an hour after its start
            let stale = Claim(name: names[0], owner: "crashed", leaseEnd: now.addingTimeInterval(-1))
            let live = Claim(name: names[1], owner: "busy", leaseEnd: now.addingTimeInterval(120))
            try FileManager.default.moveItem(
                at: folder.appendingPathComponent(names[0]), to: claimed.appendingPathComponent(stale.fileName))
            try FileManager.default.moveItem(
                at: folder.appendingPathComponent(names[1]), to: claimed.appendingPathComponent(live.fileName))

            let service = CountingEmailService()
            let summary = try await Self.dispatcher(folder, service, at: now).run(correlationID: "takeover")
            #expect(summary.results.map(\.name) == [names[0]])
            #expect(summary.count(.sent) == 1)
            #expect(service.sent.count == 1)
            #expect(Self.emls(folder.appendingPathComponent("sent")) == [names[0]])
            #expect(try FileManager.default.contentsOfDirectory(atPath: claimed.path) == [live.fileName])
        }
    }

    @Test("a retryable failure returns the message for the next run; another files it in failed/ with the reason")
    func failures() async throws {
        try await RenderFixtures.withTemporaryDirectory { folder in
            let outbox = OutboxEmailService(directory: folder)
            _ = try await outbox.deliver(try RenderFixtures.render())
            let name = try #require(Self.emls(folder).first)
            let audit = InMemoryAuditLog()
            let now = Self.start.addingTimeInterval(7200)  // the fixture is due an hour after its start
            let throttled = CountingEmailService(
                failure: DeliveryError(service: "ses", reason: "throttled", isRetryable: true, code: .throttled))
            let retry = try await Self.dispatcher(folder, throttled, audit: audit, at: now).run(correlationID: "a")
            #expect(retry.count(.retry) == 1)
            #expect(Self.emls(folder) == [name], "back in the outbox")
            #expect(audit.entries.last?.facts["retryable"] == .bool(true))

            let rejected = CountingEmailService(
                failure: DeliveryError(
                    service: "ses", reason: "MessageRejected: no", isRetryable: false, code: .messageRejected))
            let failed = try await Self.dispatcher(folder, rejected, audit: audit, at: now).run(correlationID: "b")
            #expect(failed.count(.failed) == 1)
            #expect(Self.emls(folder).isEmpty)
            let failedFolder = folder.appendingPathComponent("failed")
            #expect(Self.emls(failedFolder) == [name])
            let reason = try String(contentsOf: failedFolder.appendingPathComponent(name + ".reason"), encoding: .utf8)
            #expect(reason.contains("MessageRejected"))
            #expect(audit.entries.last?.outcome == .failed)
            #expect(audit.entries.last?.facts["retryable"] == .bool(false))
            // Nothing left to send: a third run does nothing.
            let again = try await Self.dispatcher(folder, CountingEmailService(), at: now).run(correlationID: "c")
            #expect(again.results.isEmpty)
        }
    }

    @Test("--limit bounds the messages one run claims, in send-time order; none is claimed too close to the deadline")
    func limit() async throws {
        try await RenderFixtures.withTemporaryDirectory { folder in
            let outbox = OutboxEmailService(directory: folder)
            for index in 0..<5 {
                var request = RenderFixtures.request()
                request.eventID = "order-\(index)"
                request.sendAt = Self.start.addingTimeInterval(Double(index * 60))
                _ = try await outbox.deliver(try RenderFixtures.render(request))
            }
            let names = Self.emls(folder)
            let service = CountingEmailService()
            // Too close to an invocation's deadline (by the wall clock), nothing is claimed.
            let late = try await Self.dispatcher(folder, service, at: Self.start.addingTimeInterval(3600))
                .run(deadline: Date().addingTimeInterval(5), correlationID: "late")
            #expect(late.results.isEmpty)
            #expect(Self.emls(folder) == names)
            let run = try await Self.dispatcher(folder, service, at: Self.start.addingTimeInterval(3600))
                .run(limit: 2, deadline: Date().addingTimeInterval(50), correlationID: "limited")
            #expect(run.results.map(\.name) == Array(names.prefix(2)))
            #expect(Self.emls(folder) == Array(names.dropFirst(2)))
        }
    }

    @Test("dispatch records verify as ended events, and one message sent by two dispatchers is a double send")
    func auditVerifies() async throws {
        try await RenderFixtures.withTemporaryDirectory { folder in
            let outbox = OutboxEmailService(directory: folder.appendingPathComponent("outbox"))
            _ = try await outbox.deliver(try RenderFixtures.render())
            let root = folder.appendingPathComponent("audit")
            let first = JSONLAuditLog(root: root, writerID: "dispatch-a")
            let now = Self.start.addingTimeInterval(7200)
            let run = try await Self.dispatcher(
                folder.appendingPathComponent("outbox"), CountingEmailService(), audit: first, at: now
            ).run(correlationID: "a")
            #expect(run.count(.sent) == 1)
            #expect(try AuditVerifier(root: root).verify().passed)

            // A second writer recording the same file as sent (a claim taken over from a dispatcher
            // that was still sending): the verifier names it.
            let name = try #require(run.results.first?.name)
            var again = DispatchResult(name: name, state: .sent)
            again.service = "counting"
            again.reference = "ref-again"
            try JSONLAuditLog(root: root, writerID: "dispatch-b").append(
                again.auditEntry(time: now.addingTimeInterval(1), correlationID: "b"))
            let report = try AuditVerifier(root: root).verify()
            #expect(report.problems.map(\.kind) == [.doubleSend])
        }
    }

    /// `count` due messages, one event each, a second apart.
    static func queueDue(_ folder: URL, count: Int) async throws {
        let outbox = OutboxEmailService(directory: folder)
        for index in 0..<count {
            var request = RenderFixtures.request()
            request.eventID = "order-\(index)"
            request.sendAt = start.addingTimeInterval(Double(index))
            _ = try await outbox.deliver(try RenderFixtures.render(request))
        }
    }

    @Test("a run keeps at most `concurrency` sends in flight, more than one when allowed, and sends each message once")
    func concurrency() async throws {
        for (concurrency, count) in [(1, 6), (8, 40)] {
            try await RenderFixtures.withTemporaryDirectory { folder in
                try await Self.queueDue(folder, count: count)
                let service = InFlightEmailService(latency: .milliseconds(50))
                let audit = InMemoryAuditLog()
                let summary = try await Self.dispatcher(
                    folder, service, audit: audit, at: Self.start.addingTimeInterval(7200)
                ).run(pacing: DispatchPacing(concurrency: concurrency), correlationID: "paced")
                #expect(summary.count(.sent) == count)
                #expect(Set(service.sent).count == count, "each message once")
                #expect(service.most <= concurrency, "at most \(concurrency) in flight, saw \(service.most)")
                if concurrency > 1 { #expect(service.most > 1, "sends overlapped") }
                #expect(Self.emls(folder.appendingPathComponent("sent")).count == count)
                #expect(audit.entries.filter { $0.outcome == .sent }.count == count)
            }
        }
    }

    @Test("a send-rate ceiling spaces the claims: n messages at r a second take at least (n - 1) / r")
    func sendRate() async throws {
        try await RenderFixtures.withTemporaryDirectory { folder in
            try await Self.queueDue(folder, count: 6)
            let service = InFlightEmailService(latency: .zero)
            let started = Date()
            let summary = try await Self.dispatcher(folder, service, at: Self.start.addingTimeInterval(7200))
                .run(pacing: DispatchPacing(concurrency: 8, ratePerSecond: 20), correlationID: "rate")
            let elapsed = Date().timeIntervalSince(started)
            #expect(summary.count(.sent) == 6)
            // A lower bound only: a busy machine makes the run slower, never faster.
            #expect(elapsed >= 5.0 / 20 * 0.95, "6 sends at 20/s took \(elapsed) s")
        }
    }
}
