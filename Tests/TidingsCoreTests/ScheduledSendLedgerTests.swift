import Foundation
import Testing

@testable import TidingsCore

/// The series ledger of the ESPs that schedule: what is recorded comes back by series, a cancel
/// mark removes it, a torn line is skipped, and series keys never mix.
@Suite("Scheduled-send ledger")
struct ScheduledSendLedgerTests {
    let day: TimeInterval = 86_400

    @Test("Records come back by series in order; a cancelled one does not; a duplicate counts once")
    func recordAndCancel() throws {
        try RenderFixtures.withTemporaryDirectorySync { directory in
            let ledger = JSONLScheduledSendLedger(directory: directory.appendingPathComponent("scheduled-sends"))
            #expect(try ledger.pending(series: "order-1").isEmpty, "no file yet: nothing pending")
            let now = RenderFixtures.now
            let first = ScheduledSend(service: "mandrill", reference: "m-1", sendAt: now.addingTimeInterval(5 * day))
            let second = ScheduledSend(service: "mandrill", reference: "m-2", sendAt: now.addingTimeInterval(12 * day))
            try ledger.record(first, series: "order-1")
            try ledger.record(second, series: "order-1")
            try ledger.record(first, series: "order-1")
            try ledger.record(
                ScheduledSend(service: "braze", reference: "s-9", sendAt: now.addingTimeInterval(day)),
                series: "order-2:with/odd key")
            #expect(try ledger.pending(series: "order-1") == [first, second])
            #expect(try ledger.pending(series: "order-2:with/odd key").map(\.reference) == ["s-9"])

            try ledger.markCancelled(reference: "m-1", series: "order-1")
            #expect(try ledger.pending(series: "order-1") == [second])

            // A crash mid-append leaves a torn last line: it is skipped, the rest still reads.
            let handle = try FileHandle(forWritingTo: ledger.file(series: "order-1"))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(#"{"op":"cancelled","refer"#.utf8))
            try handle.close()
            #expect(try ledger.pending(series: "order-1") == [second])
            // The next append starts on a fresh line, so it is not swallowed by the torn one.
            try ledger.markCancelled(reference: "m-2", series: "order-1")
            #expect(try ledger.pending(series: "order-1").isEmpty)
        }
    }

    @Test("The file is one JSON object a line with the send time in ISO 8601, and no address")
    func lineFormat() throws {
        try RenderFixtures.withTemporaryDirectorySync { directory in
            let ledger = JSONLScheduledSendLedger(directory: directory)
            try ledger.record(
                ScheduledSend(
                    service: "mandrill", reference: "abc", sendAt: Date(timeIntervalSince1970: 1_795_964_400)),
                series: "order-1")
            let text = try String(contentsOf: ledger.file(series: "order-1"), encoding: .utf8)
            #expect(
                text
                    == #"{"op":"scheduled","reference":"abc","send_at":"2026-11-29T15:00:00.000Z","service":"mandrill"}"#
                    + "\n")
        }
    }
}
