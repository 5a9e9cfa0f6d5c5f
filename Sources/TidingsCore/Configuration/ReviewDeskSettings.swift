import Foundation

/// Who may decide review items, how long an item may wait, and where the queue's Slack notice
/// goes: the config file's `review.reviewers`, `review.expire_after` and `review.escalate_after`,
/// and `SLACK_WEBHOOK_URL` (or `_FILE`). docs/configuration.md and docs/decisions/review.md.
package struct ReviewDeskSettings: Sendable {
    /// What one reviewer may approve, reject and edit.
    package struct Role: Sendable, Hashable {
        /// The flows whose items they may decide; nil means every flow (`"*"`).
        package var flows: Set<FlowKind>?
        /// The customer tiers whose items they may decide; nil means every tier (`"*"`).
        package var tiers: Set<String>?

        /// A role over the flows and tiers named; nil for all of either.
        package init(flows: Set<FlowKind>?, tiers: Set<String>?) {
            self.flows = flows
            self.tiers = tiers
        }

        /// Whether the role covers an item of `flow` for a customer of `tier` (nil: no tier known,
        /// which only a role over every tier covers).
        package func covers(flow: FlowKind, tier: String?) -> Bool {
            if let flows, !flows.contains(flow) { return false }
            guard let tiers else { return true }
            return tier.map { tiers.contains($0.lowercased()) } ?? false
        }
    }

    /// The reviewers by name (`review.reviewers`); nobody else may decide an item. Empty by
    /// default: then the review commands refuse every decision and say how to name reviewers.
    package var reviewers: [String: Role] = [:]
    /// How long an item of a flow may wait before it expires (`review.expire_after`); a flow not
    /// named never expires. Default: abandoned carts after 72 hours (a cart email three days late
    /// is worse than none).
    package var expireAfter: [FlowKind: TimeInterval] = [.cartAbandoned: 72 * 3600]
    /// How long an item of a flow may wait before it is escalated (`review.escalate_after`): marked,
    /// audited and announced again. None by default.
    package var escalateAfter: [FlowKind: TimeInterval] = [:]
    /// The Slack incoming webhook that hears of queued and escalated items (`SLACK_WEBHOOK_URL` or
    /// `SLACK_WEBHOOK_URL_FILE`); nil sends no notice. Never logged: the URL is the credential.
    package var slackWebhook: Secret?

    /// The defaults: no reviewers, carts expire after 72 hours, no escalation, no Slack notice.
    package init() {}

    /// Reads `reviewers`, `expire_after` and `escalate_after` from the config file's `review` object.
    /// Throws `InputError` naming the member at fault.
    mutating func apply(_ review: JSONObjectReader) throws(InputError) {
        if let reviewers = try review.optionalObject("reviewers") {
            var parsed: [String: Role] = [:]
            for name in reviewers.members.keys.sorted() {
                guard Self.isReviewerName(name) else {
                    throw InputError(
                        .invalidField, path: reviewers.path(of: name),
                        reason: "a reviewer's name is 1 to 64 letters, digits, '.', '-', '_' or '@'")
                }
                let entry = try reviewers.object(name)
                try Configuration.refuseUnknownKeys(entry, allowed: ["flows", "tiers"])
                for key in ["flows", "tiers"] where entry.value(key) == nil {
                    throw InputError(
                        .invalidField, path: entry.path(of: key),
                        reason: "is required: a list of names, or [\"*\"] for all")
                }
                var flows: Set<FlowKind>? = []
                for (index, flow) in try entry.strings("flows").enumerated() {
                    if flow == "*" {
                        flows = nil
                    } else if let kind = FlowKind(rawValue: flow) {
                        flows?.insert(kind)
                    } else {
                        throw InputError(
                            .invalidField, path: entry.path(of: "flows") + "[\(index)]",
                            reason: "'\(flow)' is not a flow name or \"*\"")
                    }
                }
                let tierNames = try entry.strings("tiers").map { $0.lowercased() }
                parsed[name] = Role(flows: flows, tiers: tierNames.contains("*") ? nil : Set(tierNames))
            }
            self.reviewers = parsed
        }
        if let expiry = try review.optionalObject("expire_after") {
            self.expireAfter = try Self.durations(expiry)
        }
        if let escalation = try review.optionalObject("escalate_after") {
            self.escalateAfter = try Self.durations(escalation)
        }
        for (flow, escalate) in escalateAfter {
            if let expire = expireAfter[flow], escalate >= expire {
                throw InputError(
                    .invalidField, path: "$.review.escalate_after.\(flow.rawValue)",
                    reason: "must be shorter than review.expire_after.\(flow.rawValue), or the item expires first")
            }
        }
    }

    /// The webhook secret from the environment, checked to be an https URL (an http one only on
    /// loopback, for tests). The value is never echoed: the URL is the credential.
    static func slackWebhook(_ environment: [String: String]) throws(ConfigurationError) -> Secret? {
        guard let secret = try Configuration.readSecret("SLACK_WEBHOOK_URL", environment: environment) else {
            return nil
        }
        let text = String(decoding: secret.bytes, as: UTF8.self)
        let key =
            environment["SLACK_WEBHOOK_URL"].map { $0.isEmpty } == false
            ? "SLACK_WEBHOOK_URL" : "SLACK_WEBHOOK_URL_FILE"
        guard let url = URLComponents(string: text), let host = url.host, !host.isEmpty,
            url.scheme == "https" || (url.scheme == "http" && ["127.0.0.1", "localhost", "::1"].contains(host))
        else {
            throw ConfigurationError(
                key: key, reason: "is not an https URL (https://hooks.slack.com/services/...)")
        }
        return secret
    }

    /// Per-flow durations such as `{"cartAbandoned": "72h", "orderCancelled": "2d"}`: a whole number
    /// and a unit, `m` (minutes), `h` (hours) or `d` (days), from 1 minute to 90 days.
    static func durations(_ reader: JSONObjectReader) throws(InputError) -> [FlowKind: TimeInterval] {
        var parsed: [FlowKind: TimeInterval] = [:]
        for key in reader.members.keys.sorted() {
            guard let flow = FlowKind(rawValue: key) else {
                throw InputError(.invalidField, path: reader.path(of: key), reason: "not a flow name")
            }
            let text = try reader.string(key)
            guard let seconds = duration(text), (60...(90 * 86_400)).contains(seconds) else {
                throw InputError(
                    .invalidField, path: reader.path(of: key),
                    reason:
                        "'\(text.prefix(20))' is not a duration such as \"90m\", \"72h\" or \"3d\" (1 minute to 90 days)"
                )
            }
            parsed[flow] = seconds
        }
        return parsed
    }

    /// Seconds of "90m", "72h" or "3d"; nil for anything else.
    static func duration(_ text: String) -> TimeInterval? {
        guard let unit = text.last, let count = Int(text.dropLast()), count > 0 else { return nil }
        switch unit {
        case "m": return TimeInterval(count) * 60
        case "h": return TimeInterval(count) * 3600
        case "d": return TimeInterval(count) * 86_400
        default: return nil
        }
    }

    /// Names that are safe in an audit record and a Slack message without escaping surprises.
    static func isReviewerName(_ name: String) -> Bool {
        (1...64).contains(name.count)
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || ".-_@".contains($0)) }
    }
}
