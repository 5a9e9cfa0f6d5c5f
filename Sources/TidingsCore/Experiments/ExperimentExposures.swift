import Foundation

/// Who was exposed to which group of one experiment, as the audit tells it: each customer's
/// group from the `experiment` records, and the keys engagement may name them by (the event id,
/// the rendered Message-ID, the email service's reference). A customer counts once their event
/// ended `sent`, `queued_for_review` or `held_out`: assigned and handled, whatever came of the
/// email (intent to treat; docs/decisions/experiments.md).
package struct ExperimentExposures: Sendable {
    /// The experiment's id.
    package var experimentID: String
    /// Each exposed customer's group (an arm's name or `Experiment.holdoutGroup`).
    package var groups: [String: String]
    /// The customer an event id, a Message-ID or a service reference belongs to.
    package var customerOfKey: [String: String]
    /// Customers the audit shows in two groups (the arms changed under one id): the first kept.
    package var conflicts: Int

    /// Exposures from their parts.
    package init(
        experimentID: String, groups: [String: String] = [:], customerOfKey: [String: String] = [:],
        conflicts: Int = 0
    ) {
        self.experimentID = experimentID
        self.groups = groups
        self.customerOfKey = customerOfKey
        self.conflicts = conflicts
    }

    /// The outcomes that count a customer as exposed.
    static let exposedOutcomes: Set<String> = [
        Outcome.sent.rawValue, Outcome.queuedForReview.rawValue, Outcome.heldOut.rawValue,
    ]

    /// Reads the audit under `auditRoot` (its day folders of `.jsonl` files). Throws `AuditError`
    /// when a folder cannot be listed; a line that is not a record (a torn last line) is skipped.
    package static func read(auditRoot: URL, experimentID: String) throws -> ExperimentExposures {
        struct Seen {
            var customer: String
            var group: String
        }
        var byEvent: [String: Seen] = [:]
        var messageKeys: [String: [String]] = [:]
        var exposedEvents: Set<String> = []
        let stages = ["experiment", "render", "deliver", "outcome"].map { Data(#""stage":"\#($0)""#.utf8) }
        for day in try AuditFile.names(in: auditRoot.path).filter(AuditTimestamp.isDayFolderName).sorted() {
            for name in try AuditFile.names(in: auditRoot.path + "/" + day).sorted() where name.hasSuffix(".jsonl") {
                guard let data = FileManager.default.contents(atPath: auditRoot.path + "/" + day + "/" + name) else {
                    continue
                }
                for line in data.split(separator: 10) where stages.contains(where: { line.range(of: $0) != nil }) {
                    guard case .object(let fields)? = try? JSONParser.parse(Array(line)),
                        let eventID = fields["event_id"]?.stringValue, let stage = fields["stage"]?.stringValue
                    else { continue }
                    let facts = fields["facts"]?.objectValue ?? [:]
                    switch stage {
                    case "experiment":
                        guard facts["experiment"]?.stringValue == experimentID,
                            let customer = facts["customer_id"]?.stringValue, let group = facts["arm"]?.stringValue,
                            byEvent[eventID] == nil
                        else { continue }
                        byEvent[eventID] = Seen(customer: customer, group: group)
                    case "render":
                        if let id = facts["message_id"]?.stringValue { messageKeys[eventID, default: []].append(id) }
                    case "deliver":
                        if let id = facts["reference"]?.stringValue { messageKeys[eventID, default: []].append(id) }
                    default:
                        if let outcome = fields["outcome"]?.stringValue, exposedOutcomes.contains(outcome) {
                            exposedEvents.insert(eventID)
                        }
                    }
                }
            }
        }
        var exposures = ExperimentExposures(experimentID: experimentID)
        for eventID in byEvent.keys.sorted() where exposedEvents.contains(eventID) {
            let seen = byEvent[eventID]!
            if let group = exposures.groups[seen.customer] {
                if group != seen.group { exposures.conflicts += 1 }
            } else {
                exposures.groups[seen.customer] = seen.group
            }
            exposures.customerOfKey[eventID] = seen.customer
            for key in messageKeys[eventID] ?? [] { exposures.customerOfKey[key] = seen.customer }
        }
        return exposures
    }

    /// The exposed customer an engagement event is about: by its message id, its event id, then
    /// its customer id; nil when none is in this experiment.
    package func customer(of event: EngagementEvent) -> String? {
        if let id = event.messageID, let customer = customerOfKey[id] { return customer }
        if let id = event.eventID, let customer = customerOfKey[id] { return customer }
        if let id = event.customerID, groups[id] != nil { return id }
        return nil
    }
}
