import Foundation
import Synchronization
import Testing

@testable import TidingsCore

/// SES cannot schedule: due email goes to it, a later step waits in the scheduled outbox, and a
/// cancellation reaches the outbox.
@Suite("Due email to the ESP, scheduled email to the outbox")
struct SchedulingEmailServiceTests {
    final class Counting: EmailService, Sendable {
        let name: String
        let holdsScheduledMessages: Bool
        private let state = Mutex<(sent: [String], cancels: Int)>(([], 0))
        init(_ name: String, schedules: Bool = false) {
            self.name = name
            self.holdsScheduledMessages = schedules
        }
        var sent: [String] { state.withLock { $0.sent } }
        var cancels: Int { state.withLock { $0.cancels } }

        func deliver(_ email: RenderedEmail) async throws -> DeliveryReceipt {
            state.withLock { $0.sent.append(email.messageID) }
            return DeliveryReceipt(service: name, reference: email.messageID)
        }

        func cancelScheduled(series: String, after: Date) async throws -> [String] {
            state.withLock { $0.cancels += 1 }
            return ["\(name):\(series)"]
        }
    }

    @Test("Due (or within the minute) goes to the ESP; later goes to the outbox; cancel asks both")
    func routes() async throws {
        let ses = Counting("ses")
        let outbox = Counting("outbox")
        let clock = FixedClock(RenderFixtures.now)
        let service = SchedulingEmailService(now: ses, queue: outbox, clock: clock)
        var email = try RenderFixtures.render()

        email.sendAt = RenderFixtures.now
        #expect(try await service.deliver(email).service == "ses")
        email.sendAt = RenderFixtures.now.addingTimeInterval(59)
        #expect(try await service.deliver(email).service == "ses")
        email.sendAt = RenderFixtures.now.addingTimeInterval(3 * 86_400)
        #expect(try await service.deliver(email).service == "outbox")
        #expect(ses.sent.count == 2)
        #expect(outbox.sent.count == 1)

        let cancelled = try await service.cancelScheduled(series: "order-1", after: RenderFixtures.now)
        #expect(cancelled == ["outbox:order-1", "ses:order-1"])
    }

    @Test("A service that schedules itself (Mandrill, Braze) is handed every step at once, with its time")
    func schedulingServiceGetsFutureSteps() async throws {
        let mandrill = Counting("mandrill", schedules: true)
        let outbox = Counting("outbox")
        let service = SchedulingEmailService(now: mandrill, queue: outbox, clock: FixedClock(RenderFixtures.now))
        var email = try RenderFixtures.render()
        for days in [0.0, 5, 12, 19] {
            email.sendAt = RenderFixtures.now.addingTimeInterval(days * 86_400)
            #expect(try await service.deliver(email).service == "mandrill")
        }
        #expect(mandrill.sent.count == 4)
        #expect(outbox.sent.isEmpty, "nothing waits in the outbox")
        #expect(!outbox.holdsScheduledMessages, "the default is false")
        #expect(service.holdsScheduledMessages, "the wrapper never sends a step early, whichever side holds it")
        // A cancellation still asks the outbox, which may hold what an earlier configuration queued.
        #expect(
            try await service.cancelScheduled(series: "s", after: RenderFixtures.now) == ["outbox:s", "mandrill:s"])
    }
}
