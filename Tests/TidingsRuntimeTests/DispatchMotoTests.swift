import Foundation
import Testing
import TidingsCore

@testable import TidingsRuntime

/// The dispatcher against SES (moto): an order series handed over by the orderCreated handler
/// with `TIDINGS_ESP=ses` is sent step by step by `tidings dispatch` at each step's time; an
/// orderCancelled in between stops the rest; four `dispatch` processes at once send each of 50
/// due messages exactly once, counted at moto.
@Suite("Dispatch against moto", .serialized)
struct DispatchMotoTests {
    static let created = RuntimeTestSupport.root.appendingPathComponent(
        "Events/orderCreated/shopify-repeat-customer.json")
    static let cancelled = RuntimeTestSupport.root.appendingPathComponent(
        "Events/orderCancelled/shopify-customer-cancelled-after-series.json")

    static func environment(data: URL, now: String, moto: MotoServer) -> [String: String] {
        [
            "TIDINGS_DATA_DIR": data.path,
            "TIDINGS_SHOP_DIR": RuntimeTestSupport.root.appendingPathComponent("Events/shop").path,
            "TIDINGS_NOW": now, "TIDINGS_LOG_LEVEL": "critical",
        ].merging(RuntimeTestSupport.webhookSecrets) { $1 }.merging(SESMotoTests.ses(moto)) { $1 }
    }

    /// Runs a handler on an event file, as a function does.
    static func handle(_ function: FlowKind, _ event: URL, _ environment: [String: String]) async throws
        -> OutcomeReport
    {
        let handler = try FunctionEnvironment.handler(
            function: function, environment: environment, logger: RuntimeTestSupport.quietLogger)
        let answer = await handler.handle(
            Array(try Data(contentsOf: event)), deadline: nil, correlationID: "dispatch-test",
            logger: RuntimeTestSupport.quietLogger)
        return try #require(answer.reports.first)
    }

    /// Runs a built executable with arguments and the environment; returns its status and stdout.
    static func run(_ binary: String, _ arguments: [String], environment: [String: String]) throws -> Process {
        let process = Process()
        process.executableURL = try #require(RuntimeTestSupport.builtBinary(binary), "build the package first")
        process.arguments = arguments
        process.currentDirectoryURL = RuntimeTestSupport.root
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = Pipe()
        process.standardError = Pipe()
        try process.run()
        return process
    }

    /// `tidings dispatch --data-dir DATA --now NOW`: the steps it sent, from its JSON summary.
    static func dispatch(data: URL, at now: String, moto: MotoServer) throws -> [String] {
        var environment = environment(data: data, now: "", moto: moto)
        environment["TIDINGS_NOW"] = nil
        let process = try run("tidings", ["dispatch", "--data-dir", data.path, "--now", now], environment: environment)
        let output = (process.standardOutput as! Pipe).fileHandleForReading.readDataToEndOfFile()
        let errors = (process.standardError as! Pipe).fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(String(decoding: errors, as: UTF8.self).suffix(600))")
        let summary = try JSONParser.parse(Array(output)).objectValue ?? [:]
        guard case .array(let messages)? = summary["messages"] else { return [] }
        return messages.compactMap { message in
            message.objectValue?["result"]?.stringValue == "sent" ? message.objectValue?["step"]?.stringValue : nil
        }
    }

    /// The X-Tidings-Step of each message moto holds, in the order sent.
    static func stepsAtSES(_ moto: MotoServer) async throws -> [String] {
        try await moto.sentRawMessages().map { SESMotoTests.header("X-Tidings-Step", in: $0.raw) ?? "" }
    }

    @Test("An order series is sent step by step at each step's time; a cancellation between steps stops the rest")
    func seriesStepByStep() async throws {
        try await MotoServer.with { moto in
            try await moto.verify(SESMotoTests.sender)
            try await withScratch { scratch in
                // The whole series: the thank-you goes at once, the rest waits for the dispatcher.
                let whole = scratch.appendingPathComponent("whole")
                let report = try await Self.handle(
                    .orderCreated, Self.created, Self.environment(data: whole, now: "2026-11-24T15:16:00Z", moto: moto))
                #expect(report.outcome == .sent, "\(report)")
                #expect(try await Self.stepsAtSES(moto) == ["thank_you"])

                var sentByRun: [[String]] = []
                for now in [
                    "2026-11-24T15:16:00Z", "2026-11-29T14:59:59Z", "2026-11-29T15:00:00Z", "2026-11-30T09:00:00Z",
                    "2026-12-06T15:00:30Z", "2026-12-13T15:01:00Z", "2026-12-20T00:00:00Z",
                ] {
                    sentByRun.append(try Self.dispatch(data: whole, at: now, moto: moto))
                }
                #expect(sentByRun == [[], [], ["getting_started"], [], ["review_request"], ["recommendations"], []])
                #expect(
                    try await Self.stepsAtSES(moto) == [
                        "thank_you", "getting_started", "review_request", "recommendations",
                    ])
                // Each sent file sits in outbox/sent with SES's MessageId as its receipt.
                let sent = whole.appendingPathComponent("outbox/sent")
                let receipts = try FileManager.default.contentsOfDirectory(atPath: sent.path).filter {
                    $0.hasSuffix(".receipt")
                }
                #expect(receipts.count == 3)
                let ids = Set(try await moto.sentRawMessages().map(\.id))
                for receipt in receipts {
                    let text = try String(contentsOf: sent.appendingPathComponent(receipt), encoding: .utf8)
                    let reference = text.components(separatedBy: "reference: ").last?.trimmingCharacters(
                        in: .whitespacesAndNewlines)
                    #expect(reference.map(ids.contains) == true, "\(text)")
                }
                // The audit holds one dispatch record per step, with the event id and no address.
                let audit = try ReplayGoldenTests.auditLines(whole).filter { $0.contains("\"function\":\"dispatch\"") }
                #expect(audit.count == 3)
                #expect(audit.allSatisfy { $0.contains("7d1f6a2e-0c4b-4f0e-9a51-1c2b3d4e0c01") })
                #expect(audit.allSatisfy { !$0.contains("@") }, "no recipient in a dispatch record")

                // The same order, cancelled the day after: only the thank-you ever goes.
                let before = try await moto.sentRawMessages().count
                let stopped = scratch.appendingPathComponent("cancelled")
                _ = try await Self.handle(
                    .orderCreated, Self.created,
                    Self.environment(data: stopped, now: "2026-11-24T15:16:00Z", moto: moto))
                #expect(try Self.dispatch(data: stopped, at: "2026-11-24T15:17:00Z", moto: moto).isEmpty)
                let cancellation = try await Self.handle(
                    .orderCancelled, Self.cancelled,
                    Self.environment(data: stopped, now: "2026-11-25T13:31:00Z", moto: moto))
                #expect(cancellation.outcome != .failed, "\(cancellation)")
                for now in ["2026-11-29T15:00:00Z", "2026-12-06T15:00:00Z", "2026-12-13T15:00:00Z"] {
                    #expect(try Self.dispatch(data: stopped, at: now, moto: moto).isEmpty)
                }
                let after = try await moto.sentRawMessages()
                #expect(after.count - before <= 2, "at most the thank-you and the cancellation notice")
                #expect(
                    after.dropFirst(before).allSatisfy {
                        !["getting_started", "review_request", "recommendations"].contains(
                            SESMotoTests.header("X-Tidings-Step", in: $0.raw) ?? "")
                    })
                let cancelledFiles = try FileManager.default.contentsOfDirectory(
                    atPath: stopped.appendingPathComponent("outbox/cancelled").path
                ).filter { $0.hasSuffix(".eml") }
                #expect(cancelledFiles.count == 3)
            }
        }
    }

    @Test("Four dispatch processes at once over 50 due messages: moto receives each exactly once")
    func concurrentProcesses() async throws {
        try await MotoServer.with { moto in
            try await moto.verify(SESMotoTests.sender)
            try await withScratch { scratch in
                // One real series message, copied into 50 due messages with their own Message-IDs.
                let data = scratch.appendingPathComponent("data")
                _ = try await Self.handle(
                    .orderCreated, Self.created, Self.environment(data: data, now: "2026-11-24T15:16:00Z", moto: moto))
                let outbox = data.appendingPathComponent("outbox")
                let originals = try FileManager.default.contentsOfDirectory(atPath: outbox.path).sorted().filter {
                    $0.hasSuffix(".eml")
                }
                let template = try #require(originals.first)
                let text = try String(contentsOf: outbox.appendingPathComponent(template), encoding: .utf8)
                let messageID = try #require(
                    text.components(separatedBy: "\r\n").first { $0.hasPrefix("Message-ID: <") })
                for index in 0..<50 {
                    let copy = text.replacingOccurrences(
                        of: messageID, with: "Message-ID: <copy\(index)-\(messageID.dropFirst("Message-ID: <".count))")
                    try copy.write(
                        to: outbox.appendingPathComponent(
                            "\(template.prefix(16))-orderCreated-copy\(String(format: "%02d", index)).eml"),
                        atomically: true, encoding: .utf8)
                }
                for original in originals {
                    try FileManager.default.removeItem(at: outbox.appendingPathComponent(original))
                }
                let before = try await moto.sentRawMessages().count

                var environment = Self.environment(data: data, now: "2026-11-29T15:00:00Z", moto: moto)
                environment["TIDINGS_DISPATCH_LIMIT"] = "100"
                let processes = try (0..<4).map { _ in try Self.run("dispatch", [], environment: environment) }
                var sentByProcess: [Int] = []
                for process in processes {
                    let output = (process.standardOutput as! Pipe).fileHandleForReading.readDataToEndOfFile()
                    _ = (process.standardError as! Pipe).fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    #expect(process.terminationStatus == 0)
                    let summary = try JSONParser.parse(Array(output)).objectValue ?? [:]
                    sentByProcess.append(summary["sent"].flatMap { if case .int(let n) = $0 { n } else { nil } } ?? -1)
                }
                let received = try await moto.sentRawMessages().dropFirst(before)
                let ids = received.compactMap { SESMotoTests.header("Message-ID", in: $0.raw) }
                #expect(received.count == 50, "moto received \(received.count); per process \(sentByProcess)")
                #expect(Set(ids).count == 50, "no message twice")
                #expect(sentByProcess.reduce(0, +) == 50, "\(sentByProcess)")
                let left = try FileManager.default.contentsOfDirectory(atPath: outbox.path).filter {
                    $0.hasSuffix(".eml")
                }
                #expect(left.isEmpty)
                #expect(
                    try FileManager.default.contentsOfDirectory(atPath: outbox.appendingPathComponent("claimed").path)
                        .isEmpty)
                // The audit of four writers verifies: every attempt ends, no message is sent twice.
                let verify = try Self.run("tidings", ["audit", "verify", "--data-dir", data.path], environment: [:])
                let report = (verify.standardOutput as! Pipe).fileHandleForReading.readDataToEndOfFile()
                _ = (verify.standardError as! Pipe).fileHandleForReading.readDataToEndOfFile()
                verify.waitUntilExit()
                #expect(verify.terminationStatus == 0, "\(String(decoding: report, as: UTF8.self).suffix(800))")
            }
        }
    }

    @Test(
        "The dispatch function under the Runtime API: a scheduler invocation sends what is due and answers the summary")
    func underRuntimeAPI() async throws {
        try await MotoServer.with { moto in
            try await moto.verify(SESMotoTests.sender)
            try await withScratch { scratch in
                let data = scratch.appendingPathComponent("data")
                _ = try await Self.handle(
                    .orderCreated, Self.created, Self.environment(data: data, now: "2026-11-24T15:16:00Z", moto: moto))
                let before = try await moto.sentRawMessages().count
                let tick = scratch.appendingPathComponent("scheduler-tick.json")
                try Data(
                    #"{"version":"0","id":"tick-1","detail-type":"Scheduled Event","source":"aws.scheduler","time":"2026-11-29T15:00:00Z","detail":{}}"#
                        .utf8
                ).write(to: tick)
                let binary = try #require(RuntimeTestSupport.builtBinary("dispatch"), "build the package first")
                let results = try FakeRuntimeAPI.run(
                    invocations: [["id": "req-dispatch", "body_file": tick.path]], scratch: scratch
                ) { address in
                    let process = Process()
                    process.executableURL = binary
                    var environment = ProcessInfo.processInfo.environment.merging(
                        Self.environment(data: data, now: "2026-11-29T15:00:00Z", moto: moto)
                    ) { $1 }
                    environment["AWS_LAMBDA_RUNTIME_API"] = address
                    process.environment = environment
                    process.standardInput = FileHandle.nullDevice
                    process.standardOutput = FileHandle.nullDevice
                    process.standardError = FileHandle.nullDevice
                    try process.run()
                    process.waitUntilExit()
                    #expect(process.terminationStatus != 0, "a 500 from next must end the process")
                }
                #expect(
                    results.requests.map { "\($0.method) \($0.path)" } == [
                        "GET /2018-06-01/runtime/invocation/next",
                        "POST /2018-06-01/runtime/invocation/req-dispatch/response",
                        "GET /2018-06-01/runtime/invocation/next",
                    ])
                let answer = try JSONParser.parse(Array(try #require(results.posts.first).body.utf8)).objectValue ?? [:]
                #expect(answer["sent"] == .int(1), "\(answer)")
                let received = try await moto.sentRawMessages().dropFirst(before)
                #expect(received.map { SESMotoTests.header("X-Tidings-Step", in: $0.raw) } == ["getting_started"])
            }
        }
    }
}

/// `tidings dispatch` refuses what it cannot work with, naming the option or variable.
@Suite("tidings dispatch input")
struct DispatchCommandInputTests {
    func run(_ arguments: [String], _ environment: [String: String]) throws -> (status: Int32, stderr: String) {
        let process = try DispatchMotoTests.run("tidings", ["dispatch"] + arguments, environment: environment)
        _ = (process.standardOutput as! Pipe).fileHandleForReading.readDataToEndOfFile()
        let errors = (process.standardError as! Pipe).fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: errors, as: UTF8.self))
    }

    @Test("the outbox as the service, a bad --now, --limit 0 and a missing region are refused by name")
    func refusals() throws {
        try withScratchSync { scratch in
            let base = ["TIDINGS_DATA_DIR": scratch.path, "TIDINGS_ESP": "outbox", "TIDINGS_LOG_LEVEL": "critical"]
            let outbox = try run([], base)
            #expect(outbox.status != 0)
            #expect(outbox.stderr.contains("TIDINGS_ESP"), "\(outbox.stderr)")
            let badNow = try run(["--now", "yesterday"], base)
            #expect(badNow.status != 0 && badNow.stderr.contains("--now"), "\(badNow.stderr)")
            let badLimit = try run(["--limit", "0"], base)
            #expect(badLimit.status != 0 && badLimit.stderr.contains("--limit"), "\(badLimit.stderr)")
            var ses = base
            ses["TIDINGS_ESP"] = "ses"
            ses["AWS_ACCESS_KEY_ID"] = "AKIDEXAMPLE"
            ses["AWS_SECRET_ACCESS_KEY"] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
            let process = try DispatchMotoTests.run("tidings", ["dispatch"], environment: ses)
            _ = (process.standardOutput as! Pipe).fileHandleForReading.readDataToEndOfFile()
            let errors = String(
                decoding: (process.standardError as! Pipe).fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            // The test process may carry an AWS_REGION of its own; without one, the error names it.
            if ProcessInfo.processInfo.environment["AWS_REGION"] == nil
                && ProcessInfo.processInfo.environment["AWS_DEFAULT_REGION"] == nil
            {
                #expect(process.terminationStatus != 0 && errors.contains("AWS_REGION"), "\(errors)")
            }
            #expect(!errors.contains("wJalrXUtnFEMI"), "the secret is never printed")
        }
    }
}
