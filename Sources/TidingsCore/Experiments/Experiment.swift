import Crypto
import Foundation

/// One experiment on one flow: its arms, an optional holdout, and the sample each group needs
/// before a report calls a winner. Assignment is a pure function of the experiment id and the
/// customer's key (docs/decisions/experiments.md).
package struct Experiment: Sendable, Hashable {
    /// The experiment's id; part of the assignment hash, so a new id reshuffles every customer.
    package var id: String
    /// The flow whose marketing messages it applies to.
    package var flow: FlowKind
    /// The arms, at least one; assignment among them follows their weights.
    package var arms: [ExperimentArm]
    /// The share of customers held out, and what they get; nil for no holdout.
    package var holdout: ExperimentHoldout?
    /// Below this many recipients in a group (the control included) no winner is called
    /// (`min_recipients_per_arm`, default 200).
    package var minimumRecipientsPerArm: Int

    /// The group name of the holdout in the audit and reports.
    package static let holdoutGroup = "holdout"
    /// The sample per group a report needs before it calls a winner, when none is configured.
    package static let defaultMinimumRecipients = 200

    /// An experiment from its parts; `ExperimentSettings.parse` checks a configured one.
    package init(
        id: String, flow: FlowKind, arms: [ExperimentArm], holdout: ExperimentHoldout? = nil,
        minimumRecipientsPerArm: Int = Experiment.defaultMinimumRecipients
    ) {
        self.id = id
        self.flow = flow
        self.arms = arms
        self.holdout = holdout
        self.minimumRecipientsPerArm = minimumRecipientsPerArm
    }

    /// The customer's group: the same for the same experiment id and unit key in every run,
    /// process and machine. `unitKey` is the platform's customer id, or a guest's address hash
    /// (`CartAbandonedPlanner.guestKey`), never an address.
    package func assign(unitKey: String) -> ExperimentAssignment {
        let position = Self.position(experimentID: id, unitKey: unitKey)
        if let holdout, position < holdout.share {
            return ExperimentAssignment(
                experimentID: id, group: Self.holdoutGroup, arm: nil, holdout: holdout.treatment, position: position)
        }
        // The rest of the unit interval, stretched back to [0, 1), is split by the arms' weights.
        let share = holdout?.share ?? 0
        let scaled = (position - share) / (1 - share)
        let total = arms.reduce(0) { $0 + $1.weight }
        var cumulative = 0
        for arm in arms {
            cumulative += arm.weight
            if scaled < Double(cumulative) / Double(total) {
                return ExperimentAssignment(
                    experimentID: id, group: arm.name, arm: arm, holdout: nil, position: position)
            }
        }
        let last = arms[arms.count - 1]
        return ExperimentAssignment(experimentID: id, group: last.name, arm: last, holdout: nil, position: position)
    }

    /// Where a unit falls in [0, 1): the first 8 bytes of SHA-256 over the experiment id, a NUL
    /// and the unit key, big-endian, divided by 2^64. The NUL keeps ("ab", "c") and ("a", "bc") apart.
    package static func position(experimentID: String, unitKey: String) -> Double {
        let digest = SHA256.hash(data: Array(experimentID.utf8) + [0] + Array(unitKey.utf8))
        var value: UInt64 = 0
        for byte in digest.prefix(8) { value = value << 8 | UInt64(byte) }
        // 53 bits: exactly representable, and strictly below 1.
        return Double(value >> 11) / Double(UInt64(1) << 53)
    }

    /// Ids and arm names: 1 to 64 letters, digits, '.', '_' or '-'.
    static func isToken(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 64
            && text.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                    || ".-_".unicodeScalars
                        .contains($0)
            }
    }
}

/// One arm of an experiment: what the writer is told and how the sent subject is chosen.
package struct ExperimentArm: Sendable, Hashable {
    /// The arm's name in the audit and reports.
    package var name: String
    /// Its relative share of the customers not held out (1 to 1000).
    package var weight: Int
    /// The approach the writer is told to take; nil writes as without an experiment.
    package var strategy: ExperimentStrategy?
    /// Which of the draft's subject options is sent.
    package var subjectRule: SubjectRule

    /// An arm from its parts.
    package init(name: String, weight: Int = 1, strategy: ExperimentStrategy? = nil, subjectRule: SubjectRule = .first)
    {
        self.name = name
        self.weight = weight
        self.strategy = strategy
        self.subjectRule = subjectRule
    }
}

/// The customers kept out of every arm, as the baseline.
package struct ExperimentHoldout: Sendable, Hashable {
    /// What a held-out customer gets.
    package enum Treatment: String, Sendable, Hashable, CaseIterable {
        /// The offline copywriter's email, with no strategy and the first subject: the control copy.
        case controlEmail = "control_email"
        /// No email at all; the event ends `held_out`.
        case noEmail = "no_email"
    }

    /// The share of customers held out, above 0 and at most 0.9.
    package var share: Double
    /// What they get.
    package var treatment: Treatment

    /// A holdout from its parts.
    package init(share: Double, treatment: Treatment) {
        self.share = share
        self.treatment = treatment
    }
}

/// The approach an arm asks the writer to take. The prompt carries it with an instruction, and
/// the offline copywriter writes its own version of it, so arms differ whoever writes.
package enum ExperimentStrategy: String, Sendable, Hashable, Codable, CaseIterable {
    /// An honest reason to act soon: a real offer's expiry, the fact that a cart holds no stock.
    case urgency
    /// What the items do for the customer: use, quality, fit with what they already own.
    case benefit

    /// The instruction the prompt gives the writer for this strategy.
    package var instruction: String {
        switch self {
        case .urgency:
            return "Lead the first subject and the opening with an honest reason to act soon: the offer's real "
                + "expiry if there is one, otherwise that a cart does not hold stock. Never invent deadlines or "
                + "scarcity."
        case .benefit:
            return "Lead the first subject and the opening with what the items do for the customer (their use, "
                + "quality and fit with what they buy), with no time pressure."
        }
    }
}

/// How the subject actually sent is chosen among a draft's options.
package enum SubjectRule: String, Sendable, Hashable, CaseIterable {
    /// The first option, the writer's own best: the default.
    case first
    /// The shortest option (the first of equals).
    case shortest
    /// The longest option (the first of equals).
    case longest
    /// The first option that asks a question, else the first.
    case question
    /// The first option that names the customer's first name, else the first.
    case personal

    /// The option this rule picks; `subjects` must not be empty (a draft has 3 to 5).
    package func choose(_ subjects: [String], firstName: String?) -> String {
        switch self {
        case .first:
            return subjects[0]
        case .shortest:
            var best = subjects[0]
            for subject in subjects.dropFirst() where subject.count < best.count { best = subject }
            return best
        case .longest:
            var best = subjects[0]
            for subject in subjects.dropFirst() where subject.count > best.count { best = subject }
            return best
        case .question:
            return subjects.first { $0.trimmingCharacters(in: .whitespaces).hasSuffix("?") } ?? subjects[0]
        case .personal:
            guard let firstName, !firstName.isEmpty else { return subjects[0] }
            return subjects.first { $0.localizedCaseInsensitiveContains(firstName) } ?? subjects[0]
        }
    }
}

/// A customer's group in an experiment, as the `experiment` audit record states it.
package struct ExperimentAssignment: Sendable, Hashable {
    /// The experiment's id.
    package var experimentID: String
    /// The arm's name, or `Experiment.holdoutGroup`.
    package var group: String
    /// The arm; nil for the holdout.
    package var arm: ExperimentArm?
    /// What a held-out customer gets; nil in an arm.
    package var holdout: ExperimentHoldout.Treatment?
    /// The unit's hash position in [0, 1), for the audit (anyone can recompute it).
    package var position: Double

    /// The facts the `experiment` record carries.
    package func facts(unitKey: String) -> [String: JSONValue] {
        var facts: [String: JSONValue] = [
            "experiment": .string(experimentID), "arm": .string(group), "customer_id": .string(unitKey),
            "position": .double(position), "subject_rule": .string((arm?.subjectRule ?? .first).rawValue),
        ]
        if let strategy = arm?.strategy { facts["strategy"] = .string(strategy.rawValue) }
        if let holdout { facts["treatment"] = .string(holdout.rawValue) }
        return facts
    }
}
