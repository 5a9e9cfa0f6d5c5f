import Foundation
import Testing
import TidingsCore
import TidingsDevKit

@testable import TidingsRuntime

/// One email per cart when events about it arrive at once: two events with their own ids about one
/// cart, handled at the same moment by two pipelines on one data folder (as two processes would),
/// give one email; the second waits on the cart's claim and ends `cart_already_handled`.
@Suite("The subject claim: one email per cart")
struct SubjectClaimTests {
    /// An email service that takes a while to answer, so the other event's guards run while the
    /// first email is still being handed over (without the cart's claim, both are sent).
    actor SlowEmailService: EmailService {
        private(set) var delivered: [String] = []

        func deliver(_ email: RenderedEmail) async throws -> DeliveryReceipt {
            try await Task.sleep(for: .milliseconds(400))
            delivered.append(email.messageID)
            return DeliveryReceipt(service: "slow", reference: email.messageID)
        }

        func cancelScheduled(series: String, after: Date) async throws -> [String] { [] }
    }

    /// The recorded returning-customer cart with its own event id.
    static func event(id: String) throws -> [UInt8] {
        let url = RuntimeTestSupport.cartEvents.appendingPathComponent("canonical-returning-customer.json")
        guard case .object(var root) = try JSONParser.parse(Array(try Data(contentsOf: url))) else {
            throw CancellationError()
        }
        root["event_id"] = .string(id)
        return Array(try JSONEncoder().encode(JSONValue.object(root)))
    }

    func pipeline(_ data: URL, service: SlowEmailService, at now: Date) throws -> InvocationHandler {
        let configuration = try RuntimeTestSupport.configuration(dataDirectory: data)
        var stages = try FunctionEnvironment.embeddedStages(
            function: .cartAbandoned, configuration: configuration, clock: FixedClock(now))
        stages.email = service
        let flow = try #require(Flow.named(.cartAbandoned, configuration))
        return InvocationHandler(pipeline: try Pipeline(flow: flow, configuration: configuration, stages: stages))
    }

    @Test("two events about one cart at once: one sent, one cart_already_handled, one email")
    func oneEmailPerCart() async throws {
        try await withScratch { data in
            let first = try Self.event(id: "cart-evt-a")
            let second = try Self.event(id: "cart-evt-b")
            let configuration = try RuntimeTestSupport.configuration(dataDirectory: data)
            let now = Replayer(configuration: configuration, logger: RuntimeTestSupport.quietLogger)
                .replayTime(first, delay: configuration.settings(for: .cartAbandoned).delay)
            let service = SlowEmailService()
            // Two pipelines, as two processes would hold: each its own store connection and audit writer.
            let a = try pipeline(data, service: service, at: now)
            let b = try pipeline(data, service: service, at: now)
            async let answerA = a.handle(
                first, deadline: nil, correlationID: "a", logger: RuntimeTestSupport.quietLogger)
            async let answerB = b.handle(
                second, deadline: nil, correlationID: "b", logger: RuntimeTestSupport.quietLogger)
            let reports = (await answerA).reports + (await answerB).reports
            let outcomes = reports.map(\.outcome.rawValue).sorted()
            #expect(outcomes == ["sent", "suppressed"], "\(reports)")
            let stopped = try #require(reports.first { $0.outcome == .suppressed })
            #expect(stopped.code == .guarded(.cartAlreadyHandled), "\(stopped)")
            #expect(await service.delivered.count == 1)

            // A third event about the cart later on is stopped too (the claim's completed result,
            // and the audit's memory behind it), and a release after a failure frees the cart:
            // see `releasedAfterAFailure`.
            let third = await a.handle(
                try Self.event(id: "cart-evt-c"), deadline: nil, correlationID: "c",
                logger: RuntimeTestSupport.quietLogger)
            #expect(third.reports.first?.code == .guarded(.cartAlreadyHandled), "\(third.reports)")
            #expect(await service.delivered.count == 1)
        }
    }

    @Test("an event about the cart that failed retryably releases the cart: the next event sends")
    func releasedAfterAFailure() async throws {
        try await withScratch { data in
            let first = try Self.event(id: "cart-evt-x")
            let configuration = try RuntimeTestSupport.configuration(dataDirectory: data)
            let now = Replayer(configuration: configuration, logger: RuntimeTestSupport.quietLogger)
                .replayTime(first, delay: configuration.settings(for: .cartAbandoned).delay)
            var stages = try FunctionEnvironment.embeddedStages(
                function: .cartAbandoned, configuration: configuration, clock: FixedClock(now))
            let failing = RecordingEmailService(
                failure: DeliveryError(service: "recording", reason: "down", isRetryable: true, code: .unreachable))
            stages.email = failing
            let flow = try #require(Flow.named(.cartAbandoned, configuration))
            let handler = InvocationHandler(
                pipeline: try Pipeline(flow: flow, configuration: configuration, stages: stages))
            let failed = await handler.handle(
                first, deadline: nil, correlationID: "x", logger: RuntimeTestSupport.quietLogger)
            #expect(failed.reports.first?.outcome == .failed, "\(failed.reports)")
            await failing.setFailure(nil)
            let next = await handler.handle(
                try Self.event(id: "cart-evt-y"), deadline: nil, correlationID: "y",
                logger: RuntimeTestSupport.quietLogger)
            #expect(next.reports.first?.outcome == .sent, "\(next.reports)")
            #expect(await failing.delivered.count == 1)
        }
    }
}
