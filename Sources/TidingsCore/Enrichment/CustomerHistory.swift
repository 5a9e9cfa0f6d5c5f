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

    /// Whether the streamed orders carry their lines. A stream without them (Shopify's bulk
    /// export: a bulk query nests two connections, customers and orders) is enough to select on
    /// dates and totals; the scan then reads each selected customer's history again, lines
    /// included, before writing (docs/decisions/win-back-scan.md).
    var streamsOrderLines: Bool { get }
}

extension CustomerBaseStreaming {
    /// Most streams read whole orders.
    package var streamsOrderLines: Bool { true }

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
