import Foundation
import Testing

@testable import TidingsCore

/// The review keys of the config file: reviewers and their roles, expiry and escalation, the
/// new-writer lists, and the message each mistake gets (naming its key).
@Suite("Review settings")
struct ReviewDeskSettingsTests {
    func load(_ review: String) throws -> Configuration {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "tidings-review-\(UUID().uuidString).json")
        try Data(#"{"review": \#(review)}"#.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try Configuration.load(
            environment: ["TIDINGS_SHOP_DIR": TestPaths.shop.path, "TIDINGS_CONFIG_FILE": url.path])
    }

    @Test("Roles, durations and writer lists are read as written")
    func reads() throws {
        let configuration = try load(
            #"""
            {"reviewers": {"maria": {"flows": ["orderCancelled", "cartAbandoned"], "tiers": ["*"]},
                           "tom": {"flows": ["*"], "tiers": ["VIP"]}},
             "expire_after": {"cartAbandoned": "3d", "winBack": "90m"},
             "escalate_after": {"cartAbandoned": "24h"},
             "approved_prompts": ["cart_abandoned@3"], "approved_models": ["openai:gpt-5-mini"]}
            """#)
        let desk = configuration.reviewDesk
        #expect(
            desk.reviewers["maria"] == ReviewDeskSettings.Role(flows: [.orderCancelled, .cartAbandoned], tiers: nil))
        #expect(desk.reviewers["tom"] == ReviewDeskSettings.Role(flows: nil, tiers: ["vip"]))
        #expect(desk.expireAfter == [.cartAbandoned: 3 * 86_400, .winBack: 90 * 60])
        #expect(desk.escalateAfter == [.cartAbandoned: 86_400])
        #expect(configuration.review.approvedPrompts == ["cart_abandoned@3"])
        #expect(configuration.review.approvedModels == ["openai:gpt-5-mini"])
        #expect(desk.reviewers["maria"]?.covers(flow: .cartAbandoned, tier: "vip") == true)
        #expect(desk.reviewers["maria"]?.covers(flow: .winBack, tier: "vip") == false)
        #expect(desk.reviewers["tom"]?.covers(flow: .winBack, tier: "VIP") == true)
        #expect(desk.reviewers["tom"]?.covers(flow: .winBack, tier: "new") == false)
        #expect(desk.reviewers["tom"]?.covers(flow: .winBack, tier: nil) == false)
    }

    @Test("Defaults: nobody may decide, carts expire after 72 h, nothing escalates, the writer rules are off")
    func defaults() throws {
        let configuration = try load("{}")
        #expect(configuration.reviewDesk.reviewers.isEmpty)
        #expect(configuration.reviewDesk.expireAfter == [.cartAbandoned: 72 * 3600])
        #expect(configuration.reviewDesk.escalateAfter.isEmpty)
        #expect(configuration.review.approvedPrompts == nil && configuration.review.approvedModels == nil)
    }

    @Test(
        "A mistake names its key",
        arguments: [
            (#"{"reviewers": {"maria": {"flows": ["carts"], "tiers": ["*"]}}}"#, "review.reviewers.maria.flows[0]"),
            (#"{"reviewers": {"maria": {"flows": ["*"]}}}"#, "review.reviewers.maria.tiers"),
            (
                #"{"reviewers": {"maria": {"flows": ["*"], "tiers": ["*"], "role": "admin"}}}"#,
                "review.reviewers.maria.role"
            ),
            (#"{"reviewers": {"ma ria": {"flows": ["*"], "tiers": ["*"]}}}"#, "review.reviewers.ma ria"),
            (#"{"expire_after": {"cartAbandoned": "3 days"}}"#, "review.expire_after.cartAbandoned"),
            (#"{"expire_after": {"cartAbandoned": "0h"}}"#, "review.expire_after.cartAbandoned"),
            (#"{"expire_after": {"carts": "3d"}}"#, "review.expire_after.carts"),
            (#"{"escalate_after": {"cartAbandoned": "4d"}}"#, "review.escalate_after.cartAbandoned"),
            (#"{"approved_models": "openai:gpt-5-mini"}"#, "review.approved_models"),
            (#"{"reviewer": {}}"#, "review.reviewer"),
        ])
    func mistakes(review: String, key: String) throws {
        let error = #expect(throws: ConfigurationError.self) { try load(review) }
        #expect(error?.key == key, "\(String(describing: error))")
    }
}
