import Foundation
import Testing
import TidingsCore

#if canImport(Glibc)
    import Glibc
#endif

/// What the exactly-once proof (issue 13) needs around the real handler binaries: the state
/// backend's environment, distinct events made from a recorded one, processes started together
/// (and killed) off the cooperative pool, and the audit and outbox read back per event id.
enum ExactlyOnce {
    /// The recorded delivery the one-event race runs (Events/cartAbandoned; it ends `sent` at
    /// `cartNow`, golden-cartAbandoned.json).
    static let recordedDelivery = RuntimeTestSupport.cartEvents.appendingPathComponent("shopify-first-time-buyer.json")
    static let cartNow = "2026-11-21T15:20:00Z"
    /// The recorded canonical cart copied into distinct events (its own `event_id` and `cart_id`,
    /// rewritten per copy); it ends `sent` at `canonicalNow`.
    static let canonicalCart = RuntimeTestSupport.cartEvents.appendingPathComponent("canonical-unknown-to-shop.json")
    static let canonicalNow = "2026-11-21T19:00:00Z"

    /// The environment of every handler process: only what the test sets (no webhook secrets, so
    /// the rewritten copies need no signature; no audit key), the outbox as the email service, logs
    /// at error level on stderr.
    static func environment(data: URL, now: String, state: [String: String], extra: [String: String] = [:])
        -> [String: String]
    {
        [
            "PATH": "/usr/bin:/bin", "TIDINGS_DATA_DIR": data.path,
            "TIDINGS_SHOP_DIR": RuntimeTestSupport.root.appendingPathComponent("Events/shop").path,
            "TIDINGS_NOW": now, "TIDINGS_ESP": "outbox", "TIDINGS_LOG_LEVEL": "error",
        ].merging(state) { $1 }.merging(extra) { $1 }
    }

    /// `count` copies of the recorded canonical cart, each with its own event id
    /// (`proof-evt-<n>`) and cart id (`proof-cart-<n>`), as (event id, bytes).
    static func distinctCarts(_ count: Int) throws -> [(id: String, body: String)] {
        let text = try String(contentsOf: canonicalCart, encoding: .utf8)
        try #require(text.contains("\"cdp-evt-5521\"") && text.contains("\"cdp-cart-99031\""))
        return (0..<count).map { index in
            let id = "proof-evt-\(index)"
            let body = text.replacingOccurrences(of: "\"cdp-evt-5521\"", with: "\"\(id)\"")
                .replacingOccurrences(of: "\"cdp-cart-99031\"", with: "\"proof-cart-\(index)\"")
            return (id, body)
        }
    }

    /// An SQS batch (`Records`, `eventSource` `aws:sqs`) whose records carry `bodies` in order: one
    /// handler process handles each record in turn, each its own handling with its own claim.
    static func sqsBatch(_ bodies: [String]) throws -> Data {
        let records: [[String: Any]] = bodies.enumerated().map { index, body in
            [
                "messageId": "proof-\(index)-\(UUID().uuidString)", "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:tidings-cartAbandoned", "body": body,
            ]
        }
        return try JSONSerialization.data(withJSONObject: ["Records": records])
    }

    /// One handler process to start: the binary's name, what it reads on stdin, and when to kill
    /// it (SIGKILL, seconds after its start), if ever.
    struct Launch: Sendable {
        var handler: String
        var stdin: URL
        var environment: [String: String]
        var killAfter: TimeInterval?
    }

    /// How one process ended and what it printed.
    struct Ended: Sendable {
        var status: Int32
        var killed: Bool
        var stdout: String
        var stderr: String
    }

    /// Starts every launch, at most `parallel` at a time (all at once when `parallel` is the
    /// count), and waits for all. The processes are started and waited for on threads of their own:
    /// a cooperative thread blocked for seconds would stall every other test meanwhile.
    static func run(_ launches: [Launch], parallel: Int, scratch: URL) async throws -> [Ended] {
        let binaries = try Dictionary(
            Set(launches.map(\.handler)).map { name in
                (name, try #require(RuntimeTestSupport.builtBinary(name), "build the package first (swift build)"))
            }
        ) { first, _ in first }
        let logs = scratch.appendingPathComponent("process-output-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let queue = Queue(count: launches.count)
        let results = await withCheckedContinuation { (continuation: CheckedContinuation<[Ended?], Never>) in
            Thread {
                let done = DispatchGroup()
                for _ in 0..<min(parallel, launches.count) {
                    done.enter()
                    Thread {
                        while let index = queue.take() {
                            let launch = launches[index]
                            queue.store(
                                Self.runOne(
                                    launch, binary: binaries[launch.handler]!,
                                    output: logs.appendingPathComponent("\(index)")), at: index)
                        }
                        done.leave()
                    }.start()
                }
                done.wait()
                continuation.resume(returning: queue.results)
            }.start()
        }
        return try results.enumerated().map { index, ended in
            try #require(ended, "launch \(index) (\(launches[index].handler)) could not be started")
        }
    }

    /// The next launch to start and what each ended with, shared by the threads that run them.
    final class Queue: @unchecked Sendable {
        private let lock = NSLock()
        private var next = 0
        private var ended: [Ended?]

        init(count: Int) { ended = Array(repeating: nil, count: count) }

        /// The index of the next launch, nil when every one has been taken.
        func take() -> Int? {
            lock.withLock {
                guard next < ended.count else { return nil }
                defer { next += 1 }
                return next
            }
        }

        func store(_ result: Ended?, at index: Int) { lock.withLock { ended[index] = result } }

        var results: [Ended?] { lock.withLock { ended } }
    }

    /// Runs one process to its end (or its kill); stdout and stderr go to files, so no pipe fills.
    static func runOne(_ launch: Launch, binary: URL, output: URL) -> Ended? {
        let outFile = output.appendingPathExtension("out")
        let errFile = output.appendingPathExtension("err")
        guard FileManager.default.createFile(atPath: outFile.path, contents: nil),
            FileManager.default.createFile(atPath: errFile.path, contents: nil),
            let stdout = try? FileHandle(forWritingTo: outFile), let stderr = try? FileHandle(forWritingTo: errFile),
            let stdin = try? FileHandle(forReadingFrom: launch.stdin)
        else { return nil }
        defer {
            try? stdout.close()
            try? stderr.close()
            try? stdin.close()
        }
        let process = Process()
        process.executableURL = binary
        process.currentDirectoryURL = RuntimeTestSupport.root
        process.environment = launch.environment
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        guard (try? process.run()) != nil else { return nil }
        var killed = false
        if let delay = launch.killAfter {
            Thread.sleep(forTimeInterval: delay)
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                killed = true
            }
        }
        process.waitUntilExit()
        // A kill that came after the process had already finished did not cut anything short.
        killed = killed && process.terminationReason == .uncaughtSignal
        return Ended(
            status: process.terminationStatus, killed: killed,
            stdout: (try? String(contentsOf: outFile, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: errFile, encoding: .utf8)) ?? "")
    }

    /// One terminal record of the audit: the event id, its outcome and whether it was marked
    /// retryable.
    struct Terminal: Sendable, Equatable {
        var eventID: String
        var outcome: String
        var retryable: Bool
        var reason: String?

        /// Whether it ends its event for good (`AuditEntry.isFinalOutcome`: sent, queued for
        /// review, suppressed unless retryable); `duplicate` and `failed` do not.
        var isFinal: Bool {
            guard let outcome = Outcome(rawValue: outcome) else { return false }
            return OutcomeReport(function: "cartAbandoned", eventID: eventID, outcome: outcome, retryable: retryable)
                .isFinal
        }
    }

    /// Every terminal record (one carrying `outcome`) in the data folder's audit.
    static func terminals(_ data: URL) throws -> [Terminal] {
        try ReplayGoldenTests.auditLines(data).compactMap { line in
            let record = try JSONParser.parse(Array(line.utf8)).objectValue ?? [:]
            guard let outcome = record["outcome"]?.stringValue else { return nil }
            let facts = record["facts"]?.objectValue ?? [:]
            return Terminal(
                eventID: try #require(record["event_id"]?.stringValue, "a terminal record without event_id: \(line)"),
                outcome: outcome, retryable: facts["retryable"] == .bool(true), reason: facts["reason"]?.stringValue)
        }
    }

    /// The outbox's .eml files per `X-Tidings-Event-Id` (the outbox's own folder, not
    /// `cancelled/`).
    static func emlFiles(_ data: URL) throws -> [String: Int] {
        let outbox = data.appendingPathComponent("outbox")
        guard FileManager.default.fileExists(atPath: outbox.path) else { return [:] }
        var counts: [String: Int] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: outbox.path) where name.hasSuffix(".eml") {
            let text = try String(contentsOf: outbox.appendingPathComponent(name), encoding: .utf8)
            let header = text.components(separatedBy: "\r\n\r\n").first ?? ""
            let id =
                header.components(separatedBy: "\r\n").first { $0.hasPrefix("X-Tidings-Event-Id: ") }
                .map { String($0.dropFirst("X-Tidings-Event-Id: ".count)) } ?? "(none in \(name))"
            counts[id, default: 0] += 1
        }
        return counts
    }

    /// `tidings audit verify --data-dir data`: its exit status and output.
    static func verifyAudit(_ data: URL) async throws -> (status: Int32, output: String) {
        let binary = try #require(RuntimeTestSupport.builtBinary("tidings"), "build the package first (swift build)")
        return await withCheckedContinuation { continuation in
            Thread {
                let process = Process()
                process.executableURL = binary
                process.arguments = ["audit", "verify", "--data-dir", data.path]
                process.environment = ["PATH": "/usr/bin:/bin"]
                let output = Pipe()
                process.standardOutput = output
                process.standardError = output
                guard (try? process.run()) != nil else {
                    continuation.resume(returning: (-1, "tidings could not be started"))
                    return
                }
                let text = output.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                continuation.resume(returning: (process.terminationStatus, String(decoding: text, as: UTF8.self)))
            }.start()
        }
    }

    /// Issue 13's "Done when": after the run, `tidings audit verify` passes, and the audit itself
    /// holds no event id with two terminal `sent` records (checked here too, not only by the
    /// verifier). Returns the terminal records for the test's own checks.
    @discardableResult
    static func auditHoldsNoDoubleSend(_ data: URL) async throws -> [Terminal] {
        let verified = try await verifyAudit(data)
        #expect(verified.status == 0, "tidings audit verify: \(verified.output)")
        #expect(!verified.output.contains("sent again"), "\(verified.output)")
        let terminals = try terminals(data)
        var sends: [String: Int] = [:]
        for terminal in terminals where terminal.outcome == "sent" { sends[terminal.eventID, default: 0] += 1 }
        let doubles = sends.filter { $0.value > 1 }
        #expect(doubles.isEmpty, "event ids with two or more terminal sent records: \(doubles)")
        return terminals
    }
}

extension StateBackend {
    /// Runs `body` with the handler environment of a fresh store of this backend: SQLite under the
    /// data folder (the default, nothing to set), or a new table in a moto server of its own
    /// (`TIDINGS_STATE=dynamodb` and the table, endpoint, region and credentials).
    func withHandlerState<Result>(_ body: ([String: String]) async throws -> Result) async throws -> Result {
        switch self {
        case .sqlite:
            return try await body(["TIDINGS_STATE": "sqlite"])
        case .dynamodb:
            return try await MotoServer.with { moto in
                let table = "tidings-proof-\(UUID().uuidString.prefix(8).lowercased())"
                _ = try await moto.stateTable(table)
                return try await body([
                    "TIDINGS_STATE": "dynamodb", "TIDINGS_DYNAMODB_TABLE": table,
                    "AWS_ENDPOINT_URL_DYNAMODB": moto.url, "AWS_REGION": "eu-west-1",
                    "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret",
                ])
            }
        }
    }
}
