import Foundation
import Testing
import TidingsDevKit

@testable import TidingsCore

/// The duplicate guard's question, asked of both implementations: they must agree.
@Suite("Audit final outcomes")
struct AuditFinalOutcomeTests {
    enum Kind: String, CaseIterable { case jsonl, inMemory }

    /// Calls `body` with a fresh log of the kind; the JSONL one in a removed temporary folder.
    func withLog(_ kind: Kind, _ body: (any AuditLog) throws -> Void) throws {
        switch kind {
        case .jsonl: try withTemporaryAuditRoot { try body(JSONLAuditLog(root: $0, writerID: "w")) }
        case .inMemory: try body(InMemoryAuditLog())
        }
    }

    let morning = auditTime("2026-11-20T08:00:00Z")
    let noon = auditTime("2026-11-20T12:00:00Z")
    let dayStart = auditTime("2026-11-20T00:00:00Z")

    @Test("sent and queued for review consume the event id", arguments: Kind.allCases)
    func sentIsFinal(kind: Kind) throws {
        try withLog(kind) { log in
            try log.append(auditEntry("e1", at: noon, stage: "received"))
            #expect(try !log.hasFinalOutcome(eventID: "e1", since: dayStart))
            try log.append(auditEntry("e1", at: noon, stage: "outcome", outcome: .sent))
            try log.append(auditEntry("e2", at: noon, stage: "outcome", outcome: .queuedForReview))
            #expect(try log.hasFinalOutcome(eventID: "e1", since: dayStart))
            #expect(try log.hasFinalOutcome(eventID: "e2", since: dayStart))
            #expect(try !log.hasFinalOutcome(eventID: "e3", since: dayStart))
        }
    }

    @Test("suppressed is final unless retryable; failed never is", arguments: Kind.allCases)
    func suppressedAndFailed(kind: Kind) throws {
        try withLog(kind) { log in
            try log.append(
                auditEntry(
                    "quiet", at: noon, outcome: .suppressed,
                    facts: ["reason": "quiet_hours", "retryable": true]))
            try log.append(
                auditEntry("no-consent", at: noon, outcome: .suppressed, facts: ["reason": "no_consent"]))
            try log.append(
                auditEntry("explicit", at: noon, outcome: .suppressed, facts: ["retryable": false]))
            try log.append(auditEntry("boom", at: noon, outcome: .failed, facts: ["retryable": false]))
            try log.append(auditEntry("dup", at: noon, outcome: .duplicate))
            #expect(try !log.hasFinalOutcome(eventID: "quiet", since: dayStart))
            #expect(try log.hasFinalOutcome(eventID: "no-consent", since: dayStart))
            #expect(try log.hasFinalOutcome(eventID: "explicit", since: dayStart))
            #expect(try !log.hasFinalOutcome(eventID: "boom", since: dayStart))
            #expect(try !log.hasFinalOutcome(eventID: "dup", since: dayStart))
        }
    }

    @Test("an outcome before the window is not found", arguments: Kind.allCases)
    func outsideWindow(kind: Kind) throws {
        try withLog(kind) { log in
            try log.append(auditEntry("old", at: auditTime("2026-11-18T12:00:00Z"), outcome: .sent))
            try log.append(auditEntry("early", at: morning, outcome: .sent))
            #expect(try !log.hasFinalOutcome(eventID: "old", since: dayStart))
            #expect(try !log.hasFinalOutcome(eventID: "early", since: noon))
            #expect(try log.hasFinalOutcome(eventID: "early", since: morning))
            #expect(try log.hasFinalOutcome(eventID: "old", since: auditTime("2026-11-17T00:00:00Z")))
        }
    }

    @Test("another writer's outcomes are found, also those written after the first question")
    func otherWritersFile() throws {
        try withTemporaryAuditRoot { root in
            let other = JSONLAuditLog(root: root, writerID: "other")
            let mine = JSONLAuditLog(root: root, writerID: "mine")
            try other.append(auditEntry("e1", at: noon, outcome: .sent))
            try other.append(auditEntry("e2", at: noon, stage: "generate"))
            #expect(try mine.hasFinalOutcome(eventID: "e1", since: dayStart))
            #expect(try !mine.hasFinalOutcome(eventID: "e2", since: dayStart))

            try other.append(auditEntry("e2", at: noon, outcome: .sent))
            try other.append(auditEntry("e3", at: auditTime("2026-11-21T09:00:00Z"), outcome: .sent))
            #expect(try mine.hasFinalOutcome(eventID: "e2", since: dayStart))
            #expect(try mine.hasFinalOutcome(eventID: "e3", since: dayStart))
            #expect(try !mine.hasFinalOutcome(eventID: "e1", since: auditTime("2026-11-21T00:00:00Z")))
        }
    }

    @Test("torn lines are skipped, and a line completed later is read")
    func tornLinesAreSkipped() throws {
        try withTemporaryAuditRoot { root in
            let other = JSONLAuditLog(root: root, writerID: "other")
            try other.append(auditEntry("e1", at: noon, outcome: .sent))
            let file = root.appendingPathComponent("2026-11-20/other.jsonl")
            let complete = try Data(contentsOf: file)
            try complete.prefix(complete.count - 30).write(to: file)

            let mine = JSONLAuditLog(root: root, writerID: "mine")
            #expect(try !mine.hasFinalOutcome(eventID: "e1", since: dayStart))
            try complete.write(to: file)
            #expect(try mine.hasFinalOutcome(eventID: "e1", since: dayStart))
        }
    }

    @Test("an empty or missing root has no outcomes")
    func missingRoot() throws {
        let log = JSONLAuditLog(root: URL(fileURLWithPath: "/nonexistent/tidings-audit"), writerID: "w")
        #expect(try !log.hasFinalOutcome(eventID: "e1", since: dayStart))
    }
}
