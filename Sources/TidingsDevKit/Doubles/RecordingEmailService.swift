import Foundation
import TidingsCore

/// An `EmailService` for tests: keeps every email it is handed, in order, and can be told to fail.
package actor RecordingEmailService: EmailService {
    /// What was delivered so far, oldest first.
    package private(set) var delivered: [RenderedEmail] = []
    /// When set, `deliver` throws this instead of recording.
    package private(set) var failure: DeliveryError?

    /// A service that records, or throws `failure` on every delivery when one is given.
    package init(failure: DeliveryError? = nil) {
        self.failure = failure
    }

    /// Makes later deliveries throw `failure`, or succeed again with nil.
    package func setFailure(_ failure: DeliveryError?) {
        self.failure = failure
    }

    /// Records the email; the receipt's reference is its Message-ID.
    package func deliver(_ email: RenderedEmail) async throws -> DeliveryReceipt {
        if let failure { throw failure }
        delivered.append(email)
        return DeliveryReceipt(service: "recording", reference: email.messageID)
    }

    /// The Message-IDs of emails stopped by `cancelScheduled`.
    package private(set) var cancelled: [String] = []

    /// Moves the series' emails scheduled after `after` from `delivered` to `cancelled`.
    package func cancelScheduled(series: String, after: Date) async throws -> [String] {
        if let failure { throw failure }
        let stopped = delivered.filter { email in
            email.sendAt > after && email.extraHeaders.contains { $0.name == "X-Tidings-Series" && $0.value == series }
        }
        delivered.removeAll { email in stopped.contains { $0.messageID == email.messageID } }
        cancelled += stopped.map(\.messageID)
        return stopped.map(\.messageID)
    }
}
