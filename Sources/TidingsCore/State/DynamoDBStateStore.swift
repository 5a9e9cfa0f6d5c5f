import Foundation

/// The `StateStore` on Lambda (`TIDINGS_STATE=dynamodb`): one DynamoDB table keyed by `pk` (a
/// string, the state key), every operation one conditional request, so the table itself decides
/// who wins. The JSON 1.0 protocol (`X-Amz-Target: DynamoDB_20120810.<Operation>`), signed with
/// SigV4 (signing name "dynamodb"). The slice of the API used is in
/// Tests/Fixtures/specs/aws/dynamodb; docs/decisions/state-store.md has the item layout.
///
/// Items hold `kind` (`claimed`, `completed`, `tombstone`, `counter`, `suppression`) and the
/// attributes that kind uses: `owner`, `lease_until` and `time` (milliseconds since 1970),
/// `result`, `amount`, and `expires_at` (seconds, the table's TTL attribute).
///
/// A throttled request (ProvisionedThroughputExceededException, ThrottlingException,
/// RequestLimitExceeded) or a 5xx is tried again up to `maxAttempts` times with a short backoff,
/// then thrown as `.busy`; no answer at all is `.unavailable`. Both are retryable.
package struct DynamoDBStateStore: StateStore {
    /// The table's name (`TIDINGS_DYNAMODB_TABLE`).
    package let table: String
    /// The service's base URL (`https://dynamodb.REGION.amazonaws.com`, or the override).
    package let endpoint: String
    /// Signs each request.
    package let signer: SigV4Signer
    /// The HTTP transport.
    package let transport: any HTTPTransport
    /// The signing clock (not the lease clock: leases use the `now` each call is given).
    package let clock: any TimeSource
    /// Attempts per request when DynamoDB throttles (default 4).
    package let maxAttempts: Int

    /// The API version in every `X-Amz-Target`.
    package static let targetPrefix = "DynamoDB_20120810."
    /// The JSON 1.0 content type.
    package static let contentType = "application/x-amz-json-1.0"

    /// A store on `table` at `endpoint` in `region`.
    package init(
        table: String, endpoint: String, region: String, credentials: AWSCredentials, transport: any HTTPTransport,
        clock: any TimeSource = SystemClock(), maxAttempts: Int = 4
    ) {
        self.table = table
        self.endpoint = ModelEndpoint.trimmed(endpoint)
        self.signer = SigV4Signer(credentials: credentials, region: region, service: "dynamodb")
        self.transport = transport
        self.clock = clock
        self.maxAttempts = max(1, maxAttempts)
    }

    // MARK: - Claims

    package func claim(_ key: String, owner: String, leaseUntil: Date, now: Date) async throws(StateStoreError)
        -> ClaimOutcome
    {
        try StateKey.validate(key)
        let lease = SQLiteStateStore.milliseconds(leaseUntil)
        let request: [String: JSONValue] = [
            "Item": [
                "pk": .s(key), "kind": .s("claimed"), "owner": .s(owner), "lease_until": .n(lease),
                "expires_at": .n(SQLiteStateStore.claimExpiry(leaseUntil)),
            ],
            // Free, a lease run out, or a result kept past its expiry (TTL deletes such items only
            // eventually, up to days later).
            "ConditionExpression": .string(
                "attribute_not_exists(pk) OR (#kind = :claimed AND #lease_until <= :now)"
                    + " OR (#kind = :completed AND #expires_at <= :now_seconds)"),
            "ExpressionAttributeNames": ["#kind": "kind", "#lease_until": "lease_until", "#expires_at": "expires_at"],
            "ExpressionAttributeValues": [
                ":claimed": .s("claimed"), ":completed": .s("completed"),
                ":now": .n(SQLiteStateStore.milliseconds(now)), ":now_seconds": .n(SQLiteStateStore.wholeSeconds(now)),
            ],
            "ReturnValues": "ALL_OLD",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        ]
        // A key released between the failed condition and the read is free again: claim once more.
        for _ in 0..<3 {
            switch try await send("PutItem", key: key, request) {
            case .success(let answer):
                // Only a lease taken over names its holder; an expired result had none left.
                let previous = answer["Attributes"]?.objectValue.flatMap {
                    Self.string($0, "kind") == "claimed" ? Self.string($0, "owner") : nil
                }
                return .claimed(tookOverFrom: previous)
            case .conditionFailed(let old):
                guard let item = try await Self.or(old, read: { () throws(StateStoreError) in try await read(key) })
                else { continue }
                switch Self.string(item, "kind") {
                case "completed":
                    return .completed(result: Self.string(item, "result") ?? "")
                case "claimed":
                    let holder = Self.string(item, "owner") ?? ""
                    let until = Self.number(item, "lease_until") ?? 0
                    // Our own write whose answer was lost and whose request was sent again.
                    if holder == owner && until == lease && old == nil { return .claimed(tookOverFrom: nil) }
                    return .heldBy(owner: holder, until: Date(timeIntervalSince1970: Double(until) / 1000))
                case let kind:
                    throw StateStoreError(
                        code: .corrupt, key: key, reason: "the key holds a \(kind ?? "kindless") item, not a claim")
                }
            }
        }
        throw StateStoreError(code: .busy, key: key, reason: "the claim kept changing under three attempts")
    }

    package func complete(_ key: String, owner: String, result: String, expiresAt: Date) async throws(StateStoreError) {
        try StateKey.validate(key)
        let request: [String: JSONValue] = [
            "Key": ["pk": .s(key)],
            "UpdateExpression": "SET #kind = :completed, #result = :result, #expires_at = :expires REMOVE #lease_until",
            "ConditionExpression": "#kind = :claimed AND #owner = :owner",
            "ExpressionAttributeNames": [
                "#kind": "kind", "#result": "result", "#expires_at": "expires_at", "#lease_until": "lease_until",
                "#owner": "owner",
            ],
            "ExpressionAttributeValues": [
                ":completed": .s("completed"), ":result": .s(result),
                ":expires": .n(SQLiteStateStore.seconds(expiresAt)), ":claimed": .s("claimed"), ":owner": .s(owner),
            ],
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        ]
        if case .conditionFailed(let old) = try await send("UpdateItem", key: key, request) {
            throw notHolder(key, owner: owner, item: old)
        }
    }

    package func release(_ key: String, owner: String) async throws(StateStoreError) {
        try StateKey.validate(key)
        let request: [String: JSONValue] = [
            "Key": ["pk": .s(key)],
            "ConditionExpression": "#kind = :claimed AND #owner = :owner",
            "ExpressionAttributeNames": ["#kind": "kind", "#owner": "owner"],
            "ExpressionAttributeValues": [":claimed": .s("claimed"), ":owner": .s(owner)],
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        ]
        if case .conditionFailed(let old) = try await send("DeleteItem", key: key, request) {
            throw notHolder(key, owner: owner, item: old)
        }
    }

    package func completedResult(_ key: String) async throws(StateStoreError) -> String? {
        try StateKey.validate(key)
        guard let item = try await read(key), Self.string(item, "kind") == "completed" else { return nil }
        return Self.string(item, "result") ?? ""
    }

    // MARK: - Tombstones

    @discardableResult
    package func writeTombstone(_ key: String, time: Date, expiresAt: Date) async throws(StateStoreError) -> Date {
        try StateKey.validate(key)
        let request: [String: JSONValue] = [
            "Item": [
                "pk": .s(key), "kind": .s("tombstone"), "time": .n(SQLiteStateStore.milliseconds(time)),
                "expires_at": .n(SQLiteStateStore.seconds(expiresAt)),
            ],
            "ConditionExpression": "attribute_not_exists(pk)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        ]
        switch try await send("PutItem", key: key, request) {
        case .success: return time
        case .conditionFailed(let old):
            let item = try await Self.or(old, read: { () throws(StateStoreError) in try await read(key) })
            return try Self.tombstoneTime(item, key: key) ?? time
        }
    }

    package func tombstone(_ key: String) async throws(StateStoreError) -> Date? {
        try StateKey.validate(key)
        return try Self.tombstoneTime(try await read(key), key: key)
    }

    // MARK: - Counters

    package func increment(_ key: String, by amount: Int64, in window: CounterWindow, cap: Int64?)
        async throws(StateStoreError) -> CounterOutcome
    {
        try StateKey.validate(key)
        guard amount > 0 || (amount < 0 && cap == nil) else {
            throw StateStoreError(
                code: .invalidKey, key: key, reason: "the amount \(amount) is not positive (or negative without a cap)")
        }
        let stored = window.storageKey(key)
        if let cap, amount > cap { return .capReached(total: try await count(key, in: window)) }
        var values: [String: JSONValue] = [
            ":counter": .s("counter"), ":amount": .n(amount),
            ":expires": .n(SQLiteStateStore.seconds(window.end) + 86_400),
        ]
        var condition = "attribute_not_exists(pk) OR #kind = :counter"
        if amount < 0 {
            // Taking back: only a counter that holds at least the amount (never below 0).
            condition = "#kind = :counter AND #amount >= :floor"
            values[":floor"] = .n(-amount)
        } else if let cap {
            condition = "attribute_not_exists(pk) OR (#kind = :counter AND #amount <= :limit)"
            values[":limit"] = .n(cap - amount)
        }
        let request: [String: JSONValue] = [
            "Key": ["pk": .s(stored)],
            "UpdateExpression": "SET #kind = :counter, #expires_at = :expires ADD #amount :amount",
            "ConditionExpression": .string(condition),
            "ExpressionAttributeNames": ["#kind": "kind", "#amount": "amount", "#expires_at": "expires_at"],
            "ExpressionAttributeValues": .object(values),
            "ReturnValues": "UPDATED_NEW",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        ]
        switch try await send("UpdateItem", key: stored, request) {
        case .success(let answer):
            guard let total = answer["Attributes"]?.objectValue.flatMap({ Self.number($0, "amount") }) else {
                throw StateStoreError(code: .failed, key: stored, reason: "UpdateItem answered without the new amount")
            }
            return .counted(total: total)
        case .conditionFailed(let old):
            let item = try await Self.or(old, read: { () throws(StateStoreError) in try await read(stored) })
            if amount < 0, item == nil || item.flatMap({ Self.string($0, "kind") }) == "counter" {
                // Nothing (or less than the amount) to take back: the counter stays as it is.
                return .counted(total: item.flatMap { Self.number($0, "amount") } ?? 0)
            }
            guard let item else {
                throw StateStoreError(code: .busy, key: stored, reason: "the counter changed under the increment")
            }
            guard Self.string(item, "kind") == "counter" else {
                throw StateStoreError(
                    code: .corrupt, key: stored,
                    reason: "the key holds a \(Self.string(item, "kind") ?? "kindless") item, not a counter")
            }
            return .capReached(total: Self.number(item, "amount") ?? 0)
        }
    }

    package func count(_ key: String, in window: CounterWindow) async throws(StateStoreError) -> Int64 {
        try StateKey.validate(key)
        let stored = window.storageKey(key)
        guard let item = try await read(stored) else { return 0 }
        guard Self.string(item, "kind") == "counter" else {
            throw StateStoreError(code: .corrupt, key: stored, reason: "the key holds an item that is not a counter")
        }
        return Self.number(item, "amount") ?? 0
    }

    // MARK: - Suppression

    package func addSuppression(_ entry: SuppressionEntry) async throws(StateStoreError) {
        let keys = SQLiteStateStore.suppressionKeys(entry)
        guard !keys.isEmpty else {
            throw StateStoreError(
                code: .invalidKey, key: "suppression", reason: "the entry has neither a customer id nor an address hash"
            )
        }
        for key in keys {
            try StateKey.validate(key)
            let request: [String: JSONValue] = [
                "Item": [
                    "pk": .s(key), "kind": .s("suppression"), "result": .s(entry.stateValue),
                    "time": .n(SQLiteStateStore.milliseconds(entry.time)),
                ]
            ]
            _ = try await send("PutItem", key: key, request)
        }
    }

    package func suppression(customerID: String?, addressHash: String?) async throws(StateStoreError)
        -> SuppressionEntry?
    {
        let keys = [
            customerID.map(StateKey.suppression(customerID:)), addressHash.map(StateKey.suppression(addressHash:)),
        ]
        for case let key? in keys {
            try StateKey.validate(key)
            guard let item = try await read(key), Self.string(item, "kind") == "suppression" else { continue }
            return try SuppressionEntry(stateValue: Self.string(item, "result") ?? "", key: key)
        }
        return nil
    }

    // MARK: - Wire

    /// What a conditional request came to.
    enum Answer {
        /// 200, with the answer's members.
        case success([String: JSONValue])
        /// ConditionalCheckFailedException, with the item as it was when DynamoDB sent it
        /// (ReturnValuesOnConditionCheckFailure=ALL_OLD) and nil when it did not.
        case conditionFailed([String: JSONValue]?)
    }

    /// `old` when DynamoDB sent the item with its ConditionalCheckFailedException (moto and older
    /// endpoints may not), else what `read` finds.
    static func or(
        _ old: [String: JSONValue]?, read: () async throws(StateStoreError) -> [String: JSONValue]?
    ) async throws(StateStoreError) -> [String: JSONValue]? {
        if let old { return old }
        return try await read()
    }

    /// The item under `key`, read strongly consistent; nil when there is none.
    func read(_ key: String) async throws(StateStoreError) -> [String: JSONValue]? {
        let request: [String: JSONValue] = ["Key": ["pk": .s(key)], "ConsistentRead": true]
        guard case .success(let answer) = try await send("GetItem", key: key, request) else { return nil }
        return answer["Item"]?.objectValue
    }

    /// The signed request for `operation` with `members` (TableName added).
    package func request(_ operation: String, _ members: [String: JSONValue]) throws(StateStoreError)
        -> TransportRequest
    {
        var body = members
        body["TableName"] = .string(table)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let request = TransportRequest(
            method: "POST", url: endpoint + "/",
            headers: ["Content-Type": Self.contentType, "X-Amz-Target": Self.targetPrefix + operation],
            // Encoding a JSONValue cannot fail.
            body: Array((try? encoder.encode(JSONValue.object(body))) ?? Data()))
        do {
            return try signer.sign(request, at: clock.now)
        } catch {
            throw StateStoreError(code: .failed, key: "", reason: error.description)
        }
    }

    /// Sends `operation`, trying a throttled or 5xx answer again, and reads the answer.
    func send(_ operation: String, key: String, _ members: [String: JSONValue]) async throws(StateStoreError)
        -> Answer
    {
        var attempt = 0
        while true {
            attempt += 1
            let response: TransportResponse
            do {
                response = try await transport.send(try request(operation, members))
            } catch let error as StateStoreError {
                throw error
            } catch {
                let reason = (error as? TransportError).map { "no answer from \($0.host): \($0.code.rawValue)" }
                throw StateStoreError(
                    code: .unavailable, key: key, reason: "\(operation): \(reason ?? String(describing: error))")
            }
            let document = (try? JSONParser.parse(response.body))?.objectValue ?? [:]
            if response.status == 200 { return .success(document) }
            let type = Self.errorType(document)
            if type == "ConditionalCheckFailedException" { return .conditionFailed(document["Item"]?.objectValue) }
            let error = Self.error(operation, key: key, status: response.status, type: type, document: document)
            guard error.code == .busy, attempt < maxAttempts else { throw error }
            // Full jitter on 25 ms doubling: DynamoDB's throttles clear within a partition's second.
            let ceiling = 0.025 * Double(1 << min(attempt, 6))
            try? await Task.sleep(nanoseconds: UInt64(Double.random(in: 0...ceiling) * 1e9))
        }
    }

    /// The error type in a JSON 1.0 error body's `__type`, without its `namespace#` prefix.
    package static func errorType(_ document: [String: JSONValue]) -> String? {
        guard let raw = document["__type"]?.stringValue, !raw.isEmpty else { return nil }
        return raw.lastIndex(of: "#").map { String(raw[raw.index(after: $0)...]) } ?? raw
    }

    /// The `StateStoreError` a failed answer means: throttling and 5xx are `.busy`, everything else
    /// (a missing table, refused credentials, a malformed request) `.failed`.
    package static func error(
        _ operation: String, key: String, status: Int, type: String?, document: [String: JSONValue]
    ) -> StateStoreError {
        let busy: Set<String> = [
            "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
            "TransactionConflictException", "InternalServerError", "LimitExceededException",
        ]
        let isBusy = type.map(busy.contains) ?? false || (500...599).contains(status) || status == 429
        let message = (document["message"] ?? document["Message"])?.stringValue ?? ""
        var reason = "\(operation): HTTP \(status) \(type ?? "without an error type")"
        if !message.isEmpty { reason += ": \(message.prefix(200))" }
        return StateStoreError(code: isBusy ? .busy : .failed, key: key, reason: reason)
    }

    private func notHolder(_ key: String, owner: String, item: [String: JSONValue]?) -> StateStoreError {
        let found =
            switch item.flatMap({ Self.string($0, "kind") }) {
            case nil: "the key is not claimed"
            case "claimed": "it is held by \(item.flatMap { Self.string($0, "owner") } ?? "")"
            case let kind?: "the key is \(kind)"
            }
        return StateStoreError(code: .notHolder, key: key, reason: "\(owner) does not hold the claim: \(found)")
    }

    static func tombstoneTime(_ item: [String: JSONValue]?, key: String) throws(StateStoreError) -> Date? {
        guard let item else { return nil }
        guard string(item, "kind") == "tombstone", let time = number(item, "time") else {
            throw StateStoreError(
                code: .corrupt, key: key,
                reason: "the key holds a \(string(item, "kind") ?? "kindless") item, not a tombstone")
        }
        return Date(timeIntervalSince1970: Double(time) / 1000)
    }

    /// A string attribute (`{"S": ...}`) of an item.
    static func string(_ item: [String: JSONValue], _ name: String) -> String? {
        item[name]?.objectValue?["S"]?.stringValue
    }

    /// A number attribute (`{"N": "..."}`) of an item, when it is an integer.
    static func number(_ item: [String: JSONValue], _ name: String) -> Int64? {
        item[name]?.objectValue?["N"]?.stringValue.flatMap { Int64($0) }
    }
}

extension JSONValue {
    /// A DynamoDB string attribute value, `{"S": text}`.
    static func s(_ text: String) -> JSONValue { ["S": .string(text)] }
    /// A DynamoDB number attribute value, `{"N": "123"}` (numbers travel as strings).
    static func n(_ value: Int64) -> JSONValue { ["N": .string(String(value))] }
}
