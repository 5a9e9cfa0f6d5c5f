import Foundation
import Testing
import TidingsCore

/// Issue 13's proof, with the real handler binaries as separate processes on one data folder
/// (`TIDINGS_ESP=outbox`), each test once against SQLite (the default, `<data>/state.sqlite3`) and
/// once against DynamoDB served by moto (a table of its own per test). Each test ends with
/// `tidings audit verify` and its own count of terminal `sent` records per event id
/// (`ExactlyOnce.auditHoldsNoDoubleSend`). No timing is asserted: waits are generous and only
/// outcomes are counted. Serialized: each test already runs up to 8 processes at once.
@Suite("Exactly once across processes (issue 13)", .serialized)
struct ExactlyOnceTests {
    /// The stdout answer of a handler run on one delivery: its outcome.
    static func outcome(_ ended: ExactlyOnce.Ended) -> String? {
        (try? JSONParser.parse(Array(ended.stdout.utf8)))?.objectValue?["outcome"]?.stringValue
    }

    @Test(
        "8 processes handling one delivery at once: exactly one sent, seven duplicate, one .eml",
        arguments: StateBackend.allCases)
    func oneDeliveryEightProcesses(_ backend: StateBackend) async throws {
        try await withScratch { scratch in
            try await backend.withHandlerState { state in
                let data = scratch.appendingPathComponent("data")
                let environment = ExactlyOnce.environment(data: data, now: ExactlyOnce.cartNow, state: state)
                let launches = (0..<8).map { _ in
                    ExactlyOnce.Launch(
                        handler: "cartAbandoned", stdin: ExactlyOnce.recordedDelivery, environment: environment)
                }
                let ended = try await ExactlyOnce.run(launches, parallel: 8, scratch: scratch)
                for run in ended { #expect(run.status == 0, "\(run.stdout) \(run.stderr)") }
                // Each process's own answer on stdout.
                let answers = ended.map { Self.outcome($0) ?? "unreadable: \($0.stdout)" }
                #expect(answers.filter { $0 == "sent" }.count == 1, "\(answers)")
                #expect(answers.filter { $0 == "duplicate" }.count == 7, "\(answers)")
                // The audit's terminal records say the same: one sent, seven duplicates naming it.
                let terminals = try await ExactlyOnce.auditHoldsNoDoubleSend(data)
                #expect(terminals.count == 8)
                #expect(Set(terminals.map(\.eventID)).count == 1, "\(terminals)")
                #expect(terminals.filter { $0.outcome == "sent" }.count == 1, "\(terminals)")
                let duplicates = terminals.filter { $0.outcome == "duplicate" }
                #expect(duplicates.count == 7, "\(terminals)")
                let eml = try ExactlyOnce.emlFiles(data)
                #expect(eml.values.reduce(0, +) == 1, "\(eml)")
                #expect(eml.keys.first == terminals.first?.eventID)
            }
        }
    }

    @Test(
        "8 workers x 60 distinct events, each worker over all 60 twice in its own order: one sent per event",
        arguments: StateBackend.allCases)
    func eightWorkersSixtyEvents(_ backend: StateBackend) async throws {
        try await withScratch { scratch in
            try await backend.withHandlerState { state in
                let data = scratch.appendingPathComponent("data")
                let events = try ExactlyOnce.distinctCarts(60)
                // A worker is one handler process reading an SQS batch: its 60 events in a shuffled
                // order, then again in another, each record its own handling with its own claim.
                var launches: [ExactlyOnce.Launch] = []
                for worker in 0..<8 {
                    let order = events.shuffled() + events.shuffled()
                    let batch = scratch.appendingPathComponent("worker-\(worker).json")
                    try ExactlyOnce.sqsBatch(order.map(\.body)).write(to: batch)
                    launches.append(
                        ExactlyOnce.Launch(
                            handler: "cartAbandoned", stdin: batch,
                            environment: ExactlyOnce.environment(
                                data: data, now: ExactlyOnce.canonicalNow, state: state)))
                }
                let ended = try await ExactlyOnce.run(launches, parallel: 8, scratch: scratch)
                for run in ended {
                    #expect(run.status == 0, "\(run.stderr)")
                    // Nothing for SQS to redeliver: no record ended retryable.
                    #expect(run.stdout.contains(#""batchItemFailures":[]"#), "\(run.stdout)")
                }
                let terminals = try await ExactlyOnce.auditHoldsNoDoubleSend(data)
                #expect(terminals.count == 8 * 120)
                var outcomes: [String: [String]] = [:]
                for terminal in terminals { outcomes[terminal.eventID, default: []].append(terminal.outcome) }
                #expect(Set(outcomes.keys) == Set(events.map(\.id)))
                for (id, seen) in outcomes {
                    #expect(seen.filter { $0 == "sent" }.count == 1, "\(id): \(seen)")
                    #expect(seen.filter { $0 == "duplicate" }.count == 15, "\(id): \(seen)")
                }
                let eml = try ExactlyOnce.emlFiles(data)
                #expect(eml == Dictionary(uniqueKeysWithValues: events.map { ($0.id, 1) }), "\(eml)")
            }
        }
    }

    /// SQLite: 200 events. DynamoDB: 40, each handling there makes its requests to one moto
    /// process (Python, one interpreter lock), which makes 200 several times slower than the rest
    /// of the suite together.
    @Test(
        "processes SIGKILLed at random points, every event retried after the lease: one final outcome, no double send",
        arguments: StateBackend.allCases)
    func killedThenRetried(_ backend: StateBackend) async throws {
        let count = backend == .sqlite ? 200 : 40
        try await withScratch { scratch in
            try await backend.withHandlerState { state in
                let data = scratch.appendingPathComponent("data")
                let events = try ExactlyOnce.distinctCarts(count)
                let lease = 2
                // Crash: one process per event, killed after a random moment between its start and
                // about when it would have finished (before its claim, while it holds it, between
                // the .eml and the audit's terminal record, or after). One process per event: two
                // live processes on one event with a 2 s lease could see a stalled holder taken
                // over, which is the lease doing its job, not a crash.
                var crashes: [ExactlyOnce.Launch] = []
                for (index, event) in events.enumerated() {
                    let file = scratch.appendingPathComponent("event-\(index).json")
                    try Data(event.body.utf8).write(to: file)
                    crashes.append(
                        ExactlyOnce.Launch(
                            handler: "cartAbandoned", stdin: file,
                            environment: ExactlyOnce.environment(
                                data: data, now: ExactlyOnce.canonicalNow, state: state,
                                extra: ["TIDINGS_CLAIM_LEASE_SECONDS": "\(lease)"]),
                            killAfter: Double.random(in: 0.005...0.2)))
                }
                let crashed = try await ExactlyOnce.run(crashes, parallel: 4, scratch: scratch)
                // Each crash run was killed or handled its event (a configuration refused would make
                // every run end at start-up, and the test prove nothing).
                for run in crashed where !run.killed { #expect(run.status == 0, "\(run.stdout) \(run.stderr)") }
                let killed = crashed.filter(\.killed).count
                let finalBefore = Set(try ExactlyOnce.terminals(data).filter(\.isFinal).map(\.eventID))
                // The test means something only when handlings were cut short.
                #expect(killed > 0)
                #expect(finalBefore.count < count, "no process was killed before its event's terminal record")

                // Retry after the lease: four workers, each over every event in its own order (an
                // SQS batch), with the default lease, so the killed holders' claims are taken over
                // and the retries race each other too.
                try await Task.sleep(for: .seconds(lease + 1))
                var retries: [ExactlyOnce.Launch] = []
                for worker in 0..<4 {
                    let batch = scratch.appendingPathComponent("retry-\(worker).json")
                    try ExactlyOnce.sqsBatch(events.shuffled().map(\.body)).write(to: batch)
                    retries.append(
                        ExactlyOnce.Launch(
                            handler: "cartAbandoned", stdin: batch,
                            environment: ExactlyOnce.environment(
                                data: data, now: ExactlyOnce.canonicalNow, state: state)))
                }
                let retried = try await ExactlyOnce.run(retries, parallel: 4, scratch: scratch)
                for run in retried {
                    #expect(run.status == 0, "\(run.stderr)")
                    #expect(run.stdout.contains(#""batchItemFailures":[]"#), "\(run.stdout)")
                }

                let terminals = try await ExactlyOnce.auditHoldsNoDoubleSend(data)
                var byEvent: [String: [ExactlyOnce.Terminal]] = [:]
                for terminal in terminals { byEvent[terminal.eventID, default: []].append(terminal) }
                #expect(Set(byEvent.keys) == Set(events.map(\.id)))
                for (id, ends) in byEvent {
                    // Exactly one final outcome, and it is the send; every other end is a duplicate.
                    #expect(ends.filter(\.isFinal).map(\.outcome) == ["sent"], "\(id): \(ends)")
                    #expect(ends.allSatisfy { $0.isFinal || $0.outcome == "duplicate" }, "\(id): \(ends)")
                }
                // The outbox's file name is deterministic, so a second send would replace, not add:
                // the audit's count above is the real proof; this one shows every event has its email.
                let eml = try ExactlyOnce.emlFiles(data)
                #expect(eml == Dictionary(uniqueKeysWithValues: events.map { ($0.id, 1) }), "\(eml)")
            }
        }
    }
}
