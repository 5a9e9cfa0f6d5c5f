/// One customer with every order they placed: what the win-back scan scores.
public struct CustomerHistory: Sendable {
    /// The customer as the platform knows them.
    public var customer: CustomerRecord
    /// Every order of the customer, any status, oldest first.
    public var orders: [OrderRecord]

    /// Creates a history; `orders` must be oldest first.
    public init(customer: CustomerRecord, orders: [OrderRecord]) {
        self.customer = customer
        self.orders = orders
    }
}

/// A platform whose whole customer base can be read in pages, for the win-back scan.
public protocol CustomerBaseStreaming: Sendable {
    /// Calls `body` with every customer that has orders, one at a time, in the platform's order.
    /// It reads one page at a time and waits for `body` before reading on, so memory stays flat
    /// however large the base is. Throws `PlatformError` when the platform fails or its listing
    /// cannot be streamed, and whatever `body` throws.
    func forEachCustomerHistory(_ body: (CustomerHistory) async throws -> Void) async throws
}
