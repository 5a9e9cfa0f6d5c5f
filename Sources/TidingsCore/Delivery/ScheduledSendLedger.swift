import Crypto
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A message an ESP holds until its send time, as the ledger keeps it: the ESP's id for it (a
/// Mandrill message `_id`, a Braze `schedule_id`) and when it is to go.
package struct ScheduledSend: Sendable, Hashable {
    /// The service that holds it ("mandrill", "braze").
    package var service: String
    /// The service's id for the scheduled message, the one its cancel call takes.
    package var reference: String
    /// When the service will send it.
    package var sendAt: Date

    /// Creates an entry from the service's name, its id for the message and the send time.
    package init(service: String, reference: String, sendAt: Date) {
        self.service = service
        self.reference = reference
        self.sendAt = sendAt
    }
}

/// Which scheduled messages of a series an ESP holds. Mandrill and Braze cannot list scheduled
/// messages by series (Mandrill's list has no metadata, Braze has no list), so a service that
/// schedules records each hand-over here and reads the series back to cancel it. The JSONL file
/// under the data folder is the default; the state store of issue 13 can take its place.
package protocol ScheduledSendLedger: Sendable {
    /// Records that `send` of `series` was handed over. Throws `DeliveryError` when it cannot.
    func record(_ send: ScheduledSend, series: String) throws
    /// The series' recorded sends that were not marked cancelled, in the order recorded, each once.
    /// Throws `DeliveryError` when the ledger cannot be read.
    func pending(series: String) throws -> [ScheduledSend]
    /// Marks a send of the series as stopped, so a later cancellation does not ask again.
    func markCancelled(reference: String, series: String) throws
}

/// The ledger as one append-only JSONL file per series: `<directory>/<hash of the key>.jsonl`,
/// lines `{"op":"scheduled","reference":...,"send_at":...,"service":...}` and
/// `{"op":"cancelled","reference":...}`. A line is far below PIPE_BUF, so each O_APPEND write
/// lands whole even with concurrent writers (two handlers of one order); a line that cannot be read
/// (a torn last line after a crash) is skipped, and the next append starts on a line of its own.
package struct JSONLScheduledSendLedger: ScheduledSendLedger {
    /// The folder of the series files (`<data>/scheduled-sends`).
    package let directory: URL

    /// A ledger in `directory`, created on the first record.
    package init(directory: URL) {
        self.directory = directory
    }

    /// The series' file: the key's SHA-256 (first 16 bytes, hex), so any key makes a safe name.
    package func file(series: String) -> URL {
        directory.appendingPathComponent(Hex.encode(SHA256.hash(data: Array(series.utf8)).prefix(16)) + ".jsonl")
    }

    package func record(_ send: ScheduledSend, series: String) throws {
        try append(
            [
                "op": "scheduled", "service": .string(send.service), "reference": .string(send.reference),
                "send_at": .string(Timestamp.format(send.sendAt)),
            ], series: series)
    }

    package func markCancelled(reference: String, series: String) throws {
        try append(["op": "cancelled", "reference": .string(reference)], series: series)
    }

    package func pending(series: String) throws -> [ScheduledSend] {
        let data: Data
        do {
            data = try Data(contentsOf: file(series: series))
        } catch CocoaError.fileReadNoSuchFile {
            return []
        } catch {
            throw DeliveryError(
                service: "ledger", reason: "cannot read \(file(series: series).lastPathComponent): \(error)",
                isRetryable: true)
        }
        var sends: [ScheduledSend] = []
        var cancelled: Set<String> = []
        for line in data.split(separator: UInt8(ascii: "\n")) {
            guard let members = (try? JSONParser.parse(Array(line)))?.objectValue,
                let reference = members["reference"]?.stringValue
            else { continue }
            switch members["op"]?.stringValue {
            case "scheduled":
                guard let service = members["service"]?.stringValue,
                    let sendAt = members["send_at"]?.stringValue.flatMap(Timestamp.parse),
                    !sends.contains(where: { $0.reference == reference })
                else { continue }
                sends.append(ScheduledSend(service: service, reference: reference, sendAt: sendAt))
            case "cancelled": cancelled.insert(reference)
            default: continue
            }
        }
        return sends.filter { !cancelled.contains($0.reference) }
    }

    /// Appends one JSON line to the series' file. Throws a retryable `DeliveryError`.
    func append(_ line: [String: JSONValue], series: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a JSONValue of strings cannot fail.
        var bytes = Array((try? encoder.encode(JSONValue.object(line))) ?? Data()) + [UInt8(ascii: "\n")]
        let path = file(series: series).path
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw DeliveryError(
                service: "ledger", reason: "cannot create \(directory.path): \(error)", isRetryable: true)
        }
        let descriptor = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw DeliveryError(service: "ledger", reason: "cannot open \(path)", isRetryable: true)
        }
        defer { close(descriptor) }
        // A torn last line (a crash mid-write) would swallow this one: start on a fresh line.
        var last: UInt8 = UInt8(ascii: "\n")
        let size = lseek(descriptor, 0, SEEK_END)
        if size > 0 { _ = pread(descriptor, &last, 1, size - 1) }
        if last != UInt8(ascii: "\n") { bytes.insert(UInt8(ascii: "\n"), at: 0) }
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count else {
            throw DeliveryError(service: "ledger", reason: "cannot append to \(path)", isRetryable: true)
        }
    }
}
