import Foundation

/// The recorded shop under `Events/shop` as the embedded commerce platform reads it: the store's
/// identity, where its derived files live, and the production Shopify and BigCommerce clients
/// over its files. What writes the files (`RecordedShopGenerator`, `SyntheticShop`) lives in
/// TidingsDevKit, which the handlers do not link.
package enum RecordedShop {
    /// The Shopify shop handle (`northwind-outfitters.myshopify.com`).
    package static let shopifyShop = "northwind-outfitters"
    /// The BigCommerce store hash.
    package static let bigCommerceStoreHash = "nw4x7k2q"
    /// The Shopify shop's Admin API host, as the production GraphQL client is given it.
    package static let shopifyBaseURL = "https://\(shopifyShop).myshopify.com"
    /// The storefront both platforms link to.
    package static let storefrontURL = "https://northwind.example"

    /// Where the derived co-purchase index of a platform's orders lives, relative to the shop root.
    package static func coPurchasesFile(_ platform: EventPlatform) -> String {
        "derived/\(platform.rawValue)-co-purchases.json"
    }

    /// The production Shopify and BigCommerce clients over the recorded shop under `root`,
    /// answered by `FileTransport`: the Shopify Admin GraphQL client (its queries answered from
    /// the recorded exchanges) and the BigCommerce REST client. Handlers read the stored
    /// co-purchase index (`readStoredIndex`); `tidings shop index` scans every order to rebuild it.
    /// `cachesResponses: false` keeps the Shopify transport from holding every page it served
    /// (the win-back scan streams a whole customer base).
    package static func clients(
        root: URL, storefrontURL: String, readStoredIndex: Bool, cachesResponses: Bool = true
    ) -> [EventPlatform: any CommercePlatform] {
        func source(_ platform: EventPlatform) -> CoPurchaseSource {
            readStoredIndex ? .stored(path: root.appendingPathComponent(coPurchasesFile(platform)).path) : .orderScan
        }
        let files = FileTransport(root: root.appendingPathComponent("shopify").path, cachesResponses: cachesResponses)
        let shopify = ShopifyGraphQLClient(
            baseURL: shopifyBaseURL, accessToken: Secret("recorded"), storefrontURL: storefrontURL,
            coPurchases: source(.shopify), transport: files)
        let bigCommerce = BigCommerceClient(
            storeHash: bigCommerceStoreHash, accessToken: "recorded", storefrontURL: storefrontURL,
            coPurchases: source(.bigcommerce),
            transport: FileTransport(
                root: root.appendingPathComponent("bigcommerce").path, notFoundBody: FileTransport.bigCommerceNotFound))
        return [.shopify: shopify, .bigcommerce: bigCommerce]
    }
}
