import Foundation
import Testing
import TidingsDevKit

@testable import TidingsCore

/// The wrappers `tidings bench models` times a scan's emails with: they pass every call through
/// and count only what the wrapped stage accepted.
struct HandOverTimesTests {
    @Test func countsDeliveriesAndReviewItemsThatWentThroughAndNothingThatFailed() async throws {
        let times = HandOverTimes()
        #expect(times.count == 0 && times.last == nil)
        let email = try RenderFixtures.render()
        let outbox = RecordingEmailService()
        let review = RecordingReviewQueue()
        let timedOutbox = TimedEmailService(outbox, times: times)
        let timedReview = TimedReviewQueue(review, times: times)

        let receipt = try await timedOutbox.deliver(email)
        #expect(receipt.reference == email.messageID)
        #expect(await outbox.delivered.map(\.messageID) == [email.messageID])
        let first = try #require(times.last)
        _ = try await timedReview.enqueue(
            ReviewItem(
                eventID: "evt-1001", flow: .cartAbandoned, reasons: ["low score"], score: 61,
                draft: RenderFixtures.draft, email: email))
        #expect(await review.items.map(\.eventID) == ["evt-1001"])
        #expect(times.count == 2)
        #expect(try #require(times.last) >= first)

        await outbox.setFailure(DeliveryError(service: "recording", reason: "down", isRetryable: true))
        await #expect(throws: DeliveryError.self) { try await timedOutbox.deliver(email) }
        #expect(times.count == 2)
    }
}
