import Foundation
import Testing
import TidingsCore

@testable import TidingsRuntime

/// `TIDINGS_DISPATCH_CONCURRENCY` and `TIDINGS_DISPATCH_RATE`: defaults, accepted values, and a
/// refusal that names the variable.
@Suite("Dispatch pacing from the environment")
struct DispatchPacingTests {
    @Test("unset: four in flight and no rate ceiling; set: the values given")
    func values() throws {
        #expect(try DispatchMain.pacing([:]) == DispatchPacing(concurrency: 4, ratePerSecond: nil))
        let set = try DispatchMain.pacing(["TIDINGS_DISPATCH_CONCURRENCY": "16", "TIDINGS_DISPATCH_RATE": "14"])
        #expect(set == DispatchPacing(concurrency: 16, ratePerSecond: 14))
        #expect(try DispatchMain.pacing(["TIDINGS_DISPATCH_RATE": "0.5"]).ratePerSecond == 0.5)
    }

    @Test(
        "a bad value is refused with the variable's name",
        arguments: [
            ("TIDINGS_DISPATCH_CONCURRENCY", "0"), ("TIDINGS_DISPATCH_CONCURRENCY", "65"),
            ("TIDINGS_DISPATCH_CONCURRENCY", "four"), ("TIDINGS_DISPATCH_RATE", "0"), ("TIDINGS_DISPATCH_RATE", "-3"),
            ("TIDINGS_DISPATCH_RATE", "inf"), ("TIDINGS_DISPATCH_RATE", "fast"),
        ])
    func refused(key: String, value: String) {
        #expect {
            _ = try DispatchMain.pacing([key: value])
        } throws: { error in
            (error as? ConfigurationError)?.key == key
        }
    }
}
