import CCurl
import Foundation
import Synchronization
import Testing
import TidingsCore

@testable import TidingsHTTP

/// CurlTransport against the independent loopback server (Tests/Fixtures/http-faults.py). The
/// suite is serialised: the concurrency and timeout tests measure wall time on a 2-core machine.
@Suite(.serialized) struct CurlTransportTests {
    func transport(
        connectTimeout: TimeInterval = 5, totalTimeout: TimeInterval = 20, maxResponseBytes: Int = 1 << 20
    ) -> CurlTransport {
        CurlTransport(
            .init(
                name: "faults", connectTimeout: connectTimeout, totalTimeout: totalTimeout,
                maxResponseBytes: maxResponseBytes))
    }

    func get(_ server: FaultServer, _ path: String) -> TransportRequest {
        TransportRequest(method: "GET", url: server.base + path)
    }

    func failure(_ body: () async throws -> TransportResponse) async -> TransportError? {
        do {
            let response = try await body()
            Issue.record("expected a TransportError, got status \(response.status)")
            return nil
        } catch let error as TransportError {
            return error
        } catch {
            Issue.record("expected a TransportError, got \(error)")
            return nil
        }
    }

    @Test func aJSONAnswerComesBackWithItsStatusLowerCasedHeadersAndBody() async throws {
        try await FaultServer.with { server in
            let request = TransportRequest(
                method: "POST", url: server.base + "/echo",
                headers: ["Content-Type": "application/json", "X-Test-Header": "ok"],
                body: Array(#"{"hello":"wörld"}"#.utf8))
            let response = try await transport().send(request)
            #expect(response.status == 200)
            #expect(response.headers["content-type"] == "application/json")
            #expect(response.headers["x-server-name"] == "faults")
            #expect(response.headers.keys.allSatisfy { $0 == $0.lowercased() })
            let echo = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
            #expect(echo["method"] as? String == "POST")
            #expect(echo["body"] as? String == #"{"hello":"wörld"}"#)
            let headers = try #require(echo["headers"] as? [String: String])
            #expect(headers["x-test-header"] == "ok")
            #expect(headers["content-length"] == "\(request.body.count)")
            #expect(headers["expect"] == nil)
        }
    }

    @Test func methodsOtherThanGetAndPostAreSentAsNamed() async throws {
        try await FaultServer.with { server in
            let client = transport()
            for method in ["PUT", "DELETE", "PATCH"] {
                let body: [UInt8] = method == "DELETE" ? [] : Array("x".utf8)
                let response = try await client.send(
                    TransportRequest(method: method, url: server.base + "/echo", body: body))
                let echo = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
                #expect(echo["method"] as? String == method)
                #expect(echo["body"] as? String == String(decoding: body, as: UTF8.self))
            }
        }
    }

    @Test func aChunkedAnswerIsReassembled() async throws {
        try await FaultServer.with { server in
            let response = try await transport().send(get(server, "/chunked?parts=5"))
            #expect(response.status == 200)
            #expect(String(decoding: response.body, as: UTF8.self) == "part-0;part-1;part-2;part-3;part-4;")
            #expect(response.headers["transfer-encoding"] == "chunked")
        }
    }

    @Test func aBodyAtTheBoundIsKept() async throws {
        try await FaultServer.with { server in
            let response = try await transport(maxResponseBytes: 100_000).send(get(server, "/big?bytes=100000"))
            #expect(response.status == 200)
            #expect(response.body.count == 100_000)
        }
    }

    @Test(arguments: ["0", "1"])
    func aBodyOverTheBoundFailsAsTooLarge(chunked: String) async throws {
        try await FaultServer.with { server in
            let client = transport(maxResponseBytes: 100_000)
            let error = await failure { try await client.send(get(server, "/big?bytes=100001&chunked=\(chunked)")) }
            #expect(error?.code == .responseTooLarge)
            #expect(error?.host == "127.0.0.1")
            #expect(error?.isRetryable == false)
        }
    }

    @Test func anAnswerSlowerThanTheTotalTimeoutTimesOut() async throws {
        try await FaultServer.with { server in
            let start = Date()
            let client = transport(totalTimeout: 0.5)
            let error = await failure { try await client.send(get(server, "/slow?ms=4000")) }
            #expect(error?.code == .timedOut)
            #expect(Date().timeIntervalSince(start) < 3)
        }
    }

    @Test func theInvocationDeadlineShortensTheTimeout() async throws {
        try await FaultServer.with { server in
            let start = Date()
            let client = transport(totalTimeout: 60)
            let error = await failure {
                try await InvocationDeadline.$current.withValue(Date().addingTimeInterval(0.5)) {
                    try await client.send(get(server, "/slow?ms=4000"))
                }
            }
            #expect(error?.code == .timedOut)
            #expect(Date().timeIntervalSince(start) < 3)
            let passed = await failure {
                try await InvocationDeadline.$current.withValue(Date().addingTimeInterval(-1)) {
                    try await client.send(get(server, "/echo"))
                }
            }
            #expect(passed?.code == .deadline)
        }
    }

    @Test func aConnectionResetMidAnswerFailsAsReset() async throws {
        try await FaultServer.with { server in
            let client = transport()
            let error = await failure { try await client.send(get(server, "/reset")) }
            #expect(error?.code == .connectionReset)
            #expect(error?.isRetryable == true)
        }
    }

    @Test func aClosedPortFailsToConnect() async throws {
        let port = try await FaultServer.with { $0.port }  // the server is gone once this returns
        let client = transport()
        let error = await failure {
            try await client.send(TransportRequest(method: "GET", url: "http://127.0.0.1:\(port)/echo"))
        }
        #expect(error?.code == .connectFailed)
        #expect(error?.isRetryable == true)
    }

    @Test func aSelfSignedCertificateFailsTLS() async throws {
        try await FaultServer.with(tls: true) { server in
            let client = transport()
            let error = await failure { try await client.send(get(server, "/echo")) }
            #expect(error?.code == .tlsFailed)
            #expect(error?.isRetryable == false)
        }
    }

    @Test func sequentialRequestsReuseOneConnection() async throws {
        try await FaultServer.with { server in
            let client = transport()
            for _ in 0..<6 {
                let response = try await client.send(get(server, "/echo"))
                #expect(response.status == 200)
            }
            // The count is asked over the same connection, so 1 means all seven shared it.
            let connections = try await server.counter("/connections", "connections", through: client)
            #expect(connections == 1)
        }
    }

    @Test func thirtyTwoRequestsAreInFlightAtOnce() async throws {
        try await FaultServer.with { server in
            let client = transport()
            let start = Date()
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<32 {
                    group.addTask { try await client.send(get(server, "/slow?ms=300")).status }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let elapsed = Date().timeIntervalSince(start)
            #expect(statuses == Array(repeating: 200, count: 32))
            // One at a time takes 32 x 0.3 s = 9.6 s; in flight together, about one latency.
            #expect(elapsed < 2.5, "32 requests of 300 ms took \(elapsed) s")
        }
    }

    @Test func cancellingTheAwaitingTaskRemovesTheTransfer() async throws {
        try await FaultServer.with { server in
            let client = transport()
            let start = Date()
            let task = Task { try await client.send(get(server, "/slow?ms=5000")) }
            try await Task.sleep(nanoseconds: 200_000_000)
            task.cancel()
            let error = await failure { try await task.value }
            #expect(error?.code == .cancelled)
            #expect(Date().timeIntervalSince(start) < 3)
            // The transport still works after a cancellation.
            let after = try await client.send(get(server, "/echo"))
            #expect(after.status == 200)
        }
    }

    @Test func aTaskCancelledBeforeSendingNeverStartsTheTransfer() async throws {
        try await FaultServer.with { server in
            let client = transport()
            let task = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await client.send(get(server, "/flaky?key=never&statuses=200"))
            }
            let error = await failure { try await task.value }
            #expect(error?.code == .cancelled)
            let hits = try await server.counter("/hits?key=never", "hits", through: client)
            #expect(hits == 0)
        }
    }

    @Test func aHeaderWithALineBreakIsRefusedWithoutQuotingItsValue() async throws {
        try await FaultServer.with { server in
            let request = TransportRequest(
                method: "GET", url: server.base + "/echo",
                headers: ["x-api-key": "sk-test-SECRET\r\nX-Injected: 1"])
            let error = await failure { try await transport().send(request) }
            #expect(error?.code == .other)
            let text = error.map { "\($0)" } ?? ""
            #expect(text.contains("x-api-key"))
            #expect(!text.contains("SECRET"))
        }
    }

    @Test(arguments: ["file:///etc/hostname", "ftp://127.0.0.1/x", "dict://127.0.0.1/x"])
    func schemesOtherThanHTTPAreRefused(url: String) async {
        let error = await failure { try await transport().send(TransportRequest(method: "GET", url: url)) }
        #expect(error?.code == .other)
        #expect(error?.detail.contains("curl error 1:") == true)  // CURLE_UNSUPPORTED_PROTOCOL
    }

    @Test func creatingATransportLoadsLibcurl() {
        _ = transport()
        // RTLD_NOLOAD answers a handle only for a library already in the process.
        let handle = dlopen("libcurl.so.4", RTLD_LAZY | RTLD_NOLOAD)
        #expect(handle != nil)
        if let handle { dlclose(handle) }
    }

    @Test(arguments: [
        (CURLE_COULDNT_RESOLVE_HOST, TransportError.Code.connectFailed), (CURLE_COULDNT_CONNECT, .connectFailed),
        (CURLE_OPERATION_TIMEDOUT, .timedOut), (CURLE_RECV_ERROR, .connectionReset),
        (CURLE_GOT_NOTHING, .connectionReset), (CURLE_PARTIAL_FILE, .connectionReset),
        (CURLE_PEER_FAILED_VERIFICATION, .tlsFailed), (CURLE_SSL_CONNECT_ERROR, .tlsFailed),
        (CURLE_FILESIZE_EXCEEDED, .responseTooLarge), (CURLE_WRITE_ERROR, .other),
        (CURLE_URL_MALFORMAT, .other),
    ])
    func curlCodesMapToTransportCodes(result: CURLcode, code: TransportError.Code) {
        #expect(CurlTransport.code(for: result, tooLarge: false) == code)
    }
}
