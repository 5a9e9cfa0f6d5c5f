import Foundation

/// The embedded writer: composes a personalized draft from the prompt's context alone, with no
/// network. It reads only `Prompt.context`, so it sees exactly the PII-free facts a hosted model
/// would. Deterministic for a given event (phrasing is chosen by a hash of the event id), and it is
/// the fallback when a model fails and the control arm of experiments.
package struct OfflineCopywriter: LanguageModel {
    /// The writer's name in the audit and the fallback record.
    package let name = "offline-copywriter"

    /// Creates the copywriter; it holds no state.
    package init() {}

    /// Writes the draft from `prompt.context` alone and returns it as JSON; never needs the network.
    package func respond(to request: DraftRequest) async throws -> ModelAnswer {
        let draft = write(request.prompt.context)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return ModelAnswer(text: String(decoding: try encoder.encode(draft), as: UTF8.self))
    }

    /// The draft for a context: an order's message when the context is about an order, else the
    /// abandoned-cart email.
    package func write(_ masked: PromptContext) -> Draft {
        let context = Self.customerFacing(masked)
        let draft: Draft
        if let winBack = context.winBack {
            draft = writeWinBack(context, winBack: winBack)
        } else if let order = context.order {
            draft = writeOrderMessage(context, order: order)
        } else {
            draft = writeCartRecovery(context)
        }
        // An experiment arm's strategy leads the subject and the opening (OfflineCopywriter+Experiments).
        guard let strategy = context.experiment.flatMap({ ExperimentStrategy(rawValue: $0.strategy) }) else {
            return draft
        }
        return following(strategy, draft: draft, context: context)
    }

    /// The context with the prompt's personal-data mask taken out of every text the copy quotes:
    /// the mask keeps an address out of a model's prompt, and must not reach the customer either.
    static func customerFacing(_ masked: PromptContext) -> PromptContext {
        func clean(_ text: String) -> String {
            let unmasked = PIIScanner.unmasked(text)
            return unmasked.isEmpty && !text.isEmpty ? "item" : unmasked
        }
        var context = masked
        for index in context.items.indices {
            context.items[index].title = clean(context.items[index].title)
            context.items[index].variant = context.items[index].variant.map(clean)
        }
        context.soldOut = context.soldOut.map(clean)
        for index in context.recommendations.indices {
            context.recommendations[index].title = clean(context.recommendations[index].title)
            context.recommendations[index].because = clean(context.recommendations[index].because)
        }
        if var order = context.order {
            order.unavailable = order.unavailable.map(clean)
            order.shippingMethod = order.shippingMethod.map(clean)
            context.order = order
        }
        if var winBack = context.winBack {
            winBack.pastPurchases = winBack.pastPurchases.map(clean)
            context.winBack = winBack
        }
        context.customer.topCategories = context.customer.topCategories.map(clean)
        return context
    }

    /// The abandoned-cart email.
    func writeCartRecovery(_ context: PromptContext) -> Draft {
        var choice = PhraseChooser(seed: context.eventID)
        let name = context.customer.firstName
        let lead = context.items.first
        let leadTitle = lead?.title ?? "your picks"
        let itemList = Self.list(context.items.map(\.title))
        let returning = context.customer.orderCount > 0

        var blocks: [DraftBlock] = []
        let greeting: String
        if let name {
            greeting =
                returning ? choice.pick(["Hi \(name),", "Hello again, \(name),", "\(name), hi,"]) : "Hi \(name),"
        } else {
            greeting = "Hi there,"
        }
        blocks.append(DraftBlock(kind: .greeting, text: greeting))
        blocks.append(
            DraftBlock(kind: .paragraph, text: opening(context, itemList: itemList, lead: lead, choice: &choice)))
        if !context.soldOut.isEmpty {
            let titles = Self.list(context.soldOut)
            blocks.append(
                DraftBlock(
                    kind: .paragraph,
                    text:
                        "\(titles.capitalizedFirst) sold out since you looked, so \(context.soldOut.count == 1 ? "it is" : "they are") not below. The rest is still here."
                ))
        }
        if let loyalty = loyaltyLine(context, choice: &choice) {
            blocks.append(DraftBlock(kind: .paragraph, text: loyalty))
        }
        // The renderer shows each product's title, price and link; the block says why it is here.
        // An item the catalog does not know has no card to show: it is named in a line of its own,
        // with the price the cart gave.
        var shown = Set<String>()
        for item in context.items where shown.insert(item.productID).inserted && shown.count <= 3 {
            let variants = context.items.filter { $0.productID == item.productID }.compactMap(\.variant)
            if item.notInCatalog == true {
                let units = item.quantity > 1 ? "\(item.quantity) × " : ""
                let variant = variants.first.map { ", in \($0)" } ?? ""
                blocks.append(
                    DraftBlock(
                        kind: .paragraph,
                        text: "Still in your cart: the \(item.title)\(variant), \(units)\(item.price)."))
                continue
            }
            let text: String
            switch variants.count {
            case 0: text = "Still in your cart."
            case 1: text = "Still in your cart, in \(variants[0])."
            default: text = "In your cart in \(Self.list(variants, conjunction: "and", articles: false))."
            }
            blocks.append(DraftBlock(kind: .product, text: text, productID: item.productID))
        }
        if let offer = context.offer {
            blocks.append(DraftBlock(kind: .offer, text: offerLine(offer)))
        }
        if !context.recommendations.isEmpty {
            let anchor = lead.map { "the \($0.title)" } ?? "your cart"
            blocks.append(
                DraftBlock(
                    kind: .paragraph,
                    text: choice.pick([
                        "If you are rounding out the kit, customers who bought \(anchor) often add these:",
                        "A few things that go well with \(anchor):",
                        "Other customers pair \(anchor) with:",
                    ])))
            for pick in context.recommendations {
                blocks.append(
                    DraftBlock(kind: .product, text: pick.because.capitalizedFirst + ".", productID: pick.productID))
            }
        }
        blocks.append(
            DraftBlock(
                kind: .signoff,
                text: choice.pick(["See you out there,", "Happy trails,", "Thanks for shopping with us,"])
                    + "\nThe \(context.brandName) team"))

        return Draft(
            subjects: subjects(context, leadTitle: leadTitle, choice: &choice),
            preheader: preheader(context, itemList: itemList),
            blocks: blocks,
            productPicks: context.items.filter { $0.notInCatalog != true }.map(\.productID)
                + context.recommendations.map(\.productID),
            offer: context.offer.flatMap { terms in
                DraftOffer.Kind(rawValue: terms.kind).map {
                    DraftOffer(kind: $0, percent: terms.percent, code: terms.code)
                }
            },
            callToAction: CallToAction(
                label: context.items.count == 1
                    ? "Return to your \(Self.shortTitle(leadTitle, limit: 24))" : "Return to your cart",
                url: context.checkoutURL))
    }

    func opening(
        _ context: PromptContext, itemList: String, lead: PromptContext.Item?, choice: inout PhraseChooser
    ) -> String {
        let leadTitle = lead?.title ?? "your picks"
        switch AbandonmentHypothesis.Kind(rawValue: context.hypothesis?.kind ?? "") ?? .distracted {
        case .shippingCost:
            let shipping = context.shipping.map { "shipping came to \($0)" } ?? "shipping added up"
            if context.offer != nil {
                return
                    "You left \(itemList) in your cart, and we noticed \(shipping) on a \(context.cartSubtotal ?? "") order. "
                    + "That is a lot to pay for the trip, so the shipping is on us this time."
            }
            return "You left \(itemList) in your cart, and we noticed \(shipping). Combining items into one order "
                + "is the easiest way to make the shipping worth it."
        case .priceAboveUsualSpend:
            let usual = context.customer.averageOrderValue.map { " than your usual \($0) order" } ?? ""
            return "The \(leadTitle) is a bigger step\(usual), so it deserves a second look. "
                + choice.pick([
                    "It is built to last for years of use, which is where the price goes.",
                    "Take your time with it; your cart is saved exactly as you left it.",
                ])
        case .discountCodeFailed:
            let code = context.hypothesis?.evidence.first.flatMap(Self.quotedCode) ?? "the code you tried"
            return "It looks like \(code) did not work at checkout, and we are sorry about that. "
                + "Your \(itemList) \(context.items.count == 1 ? "is" : "are") still in your cart."
        case .sizeUncertainty:
            let variants = context.items.filter { $0.productID == lead?.productID }.compactMap(\.variant)
            let sizes = variants.isEmpty ? "two sizes" : Self.list(variants, conjunction: "or")
            return "Torn between \(sizes) of the \(leadTitle)? The size notes on the product page compare the fit "
                + "side by side, so you can pick one with confidence."
        case .firstPurchaseHesitation:
            return choice.pick([
                "Welcome to \(context.brandName). You picked out \(itemList), and your cart is saved for whenever you are ready.",
                "Thanks for stopping by \(context.brandName). \(itemList.capitalizedFirst) \(context.items.count == 1 ? "is" : "are") still waiting in your cart.",
            ])
        case .waitingForDiscount:
            return "Your \(itemList) \(context.items.count == 1 ? "is" : "are") still set aside in your cart, "
                + "at the same price as when you left."
        case .distracted:
            return choice.pick([
                "Looks like you got pulled away. Your cart with \(itemList) is saved right where you left it.",
                "You were in the middle of something: \(itemList) \(context.items.count == 1 ? "is" : "are") still in your cart.",
            ])
        }
    }

    func loyaltyLine(_ context: PromptContext, choice: inout PhraseChooser) -> String? {
        let customer = context.customer
        switch customer.tier {
        case "vip":
            return
                "You have been with us for \(customer.orderCount) orders, and that means a lot to a small shop like ours."
        case "loyal":
            if let category = customer.topCategories.first {
                return "You know our \(category.lowercased()) well by now, so this one should feel familiar."
            }
            return nil
        case "regular":
            if let days = customer.daysSinceLastOrder, days > 60 {
                return "It has been a while since your last order, so it is good to see you browsing with us again."
            }
            return nil
        default:
            return nil
        }
    }

    func offerLine(_ offer: PromptContext.OfferTerms) -> String {
        let expiry = Self.readableDay(offer.expiresAt)
        switch DraftOffer.Kind(rawValue: offer.kind) ?? .percentOff {
        case .freeShipping:
            return "Use code \(offer.code) at checkout for free shipping on this order, valid until \(expiry)."
        case .percentOff:
            return "Use code \(offer.code) at checkout for \(offer.percent)% off this order, valid until \(expiry)."
        }
    }

    func subjects(_ context: PromptContext, leadTitle: String, choice: inout PhraseChooser) -> [String] {
        let limit = context.subjectMaxLength
        let name = context.customer.firstName
        // The longest version that fits: with the first name when there is room, then with
        // shorter product titles.
        func fit(_ make: (String) -> String) -> String? {
            for titleLimit in [40, 30, 22, 16] {
                let plain = make(Self.shortTitle(leadTitle, limit: titleLimit))
                if let name, !plain.hasPrefix(name) {
                    let named = "\(name), " + plain.prefix(1).lowercased() + plain.dropFirst()
                    if named.count <= limit { return named }
                }
                if plain.count <= limit { return plain }
            }
            return nil
        }
        // The subject that answers the hypothesis leads; the name-and-item reminder follows.
        var options: [String?] = []
        switch AbandonmentHypothesis.Kind(rawValue: context.hypothesis?.kind ?? "") ?? .distracted {
        case .shippingCost:
            options.append(
                context.offer != nil
                    ? fit { "Free shipping on your \($0)" } : fit { "Make the shipping worth it: \($0)" })
        case .priceAboveUsualSpend: options.append(fit { "A closer look at the \($0)" })
        case .discountCodeFailed:
            options.append(
                context.offer != nil ? "That code did not work. This one will" : "About the code at checkout")
        case .sizeUncertainty: options.append(fit { "Which size \($0) is right for you?" })
        case .firstPurchaseHesitation: options.append(fit { "Still thinking about the \($0)?" })
        case .waitingForDiscount: options.append(fit { "Your \($0), saved for you" })
        case .distracted: options.append(fit { "You left the \($0) behind" })
        }
        options.append(
            fit { title in
                name.map { "\($0), your \(title) is still in your cart" } ?? "Your \(title) is still in your cart"
            })
        if let offer = context.offer, offer.kind == DraftOffer.Kind.percentOff.rawValue {
            options.append(fit { "\(offer.percent)% off your \($0), for two days" })
        }
        options.append("Your \(context.brandName) cart is saved")
        if let pick = context.recommendations.first {
            options.append(fit { _ in "Goes well with it: \(Self.shortTitle(pick.title, limit: 30))" })
        }
        var subjects = options.compactMap { $0 }.filter { $0.count <= limit }
        subjects = subjects.enumerated().filter { index, subject in !subjects[..<index].contains(subject) }.map(
            \.element)
        if subjects.count < 3 {
            subjects.append(contentsOf: ["Your cart is saved", "Still thinking it over?"].prefix(3 - subjects.count))
        }
        // Rotate the non-leading options so two customers with the same situation still differ.
        let rest = Array(subjects.dropFirst())
        let shift = rest.isEmpty ? 0 : choice.index(rest.count)
        return Array(([subjects[0]] + rest[shift...] + rest[..<shift]).prefix(5))
    }

    func preheader(_ context: PromptContext, itemList: String) -> String {
        var text: String
        if let offer = context.offer {
            text =
                offer.kind == DraftOffer.Kind.freeShipping.rawValue
                ? "Free shipping with \(offer.code). \(itemList.capitalizedFirst), saved in your cart."
                : "\(offer.percent)% off with \(offer.code). \(itemList.capitalizedFirst), saved in your cart."
        } else {
            text = "\(itemList.capitalizedFirst), saved in your cart at \(context.brandName)."
        }
        text = PromptContext.bounded(text, limit: 140)
        return text
    }

    static func list(_ items: [String], conjunction: String = "and", articles: Bool = true) -> String {
        var unique: [String] = []
        for item in items where !unique.contains(item) { unique.append(item) }
        let the = articles ? "the " : ""
        switch unique.count {
        case 0: return "your picks"
        case 1: return the + unique[0]
        case 2: return "\(the)\(unique[0]) \(conjunction) \(the)\(unique[1])"
        default: return "\(the)\(unique[0]), \(the)\(unique[1]) \(conjunction) \(unique.count - 2) more"
        }
    }

    /// A title that fits `limit`: whole, else its first and last words ("Alpine Pro Mountaineering
    /// Boot" becomes "Alpine Boot", which still names the kind of thing), else its first whole
    /// words with "…". A title the prompt already shortened (ending in "…") has no true last word,
    /// so it is only ever cut at a word.
    static func shortTitle(_ title: String, limit: Int) -> String {
        guard title.count > limit else { return title }
        let words = title.split(separator: " ")
        if title.last != PromptContext.ellipsis, words.count >= 3, let first = words.first, let last = words.last,
            first.count + last.count + 1 <= limit, last.first?.isLetter == true
        {
            return "\(first) \(last)"
        }
        var whole = title
        if whole.last == PromptContext.ellipsis { whole.removeLast() }
        return PromptContext.bounded(whole, limit: limit)
    }

    static func quotedCode(_ evidence: String) -> String? {
        guard let range = evidence.range(of: "the code ") else { return nil }
        let code = evidence[range.upperBound...].prefix { !$0.isWhitespace }
        // A code that was masked in the prompt is not quoted: the mask is not customer copy.
        return code.isEmpty || code.hasPrefix(PIIScanner.maskToken) ? nil : "the code \(code)"
    }

    static func readableDay(_ iso: String) -> String {
        // A bare day ("2026-11-29") reads the same as midnight UTC of it.
        guard let date = Timestamp.parse(iso.count == 10 ? iso + "T00:00:00Z" : iso) else { return iso }
        let months = [
            "January", "February", "March", "April", "May", "June", "July", "August", "September",
            "October", "November", "December",
        ]
        let day = Timestamp.day(date)
        let parts = day.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3 else { return day }
        return "\(months[parts[1] - 1]) \(parts[2])"
    }
}

/// Picks phrasings deterministically from a seed string (FNV-1a, then a linear congruential step).
struct PhraseChooser {
    var state: UInt64

    init(seed: String) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in seed.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        state = hash
    }

    mutating func index(_ count: Int) -> Int {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int((state >> 33) % UInt64(count))
    }

    mutating func pick(_ options: [String]) -> String { options[index(options.count)] }
}

extension String {
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
