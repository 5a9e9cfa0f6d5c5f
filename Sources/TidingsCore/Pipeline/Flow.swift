import Foundation

/// One lifecycle use case as data: its settings and the prompt it writes with. The four handlers
/// differ only in their `Flow`.
public struct Flow: Sendable {
    /// Which lifecycle use case this is; events of another kind are rejected.
    public var kind: FlowKind
    /// Delay, window and consent rules for this flow.
    public var settings: FlowSettings
    /// The prompt template in `PromptLibrary`.
    public var promptID: String

    /// Creates a flow; `promptID` must name a template in `PromptLibrary`, or every event fails.
    public init(kind: FlowKind, settings: FlowSettings, promptID: String) {
        self.kind = kind
        self.settings = settings
        self.promptID = promptID
    }

    /// The abandoned-cart flow under a configuration.
    public static func cartAbandoned(_ configuration: Configuration) -> Flow {
        Flow(kind: .cartAbandoned, settings: configuration.settings(for: .cartAbandoned), promptID: "cart_abandoned")
    }

    /// The flow of a kind, for the kinds this build implements.
    public static func named(_ kind: FlowKind, _ configuration: Configuration) -> Flow? {
        switch kind {
        case .cartAbandoned: return .cartAbandoned(configuration)
        case .orderCreated, .orderCancelled, .winBack: return nil
        }
    }
}
