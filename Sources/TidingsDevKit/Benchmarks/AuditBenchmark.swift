import Foundation
import TidingsCore

/// Measures the audit log's append and verify rates, for `tidings bench`. Prints nothing: the
/// caller decides how figures are shown.
package enum AuditBenchmark {
    /// Figures of one run.
    package struct Result: Sendable {
        /// Records appended and then verified.
        package var records: Int
        /// Size of the written log in bytes.
        package var bytes: Int
        /// Records appended per second (one `JSONLAuditLog`, one thread).
        package var appendPerSecond: Double
        /// Records verified per second (`AuditVerifier`, one thread).
        package var verifyPerSecond: Double
    }

    /// Appends `records` records shaped like a real event's stages (about 440 bytes each, every
    /// eighth one a terminal outcome, and the last one too) into a fresh log under `directory`,
    /// then verifies it strictly.
    /// `directory` must be empty or absent; it is left in place for the caller to remove.
    /// With `key` the log is sealed and verified with HMAC-SHA256 (`TIDINGS_AUDIT_KEY`).
    /// Throws `AuditError` on I/O failure, or when the log does not verify.
    package static func run(records: Int, directory: URL, key: AuditKey? = nil) throws -> Result {
        let log = JSONLAuditLog(root: directory, writerID: "bench", key: key)
        let stages = [
            "received", "normalize", "guards", "enrich", "insights", "generate", "validate", "outcome",
        ]
        let start = Date(timeIntervalSince1970: 1_795_000_000)  // one UTC day, so one file
        let clock = ContinuousClock()

        let appendTime = try clock.measure {
            for index in 0..<records {
                // The last record closes its event even mid-cycle, so any count verifies strictly.
                let stage = index == records - 1 ? "outcome" : stages[index % stages.count]
                let isLast = stage == "outcome"
                try log.append(
                    AuditEntry(
                        time: start.addingTimeInterval(Double(index) / 100),
                        eventID: "gid://shopify/Checkout/\(index / stages.count)",
                        correlationID: "c0ffee00-\(index / stages.count)",
                        function: "cartAbandoned",
                        stage: stage,
                        outcome: isLast ? .sent : nil,
                        facts: [
                            "shop": "demo-store.myshopify.com",
                            "duration_ms": .int(index % 97),
                            "note": "cart of 3 items, \"tier\": silver",
                            "score": .double(0.875),
                        ]
                    ))
            }
        }

        let verifier = AuditVerifier(root: directory, key: key)
        var report: AuditVerificationReport?
        let verifyTime = try clock.measure { report = try verifier.verify() }
        guard let report, report.passed, report.warnings.isEmpty, report.goodRecords == records else {
            throw AuditError(
                .notVerified, path: directory.path,
                reason:
                    "the benchmark's log did not verify: \(report?.problems.first?.description ?? "no report")"
            )
        }
        let bytes = report.files.reduce(0) { total, file in
            let path = directory.appendingPathComponent(file.file).path
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
            return total + (size ?? 0)
        }
        return Result(
            records: records, bytes: bytes,
            appendPerSecond: Double(records) / appendTime.seconds,
            verifyPerSecond: Double(records) / verifyTime.seconds)
    }
}

extension Duration {
    /// The duration in seconds as a floating-point number.
    fileprivate var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
