import Foundation

/// One thing the validator noticed about a draft.
package struct Finding: Sendable, Hashable, Codable {
    /// How much a finding matters, from blocking to informative.
    package enum Severity: String, Sendable, Hashable, Codable {
        /// The draft must not go out as it is.
        case error
        /// A human should look before it goes out.
        case review
        /// Worth knowing; lowers the score.
        case warning
    }

    /// The rule's id ("subject_length", "banned_phrase", ...).
    package var rule: String
    /// How much it matters.
    package var severity: Severity
    /// Where in the draft ("subjects[2]", "blocks[3].text", "call_to_action.url").
    package var field: String
    /// A plain-words explanation; never repeats the customer's personal data.
    package var message: String

    /// Creates a finding from its parts.
    package init(rule: String, severity: Severity, field: String, message: String) {
        self.rule = rule
        self.severity = severity
        self.field = field
        self.message = message
    }
}

/// The validator's results and the score they add up to.
package struct Findings: Sendable, Hashable {
    /// The findings in the order the rules found them.
    package var items: [Finding]

    /// Wraps a list of findings.
    package init(_ items: [Finding] = []) {
        self.items = items
    }

    /// 100 minus 30 per error, 10 per review finding, 5 per warning; never below 0.
    package var score: Int {
        var score = 100
        for item in items {
            switch item.severity {
            case .error: score -= 30
            case .review: score -= 10
            case .warning: score -= 5
            }
        }
        return max(0, score)
    }

    /// The findings that stop the draft from going out.
    package var errors: [Finding] { items.filter { $0.severity == .error } }
    /// The findings that send the draft to a human.
    package var reviewItems: [Finding] { items.filter { $0.severity == .review } }
}
