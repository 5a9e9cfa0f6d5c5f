import Foundation
import TidingsCore

/// What one claim and its completion cost on a store: `count` distinct keys, each claimed then
/// completed, one after the other, timed one by one (docs/BENCHMARKS.md, "State store claims").
package enum StateStoreBenchmark {
    /// The figures of a run, in microseconds.
    package struct Report: Sendable {
        /// How many claim + complete pairs were timed.
        package var count: Int
        /// The median pair.
        package var median: Double
        /// The 99th percentile pair (nearest rank).
        package var p99: Double
        /// The slowest pair.
        package var max: Double
    }

    /// Claims and completes `count` fresh keys (prefixed `prefix`) on `store` and reports the
    /// cost of each pair. Throws the first `StateStoreError`, or when a fresh key is not claimed.
    package static func run(_ store: any StateStore, count: Int, prefix: String) async throws -> Report {
        precondition(count > 0, "a benchmark times at least one claim")
        var samples: [Double] = []
        samples.reserveCapacity(count)
        let now = Date()
        for index in 0..<count {
            samples.append(try await timePair(store, key: "\(prefix):\(index)", now: now))
        }
        samples.sort()
        let rank = max(0, Int((Double(count) * 0.99).rounded(.up)) - 1)
        return Report(count: count, median: samples[count / 2], p99: samples[rank], max: samples[count - 1])
    }

    /// One claim and its completion on a fresh key, in microseconds. A function of its own, with
    /// the store's typed errors caught here: swift 6.3's release build crashed (LLVM coroutine
    /// splitting of the swifterror value) on the loop calling the typed-throwing methods inline.
    @inline(never)
    static func timePair(_ store: any StateStore, key: String, now: Date) async throws -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        let outcome: ClaimOutcome
        do {
            outcome = try await store.claim(key, owner: "bench", leaseUntil: now + 60, now: now)
            try await store.complete(key, owner: "bench", result: "sent", expiresAt: now + 86_400)
        } catch {
            throw error as any Error
        }
        guard case .claimed = outcome else {
            throw StateStoreError(code: .failed, key: key, reason: "a fresh key was not claimed")
        }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1000
    }
}
