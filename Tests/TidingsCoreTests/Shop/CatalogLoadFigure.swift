import Foundation
import Testing

@testable import TidingsCore

/// Prints how long a fresh client takes to load `catalog()` from the recorded files (what a Lambda
/// cold start pays once). A figure for docs, not a timed test: it asserts nothing about speed and
/// runs only with TIDINGS_MEASURE=1, e.g. `TIDINGS_MEASURE=1 swift test -c release --filter CatalogLoadFigure`.
@Suite struct CatalogLoadFigure {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["TIDINGS_MEASURE"] == "1"))
    func freshClientCatalogLoad() async throws {
        let clock = ContinuousClock()
        for (name, make) in [
            ("shopify", { recordedShopify() as any CommercePlatform }),
            ("bigcommerce", { recordedBigCommerce() }),
        ] {
            var runs: [Duration] = []
            var products = 0
            for _ in 0..<20 {
                let client = make()  // a new client: new FileTransport cache, new catalog cache
                let start = clock.now
                products = try await client.catalog().products.count
                runs.append(clock.now - start)
            }
            runs.sort()
            print(
                "catalog load \(name): first \(runs.last!) max, median \(runs[runs.count / 2]), \(products) products"
            )
        }
    }
}
