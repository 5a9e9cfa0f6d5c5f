import Foundation
import Testing
import TidingsCore
import TidingsDevKit

@testable import TidingsRuntime

/// Issue 12's fault proof, small enough for the suite: 200 distinct cart events through the
/// pipeline and the production Klaviyo service against the fake answering 20 % of requests with
/// faults; `tidings bench esp-faults` runs the same with 1,000 (docs/BENCHMARKS.md).
@Suite("Klaviyo under injected faults")
struct KlaviyoFaultRunTests {
    @Test("200 events under 20 % faults: one terminal outcome each, failures retryable and replayed, attempts bounded")
    func faultRun() async throws {
        try await TestPython.withServer(
            "the Klaviyo fake", [KlaviyoFake.script.path, "--retry-after", "1", "--hang", "3"]
        ) { port in
            try await withScratch { scratch in
                var options = ESPFaultRun.Options(root: RuntimeTestSupport.root)
                options.events = 200
                options.timeout = 1
                // One retry instead of three, so that some requests fail for good and the replay
                // pass has work: with three, a request fails 0.2^4 of the time (about 1 in 600).
                options.policy = RetryPolicy(maxRetries: 1, baseDelay: 0.05)
                let figures = try await ESPFaultRun.run(
                    baseURL: "http://127.0.0.1:\(port)", key: KlaviyoFake.key, data: scratch, options: options,
                    makeTransport: { FunctionEnvironment.curlTransport(name: "klaviyo-test", timeout: $0) })
                #expect(figures.problems == [], "\(figures.lines.joined(separator: "\n"))")
                #expect(figures.firstPass.values.reduce(0, +) == 200)
                #expect(figures.firstPass["failed", default: 0] > 0, "some requests failed twice in a row")
                #expect(figures.replay["sent"] == figures.firstPass["failed"], "every failed one sent on replay")
                #expect(figures.recorded == 200, "each event recorded once")
                #expect(figures.maxAttemptsPerRequest <= 2)
                for kind in ["429", "500", "503", "reset", "late-reset", "hang"] {
                    #expect(figures.faults[kind, default: 0] > 0, "the mix included \(kind)")
                }
                let faults = figures.faults.values.reduce(0, +)
                let share = Double(faults) / Double(figures.requests - figures.replay.values.reduce(0, +) * 2)
                #expect(share > 0.15 && share < 0.25, "about 20 % of the first pass's requests: \(share)")
            }
        }
    }
}
