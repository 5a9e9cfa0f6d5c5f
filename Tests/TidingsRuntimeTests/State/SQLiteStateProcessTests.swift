import Foundation
import Testing
import TidingsCore

/// SQLite across processes: `tidings state claim` in separate processes against one
/// `state.sqlite3`, started together, so the file's locks (not a mutex inside one process) decide.
@Suite("SQLite state store across processes")
struct SQLiteStateProcessTests {
    /// Starts `tidings state claim` once per argument list, all before waiting for any, and returns
    /// each one's stdout lines. Records an issue for a process that does not exit 0. The waiting
    /// happens on a thread of its own: a cooperative thread blocked for seconds would stall every
    /// other test running meanwhile.
    func claims(_ runs: [[String]], data: URL) async throws -> [[String]] {
        let binary = try #require(RuntimeTestSupport.builtBinary("tidings"), "build the package first (swift build)")
        let results = await withCheckedContinuation { (continuation: CheckedContinuation<[Run], Never>) in
            Thread { continuation.resume(returning: Self.run(binary, runs, data: data)) }.start()
        }
        return try results.map { run in
            if let failure = run.failure { throw failure }
            #expect(run.status == 0, "\(run.errors)")
            return run.lines
        }
    }

    /// What one process printed and how it ended.
    struct Run: Sendable {
        var lines: [String] = []
        var errors = ""
        var status: Int32 = -1
        var failure: CocoaError?
    }

    static func run(_ binary: URL, _ runs: [[String]], data: URL) -> [Run] {
        var started: [(Process, Pipe, Pipe)] = []
        var results: [Run] = []
        for arguments in runs {
            let process = Process()
            process.executableURL = binary
            process.arguments = ["state", "claim", "--data-dir", data.path] + arguments
            process.environment = ["PATH": "/usr/bin:/bin"]
            let output = Pipe()
            let errors = Pipe()
            process.standardOutput = output
            process.standardError = errors
            do {
                try process.run()
            } catch {
                results.append(Run(failure: CocoaError(.executableLoad, userInfo: [NSUnderlyingErrorKey: error])))
                continue
            }
            started.append((process, output, errors))
        }
        for (process, output, errors) in started {
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let problem = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            results.append(
                Run(
                    lines: text.split(separator: "\n").map(String.init), errors: problem,
                    status: process.terminationStatus))
        }
        return results
    }

    @Test("8 processes claiming one key at once: exactly one claims, seven see it held or completed")
    func eightProcesses() async throws {
        try await withScratch { data in
            let lines = try await claims((0..<8).map { ["--owner", "p\($0)", "event:shopify:race"] }, data: data)
                .flatMap {
                    $0
                }
            #expect(lines.count == 8)
            let claimed = lines.filter { $0 == "event:shopify:race claimed" }
            #expect(claimed.count == 1, "\(lines)")
            let others = lines.filter { $0.contains(" held-by p") || $0.contains(" completed p") }
            #expect(others.count == 7, "\(lines)")
            #expect(FileManager.default.fileExists(atPath: data.appendingPathComponent("state.sqlite3").path))
        }
    }

    @Test("8 processes x 60 keys x 3 rounds: every key claimed exactly once")
    func eightWorkers() async throws {
        try await withScratch { data in
            let keys = (0..<60).map { "event:load:\($0)" }
            let runs = (0..<8).map { worker in
                ["--owner", "p\(worker)", "--rounds", "3"] + (worker % 2 == 0 ? keys : keys.reversed())
            }
            let lines = try await claims(runs, data: data).flatMap { $0 }
            #expect(lines.count == 8 * 60 * 3)
            let claimed = lines.filter { $0.hasSuffix(" claimed") }.map { String($0.dropLast(" claimed".count)) }
            #expect(claimed.count == 60, "claimed \(claimed.count) times")
            #expect(Set(claimed) == Set(keys))
        }
    }

    @Test("a held claim outlives its process; after the lease another process takes it over")
    func takeoverAcrossProcesses() async throws {
        try await withScratch { data in
            let first = try await claims(
                [["--owner", "crashed", "--no-complete", "--lease-seconds", "0.3", "event:k"]], data: data)
            #expect(first == [["event:k claimed"]])
            let during = try await claims([["--owner", "second", "event:k"]], data: data)
            #expect(
                during.first?.first?.hasPrefix("event:k held-by crashed") == true
                    || during == [["event:k claimed took-over-from crashed"]])
            try await Task.sleep(nanoseconds: 400_000_000)
            let after = try await claims([["--owner", "third", "event:k"]], data: data)
            // Whoever took it over first completed it; a later claim reads that result.
            #expect(after == [["event:k claimed took-over-from crashed"]] || after == [["event:k completed second"]])
        }
    }

    @Test(
        "processes killed with SIGKILL mid-run: after the lease their claims are taken over, every key ends completed")
    func killed() async throws {
        try await withScratch { data in
            let binary = try #require(
                RuntimeTestSupport.builtBinary("tidings"), "build the package first (swift build)")
            let keys = (0..<1_000).map { "event:kill:\($0)" }
            // Each holding process claims a key of its own first, so it holds at least one when killed.
            let all = keys + ["event:kill:held:k2", "event:kill:held:k3"]
            // Four processes over the same keys, each killed at a random moment after its first claim;
            // two of them hold what they claim (a crash between claim and completion, every time).
            let killed = await withCheckedContinuation { (continuation: CheckedContinuation<Set<Int>, Never>) in
                Thread {
                    var processes: [(Int, Process, Pipe)] = []
                    for worker in 0..<4 {
                        let process = Process()
                        process.executableURL = binary
                        process.arguments =
                            [
                                "state", "claim", "--data-dir", data.path, "--owner", "k\(worker)", "--lease-seconds",
                                "1",
                            ]
                            // The holders go over the keys again and again, so they are still
                            // running when the kill comes however fast the machine is.
                            + (worker >= 2
                                ? ["--no-complete", "--rounds", "1000", "event:kill:held:k\(worker)"] : [])
                            + (worker % 2 == 0 ? keys : keys.reversed())
                        process.environment = ["PATH": "/usr/bin:/bin"]
                        let output = Pipe()
                        process.standardOutput = output
                        process.standardError = FileHandle.nullDevice
                        if (try? process.run()) != nil { processes.append((worker, process, output)) }
                    }
                    for (_, process, output) in processes {
                        _ = output.fileHandleForReading.availableData
                        Thread.sleep(forTimeInterval: Double.random(in: 0...0.05))
                        kill(process.processIdentifier, SIGKILL)
                    }
                    var killed: Set<Int> = []
                    for (worker, process, _) in processes {
                        process.waitUntilExit()
                        if process.terminationReason == .uncaughtSignal { killed.insert(worker) }
                    }
                    continuation.resume(returning: killed)
                }.start()
            }
            // The test means something only when runs were cut short.
            #expect(!killed.isDisjoint(with: [2, 3]), "killed: \(killed.sorted())")
            try await Task.sleep(nanoseconds: 1_100_000_000)
            let after = try await claims([["--owner", "after"] + all], data: data).flatMap { $0 }
            #expect(after.count == all.count)
            for worker in killed.intersection([2, 3]) {
                #expect(after.contains("event:kill:held:k\(worker) claimed took-over-from k\(worker)"), "\(worker)")
            }
            // Nothing is left held: every key now reads as completed by exactly one owner.
            let check = try await claims([["--owner", "check"] + all], data: data).flatMap { $0 }
            #expect(check.count == all.count)
            #expect(
                check.allSatisfy {
                    $0.contains(" completed k0") || $0.contains(" completed k1") || $0.hasSuffix(" completed after")
                },
                "\(check.prefix(5))")
        }
    }
}
