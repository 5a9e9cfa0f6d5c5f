import Foundation
import Testing
import TidingsCore
import TidingsHTTP

@testable import TidingsRuntime

/// The backends the conformance suite runs against.
enum StateBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case dynamodb

    var testDescription: String { rawValue }

    /// Runs `body` with a fresh, empty store of this backend: SQLite in a scratch folder, or a
    /// DynamoDB table created (CreateTable) in a moto server of its own.
    func withStore<Result>(_ body: (any StateStore) async throws -> Result) async throws -> Result {
        switch self {
        case .sqlite:
            return try await withScratch { folder in try await body(try SQLiteStateStore(folder: folder)) }
        case .dynamodb:
            return try await MotoServer.with { moto in try await body(try await moto.stateTable("tidings-state")) }
        }
    }
}

extension MotoServer {
    /// A `DynamoDBStateStore` on a new table `name` in this moto: CreateTable with `pk` (S) as the
    /// hash key, on-demand billing, as deploy/template.yaml declares it.
    func stateTable(_ name: String) async throws -> DynamoDBStateStore {
        let store = DynamoDBStateStore(
            table: name, endpoint: url, region: "eu-west-1",
            credentials: AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: Secret("secret")),
            transport: MotoServer.transport)
        let request = try store.request(
            "CreateTable",
            [
                "AttributeDefinitions": [["AttributeName": "pk", "AttributeType": "S"]],
                "KeySchema": [["AttributeName": "pk", "KeyType": "HASH"]],
                "BillingMode": "PAY_PER_REQUEST",
            ])
        let response = try await MotoServer.transport.send(request)
        try #require(response.status == 200, "CreateTable: \(String(decoding: response.body, as: UTF8.self))")
        return store
    }
}

/// One suite, two backends: what every `StateStore` must do, asserted the same way on SQLite and
/// on DynamoDB (moto). Each test starts from an empty store.
@Suite("State store conformance")
struct StateStoreConformanceTests {
    let now = Date(timeIntervalSince1970: 1_795_000_000)

    @Test("claim, duplicate, complete, result read, release", arguments: StateBackend.allCases)
    func claims(_ backend: StateBackend) async throws {
        try await backend.withStore { store in
            let key = StateKey.event(flow: "cartAbandoned", id: "evt-1")
            #expect(
                try await store.claim(key, owner: "a", leaseUntil: now + 30, now: now) == .claimed(tookOverFrom: nil))
            // A second claim inside the lease, by another owner and by the holder itself, is refused.
            #expect(
                try await store.claim(key, owner: "b", leaseUntil: now + 30, now: now + 1)
                    == .heldBy(owner: "a", until: now + 30))
            #expect(
                try await store.claim(key, owner: "a", leaseUntil: now + 60, now: now + 1)
                    == .heldBy(owner: "a", until: now + 30))
            #expect(try await store.completedResult(key) == nil)
            // Only the holder completes.
            await #expect(throws: StateStoreError.self) {
                try await store.complete(key, owner: "b", result: "sent", expiresAt: now + 86_400)
            }
            try await store.complete(key, owner: "a", result: #"{"outcome":"sent"}"#, expiresAt: now + 86_400)
            #expect(try await store.completedResult(key) == #"{"outcome":"sent"}"#)
            // A duplicate, even long after any lease, answers with the first one's result.
            #expect(
                try await store.claim(key, owner: "c", leaseUntil: now + 7_200, now: now + 3_600)
                    == .completed(result: #"{"outcome":"sent"}"#))
            // A completed key cannot be completed again or released.
            do {
                try await store.release(key, owner: "a")
                Issue.record("a completed key was released")
            } catch let error as StateStoreError {
                #expect(error.code == .notHolder)
            }

            // Release: the next claim gets the key.
            let other = StateKey.event(flow: "cartAbandoned", id: "evt-2")
            #expect(
                try await store.claim(other, owner: "a", leaseUntil: now + 30, now: now) == .claimed(tookOverFrom: nil))
            try await store.release(other, owner: "a")
            #expect(
                try await store.claim(other, owner: "b", leaseUntil: now + 30, now: now) == .claimed(tookOverFrom: nil))
            do {
                try await store.complete("event:never-claimed", owner: "a", result: "sent", expiresAt: now + 60)
                Issue.record("a never-claimed key was completed")
            } catch let error as StateStoreError {
                #expect(error.code == .notHolder)
                #expect(error.key == "event:never-claimed")
            }
        }
    }

    @Test(
        "a completed result answers until its expiry; after it, the key is claimed afresh",
        arguments: StateBackend.allCases)
    func completedResultsExpire(_ backend: StateBackend) async throws {
        try await backend.withStore { store in
            let key = "subject:cartAbandoned:shopify:cart:42"
            #expect(
                try await store.claim(key, owner: "a", leaseUntil: now + 30, now: now) == .claimed(tookOverFrom: nil))
            try await store.complete(key, owner: "a", result: "sent a", expiresAt: now + 3_600)
            #expect(
                try await store.claim(key, owner: "b", leaseUntil: now + 3_630, now: now + 3_599)
                    == .completed(result: "sent a"))
            // Past the expiry: a new claim, naming no holder (the result's owner is long gone).
            #expect(
                try await store.claim(key, owner: "b", leaseUntil: now + 3_630, now: now + 3_600)
                    == .claimed(tookOverFrom: nil))
            #expect(
                try await store.claim(key, owner: "c", leaseUntil: now + 3_700, now: now + 3_601)
                    == .heldBy(owner: "b", until: now + 3_630))
            try await store.complete(key, owner: "b", result: "sent b", expiresAt: now + 7_200)
            #expect(
                try await store.claim(key, owner: "c", leaseUntil: now + 3_700, now: now + 3_650)
                    == .completed(result: "sent b"))
        }
    }

    @Test(
        "a claim whose lease expired is taken over, and the old holder can no longer complete",
        arguments: StateBackend.allCases)
    func takeover(_ backend: StateBackend) async throws {
        try await backend.withStore { store in
            let key = StateKey.event(flow: "orderCreated", id: "evt-9")
            #expect(
                try await store.claim(key, owner: "crashed", leaseUntil: now + 30, now: now)
                    == .claimed(tookOverFrom: nil))
            // One millisecond before the lease ends it is still held; at its end it is free.
            #expect(
                try await store.claim(key, owner: "b", leaseUntil: now + 60, now: now + 29.999)
                    == .heldBy(owner: "crashed", until: now + 30))
            #expect(
                try await store.claim(key, owner: "b", leaseUntil: now + 90, now: now + 30)
                    == .claimed(tookOverFrom: "crashed"))
            do {
                try await store.complete(key, owner: "crashed", result: "sent", expiresAt: now + 86_400)
                Issue.record("the holder whose lease was taken over completed the key")
            } catch let error as StateStoreError {
                #expect(error.code == .notHolder)
                #expect(error.reason.contains("held by b"))
            }
            try await store.complete(key, owner: "b", result: "sent", expiresAt: now + 86_400)
            #expect(try await store.completedResult(key) == "sent")
        }
    }

    @Test("tombstones: the first write wins and a later write reads it", arguments: StateBackend.allCases)
    func tombstones(_ backend: StateBackend) async throws {
        try await backend.withStore { store in
            let key = StateKey.orderCancelled(platform: "shopify", orderID: "450789469")
            #expect(key == "order:shopify:450789469:cancelled")
            #expect(try await store.tombstone(key) == nil)
            #expect(try await store.writeTombstone(key, time: now, expiresAt: now + 86_400 * 30) == now)
            #expect(try await store.writeTombstone(key, time: now + 5, expiresAt: now + 86_400 * 30) == now)
            #expect(try await store.tombstone(key) == now)
            // A key that holds a claim is not a tombstone: the store says so rather than guess.
            let claimKey = "order:shopify:1:claim"
            _ = try await store.claim(claimKey, owner: "a", leaseUntil: now + 30, now: now)
            do {
                _ = try await store.tombstone(claimKey)
                Issue.record("a claim was read as a tombstone")
            } catch let error as StateStoreError {
                #expect(error.code == .corrupt)
            }
        }
    }

    @Test(
        "windowed counters: increments add up, a cap refuses the step past it, windows start at 0",
        arguments: StateBackend.allCases)
    func counters(_ backend: StateBackend) async throws {
        try await backend.withStore { store in
            let day = CounterWindow.day(containing: now)
            #expect(day.start == Date(timeIntervalSince1970: 1_794_960_000))
            let key = "marketing:shopify:customer-7"
            #expect(try await store.count(key, in: day) == 0)
            #expect(try await store.increment(key, by: 1, in: day, cap: 2) == .counted(total: 1))
            #expect(try await store.increment(key, by: 1, in: day, cap: 2) == .counted(total: 2))
            #expect(try await store.increment(key, by: 1, in: day, cap: 2) == .capReached(total: 2))
            #expect(try await store.count(key, in: day) == 2)
            // Spend in micro-dollars: a step that would pass the cap is refused whole.
            let spend = "spend:cartAbandoned"
            #expect(try await store.increment(spend, by: 700_000, in: day, cap: 1_000_000) == .counted(total: 700_000))
            #expect(
                try await store.increment(spend, by: 400_000, in: day, cap: 1_000_000) == .capReached(total: 700_000))
            #expect(
                try await store.increment(spend, by: 300_000, in: day, cap: 1_000_000) == .counted(total: 1_000_000))
            #expect(
                try await store.increment(spend, by: 2_000_000, in: day, cap: 1_000_000)
                    == .capReached(total: 1_000_000))
            // Without a cap it only counts.
            #expect(try await store.increment(spend, by: 5, in: day, cap: nil) == .counted(total: 1_000_005))
            // The next day's window is a new counter.
            let tomorrow = CounterWindow.day(containing: now + 86_400)
            #expect(try await store.increment(key, by: 1, in: tomorrow, cap: 2) == .counted(total: 1))
            do {
                _ = try await store.increment(key, by: 0, in: day, cap: nil)
                Issue.record("a zero increment was accepted")
            } catch let error as StateStoreError {
                #expect(error.code == .invalidKey)
            }
        }
    }

    @Test(
        "windowed counters: a negative amount takes back, never below 0, and only without a cap",
        arguments: StateBackend.allCases)
    func takeBack(_ backend: StateBackend) async throws {
        try await backend.withStore { store in
            let day = CounterWindow.day(containing: now)
            let key = "frequency:marketing:6100000001"
            #expect(try await store.increment(key, by: 1, in: day, cap: 1) == .counted(total: 1))
            #expect(try await store.increment(key, by: 1, in: day, cap: 1) == .capReached(total: 1))
            #expect(try await store.increment(key, by: -1, in: day, cap: nil) == .counted(total: 0))
            #expect(try await store.count(key, in: day) == 0)
            // The slot is free again; taking back more than there is leaves 0.
            #expect(try await store.increment(key, by: 1, in: day, cap: 1) == .counted(total: 1))
            #expect(try await store.increment(key, by: -5, in: day, cap: nil) == .counted(total: 1))
            #expect(try await store.count(key, in: day) == 1)
            #expect(
                try await store.increment("frequency:never-counted", by: -1, in: day, cap: nil) == .counted(total: 0))
            do {
                _ = try await store.increment(key, by: -1, in: day, cap: 3)
                Issue.record("a negative increment with a cap was accepted")
            } catch let error as StateStoreError {
                #expect(error.code == .invalidKey)
            }
        }
    }

    @Test("suppression entries are found by customer id and by address hash", arguments: StateBackend.allCases)
    func suppression(_ backend: StateBackend) async throws {
        try await backend.withStore { store in
            let hash = SuppressionKeys.addressHash("Ada@Example.com ")
            let entry = SuppressionEntry(
                customerID: "shopify:207119551", addressHash: hash, reason: .unsubscribe, source: "one_click", time: now
            )
            #expect(try await store.suppression(customerID: "shopify:207119551", addressHash: nil) == nil)
            try await store.addSuppression(entry)
            #expect(try await store.suppression(customerID: "shopify:207119551", addressHash: nil) == entry)
            #expect(
                try await store.suppression(
                    customerID: nil, addressHash: SuppressionKeys.addressHash("ada@example.com")) == entry)
            #expect(try await store.suppression(customerID: "shopify:other", addressHash: "00") == nil)
            let bounce = SuppressionEntry(
                customerID: nil, addressHash: SuppressionKeys.addressHash("b@example.com"), reason: .hardBounce,
                source: "ses_sns", time: now + 1)
            try await store.addSuppression(bounce)
            #expect(try await store.suppression(customerID: "x", addressHash: bounce.addressHash) == bounce)
            do {
                try await store.addSuppression(
                    SuppressionEntry(customerID: nil, addressHash: nil, reason: .complaint, source: "x", time: now))
                Issue.record("an entry without a customer or an address was accepted")
            } catch let error as StateStoreError {
                #expect(error.code == .invalidKey)
            }
        }
    }

    @Test("8 tasks claiming one key at once: exactly one claims", arguments: StateBackend.allCases)
    func eightWay(_ backend: StateBackend) async throws {
        try await backend.withStore { store in
            let outcomes = try await withThrowingTaskGroup(of: ClaimOutcome.self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        let now = Date()
                        return try await store.claim("event:race", owner: "w\(worker)", leaseUntil: now + 30, now: now)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let claimed = outcomes.filter { if case .claimed = $0 { true } else { false } }
            #expect(claimed.count == 1, "\(outcomes)")
            #expect(outcomes.count == 8)
        }
    }

    /// Every worker goes over every key in its own order, again and again: SQLite 3 rounds; moto,
    /// a Python server on a shared 2-core machine, 2 rounds (960 conditional writes).
    @Test("8 workers x 60 keys x repeated claims: every key is claimed exactly once", arguments: StateBackend.allCases)
    func workers(_ backend: StateBackend) async throws {
        try await backend.withStore { store in
            let keys = (0..<60).map { "event:load:\($0)" }
            let claims = try await withThrowingTaskGroup(of: [String].self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        var mine: [String] = []
                        for _ in 0..<(backend == .sqlite ? 3 : 2) {
                            for key in keys.shuffled() {
                                let now = Date()
                                if case .claimed = try await store.claim(
                                    key, owner: "w\(worker)", leaseUntil: now + 30, now: now)
                                {
                                    mine.append(key)
                                    try await store.complete(
                                        key, owner: "w\(worker)", result: "w\(worker)", expiresAt: now + 600)
                                }
                            }
                        }
                        return mine
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(claims.count == 60)
            #expect(Set(claims) == Set(keys))
            for key in keys.prefix(3) { #expect(try await store.completedResult(key)?.hasPrefix("w") == true) }
        }
    }
}
