import Foundation

extension RecordedShop {
    /// Where the derived co-purchase index of a platform's orders lives, relative to the shop root.
    package static func coPurchasesFile(_ platform: EventPlatform) -> String {
        "derived/\(platform.rawValue)-co-purchases.json"
    }

    /// The production Shopify and BigCommerce clients over the recorded shop under `root`,
    /// answered by `FileTransport`. Handlers read the stored co-purchase index
    /// (`readStoredIndex`); `tidings shop index` scans every order to rebuild it.
    package static func clients(root: URL, storefrontURL: String, readStoredIndex: Bool)
        -> [EventPlatform: any CommercePlatform]
    {
        func source(_ platform: EventPlatform) -> CoPurchaseSource {
            readStoredIndex ? .stored(path: root.appendingPathComponent(coPurchasesFile(platform)).path) : .orderScan
        }
        let shopify = ShopifyAdminClient(
            shop: shopifyShop, accessToken: "recorded", storefrontURL: storefrontURL, coPurchases: source(.shopify),
            transport: FileTransport(root: root.appendingPathComponent("shopify").path))
        let bigCommerce = BigCommerceClient(
            storeHash: bigCommerceStoreHash, accessToken: "recorded", storefrontURL: storefrontURL,
            coPurchases: source(.bigcommerce),
            transport: FileTransport(
                root: root.appendingPathComponent("bigcommerce").path, notFoundBody: FileTransport.bigCommerceNotFound))
        return [.shopify: shopify, .bigcommerce: bigCommerce]
    }
}
