import TidingsCore

extension GeneratedShop {
    /// An opaque, stable cursor for page `index` (Shopify's are opaque too).
    func pageInfo(_ index: Int) -> String {
        "eyJsYXN0X2lkIjo\(index)nwRECORDED"
    }

    /// The Shopify id of the shop's `number`th order (1-based).
    func shopifyOrderID(_ number: Int) -> String { String(5_500_000_000 + number) }
}
