import Foundation
import Testing
import TidingsCore
import TidingsDevKit

@testable import TidingsRuntime

#if canImport(Glibc)
    import Glibc
#endif

/// The real cartAbandoned binary under the loopback Runtime API: start-up failure, SIGTERM, and
/// `tidings emulate` end to end over the recorded events and every envelope fixture, with the
/// same outcomes in stdin mode.
@Suite("cartAbandoned binary, Runtime API mode", .serialized)
struct RuntimeBinaryTests {
    static let now = "2026-11-21T19:00:00Z"

    func environment(_ scratch: URL, _ extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["TIDINGS_DATA_DIR"] = scratch.path
        environment["TIDINGS_SHOP_DIR"] = RuntimeTestSupport.root.appendingPathComponent("Events/shop").path
        environment["TIDINGS_LOG_LEVEL"] = "error"
        environment["TIDINGS_NOW"] = Self.now
        environment.merge(RuntimeTestSupport.webhookSecrets) { _, new in new }
        environment.merge(extra) { _, new in new }
        return environment
    }

    func binary(_ name: String) throws -> URL {
        try #require(RuntimeTestSupport.builtBinary(name), "build the package first (swift build)")
    }

    @Test("A start-up failure posts /runtime/init/error naming the key and exits 78")
    func initFailure() throws {
        try withScratchSync { scratch in
            var emulation = Emulation(
                binary: try binary("cartAbandoned"),
                environment: environment(scratch, ["TIDINGS_SHOP_DIR": "/nonexistent/shop"]))
            emulation.standardError = FileHandle.nullDevice
            emulation.timeout = 5
            let outcome = try emulation.run([(label: "any", body: Array("{}".utf8))])
            let initError = try #require(outcome.initError)
            #expect(initError.errorType == "Runtime.ConfigurationError")
            #expect(String(decoding: initError.body, as: UTF8.self).contains("TIDINGS_SHOP_DIR"))
            #expect(outcome.exitStatus == 78)
            #expect(outcome.answers.first?.kind == "none")
        }
    }

    @Test("SIGTERM during an invocation: the invocation is finished and answered, then exit 0 without asking for more")
    func sigtermInHand() throws {
        try withScratchSync { scratch in
            let api = try RuntimeAPIEmulator()
            let process = Process()
            process.executableURL = try binary("cartAbandoned")
            process.environment = environment(scratch, ["AWS_LAMBDA_RUNTIME_API": api.address])
            process.standardError = FileHandle.nullDevice
            let pid = Mutex(Int32(0))
            // The signal arrives while the answer is in flight: the runtime is still in hand.
            api.beforeAnswering = { _ in
                kill(pid.value, SIGTERM)
                usleep(100_000)
            }
            api.enqueue(
                .init(
                    body: Array(
                        try Data(
                            contentsOf: RuntimeTestSupport.cartEvents.appendingPathComponent(
                                "bigcommerce-no-consent.json"))),
                    requestID: "in-hand"))
            try process.run()
            pid.value = process.processIdentifier
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            #expect(process.terminationReason == .exit)
            #expect(api.recordedPosts.map(\.requestID) == ["in-hand"])
            #expect(api.nextCallCount == 1)
            api.stop()
        }
    }

    /// What each fixture must answer, in either mode: the outcome inside, and the envelope's own verdict.
    static let expected: [String: (outcomes: [String], verdict: String)] = [
        "apigateway-v2-bigcommerce-cart-abandoned.json": (["suppressed"], "200"),
        "apigateway-v2-checkouts-update.json": (["sent"], "200"),
        "apigateway-v2-forged-signature.json": (["unauthenticated"], "401"),
        "eventbridge-checkouts-update.json": (["sent"], "response"),
        "function-url-checkouts-update.base64.json": (["sent"], "200"),
        "pubsub-push-cart-updated.json": (["sent"], "response"),
        "sqs-eventbridge-batch.json": (
            ["sent", "rejected_input", "suppressed"], "retry 6f1a0001-0000-4000-8000-000000000003"
        ),
        "sqs-http-route-checkouts-update.json": (["sent"], "retry none"),
    ]

    /// The verdict an answer document gives: an HTTP status, a batch's retried ids, or "response".
    static func verdict(_ document: JSONValue) -> String {
        let object = document.objectValue ?? [:]
        if case .int(let status)? = object["statusCode"] { return String(status) }
        if case .array(let failures)? = object["batchItemFailures"] {
            let ids = failures.compactMap { $0.objectValue?["itemIdentifier"]?.stringValue }
            return "retry " + (ids.isEmpty ? "none" : ids.joined(separator: " "))
        }
        return "response"
    }

    @Test("tidings emulate drives the real binary over the recorded events and every envelope; the audit verifies")
    func emulateEndToEnd() throws {
        try withScratchSync { scratch in
            let tidings = try binary("tidings")
            // A cart ten minutes old at the pinned now: too soon, so Lambda should retry it.
            let recent = try String(
                contentsOf: RuntimeTestSupport.cartEvents.appendingPathComponent("canonical-unknown-to-shop.json"),
                encoding: .utf8
            )
            .replacingOccurrences(of: "2026-11-21T17:45:00Z", with: "2026-11-21T18:50:00Z")
            .replacingOccurrences(of: "cdp-evt-5521", with: "cdp-evt-recent")
            let tooSoon = scratch.appendingPathComponent("canonical-too-soon.json")
            try recent.write(to: tooSoon, atomically: true, encoding: .utf8)
            let process = Process()
            process.executableURL = tidings
            process.currentDirectoryURL = RuntimeTestSupport.root
            process.arguments = [
                "emulate", "--function", "cartAbandoned", "--binary", try binary("cartAbandoned").path,
                RuntimeTestSupport.envelopes.path,
                RuntimeTestSupport.cartEvents.appendingPathComponent("shopify-first-time-buyer.json").path,
                RuntimeTestSupport.cartEvents.appendingPathComponent("invalid/broken-json.json").path,
                tooSoon.path,
            ]
            process.environment = environment(scratch)
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)

            var answers: [String: [String: JSONValue]] = [:]
            for line in data.split(separator: UInt8(ascii: "\n")) {
                let object = try JSONParser.parse(Array(line)).objectValue ?? [:]
                answers[URL(fileURLWithPath: object["event"]?.stringValue ?? "").lastPathComponent] = object
            }
            #expect(answers.count == Self.expected.count + 3)
            for (name, expectation) in Self.expected {
                let answer = try #require(answers[name], "\(name) not answered")
                #expect(answer["answer"] == "response", "\(name)")
                #expect(Self.verdict(answer["body"] ?? .null) == expectation.verdict, "\(name)")
            }
            #expect(answers["shopify-first-time-buyer.json"]?["body"]?.objectValue?["outcome"] == "sent")
            #expect(answers["broken-json.json"]?["body"]?.objectValue?["outcome"] == "rejected_input")
            // A retryable suppression of a direct invocation is a Runtime API error, so Lambda retries.
            #expect(answers["canonical-too-soon.json"]?["answer"] == "error")
            #expect(answers["canonical-too-soon.json"]?["error_type"] == "Tidings.too_soon")

            // Every delivery (three in the batch) ended in exactly one terminal record; the chain holds.
            let terminal = try ReplayGoldenTests.auditLines(scratch).filter { $0.contains("\"stage\":\"outcome\"") }
            let outcomes = terminal.compactMap { try? JSONParser.parse($0).objectValue?["outcome"]?.stringValue }
            #expect(outcomes.count == Self.expected.values.reduce(0) { $0 + $1.outcomes.count } + 3)
            #expect(outcomes.filter { $0 == "unauthenticated" }.count == 1)
            #expect(try AuditVerifier(root: scratch.appendingPathComponent("audit")).verify().passed)
        }
    }

    @Test("The order handlers share the entry point: orderCreated answers its queued EventBridge delivery")
    func orderCreatedLoop() throws {
        try withScratchSync { scratch in
            var emulation = Emulation(
                binary: try binary("orderCreated"),
                environment: environment(scratch, ["TIDINGS_NOW": "2026-11-25T00:00:00Z"]))
            emulation.standardError = FileHandle.nullDevice
            let file = RuntimeTestSupport.root.appendingPathComponent(
                "Events/orderCreated/envelopes/sqs-eventbridge-orders-create.json")
            let outcome = try emulation.run([(label: "orders/create", body: Array(try Data(contentsOf: file)))])
            #expect(outcome.exitStatus == 0)
            let answer = try #require(outcome.answers.first)
            #expect(answer.kind == "response")
            #expect(Self.verdict(try JSONParser.parse(answer.body)) == "retry none")
            let terminal = try ReplayGoldenTests.auditLines(scratch).filter { $0.contains("\"stage\":\"outcome\"") }
            #expect(terminal.count == 1)
            #expect(terminal.first?.contains("\"outcome\":\"sent\"") == true)
        }
    }

    @Test("Every envelope fixture gives the same outcomes from stdin as through the Runtime API")
    func stdinParity() throws {
        for (name, expectation) in Self.expected.sorted(by: { $0.key < $1.key }) {
            try withScratchSync { scratch in
                let process = Process()
                process.executableURL = try binary("cartAbandoned")
                process.environment = environment(scratch)
                process.standardInput = try FileHandle(
                    forReadingFrom: RuntimeTestSupport.envelopes.appendingPathComponent(name))
                let output = Pipe()
                process.standardOutput = output
                process.standardError = FileHandle.nullDevice
                try process.run()
                let data = output.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                let document = try JSONParser.parse(Array(data))
                #expect(Self.verdict(document) == expectation.verdict, "\(name)")
                let terminal = try ReplayGoldenTests.auditLines(scratch).filter {
                    $0.contains("\"stage\":\"outcome\"")
                }
                let outcomes = terminal.compactMap { try? JSONParser.parse($0).objectValue?["outcome"]?.stringValue }
                #expect(outcomes.sorted() == expectation.outcomes.sorted(), "\(name)")
                let forged = name.contains("forged")
                #expect(process.terminationStatus == (forged ? 77 : 0), "\(name)")
            }
        }
    }
}

/// A small lock for values a test shares with a server thread.
final class Mutex<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}

/// `withScratch` for synchronous tests.
func withScratchSync<Result>(_ body: (URL) throws -> Result) throws -> Result {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tidings-rt-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory)
}
