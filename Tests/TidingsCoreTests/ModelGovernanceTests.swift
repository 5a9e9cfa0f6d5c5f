import Foundation
import Synchronization
import Testing

@testable import TidingsCore

/// Rate limits shared by every task of a process, prices, and the `models` configuration.
@Suite("Model governance")
struct ModelGovernanceTests {
    /// A model that answers at once with fixed usage.
    struct InstantModel: LanguageModel {
        var name: String
        var usage = TokenUsage(input: 10, output: 10)
        func respond(to request: DraftRequest) async throws -> ModelAnswer {
            ModelAnswer(text: "{}", usage: usage)
        }
    }

    /// Records every wait instead of sleeping, so the clock never moves.
    final class Waits: Sendable {
        let seconds = Mutex<[TimeInterval]>([])
        var sleep: @Sendable (TimeInterval) async throws -> Void {
            { value in self.seconds.withLock { $0.append(value) } }
        }
    }

    func request() throws -> DraftRequest {
        let cart = StageFixtures.cart([StageFixtures.item("boot", variant: "US 9")])
        let profile = StageFixtures.profile(orders: [])
        let signals = AbandonmentAnalyst().hypotheses(cart: cart, profile: profile)
        let context = PromptContext(
            eventID: "evt-1", flow: .cartAbandoned, brand: .northwind, profile: profile, cart: cart,
            insights: Insights(hypothesis: signals[0], signals: signals, recommendations: []), offer: nil,
            subjectMaxLength: 60, now: StageFixtures.now)
        return DraftRequest(prompt: try PromptLibrary().prompt("cart_abandoned", context: context))
    }

    @Test("One upstream's request limit is shared by all tasks and all its models; other upstreams are not held")
    func sharedRequestLimit() async throws {
        var settings = ModelGovernanceSettings()
        settings.rateLimits["openai"] = .init(requestsPerMinute: 60)  // 1 a second, 10 at once
        let waits = Waits()
        let governance = ModelGovernance(
            settings: settings, auditRoot: URL(fileURLWithPath: "/nonexistent"), clock: FixedClock(StageFixtures.now),
            sleep: waits.sleep)
        let first = governance.wrap(InstantModel(name: "openai:gpt-a"), flow: .cartAbandoned)
        let second = governance.wrap(InstantModel(name: "openai:gpt-b"), flow: .winBack)
        let other = governance.wrap(InstantModel(name: "anthropic:claude"), flow: .cartAbandoned)
        #expect(other is InstantModel)
        let request = try request()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<12 {
                group.addTask { _ = try await (index.isMultiple(of: 2) ? first : second).respond(to: request) }
                group.addTask { _ = try await other.respond(to: request) }
            }
            try await group.waitForAll()
        }
        // Ten go at once; the eleventh and twelfth wait one and two seconds of the shared bucket.
        #expect(waits.seconds.withLock { $0 }.sorted() == [1, 2])
    }

    @Test("Tokens are taken as an estimate before the call and settled with the reported usage")
    func tokenLimit() async throws {
        let request = try request()
        let estimate = RateLimitedModel.estimatedTokens(request)
        #expect(estimate > 500)
        // Ten seconds' worth is exactly one estimate: the first call goes at once.
        let waits = Waits()
        let limiter = UpstreamLimiter(
            .init(tokensPerMinute: estimate * 6), clock: FixedClock(StageFixtures.now), sleep: waits.sleep)
        let model = RateLimitedModel(
            InstantModel(name: "openai:x", usage: TokenUsage(input: 0, output: 0)), limiter: limiter)
        _ = try await model.respond(to: request)
        #expect(waits.seconds.withLock { $0 }.isEmpty)
        // The call reported no tokens, so the estimate came back: the second goes at once too.
        _ = try await model.respond(to: request)
        #expect(waits.seconds.withLock { $0 }.isEmpty)
        // A model that reports a whole estimate's worth keeps it: the next call waits ten seconds.
        let spender = RateLimitedModel(
            InstantModel(name: "openai:x", usage: TokenUsage(input: estimate, output: 0)), limiter: limiter)
        _ = try await spender.respond(to: request)
        _ = try await spender.respond(to: request)
        #expect(waits.seconds.withLock { $0 } == [10])
    }

    @Test("Prices: exact decimals, dated snapshots priced as their model, provider prefixes ignored")
    func prices() {
        var settings = ModelGovernanceSettings()
        settings.prices["gpt-4.1-mini"] = .init(
            input: Decimal(string: "0.40")!, cachedInput: Decimal(string: "0.10")!, output: Decimal(string: "1.60")!)
        settings.prices["gpt-4.1"] = .init(input: 2, output: 8)
        #expect(settings.price(for: ["gpt-4.1-mini-2025-04-14"])?.id == "gpt-4.1-mini")
        #expect(settings.price(for: ["openai:gpt-4.1"])?.id == "gpt-4.1")
        #expect(settings.price(for: ["claude-haiku-4-5"]) == nil)
        let usage = TokenUsage(input: 1234, cachedInput: 1000, output: 321)
        let cost = settings.prices["gpt-4.1-mini"]!.cost(of: usage)
        // (1234 x 0.40 + 1000 x 0.10 + 321 x 1.60) / 1e6 = 1107.2 / 1e6
        #expect(cost == Decimal(string: "0.0011072"))
    }

    @Test("The models object is read strictly: bad values name their key")
    func configuration() throws {
        let good = try JSONParser.parse(
            #"{"models":{"prices":{"gpt-4.1-mini":{"input":0.4,"cached_input":"0.10","output":1.6}},"rate_limits":{"openai":{"requests_per_minute":500,"tokens_per_minute":200000}},"budgets":{"cartAbandoned":{"daily_usd":5,"monthly_usd":"100.50"}}}}"#
        )
        var configuration = Configuration(
            dataDirectory: URL(fileURLWithPath: "/tmp"), shopDirectory: URL(fileURLWithPath: "/tmp"))
        try configuration.apply(good)
        #expect(configuration.models.prices["gpt-4.1-mini"]?.cachedInput == Decimal(string: "0.1"))
        #expect(configuration.models.prices["gpt-4.1-mini"]?.cacheWrite == Decimal(string: "0.4"))
        #expect(configuration.models.rateLimits["openai"]?.tokensPerMinute == 200_000)
        #expect(configuration.models.budgets[.cartAbandoned]?.monthly == Decimal(string: "100.5"))
        let bad: [(String, String)] = [
            (#"{"models":{"prices":{"m":{"input":-1,"output":1}}}}"#, "models.prices.m.input"),
            (#"{"models":{"prices":{"m":{"input":1}}}}"#, "models.prices.m.output"),
            (#"{"models":{"prices":{"m":{"input":1,"output":1,"outptu":2}}}}"#, "models.prices.m.outptu"),
            (
                #"{"models":{"rate_limits":{"openai":{"requests_per_minute":0}}}}"#,
                "models.rate_limits.openai.requests_per_minute"
            ),
            (#"{"models":{"budgets":{"cartabandoned":{"daily_usd":1}}}}"#, "models.budgets.cartabandoned"),
            (#"{"models":{"budgets":{"winBack":{"daily_usd":"ten"}}}}"#, "models.budgets.winBack.daily_usd"),
        ]
        for (text, key) in bad {
            var configuration = Configuration(
                dataDirectory: URL(fileURLWithPath: "/tmp"), shopDirectory: URL(fileURLWithPath: "/tmp"))
            #expect(throws: ConfigurationError.self, "\(key)") { try configuration.apply(try JSONParser.parse(text)) }
            do {
                try configuration.apply(try JSONParser.parse(text))
            } catch let error as ConfigurationError {
                #expect(error.key == key)
            } catch {}
        }
    }
}
