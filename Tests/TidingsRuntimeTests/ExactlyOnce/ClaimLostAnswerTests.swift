import Foundation
import Testing
import TidingsCore

@testable import TidingsRuntime

/// A DynamoDB table that applies each key's first claim PutItem and answers it 500
/// (`InternalServerError`, which DynamoDB documents as "may or may not have succeeded"), so the
/// store sends it again; the condition then fails on the handling's own item, which the failure
/// returns (`ReturnValuesOnConditionCheckFailure: ALL_OLD`), as DynamoDB does. Every other call
/// (the completion) succeeds.
final class LostClaimAnswerTable: HTTPTransport, @unchecked Sendable {
    private let lock = NSLock()
    /// The items the first PutItems wrote, by their `pk` (the event's claim, the cart's).
    private var claimItems: [String: JSONValue] = [:]
    private var sent: [String] = []

    /// The operations asked for, in order.
    var operations: [String] { lock.withLock { sent } }

    func send(_ request: TransportRequest) async throws -> TransportResponse {
        let operation = (request.headers["X-Amz-Target"] ?? "").replacingOccurrences(
            of: "DynamoDB_20120810.", with: "")
        let members = try JSONParser.parse(request.body).objectValue ?? [:]
        let answer: (Int, JSONValue) = lock.withLock {
            sent.append(operation)
            guard operation == "PutItem" else { return (200, [:]) }
            let key = members["Item"]?.objectValue?["pk"]?.objectValue?["S"]?.stringValue ?? ""
            guard let item = claimItems[key] else {
                claimItems[key] = members["Item"]
                return (500, ["__type": "com.amazonaws.dynamodb.v20120810#InternalServerError", "message": "retry"])
            }
            return (
                400,
                [
                    "__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
                    "message": "The conditional request failed", "Item": item,
                ]
            )
        }
        return TransportResponse(status: answer.0, headers: [:], body: Array(try JSONEncoder().encode(answer.1)))
    }
}

/// What the claim does when the store finds the handling's own claim: a retried write whose first
/// answer was lost.
@Suite("The event claim when a claim's answer is lost")
struct ClaimLostAnswerTests {
    @Test("a claim written, its answer lost and retried, finds its own owner: the event is handled, not held")
    func ownClaimIsHandled() async throws {
        try await withScratch { data in
            let table = LostClaimAnswerTable()
            let configuration = try RuntimeTestSupport.configuration(dataDirectory: data, extra: [:])
            var stages = try FunctionEnvironment.embeddedStages(
                function: .cartAbandoned, configuration: configuration,
                clock: FixedClock(Timestamp.parse(ExactlyOnce.canonicalNow)!))
            stages.state = DynamoDBStateStore(
                table: "tidings-state", endpoint: "http://127.0.0.1:1", region: "eu-west-1",
                credentials: AWSCredentials(accessKeyID: "AKID", secretAccessKey: Secret("s")), transport: table)
            let handler = InvocationHandler(
                pipeline: try Pipeline(
                    flow: .cartAbandoned(configuration), configuration: configuration, stages: stages))
            // Under the Runtime API: a run that took its own claim for another's would wait for
            // the lease until a second before this deadline and end claim_held.
            let answer = await handler.handle(
                Array(try Data(contentsOf: ExactlyOnce.canonicalCart)), deadline: Date().addingTimeInterval(5),
                correlationID: "lost-answer", logger: RuntimeTestSupport.quietLogger)
            let report = try #require(answer.reports.first)
            #expect(report.outcome == .sent, "\(report.reason ?? "")")
            // The event's claim and the cart's, each written, its answer lost, and sent again.
            #expect(table.operations.prefix(4) == ["PutItem", "PutItem", "PutItem", "PutItem"], "\(table.operations)")
            // Both claims are completed with the outcome, by the owners that wrote them.
            #expect(table.operations.filter { $0 == "UpdateItem" }.count == 2, "\(table.operations)")
        }
    }
}
