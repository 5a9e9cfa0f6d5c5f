import Foundation
import Testing
import TidingsCore

@testable import TidingsRuntime

/// The order race across processes (issue 13: "an order created and cancelled at the same moment
/// kept all four follow-ups scheduled, in 5 of 5 runs"): the built `orderCreated` and
/// `orderCancelled` binaries, started together on one data folder, 20 times, each time on a fresh
/// folder (and, for DynamoDB, a fresh table). Only the state store's tombstone and the outbox tie
/// the two processes together. Whichever way a run interleaves, no follow-up of the order is left
/// scheduled in `outbox/`; the ones stopped are in `outbox/cancelled/`. Nothing here depends on
/// timing: each run is checked for what it left, not for how fast.
@Suite("The order race across processes", .serialized)
struct OrderRaceProcessTests {
    static let runs = 20
    static let now = "2026-11-25T13:31:00Z"
    static let series = "order:shopify:820982911946154508"
    static let followUps = ["getting_started", "review_request", "recommendations"]

    /// How one run came out, for the tally.
    enum Interleaving: String, CaseIterable {
        /// The create found the tombstone among its guards and planned nothing.
        case cancelledFirst = "cancelled first"
        /// The create handed its series over, found the tombstone on its re-check and withdrew.
        case withdrawn = "withdrawn by the create"
        /// The create finished first; the cancellation's stop moved the follow-ups.
        case createdFirst = "created first"
    }

    @Test(
        "orderCreated and orderCancelled started at once, 20 runs: never a follow-up left scheduled",
        arguments: StateBackend.allCases)
    func race(_ backend: StateBackend) async throws {
        switch backend {
        case .sqlite:
            try await runAll(backend) { _ in [:] }
        case .dynamodb:
            try await MotoServer.with { moto in
                try await runAll(backend) { index in
                    let table = "tidings-race-\(index)"
                    _ = try await moto.stateTable(table)
                    return [
                        "TIDINGS_STATE": "dynamodb", "TIDINGS_DYNAMODB_TABLE": table,
                        "AWS_ENDPOINT_URL_DYNAMODB": moto.url, "AWS_REGION": "eu-west-1",
                        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret",
                    ]
                }
            }
        }
    }

    /// Runs the race `runs` times with each run's extra environment and checks every run. With
    /// `TIDINGS_RACE_TALLY` set, prints how many runs took each interleaving (docs/decisions/exactly-once.md).
    func runAll(_ backend: StateBackend, _ environment: (Int) async throws -> [String: String]) async throws {
        let created = try #require(RuntimeTestSupport.builtBinary("orderCreated"), "build the package first")
        let cancelled = try #require(RuntimeTestSupport.builtBinary("orderCancelled"), "build the package first")
        let tidings = try #require(RuntimeTestSupport.builtBinary("tidings"), "build the package first")
        var tally: [Interleaving: Int] = [:]
        for index in 0..<Self.runs {
            let extra = try await environment(index)
            let interleaving = try await withScratch { data in
                let base = [
                    "PATH": "/usr/bin:/bin", "TIDINGS_DATA_DIR": data.path,
                    "TIDINGS_SHOP_DIR": RuntimeTestSupport.root.appendingPathComponent("Events/shop").path,
                    "TIDINGS_NOW": Self.now, "TIDINGS_LOG_LEVEL": "critical",
                ]
                let env = base.merging(extra) { $1 }
                let create = Launch(binary: created, input: OrderRaceTests.created, environment: env)
                let cancel = Launch(binary: cancelled, input: OrderRaceTests.cancelled, environment: env)
                // Both are started before either is waited for; which is started first alternates.
                let results = try await Launch.together(index % 2 == 0 ? [create, cancel] : [cancel, create])
                var (createRun, cancelRun) = index % 2 == 0 ? (results[0], results[1]) : (results[1], results[0])
                // A retryable failure (exit 75: moto reset a connection on this loaded machine) is
                // redelivered, as SQS would, before the run is judged.
                for _ in 0..<2 where createRun.status == 75 { createRun = try await Launch.together([create])[0] }
                for _ in 0..<2 where cancelRun.status == 75 { cancelRun = try await Launch.together([cancel])[0] }
                let verified = try await Launch.together([
                    Launch(binary: tidings, arguments: ["audit", "verify", "--data-dir", data.path], environment: base)
                ])
                #expect(verified[0].status == 0, "run \(index): audit verify: \(verified[0].stdout)")
                return try check(run: index, data: data, create: createRun, cancel: cancelRun)
            }
            tally[interleaving, default: 0] += 1
        }
        if ProcessInfo.processInfo.environment["TIDINGS_RACE_TALLY"] != nil {
            print(
                "order race, \(backend.rawValue): \(Interleaving.allCases.map { "\($0.rawValue) \(tally[$0] ?? 0)" }.joined(separator: ", "))"
            )
        }
    }

    /// Checks what one run left: both handled, no follow-up of the series waiting in `outbox/`,
    /// and the series either never planned or stopped whole; returns the interleaving.
    func check(run index: Int, data: URL, create: Launch.Result, cancel: Launch.Result) throws -> Interleaving {
        #expect(create.status == 0, "run \(index): orderCreated: \(create.stdout)")
        #expect(cancel.status == 0, "run \(index): orderCancelled: \(cancel.stdout)")
        let created = try #require(
            try JSONSerialization.jsonObject(with: Data(create.stdout.utf8)) as? [String: Any], "run \(index)")
        let cancelledResult = try #require(
            try JSONSerialization.jsonObject(with: Data(cancel.stdout.utf8)) as? [String: Any], "run \(index)")
        // The cancelled order's customer gets a win-back, waiting for a person.
        #expect(cancelledResult["outcome"] as? String == "queued_for_review", "run \(index): \(cancel.stdout)")

        let outbox = data.appendingPathComponent("outbox")
        let waiting = try OrderRaceTests.seriesFiles(outbox)
        let stopped = try OrderRaceTests.seriesFiles(outbox.appendingPathComponent("cancelled"))
        let now = try #require(Timestamp.parse(Self.now))
        // The point of it all: nothing of the order's series still waits to be sent.
        let scheduled = waiting.filter { $0.sendAt > now }
        #expect(scheduled.isEmpty, "run \(index): still scheduled: \(scheduled.map(\.step))")

        let outcome = created["outcome"] as? String
        let reason = created["reason"] as? String
        if outcome == "suppressed" {
            #expect(reason?.hasPrefix("order_cancelled: ") == true, "run \(index): \(create.stdout)")
            #expect(waiting.isEmpty && stopped.isEmpty, "run \(index)")
            return .cancelledFirst
        }
        #expect(outcome == "sent", "run \(index): \(create.stdout)")
        // Planned: the thank-you was due at once; the three follow-ups were stopped.
        #expect(waiting.map(\.step) == ["thank_you"], "run \(index)")
        #expect(stopped.map(\.step) == Self.followUps, "run \(index)")
        if let reason {
            #expect(reason.hasPrefix("order_cancelled: ") && reason.contains("withdrew"), "run \(index): \(reason)")
            return .withdrawn
        }
        return .createdFirst
    }
}

/// A process to start: a binary, its arguments, environment and stdin.
struct Launch: Sendable {
    var binary: URL
    var arguments: [String] = []
    var input: URL?
    var environment: [String: String]

    /// What a process printed and how it ended.
    struct Result: Sendable {
        /// The exit status; -1 when a signal ended it.
        var status: Int32
        var stdout: String
    }

    /// Starts every launch, all before waiting for any, and returns their results in order. The
    /// processes are spawned and reaped here (posix_spawn, waitpid on their own ids), not through
    /// Foundation's Process, on a thread of its own: the race starts 120 processes a suite run, and
    /// Foundation's shared child monitor, busy with every other test's servers, once missed an
    /// exit and left a test blocked on it.
    static func together(_ launches: [Launch]) async throws -> [Result] {
        let outcome = await withCheckedContinuation {
            (continuation: CheckedContinuation<Swift.Result<[Result], any Error>, Never>) in
            Thread {
                continuation.resume(returning: Swift.Result { try run(launches) })
            }.start()
        }
        return try outcome.get()
    }

    private static func run(_ launches: [Launch]) throws -> [Result] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "tidings-launch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var started: [(pid: pid_t, output: URL)] = []
        for (index, launch) in launches.enumerated() {
            let output = folder.appendingPathComponent("\(index).out")
            started.append((try spawn(launch, output: output), output))
        }
        return started.map { pid, output in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            // WIFEXITED / WEXITSTATUS, which Swift does not import.
            let exited = status & 0x7f == 0
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            return Result(status: exited ? (status >> 8) & 0xff : -1, stdout: text)
        }
    }

    /// Spawns the launch with stdin from its input (or /dev/null), stdout to `output`, stderr
    /// discarded; the working directory is this process's (the package root under `swift test`).
    private static func spawn(_ launch: Launch, output: URL) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, launch.input?.path ?? "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([launch.binary.path] + launch.arguments).map { strdup($0) } + [nil]
        let envp = launch.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let code = posix_spawn(&pid, launch.binary.path, &actions, nil, argv, envp)
        guard code == 0 else {
            throw CocoaError(
                .executableLoad, userInfo: [NSLocalizedDescriptionKey: "posix_spawn \(launch.binary.path): \(code)"])
        }
        return pid
    }
}
