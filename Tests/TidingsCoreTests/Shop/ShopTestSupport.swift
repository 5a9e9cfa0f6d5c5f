import Foundation
import Synchronization
import Testing

@testable import TidingsCore

/// Paths the shop tests read: the repository root (from this file's path), the committed
/// recorded shop and the spec slices in Tests/Fixtures/specs.
enum ShopPaths {
    static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }  // Shop, TidingsCoreTests, Tests, file
        return url.path
    }()
    static let recordedShop = repositoryRoot + "/Events/shop"
    static let specs = repositoryRoot + "/Tests/Fixtures/specs"
}

/// An in-memory transport that answers from a table keyed by URL and records every request.
final class RecordingTransport: HTTPTransport {
    private let answers: [String: TransportResponse]
    private let fallback: HTTPTransport?
    private let log = Mutex<[TransportRequest]>([])

    /// Answers `answers[url]`, else asks `fallback`, else 404.
    init(_ answers: [String: TransportResponse] = [:], fallback: HTTPTransport? = nil) {
        self.answers = answers
        self.fallback = fallback
    }

    var requests: [TransportRequest] { log.withLock { $0 } }

    func send(_ request: TransportRequest) async throws -> TransportResponse {
        log.withLock { $0.append(request) }
        if let answer = answers[request.url] { return answer }
        if let fallback { return try await fallback.send(request) }
        return TransportResponse(status: 404, body: Array(#"{"errors":"Not Found"}"#.utf8))
    }
}

extension TransportResponse {
    /// A 200 JSON response with `text` as the body.
    static func json(_ text: String, status: Int = 200) -> TransportResponse {
        TransportResponse(status: status, headers: ["content-type": "application/json"], body: Array(text.utf8))
    }
}

/// The production Shopify GraphQL client over the committed recording, as the embedded default builds it.
func recordedShopify(_ transport: (any HTTPTransport)? = nil, coPurchases: CoPurchaseSource = .orderScan)
    -> ShopifyGraphQLClient
{
    ShopifyGraphQLClient(
        baseURL: RecordedShop.shopifyBaseURL, accessToken: Secret("shpat_recorded"),
        storefrontURL: RecordedShop.storefrontURL, coPurchases: coPurchases,
        transport: transport ?? FileTransport(root: ShopPaths.recordedShop + "/shopify"))
}

/// The recorded BigCommerce client over the committed files.
func recordedBigCommerce(_ transport: (any HTTPTransport)? = nil) -> BigCommerceClient {
    BigCommerceClient(
        storeHash: RecordedShop.bigCommerceStoreHash, accessToken: "bc_recorded",
        storefrontURL: RecordedShop.storefrontURL,
        transport: transport
            ?? FileTransport(
                root: ShopPaths.recordedShop + "/bigcommerce", notFoundBody: FileTransport.bigCommerceNotFound
            ))
}
