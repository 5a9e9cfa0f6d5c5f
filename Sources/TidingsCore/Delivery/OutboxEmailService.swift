import Crypto
import Foundation

/// The embedded default `EmailService`: writes each email as an RFC 5322 `.eml` file into a folder
/// (`<data>/outbox/`) instead of sending it. Open the files in any mail client to see what would go out.
///
/// File names are `<sendAt as yyyyMMdd'T'HHmmss'Z'>-<flow>-<first 12 hex digits of the Message-ID>.eml`,
/// so a listing sorts by send time. Files are written atomically (temporary file, then rename), and the
/// name depends only on what the Message-ID depends on, so a replayed event replaces its file rather
/// than adding a second one.
///
/// It is a scheduled outbox: a file whose X-Tidings-Send-At has not come is "not sent yet". Messages
/// of a series (X-Tidings-Series, an order's post-purchase series) are also listed in
/// `.series/<hash>.list`, so `cancelScheduled` stops the unsent ones by moving them to `cancelled/`
/// without reading the rest of the outbox.
package struct OutboxEmailService: EmailService {
    /// The folder the `.eml` files go to; created on first delivery when missing.
    package let directory: URL
    /// Whether each file is fsynced before it is renamed into place (durable across a crash, slower).
    package let syncsToDisk: Bool

    /// An outbox in `directory`. `syncsToDisk` defaults to false: the outbox is a development and
    /// replay aid, and an fsync per email would dominate the pipeline's cost.
    package init(directory: URL, syncsToDisk: Bool = false) {
        self.directory = directory
        self.syncsToDisk = syncsToDisk
    }

    /// Writes the email; the receipt's reference is the file's path. Throws `DeliveryError` with
    /// service "outbox"; a full disk or another passing condition is marked retryable.
    package func deliver(_ email: RenderedEmail) async throws -> DeliveryReceipt {
        do {
            let name = Self.fileName(for: email)
            let url = try AtomicFile.write(
                MIMEMessage.serialize(email), directory: directory, name: name, sync: syncsToDisk)
            if let series = email.extraHeaders.first(where: { $0.name == "X-Tidings-Series" })?.value {
                try Self.appendToSeriesIndex(name, series: series, in: directory)
            }
            return DeliveryReceipt(service: "outbox", reference: url.path)
        } catch let error as FileWriteError {
            throw DeliveryError(service: "outbox", reason: error.description, isRetryable: error.isRetryable)
        }
    }

    /// Moves the series' files whose X-Tidings-Send-At is after `after` into `cancelled/`, where they
    /// stay for inspection; the outbox is a scheduled outbox, so a file whose send time has not come
    /// has not been sent. Returns the new paths. Reads only the series' own index (see `deliver`),
    /// never the whole outbox, so the cost does not grow with the outbox.
    package func cancelScheduled(series: String, after: Date) async throws -> [String] {
        // The mark first: a message the dispatcher claimed before the move below reaches it is
        // checked against the mark right before its send, so it is stopped too (OutboxDispatcher).
        try Self.markCancelled(series: series, after: after, in: directory)
        let index = Self.seriesIndex(series, in: directory)
        guard FileManager.default.fileExists(atPath: index.path) else { return [] }
        let names: [String]
        do {
            names = try String(contentsOf: index, encoding: .utf8).split(separator: "\n").map(String.init)
        } catch {
            throw DeliveryError(service: "outbox", reason: "cannot read \(index.path): \(error)", isRetryable: true)
        }
        let cancelledFolder = directory.appendingPathComponent("cancelled")
        var moved: [String] = []
        for name in Set(names).sorted() {
            let source = directory.appendingPathComponent(name)
            // The index names files by the rules of `fileName(for:)`; anything else is not ours to move.
            guard name == Self.safeFileName(name), let headers = Self.headers(of: source),
                headers["x-tidings-series"] == series,
                let sendAt = headers["x-tidings-send-at"].flatMap(Timestamp.parse), sendAt > after
            else { continue }
            do {
                try FileManager.default.createDirectory(at: cancelledFolder, withIntermediateDirectories: true)
                let target = cancelledFolder.appendingPathComponent(name)
                // rename(2) replaces a file already there in one step. Removing it first lost a
                // message when two cancellations of one series ran at once (the order race): the
                // second removed the file the first had just moved, then found no source to move.
                guard rename(source.path, target.path) == 0 else {
                    // Gone meanwhile: a dispatcher claimed it (and checks the mark) or it was sent.
                    if errno == ENOENT { continue }
                    throw FileWriteError(path: source.path, operation: "move to cancelled/", errno: errno)
                }
                moved.append(target.path)
            } catch {
                throw DeliveryError(service: "outbox", reason: "cannot cancel \(name): \(error)", isRetryable: true)
            }
        }
        return moved
    }

    /// The cancellation mark of a series: `.series/<hash of the key>.cancelled`, holding the
    /// earliest `after` any cancellation gave (ISO 8601). Messages of the series due after it must
    /// not go, wherever they are when it is read (the outbox, a dispatcher's claim).
    static func cancellationMark(_ series: String, in directory: URL) -> URL {
        seriesIndex(series, in: directory).deletingPathExtension().appendingPathExtension("cancelled")
    }

    /// Writes (or moves earlier) the series' cancellation mark. Throws a retryable `DeliveryError`.
    static func markCancelled(series: String, after: Date, in directory: URL) throws {
        let mark = cancellationMark(series, in: directory)
        let earliest = min(after, cancelledAfter(series: series, in: directory) ?? after)
        do {
            _ = try AtomicFile.write(
                Data(Timestamp.format(earliest).utf8), directory: mark.deletingLastPathComponent(),
                name: mark.lastPathComponent, sync: false)
        } catch {
            throw DeliveryError(service: "outbox", reason: error.description, isRetryable: error.isRetryable)
        }
    }

    /// When the series was cancelled (its messages due after this instant are stopped); nil when
    /// it was not, or the mark cannot be read.
    package static func cancelledAfter(series: String, in directory: URL) -> Date? {
        guard let data = try? Data(contentsOf: cancellationMark(series, in: directory)) else { return nil }
        return Timestamp.parse(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The file listing a series' outbox files, one name a line: `.series/<hash of the key>.list`.
    static func seriesIndex(_ series: String, in directory: URL) -> URL {
        let digest = Hex.encode(SHA256.hash(data: Array(series.utf8)).prefix(16))
        return directory.appendingPathComponent(".series/\(digest).list")
    }

    /// Appends a file name to its series' index. A line is far below PIPE_BUF, so an O_APPEND write
    /// lands whole even with concurrent writers; a name listed twice (a retry) is harmless.
    static func appendToSeriesIndex(_ name: String, series: String, in directory: URL) throws {
        let index = seriesIndex(series, in: directory)
        do {
            try FileManager.default.createDirectory(
                at: index.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw DeliveryError(
                service: "outbox", reason: "cannot create \(index.deletingLastPathComponent().path): \(error)",
                isRetryable: true)
        }
        let descriptor = open(index.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw DeliveryError(service: "outbox", reason: "cannot open \(index.path)", isRetryable: true)
        }
        defer { close(descriptor) }
        let line = Array((name + "\n").utf8)
        let written = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == line.count else {
            throw DeliveryError(service: "outbox", reason: "cannot append to \(index.path)", isRetryable: true)
        }
    }

    static func safeFileName(_ name: String) -> String {
        String(name.filter { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) })
    }

    /// The header section of an .eml file, names lower-cased; nil when it cannot be read.
    package static func headers(of file: URL) -> [String: String]? {
        guard let handle = try? FileHandle(forReadingFrom: file) else { return nil }
        defer { try? handle.close() }
        // The Tidings headers sit in the first few kilobytes; the body is never needed.
        guard let data = try? handle.read(upToCount: 16 * 1024) else { return nil }
        // Split on bytes: String's search treats "\r\n" as one grapheme and made this the
        // dispatcher's largest cost per message (docs/BENCHMARKS.md, "The outbox dispatcher").
        let bytes = [UInt8](data)
        var lines: [String] = []
        var start = 0
        var index = 0
        while index + 1 < bytes.count {
            guard bytes[index] == 13, bytes[index + 1] == 10 else {
                index += 1
                continue
            }
            if index == start { break }  // the empty line: the header section ends
            lines.append(String(decoding: bytes[start..<index], as: UTF8.self))
            index += 2
            start = index
        }
        if index + 1 >= bytes.count, start < bytes.count {
            lines.append(String(decoding: bytes[start...], as: UTF8.self))
        }
        var headers: [String: String] = [:]
        var last: String?
        for line in lines {
            if line.hasPrefix(" ") || line.hasPrefix("\t") {
                // A folded line continues the header before it (RFC 5322 2.2.3).
                if let last { headers[last, default: ""] += " " + line.trimmingCharacters(in: .whitespaces) }
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            last = name
        }
        return headers
    }

    /// The file name an email is stored under (see the type's documentation).
    package static func fileName(for email: RenderedEmail) -> String {
        let flow =
            email.extraHeaders.first { $0.name == "X-Tidings-Flow" }.map { safeName($0.value) } ?? "email"
        return
            "\(Timestamp.compact(email.sendAt))-\(flow.isEmpty ? "email" : flow)-\(shortID(email.messageID)).eml"
    }

    /// The first 12 letters and digits of the Message-ID's local part (its hash prefix for our ids).
    static func shortID(_ messageID: String) -> String {
        let local = messageID.split(separator: "@").first.map(String.init) ?? messageID
        let kept = String(local.filter { $0.isASCII && ($0.isLetter || $0.isNumber) }.prefix(12))
        return kept.isEmpty ? "message" : kept
    }

    /// Keeps ASCII letters, digits, "-" and "_", so a value can never reach outside the folder.
    static func safeName(_ value: String) -> String {
        String(
            value.filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }.prefix(40))
    }
}
