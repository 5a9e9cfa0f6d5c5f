import Foundation
import Logging
import Testing

@testable import TidingsRuntime

/// Collects what a log handler writes.
final class CapturedStream: TextOutputStream, @unchecked Sendable {
    private let lock = NSLock()
    private var text = ""
    var written: String { lock.withLock { text } }
    func write(_ string: String) { lock.withLock { text += string } }
}

@Suite("Log escaping")
struct LogEscapingTests {
    @Test("An event id with CR LF cannot forge a log line: message, metadata and errors are escaped")
    func forgedLine() {
        let stream = CapturedStream()
        var logger = Logger(label: "tidings.test") { EscapingLogHandler(label: $0, stream: stream) }
        logger[metadataKey: "function"] = "cart\u{1B}[31mAbandoned"
        let forged = "evt-1\r\n2026-11-21T17:00:00+0000 critical tidings.cartAbandoned : audit chain broken"
        logger.warning(
            "handled \(forged)",
            metadata: [
                "event.id": .string(forged), "reasons": .array([.string("a\nb")]),
                "nested": .dictionary(["x\ty": .stringConvertible(42)]),
            ])
        struct Failure: Error, CustomStringConvertible { var description: String { "bad\u{2028}thing\u{0}" } }
        logger.error("failed", error: Failure())
        let lines = stream.written.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
        #expect(lines.count == 2, "\(lines)")
        #expect(!stream.written.contains("\r"))
        #expect(!stream.written.contains("\u{1B}"))
        #expect(lines[0].contains(#"evt-1\r\n2026-11-21T17:00:00+0000 critical"#))
        #expect(lines[0].contains(#"cart\u{1B}[31mAbandoned"#))
        // Lists and dictionaries print their elements quoted, which doubles the escape's backslash.
        #expect(lines[0].contains(#"a\\nb"#))
        #expect(lines[0].contains(#"x\\ty"#))
        #expect(lines[1].contains(#"bad\u{2028}thing\u{0}"#))
    }

    @Test("Plain text passes unchanged; every C0, C1, DEL and line separator is escaped")
    func escaping() {
        #expect(EscapingLogHandler.escaped("Ünïcode ✓ plain") == "Ünïcode ✓ plain")
        #expect(EscapingLogHandler.escaped("a\u{7F}b\u{85}c\u{2029}") == #"a\u{7F}b\u{85}c\u{2029}"#)
        #expect(EscapingLogHandler.escaped("\t") == #"\t"#)
    }

    @Test("The functions' logger is the escaping one")
    func functionsLogger() {
        let logger = FunctionEnvironment.logger(label: "x", environment: ["TIDINGS_LOG_LEVEL": "warning"])
        #expect(logger.handler is EscapingLogHandler)
        #expect(logger.logLevel == .warning)
    }
}
