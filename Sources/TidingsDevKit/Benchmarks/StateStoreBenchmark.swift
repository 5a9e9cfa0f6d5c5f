import Foundation
import Logging
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

/// A `StateStore` that passes every call to `inner` and adds the wall time of the calls that make
/// an event's claim (`claim`, `complete`, `release`, `completedResult`) to a running total, so the
/// pipeline benchmark can say what the claim costs each event where it is paid.
package final class ClaimTimingStore: StateStore, @unchecked Sendable {
    let inner: any StateStore
    private let lock = NSLock()
    private var nanoseconds: UInt64 = 0

    /// Wraps `inner`.
    package init(_ inner: any StateStore) { self.inner = inner }

    /// The claim time added since the last call, in microseconds; starts the next total at zero.
    package func takeMicroseconds() -> Double {
        lock.withLock {
            defer { nanoseconds = 0 }
            return Double(nanoseconds) / 1000
        }
    }

    private func timed<Value>(_ body: () async throws(StateStoreError) -> Value) async throws(StateStoreError)
        -> Value
    {
        let start = DispatchTime.now().uptimeNanoseconds
        defer {
            let elapsed = DispatchTime.now().uptimeNanoseconds - start
            lock.withLock { nanoseconds += elapsed }
        }
        return try await body()
    }

    package func claim(_ key: String, owner: String, leaseUntil: Date, now: Date) async throws(StateStoreError)
        -> ClaimOutcome
    {
        try await timed { () async throws(StateStoreError) in
            try await inner.claim(key, owner: owner, leaseUntil: leaseUntil, now: now)
        }
    }

    package func complete(_ key: String, owner: String, result: String, expiresAt: Date) async throws(StateStoreError) {
        try await timed { () async throws(StateStoreError) in
            try await inner.complete(key, owner: owner, result: result, expiresAt: expiresAt)
        }
    }

    package func release(_ key: String, owner: String) async throws(StateStoreError) {
        try await timed { () async throws(StateStoreError) in try await inner.release(key, owner: owner) }
    }

    package func completedResult(_ key: String) async throws(StateStoreError) -> String? {
        try await timed { () async throws(StateStoreError) in try await inner.completedResult(key) }
    }

    package func writeTombstone(_ key: String, time: Date, expiresAt: Date) async throws(StateStoreError) -> Date {
        try await inner.writeTombstone(key, time: time, expiresAt: expiresAt)
    }

    package func tombstone(_ key: String) async throws(StateStoreError) -> Date? {
        try await inner.tombstone(key)
    }

    package func increment(_ key: String, by amount: Int64, in window: CounterWindow, cap: Int64?)
        async throws(StateStoreError) -> CounterOutcome
    {
        try await inner.increment(key, by: amount, in: window, cap: cap)
    }

    package func count(_ key: String, in window: CounterWindow) async throws(StateStoreError) -> Int64 {
        try await inner.count(key, in: window)
    }

    package func addSuppression(_ entry: SuppressionEntry) async throws(StateStoreError) {
        try await inner.addSuppression(entry)
    }

    package func suppression(customerID: String?, addressHash: String?) async throws(StateStoreError)
        -> SuppressionEntry?
    {
        try await inner.suppression(customerID: customerID, addressHash: addressHash)
    }
}

extension StateStoreBenchmark {
    /// Per-event figures of a pipeline run, in microseconds.
    package struct PipelineReport: Sendable {
        /// Events timed (each a send: a fresh event about a fresh cart).
        package var count: Int
        /// The claim's calls per event (`ClaimTimingStore`): median and 99th percentile.
        package var claimMedian: Double
        package var claimP99: Double
        /// The whole handling per event: median and 99th percentile.
        package var eventMedian: Double
        package var eventP99: Double
        /// Outcomes seen, by name.
        package var outcomes: [String: Int]
    }

    /// Handles `deliveries` one after another on `pipeline`, whose state store must be `timing`,
    /// and reports what the claim added to each event next to the event's whole time.
    package static func pipeline(
        _ pipeline: Pipeline, timing: ClaimTimingStore, deliveries: [InboundDelivery], logger: Logger
    ) async -> PipelineReport {
        precondition(!deliveries.isEmpty, "a benchmark times at least one event")
        var claims: [Double] = []
        var events: [Double] = []
        var outcomes: [String: Int] = [:]
        for delivery in deliveries {
            _ = timing.takeMicroseconds()
            let start = DispatchTime.now().uptimeNanoseconds
            let report = await pipeline.handle(delivery, correlationID: "bench", logger: logger)
            events.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1000)
            claims.append(timing.takeMicroseconds())
            outcomes[report.outcome.rawValue, default: 0] += 1
        }
        claims.sort()
        events.sort()
        let rank = max(0, Int((Double(events.count) * 0.99).rounded(.up)) - 1)
        return PipelineReport(
            count: events.count, claimMedian: claims[claims.count / 2], claimP99: claims[rank],
            eventMedian: events[events.count / 2], eventP99: events[rank], outcomes: outcomes)
    }
}
