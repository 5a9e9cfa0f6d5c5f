import Foundation
import Synchronization

/// Shopify's calculated-query-cost bucket as the client last saw it (`extensions.cost`), shared by
/// every copy of a client so that concurrent queries of one process see one bucket. It answers how
/// long to wait before a query of a given cost fits, and remembers what each operation asked for
/// last time (its `requestedQueryCost`), which is the estimate for the next one.
/// docs/decisions/shopify-graphql.md has the figures.
package final class ShopifyCostThrottle: Sendable {
    /// The bucket as last reported.
    package struct Status: Sendable, Hashable {
        /// `maximumAvailable`, points.
        package var maximum: Double
        /// `currentlyAvailable`, points, at `observed`.
        package var available: Double
        /// `restoreRate`, points a second (> 0).
        package var restoreRate: Double
        /// When the response that reported it arrived.
        package var observed: Date
    }

    /// The estimate for an operation never seen before: Shopify's documented example query costs
    /// about 100 points; a first query of a fresh process is charged at this until it reports.
    package static let firstEstimate: Double = 100

    private let state = Mutex<(status: Status?, requested: [String: Double])>((nil, [:]))

    /// An empty throttle: no wait until a response has reported the bucket.
    package init() {}

    /// The bucket as last reported, nil before any response.
    package var status: Status? { state.withLock { $0.status } }

    /// The cost to plan for `operation`: its last `requestedQueryCost`, else `firstEstimate`.
    package func estimate(_ operation: String) -> Double {
        state.withLock { $0.requested[operation] } ?? Self.firstEstimate
    }

    /// Seconds to wait at `now` until `cost` points are available: 0 when they are (or nothing is
    /// known yet); a cost above the bucket's size waits for a full bucket.
    package func delay(for cost: Double, now: Date) -> TimeInterval {
        guard let status = state.withLock({ $0.status }), status.restoreRate > 0 else { return 0 }
        let elapsed = max(0, now.timeIntervalSince(status.observed))
        let available = min(status.maximum, status.available + elapsed * status.restoreRate)
        let needed = min(cost, status.maximum)
        return available >= needed ? 0 : (needed - available) / status.restoreRate
    }

    /// Records what a response reported: the bucket (when present) and the operation's requested cost.
    package func observe(_ cost: ShopifyGraphQLWire.Cost?, operation: String, now: Date) {
        guard let cost else { return }
        state.withLock { state in
            if let requested = cost.requestedQueryCost { state.requested[operation] = requested }
            if let bucket = cost.throttleStatus, bucket.restoreRate > 0 {
                state.status = Status(
                    maximum: bucket.maximumAvailable, available: bucket.currentlyAvailable,
                    restoreRate: bucket.restoreRate, observed: now)
            }
        }
    }
}
