import Foundation
import TidingsCore
import TidingsRuntime

/// Runs a handler binary against a loopback Runtime API, as Lambda would: starts it with
/// `AWS_LAMBDA_RUNTIME_API` set, feeds the events one invocation at a time, collects each answer,
/// then stops it with SIGTERM. `tidings emulate` and the end-to-end tests use it.
package struct Emulation {
    /// One event's answer.
    package struct Answer: Sendable {
        /// The event as given (a file path or a label).
        package var event: String
        /// `response` or `error`; `none` when the handler did not answer in time or had exited.
        package var kind: String
        /// `Lambda-Runtime-Function-Error-Type` of an error.
        package var errorType: String?
        /// The posted document.
        package var body: [UInt8]
        /// Milliseconds from queueing the invocation to its answer.
        package var milliseconds: Double
    }

    /// What the run produced.
    package struct Outcome: Sendable {
        /// One answer per event, in order.
        package var answers: [Answer]
        /// A posted `/runtime/init/error`, when start-up failed.
        package var initError: RuntimeAPIEmulator.Post?
        /// The handler's exit status (after SIGTERM, or its own exit).
        package var exitStatus: Int32
        /// Milliseconds from starting the process to the first answer (nil without one).
        package var firstAnswerMilliseconds: Double?
    }

    /// The handler executable.
    package var binary: URL
    /// The handler's environment (AWS_LAMBDA_RUNTIME_API is added).
    package var environment: [String: String]
    /// The invocation timeout: each invocation's deadline, and how long to wait for its answer.
    package var timeout: TimeInterval = 30
    /// Where the handler's stderr goes (nil: inherited).
    package var standardError: FileHandle?

    /// An emulation of `binary` with `environment` (inherit the caller's and add to it).
    package init(binary: URL, environment: [String: String]) {
        self.binary = binary
        self.environment = environment
    }

    /// Feeds `events` (label and body) and stops the handler. `onAnswer` sees each answer as it arrives.
    package func run(_ events: [(label: String, body: [UInt8])], onAnswer: (Answer) -> Void = { _ in }) throws
        -> Outcome
    {
        let api = try RuntimeAPIEmulator()
        defer { api.stop() }
        let process = Process()
        process.executableURL = binary
        var environment = self.environment
        environment["AWS_LAMBDA_RUNTIME_API"] = api.address
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.standardError
        if let standardError { process.standardError = standardError }
        if let first = events.first {
            api.enqueue(RuntimeAPIEmulator.Invocation(body: first.body, timeout: timeout))
        }
        let started = Date()
        try process.run()
        var answers: [Answer] = []
        var firstAnswer: Double?
        var initError: RuntimeAPIEmulator.Post?
        for (index, event) in events.enumerated() {
            if index > 0 { api.enqueue(RuntimeAPIEmulator.Invocation(body: event.body, timeout: timeout)) }
            let queued = index == 0 ? started : Date()
            var posts = api.recordedPosts
            let deadline = Date().addingTimeInterval(timeout + 5)
            while posts.filter({ $0.kind != "init-error" }).count <= index, process.isRunning, Date() < deadline {
                posts = api.waitForPosts(posts.count + 1, timeout: 0.05)
            }
            initError = posts.first { $0.kind == "init-error" }
            let answered = posts.filter { $0.kind != "init-error" }
            guard answered.count > index else {
                let answer = Answer(event: event.label, kind: "none", errorType: nil, body: [], milliseconds: 0)
                answers.append(answer)
                onAnswer(answer)
                break
            }
            let post = answered[index]
            let elapsed = Date().timeIntervalSince(queued) * 1000
            if firstAnswer == nil { firstAnswer = Date().timeIntervalSince(started) * 1000 }
            let answer = Answer(
                event: event.label, kind: post.kind, errorType: post.errorType, body: post.body, milliseconds: elapsed)
            answers.append(answer)
            onAnswer(answer)
        }
        if process.isRunning {
            // Idle in `next` by now: SIGTERM should end it at once with status 0.
            _ = api.waitForNextCalls(answers.count + 1, timeout: 5)
            process.terminate()
        }
        process.waitUntilExit()
        if initError == nil { initError = api.recordedPosts.first { $0.kind == "init-error" } }
        return Outcome(
            answers: answers, initError: initError, exitStatus: process.terminationStatus,
            firstAnswerMilliseconds: firstAnswer)
    }
}
