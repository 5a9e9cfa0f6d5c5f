import Crypto
import Foundation
import Synchronization
import TidingsCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// One webhook delivery the receiver accepted and has not finished handling: what the worker
/// hands to the function's handler. Stored as one file: a line of JSON (what the delivery is)
/// then the body's exact bytes, so nothing is re-encoded.
package struct QueuedDelivery: Sendable, Equatable {
    /// The function it goes to.
    package var function: FlowKind
    /// The event id the decoder found; with `function`, its name in the queue.
    package var eventID: String
    /// When the receiver accepted it (wall clock); a delivery still failing retryably long after
    /// this is given up (`DeliveryQueue.giveUp`).
    package var receivedAt: Date
    /// The receipt's correlation id, which the handling's audit records carry too.
    package var correlationID: String
    /// The request's headers, names lower-cased, without the BigCommerce shared secret.
    package var headers: [String: String]
    /// The body exactly as it arrived.
    package var body: [UInt8]

    /// A delivery from its parts.
    package init(
        function: FlowKind, eventID: String, receivedAt: Date, correlationID: String, headers: [String: String],
        body: [UInt8]
    ) {
        self.function = function
        self.eventID = eventID
        self.receivedAt = receivedAt
        self.correlationID = correlationID
        self.headers = headers
        self.body = body
    }

    /// Its file name: `<function>.<32 hex of SHA-256 of the event id>.delivery`, the same for every
    /// delivery of one event to one function, so a second one finds the first.
    package var name: String { Self.name(function: function, eventID: eventID) }

    /// The file name of `eventID`'s delivery to `function`.
    package static func name(function: FlowKind, eventID: String) -> String {
        let digest = SHA256.hash(data: Array(eventID.utf8))
        return "\(function.rawValue).\(Hex.encode(digest.prefix(16))).\(fileExtension)"
    }

    static let fileExtension = "delivery"

    /// The first line of the file.
    struct Header: Codable {
        var v: Int
        var function: String
        var eventID: String
        var receivedAt: String
        var correlationID: String
        var headers: [String: String]
        var bodyBytes: Int

        enum CodingKeys: String, CodingKey {
            case v, function, headers
            case eventID = "event_id"
            case receivedAt = "received_at"
            case correlationID = "correlation_id"
            case bodyBytes = "body_bytes"
        }
    }

    /// The file's bytes: the header line, a newline, the body.
    func encoded() -> Data {
        let header = Header(
            v: 1, function: function.rawValue, eventID: eventID, receivedAt: Timestamp.format(receivedAt),
            correlationID: correlationID, headers: headers, bodyBytes: body.count)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // JSON escapes every control character inside strings, so the line holds no newline.
        var data = (try? encoder.encode(header)) ?? Data()
        data.append(0x0A)
        data.append(contentsOf: body)
        return data
    }

    /// Reads a file's bytes; throws `QueueError.unreadable` naming what is wrong.
    static func decode(_ data: Data, name: String) throws(QueueError) -> QueuedDelivery {
        let bytes = [UInt8](data)
        guard let newline = bytes.firstIndex(of: 0x0A) else {
            throw QueueError(.unreadable, name: name, reason: "no header line")
        }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(bytes[..<newline]))
        } catch {
            throw QueueError(.unreadable, name: name, reason: "header line: \(error)")
        }
        let body = Array(bytes[(newline + 1)...])
        guard header.v == 1, let function = FlowKind(rawValue: header.function),
            let receivedAt = Timestamp.parse(header.receivedAt)
        else {
            throw QueueError(.unreadable, name: name, reason: "unknown version, function or time in the header line")
        }
        guard body.count == header.bodyBytes else {
            throw QueueError(
                .unreadable, name: name, reason: "body is \(body.count) bytes, the header says \(header.bodyBytes)")
        }
        return QueuedDelivery(
            function: function, eventID: header.eventID, receivedAt: receivedAt, correlationID: header.correlationID,
            headers: header.headers, body: body)
    }
}

/// What went wrong with the queue, as a code a caller decides by.
package struct QueueError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure.
    package enum Code: String, Sendable {
        /// The delivery could not be written durably (disk full, permissions): not accepted.
        case unwritable
        /// A queued file cannot be read back or makes no sense.
        case unreadable
    }

    /// What kind of failure.
    package var code: Code
    /// The queue file concerned.
    package var name: String
    /// What happened, for the log.
    package var reason: String

    init(_ code: Code, name: String, reason: String) {
        self.code = code
        self.name = name
        self.reason = reason
    }

    package var description: String { "\(code.rawValue) \(name): \(reason)" }
}

/// The receiver's durable local queue (docs/decisions/serve-receiver.md), a folder under the data
/// folder:
///
/// - `pending/<name>`: accepted deliveries not yet finished. `accept` writes one durably (temporary
///   file, fsync, `link(2)` under its name, fsync of the folder) before the sender is answered; the
///   name is the event's, so a second delivery of it finds the first.
/// - `failed/<name>` and `<name>.reason`: deliveries given up after retrying for `giveUpAfter`.
///
/// The worker takes names with `take`, and after the handler's terminal outcome removes the file
/// (`finish`) or leaves it with a later try time (`retryLater`). Which names are known, running or
/// waiting lives in memory; the files are the truth, read again by `load` at start.
package final class DeliveryQueue: Sendable {
    /// `<data>/receiver`.
    package let root: URL
    /// `<root>/pending`.
    package var pendingFolder: URL { root.appendingPathComponent("pending") }
    /// `<root>/failed`.
    package var failedFolder: URL { root.appendingPathComponent("failed") }

    struct Entry {
        var receivedAt: Date
        var notBefore: Date
        var attempts = 0
        var running = false
    }

    struct State {
        var entries: [String: Entry] = [:]
    }

    private let state = Mutex(State())
    private let wakes: AsyncStream<Void>
    private let wakeContinuation: AsyncStream<Void>.Continuation

    /// A queue in `root` (created on first use).
    package init(root: URL) {
        self.root = root
        (wakes, wakeContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// The queue of the data folder `dataDirectory`: `<data>/receiver`.
    package convenience init(dataDirectory: URL) {
        self.init(root: dataDirectory.appendingPathComponent("receiver"))
    }

    /// What `accept` did.
    package enum Acceptance: Sendable, Equatable {
        /// Written durably; the worker will hand it over.
        case queued
        /// A delivery of the same event to the same function is already queued (not yet finished);
        /// nothing was written. `correlationID` is the first one's, when its file could be read.
        case alreadyQueued(correlationID: String?)
    }

    /// Writes `delivery` durably under its name unless that name is taken. When this returns
    /// `.queued`, the delivery is on disk and survives a crash. Blocking I/O (two fsyncs).
    /// Throws `QueueError.unwritable` when the file cannot be written.
    package func accept(_ delivery: QueuedDelivery) throws(QueueError) -> Acceptance {
        let name = delivery.name
        do throws(FileWriteError) {
            _ = try AtomicFile.create(delivery.encoded(), directory: pendingFolder, name: name)
        } catch  where error.errno == EEXIST {
            let first = try? read(name)
            return .alreadyQueued(correlationID: first?.correlationID)
        } catch {
            throw QueueError(.unwritable, name: name, reason: error.description)
        }
        state.withLock { state in
            state.entries[name] = Entry(receivedAt: delivery.receivedAt, notBefore: .distantPast)
        }
        wake()
        return .queued
    }

    /// Reads the pending files at start: every delivery accepted before a stop or a crash is
    /// handed over again. Temporary files a crash left (never acknowledged) are removed; a file that
    /// cannot be read is moved to `failed/` with its reason. Returns how many are pending.
    @discardableResult
    package func load() -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: pendingFolder.path)) ?? []
        var found: [String: Entry] = [:]
        for name in names {
            if name.hasPrefix(".") {
                unlink(pendingFolder.appendingPathComponent(name).path)
                continue
            }
            guard name.hasSuffix(".\(QueuedDelivery.fileExtension)") else { continue }
            do {
                let delivery = try read(name)
                found[name] = Entry(receivedAt: delivery.receivedAt, notBefore: .distantPast)
            } catch {
                giveUp(name, reason: error.description)
            }
        }
        let count = state.withLock { state in
            for (name, entry) in found where state.entries[name] == nil { state.entries[name] = entry }
            return state.entries.count
        }
        wake()
        return count
    }

    /// Reads the pending delivery `name`.
    package func read(_ name: String) throws(QueueError) -> QueuedDelivery {
        let data: Data
        do {
            data = try Data(contentsOf: pendingFolder.appendingPathComponent(name))
        } catch {
            throw QueueError(.unreadable, name: name, reason: "\(error)")
        }
        return try QueuedDelivery.decode(data, name: name)
    }

    /// The next delivery due (oldest first) when fewer than `limit` are running, marked running;
    /// nil when none is due or `limit` are running.
    package func take(limit: Int, now: Date) -> String? {
        state.withLock { state in
            guard state.entries.values.count(where: \.running) < limit else { return nil }
            let due = state.entries.filter { !$0.value.running && $0.value.notBefore <= now }
            guard let next = due.min(by: { ($0.value.receivedAt, $0.key) < ($1.value.receivedAt, $1.key) }) else {
                return nil
            }
            state.entries[next.key]?.running = true
            return next.key
        }
    }

    /// When the earliest waiting delivery is due again; nil when none waits.
    package func nextRetry() -> Date? {
        state.withLock { state in
            state.entries.values.filter { !$0.running && $0.notBefore > .distantPast }.map(\.notBefore).min()
        }
    }

    /// How many deliveries are pending (running or waiting).
    package var count: Int { state.withLock { $0.entries.count } }

    /// The delivery reached its terminal outcome: its file is removed. The removal is not fsynced:
    /// a crash that undoes it hands the delivery over once more, and the state store's claim ends
    /// that handling as a duplicate.
    package func finish(_ name: String) {
        unlink(pendingFolder.appendingPathComponent(name).path)
        state.withLock { _ = $0.entries.removeValue(forKey: name) }
        wake()
    }

    /// The handling should be tried again: the file stays, the delivery is due after `delay`.
    /// Returns how many times it has been tried.
    @discardableResult
    package func retryLater(_ name: String, after delay: TimeInterval, now: Date) -> Int {
        let attempts = state.withLock { state -> Int in
            state.entries[name]?.running = false
            state.entries[name]?.attempts += 1
            state.entries[name]?.notBefore = now.addingTimeInterval(delay)
            return state.entries[name]?.attempts ?? 0
        }
        wake()
        return attempts
    }

    /// How many times `name` was tried and left for later.
    package func attempts(_ name: String) -> Int { state.withLock { $0.entries[name]?.attempts ?? 0 } }

    /// Moves `name` to `failed/` with a `<name>.reason` file beside it: kept for a person, never
    /// retried by the worker.
    package func giveUp(_ name: String, reason: String) {
        try? FileManager.default.createDirectory(at: failedFolder, withIntermediateDirectories: true)
        _ = try? AtomicFile.create(Data((reason + "\n").utf8), directory: failedFolder, name: name + ".reason")
        rename(pendingFolder.appendingPathComponent(name).path, failedFolder.appendingPathComponent(name).path)
        state.withLock { _ = $0.entries.removeValue(forKey: name) }
        wake()
    }

    /// Signals the worker that something changed (a delivery accepted, one finished, one due).
    package func wake() { wakeContinuation.yield() }

    /// The signals `wake` sends, at most one buffered: the worker's loop.
    var signals: AsyncStream<Void> { wakes }
}
