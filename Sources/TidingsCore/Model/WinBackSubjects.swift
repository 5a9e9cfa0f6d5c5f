/// A customer a CDP or another system reports as lapsed (`customer.lapsed`).
package struct LapsedCustomerSubject: Sendable, Hashable {
    /// The platform customer id.
    package var customerID: String
    /// Reasons the sender suspects, to prefer when the history supports them.
    package var hints: [ChurnReason.Kind]

    /// Creates the subject.
    package init(customerID: String, hints: [ChurnReason.Kind]) {
        self.customerID = customerID
        self.hints = hints
    }
}

/// A scheduled scan of the whole customer base (EventBridge Scheduler or `schedule.win_back`).
package struct WinBackScanSubject: Sendable, Hashable {
    /// Which customers to write to.
    package var criteria: WinBackCriteria
    /// The platform whose customer base is scanned (Shopify unless the event names another).
    package var platform: EventPlatform
    /// Most requests a second to the writer (language model); nil for no limit.
    package var requestsPerSecond: Double?
    /// Most messages composed at once.
    package var concurrency: Int

    /// Creates the subject.
    package init(criteria: WinBackCriteria, platform: EventPlatform, requestsPerSecond: Double?, concurrency: Int) {
        self.criteria = criteria
        self.platform = platform
        self.requestsPerSecond = requestsPerSecond
        self.concurrency = concurrency
    }
}
