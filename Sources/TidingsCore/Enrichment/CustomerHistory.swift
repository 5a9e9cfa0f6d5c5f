import Foundation

/// One customer with every order they placed: what the win-back scan scores.
package struct CustomerHistory: Sendable {
    /// The customer as the platform knows them.
    package var customer: CustomerRecord
    /// Every order of the customer, any status, oldest first.
    package var orders: [OrderRecord]

    /// Creates a history; `orders` must be oldest first.
    package init(customer: CustomerRecord, orders: [OrderRecord]) {
        self.customer = customer
        self.orders = orders
    }
}

/// A platform whose whole customer base can be read in pages, for the win-back scan.
package protocol CustomerBaseStreaming: Sendable {
    /// Calls `body` with every customer that has orders, one at a time, in the platform's order.
    /// It reads one page at a time and waits for `body` before reading on, so memory stays flat
    /// however large the base is. Throws `PlatformError` when the platform fails or its listing
    /// cannot be streamed, and whatever `body` throws.
    func forEachCustomerHistory(_ body: (CustomerHistory) async throws -> Void) async throws
}

extension CustomerBaseStreaming {
    /// A uniform random sample of at most `size` customer summaries over the whole base, in one
    /// streaming pass (reservoir sampling), so a fit never holds more than `size` customers.
    /// Deterministic for a seed. Returns the sample and how many customers had a summary.
    package func reservoirSample(size: Int, seed: UInt64, now: Date) async throws -> (
        sample: [CustomerSummary], seen: Int
    ) {
        var sample: [CustomerSummary] = []
        var seen = 0
        var random = SplitMix64(seed: seed)
        try await forEachCustomerHistory { history in
            guard let summary = CustomerSummary(id: history.customer.id, orders: history.orders, now: now) else {
                return
            }
            seen += 1
            if sample.count < size {
                sample.append(summary)
            } else {
                let slot = random.int(in: 0...(seen - 1))
                if slot < size { sample[slot] = summary }
            }
        }
        return (sample, seen)
    }
}
