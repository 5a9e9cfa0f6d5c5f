import Foundation

/// A review queue whose items a person can read and decide: what `ReviewDesk` (the CLI's
/// `tidings review` and the dashboard) works on. An item is named by its review id, the file name
/// of its JSON without `.json` (`ReviewSummary.id`).
package protocol ReviewStore: ReviewQueue {
    /// Where the queue is, for messages (a folder's path).
    var location: String { get }
    /// The items waiting, by send time then event id.
    func pending() throws -> [ReviewSummary]
    /// The item named `id` while it waits; nil when there is none (decided, withdrawn, unknown).
    func load(id: String) throws -> ReviewRecord?
    /// Takes the item out of the waiting list for one decision, so two reviewers deciding at once
    /// never both carry it out; returns it, or nil when it is not waiting (any more).
    func claim(id: String) throws -> ReviewRecord?
    /// Puts a claimed item back as `record`, with `email` as its rendered email when given.
    func release(id: String, record: ReviewRecord, email: RenderedEmail?) throws
    /// Ends a claimed item: it leaves the queue for `decided/`, with its decision.
    func close(id: String, record: ReviewRecord, decision: ReviewClosing) throws
}

/// How a review item left the queue, kept beside it in `decided/`.
package struct ReviewClosing: Sendable, Codable, Hashable {
    /// What was decided.
    package enum Kind: String, Sendable, Codable {
        case approved, rejected, expired
        /// Approved, but the customer had unsubscribed (or bounced, or complained) meanwhile.
        case suppressed
    }

    /// What was decided.
    package var kind: Kind
    /// The reviewer; nil for an expiry.
    package var reviewer: String?
    /// When.
    package var at: Date
    /// The reviewer's reason for a rejection, or the expiry's.
    package var reason: String?
    /// Where an approved email went (the service's reference).
    package var reference: String?

    /// Creates a closing from its parts.
    package init(kind: Kind, reviewer: String?, at: Date, reason: String? = nil, reference: String? = nil) {
        self.kind = kind
        self.reviewer = reviewer
        self.at = at
        self.reason = reason
        self.reference = reference
    }
}

extension ReviewSummary {
    /// The review id: the item's file name without `.json`.
    package var id: String { URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent }
}

extension FolderReviewQueue: ReviewStore {
    /// The folder's path.
    package var location: String { directory.path }

    /// The item named `id`, or nil. Throws `ReviewQueueError` for an id that cannot name an item
    /// (a path, a hidden name) or a file that cannot be read.
    package func load(id: String) throws -> ReviewRecord? {
        try read(directory.appendingPathComponent(try Self.checked(id) + ".json"))
    }

    /// Renames `<id>.json` to the hidden `.<id>.json.deciding` (one `rename(2)`: of two claims at
    /// once exactly one succeeds) and returns the item; nil when it was not there.
    package func claim(id: String) throws -> ReviewRecord? {
        let name = try Self.checked(id)
        let source = directory.appendingPathComponent(name + ".json").path
        let claimed = claimURL(name)
        guard rename(source, claimed.path) == 0 else {
            if errno == ENOENT { return nil }
            throw ReviewQueueError(path: source, reason: "cannot claim the item: \(String(cString: strerror(errno)))")
        }
        do {
            return try read(claimed)
        } catch {
            _ = rename(claimed.path, source)
            throw error
        }
    }

    /// Writes the `.eml` (when given) and the record, then drops the claim.
    package func release(id: String, record: ReviewRecord, email: RenderedEmail?) throws {
        let name = try Self.checked(id)
        do {
            if let email {
                _ = try AtomicFile.write(
                    email.rawMessage ?? MIMEMessage.serialize(email), directory: directory, name: record.emailFile,
                    sync: true)
            }
            _ = try AtomicFile.write(
                try Self.encoder().encode(record), directory: directory, name: name + ".json", sync: true)
        } catch let error as FileWriteError {
            throw ReviewQueueError(path: directory.path, reason: error.description)
        }
        unlink(claimURL(name).path)
    }

    /// Writes the record with its decision to `decided/<id>.json`, moves the `.eml` beside it, and
    /// drops the claim.
    package func close(id: String, record: ReviewRecord, decision: ReviewClosing) throws {
        let name = try Self.checked(id)
        let decided = directory.appendingPathComponent("decided")
        struct Decided: Encodable {
            var item: ReviewRecord
            var decision: ReviewClosing
        }
        do {
            _ = try AtomicFile.write(
                try Self.encoder().encode(Decided(item: record, decision: decision)), directory: decided,
                name: name + ".json", sync: true)
        } catch let error as FileWriteError {
            throw ReviewQueueError(path: decided.path, reason: error.description)
        }
        let email = directory.appendingPathComponent(record.emailFile).path
        if rename(email, decided.appendingPathComponent(record.emailFile).path) != 0, errno != ENOENT {
            throw ReviewQueueError(path: email, reason: "cannot move to decided/: \(String(cString: strerror(errno)))")
        }
        unlink(claimURL(name).path)
    }

    private func claimURL(_ name: String) -> URL { directory.appendingPathComponent("." + name + ".json.deciding") }

    private func read(_ url: URL) throws -> ReviewRecord? {
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        do {
            return try Self.decoder().decode(ReviewRecord.self, from: data)
        } catch {
            throw ReviewQueueError(path: url.path, reason: "not a readable review item: \(PlainMessage.of(error))")
        }
    }

    /// A review id names a file in the folder and nothing else: the safe characters of
    /// `fileBase`, not hidden.
    package static func checked(_ id: String) throws -> String {
        guard !id.isEmpty, id.count <= 200, !id.hasPrefix("."),
            id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) })
        else {
            throw ReviewQueueError(path: id, reason: "not a review id (see `tidings review list`)")
        }
        return id
    }
}
