import Foundation
import Logging

/// A claim this run holds in the state store (docs/decisions/exactly-once.md): on its event id,
/// so a second delivery of the same event waits for the first handling's outcome instead of
/// handling it again, and on its subject when the flow names one (a cart: one email per cart,
/// however many events about it arrive at once).
struct HeldClaim: Sendable {
    /// When the claim is completed (and then answers later claims until its retention ends)
    /// rather than released.
    enum Completion: Sendable {
        /// On every outcome that is not retryable: the event reached its final outcome.
        case finalOutcome
        /// Only when the outcome wrote to the customer (`sent`, `queued_for_review`): a subject
        /// nothing was sent about stays free for the next event about it.
        case wroteToCustomer
    }

    /// The key (`StateKey.event(flow:id:)`, `subject:<dedupe key>`).
    let key: String
    /// Who holds it: this handling, unique among every process and instance.
    let owner: String
    /// How long the completed result answers, so a late delivery still finds it.
    let retention: TimeInterval
    /// When it is completed rather than released.
    var completion: Completion = .finalOutcome
}

/// What claiming a key found.
enum ClaimDecision: Sendable {
    /// This run holds the key: go on, then complete or release the claim.
    case handle(HeldClaim)
    /// Another handling completed the key; `first` is its recorded result.
    case alreadyHandled(first: String)
}

extension Run {
    /// The longest a run waits between two looks at a claim another handling holds.
    static let claimPollCeiling: TimeInterval = 0.5

    /// Claims the event, waiting while another live handling holds it: until that one completes
    /// (then the answer is its result), releases (then this run claims it), or its lease runs out
    /// (then this run takes it over). Leases and waits are wall-clock time, never the pinned
    /// business clock: they are about processes being alive, and a pinned `TIDINGS_NOW` must not
    /// make a crashed holder's lease last for ever. Throws `Failure` (`state_unavailable`, or
    /// `claim_held` when the invocation's deadline comes first), both retryable.
    func claimEvent(_ event: LifecycleEvent) async throws -> ClaimDecision {
        let settings = pipeline.flow.settings
        // As long as the audit's duplicate guard remembers the event, and at least two days
        // (platforms redeliver webhooks for 48 hours).
        return try await claim(
            StateKey.event(flow: function, id: event.id),
            retention: max(settings.window + settings.delay + 86_400, 2 * 86_400))
    }

    /// Claims `key` for this handling (the event's key, or its subject's), waiting while another
    /// live handling holds it; see `claimEvent`. `retention` is how long a completion answers.
    func claim(_ key: String, retention: TimeInterval) async throws -> ClaimDecision {
        let owner = "\(ProcessInfo.processInfo.processIdentifier)/\(correlationID)/\(UInt32.random(in: .min ... .max))"
        let deadline = InvocationDeadline.current
        var wait: TimeInterval = 0.02
        while true {
            let now = Date()
            // Under the Runtime API the claim lasts until a little after the invocation must end;
            // without a deadline, the configured lease.
            let leaseUntil = deadline.map { max($0, now).addingTimeInterval(30) } ?? now + configuration.claimLease
            let outcome: ClaimOutcome
            do {
                outcome = try await stages.state.claim(key, owner: owner, leaseUntil: leaseUntil, now: now)
            } catch {
                throw Failure(.stateUnavailable, "\(error)", retryable: true)
            }
            switch outcome {
            case .claimed(let previous):
                if let previous {
                    logger.notice("claim taken over after its lease", metadata: ["previous_owner": "\(previous)"])
                }
                return .handle(HeldClaim(key: key, owner: owner, retention: retention))
            case .completed(let result):
                return .alreadyHandled(first: result)
            case .heldBy(let holder, let until):
                // Waiting past the deadline would lose this delivery's answer: end retryable, and
                // the redelivery finds the first handling's result.
                let wake = Date().addingTimeInterval(wait)
                if let deadline, wake.addingTimeInterval(1) >= deadline {
                    throw Failure(
                        .claimHeld, "another handling (\(holder)) holds the event until \(Timestamp.format(until))",
                        retryable: true)
                }
                try await Task.sleep(for: .seconds(wait))
                wait = min(wait * 2, Self.claimPollCeiling)
            }
        }
    }

    /// Ends a claim of this run once its terminal outcome is known: completed when its rule says
    /// (a later claim answers with the outcome), released otherwise (a retryable outcome's
    /// redelivery handles the event; a subject nothing was sent about stays free). A store that
    /// fails here changes nothing that happened: the claim lapses at its lease, and the audit's
    /// guards still remember a final outcome.
    func conclude(_ claim: HeldClaim, with report: OutcomeReport) async {
        let complete: Bool
        switch claim.completion {
        case .finalOutcome: complete = report.retryable != true
        case .wroteToCustomer: complete = report.outcome == .sent || report.outcome == .queuedForReview
        }
        do {
            if complete {
                try await stages.state.complete(
                    claim.key, owner: claim.owner, result: Self.claimResult(report, correlationID: correlationID),
                    expiresAt: Date().addingTimeInterval(claim.retention))
            } else {
                try await stages.state.release(claim.key, owner: claim.owner)
            }
        } catch {
            logger.error(
                "a claim could not be concluded; it lapses at its lease",
                metadata: ["key": "\(claim.key)", "error": "\(error)"])
        }
    }

    /// Claims the subject the planner names (`FlowNeeds.subject`), once the prechecks passed: a
    /// concurrent event about the same subject waits here for the first one's outcome. Returns
    /// the planner's verdict when another event's handling already wrote to the customer about
    /// it; nil to go on (this run then holds the subject).
    mutating func claimSubject(_ subject: SubjectKey) async throws -> GuardVerdict? {
        switch try await claim("subject:\(subject.key)", retention: subject.memory) {
        case .handle(var held):
            held.completion = .wroteToCustomer
            heldClaims.append(held)
            return nil
        case .alreadyHandled:
            return subject.handledVerdict
        }
    }

    /// What a completed claim keeps: `OUTCOME CORRELATION-ID`, which a duplicate names (plain
    /// text: a duplicate parses nothing but its own event).
    static func claimResult(_ report: OutcomeReport, correlationID: String) -> String {
        "\(report.outcome.rawValue) \(correlationID)"
    }

    /// The duplicate verdict of an event another handling completed, naming its outcome.
    static func alreadyHandledVerdict(_ eventID: String, first: String) -> GuardVerdict {
        let parts = first.split(separator: " ", maxSplits: 1)
        let outcome = parts.first.map(String.init) ?? "unknown"
        let correlation = parts.count > 1 ? " (correlation \(parts[1]))" : ""
        return GuardVerdict(.duplicate, "event \(eventID) was already handled: \(outcome)\(correlation)")
    }
}
