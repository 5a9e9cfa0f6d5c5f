import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Sends the scheduled outbox's messages whose time has come through an `EmailService` that
/// cannot schedule (SES, SMTP): `tidings dispatch` and the `dispatch` function.
///
/// Each message is sent at most once per claim and, while claims are honoured, exactly once:
/// 1. *Claim*: `rename(2)` of `outbox/<name>` to `outbox/claimed/<name>~<owner>~<lease end>`. A
///    rename is atomic, so of two dispatchers only one finds the source; the other moves on.
/// 2. *Check again*: the series' cancellation mark (`OutboxEmailService.cancelledAfter`) is read
///    right before the send, so a cancellation that came after the claim still stops it
///    (`outbox/cancelled/`), and a claim whose lease is about to end is handed back unsent. A
///    marketing message (`X-Tidings-Category` not `transactional`) is checked against the
///    suppression list too, by the customer its unsubscribe link names and by its To address: one
///    suppressed after the step was planned goes to `outbox/suppressed/` with the entry's reason.
/// 3. *Send*, then move the claim to `outbox/sent/<name>` beside `<name>.receipt` (service and
///    reference). A retryable failure returns the file to the outbox for the next run; another
///    goes to `outbox/failed/<name>` beside `<name>.reason`.
/// 4. *Audit*: one terminal record per attempt (function `dispatch`, stage `outcome`, event id
///    `dispatch:<name>`), so `tidings audit verify` reports a message sent twice as a double send.
///
/// A dispatcher that dies holding a claim leaves it in `claimed/`; after its lease ends another
/// dispatcher takes it over by the same atomic rename. docs/decisions/dispatch.md has the limits.
package struct OutboxDispatcher: Sendable {
    /// The outbox folder (`<data>/outbox`).
    package let directory: URL
    /// The service that sends (SES, SMTP), never the scheduling wrapper.
    package let service: any EmailService
    /// The audit the dispatch records go to.
    package let audit: any AuditLog
    /// Tells the time: what is due, when a lease ends.
    package let clock: any TimeSource
    /// Names this dispatcher in its claims (letters, digits, "-" and "_"; others are dropped).
    package let owner: String
    /// Seconds a claim is held before another dispatcher may take it over (default 300). Must be
    /// well above the longest send (the transport's retries and timeouts).
    package let lease: TimeInterval
    /// Seconds before its lease ends that a claim is handed back rather than sent (default 60).
    package let margin: TimeInterval
    /// The list a marketing message is checked against right before its send; nil: not checked.
    package let suppression: (any SuppressionList)?

    /// A dispatcher over `directory` sending through `service`.
    package init(
        directory: URL, service: any EmailService, audit: any AuditLog, clock: any TimeSource, owner: String,
        lease: TimeInterval = 300, margin: TimeInterval = 60, suppression: (any SuppressionList)? = nil
    ) {
        self.suppression = suppression
        self.directory = directory
        self.service = service
        self.audit = audit
        self.clock = clock
        let kept = owner.filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        self.owner = kept.isEmpty ? "dispatcher" : String(kept.prefix(64))
        self.lease = lease
        self.margin = margin
    }

    /// A fresh owner name for this process: host, process id and a random suffix.
    package static func makeOwner() -> String {
        "\(ProcessInfo.processInfo.hostName.prefix(24))-\(getpid())-\(UUID().uuidString.prefix(8))"
    }

    /// Sends at most `limit` due messages (nil: all) and returns what happened to each message
    /// this dispatcher touched. `correlationID` ties the run's audit records together. With a
    /// `deadline` (a Lambda invocation's, by the wall clock), no message is claimed with less than
    /// `deadlineReserve` seconds left (default 10: one send with its retries).
    ///
    /// Up to `pacing.concurrency` messages are in flight at once (each claimed on its own, so the
    /// exactly-once argument is per message and unchanged), and with `pacing.ratePerSecond` no more
    /// claims start a second than the service accepts sends (SES's account sending rate): a run
    /// over a backlog takes about N / rate instead of N × the service's latency. Results are in
    /// send-time order. Throws `DispatchError` only when the outbox cannot be listed.
    package func run(
        limit: Int? = nil, deadline: Date? = nil, deadlineReserve: TimeInterval = 10,
        pacing: DispatchPacing = DispatchPacing(), correlationID: String
    ) async throws(DispatchError) -> DispatchSummary {
        let candidates = try dueCandidates()
        let bucket = pacing.ratePerSecond.map { TokenBucket(rate: $0, burst: 1, clock: SystemClock()) }
        let concurrency = max(1, pacing.concurrency)
        return await withTaskGroup(of: DispatchResult.self, returning: DispatchSummary.self) { group in
            var summary = DispatchSummary()
            // Claims tried and not lost to another dispatcher: what `limit` counts. A lost claim
            // frees its place, so a run under contention still tries up to `limit` messages.
            var tried = 0
            var inFlight = 0
            var next = candidates.makeIterator()
            func collect(_ result: DispatchResult) {
                summary.record(result)
                inFlight -= 1
                if result.state == .lost { tried -= 1 }
            }
            while true {
                if let limit, tried >= limit {
                    // Wait for a place: a lost claim may give one back.
                    guard inFlight > 0, let result = await group.next() else { break }
                    collect(result)
                    continue
                }
                // The deadline is Lambda's, by the wall clock; `clock` may be pinned (TIDINGS_NOW).
                if let deadline, deadline.timeIntervalSinceNow < deadlineReserve { break }
                if inFlight >= concurrency, let result = await group.next() {
                    collect(result)
                    continue
                }
                guard let candidate = next.next() else { break }
                if let bucket { try? await bucket.acquire() }
                tried += 1
                inFlight += 1
                group.addTask { await dispatch(candidate, correlationID: correlationID) }
            }
            for await result in group { collect(result) }
            // Reported in send-time order (file names start with it), whatever order they finished in.
            summary.results.sort { $0.name < $1.name }
            return summary
        }
    }

    // MARK: - Finding what is due

    /// A file to claim: in the outbox, or a claim of another dispatcher whose lease ended.
    struct Candidate {
        var name: String
        var source: URL
    }

    /// The due outbox files (by name, which starts with the send time) and the expired claims,
    /// in send-time order.
    func dueCandidates() throws(DispatchError) -> [Candidate] {
        let now = clock.now
        let dueBefore = Timestamp.compact(now)
        var candidates: [Candidate] = []
        for name in try listing(directory) where name.hasSuffix(".eml") && !name.hasPrefix(".") {
            // "yyyyMMddTHHmmssZ-..." sorts as text; a later name is not due yet.
            guard String(name.prefix(dueBefore.count)) <= dueBefore else { continue }
            candidates.append(Candidate(name: name, source: directory.appendingPathComponent(name)))
        }
        let claimed = directory.appendingPathComponent("claimed")
        if FileManager.default.fileExists(atPath: claimed.path) {
            for entry in try listing(claimed) {
                guard let claim = Claim(fileName: entry), claim.leaseEnd < now else { continue }
                candidates.append(Candidate(name: claim.name, source: claimed.appendingPathComponent(entry)))
            }
        }
        return candidates.sorted { $0.name < $1.name }
    }

    private func listing(_ folder: URL) throws(DispatchError) -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: folder.path)
        } catch {
            if !FileManager.default.fileExists(atPath: folder.path) { return [] }
            throw DispatchError(path: folder.path, reason: "cannot list: \(error)")
        }
    }

    // MARK: - One message

    /// Claims, checks, sends and files one message; never throws (every end is a result).
    func dispatch(_ candidate: Candidate, correlationID: String) async -> DispatchResult {
        let claimedFolder = directory.appendingPathComponent("claimed")
        let leaseEnd = clock.now.addingTimeInterval(lease)
        let claim = Claim(name: candidate.name, owner: owner, leaseEnd: leaseEnd)
        let claimURL = claimedFolder.appendingPathComponent(claim.fileName)
        try? FileManager.default.createDirectory(at: claimedFolder, withIntermediateDirectories: true)
        guard rename(candidate.source.path, claimURL.path) == 0 else {
            // Another dispatcher claimed it first (ENOENT), or a cancellation moved it away.
            return DispatchResult(name: candidate.name, state: .lost, reason: "claimed elsewhere (errno \(errno))")
        }
        var result = DispatchResult(name: candidate.name, state: .failed)
        guard let message = OutboxMessage.read(claimURL) else {
            result.reason = "not a readable outbox message"
            return finish(result, claim: claimURL, into: "failed", correlationID: correlationID)
        }
        result.eventID = message.eventID
        result.step = message.step
        let now = clock.now
        guard message.email.sendAt <= now else {
            // Named as due but dated later (a file copied in by hand): back to the outbox.
            result.state = .notDue
            return finish(result, claim: claimURL, into: nil, correlationID: correlationID)
        }
        if let series = message.series, let after = OutboxEmailService.cancelledAfter(series: series, in: directory),
            message.email.sendAt > after
        {
            result.state = .cancelled
            result.reason = "series cancelled at \(Timestamp.format(after))"
            return finish(result, claim: claimURL, into: "cancelled", correlationID: correlationID)
        }
        if let suppression, !message.isTransactional {
            do {
                if let entry = try await suppression.entry(
                    customerID: message.customerID, address: message.email.to.address)
                {
                    result.state = .suppressed
                    result.reason =
                        "suppressed: \(entry.reason.rawValue) from \(entry.source) at \(Timestamp.format(entry.time))"
                    return finish(result, claim: claimURL, into: "suppressed", correlationID: correlationID)
                }
            } catch {
                // Sending marketing without knowing whether the customer opted out is not an option.
                result.state = .retry
                result.reason = error.description
                return finish(result, claim: claimURL, into: nil, correlationID: correlationID)
            }
        }
        guard now < leaseEnd.addingTimeInterval(-margin) else {
            result.state = .released
            result.reason = "lease too short to send"
            return finish(result, claim: claimURL, into: nil, correlationID: correlationID)
        }
        do {
            let receipt = try await service.deliver(message.email)
            result.state = .sent
            result.service = receipt.service
            result.reference = receipt.reference
            return finish(result, claim: claimURL, into: "sent", correlationID: correlationID)
        } catch let error as DeliveryError {
            result.service = error.service
            result.reason = error.description
            result.state = error.isRetryable ? .retry : .failed
            return finish(
                result, claim: claimURL, into: error.isRetryable ? nil : "failed", correlationID: correlationID)
        } catch {
            result.reason = "\(error)"
            result.state = .retry
            return finish(result, claim: claimURL, into: nil, correlationID: correlationID)
        }
    }

    /// Moves the claim to `folder` (nil: back into the outbox, to be tried again), writes the
    /// receipt or reason beside it, and audits the attempt.
    private func finish(_ result: DispatchResult, claim: URL, into folder: String?, correlationID: String)
        -> DispatchResult
    {
        var result = result
        let targetFolder = folder.map { directory.appendingPathComponent($0) } ?? directory
        do {
            try FileManager.default.createDirectory(at: targetFolder, withIntermediateDirectories: true)
            if let note = result.note {
                _ = try AtomicFile.write(
                    Data(note.utf8), directory: targetFolder,
                    name: result.name + (folder == "sent" ? ".receipt" : ".reason"),
                    sync: false)
            }
        } catch {
            result.problems.append("cannot write beside \(result.name): \(error)")
        }
        let target = targetFolder.appendingPathComponent(result.name)
        if rename(claim.path, target.path) != 0 {
            // The claim was taken over (our lease ran out mid-send) or the disk failed: say so.
            result.problems.append("cannot move the claim to \(folder ?? "the outbox") (errno \(errno))")
        }
        if result.state != .notDue && result.state != .released {
            do {
                try audit.append(result.auditEntry(time: clock.now, correlationID: correlationID))
            } catch {
                result.problems.append("audit write failed: \(error)")
            }
        }
        return result
    }
}

/// A claim's file name in `outbox/claimed/`: `<name>~<owner>~<lease end, whole seconds since 1970>`.
struct Claim {
    var name: String
    var owner: String
    var leaseEnd: Date

    init(name: String, owner: String, leaseEnd: Date) {
        self.name = name
        self.owner = owner
        self.leaseEnd = leaseEnd
    }

    /// Reads a claim's file name; nil for anything else (a temporary file).
    init?(fileName: String) {
        let parts = fileName.split(separator: "~", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].hasSuffix(".eml"), let seconds = Int(parts[2]) else { return nil }
        self.init(
            name: String(parts[0]), owner: String(parts[1]), leaseEnd: Date(timeIntervalSince1970: Double(seconds)))
    }

    var fileName: String { "\(name)~\(owner)~\(Int(leaseEnd.timeIntervalSince1970.rounded(.up)))" }
}

/// An outbox `.eml` as the dispatcher hands it on: the exact bytes, the envelope addresses and
/// the Tidings headers the services read (flow and event id for SES's tags).
struct OutboxMessage {
    var email: RenderedEmail
    var eventID: String?
    var step: String?
    var series: String?
    /// False unless `X-Tidings-Category` says `transactional`: a message written before the header
    /// existed is checked like marketing, the side that never mails an opted-out customer.
    var isTransactional = false
    /// The customer its signed unsubscribe link names (`c=` of the List-Unsubscribe https URL).
    var customerID: String?

    /// Reads a message; nil when it is not an outbox message (no sender, recipient or send time).
    static func read(_ file: URL) -> OutboxMessage? {
        guard let data = try? Data(contentsOf: file), let headers = OutboxEmailService.headers(of: file),
            let from = headers["from"].flatMap(mailbox), let to = headers["to"].flatMap(mailbox),
            let sendAt = headers["x-tidings-send-at"].flatMap(Timestamp.parse)
        else { return nil }
        let messageID = (headers["message-id"] ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "<> "))
        let kept = ["X-Tidings-Flow", "X-Tidings-Event-Id", "X-Tidings-Series", "X-Tidings-Step", "X-Tidings-Send-At"]
        var email = RenderedEmail(
            messageID: messageID, from: from, to: to, subject: headers["subject"] ?? "", preheader: "", html: "",
            text: "", unsubscribeURL: "", unsubscribeMailto: "", date: sendAt, sendAt: sendAt,
            extraHeaders: kept.compactMap { name in headers[name.lowercased()].map { .init(name, $0) } })
        email.rawMessage = data
        return OutboxMessage(
            email: email, eventID: headers["x-tidings-event-id"], step: headers["x-tidings-step"],
            series: headers["x-tidings-series"],
            isTransactional: headers["x-tidings-category"]?.lowercased() == "transactional",
            customerID: headers["list-unsubscribe"].flatMap(unsubscribeCustomer))
    }

    /// The `c` query parameter of the first `<https://...>` entry of a List-Unsubscribe value
    /// (folded lines already joined); nil without one.
    static func unsubscribeCustomer(_ value: String) -> String? {
        for part in value.split(separator: ",") {
            let entry = part.trimmingCharacters(in: CharacterSet(charactersIn: " <>"))
                .replacingOccurrences(of: " ", with: "")
            guard entry.hasPrefix("https://"), let components = URLComponents(string: entry) else { continue }
            if let id = components.queryItems?.first(where: { $0.name == "c" })?.value, !id.isEmpty { return id }
        }
        return nil
    }

    /// The address of a From or To value ("Name <a@b>" or "a@b"); nil without one.
    static func mailbox(_ value: String) -> Mailbox? {
        var address = value
        if let open = value.lastIndex(of: "<"), let close = value.lastIndex(of: ">"), open < close {
            address = String(value[value.index(after: open)..<close])
        }
        address = address.trimmingCharacters(in: .whitespaces)
        guard address.contains("@"), !address.contains(" ") else { return nil }
        return Mailbox(name: nil, address: address)
    }
}

/// What happened to one message a dispatcher touched.
package struct DispatchResult: Sendable, Hashable {
    /// How the attempt ended.
    package enum State: String, Sendable, Hashable {
        /// Sent; the file is in `sent/` with its receipt.
        case sent
        /// Its series was cancelled; the file is in `cancelled/`.
        case cancelled
        /// A marketing message whose customer or address is on the suppression list; the file is
        /// in `suppressed/` with the reason.
        case suppressed
        /// A retryable failure; the file is back in the outbox for the next run.
        case retry
        /// Not retryable (or unreadable); the file is in `failed/` with its reason.
        case failed
        /// Another dispatcher claimed it first; nothing was done.
        case lost
        /// Named as due but dated later inside: handed back unsent, not audited.
        case notDue = "not_due"
        /// Claimed with too little lease left to send safely: handed back unsent, not audited.
        case released
    }

    /// The outbox file name.
    package var name: String
    /// How it ended.
    package var state: State
    /// The message's event (`X-Tidings-Event-Id`) and step (`X-Tidings-Step`).
    package var eventID: String?
    package var step: String?
    /// The service that sent or refused it, and its reference for the message when sent.
    package var service: String?
    package var reference: String?
    /// Why, for every state but `sent`.
    package var reason: String?
    /// Files that could not be moved or written, and a failed audit write, for the log.
    package var problems: [String] = []

    init(name: String, state: State, reason: String? = nil) {
        self.name = name
        self.state = state
        self.reason = reason
    }

    /// The receipt (sent) or the reason (failed), as written beside the file.
    var note: String? {
        switch state {
        case .sent: "service: \(service ?? "")\nreference: \(reference ?? "")\n"
        case .failed, .cancelled, .suppressed: "\(reason ?? state.rawValue)\n"
        default: nil
        }
    }

    /// The attempt's terminal audit record (stage `outcome`, which the verifier reads as an
    /// event's end). No address: the handler's deliver record has it.
    func auditEntry(time: Date, correlationID: String) -> AuditEntry {
        var facts: [String: JSONValue] = ["file": .string(name), "result": .string(state.rawValue)]
        if let eventID { facts["event_id"] = .string(eventID) }
        if let step { facts["step"] = .string(step) }
        if let service { facts["service"] = .string(service) }
        if let reference { facts["reference"] = .string(reference) }
        if let reason { facts["reason"] = .string(reason) }
        if state == .retry || state == .failed { facts["retryable"] = .bool(state == .retry) }
        let outcome: Outcome =
            switch state {
            case .sent: .sent
            case .cancelled, .suppressed: .suppressed
            default: .failed
            }
        return AuditEntry(
            time: time, eventID: "dispatch:\(name)", correlationID: correlationID, function: "dispatch",
            stage: "outcome", outcome: outcome, facts: facts)
    }
}

/// How fast one dispatcher run sends: messages in flight at once and, optionally, a ceiling on
/// the sends a second (the service's own sending rate; SES's is per account and region).
package struct DispatchPacing: Sendable, Hashable {
    /// Messages claimed and sent at the same time (at least 1; default 4).
    package var concurrency: Int
    /// Most claims started a second; nil: as fast as `concurrency` allows.
    package var ratePerSecond: Double?

    /// Pacing of `concurrency` in flight (default 4) under an optional `ratePerSecond`.
    package init(concurrency: Int = 4, ratePerSecond: Double? = nil) {
        self.concurrency = max(1, concurrency)
        self.ratePerSecond = ratePerSecond.flatMap { $0 > 0 ? $0 : nil }
    }
}

/// The results of one dispatcher run.
package struct DispatchSummary: Sendable {
    /// Every message the run touched, in send-time order.
    package var results: [DispatchResult] = []

    /// Messages this run claimed and tried (what `--limit` counts).
    package var attempted: Int { results.filter { $0.state != .lost }.count }

    /// The results in `state`.
    package func count(_ state: DispatchResult.State) -> Int { results.filter { $0.state == state }.count }

    mutating func record(_ result: DispatchResult) { results.append(result) }
}

/// The outbox could not be read at all; nothing was sent.
package struct DispatchError: Error, Sendable, CustomStringConvertible {
    /// The folder that failed.
    package var path: String
    /// What went wrong.
    package var reason: String

    /// "path: reason".
    package var description: String { "\(path): \(reason)" }
}
