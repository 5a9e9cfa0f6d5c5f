import Foundation
import TidingsCore
import TidingsHTTP

extension FunctionEnvironment {
    /// The BigCommerce client of a live store: libcurl, under `BigCommerceRateLimiter` (the
    /// store's rate-limit headers), under `RetryingTransport` (5xx, timeouts and 429 retried with
    /// backoff, never past the invocation's deadline). The co-purchase index is the file
    /// `tidings shop index` wrote when it exists, none otherwise. Made once per process.
    package static func bigCommerceClient(_ store: CommerceSettings.BigCommerce, configuration: Configuration)
        -> BigCommerceClient
    {
        let file =
            store.coPurchasesFile
            ?? configuration.dataDirectory.appendingPathComponent(RecordedShop.coPurchasesFile(.bigcommerce)).path
        let transport = RetryingTransport(
            BigCommerceRateLimiter(curlTransport(name: "bigcommerce", timeout: store.timeout)))
        return BigCommerceClient(
            storeHash: store.storeHash, accessToken: String(decoding: store.accessToken.bytes, as: UTF8.self),
            storefrontURL: configuration.brand.storefrontURL,
            coPurchases: FileManager.default.fileExists(atPath: file) ? .stored(path: file) : .absent,
            apiBaseURL: store.baseURL, transport: transport)
    }
}
