import Foundation
import Testing
import TidingsCore
import TidingsDevKit

@testable import TidingsRuntime

/// Issue 15, "Human review": a VIP's cart draft waits, reviewers with and without the role, the
/// approval's send and audit, rejection, edits the validator refuses or passes, and expiry, all on
/// the recorded VIP cart (Events/cartAbandoned/shopify-loyal-vip.json).
@Suite("Review desk: roles, decisions, expiry")
struct ReviewDeskTests {
    /// After the cart's one-hour delay, as the replay goldens run it.
    static let now = Timestamp.parse("2026-11-21T19:20:00Z")!
    static let vipEvent = RuntimeTestSupport.cartEvents.appendingPathComponent("shopify-loyal-vip.json")
    static let config = #"""
        {"review": {"reviewers": {
            "maria": {"flows": ["orderCancelled", "cartAbandoned"], "tiers": ["*"]},
            "tom": {"flows": ["cartAbandoned"], "tiers": ["new", "regular"]},
            "olga": {"flows": ["winBack"], "tiers": ["*"]},
            "ana": {"flows": ["*"], "tiers": ["vip", "loyal"]}
        }}}
        """#

    /// The environment of a run on the recorded shop with the reviewers above, the outbox as service.
    static func environment(_ scratch: URL) throws -> [String: String] {
        let file = scratch.appendingPathComponent("config.json")
        try Data(config.utf8).write(to: file)
        let data = scratch.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        return [
            "TIDINGS_DATA_DIR": data.path, "TIDINGS_CONFIG_FILE": file.path,
            "TIDINGS_SHOP_DIR": RuntimeTestSupport.root.appendingPathComponent("Events/shop").path,
            "TIDINGS_ESP": "outbox", "TIDINGS_NOW": Timestamp.format(now),
        ].merging(RuntimeTestSupport.webhookSecrets) { $1 }
    }

    static func configuration(_ scratch: URL) throws -> Configuration {
        try Configuration.load(environment: try environment(scratch), workingDirectory: RuntimeTestSupport.root)
    }

    /// Runs the recorded VIP cart through the cartAbandoned pipeline; returns its report and review id.
    static func queueVIP(_ configuration: Configuration) async throws -> (OutcomeReport, String) {
        let stages = try FunctionEnvironment.embeddedStages(
            function: .cartAbandoned, configuration: configuration, clock: FixedClock(now))
        let pipeline = try Pipeline(flow: .cartAbandoned(configuration), configuration: configuration, stages: stages)
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: vipEvent)) as! [String: Any]
        let body = Array((document["body"] as! String).utf8)
        let report = await pipeline.handle(
            InboundDelivery(body: body, headers: document["headers"] as! [String: String]), correlationID: "t",
            logger: RuntimeTestSupport.quietLogger)
        let pending = try FolderReviewQueue(directory: configuration.dataDirectory.appendingPathComponent("review"))
            .pending()
        return (report, try #require(pending.first).id)
    }

    static func desk(_ configuration: Configuration, at time: Date = now.addingTimeInterval(3600)) throws -> ReviewDesk
    {
        try ReviewDeskEnvironment.desk(configuration, logger: RuntimeTestSupport.quietLogger, clock: FixedClock(time))
    }

    /// The event's terminal outcomes in audit order.
    static func outcomes(_ configuration: Configuration, _ eventID: String) throws -> [String] {
        try AuditStory.read(root: configuration.dataDirectory.appendingPathComponent("audit"), eventID: eventID)
            .records.compactMap(\.outcome)
    }

    static func outbox(_ configuration: Configuration) -> [String] {
        let folder = configuration.dataDirectory.appendingPathComponent("outbox")
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter {
            $0.hasSuffix(".eml")
        }
    }

    static func refusal(_ body: () async throws(ReviewDeskError) -> ReviewDesk.Report) async -> ReviewDeskError? {
        do {
            _ = try await body()
            return nil
        } catch {
            return error
        }
    }

    @Test(
        "Done when: the VIP draft waits; no role, no approval; maria approves, the .eml is in the outbox, the audit says who and when"
    )
    func vipApprovedThroughTheCommandLine() async throws {
        try await withScratch { scratch in
            let environment = try Self.environment(scratch)
            let handled = try await SchedulingESPTests.execute(
                "cartAbandoned", event: Self.vipEvent, environment: environment)
            let result = try JSONSerialization.jsonObject(with: handled.stdout) as? [String: Any]
            #expect(result?["outcome"] as? String == "queued_for_review", "\(handled.stderr)")
            let eventID = try #require(result?["event_id"] as? String)
            let configuration = try Self.configuration(scratch)
            #expect(Self.outbox(configuration).isEmpty)
            let id = try #require(
                try FolderReviewQueue(directory: configuration.dataDirectory.appendingPathComponent("review")).pending()
                    .first?.id)

            let listed = try await tidings(["review", "list"], environment)
            #expect(listed.status == 0)
            #expect(listed.output.contains(id) && listed.output.contains("tier vip"), "\(listed.output)")

            let later = environment.merging(["TIDINGS_NOW": "2026-11-21T20:05:00Z"]) { $1 }
            let tom = try await tidings(["review", "approve", id, "--reviewer", "tom"], later)
            #expect(tom.status != 0)
            #expect(tom.error.contains("not_permitted") && tom.error.contains("vip"), "\(tom.error)")
            let stranger = try await tidings(["review", "approve", id, "--reviewer", "mallory"], later)
            #expect(stranger.status != 0)
            #expect(stranger.error.contains("unknown reviewer 'mallory'"), "\(stranger.error)")
            #expect(Self.outbox(configuration).isEmpty, "a refused approval sends nothing")

            let maria = try await tidings(["review", "approve", id, "--reviewer", "maria"], later)
            #expect(maria.status == 0, "\(maria.error)")
            #expect(maria.output.contains("is now sent"), "\(maria.output)")
            let sent = try #require(Self.outbox(configuration).first)
            let email = try String(
                contentsOf: configuration.dataDirectory.appendingPathComponent("outbox/\(sent)"), encoding: .utf8)
            #expect(email.contains("X-Tidings-Event-Id: \(eventID)"))
            #expect(email.contains("To: "))

            let story = try AuditStory.read(
                root: configuration.dataDirectory.appendingPathComponent("audit"), eventID: eventID)
            let approval = try #require(story.records.first { $0.stage == "review_approve" })
            #expect(approval.facts["reviewer"]?.stringValue == "maria")
            #expect(approval.time.hasPrefix("2026-11-21T20:05:00"))
            let deliver = try #require(story.records.last { $0.stage == "deliver" })
            #expect(deliver.facts["approved_by"]?.stringValue == "maria")
            #expect(deliver.facts["service"]?.stringValue == "outbox")
            #expect(story.records.compactMap(\.outcome) == ["queued_for_review", "sent"])
            #expect(
                try FolderReviewQueue(directory: configuration.dataDirectory.appendingPathComponent("review")).pending()
                    .isEmpty)

            // A second approval finds nothing: the event has one send.
            let again = try await tidings(["review", "approve", id, "--reviewer", "ana"], later)
            #expect(again.status != 0 && again.error.contains("not_found"), "\(again.error)")
            let verified = try AuditVerifier(root: configuration.dataDirectory.appendingPathComponent("audit")).verify()
            #expect(verified.passed, "\(verified.problems)")
        }
    }

    @Test("Roles: an unknown name, a flow not covered, a tier not covered are refused and change nothing")
    func roleRefusals() async throws {
        try await withScratch { scratch in
            let configuration = try Self.configuration(scratch)
            let (report, id) = try await Self.queueVIP(configuration)
            #expect(report.outcome == .queuedForReview)
            let desk = try Self.desk(configuration)
            let unknown = await Self.refusal { () async throws(ReviewDeskError) in
                try await desk.approve(id, reviewer: "eve")
            }
            #expect(unknown?.code == .unknownReviewer)
            #expect(unknown?.message.contains("ana, maria, olga, tom") == true)
            let wrongFlow = await Self.refusal { () async throws(ReviewDeskError) in
                try await desk.reject(id, reviewer: "olga", reason: "no")
            }
            #expect(wrongFlow?.code == .notPermitted)
            #expect(wrongFlow?.message.contains("winBack") == true)
            let wrongTier = await Self.refusal { () async throws(ReviewDeskError) in
                try await desk.edit(id, reviewer: "tom", changes: DraftEdit(preheader: "A parka for winter"))
            }
            #expect(wrongTier?.code == .notPermitted)
            #expect(wrongTier?.message.contains("vip-tier customer") == true)
            #expect(try desk.store.pending().map(\.id) == [id])
            #expect(try Self.outcomes(configuration, report.eventID) == ["queued_for_review"])
        }
    }

    @Test("Reject: the item leaves the queue, nothing is sent, the event ends suppressed with the reason and reviewer")
    func reject() async throws {
        try await withScratch { scratch in
            let configuration = try Self.configuration(scratch)
            let (report, id) = try await Self.queueVIP(configuration)
            let desk = try Self.desk(configuration)
            let empty = await Self.refusal { () async throws(ReviewDeskError) in
                try await desk.reject(id, reviewer: "ana", reason: "  ")
            }
            #expect(empty?.code == .badEdit)
            let rejected = try await desk.reject(id, reviewer: "ana", reason: "tone is off for a VIP")
            #expect(rejected.outcome == .suppressed)
            #expect(rejected.reason == "review_rejected: tone is off for a VIP (by ana)")
            #expect(try desk.store.pending().isEmpty)
            #expect(Self.outbox(configuration).isEmpty)
            #expect(try Self.outcomes(configuration, report.eventID) == ["queued_for_review", "suppressed"])
            let decided = configuration.dataDirectory.appendingPathComponent("review/decided/\(id).json")
            let kept = try String(contentsOf: decided, encoding: .utf8)
            #expect(kept.contains("\"kind\" : \"rejected\"") && kept.contains("\"reviewer\" : \"ana\""))
        }
    }

    @Test(
        "Edit: a banned phrase is refused and changes nothing; a clean edit is audited before and after, and its editor may not approve it"
    )
    func edit() async throws {
        try await withScratch { scratch in
            let configuration = try Self.configuration(scratch)
            let (report, id) = try await Self.queueVIP(configuration)
            let desk = try Self.desk(configuration)
            let original = try #require(try desk.store.load(id: id))

            let banned = try DraftEdit.decode(
                Array(#"{"preheader": "Act now: your parka is waiting"}"#.utf8), current: original.draft)
            let refused = await Self.refusal { () async throws(ReviewDeskError) in
                try await desk.edit(id, reviewer: "maria", changes: banned)
            }
            #expect(refused?.code == .invalidDraft)
            #expect(refused?.findings.contains { $0.contains("banned_phrase") && $0.contains("act now") } == true)
            #expect(try desk.store.load(id: id) == original, "a refused edit leaves the item as it was")

            let file = scratch.appendingPathComponent("edit.json")
            try Data(
                #"{"subject": "Jonas, your Cascade Down Parka is set aside", "preheader": "Warm for the winter ahead"}"#
                    .utf8
            )
            .write(to: file)
            let clean = try DraftEdit.decode(Array(try Data(contentsOf: file)), current: original.draft)
            let edited = try await desk.edit(id, reviewer: "maria", changes: clean)
            #expect(edited.outcome == .queuedForReview)
            let stored = try #require(try desk.store.load(id: id))
            #expect(stored.subject == "Jonas, your Cascade Down Parka is set aside")
            #expect(stored.draft.preheader == "Warm for the winter ahead")
            #expect(stored.editors == ["maria"])
            let email = try String(
                contentsOf: configuration.dataDirectory.appendingPathComponent("review/\(stored.emailFile)"),
                encoding: .utf8)
            #expect(email.contains("Subject: Jonas, your Cascade Down Parka is set aside"))

            let story = try AuditStory.read(
                root: configuration.dataDirectory.appendingPathComponent("audit"), eventID: report.eventID)
            let record = try #require(story.records.first { $0.stage == "review_edit" })
            #expect(record.facts["reviewer"]?.stringValue == "maria")
            let before = try #require(record.facts[ContentReference.draftBefore.rawValue]?.stringValue)
            let after = try #require(record.facts[ContentReference.draft.rawValue]?.stringValue)
            #expect(before != after)
            #expect(
                String(decoding: try #require(story.content[before]), as: UTF8.self).contains(original.draft.preheader))
            #expect(
                String(decoding: try #require(story.content[after]), as: UTF8.self).contains(
                    "Warm for the winter ahead"))

            let own = await Self.refusal { () async throws(ReviewDeskError) in
                try await desk.approve(id, reviewer: "maria")
            }
            #expect(own?.code == .ownEdit)
            let approved = try await desk.approve(id, reviewer: "ana")
            #expect(approved.outcome == .sent)
            let sent = try #require(Self.outbox(configuration).first)
            let out = try String(
                contentsOf: configuration.dataDirectory.appendingPathComponent("outbox/\(sent)"), encoding: .utf8)
            #expect(out.contains("Subject: Jonas, your Cascade Down Parka is set aside"))
            #expect(
                try Self.outcomes(configuration, report.eventID) == ["queued_for_review", "queued_for_review", "sent"])
            let verified = try AuditVerifier(root: configuration.dataDirectory.appendingPathComponent("audit")).verify()
            #expect(verified.passed, "\(verified.problems)")
        }
    }

    @Test(
        "Expiry: the recorded VIP cart still waits 71 h past its send time; at 73 h the sweep expires it and its outcome becomes suppressed"
    )
    func expiry() async throws {
        try await withScratch { scratch in
            let configuration = try Self.configuration(scratch)
            #expect(configuration.reviewDesk.expireAfter[.cartAbandoned] == TimeInterval(72 * 3600))
            let (report, id) = try await Self.queueVIP(configuration)
            // Lateness counts from the email's send time (the cart's time plus the flow's delay).
            let due = try #require(
                try FolderReviewQueue(directory: configuration.dataDirectory.appendingPathComponent("review")).load(
                    id: id)
            ).sendAt
            #expect(due < Self.now)
            let early = try await Self.desk(configuration, at: due.addingTimeInterval(71 * 3600)).list()
            #expect(early.swept.isEmpty)
            #expect(early.items.map(\.id) == [id])
            #expect(try Self.outcomes(configuration, report.eventID) == ["queued_for_review"])

            let desk = try Self.desk(configuration, at: due.addingTimeInterval(73 * 3600 + 60))
            let swept = try await desk.sweep()
            #expect(swept.map(\.action) == ["expired"])
            #expect(swept.first?.outcome == .suppressed)
            #expect(swept.first?.reason?.hasPrefix("review_expired: waited 73 h") == true)
            #expect(try desk.store.pending().isEmpty)
            #expect(try Self.outcomes(configuration, report.eventID) == ["queued_for_review", "suppressed"])
            let late = await Self.refusal { () async throws(ReviewDeskError) in
                try await desk.approve(id, reviewer: "maria")
            }
            #expect(late?.code == .notFound, "an expired item cannot be approved")
            #expect(Self.outbox(configuration).isEmpty)
        }
    }

    @Test("Escalation: past escalate_after the item is marked once, audited, and the notifier hears of it")
    func escalation() async throws {
        final class Recorder: ReviewNotifier, @unchecked Sendable {
            let lock = NSLock()
            var notices: [ReviewNotice] = []
            func notify(_ notice: ReviewNotice) async throws { lock.withLock { notices.append(notice) } }
        }
        try await withScratch { scratch in
            var configuration = try Self.configuration(scratch)
            configuration.reviewDesk.escalateAfter = [.cartAbandoned: 24 * 3600]
            let (report, id) = try await Self.queueVIP(configuration)
            let recorder = Recorder()
            let due = try #require(
                try FolderReviewQueue(directory: configuration.dataDirectory.appendingPathComponent("review")).load(
                    id: id)
            ).sendAt
            var desk = try Self.desk(configuration, at: due.addingTimeInterval(25 * 3600 + 60))
            desk.notifier = recorder
            #expect(try await desk.sweep().map(\.action) == ["escalated"])
            #expect(try await desk.sweep().isEmpty, "escalated once")
            #expect(try desk.store.load(id: id)?.escalatedAt != nil)
            #expect(recorder.notices.map(\.kind) == [.escalated])
            #expect(recorder.notices.first?.waitedHours == 25)
            #expect(try Self.outcomes(configuration, report.eventID) == ["queued_for_review", "queued_for_review"])
        }
    }

    @Test("A customer who unsubscribed while the draft waited gets nothing: the approval ends the event suppressed")
    func unsubscribedWhileWaiting() async throws {
        try await withScratch { scratch in
            let configuration = try Self.configuration(scratch)
            let (report, id) = try await Self.queueVIP(configuration)
            let list = FunctionEnvironment.suppressionList(
                configuration, state: FunctionEnvironment.stateStore(configuration))
            try await list.add(
                SuppressionEntry(
                    customerID: "6100000002", addressHash: nil, reason: .unsubscribe, source: "test",
                    time: Self.now.addingTimeInterval(600)))
            let approved = try await Self.desk(configuration).approve(id, reviewer: "maria")
            #expect(approved.action == "suppressed")
            #expect(approved.outcome == .suppressed)
            #expect(approved.reason?.contains("unsubscribe") == true)
            #expect(Self.outbox(configuration).isEmpty)
            #expect(try Self.outcomes(configuration, report.eventID) == ["queued_for_review", "suppressed"])
        }
    }

    @Test(
        "A series step approved before its time is scheduled as the pipeline would: the outbox holds it, the sending service gets nothing yet"
    )
    func seriesStepIsScheduled() async throws {
        try await withScratch { scratch in
            let configuration = try Self.configuration(scratch)
            let order = RuntimeTestSupport.root.appendingPathComponent(
                "Events/orderCreated/shopify-vip-tenth-plus-order.json")
            let results = try await Replayer(configuration: configuration, logger: RuntimeTestSupport.quietLogger)
                .replay([order])
            let report = try #require(results.first?.report)
            #expect(report.outcome == .queuedForReview)
            let queue = FolderReviewQueue(directory: configuration.dataDirectory.appendingPathComponent("review"))
            let item = try #require(try queue.pending().first)
            let decision = Timestamp.parse("2026-11-25T10:00:00Z")!
            #expect(item.sendAt > decision.addingTimeInterval(3600), "a later step of the series")
            let outbox = configuration.dataDirectory.appendingPathComponent("outbox")
            let before = Set(try FileManager.default.contentsOfDirectory(atPath: outbox.path))
            let sending = RecordingEmailService()
            var desk = try Self.desk(configuration, at: decision)
            desk.email = SchedulingEmailService(
                now: sending, queue: OutboxEmailService(directory: outbox), clock: FixedClock(decision))
            let approved = try await desk.approve(item.id, reviewer: "ana")
            #expect(approved.outcome == .sent)
            #expect(await sending.delivered.isEmpty, "not due yet: it waits for dispatch")
            let added = Set(try FileManager.default.contentsOfDirectory(atPath: outbox.path)).subtracting(before)
            let file = try #require(added.first { $0.hasSuffix(".eml") })
            let text = try String(contentsOf: outbox.appendingPathComponent(file), encoding: .utf8)
            #expect(try queue.pending().isEmpty)
            #expect(text.contains("X-Tidings-Series: "))
            #expect(try Self.outcomes(configuration, report.eventID) == ["queued_for_review", "sent"])
        }
    }

    /// A model that writes what the offline copywriter writes, under another name.
    struct RenamedWriter: LanguageModel {
        let name: String
        func respond(to request: DraftRequest) async throws -> ModelAnswer {
            try await OfflineCopywriter().respond(to: request)
        }
    }

    @Test(
        "New writer rules: a prompt version or model outside the approved lists sends a draft that would go out to review",
        arguments: [
            (#"{}"#, "offline-copywriter", nil),
            (
                #"{"approved_prompts": ["cart_abandoned@2"]}"#, "offline-copywriter",
                "prompt cart_abandoned@3 is not an approved version"
            ),
            (#"{"approved_prompts": ["cart_abandoned@3"]}"#, "offline-copywriter", nil),
            (
                #"{"approved_models": ["openai:gpt-5-mini"]}"#, "acme:writer-2",
                "model acme:writer-2 is not an approved model"
            ),
            (#"{"approved_models": ["acme:writer-2"]}"#, "acme:writer-2", nil),
            (#"{"approved_models": []}"#, "offline-copywriter", nil),
        ] as [(String, String, String?)])
    func writerRules(review: String, writer: String, reason: String?) async throws {
        try await withScratch { scratch in
            let file = scratch.appendingPathComponent("rules.json")
            try Data(#"{"review": \#(review)}"#.utf8).write(to: file)
            var environment = try Self.environment(scratch)
            environment["TIDINGS_CONFIG_FILE"] = file.path
            let configuration = try Configuration.load(
                environment: environment, workingDirectory: RuntimeTestSupport.root)
            var stages = try FunctionEnvironment.embeddedStages(
                function: .cartAbandoned, configuration: configuration, clock: FixedClock(Self.now))
            if writer != "offline-copywriter" { stages.model = RenamedWriter(name: writer) }
            let pipeline = try Pipeline(
                flow: .cartAbandoned(configuration), configuration: configuration, stages: stages)
            let document =
                try JSONSerialization.jsonObject(
                    with: Data(
                        contentsOf: RuntimeTestSupport.cartEvents.appendingPathComponent(
                            "shopify-first-time-buyer.json")))
                as! [String: Any]
            let report = await pipeline.handle(
                InboundDelivery(body: Array((document["body"] as! String).utf8), headers: [:]), correlationID: "t",
                logger: RuntimeTestSupport.quietLogger)
            if let reason {
                #expect(report.outcome == .queuedForReview)
                #expect(report.reason == "review: " + reason, "\(String(describing: report.reason))")
            } else {
                #expect(report.outcome == .sent, "\(String(describing: report.reason))")
            }
        }
    }

    /// The `tidings` binary, waited for on a thread of its own: a child process must not hold one
    /// of the few cooperative threads that other tests (a Runtime API loop) need meanwhile.
    func tidings(_ arguments: [String], _ environment: [String: String]) async throws -> CommandLineTests.Run {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(
                    with: Result { try CommandLineTests().tidings(arguments, environment: environment) })
            }.start()
        }
    }
}
