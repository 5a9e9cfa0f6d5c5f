import Foundation

extension CustomerSummary {
    /// Seconds in a week, the models' time unit.
    package static let week: TimeInterval = 604_800

    /// Whether an order counts as a purchase for the models: not cancelled and not fully refunded.
    package static func isPurchase(_ order: OrderRecord) -> Bool {
        order.cancelledAt == nil && order.financialStatus != "refunded" && order.financialStatus != "voided"
    }

    /// The summary of a customer's orders observed until `now`, in weeks, or nil when no order
    /// counts as a purchase. Purchases on the same UTC day count once (their totals added), as
    /// the models count purchase occasions; z̄ is the mean of the repeat occasions' totals.
    package init?(id: String, orders: [OrderRecord], now: Date) {
        var days: [(day: Int, amount: Double)] = []
        for order in orders where CustomerSummary.isPurchase(order) && order.createdAt <= now {
            let day = Int((order.createdAt.timeIntervalSince1970 / 86_400).rounded(.down))
            let amount = NSDecimalNumber(decimal: order.total.amount).doubleValue
            if let index = days.firstIndex(where: { $0.day == day }) {
                days[index].amount += amount
            } else {
                days.append((day, amount))
            }
        }
        guard !days.isEmpty else { return nil }
        days.sort { $0.day < $1.day }
        let purchases = orders.filter { CustomerSummary.isPurchase($0) && $0.createdAt <= now }
            .map(\.createdAt).sorted()
        let first = purchases[0]
        let last = purchases[purchases.count - 1]
        let repeats = days.dropFirst()
        self.init(
            id: id, frequency: Double(repeats.count),
            recency: repeats.isEmpty ? 0 : last.timeIntervalSince(first) / CustomerSummary.week,
            age: now.timeIntervalSince(first) / CustomerSummary.week,
            monetary: repeats.isEmpty ? nil : repeats.reduce(0) { $0 + $1.amount } / Double(repeats.count))
    }
}
