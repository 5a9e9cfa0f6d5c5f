import Crypto
import Foundation

/// Why an address is never sent marketing again.
package enum SuppressionReason: String, Sendable, Hashable, CaseIterable {
    /// The customer asked (one-click unsubscribe, RFC 8058, or an ESP's unsubscribe webhook).
    case unsubscribe
    /// The address bounced permanently.
    case hardBounce = "hard_bounce"
    /// The recipient marked a message as spam.
    case complaint
}

/// One addition to the suppression list: who, why, from where and when. It names the customer by
/// the id the unsubscribe link carries (the platform's id, or a guest's `guest:` key) and the
/// address only by its hash, so the list holds no address in the clear.
package struct SuppressionEntry: Sendable, Hashable {
    /// The unsubscribe identity (`PlannedMessage.customerID`); nil when only the address is known
    /// (a bounce names an address).
    package var customerID: String?
    /// `SuppressionKeys.addressHash` of the address; nil when only the customer is known.
    package var addressHash: String?
    /// Why.
    package var reason: SuppressionReason
    /// Who told us ("one_click", "ses_sns", "mandrill_webhook").
    package var source: String
    /// When it was added.
    package var time: Date

    /// An entry; at least one of `customerID` and `addressHash` must be set for it to match anything.
    package init(customerID: String?, addressHash: String?, reason: SuppressionReason, source: String, time: Date) {
        self.customerID = customerID
        self.addressHash = addressHash
        self.reason = reason
        self.source = source
        self.time = time
    }

    /// Whether this entry covers the customer or the address hash given.
    package func matches(customerID: String?, addressHash: String?) -> Bool {
        if let mine = self.customerID, let theirs = customerID, mine == theirs { return true }
        if let mine = self.addressHash, let theirs = addressHash, mine == theirs { return true }
        return false
    }
}

/// The keys the list is searched by.
package enum SuppressionKeys {
    /// The lower-case hex SHA-256 of the trimmed, lower-cased address: the same person whatever the
    /// case they typed, and no address in the clear on disk or in the audit.
    package static func addressHash(_ address: String) -> String {
        let normalized = address.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        return Hex.encode(SHA256.hash(data: Array(normalized.utf8)))
    }
}

/// A failed read or write of the suppression list, naming the file. A run treats it as retryable:
/// sending marketing without knowing whether the customer opted out is not an option.
package struct SuppressionError: Error, Sendable, CustomStringConvertible {
    /// What failed.
    package enum Code: String, Sendable {
        case unreadable
        case unwritable
    }

    /// What failed.
    package var code: Code
    /// The file.
    package var path: String
    /// The underlying error.
    package var reason: String

    /// An error of `code` on `path`.
    package init(_ code: Code, path: String, reason: String) {
        self.code = code
        self.path = path
        self.reason = reason
    }

    /// "suppression list unreadable: <path>: <reason>".
    package var description: String { "suppression list \(code.rawValue): \(path): \(reason)" }
}

/// The suppression list boundary: the folder under the data directory today, a table of the state
/// store later (docs/decisions/suppression.md).
package protocol SuppressionList: Sendable {
    /// Adds an entry. Throws `SuppressionError` when it could not be stored.
    func add(_ entry: SuppressionEntry) async throws(SuppressionError)
    /// The first entry that covers this customer or this address (plain, hashed here), or nil.
    func entry(customerID: String?, address: String?) async throws(SuppressionError) -> SuppressionEntry?
}
