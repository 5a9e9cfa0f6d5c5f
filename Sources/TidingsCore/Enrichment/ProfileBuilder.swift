import Foundation

/// Builds a `CustomerProfile` from what the event says and what the platform knows.
package struct ProfileBuilder: Sendable {
    /// Creates a builder; it holds no state.
    package init() {}

    /// The profile. The platform's record wins over the payload for consent, names and tags;
    /// the payload's tier wins over a derived one (a CDP may know better).
    package func build(
        reference: CustomerReference, record: CustomerRecord?, orders: [OrderRecord], catalog: Catalog, currency: String
    ) -> CustomerProfile {
        let kept = orders.filter { $0.cancelledAt == nil }.sorted { $0.createdAt < $1.createdAt }
        let total = kept.reduce(Money.zero(currency)) { $0 + $1.total }
        let average = kept.isEmpty ? nil : Money(total.amount / Decimal(kept.count), currency)

        var unitsByCategory: [String: Int] = [:]
        var purchased = Set<String>()
        for order in kept {
            for line in order.lines {
                purchased.insert(line.productID)
                if let category = catalog[line.productID]?.category {
                    unitsByCategory[category, default: 0] += line.quantity
                }
            }
        }
        let topCategories = unitsByCategory.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(3).map(\.key)
        let discounted = kept.filter { !$0.discountCodes.isEmpty }.count
        let orderCount = record == nil ? (reference.statedOrderCount ?? kept.count) : kept.count

        let tags = record?.tags ?? []
        let tier =
            reference.tier
            ?? (tags.contains("vip") ? "vip" : Self.tier(orderCount: orderCount, totalSpent: total.amount))
        var consent = record?.consent ?? .unknown
        if consent == .unknown { consent = reference.consent }

        return CustomerProfile(
            customerID: record?.id ?? reference.id,
            firstName: PersonName.greetingName(record?.firstName ?? reference.firstName),
            lastName: record?.lastName ?? reference.lastName, email: record?.email ?? reference.email,
            consent: consent, tier: tier, orderCount: orderCount, totalSpent: total, averageOrderValue: average,
            firstOrderAt: kept.first?.createdAt, lastOrderAt: kept.last?.createdAt, topCategories: topCategories,
            purchasedProductIDs: purchased,
            discountedOrderShare: kept.isEmpty ? 0 : Decimal(discounted) / Decimal(kept.count), orders: orders)
    }

    /// Tier from history when no tag or payload states one.
    static func tier(orderCount: Int, totalSpent: Decimal) -> String {
        if orderCount >= 10 || totalSpent >= 1500 { return "vip" }
        if orderCount >= 4 { return "loyal" }
        if orderCount >= 1 { return "regular" }
        return "new"
    }
}
