import Crypto
import Foundation

/// The embedded default `ReviewQueue`: one JSON file per event in a folder (`<data>/review/`), next
/// to the rendered email as an `.eml` file, for the `tidings review` command to list and act on.
///
/// For event id E the files are `<safe E>.json` and `<safe E>.eml`, where the safe name keeps
/// letters, digits, ".", "-" and "_" and, when anything had to change, adds a hash of E so that two
/// ids never share a file. A message of a series adds its step (`<safe E>.<step>`), since one event
/// may queue several. Both files are written atomically, the `.eml` first: a reader that finds the
/// JSON also finds its email. Queueing the same event again replaces its item. `withdraw` moves a
/// series' items to `withdrawn/`.
package struct FolderReviewQueue: ReviewQueue {
    /// The folder the items go to; created on first use when missing.
    package let directory: URL

    /// A review queue in `directory`.
    package init(directory: URL) {
        self.directory = directory
    }

    /// Stores the item and its rendered email; returns the JSON file's path. Throws `DeliveryError`
    /// with service "review"; a full disk or another passing condition is marked retryable.
    package func enqueue(_ item: ReviewItem) async throws -> String {
        let base = Self.fileBase(eventID: item.eventID) + (item.step.map { "." + Self.fileBase(eventID: $0) } ?? "")
        let record = ReviewRecord(
            eventID: item.eventID, flow: item.flow, reasons: item.reasons, score: item.score,
            draft: item.draft,
            subject: item.email.subject, to: item.email.to.address, sendAt: item.email.sendAt,
            renderedAt: item.email.date, messageID: item.email.messageID, emailFile: base + ".eml",
            step: item.step, series: item.seriesKey, context: item.context)
        let json: Data
        do {
            json = try Self.encoder().encode(record)
        } catch {
            throw DeliveryError(
                service: "review", reason: "cannot encode item \(item.eventID): \(error)", isRetryable: false)
        }
        do {
            _ = try AtomicFile.write(
                MIMEMessage.serialize(item.email), directory: directory, name: base + ".eml", sync: false)
            return try AtomicFile.write(json, directory: directory, name: base + ".json", sync: false).path
        } catch {
            throw DeliveryError(service: "review", reason: error.description, isRetryable: error.isRetryable)
        }
    }

    /// Moves the series' items (their JSON and `.eml`) to `withdrawn/`; returns the new JSON paths.
    package func withdraw(series: String) async throws -> [String] {
        guard FileManager.default.fileExists(atPath: directory.path) else { return [] }
        let withdrawn = directory.appendingPathComponent("withdrawn")
        var moved: [String] = []
        do {
            let decoder = Self.decoder()
            for name in try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
            where name.hasSuffix(".json") && !name.hasPrefix(".") {
                let url = directory.appendingPathComponent(name)
                // An item that cannot be read is not this series'; `pending` reports it.
                guard let record = try? decoder.decode(ReviewRecord.self, from: Data(contentsOf: url)),
                    record.series == series
                else { continue }
                try FileManager.default.createDirectory(at: withdrawn, withIntermediateDirectories: true)
                // rename(2) replaces a file already there in one step; a source gone meanwhile was
                // moved by another withdrawal of the same series running at once (the order race).
                var gone = false
                for file in [record.emailFile, name] {
                    let source = directory.appendingPathComponent(file).path
                    if rename(source, withdrawn.appendingPathComponent(file).path) != 0 {
                        guard errno == ENOENT else {
                            throw FileWriteError(path: source, operation: "move to withdrawn/", errno: errno)
                        }
                        gone = true
                    }
                }
                if !gone { moved.append(withdrawn.appendingPathComponent(name).path) }
            }
        } catch {
            throw DeliveryError(service: "review", reason: "cannot withdraw series items: \(error)", isRetryable: true)
        }
        return moved
    }

    /// The items waiting in the folder, by send time then event id. An empty list when the folder does
    /// not exist yet. Throws `ReviewQueueError` naming the file when the folder or an item cannot be read.
    package func pending() throws -> [ReviewSummary] {
        guard FileManager.default.fileExists(atPath: directory.path) else { return [] }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw ReviewQueueError(path: directory.path, reason: "cannot list the folder: \(PlainMessage.of(error))")
        }
        let decoder = Self.decoder()
        var summaries: [ReviewSummary] = []
        // Hidden files are the atomic writer's temporaries, never finished items.
        for name in names where name.hasSuffix(".json") && !name.hasPrefix(".") {
            let url = directory.appendingPathComponent(name)
            let record: ReviewRecord
            do {
                record = try decoder.decode(ReviewRecord.self, from: Data(contentsOf: url))
            } catch {
                throw ReviewQueueError(path: url.path, reason: "not a readable review item: \(PlainMessage.of(error))")
            }
            summaries.append(
                ReviewSummary(
                    eventID: record.eventID, flow: record.flow, reasons: record.reasons, score: record.score,
                    subject: record.subject, to: record.to, sendAt: record.sendAt, path: url.path,
                    emailPath: directory.appendingPathComponent(record.emailFile).path))
        }
        return summaries.sorted { ($0.sendAt, $0.eventID) < ($1.sendAt, $1.eventID) }
    }

    /// The file name, without extension, for an event id (see the type's documentation).
    package static func fileBase(eventID: String) -> String {
        var safe = String(
            eventID.map { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) ? $0 : "_" }
                .prefix(80))
        while safe.hasPrefix(".") { safe.removeFirst() }  // no hidden files, no "..".
        if safe == eventID && !safe.isEmpty { return safe }
        let digest = SHA256.hash(data: Data(eventID.utf8))
        let suffix = Hex.encode(digest.prefix(4))
        return (safe.isEmpty ? "event" : safe) + "-" + suffix
    }

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

/// One item in the review folder, as `FolderReviewQueue.pending()` lists it.
package struct ReviewSummary: Sendable, Hashable {
    /// The event the draft was written for.
    package var eventID: String
    /// The flow that wrote it.
    package var flow: FlowKind
    /// The review rules that matched.
    package var reasons: [String]
    /// The validator's score, 0 to 100.
    package var score: Int
    /// The chosen subject line.
    package var subject: String
    /// The recipient's address.
    package var to: String
    /// When the email would have been sent.
    package var sendAt: Date
    /// The item's JSON file.
    package var path: String
    /// The rendered email's `.eml` file, beside the JSON.
    package var emailPath: String

    /// Creates a summary from its parts.
    package init(
        eventID: String, flow: FlowKind, reasons: [String], score: Int, subject: String, to: String,
        sendAt: Date,
        path: String, emailPath: String
    ) {
        self.eventID = eventID
        self.flow = flow
        self.reasons = reasons
        self.score = score
        self.subject = subject
        self.to = to
        self.sendAt = sendAt
        self.path = path
        self.emailPath = emailPath
    }
}

/// The review folder or one of its items could not be read.
package struct ReviewQueueError: Error, Sendable, CustomStringConvertible {
    /// The folder or file concerned.
    package var path: String
    /// What went wrong: the listing or decoding error.
    package var reason: String

    /// Creates an error for a path and its reason.
    package init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    /// "review queue: PATH: REASON", for logs and the CLI.
    package var description: String { "review queue: \(path): \(reason)" }
}

/// The JSON layout of a review item file. Field names are snake_case like every other file we write.
package struct ReviewRecord: Codable, Sendable, Hashable {
    /// The event the draft was written for.
    package var eventID: String
    /// The flow that wrote it.
    package var flow: FlowKind
    /// Why it waits for a person.
    package var reasons: [String]
    /// The validator's score, 0 to 100.
    package var score: Int
    /// The draft as it stands (edited, once a reviewer edited it).
    package var draft: Draft
    /// The subject line of the rendered email.
    package var subject: String
    /// The recipient's address.
    package var to: String
    /// When the email is due.
    package var sendAt: Date
    /// When the email was rendered: when the item was queued, or last edited.
    package var renderedAt: Date
    /// The rendered email's Message-ID.
    package var messageID: String
    /// The `.eml` file's name, relative to the JSON file's folder.
    package var emailFile: String
    /// The message's step in its series; nil for a single message.
    package var step: String?
    /// The series key; nil for a single message.
    package var series: String?
    /// What a decision needs to validate and render the draft again; nil for items queued before
    /// it was kept, which can be rejected but not approved or edited.
    package var context: ReviewContext?
    /// When the item was escalated for waiting too long; nil while it was not.
    package var escalatedAt: Date?
    /// The reviewers who edited the draft, in order; none of them may approve it.
    package var editors: [String]?

    enum CodingKeys: String, CodingKey {
        case flow, reasons, score, draft, subject, to, step, series, context, editors
        case eventID = "event_id"
        case sendAt = "send_at"
        case renderedAt = "rendered_at"
        case messageID = "message_id"
        case emailFile = "email_file"
        case escalatedAt = "escalated_at"
    }

    /// When the item is late from: the message's send time (for a message due at once, when it
    /// was queued). Expiry and escalation count from here, so a series step planned for next week
    /// is not late before next week.
    package var lateFrom: Date { sendAt }
}
