import Foundation

/// Recommends products by item-to-item co-occurrence over the shop's orders (cosine similarity of
/// the products' order sets). Never an item in the cart or one the customer bought; only in stock.
package struct Recommender: Sendable {
    /// The most products to recommend.
    package var limit: Int
    /// Candidates priced above this multiple of what the customer usually spends (their average
    /// order, or the dearest item in the cart when that is more) are left out: a $459 tent is a
    /// poor suggestion to someone who left a $49 headlamp over the shipping cost.
    package var priceCeilingMultiple: Decimal

    /// Creates a recommender; `limit` caps the picks, `priceCeilingMultiple` the price relative to usual spend.
    package init(limit: Int = 3, priceCeilingMultiple: Decimal = 3) {
        self.limit = limit
        self.priceCeilingMultiple = priceCeilingMultiple
    }

    /// Up to `limit` in-stock products for the cart, best first: co-purchases, then best sellers
    /// of the cart's categories.
    package func recommend(for cart: Cart, profile: CustomerProfile, catalog: Catalog) -> [Recommendation] {
        recommend(for: cart.items, profile: profile, catalog: catalog)
    }

    /// Up to `limit` in-stock products that go with `items` (a cart's or an order's lines), best first.
    package func recommend(for items: [CartItem], profile: CustomerProfile, catalog: Catalog) -> [Recommendation] {
        let inCart = Set(items.map(\.productID))
        let excluded = inCart.union(profile.purchasedProductIDs)
        let usualSpend = max(profile.averageOrderValue?.amount ?? 0, items.map(\.price.amount).max() ?? 0)
        let ceiling = usualSpend * priceCeilingMultiple
        func affordable(_ product: Product) -> Bool { product.price.amount <= ceiling }
        var scores: [String: (score: Double, anchor: String)] = [:]
        let index = catalog.coPurchases
        for anchor in inCart.sorted() {
            let anchorOrders = Double(index.orderCounts[anchor] ?? 0)
            guard anchorOrders > 0 else { continue }
            for (candidate, together) in index.counts[anchor] ?? [:] where !excluded.contains(candidate) {
                guard let product = catalog[candidate], product.isInStock, affordable(product) else { continue }
                let candidateOrders = Double(index.orderCounts[candidate] ?? 1)
                let similarity = Double(together) / (anchorOrders * candidateOrders).squareRoot()
                let current = scores[candidate]
                let total = (current?.score ?? 0) + similarity
                // Credit the anchor that contributes most, for the "bought with" line.
                let anchorTitle = (current.map { $0.score >= similarity ? $0.anchor : anchor }) ?? anchor
                scores[candidate] = (total, anchorTitle)
            }
        }
        var picks = scores.sorted { ($0.value.score, $1.key) > ($1.value.score, $0.key) }.prefix(limit).compactMap {
            entry -> Recommendation? in
            guard let product = catalog[entry.key] else { return nil }
            let anchor = catalog[entry.value.anchor].map { "the \($0.title)" } ?? "your cart"
            return Recommendation(product: product, score: entry.value.score, because: "often bought with \(anchor)")
        }
        if picks.count < limit {
            // Too little co-purchase evidence: fill with the best sellers of the cart's categories.
            // An item the catalog does not know (a CDP's cart) anchors nothing: its category is the
            // event's word, not the shop's.
            let categories = Set(
                items.filter { catalog[$0.productID] != nil }.compactMap {
                    $0.category ?? catalog[$0.productID]?.category
                })
            let chosen = Set(picks.map(\.product.id))
            let fillers = catalog.products.values.filter {
                categories.contains($0.category) && $0.isInStock && affordable($0) && !excluded.contains($0.id)
                    && !chosen.contains($0.id)
            }.sorted { (index.orderCounts[$0.id] ?? 0, $1.id) > (index.orderCounts[$1.id] ?? 0, $0.id) }
            for product in fillers.prefix(limit - picks.count) {
                picks.append(Recommendation(product: product, score: 0, because: "popular in \(product.category)"))
            }
        }
        return picks
    }
}
