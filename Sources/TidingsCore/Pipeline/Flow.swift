import Foundation

/// One lifecycle use case as data: its settings and its planner. The four handlers
/// differ only in their `Flow`.
package struct Flow: Sendable {
    /// Which lifecycle use case this is; events of another kind are rejected.
    package var kind: FlowKind
    /// Delay, window and consent rules for this flow.
    package var settings: FlowSettings
    /// The flow's own part, as pure decisions: what to look up, its guards, insights and plan.
    package var planner: any FlowPlanner

    /// Creates a flow from its kind, settings and planner.
    package init(kind: FlowKind, settings: FlowSettings, planner: any FlowPlanner) {
        self.kind = kind
        self.settings = settings
        self.planner = planner
    }

    /// The abandoned-cart flow under a configuration.
    package static func cartAbandoned(_ configuration: Configuration) -> Flow {
        Flow(
            kind: .cartAbandoned, settings: configuration.settings(for: .cartAbandoned), planner: CartAbandonedPlanner()
        )
    }

    /// The post-purchase series flow under a configuration.
    package static func orderCreated(_ configuration: Configuration) -> Flow {
        Flow(kind: .orderCreated, settings: configuration.settings(for: .orderCreated), planner: OrderCreatedPlanner())
    }

    /// The cancelled-order flow under a configuration.
    package static func orderCancelled(_ configuration: Configuration) -> Flow {
        Flow(
            kind: .orderCancelled, settings: configuration.settings(for: .orderCancelled),
            planner: OrderCancelledPlanner())
    }

    /// The win-back flow (lapsed customers and scheduled scans) under a configuration.
    package static func winBack(_ configuration: Configuration) -> Flow {
        Flow(kind: .winBack, settings: configuration.settings(for: .winBack), planner: WinBackPlanner())
    }

    /// The flow of a kind, for the kinds this build implements.
    package static func named(_ kind: FlowKind, _ configuration: Configuration) -> Flow? {
        switch kind {
        case .cartAbandoned: return .cartAbandoned(configuration)
        case .orderCreated: return .orderCreated(configuration)
        case .orderCancelled: return .orderCancelled(configuration)
        case .winBack: return .winBack(configuration)
        }
    }
}
