import Foundation

/// Removes one customer's personal data (`tidings privacy erase`) and records it, like
/// `OneClickUnsubscribe` an action that writes its own audit records (so it lives in Pipeline/):
/// their review items, outbox messages (scheduled, sent, cancelled, claimed), dead letters, and the
/// content of their events that no other event's record refers to. The audit records stay as they
/// are (a sealed chain cannot be edited, and they hold ids, hashes and counts, not contact data);
/// the content they reference by hash goes, and an `erase` record listing what went keeps
/// `tidings audit verify` passing. Suppression entries stay: they are what keeps the customer
/// unsubscribed, and hold an id and an address hash only (docs/decisions/privacy.md).
package struct PrivacyErasure: Sendable {
    /// The fact of the `erase` record that lists the content addresses removed; the verifier reads
    /// it (`AuditVerifier.erasedContent`).
    package static let erasedContentFact = "erased_content"
    /// The `function` the erasure's records carry.
    package static let function = "privacy"

    /// What an erasure removed and kept.
    package struct Counts: Sendable, Hashable {
        /// Review items removed (each a `.json` and its `.eml`).
        package var reviewItems = 0
        /// Outbox messages removed, in any state.
        package var outboxMessages = 0
        /// Dead letters removed (each with its `.error` note).
        package var deadLetters = 0
        /// Content files removed.
        package var contentItems = 0
        /// Content files kept because another event's record refers to the same bytes.
        package var contentShared = 0
        /// Suppression entries kept.
        package var suppressionKept = 0
        /// Audit records of the customer kept (ids, hashes and counts).
        package var auditRecords = 0

        /// The counts as the audit's facts.
        package var facts: [String: JSONValue] {
            [
                "review_items": .int(reviewItems), "outbox_messages": .int(outboxMessages),
                "dead_letters": .int(deadLetters), "content_items": .int(contentItems),
                "content_shared": .int(contentShared), "suppression_kept": .int(suppressionKept),
                "audit_records_kept": .int(auditRecords),
            ]
        }
    }

    /// Where the erasure is recorded.
    package let audit: any AuditLog
    /// The data folders.
    package let folders: PrivacyFolders
    /// When the erasure happens.
    package let clock: any TimeSource

    /// An erasure over `folders`, recorded in `audit`.
    package init(audit: any AuditLog, folders: PrivacyFolders, clock: any TimeSource) {
        self.audit = audit
        self.folders = folders
        self.clock = clock
    }

    /// Erases what `data` found. The `erase` record (customer id, counts, the content addresses
    /// to remove) is written first, so a crash midway leaves a record of the intent and files a
    /// second run removes; then the files go; then the terminal record (outcome `suppressed`,
    /// reason `erased`). Returns the erasure's event id and counts. Throws `AuditError` (or the
    /// audit's error) when it cannot be recorded, and `PrivacyError` naming the file when a file
    /// cannot be removed (the terminal record then says `failed`).
    package func erase(_ data: CustomerData, correlationID: String) throws -> (eventID: String, counts: Counts) {
        let now = clock.now
        let eventID = "privacy:erase:\(correlationID)"
        let store = FolderContentStore(directory: folders.content)
        var removable: [String] = []
        var counts = Counts()
        for address in data.trail.contentAddresses {
            if data.trail.sharedContent.contains(address) {
                counts.contentShared += 1
            } else if (try? store.get(address)) != nil {
                removable.append(address)
            }
        }
        counts.reviewItems = data.reviewItems.count
        counts.outboxMessages = data.outboxMessages.count
        counts.deadLetters = data.deadLetters.count
        counts.contentItems = removable.count
        counts.suppressionKept = data.suppression.count
        counts.auditRecords = data.trail.records.count
        var facts = counts.facts
        facts["customer_id"] = .string(data.customerID)
        facts[Self.erasedContentFact] = .array(removable.map(JSONValue.string))
        try audit.append(
            AuditEntry(
                time: now, eventID: eventID, correlationID: correlationID, function: Self.function, stage: "erase",
                facts: facts))

        var failure: PrivacyError?
        let files =
            (data.reviewItems + data.outboxMessages + data.deadLetters).flatMap { [$0.file] + $0.companions }
            + removable.map { folders.content.appendingPathComponent($0) }
        for file in files {
            do {
                try FileManager.default.removeItem(at: file)
            } catch CocoaError.fileNoSuchFile {
                continue  // gone meanwhile (a dispatcher sent and moved it, a second erasure)
            } catch {
                failure = failure ?? PrivacyError(path: file.path, reason: PlainMessage.of(error))
            }
        }
        let outcomeFacts: [String: JSONValue] = [
            "customer_id": .string(data.customerID),
            "reason": .string(failure.map { "erase_incomplete: \($0)" } ?? "erased: personal data removed on request"),
        ]
        try audit.append(
            AuditEntry(
                time: now, eventID: eventID, correlationID: correlationID, function: Self.function, stage: "outcome",
                outcome: failure == nil ? .suppressed : .failed, facts: outcomeFacts))
        if let failure { throw failure }
        return (eventID, counts)
    }
}

/// A file an erasure could not remove.
package struct PrivacyError: Error, Sendable, CustomStringConvertible {
    /// The file.
    package var path: String
    /// Why.
    package var reason: String

    /// "cannot remove <path>: <reason>".
    package var description: String { "cannot remove \(path): \(reason)" }
}
