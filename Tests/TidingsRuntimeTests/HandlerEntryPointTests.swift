import Foundation
import Testing
import TidingsCore

@testable import TidingsRuntime

/// Every handler executable under `Functions/` goes through the one entry point: it answers an
/// event of its own topic on stdin, and the same event under a Runtime API (the independent Python
/// fake, Tests/Fixtures/fake-runtime-api.py), with the same outcome. winBack once read stdin only,
/// although deploy/template.yaml runs it as a scheduled Lambda; this keeps any handler from
/// drifting that way again.
@Suite("Every handler binary on stdin and under the Runtime API", .serialized)
struct HandlerEntryPointTests {
    /// A handler's event of its own topic, when it is due, and how it must end.
    struct Case: Sendable, CustomTestStringConvertible {
        var handler: String
        var event: String
        var now: String
        var outcome: String
        var messages: Int
        /// For an HTTP endpoint (`unsubscribe`): the status its HTTP-shaped answer must carry.
        var httpStatus: Int? = nil

        var testDescription: String { handler }
    }

    static let cases: [Case] = [
        Case(
            handler: "cartAbandoned", event: "Events/cartAbandoned/shopify-first-time-buyer.json",
            now: "2026-11-21T19:00:00Z", outcome: "sent", messages: 1),
        Case(
            handler: "orderCreated", event: "Events/orderCreated/shopify-repeat-customer.json",
            now: "2026-11-24T15:16:00Z", outcome: "sent", messages: 4),
        Case(
            handler: "orderCancelled", event: "Events/orderCancelled/shopify-out-of-stock.json",
            now: "2026-11-23T10:01:00Z", outcome: "sent", messages: 1),
        // What the deployed schedule sends: an EventBridge Scheduler event, a scan of the base.
        Case(
            handler: "winBack", event: "Events/winBack/eventbridge-scheduled-scan.json",
            now: "2026-11-22T06:00:00Z", outcome: "sent", messages: 0),
        // A mail client's one-click POST through a function URL: the customer is suppressed.
        Case(
            handler: "unsubscribe", event: "Tests/Fixtures/unsubscribe/function-url-one-click.json",
            now: "2026-11-21T19:05:00Z", outcome: "suppressed", messages: 0, httpStatus: 200),
    ]

    @Test("Every executable under Functions/ has a case here")
    func everyHandlerIsCovered() throws {
        let functions = try FileManager.default.contentsOfDirectory(
            at: RuntimeTestSupport.root.appendingPathComponent("Functions"), includingPropertiesForKeys: nil
        ).filter { (try? $0.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true }
        // dispatch answers the schedule, not an event, and needs an ESP: DispatchMotoTests runs it
        // on stdin and under the Runtime API against moto.
        #expect(Set(functions.map(\.lastPathComponent)) == Set(Self.cases.map(\.handler) + ["dispatch"]))
    }

    func environment(_ handlerCase: Case, data: URL) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["AWS_LAMBDA_RUNTIME_API"] = nil
        environment["TIDINGS_DATA_DIR"] = data.path
        environment["TIDINGS_SHOP_DIR"] = RuntimeTestSupport.root.appendingPathComponent("Events/shop").path
        environment["TIDINGS_NOW"] = handlerCase.now
        environment["TIDINGS_LOG_LEVEL"] = "critical"
        environment.merge(RuntimeTestSupport.webhookSecrets) { _, new in new }
        return environment
    }

    /// The terminal outcomes the audit under `data` holds for top-level events (a scan's children
    /// are their own events, `<scan id>/customer/<id>`).
    func terminalOutcomes(_ data: URL) throws -> [String] {
        try ReplayGoldenTests.auditLines(data).compactMap { line in
            let record = try JSONParser.parse(line).objectValue ?? [:]
            guard record["stage"] == "outcome", record["event_id"]?.stringValue?.contains("/") == false else {
                return nil
            }
            return record["outcome"]?.stringValue
        }
    }

    @Test("Answers its event on stdin and under the Runtime API, the same way", arguments: cases)
    func bothModes(_ handlerCase: Case) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else {
            Issue.record("python3 is needed for the independent fake (.ci/run installs it)")
            return
        }
        let binary = try #require(
            RuntimeTestSupport.builtBinary(handlerCase.handler), "build the package first (swift build)")
        let event = RuntimeTestSupport.root.appendingPathComponent(handlerCase.event)
        try withScratchSync { scratch in
            // stdin: one answer on stdout, exit 0.
            let stdinData = scratch.appendingPathComponent("stdin")
            let process = Process()
            process.executableURL = binary
            process.environment = environment(handlerCase, data: stdinData)
            process.standardInput = try FileHandle(forReadingFrom: event)
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            let stdout = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            let stdinAnswer = try JSONParser.parse(Array(stdout)).objectValue ?? [:]
            if let status = handlerCase.httpStatus {
                #expect(stdinAnswer["statusCode"] == .int(status), "\(stdinAnswer)")
            } else {
                #expect(stdinAnswer["function"]?.stringValue == handlerCase.handler)
                #expect(stdinAnswer["outcome"]?.stringValue == handlerCase.outcome)
                if case .array(let messages)? = stdinAnswer["messages"] {
                    #expect(messages.count == handlerCase.messages)
                } else {
                    #expect(handlerCase.messages == 0, "no messages in \(stdinAnswer)")
                }
            }
            #expect(try terminalOutcomes(stdinData) == [handlerCase.outcome])

            // The Runtime API: the invocation is answered with a response, then the fake's 500 on
            // the next `next` ends the process.
            let loopData = scratch.appendingPathComponent("loop")
            let results = try FakeRuntimeAPI.run(
                invocations: [["id": "req-\(handlerCase.handler)", "body_file": event.path]], scratch: scratch
            ) { address in
                let handler = Process()
                handler.executableURL = binary
                var environment = environment(handlerCase, data: loopData)
                environment["AWS_LAMBDA_RUNTIME_API"] = address
                handler.environment = environment
                handler.standardInput = FileHandle.nullDevice
                handler.standardOutput = FileHandle.nullDevice
                handler.standardError = FileHandle.nullDevice
                try handler.run()
                handler.waitUntilExit()
                #expect(handler.terminationStatus != 0, "a 500 from next must end the process")
            }
            #expect(
                results.requests.map { "\($0.method) \($0.path)" } == [
                    "GET /2018-06-01/runtime/invocation/next",
                    "POST /2018-06-01/runtime/invocation/req-\(handlerCase.handler)/response",
                    "GET /2018-06-01/runtime/invocation/next",
                ])
            let post = try #require(results.posts.first)
            let loopAnswer = try JSONParser.parse(Array(post.body.utf8)).objectValue ?? [:]
            let fields =
                handlerCase.httpStatus == nil
                ? ["function", "event_id", "outcome", "reason", "subject"] : ["statusCode"]
            for field in fields {
                #expect(loopAnswer[field] == stdinAnswer[field], "\(field)")
            }
            #expect(try terminalOutcomes(loopData) == [handlerCase.outcome])
        }
    }
}

/// The independent Runtime API fake (Tests/Fixtures/fake-runtime-api.py), scoped: started on a
/// free port with `invocations`, handed to `body` as `host:port`, and its record returned.
enum FakeRuntimeAPI {
    struct Request: Decodable {
        var method: String
        var path: String
    }

    struct Results: Decodable {
        var posts: [IndependentRuntimeAPITests.Post]
        var requests: [Request]
    }

    static func run(
        invocations: [[String: Any]], nextStatusAfter: Int = 500, scratch: URL, _ body: (String) throws -> Void
    ) throws -> Results {
        let planFile = scratch.appendingPathComponent("plan-\(UUID().uuidString).json")
        let resultsFile = scratch.appendingPathComponent("results-\(UUID().uuidString).json")
        try JSONSerialization.data(
            withJSONObject: ["invocations": invocations, "next_status_after": nextStatusAfter]
        ).write(to: planFile)
        let fake = Process()
        fake.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        fake.arguments = [
            RuntimeTestSupport.root.appendingPathComponent("Tests/Fixtures/fake-runtime-api.py").path,
            planFile.path, resultsFile.path,
        ]
        let portPipe = Pipe()
        fake.standardOutput = portPipe
        try fake.run()
        defer { if fake.isRunning { fake.terminate() } }
        let portLine = String(decoding: portPipe.fileHandleForReading.availableDataUntilNewline(), as: UTF8.self)
        let port = try #require(Int(portLine.trimmingCharacters(in: .whitespacesAndNewlines)))
        try body("127.0.0.1:\(port)")
        fake.waitUntilExit()
        return try JSONDecoder().decode(Results.self, from: Data(contentsOf: resultsFile))
    }
}
