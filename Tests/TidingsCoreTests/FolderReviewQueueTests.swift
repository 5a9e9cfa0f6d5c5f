import Foundation
import Testing

@testable import TidingsCore

@Suite("FolderReviewQueue")
struct FolderReviewQueueTests {
    func item(eventID: String = "evt-1001", sendAtOffset: TimeInterval = 0) throws -> ReviewItem {
        var request = RenderFixtures.request(eventID: eventID)
        request.sendAt = request.sendAt.addingTimeInterval(sendAtOffset)
        return ReviewItem(
            eventID: eventID, flow: .cartAbandoned, reasons: ["discount above tier cap", "low score"],
            score: 61,
            draft: RenderFixtures.draft, email: try RenderFixtures.render(request))
    }

    @Test("writes the item as JSON beside its .eml and lists it as pending")
    func enqueueAndList() async throws {
        try await RenderFixtures.withTemporaryDirectory { folder in
            let queue = FolderReviewQueue(directory: folder.appendingPathComponent("review"))
            #expect(try queue.pending().isEmpty)  // no folder yet

            let item = try item()
            let path = try await queue.enqueue(item)
            #expect(path == folder.appendingPathComponent("review/evt-1001.json").path)

            let json =
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
                as? [String: Any]
            #expect(json?["event_id"] as? String == "evt-1001")
            #expect(json?["flow"] as? String == "cartAbandoned")
            #expect(json?["reasons"] as? [String] == ["discount above tier cap", "low score"])
            #expect(json?["score"] as? Int == 61)
            #expect(json?["subject"] as? String == "Your trail runners are still waiting")
            #expect(json?["to"] as? String == "juergen@example.com")
            #expect(json?["send_at"] as? String == "2026-11-18T12:06:40Z")
            #expect(json?["email_file"] as? String == "evt-1001.eml")
            #expect((json?["draft"] as? [String: Any])?["call_to_action"] != nil)

            let eml = folder.appendingPathComponent("review/evt-1001.eml")
            #expect(try Data(contentsOf: eml) == MIMEMessage.serialize(item.email))

            let pending = try queue.pending()
            #expect(
                pending == [
                    ReviewSummary(
                        eventID: "evt-1001", flow: .cartAbandoned,
                        reasons: ["discount above tier cap", "low score"],
                        score: 61, subject: "Your trail runners are still waiting", to: "juergen@example.com",
                        sendAt: item.email.sendAt, path: path, emailPath: eml.path)
                ])
        }
    }

    @Test("lists several items by send time; the same event again replaces its item")
    func ordering() async throws {
        try await RenderFixtures.withTemporaryDirectory { folder in
            let queue = FolderReviewQueue(directory: folder)
            _ = try await queue.enqueue(try item(eventID: "late", sendAtOffset: 600))
            _ = try await queue.enqueue(try item(eventID: "early", sendAtOffset: -600))
            _ = try await queue.enqueue(try item(eventID: "late", sendAtOffset: 600))
            #expect(try queue.pending().map(\.eventID) == ["early", "late"])
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).count == 4)
        }
    }

    @Test("event ids become safe, distinct file names")
    func safeNames() {
        #expect(FolderReviewQueue.fileBase(eventID: "evt-1001") == "evt-1001")
        let slash = FolderReviewQueue.fileBase(eventID: "a/b")
        let underscore = FolderReviewQueue.fileBase(eventID: "a_b")
        #expect(slash != underscore)
        #expect(slash.hasPrefix("a_b-") && !slash.contains("/"))
        #expect(!FolderReviewQueue.fileBase(eventID: "../../x").contains("/"))
        #expect(!FolderReviewQueue.fileBase(eventID: "..").hasPrefix("."))
        #expect(FolderReviewQueue.fileBase(eventID: "").hasPrefix("event-"))
    }

    @Test("a corrupt item makes pending() fail with the file named")
    func corruptItem() async throws {
        try await RenderFixtures.withTemporaryDirectory { folder in
            let queue = FolderReviewQueue(directory: folder)
            try Data("{not json".utf8).write(to: folder.appendingPathComponent("broken.json"))
            let error = #expect(throws: ReviewQueueError.self) { try queue.pending() }
            #expect(error?.path.hasSuffix("broken.json") == true)
        }
    }
}
