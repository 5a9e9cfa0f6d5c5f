import Foundation
import Testing

@testable import TidingsCore

@Suite("Prompt, copywriter, validation and routing")
struct WritingTests {
    let brand = Brand.northwind
    let policy = ContentPolicy()

    func context(
        eventID: String = "evt-1", cart: Cart? = nil, profile: CustomerProfile? = nil, offer: Offer? = nil
    ) -> (PromptContext, Cart, CustomerProfile) {
        let cart = cart ?? StageFixtures.cart([StageFixtures.item("boot", variant: "US 9")])
        let profile = profile ?? StageFixtures.profile(orders: [StageFixtures.order("o", ["lamp"], total: "60.00")])
        let signals = AbandonmentAnalyst().hypotheses(cart: cart, profile: profile)
        let insights = Insights(
            hypothesis: signals[0], signals: signals,
            recommendations: Recommender().recommend(for: cart, profile: profile, catalog: StageFixtures.catalog))
        let context = PromptContext(
            eventID: eventID, flow: .cartAbandoned, brand: brand, profile: profile, cart: cart, insights: insights,
            offer: offer, subjectMaxLength: policy.subjectMaxLength, now: StageFixtures.now)
        return (context, cart, profile)
    }

    func facts(_ cart: Cart, _ profile: CustomerProfile, offer: Offer? = nil) -> DraftValidator.Facts {
        DraftValidator.Facts(
            catalog: StageFixtures.catalog, offer: offer, tier: profile.tier, firstName: profile.firstName,
            personalData: [profile.email, profile.lastName].compactMap { $0 }, cartTitles: cart.items.map(\.title))
    }

    @Test("The prompt carries the first name and the items, never email, last name, phone or address")
    func promptIsFreeOfPII() throws {
        var cart = StageFixtures.cart([StageFixtures.item("boot")])
        cart.items[0].title = "Trail Boot, call +1 (503) 555-0142 or mail casey.jordan@example.com"
        let (context, _, _) = self.context(cart: cart)
        let prompt = try PromptLibrary().prompt("cart_abandoned", context: context)
        let text = prompt.system + prompt.user
        #expect(text.contains("Casey"))
        #expect(text.contains("Trail Boot"))
        for secret in ["casey.jordan@example.com", "Jordan", "555-0142", "Larch"] {
            #expect(!text.contains(secret), "prompt leaks \(secret)")
        }
        #expect(prompt.reference == "cart_abandoned@3")
        #expect(!text.contains("recover"), "the checkout link stays out of the prompt")
        #expect(prompt.outputSchema.objectValue?["required"] != nil)
    }

    @Test("The copywriter's answer satisfies the schema and names the cart's item and the first name")
    func copywriterWrites() async throws {
        let (context, cart, profile) = self.context()
        let prompt = try PromptLibrary().prompt("cart_abandoned", context: context)
        let answer = try DraftDecoder.decode(try await OfflineCopywriter().complete(prompt))
        #expect(answer.callToAction.url == PromptContext.checkoutPlaceholder)
        let draft = answer.resolvingCheckoutLink("https://northwind.example/cart")
        #expect((3...5).contains(draft.subjects.count))
        #expect(draft.subjects.allSatisfy { $0.count <= policy.subjectMaxLength })
        let text = (draft.subjects + draft.blocks.map(\.text)).joined(separator: " ")
        #expect(text.contains("Trail Boot"))
        #expect(text.contains("Casey"))
        let findings = DraftValidator(policy: policy, brand: brand).validate(draft, facts: facts(cart, profile))
        #expect(findings.errors.isEmpty, "\(findings.errors)")
    }

    @Test("The copywriter is deterministic for an event, and two customers read differently")
    func copywriterVaries() {
        let writer = OfflineCopywriter()
        let (first, _, _) = context(eventID: "evt-1")
        #expect(writer.write(first) == writer.write(first))
        let firstTimer = StageFixtures.profile()
        let (second, _, _) = context(
            eventID: "evt-2", cart: StageFixtures.cart([StageFixtures.item("tent", price: "349.00")]),
            profile: firstTimer)
        let a = writer.write(first)
        let b = writer.write(second)
        #expect(a.subjects != b.subjects)
        #expect(a.blocks.map(\.text) != b.blocks.map(\.text))
        #expect(b.blocks.contains { $0.text.contains("Basecamp Tent") })
    }

    @Test("The copywriter answers each hypothesis in its opening")
    func answersHypothesis() {
        let writer = OfflineCopywriter()
        let shipping = context(
            cart: StageFixtures.cart([StageFixtures.item("lamp", price: "49.00")], shipping: "12.95")
        ).0
        #expect(writer.write(shipping).blocks[1].text.contains("shipping"))
        let sizes = context(
            cart: StageFixtures.cart([
                StageFixtures.item("boot", variant: "US 9"), StageFixtures.item("boot", variant: "US 10"),
            ]),
            profile: StageFixtures.profile(orders: [StageFixtures.order("a", ["sock"], total: "300.00")])
        ).0
        #expect(writer.write(sizes).blocks[1].text.contains("US 9 or the US 10"))
    }

    func validDraft() -> Draft {
        Draft(
            subjects: ["Casey, your Trail Boot is waiting", "Still thinking?", "Your cart is saved"],
            preheader: "Your Trail Boot, saved.",
            blocks: [
                DraftBlock(kind: .greeting, text: "Hi Casey,"),
                DraftBlock(kind: .paragraph, text: "Your Trail Boot is still in your cart."),
                DraftBlock(kind: .product, text: "Trail Boot", productID: "boot"),
            ],
            productPicks: ["boot"], offer: nil,
            callToAction: CallToAction(label: "Back to cart", url: "https://northwind.example/cart"))
    }

    @Test("A clean draft has no findings and scores 100")
    func clean() {
        let (_, cart, profile) = context()
        let findings = DraftValidator(policy: policy, brand: brand).validate(validDraft(), facts: facts(cart, profile))
        #expect(findings.items.isEmpty)
        #expect(findings.score == 100)
    }

    /// One violation per case: the rule expected, and how the clean draft is spoiled.
    static func spoil(_ name: String, _ draft: inout Draft) {
        switch name {
        case "subject_length": draft.subjects[0] = String(repeating: "a", count: 70)
        case "banned_phrase": draft.blocks[1].text += " Act now!"
        case "regulated_phrase": draft.blocks[1].text += " Lifetime warranty included."
        case "link_domain": draft.callToAction.url = "https://evil.example/cart"
        case "link_domain_lookalike": draft.blocks[1].text += " See https://northwind.example.evil.com/x"
        case "unknown_product": draft.productPicks.append("nope")
        case "out_of_stock": draft.productPicks.append("gone")
        case "personal_data": draft.blocks[1].text += " Dear Casey Jordan."
        case "personal_data_email": draft.blocks[1].text += " Reply to casey@elsewhere.org."
        case "offer": draft.offer = DraftOffer(kind: .percentOff, percent: 10, code: "FREE10")
        case "offer_cap": draft.blocks[1].text += " Take 50% off today."
        case "shouting": draft.subjects[1] = "YOUR CART IS WAITING"
        default: Issue.record("no case \(name)")
        }
    }

    @Test(
        "Each rule catches its violation",
        arguments: [
            ("subject_length", "subject_length"), ("banned_phrase", "banned_phrase"),
            ("regulated_phrase", "regulated_phrase"), ("link_domain", "link_domain"),
            ("link_domain_lookalike", "link_domain"), ("unknown_product", "unknown_product"),
            ("out_of_stock", "out_of_stock"), ("personal_data", "personal_data"),
            ("personal_data_email", "personal_data"), ("offer", "offer"), ("offer_cap", "offer_cap"),
            ("shouting", "shouting"),
        ])
    func rules(violation: String, rule: String) {
        let (_, cart, profile) = context()
        var draft = validDraft()
        Self.spoil(violation, &draft)
        let findings = DraftValidator(policy: policy, brand: brand).validate(draft, facts: facts(cart, profile))
        #expect(findings.items.contains { $0.rule == rule }, "\(findings.items)")
        #expect(findings.score < 100)
    }

    @Test("Routing: errors reject, review rules send to review, otherwise send")
    func routing() {
        let router = Router(rules: ReviewRules(tiers: ["vip"], belowScore: 80, offerPercentAtLeast: 20))
        let error = Findings([Finding(rule: "banned_phrase", severity: .error, field: "x", message: "m")])
        #expect(router.decide(findings: error, tier: "regular", offer: nil).name == "reject")
        #expect(router.decide(findings: Findings(), tier: "vip", offer: nil).name == "review")
        let regulated = Findings([Finding(rule: "regulated_phrase", severity: .review, field: "x", message: "m")])
        #expect(router.decide(findings: regulated, tier: "regular", offer: nil).name == "review")
        let big = Offer(kind: .percentOff, percent: 20, code: "X", expiresAt: StageFixtures.now)
        #expect(router.decide(findings: Findings(), tier: "regular", offer: big).name == "review")
        #expect(router.decide(findings: Findings(), tier: "regular", offer: nil) == .send)
    }
}

@Suite("Phrase rules and quoted product names")
struct QuotedProductNameTests {
    let validator = DraftValidator(policy: ContentPolicy(), brand: .northwind)

    func facts(titles: [String]) -> DraftValidator.Facts {
        DraftValidator.Facts(
            catalog: StageFixtures.catalog, offer: nil, tier: "regular", firstName: "Casey", personalData: [],
            cartTitles: titles)
    }

    func draft(_ subject: String, _ body: String) -> Draft {
        Draft(
            subjects: [subject, "Casey, a note from Northwind", "Your cart is saved"], preheader: "Saved for you",
            blocks: [DraftBlock(kind: .paragraph, text: body)], productPicks: [], offer: nil,
            callToAction: CallToAction(label: "Back to cart", url: "https://northwind.example/cart"))
    }

    func phraseRules(_ findings: Findings) -> [String] {
        findings.items.map(\.rule).filter { $0 == "banned_phrase" || $0 == "regulated_phrase" }
    }

    @Test("A banned phrase inside a quoted product name is the catalog's name, not a claim")
    func quotedNameIsNotAClaim() {
        let titles = ["Guaranteed Dry Rain Jacket", "Last Chance Trail Runner", "Eco-Friendly Mug"]
        let findings = validator.validate(
            draft(
                "Casey, your Last Chance Trail Runner is waiting",
                "The guaranteed dry rain jacket and the Eco-Friendly Mug are still in your cart."),
            facts: facts(titles: titles))
        #expect(phraseRules(findings).isEmpty, "\(findings.items)")
    }

    @Test("The same phrase in the copy around a quoted name is still found")
    func copyAroundNameIsChecked() {
        let titles = ["Guaranteed Dry Rain Jacket"]
        let findings = validator.validate(
            draft(
                "Casey, last chance for your Guaranteed Dry Rain Jacket",
                "Guaranteed to sell out: the Guaranteed Dry Rain Jacket. Eco-friendly too."),
            facts: facts(titles: titles))
        #expect(phraseRules(findings) == ["banned_phrase", "banned_phrase", "regulated_phrase"], "\(findings.items)")
    }

    @Test("A name the draft does not quote exactly gives no cover")
    func unquotedNameGivesNoCover() {
        let findings = validator.validate(
            draft("Casey, your jacket is waiting", "Guaranteed Dry comfort, all winter."),
            facts: facts(titles: ["Guaranteed Dry Rain Jacket"]))
        #expect(phraseRules(findings) == ["banned_phrase"])
    }

    @Test("A street address in a draft is personal data by its shape; product names and sizes are not")
    func streetAddressShape() {
        for text in [
            "We will ship it to 42 Harbour View Road again.", "Still at 7 Elm St, Maya?", "1200B North Cedar Avenue",
            "Drop by 9 Old Mill Lane.",
        ] {
            #expect(PIIScanner.findings(in: text) == ["street address"], "\(text)")
        }
        for text in [
            "The Basecamp 2 Backpacking Tent is back.", "Two sizes: US 9 and US 10 Trail Boot.",
            "Save 10 Percent Today", "Open 7 days a week on Alder Street", "Northwind Way of Hiking",
        ] {
            #expect(PIIScanner.findings(in: text).isEmpty, "\(text)")
        }
    }

    @Test("Medical claims are banned phrases by default: they reject a draft")
    func medicalClaims() {
        let findings = validator.validate(
            draft("Casey, your boots are waiting", "Clinically proven to ease every step."),
            facts: facts(titles: ["Trail Boot"]))
        #expect(findings.items.contains { $0.rule == "banned_phrase" && $0.severity == .error })
    }
}
