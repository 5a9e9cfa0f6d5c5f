import Foundation
import Testing
import TidingsCore

@testable import TidingsRuntime

/// The secret rule of issue 11: an API key is never in a log line, an error, the audit or an
/// .eml. Every provider runs its handler binary with distinctive fake keys (from the variable and
/// from its `_FILE` form) through answers that tempt a leak (the fake's 401 echoes the key in its
/// error body, as a careless proxy might; a refusal; a cut or non-JSON body; a rejected draft),
/// logging at trace; then every byte the process wrote is searched.
@Suite("The API key appears in no byte a handler writes")
struct ModelSecretTests {
    typealias Provider = ModelHandlerBinaryTests.Provider

    /// What every key shares: searching for it also finds a key cut short.
    static let canary = "LEAKCANARY"

    typealias Flow = ModelHandlerBinaryTests.Flow

    /// A cart a person must review (the review queue gets its draft and .eml) and one that is
    /// refused before any model call (the dead-letter folder gets it): every folder a handler
    /// writes is searched.
    static let reviewed = Flow(
        handler: "cartAbandoned", event: "Events/cartAbandoned/shopify-loyal-vip.json", now: "2026-11-21T19:00:00Z",
        messages: 1)
    static let refused = Flow(
        handler: "cartAbandoned", event: "Events/cartAbandoned/invalid/missing-customer.json",
        now: "2026-11-21T19:00:00Z", messages: 0)

    static let runs: [(flow: Flow, step: String)] =
        ["clean", "401", "refusal", "truncated", "html", "notjson", "incomplete", "badschema,badschema", "plant-link"]
        .map { (Flow.cart, $0) } + [(reviewed, "401"), (reviewed, "clean"), (refused, "clean")]

    /// Every file under `directory`, hidden ones included.
    static func files(under directory: URL) -> [URL] {
        let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey])
        var files: [URL] = []
        while let url = enumerator?.nextObject() as? URL {
            if (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true { files.append(url) }
        }
        return files
    }

    @Test(
        "Keys from the variable and from its _FILE form leak into no file, stdout or stderr",
        arguments: Provider.allCases)
    func noByteHoldsTheKey(_ provider: Provider) async throws {
        try await withScratch { scratch in
            try await ModelFake.with { fake in
                let keyFile = scratch.appendingPathComponent("secrets/key")
                try FileManager.default.createDirectory(
                    at: keyFile.deletingLastPathComponent(), withIntermediateDirectories: true)
                var written: [URL] = []
                for (index, (flow, step)) in Self.runs.enumerated() {
                    let fromFile = index % 2 == 1
                    let key =
                        "sk-test-\(Self.canary)-\(provider.rawValue)-\(fromFile ? "file" : "env")-\(index)-9f8e7d6c5b4a"
                    let model = "m\(index)@\(step)"
                    var environment = provider.environment(fake: fake, model: model)
                    if fromFile {
                        // As a mounted secret is written: with a final newline, which is not the key.
                        try Data((key + "\n").utf8).write(to: keyFile)
                        environment[provider.keyVariable + "_FILE"] = keyFile.path
                    } else {
                        environment[provider.keyVariable] = key
                    }
                    let name = "data-\(index)"
                    let run = try await ModelHandlerBinaryTests.run(
                        flow, in: scratch, name: name, environment: environment, logLevel: "trace")
                    let expected: TidingsRuntime.ExitStatus = flow.messages == 0 ? .badInput : .handled
                    #expect(run.execution.status == expected.rawValue, "\(step): \(run.execution.stderr)")
                    #expect(run.outcome != nil, "\(step): no answer on stdout")

                    // The key did reach the fake (so the search below can find something), and the
                    // 401 step sent it back in its body.
                    let requests = try await fake.received().filter { $0.body["model"]?.stringValue == model }
                    #expect(requests.isEmpty == (flow.messages == 0), "\(flow.event) \(step)")
                    for request in requests {
                        let presented = request.headers["x-api-key"] ?? request.headers["authorization"] ?? ""
                        #expect(presented.hasSuffix(key), "\(step): the fake was not sent the key")
                    }
                    if step == "401" { #expect(requests.first?.answer?.contains(key) == true) }

                    for (what, bytes) in [
                        ("stdout", run.execution.stdout), ("stderr", Data(run.execution.stderr.utf8)),
                    ] {
                        let leaked = String(decoding: bytes, as: UTF8.self).contains(Self.canary)
                        #expect(!leaked, "\(step): the key is in \(what)")
                    }
                    let files = Self.files(under: run.data)
                    written += files
                    for file in files {
                        let leaked = String(decoding: try Data(contentsOf: file), as: UTF8.self).contains(Self.canary)
                        #expect(
                            !leaked,
                            "\(provider.rawValue) \(step): the key is in \(file.path.replacingOccurrences(of: run.data.path, with: ""))"
                        )
                    }
                }
                // The search covered what a handler writes: audit records, kept content, emails.
                let paths = written.map(\.path)
                #expect(paths.contains { $0.hasSuffix(".jsonl") })
                #expect(paths.contains { $0.contains("/audit/content/") })
                #expect(paths.contains { $0.contains("/outbox/") && $0.hasSuffix(".eml") })
                #expect(paths.contains { $0.contains("/review/") && $0.hasSuffix(".eml") })
                #expect(paths.contains { $0.contains("/dead-letter/") })
            }
        }
    }
}
