import TidingsCore

/// One webhook route of the receiver and the function it feeds: a Shopify topic's own path, or a
/// path whose deliveries name their flow themselves (BigCommerce's `scope`, a canonical event's
/// `event`), which the event decoder reads (docs/decisions/serve-receiver.md).
package struct ReceiverRoute: Sendable, Equatable {
    /// Which function a delivery on this route goes to.
    package enum Target: Sendable, Equatable {
        /// Always this flow: a delivery of another topic is bad input for it, as at its function.
        case flow(FlowKind)
        /// The flow the decoded event names (one of `ReceiverRoute.flows`); a delivery that cannot
        /// be decoded is refused by `fallback`'s handler, which keeps it in the dead-letter folder.
        case decoded(fallback: FlowKind)
    }

    /// The request path, e.g. "/webhooks/shopify/checkouts/update".
    package var path: String
    /// Where its deliveries go.
    package var target: Target

    /// The flows the receiver runs. winBack is a scheduled scan, not a webhook.
    package static let flows: [FlowKind] = [.cartAbandoned, .orderCreated, .orderCancelled]

    /// Every webhook route, in the order the README lists them. Adobe Commerce has no decoder in
    /// this build, so it has no route.
    package static let all: [ReceiverRoute] = [
        ReceiverRoute(path: "/webhooks/shopify/checkouts/update", target: .flow(.cartAbandoned)),
        ReceiverRoute(path: "/webhooks/shopify/orders/create", target: .flow(.orderCreated)),
        ReceiverRoute(path: "/webhooks/shopify/orders/cancelled", target: .flow(.orderCancelled)),
        // store/cart/abandoned, store/order/created, store/order/statusUpdated.
        ReceiverRoute(path: "/webhooks/bigcommerce", target: .decoded(fallback: .cartAbandoned)),
        // cart.updated / order.created / order.cancelled in the canonical Tidings shape.
        ReceiverRoute(path: "/events", target: .decoded(fallback: .cartAbandoned)),
    ]
}
