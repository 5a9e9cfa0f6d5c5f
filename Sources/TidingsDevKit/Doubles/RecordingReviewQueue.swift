import TidingsCore

/// A `ReviewQueue` for tests: keeps every item it is handed, in order, and can be told to fail.
package actor RecordingReviewQueue: ReviewQueue {
    /// What was queued so far, oldest first.
    package private(set) var items: [ReviewItem] = []
    /// When set, `enqueue` throws this instead of recording.
    package private(set) var failure: DeliveryError?

    /// A queue that records, or throws `failure` on every item when one is given.
    package init(failure: DeliveryError? = nil) {
        self.failure = failure
    }

    /// Makes later items throw `failure`, or succeed again with nil.
    package func setFailure(_ failure: DeliveryError?) {
        self.failure = failure
    }

    /// Records the item; the reference is "review/<event id>/<position>".
    package func enqueue(_ item: ReviewItem) async throws -> String {
        if let failure { throw failure }
        items.append(item)
        return "review/\(item.eventID)/\(items.count)"
    }

    /// Removes the series' items and returns their references.
    package func withdraw(series: String) async throws -> [String] {
        if let failure { throw failure }
        let references = items.enumerated().filter { $0.element.seriesKey == series }.map {
            "review/\($0.element.eventID)/\($0.offset + 1)"
        }
        items.removeAll { $0.seriesKey == series }
        return references
    }
}
