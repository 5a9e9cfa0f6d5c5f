import Foundation
import Testing
import TidingsDevKit

@testable import TidingsCore

@Suite("OutboxEmailService")
struct OutboxEmailServiceTests {
    @Test("writes one .eml named by send time, flow and Message-ID, and returns its path")
    func writesFile() async throws {
        try await RenderFixtures.withTemporaryDirectory { folder in
            let outbox = OutboxEmailService(directory: folder.appendingPathComponent("outbox"))
            let email = try RenderFixtures.render()
            let receipt = try await outbox.deliver(email)

            let short = String(email.messageID.prefix(12))
            let expectedPath = folder.appendingPathComponent(
                "outbox/20261118T120640Z-cartAbandoned-\(short).eml"
            ).path
            #expect(receipt == DeliveryReceipt(service: "outbox", reference: expectedPath))
            #expect(try Data(contentsOf: URL(fileURLWithPath: expectedPath)) == MIMEMessage.serialize(email))
            // Nothing else is left behind: no temporary files.
            #expect(
                try FileManager.default.contentsOfDirectory(
                    atPath: folder.appendingPathComponent("outbox").path)
                    == [expectedPath.split(separator: "/").last.map(String.init)!])
        }
    }

    @Test("cancelling a series moves only its messages scheduled after the cut-off, once")
    func cancelScheduled() async throws {
        try await RenderFixtures.withTemporaryDirectory { folder in
            let outbox = OutboxEmailService(directory: folder)
            let start = RenderFixtures.request().now
            func email(_ step: String, days: Double, series: String) throws -> RenderedEmail {
                var request = RenderFixtures.request()
                request.step = step
                request.seriesKey = series
                request.sendAt = start.addingTimeInterval(days * 86_400)
                request.eventID = series  // one event per series, as one order event plans one series
                return try RenderFixtures.render(request)
            }
            let thanks = try await outbox.deliver(try email("thank_you", days: 0, series: "order:shopify:1"))
            _ = try await outbox.deliver(try email("getting_started", days: 5, series: "order:shopify:1"))
            _ = try await outbox.deliver(try email("review_request", days: 12, series: "order:shopify:1"))
            let other = try await outbox.deliver(try email("review_request", days: 12, series: "order:shopify:2"))

            let stopped = try await outbox.cancelScheduled(
                series: "order:shopify:1", after: start.addingTimeInterval(3600))
            #expect(stopped.count == 2)
            #expect(stopped.allSatisfy { $0.contains("/cancelled/") && FileManager.default.fileExists(atPath: $0) })
            // What was due already went out and stays; another series is untouched.
            #expect(FileManager.default.fileExists(atPath: thanks.reference))
            #expect(FileManager.default.fileExists(atPath: other.reference))
            #expect(try await outbox.cancelScheduled(series: "order:shopify:1", after: start).isEmpty)
            #expect(try await outbox.cancelScheduled(series: "order:shopify:9", after: start).isEmpty)
        }
    }

    @Test("the same Message-ID twice leaves one file holding the latest bytes")
    func replayReplaces() async throws {
        try await RenderFixtures.withTemporaryDirectory { folder in
            let outbox = OutboxEmailService(directory: folder, syncsToDisk: true)
            let first = try RenderFixtures.render()
            var replay = RenderFixtures.request()
            replay.now = replay.now.addingTimeInterval(60)
            let second = try RenderFixtures.render(replay)
            #expect(first.messageID == second.messageID)

            let a = try await outbox.deliver(first)
            let b = try await outbox.deliver(second)
            #expect(a == b)
            let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            #expect(files.count == 1)
            #expect(try Data(contentsOf: URL(fileURLWithPath: b.reference)) == MIMEMessage.serialize(second))

            _ = try await outbox.deliver(
                try RenderFixtures.render(RenderFixtures.request(eventID: "evt-other")))
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).count == 2)
        }
    }

    @Test("a reader never sees a partial file while another writer replaces it")
    func atomicReplace() async throws {
        try await RenderFixtures.withTemporaryDirectory { folder in
            let outbox = OutboxEmailService(directory: folder)
            var small = try RenderFixtures.render()
            small.text = "small"
            var large = small
            large.text = String(repeating: "A long line of text for the outbox. ", count: 3_000)
            let smallBytes = MIMEMessage.serialize(small)
            let largeBytes = MIMEMessage.serialize(large)
            let path = try await outbox.deliver(small).reference

            let writer = Task {
                for round in 0..<40 { _ = try await outbox.deliver(round.isMultiple(of: 2) ? large : small) }
            }
            // Read while the writer replaces the file: every read is one whole version or the other.
            for _ in 0..<40 {
                let seen = try Data(contentsOf: URL(fileURLWithPath: path))
                #expect(seen == smallBytes || seen == largeBytes, "a torn read of \(seen.count) bytes")
                await Task.yield()
            }
            try await writer.value
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).count == 1)
        }
    }

    @Test("a folder that cannot be created is a delivery error naming the path, not retryable")
    func unwritableFolder() async throws {
        try await RenderFixtures.withTemporaryDirectory { folder in
            let blocker = folder.appendingPathComponent("not-a-folder")
            try Data("x".utf8).write(to: blocker)
            let outbox = OutboxEmailService(directory: blocker.appendingPathComponent("outbox"))
            let error = await #expect(throws: DeliveryError.self) {
                try await outbox.deliver(try RenderFixtures.render())
            }
            #expect(error?.service == "outbox")
            #expect(error?.isRetryable == false)
            #expect(error?.reason.contains("not-a-folder") == true)
        }
    }

    @Test("file name parts cannot leave the folder")
    func fileNameIsSafe() throws {
        var email = try RenderFixtures.render()
        email.messageID = "../../etc/passwd@x"
        email.extraHeaders = [.init("X-Tidings-Flow", "../../evil")]
        let name = OutboxEmailService.fileName(for: email)
        #expect(!name.contains("/"))
        #expect(name == "20261118T120640Z-evil-etcpasswd.eml")
    }
}

@Suite("RecordingEmailService and RecordingReviewQueue")
struct RecordingDoublesTests {
    @Test("record what they are given and fail when told to")
    func recordAndFail() async throws {
        let service = RecordingEmailService()
        let email = try RenderFixtures.render()
        let receipt = try await service.deliver(email)
        #expect(receipt.reference == email.messageID)
        #expect(await service.delivered == [email])
        await service.setFailure(DeliveryError(service: "recording", reason: "down", isRetryable: true))
        await #expect(throws: DeliveryError.self) { try await service.deliver(email) }
        #expect(await service.delivered.count == 1)

        let queue = RecordingReviewQueue()
        let item = ReviewItem(
            eventID: "e", flow: .winBack, reasons: ["r"], score: 50, draft: RenderFixtures.draft, email: email
        )
        #expect(try await queue.enqueue(item) == "review/e/1")
        #expect(await queue.items.map(\.eventID) == ["e"])
    }
}
