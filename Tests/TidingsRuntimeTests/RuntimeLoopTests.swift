import Foundation
import Logging
import Testing
import TidingsCore
import TidingsDevKit

@testable import TidingsRuntime

#if canImport(Glibc)
    import Glibc
#endif

/// The Runtime API loop in this process against the loopback Runtime API, which is written from
/// the specification (RuntimeAPIEmulator), not from the client.
@Suite("Runtime API loop", .serialized)
struct RuntimeLoopTests {
    /// A writer that takes its time, like a hosted model: far longer than any bound below, so a
    /// run that waited for it cannot be mistaken for one that gave up on it, however loaded the
    /// machine.
    struct SlowModel: LanguageModel {
        var name = "slow-model"
        func respond(to request: DraftRequest) async throws -> ModelAnswer {
            try await Task.sleep(for: .seconds(30))
            throw ModelError(model: name, reason: "should not have been called", isRetryable: false)
        }
    }

    static let now = Timestamp.parse("2026-11-21T19:00:00Z")!

    func handler(dataDirectory: URL, model: (any LanguageModel)? = nil, reserveMS: Int? = nil) throws
        -> InvocationHandler
    {
        var extra = RuntimeTestSupport.webhookSecrets
        if let reserveMS { extra["TIDINGS_MODEL_RESERVE_MS"] = String(reserveMS) }
        let configuration = try RuntimeTestSupport.configuration(dataDirectory: dataDirectory, extra: extra)
        var stages = try FunctionEnvironment.embeddedStages(
            function: .cartAbandoned, configuration: configuration, clock: FixedClock(Self.now))
        if let model { stages.model = model }
        return InvocationHandler(
            pipeline: try Pipeline(flow: .cartAbandoned(configuration), configuration: configuration, stages: stages))
    }

    func event(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: RuntimeTestSupport.cartEvents.appendingPathComponent(name)))
    }

    /// Runs the loop until `posts` answers arrived, then takes the API away; returns the loop's
    /// exit status (the API vanishing is a lost connection) and the posts. The loop waits for its
    /// next invocation in a blocking poll, as it does alone in a Lambda process; here it runs on a
    /// thread of its own, so it never holds one of the shared pool's (two, on a 2-core machine)
    /// threads that this test's own wait and the other suites need (a full run under load stalled
    /// for the whole 60 s limit with no post).
    func runLoop(
        _ handler: InvocationHandler, api: RuntimeAPIEmulator, posts count: Int
    ) async throws -> (TidingsRuntime.ExitStatus, [RuntimeAPIEmulator.Post]) {
        let address = api.address
        let executor = DedicatedThreadExecutor(name: "runtime-loop", idle: false)
        defer { executor.shutdown() }
        let task = Task(executorPreference: executor) {
            let client = try SocketRuntimeAPI(address: address)
            return await RuntimeLoop(api: client, logger: RuntimeTestSupport.quietLogger).run(handler)
        }
        let limit = Date().addingTimeInterval(60)
        while api.recordedPosts.count < count, Date() < limit {
            try await Task.sleep(for: .milliseconds(10))
        }
        let posts = api.recordedPosts
        api.stop()
        return (try await task.value, posts)
    }

    @Test("A run of invocations: each answered in order on one connection; losing the API exits non-zero")
    func run() async throws {
        try await withScratch { scratch in
            let api = try RuntimeAPIEmulator()
            let names = [
                "shopify-first-time-buyer.json", "canonical-unknown-to-shop.json", "bigcommerce-no-consent.json",
            ]
            var traceID = ""
            for (index, name) in names.enumerated() {
                let invocation = RuntimeAPIEmulator.Invocation(body: try event(name), requestID: "req-\(index)")
                traceID = invocation.traceID ?? ""
                api.enqueue(invocation)
            }
            let (status, posts) = try await runLoop(try handler(dataDirectory: scratch), api: api, posts: 3)
            #expect(posts.map(\.requestID) == ["req-0", "req-1", "req-2"])
            #expect(posts.map(\.kind) == ["response", "response", "response"])
            let outcomes = try posts.map { try JSONParser.parse($0.body).objectValue?["outcome"]?.stringValue }
            #expect(outcomes == ["sent", "sent", "suppressed"])
            #expect(api.connectionCount == 1)
            // The invocation's trace id is exported for the X-Ray SDKs, as the Runtime API asks.
            #expect(ProcessInfo.processInfo.environment["_X_AMZN_TRACE_ID"] == traceID)
            #expect(status == .runtimeAPIUnavailable)
        }
    }

    @Test("A retryable outcome posts /error with Lambda-Runtime-Function-Error-Type, and the loop goes on")
    func handlerError() async throws {
        try await withScratch { scratch in
            let api = try RuntimeAPIEmulator()
            // An audit folder that breaks after start-up (start-up refuses one broken already): the
            // pipeline cannot record, a retry can help.
            let blocked = scratch.appendingPathComponent("blocked")
            try Data().write(to: blocked)
            var configuration = try RuntimeTestSupport.configuration(dataDirectory: scratch)
            configuration.dataDirectory = blocked
            let stages = try FunctionEnvironment.embeddedStages(
                function: .cartAbandoned, configuration: configuration, clock: FixedClock(Self.now))
            let failing = InvocationHandler(
                pipeline: try Pipeline(
                    flow: .cartAbandoned(configuration), configuration: configuration, stages: stages))
            api.enqueue(.init(body: try event("shopify-first-time-buyer.json"), requestID: "fails"))
            api.enqueue(.init(body: try event("shopify-loyal-vip.json"), requestID: "next"))
            let (_, posts) = try await runLoop(failing, api: api, posts: 2)
            try #require(posts.count == 2)
            #expect(posts[0].kind == "error")
            #expect(posts[0].errorType == "Tidings.audit_unavailable")
            let document = try JSONParser.parse(posts[0].body).objectValue ?? [:]
            #expect(document["errorType"] == "Tidings.audit_unavailable")
            #expect(document["errorMessage"]?.stringValue?.contains("audit_unavailable") == true)
            #expect(document["stackTrace"] == .array([]))
            #expect(posts[1].requestID == "next")
        }
    }

    @Test("Bad input is a response with rejected_input, and the event is in the dead-letter folder")
    func badInput() async throws {
        try await withScratch { scratch in
            let api = try RuntimeAPIEmulator()
            api.enqueue(.init(body: Array("{\"event\": ".utf8), requestID: "bad"))
            let (_, posts) = try await runLoop(try handler(dataDirectory: scratch), api: api, posts: 1)
            let post = try #require(posts.first)
            #expect(post.kind == "response")
            #expect(try JSONParser.parse(post.body).objectValue?["outcome"] == "rejected_input")
            let kept = try FileManager.default.contentsOfDirectory(
                atPath: scratch.appendingPathComponent("dead-letter").path)
            #expect(kept.contains { $0.hasSuffix(".json") })
        }
    }

    @Test("413 (and 400, 403) on a response: logged, and the next invocation is still handled")
    func refusedResponse() async throws {
        try await withScratch { scratch in
            let api = try RuntimeAPIEmulator()
            api.postStatus = { _, id in ["big": 413, "bad": 400, "forbidden": 403][id] ?? 202 }
            for id in ["big", "bad", "forbidden", "after"] {
                api.enqueue(.init(body: try event("bigcommerce-no-consent.json"), requestID: id))
            }
            let (status, posts) = try await runLoop(try handler(dataDirectory: scratch), api: api, posts: 4)
            #expect(posts.map(\.status) == [413, 400, 403, 202])
            #expect(posts.last?.requestID == "after")
            #expect(status == .runtimeAPIUnavailable)
        }
    }

    @Test("500 on a response ends the loop at once, non-zero")
    func containerError() async throws {
        try await withScratch { scratch in
            let api = try RuntimeAPIEmulator()
            api.postStatus = { _, id in id == "first" ? 500 : 202 }
            api.enqueue(.init(body: try event("bigcommerce-no-consent.json"), requestID: "first"))
            api.enqueue(.init(body: try event("bigcommerce-no-consent.json"), requestID: "never"))
            let address = api.address
            let handler = try handler(dataDirectory: scratch)
            let executor = DedicatedThreadExecutor(name: "runtime-loop", idle: false)
            defer { executor.shutdown() }
            let status = await Task(executorPreference: executor) {
                guard let client = try? SocketRuntimeAPI(address: address) else {
                    return TidingsRuntime.ExitStatus.handled
                }
                return await RuntimeLoop(api: client, logger: RuntimeTestSupport.quietLogger).run(handler)
            }.value
            #expect(status == .runtimeAPIUnavailable)
            #expect(api.recordedPosts.map(\.requestID) == ["first"])
            api.stop()
        }
    }

    @Test("An invocation without a request id is skipped; one without a deadline is handled unbounded")
    func missingHeaders() async throws {
        try await withScratch { scratch in
            let api = try RuntimeAPIEmulator()
            api.enqueue(.init(body: try event("bigcommerce-no-consent.json"), requestID: nil))
            api.enqueue(.init(body: try event("bigcommerce-no-consent.json"), requestID: "no-deadline", timeout: nil))
            let (_, posts) = try await runLoop(try handler(dataDirectory: scratch), api: api, posts: 1)
            #expect(posts.map(\.requestID) == ["no-deadline"])
            #expect(posts.first?.kind == "response")
            #expect(api.nextCallCount >= 2)
        }
    }

    @Test("A nearly spent deadline: the offline copywriter writes instead of the model, and the audit says why")
    func deadline() async throws {
        try await withScratch { scratch in
            let api = try RuntimeAPIEmulator()
            api.enqueue(.init(body: try event("shopify-first-time-buyer.json"), requestID: "hurry", timeout: 2))
            let started = Date()
            let (_, posts) = try await runLoop(
                try handler(dataDirectory: scratch, model: SlowModel()), api: api, posts: 1)
            #expect(Date().timeIntervalSince(started) < 15, "the slow model was awaited")
            let post = try #require(posts.first)
            #expect(post.kind == "response")
            #expect(try JSONParser.parse(post.body).objectValue?["outcome"] == "sent")
            let audit = try ReplayGoldenTests.auditLines(scratch).joined(separator: "\n")
            #expect(audit.contains("\"next\":\"offline-copywriter\""))
            #expect(audit.contains("\"outcome\":\"deadline\""))
            #expect(audit.contains("deadline: "))
        }
    }

    @Test("A model call that runs into the deadline's last seconds is abandoned for the offline copywriter")
    func deadlineDuringCall() async throws {
        try await withScratch { scratch in
            let api = try RuntimeAPIEmulator()
            // 3 s left, 2 s reserve: the call may start, and is given up 2 s before the deadline.
            api.enqueue(.init(body: try event("shopify-first-time-buyer.json"), requestID: "slow", timeout: 3))
            let started = Date()
            let (_, posts) = try await runLoop(
                try handler(dataDirectory: scratch, model: SlowModel(), reserveMS: 2000), api: api, posts: 1)
            let elapsed = Date().timeIntervalSince(started)
            // Given up about 1 s in (3 s left, 2 s reserve); the audit below says it was the
            // deadline. The bound only tells "gave up" from "waited 30 s": a loaded CI machine
            // took 3 s for the rest of the invocation.
            #expect(elapsed < 15, "the call was not abandoned (\(elapsed) s)")
            #expect(try JSONParser.parse(try #require(posts.first).body).objectValue?["outcome"] == "sent")
            let audit = try ReplayGoldenTests.auditLines(scratch).joined(separator: "\n")
            #expect(audit.contains("deadline: no answer within"))  // code .deadline, then the reason
            #expect(audit.contains("\"next\":\"offline-copywriter\""))
            #expect(audit.contains("\"outcome\":\"deadline\""))
        }
    }

    @Test("The client's paths and headers are the ones the Runtime API's OpenAPI file names")
    func specification() throws {
        let spec = RuntimeTestSupport.root
            .appendingPathComponent("Tests/Fixtures/specs/aws-lambda-runtime/runtime-api.yaml")
        let text = try String(contentsOf: spec, encoding: .utf8)
        let server = try #require(
            text.split(separator: "\n").first { $0.contains("- url:") }?.split(separator: " ").last.map(String.init))
        #expect(server == RuntimeAPIWire.prefix)
        for (path, built) in [
            ("/runtime/invocation/next", RuntimeAPIWire.nextPath),
            ("/runtime/init/error", RuntimeAPIWire.initErrorPath),
            ("/runtime/invocation/{AwsRequestId}/response", RuntimeAPIWire.responsePath("{AwsRequestId}")),
            ("/runtime/invocation/{AwsRequestId}/error", RuntimeAPIWire.errorPath("{AwsRequestId}")),
        ] {
            #expect(text.contains("  \(path):"), "\(path) is not in the specification")
            #expect(built == server + path)
        }
        let lowered = text.lowercased()
        for header in [
            RuntimeAPIWire.requestIDHeader, RuntimeAPIWire.deadlineHeader, RuntimeAPIWire.functionARNHeader,
            RuntimeAPIWire.traceIDHeader, RuntimeAPIWire.errorTypeHeader.lowercased(),
        ] {
            #expect(lowered.contains("name: \(header)") || lowered.contains("\(header):"), "\(header)")
        }
        #expect(text.contains("Content-Type: \(RuntimeAPIWire.errorContentType)"))
        for status in ["\"413\"", "\"400\"", "\"403\"", "\"500\""] { #expect(text.contains(status)) }
    }

    @Test("HTTP/1.1 messages: Content-Length and chunked bodies, lower-cased headers, keep-alive reads")
    func httpFraming() throws {
        var ends: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &ends) == 0)
        let reader = HTTPSocket(descriptor: ends[0])
        let writer = HTTPSocket(descriptor: ends[1])
        try writer.write(
            Array(
                ("HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: a1\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n"
                    + "HTTP/1.1 202 Accepted\r\nContent-Length: 15\r\nConnection: close\r\n\r\n{\"status\":\"OK\"}")
                    .utf8))
        let first = try reader.readMessage()
        #expect(first.status == 200)
        #expect(first.headers["lambda-runtime-aws-request-id"] == "a1")
        #expect(String(decoding: first.body, as: UTF8.self) == #"{"a":1}"#)
        let second = try reader.readMessage()
        #expect(second.status == 202)
        #expect(second.closesConnection)
        #expect(String(decoding: second.body, as: UTF8.self) == #"{"status":"OK"}"#)
        writer.close()
        #expect(throws: SocketError.self) { try reader.readMessage() }
    }

    @Test("The Runtime API wire: invocation headers read, error document and paths as specified")
    func wire() throws {
        let message = HTTPMessage(
            startLine: ["HTTP/1.1", "200", "OK"],
            headers: [
                "lambda-runtime-aws-request-id": "8476a536-e9f4-11e8-9739-2dfe598c3fcd",
                "lambda-runtime-deadline-ms": "1542409706888",
                "lambda-runtime-invoked-function-arn": "arn:aws:lambda:us-east-2:123456789012:function:custom-runtime",
                "lambda-runtime-trace-id": "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1",
            ], body: Array("{}".utf8))
        let invocation = try RuntimeAPIWire.invocation(message)
        #expect(invocation.requestID == "8476a536-e9f4-11e8-9739-2dfe598c3fcd")
        #expect(invocation.deadline == Date(timeIntervalSince1970: 1_542_409_706.888))
        #expect(invocation.traceID?.hasPrefix("Root=1-5bef4de7") == true)
        #expect(
            RuntimeAPIWire.responsePath("abc") == "/2018-06-01/runtime/invocation/abc/response"
                && RuntimeAPIWire.errorPath("abc") == "/2018-06-01/runtime/invocation/abc/error"
                && RuntimeAPIWire.initErrorPath == "/2018-06-01/runtime/init/error")
        let error = FunctionError(type: "Tidings.too_soon", message: "later")
        #expect(
            String(decoding: error.document, as: UTF8.self)
                == #"{"errorMessage":"later","errorType":"Tidings.too_soon","stackTrace":[]}"#)
    }
}
