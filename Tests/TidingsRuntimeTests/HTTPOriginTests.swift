import Foundation
import Testing
import TidingsCore

@testable import TidingsRuntime

/// Requests from the open internet prove their origin before anything else happens, whatever
/// shape their body has and whichever front handed them over.
@Suite("HTTP origin")
struct HTTPOriginTests {
    func handler(_ scratch: URL) throws -> InvocationHandler {
        let configuration = try RuntimeTestSupport.configuration(dataDirectory: scratch)
        let stages = try FunctionEnvironment.embeddedStages(
            function: .cartAbandoned, configuration: configuration,
            clock: FixedClock(Timestamp.parse("2026-11-21T19:00:00Z")!))
        return InvocationHandler(
            pipeline: try Pipeline(flow: .cartAbandoned(configuration), configuration: configuration, stages: stages))
    }

    func deadLetters(_ scratch: URL) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: scratch.appendingPathComponent("dead-letter").path))
            ?? []
    }

    @Test("An unsigned HTTP request whose body is not even JSON is unauthenticated, not dead-lettered")
    func unsignedGarbage() async throws {
        try await withScratch { scratch in
            let request =
                #"{"version":"2.0","routeKey":"POST /shopify","rawPath":"/shopify","headers":{"content-type":"application/json"},"requestContext":{"http":{"method":"POST"}},"body":"not json at all","isBase64Encoded":false}"#
            let answer = try await handler(scratch).handle(
                Array(request.utf8), deadline: nil, correlationID: "t", logger: RuntimeTestSupport.quietLogger)
            #expect(answer.reports.map(\.outcome) == [.unauthenticated])
            #expect(deadLetters(scratch).isEmpty)
        }
    }

    @Test("Behind OpenFaaS's classic watchdog the headers come from Http_* and unsigned bodies are refused")
    func watchdog() async throws {
        let environment = [
            "Http_Method": "POST", "Http_Path": "/function/cart-abandoned", "Http_X_Shopify_Topic": "checkouts/update",
            "Http_X_Shopify_Hmac_Sha256": "bm90IGEgc2lnbmF0dXJl", "Http_Content_Type": "application/json",
            "PATH": "/usr/bin",
        ]
        let headers = try #require(StdinRunner.watchdogHeaders(environment))
        #expect(
            headers == [
                "x-shopify-topic": "checkouts/update", "x-shopify-hmac-sha256": "bm90IGEgc2lnbmF0dXJl",
                "content-type": "application/json",
            ])
        #expect(StdinRunner.watchdogHeaders(["PATH": "/usr/bin"]) == nil)

        try await withScratch { scratch in
            // A recorded delivery's body, its real signature replaced by a forged one.
            let recorded =
                try JSONSerialization.jsonObject(
                    with: Data(
                        contentsOf: RuntimeTestSupport.cartEvents.appendingPathComponent("shopify-loyal-vip.json")))
                as? [String: Any]
            let body = Array((recorded?["body"] as? String ?? "").utf8)
            let forged = try await handler(scratch).handleHTTPRequest(
                body: body, headers: headers, correlationID: "t", logger: RuntimeTestSupport.quietLogger)
            #expect(forged.reports.map(\.outcome) == [.unauthenticated])
            // Without any header the same bytes are refused too: over HTTP nothing is trusted unsigned.
            let bare = try await handler(scratch).handleHTTPRequest(
                body: body, headers: [:], correlationID: "t", logger: RuntimeTestSupport.quietLogger)
            #expect(bare.reports.map(\.outcome) == [.unauthenticated])
            #expect(deadLetters(scratch).isEmpty)
        }
    }
}
