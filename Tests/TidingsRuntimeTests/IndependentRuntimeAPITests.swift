import Foundation
import Testing
import TidingsCore

@testable import TidingsRuntime

/// The real cartAbandoned binary against an independent Runtime API: a Python fake written from
/// the specification (Tests/Fixtures/fake-runtime-api.py), sharing no code with the Swift client.
@Suite("cartAbandoned binary against an independent Runtime API", .serialized)
struct IndependentRuntimeAPITests {
    struct Post: Decodable {
        var path: String
        var headers: [String: String]
        var body: String
    }

    @Test(
        "A stream of invocations: sent, bad input, a forged signature, a retry, a 413 that is survived, then a 500 ends the process"
    )
    func stream() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else {
            Issue.record("python3 is needed for the independent fake (.ci/run installs it)")
            return
        }
        let binary = try #require(RuntimeTestSupport.builtBinary("cartAbandoned"), "build the package first")
        try withScratchSync { scratch in
            let envelopes = RuntimeTestSupport.envelopes
            // A direct EventBridge delivery that is too soon at the pinned clock: a retry can help.
            let batch = try JSONSerialization.jsonObject(
                with: Data(contentsOf: envelopes.appendingPathComponent("sqs-eventbridge-batch.json")))
            let records = (batch as? [String: Any])?["Records"] as? [[String: Any]] ?? []
            let tooSoon = scratch.appendingPathComponent("too-soon.json")
            try Data(((records.last?["body"] as? String) ?? "").utf8).write(to: tooSoon)
            let invocations: [[String: Any]] = [
                [
                    "id": "req-1", "chunked": true,
                    "body_file": envelopes.appendingPathComponent("apigateway-v2-checkouts-update.json").path,
                ],
                [
                    "id": "req-2",
                    "body_file": RuntimeTestSupport.cartEvents.appendingPathComponent("invalid/broken-json.json")
                        .path,
                ],
                [
                    "id": "req-3",
                    "body_file": envelopes.appendingPathComponent("apigateway-v2-forged-signature.json").path,
                ],
                ["id": "req-4", "body_file": tooSoon.path],
                [
                    "id": "req-5", "response_status": 413,
                    "body_file": envelopes.appendingPathComponent("function-url-checkouts-update.base64.json").path,
                ],
                [
                    "id": "req-6",
                    "body_file": envelopes.appendingPathComponent("pubsub-push-cart-updated.json").path,
                ],
            ]
            var handlerStatus: Int32 = 0
            let results = try FakeRuntimeAPI.run(invocations: invocations, scratch: scratch) { address in
                let handler = Process()
                handler.executableURL = binary
                var environment = ProcessInfo.processInfo.environment
                environment["AWS_LAMBDA_RUNTIME_API"] = address
                environment["TIDINGS_DATA_DIR"] = scratch.appendingPathComponent("data").path
                environment["TIDINGS_SHOP_DIR"] = RuntimeTestSupport.root.appendingPathComponent("Events/shop").path
                environment["TIDINGS_NOW"] = RuntimeBinaryTests.now
                environment["TIDINGS_LOG_LEVEL"] = "critical"
                environment.merge(RuntimeTestSupport.webhookSecrets) { _, new in new }
                handler.environment = environment
                handler.standardError = FileHandle.nullDevice
                try handler.run()
                handler.waitUntilExit()
                handlerStatus = handler.terminationStatus
            }

            // A 500 from /next ends the process, non-zero.
            #expect(handlerStatus != 0)
            let byID = Dictionary(grouping: results.posts) { $0.path.split(separator: "/").dropFirst(3).first ?? "" }
            #expect(
                results.posts.map(\.path) == [
                    "/2018-06-01/runtime/invocation/req-1/response", "/2018-06-01/runtime/invocation/req-2/response",
                    "/2018-06-01/runtime/invocation/req-3/response", "/2018-06-01/runtime/invocation/req-4/error",
                    "/2018-06-01/runtime/invocation/req-5/response", "/2018-06-01/runtime/invocation/req-6/response",
                ])
            // Sent through the HTTP envelope: an HTTP-shaped 200.
            #expect(byID["req-1"]?.first?.body.contains("\"statusCode\":200") == true)
            // Bad input is a handled outcome, answered, not an error.
            #expect(byID["req-2"]?.first?.body.contains("rejected_input") == true)
            #expect(byID["req-3"]?.first?.body.contains("\"statusCode\":401") == true)
            // A retry that can help is an error with the spec's header and body shape.
            let error = try #require(byID["req-4"]?.first)
            #expect(error.headers["lambda-runtime-function-error-type"]?.hasPrefix("Tidings.too_soon") == true)
            let errorBody = try JSONSerialization.jsonObject(with: Data(error.body.utf8)) as? [String: Any]
            #expect(errorBody?["errorMessage"] is String && errorBody?["errorType"] is String)
            #expect(errorBody?["stackTrace"] is [Any])
            // After the 413 on req-5's answer the loop went on to req-6.
            #expect(byID["req-6"]?.first?.body.contains("\"outcome\":\"sent\"") == true)
        }
    }
}

extension FileHandle {
    /// Reads until the first newline (or the end): the fake's port line.
    func availableDataUntilNewline() -> Data {
        var data = Data()
        while true {
            let byte = readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { return data }
            data.append(byte)
        }
    }
}
