import Foundation

/// What happens to a validated draft.
package enum Decision: Sendable, Hashable {
    case send
    /// A human reads it first; the reasons say which rules asked for that.
    case review(reasons: [String])
    /// It must not go out; the reasons are the failed rules.
    case reject(reasons: [String])

    /// "send", "review" or "reject", for the audit.
    package var name: String {
        switch self {
        case .send: return "send"
        case .review: return "review"
        case .reject: return "reject"
        }
    }
}

/// Applies the configured review rules to findings.
package struct Router: Sendable {
    /// The configured review rules.
    package var rules: ReviewRules

    /// Creates a router for the configured rules.
    package init(rules: ReviewRules) {
        self.rules = rules
    }

    /// Rejects on any error finding; otherwise sends to review when a review finding, the tier, a
    /// low score or a large offer asks for it; else sends. Pass a nil `tier` for transactional
    /// messages: an order confirmation must not wait for a reviewer because the customer is a VIP.
    package func decide(findings: Findings, tier: String?, offer: Offer?) -> Decision {
        let errors = findings.errors
        if !errors.isEmpty {
            return .reject(reasons: errors.map { "\($0.rule) at \($0.field): \($0.message)" })
        }
        var reasons: [String] = findings.reviewItems.map { "\($0.rule) at \($0.field)" }
        if let tier, rules.tiers.contains(tier) { reasons.append("tier \(tier) is reviewed by rule") }
        if findings.score < rules.belowScore { reasons.append("score \(findings.score) is below \(rules.belowScore)") }
        if let offer, offer.percent >= rules.offerPercentAtLeast {
            reasons.append("offer of \(offer.percent)% is at least \(rules.offerPercentAtLeast)%")
        }
        return reasons.isEmpty ? .send : .review(reasons: reasons)
    }
}

extension Router {
    /// The decision for one planned message, with the overrides that belong to the message rather
    /// than to the findings: a transactional message ignores the tier rule (an order confirmation
    /// must not wait for a reviewer because the customer is a VIP), and a forced review reason (a
    /// sensitive moment) is added to whatever the rules decided, short of a rejection. `prompt`
    /// ("cart_abandoned@3") and `writer` (the model's name) meet the new-writer rules: a version
    /// or model outside the approved lists waits for a person (`writerReasons`).
    package func decide(
        findings: Findings, for message: PlannedMessage, prompt: String? = nil, writer: String? = nil
    ) -> Decision {
        let decision = decide(
            findings: findings, tier: message.isTransactional ? nil : message.tier, offer: message.offer)
        let forced = writerReasons(prompt: prompt, writer: writer) + (message.reviewReason.map { [$0] } ?? [])
        guard !forced.isEmpty else { return decision }
        switch decision {
        case .send: return .review(reasons: forced)
        case .review(let reasons): return .review(reasons: reasons + forced)
        case .reject: return decision
        }
    }

    /// The new-writer rules: a prompt version not in `approvedPrompts`, or a model not in
    /// `approvedModels`, is read by a person first. The built-in writers (the offline copywriter,
    /// the fixed transactional notice) are not models and always pass; a rule without a list is off.
    package func writerReasons(prompt: String?, writer: String?) -> [String] {
        var reasons: [String] = []
        if let approved = rules.approvedPrompts, let prompt, !approved.contains(prompt) {
            reasons.append("prompt \(prompt) is not an approved version")
        }
        if let approved = rules.approvedModels, let writer,
            writer != OfflineCopywriter().name, writer != TransactionalNotice().name, !approved.contains(writer)
        {
            reasons.append("model \(writer) is not an approved model")
        }
        return reasons
    }
}

extension Router {
    /// The last word on a transactional message that every writer failed (the model, the offline
    /// copywriter and the fixed notice): it waits for a person instead of being dropped, because a
    /// customer must hear that their order is confirmed or cancelled. Marketing messages and
    /// decisions short of a rejection pass through unchanged.
    package func holdingTransactional(_ decision: Decision, for message: PlannedMessage) -> Decision {
        guard message.isTransactional, case .reject(let reasons) = decision else { return decision }
        return .review(
            reasons: [
                "transactional message held for a person: no writer's draft passed validation ("
                    + reasons.joined(separator: "; ") + ")"
            ])
    }
}
