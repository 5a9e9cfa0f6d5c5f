import Foundation
import Testing

/// libcurl is loaded by the first HTTP transport, not at exec (docs/decisions/http-transport.md):
/// a handler on the embedded defaults must not pay for it.
@Suite struct LibcurlLoadingTests {
    @Test("A handler on the offline copywriter never loads libcurl (the loader's LD_DEBUG trace names every library)")
    func offlineHandlerLoadsNoLibcurl() async throws {
        try await withScratch { scratch in
            let execution = try RuntimeTestSupport.execute(
                "cartAbandoned",
                event: RuntimeTestSupport.cartEvents.appendingPathComponent("canonical-returning-customer.json"),
                environment: [
                    "TIDINGS_DATA_DIR": scratch.path, "TIDINGS_LOG_LEVEL": "error",
                    "TIDINGS_NOW": "2026-11-21T18:20:00Z", "LD_DEBUG": "libs",
                ])
            #expect(execution.status == 0)
            // The trace is there, so its lack of libcurl means something.
            #expect(execution.stderr.contains("find library=libc.so.6"))
            #expect(!execution.stderr.contains("libcurl"))
        }
    }
}
