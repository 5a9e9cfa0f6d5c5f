import Foundation
import Logging

/// The claim that makes an event's handling happen once across processes and instances
/// (docs/decisions/exactly-once.md): before any guard reads the audit, the run claims
/// `event:<flow>:<id>` in the state store; a second delivery of the same event finds the claim and
/// waits for the first handling's outcome instead of handling it again.
struct EventClaim: Sendable {
    /// `StateKey.event(flow:id:)`.
    let key: String
    /// Who holds it: this handling, unique among every process and instance.
    let owner: String
    /// How long the completed result is kept, so a late redelivery still finds it.
    let retention: TimeInterval
}

/// What claiming an event found.
enum ClaimDecision: Sendable {
    /// This run holds the event: handle it, then complete or release the claim.
    case handle(EventClaim)
    /// Another handling finished the event; `first` is its recorded result.
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
        let key = StateKey.event(flow: function, id: event.id)
        let owner = "\(ProcessInfo.processInfo.processIdentifier)/\(correlationID)/\(UInt32.random(in: .min ... .max))"
        let settings = pipeline.flow.settings
        // As long as the audit's duplicate guard remembers the event, and at least two days
        // (platforms redeliver webhooks for 48 hours).
        let retention = max(settings.window + settings.delay + 86_400, 2 * 86_400)
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
                return .handle(EventClaim(key: key, owner: owner, retention: retention))
            case .completed(let result):
                return .alreadyHandled(first: result)
            case .heldBy(let holder, _) where holder == owner:
                // This handling's own claim: a write whose answer was lost (a DynamoDB 5xx "may or
                // may not have succeeded") and that the store sent again. No one else holds this
                // owner name, so the claim is ours; waiting for it would wait for our own lease.
                return .handle(EventClaim(key: key, owner: owner, retention: retention))
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

    /// Ends this run's claim once its terminal outcome is known: a retryable outcome releases it
    /// (the redelivery handles the event), any other completes it with the outcome, which a later
    /// duplicate answers with. A store that fails here changes nothing that happened: the claim
    /// lapses at its lease, and the audit's duplicate guard still remembers a final outcome.
    func conclude(_ claim: EventClaim, with report: OutcomeReport) async {
        do {
            if report.retryable == true {
                try await stages.state.release(claim.key, owner: claim.owner)
            } else {
                try await stages.state.complete(
                    claim.key, owner: claim.owner, result: Self.claimResult(report, correlationID: correlationID),
                    expiresAt: Date().addingTimeInterval(claim.retention))
            }
        } catch {
            logger.error(
                "the event's claim could not be concluded; it lapses at its lease",
                metadata: ["key": "\(claim.key)", "error": "\(error)"])
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
