import Foundation
import Testing

@testable import TidingsCore

@Suite("Guards")
struct GuardsTests {
    let guards = Guards(settings: FlowSettings(delay: 3600, window: 7 * 86_400, requiresConsent: true))
    let now = StageFixtures.now

    @Test("An event within delay and window passes")
    func passes() {
        let cart = StageFixtures.cart([StageFixtures.item("boot")])
        #expect(
            guards.checkCart(cart, now: now) == nil)
        #expect(guards.checkCustomer(StageFixtures.profile(), cart: cart) == nil)
    }

    @Test("A thin payload's cart is timed after enrichment, by its own last activity")
    func thinPayloadTiming() {
        let event = LifecycleEvent(
            flow: .cartAbandoned, id: "bc-1", occurredAt: now, shop: "s",
            customer: CustomerReference(id: nil, email: nil, firstName: nil), cart: .reference(cartID: "c"),
            source: EventSource(platform: .bigcommerce, topic: "store/cart/abandoned"))
        // The webhook fires an hour after the last activity: its own time must not make it too soon.
        #expect(event.cart?.cartID == "c")
        #expect(guards.checkTiming("cart", at: now.addingTimeInterval(-3700), now: now) == nil)
        #expect(guards.checkTiming("cart", at: now.addingTimeInterval(-60), now: now)?.code == .tooSoon)
    }

    @Test("An event dated in the future: a few minutes of clock skew count as now; more is too soon, and says so")
    func datedInTheFuture() {
        let immediate = Guards(settings: FlowSettings(delay: 0, window: 7 * 86_400, requiresConsent: false))
        #expect(immediate.checkTiming("lapse", at: now.addingTimeInterval(120), now: now) == nil)
        let ahead = immediate.checkTiming("lapse", at: now.addingTimeInterval(7200), now: now)
        #expect(ahead?.code == .tooSoon)
        #expect(ahead?.isRetryable == true)
        #expect(ahead?.detail == "the lapse is dated 2 h in the future; handled once that time has come")
    }

    @Test("An address the email service cannot take is nobody to write to, said with the reason, never repeated")
    func undeliverableAddress() {
        var profile = StageFixtures.profile()
        profile.email = "inês.souza@example.com"
        let verdict = Guards.checkRecipient(profile)
        #expect(verdict?.code == .noRecipient)
        #expect(verdict?.detail.contains("SMTPUTF8") == true)
        #expect(verdict?.detail.contains("souza") == false)
        profile.email = "ines.souza@exämple.com"  // an IDNA domain is deliverable
        #expect(Guards.checkRecipient(profile) == nil)
        let record = CustomerRecord(
            id: "c9", email: "inês@example.com", firstName: "Inês", lastName: nil, consent: .subscribed, tags: [],
            createdAt: nil)
        #expect(Guards.checkContact(record) == .undeliverableEmail)
    }

    @Test("Younger than the delay is too soon and retryable")
    func tooSoon() {
        let cart = StageFixtures.cart([StageFixtures.item("boot")], abandonedAt: now.addingTimeInterval(-600))
        let verdict = guards.checkCart(cart, now: now)
        #expect(verdict?.code == .tooSoon)
        #expect(verdict?.isRetryable == true)
    }

    @Test("Older than the window is stale and final")
    func stale() {
        let cart = StageFixtures.cart([StageFixtures.item("boot")], abandonedAt: now.addingTimeInterval(-8 * 86_400))
        let verdict = guards.checkCart(cart, now: now)
        #expect(verdict?.code == .stale)
        #expect(verdict?.isRetryable == false)
    }

    @Test("A completed checkout has converted")
    func completedCheckout() {
        var cart = StageFixtures.cart([StageFixtures.item("boot")])
        cart.completedAt = now.addingTimeInterval(-60)
        #expect(
            guards.checkCart(cart, now: now)?.code
                == .alreadyConverted)
    }

    @Test("An order after the abandonment has converted; one before has not; a cancelled one does not count")
    func laterOrder() {
        let cart = StageFixtures.cart([StageFixtures.item("boot")])
        let after = Timestamp.format(cart.abandonedAt.addingTimeInterval(600))
        let before = StageFixtures.order("o-before", ["boot"], at: "2026-01-01T00:00:00Z")
        #expect(guards.checkCustomer(StageFixtures.profile(orders: [before]), cart: cart) == nil)
        let converted = StageFixtures.profile(orders: [before, StageFixtures.order("o-after", ["boot"], at: after)])
        #expect(guards.checkCustomer(converted, cart: cart)?.code == .alreadyConverted)
        let cancelled = StageFixtures.profile(orders: [StageFixtures.order("o-x", ["boot"], at: after, cancelled: true)]
        )
        #expect(guards.checkCustomer(cancelled, cart: cart) == nil)
    }

    @Test("No consent suppresses when the flow requires it, and not when configured off")
    func consent() {
        let cart = StageFixtures.cart([StageFixtures.item("boot")])
        let profile = StageFixtures.profile(consent: .notSubscribed)
        #expect(guards.checkCustomer(profile, cart: cart)?.code == .noConsent)
        let relaxed = Guards(settings: FlowSettings(delay: 3600, window: 86_400 * 7, requiresConsent: false))
        #expect(relaxed.checkCustomer(profile, cart: cart) == nil)
    }
}
