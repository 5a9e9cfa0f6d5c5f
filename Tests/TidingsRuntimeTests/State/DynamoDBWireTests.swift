import Foundation
import Testing
import TidingsCore

/// The DynamoDB JSON 1.0 wire, pinned: the target header, the content type, the body's bytes for a
/// claim, and how error answers map to codes. Members and shapes follow the slice of the API in
/// Tests/Fixtures/specs/aws/dynamodb/service-2.slice.json.
@Suite("DynamoDB state store wire")
struct DynamoDBWireTests {
    let store = DynamoDBStateStore(
        table: "tidings-state", endpoint: "https://dynamodb.eu-west-1.amazonaws.com/", region: "eu-west-1",
        credentials: AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: Secret("secret")),
        transport: CannedDynamoDBTransport(), clock: FixedClock(Date(timeIntervalSince1970: 1_795_000_000)))

    @Test("PutItem's request: POST /, X-Amz-Target, JSON 1.0, SigV4 for dynamodb, sorted body")
    func putItemRequest() throws {
        let request = try store.request("PutItem", ["Item": ["pk": ["S": "event:x"]], "ReturnValues": "ALL_OLD"])
        #expect(request.url == "https://dynamodb.eu-west-1.amazonaws.com/")
        #expect(request.headers["X-Amz-Target"] == "DynamoDB_20120810.PutItem")
        #expect(request.headers["Content-Type"] == "application/x-amz-json-1.0")
        #expect(request.headers["Authorization"]?.contains("/eu-west-1/dynamodb/aws4_request") == true)
        #expect(
            String(decoding: request.body, as: UTF8.self)
                == #"{"Item":{"pk":{"S":"event:x"}},"ReturnValues":"ALL_OLD","TableName":"tidings-state"}"#)
    }

    @Test("a claim sends one conditional PutItem that returns the old item either way")
    func claimBody() async throws {
        let transport = CannedDynamoDBTransport(status: 200, body: "{}")
        let store = DynamoDBStateStore(
            table: "t-1", endpoint: "http://127.0.0.1:1", region: "eu-west-1",
            credentials: AWSCredentials(accessKeyID: "AKID", secretAccessKey: Secret("s")), transport: transport)
        let now = Date(timeIntervalSince1970: 1_795_000_000)
        #expect(
            try await store.claim("event:a", owner: "o", leaseUntil: now + 30, now: now) == .claimed(tookOverFrom: nil))
        let sent = try #require(transport.requests.first)
        #expect(transport.requests.count == 1)
        #expect(
            String(decoding: sent.body, as: UTF8.self)
                == ##"{"ConditionExpression":"attribute_not_exists(pk) OR (#kind = :claimed AND #lease_until <= :now)"##
                + ##" OR (#kind = :completed AND #expires_at <= :now_seconds)","##
                + ##""ExpressionAttributeNames":{"#expires_at":"expires_at","#kind":"kind","#lease_until":"lease_until"},"##
                + ##""ExpressionAttributeValues":{":claimed":{"S":"claimed"},":completed":{"S":"completed"},"##
                + ##"":now":{"N":"1795000000000"},":now_seconds":{"N":"1795000000"}},"##
                + ##""Item":{"expires_at":{"N":"1795086430"},"kind":{"S":"claimed"},"lease_until":{"N":"1795000030000"},"owner":{"S":"o"},"pk":{"S":"event:a"}},"##
                + ##""ReturnValues":"ALL_OLD","ReturnValuesOnConditionCheckFailure":"ALL_OLD","TableName":"t-1"}"##)
    }

    @Test("ConditionalCheckFailedException with the old item answers who holds the key")
    func conditionFailed() async throws {
        let transport = CannedDynamoDBTransport(
            status: 400,
            body:
                #"{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed","Item":{"pk":{"S":"event:a"},"kind":{"S":"claimed"},"owner":{"S":"other"},"lease_until":{"N":"1795000030000"}}}"#
        )
        let store = DynamoDBStateStore(
            table: "t-1", endpoint: "http://127.0.0.1:1", region: "eu-west-1",
            credentials: AWSCredentials(accessKeyID: "AKID", secretAccessKey: Secret("s")), transport: transport)
        let now = Date(timeIntervalSince1970: 1_795_000_000)
        #expect(
            try await store.claim("event:a", owner: "o", leaseUntil: now + 30, now: now)
                == .heldBy(owner: "other", until: now + 30))
        #expect(transport.requests.count == 1)
    }

    @Test("a condition failure without the item reads it; our own lease there means the claim was ours")
    func lostAnswer() async throws {
        let failed = #"{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"no"}"#
        func item(owner: String) -> String {
            #"{"Item":{"pk":{"S":"event:a"},"kind":{"S":"claimed"},"owner":{"S":""#
                + owner + #""},"lease_until":{"N":"1795000030000"}}}"#
        }
        let now = Date(timeIntervalSince1970: 1_795_000_000)
        for (holder, expected) in [
            ("o", ClaimOutcome.claimed(tookOverFrom: nil)), ("other", .heldBy(owner: "other", until: now + 30)),
        ] {
            let transport = CannedDynamoDBTransport([(400, failed), (200, item(owner: holder))])
            let store = DynamoDBStateStore(
                table: "t-1", endpoint: "http://127.0.0.1:1", region: "eu-west-1",
                credentials: AWSCredentials(accessKeyID: "AKID", secretAccessKey: Secret("s")), transport: transport)
            #expect(try await store.claim("event:a", owner: "o", leaseUntil: now + 30, now: now) == expected)
            #expect(
                transport.requests.map { $0.headers["X-Amz-Target"] } == [
                    "DynamoDB_20120810.PutItem", "DynamoDB_20120810.GetItem",
                ])
            #expect(String(decoding: transport.requests[1].body, as: UTF8.self).contains(#""ConsistentRead":true"#))
        }
    }

    @Test("throttling is retried then busy; a missing table fails and is not retried")
    func errors() async throws {
        let throttled = CannedDynamoDBTransport(
            status: 400,
            body:
                #"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"slow down"}"#
        )
        let store = DynamoDBStateStore(
            table: "t-1", endpoint: "http://127.0.0.1:1", region: "eu-west-1",
            credentials: AWSCredentials(accessKeyID: "AKID", secretAccessKey: Secret("s")), transport: throttled,
            maxAttempts: 3)
        do {
            _ = try await store.completedResult("event:a")
            Issue.record("a throttled read succeeded")
        } catch {
            #expect(error.code == .busy)
            #expect(error.isRetryable)
            #expect(error.reason.contains("ProvisionedThroughputExceededException"))
        }
        #expect(throttled.requests.count == 3)

        let missing = CannedDynamoDBTransport(
            status: 400,
            body:
                #"{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"Requested resource not found"}"#
        )
        let other = DynamoDBStateStore(
            table: "t-1", endpoint: "http://127.0.0.1:1", region: "eu-west-1",
            credentials: AWSCredentials(accessKeyID: "AKID", secretAccessKey: Secret("s")), transport: missing)
        do {
            _ = try await other.tombstone("order:x:1:cancelled")
            Issue.record("a missing table was not reported")
        } catch {
            #expect(error.code == .failed)
            #expect(!error.isRetryable)
            #expect(error.key == "order:x:1:cancelled")
        }
        #expect(missing.requests.count == 1)
    }

    @Test("TIDINGS_STATE: sqlite by default; dynamodb needs a table and reads AWS settings like SES")
    func settings() throws {
        #expect(try StateSettings.load(environment: [:]).backend == .sqlite)
        #expect(throws: ConfigurationError.self) { try StateSettings.load(environment: ["TIDINGS_STATE": "redis"]) }
        do {
            _ = try StateSettings.load(environment: ["TIDINGS_STATE": "dynamodb"])
            Issue.record("dynamodb without a table was accepted")
        } catch {
            #expect(error.key == "TIDINGS_DYNAMODB_TABLE")
        }
        do {
            _ = try StateSettings.load(environment: ["TIDINGS_STATE": "dynamodb", "TIDINGS_DYNAMODB_TABLE": "t!"])
            Issue.record("a bad table name was accepted")
        } catch {
            #expect(error.key == "TIDINGS_DYNAMODB_TABLE")
        }
        do {
            _ = try StateSettings.load(environment: [
                "TIDINGS_STATE": "dynamodb", "TIDINGS_DYNAMODB_TABLE": "tidings-state",
            ])
            Issue.record("dynamodb without a region was accepted")
        } catch {
            #expect(error.key == "AWS_REGION")
            #expect(error.reason.contains("TIDINGS_STATE=dynamodb"))
        }
        let aws = [
            "TIDINGS_STATE": "DynamoDB", "TIDINGS_DYNAMODB_TABLE": "tidings-state", "AWS_REGION": "eu-west-1",
            "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret",
        ]
        let settings = try StateSettings.load(environment: aws)
        #expect(settings.dynamoDB?.aws.endpoint == "https://dynamodb.eu-west-1.amazonaws.com")
        #expect(settings.dynamoDB?.table == "tidings-state")
        let generic = try StateSettings.load(
            environment: aws.merging(["AWS_ENDPOINT_URL": "http://127.0.0.1:5000"]) { $1 })
        #expect(generic.dynamoDB?.aws.endpoint == "http://127.0.0.1:5000")
        let specific = try StateSettings.load(
            environment: aws.merging([
                "AWS_ENDPOINT_URL": "http://127.0.0.1:5000", "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:6000/",
            ]) { $1 })
        #expect(specific.dynamoDB?.aws.endpoint == "http://127.0.0.1:6000")
    }
}

/// Answers requests with canned responses, in order (the last one again when they run out), and
/// keeps what was sent.
final class CannedDynamoDBTransport: HTTPTransport, @unchecked Sendable {
    let responses: [(status: Int, body: String)]
    private let lock = NSLock()
    private var sent: [TransportRequest] = []

    init(status: Int = 200, body: String = "{}") { self.responses = [(status, body)] }

    init(_ responses: [(status: Int, body: String)]) { self.responses = responses }

    var requests: [TransportRequest] { lock.withLock { sent } }

    func send(_ request: TransportRequest) async throws -> TransportResponse {
        let index = lock.withLock {
            sent.append(request)
            return sent.count - 1
        }
        let response = responses[min(index, responses.count - 1)]
        return TransportResponse(status: response.status, headers: [:], body: Array(response.body.utf8))
    }
}

/// What the store sends exists in the API: each member it writes is a member of the operation's
/// input shape in DynamoDB's model (the slice in Tests/Fixtures/specs/aws/dynamodb), and the error
/// it reads the old item from carries `Item`.
@Suite("DynamoDB state store against the API model")
struct DynamoDBModelTests {
    static let slice = RuntimeTestSupport.root.appendingPathComponent(
        "Tests/Fixtures/specs/aws/dynamodb/service-2.slice.json")

    @Test("the members and the target prefix the store uses are in the model")
    func members() throws {
        let model = try JSONParser.parse(Array(try Data(contentsOf: Self.slice)))
        let metadata = try #require(model.objectValue?["metadata"]?.objectValue)
        #expect(metadata["targetPrefix"]?.stringValue == "DynamoDB_20120810")
        #expect(metadata["jsonVersion"]?.stringValue == "1.0")
        // No signingName: the signing name is the endpoint prefix.
        #expect(metadata["endpointPrefix"]?.stringValue == "dynamodb")
        #expect(metadata["protocol"]?.stringValue == "json")
        let shapes = try #require(model.objectValue?["shapes"]?.objectValue)
        func members(_ shape: String) -> Set<String> {
            Set(shapes[shape]?.objectValue?["members"]?.objectValue?.keys ?? [:].keys)
        }
        let used: [String: Set<String>] = [
            "PutItemInput": [
                "TableName", "Item", "ConditionExpression", "ExpressionAttributeNames", "ExpressionAttributeValues",
                "ReturnValues", "ReturnValuesOnConditionCheckFailure",
            ],
            "UpdateItemInput": [
                "TableName", "Key", "UpdateExpression", "ConditionExpression", "ExpressionAttributeNames",
                "ExpressionAttributeValues", "ReturnValues", "ReturnValuesOnConditionCheckFailure",
            ],
            "DeleteItemInput": [
                "TableName", "Key", "ConditionExpression", "ExpressionAttributeNames", "ExpressionAttributeValues",
                "ReturnValuesOnConditionCheckFailure",
            ],
            "GetItemInput": ["TableName", "Key", "ConsistentRead"],
            "ConditionalCheckFailedException": ["message", "Item"],
        ]
        for (shape, names) in used {
            #expect(names.isSubset(of: members(shape)), "\(shape) lacks \(names.subtracting(members(shape)))")
        }
        #expect(members("PutItemOutput").contains("Attributes"))
        #expect(members("UpdateItemOutput").contains("Attributes"))
        #expect(members("GetItemOutput").contains("Item"))
    }
}
