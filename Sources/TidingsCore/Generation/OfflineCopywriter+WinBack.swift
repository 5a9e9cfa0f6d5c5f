import Foundation

/// The offline copywriter's win-back email: names the customer's past purchases and follows the
/// predicted churn reason, reading only the PII-free context.
extension OfflineCopywriter {
    func writeWinBack(_ context: PromptContext, winBack: PromptContext.WinBackFacts) -> Draft {
        var choice = PhraseChooser(seed: context.eventID + winBack.churnReason)
        let name = context.customer.firstName
        let last = winBack.pastPurchases.first ?? "your last order"
        let pastList = Self.list(Array(winBack.pastPurchases.prefix(2)))
        let months = max(1, winBack.daysSinceLastPurchase / 30)
        let since = months == 1 ? "a month" : "\(months) months"
        let favourite = winBack.favouriteCategories.first?.lowercased()
        var blocks = [DraftBlock(kind: .greeting, text: name.map { "Hi \($0)," } ?? "Hi there,")]
        var subjects: [String] = []
        let preheader: String
        var cta = "See what is new"

        switch winBack.churnReason {
        case ChurnReason.Kind.lastOrderCancelled.rawValue:
            blocks.append(
                DraftBlock(
                    kind: .paragraph,
                    text: "Your last order with us did not work out, and we are sorry it ended that way. "
                        + "Since you first picked up the \(last), we have kept improving how we pack and ship, "
                        + "and trying again should be simple."))
            subjects = [
                named(name, "we would like another chance"), "About your last order with \(context.brandName)",
                "Still thinking of you since the \(Self.shortTitle(last, limit: 30))",
            ]
            preheader = "Your last order did not work out. Here is an easy way back."
        case ChurnReason.Kind.oneTimeBuyer.rawValue:
            blocks.append(
                DraftBlock(
                    kind: .paragraph,
                    text: "It has been \(since) since you chose the \(last). How has it served you? "
                        + choice.pick([
                            "Gear like that is at its best with the right companions, and a few are below.",
                            "If it earned its place in your kit, these pair well with it.",
                        ])))
            subjects = [
                "How is your \(Self.shortTitle(last, limit: 30)) holding up?",
                named(name, "a few things that go with your \(Self.shortTitle(last, limit: 24))"),
                "Made to go with the \(Self.shortTitle(last, limit: 30))",
            ]
            preheader = "A look back at the \(last), and what pairs with it."
            cta = "Find the perfect match"
        case ChurnReason.Kind.discountOnly.rawValue:
            let lead =
                context.offer.map { offer in
                    offer.kind == "free_shipping"
                        ? "Shipping is on us with \(offer.code)." : "Take \(offer.percent)% off with \(offer.code)."
                } ?? "Good gear earns its price over years of use."
            blocks.append(
                DraftBlock(
                    kind: .paragraph,
                    text: "\(lead) It has been \(since) since you picked up \(pastList), and a few new arrivals "
                        + "\(favourite.map { "in \($0) " } ?? "")are worth a look."))
            subjects = [
                context.offer.map {
                    $0.kind == "free_shipping"
                        ? "Free shipping on your next order" : "\($0.percent)% off your next order"
                }
                    ?? "New arrivals worth a look",
                named(name, "something new since your \(Self.shortTitle(last, limit: 24))"),
                "Back in the \(favourite ?? "shop") since you were here",
            ]
            preheader = "New since your \(last), with a little extra for coming back."
            cta = "Shop new arrivals"
        case ChurnReason.Kind.fallingOrderValues.rawValue:
            blocks.append(
                DraftBlock(
                    kind: .paragraph,
                    text: "Since you chose \(pastList), more of our range has been waiting for you. "
                        + "A few pieces picked with what you already own in mind are below."))
            subjects = [
                named(name, "more of the range, picked for you"), "Beyond the \(Self.shortTitle(last, limit: 30))",
                "A few pieces you have not seen yet",
            ]
            preheader = "Picked with your \(last) in mind."
        case ChurnReason.Kind.categoryWornOut.rawValue:
            let other = favourite.map { "beyond \($0)" } ?? "in new corners of the shop"
            blocks.append(
                DraftBlock(
                    kind: .paragraph,
                    text: "You know our \(favourite ?? "range") well, \(pastList) among them. "
                        + "This time, a few things \(other) that fit the trips you are already taking."))
            subjects = [
                named(name, "something new \(other)"), "After the \(Self.shortTitle(last, limit: 30)): what is next",
                "New ground since your last order",
            ]
            preheader = "You have the \(favourite ?? "gear") covered. Here is what comes next."
            cta = "Explore something new"
        default:
            blocks.append(
                DraftBlock(
                    kind: .paragraph,
                    text: choice.pick([
                        "It has been \(since) since you picked up \(pastList). A few things have arrived since that we think you would like.",
                        "We have not seen you since you picked up \(pastList), so here is a short look at what is new.",
                    ])))
            subjects = [
                named(name, "it has been a while"), "New since your \(Self.shortTitle(last, limit: 30))",
                "A few new arrivals for you",
            ]
            preheader = "What is new since your \(last)."
        }
        for pick in context.recommendations.prefix(3) {
            blocks.append(
                DraftBlock(kind: .product, text: pick.because.capitalizedFirst + ".", productID: pick.productID))
        }
        if let offer = context.offer {
            let expiry = String(offer.expiresAt.prefix(10))
            let terms =
                offer.kind == "free_shipping"
                ? "Free shipping on your next order with \(offer.code), until \(expiry)."
                : "\(offer.percent)% off your next order with \(offer.code), until \(expiry)."
            blocks.append(DraftBlock(kind: .offer, text: terms))
        }
        blocks.append(
            DraftBlock(
                kind: .signoff,
                text: choice.pick(["See you out there,", "Happy trails,", "Hope to see you soon,"])
                    + "\nThe \(context.brandName) team"))
        var fitting: [String] = []
        for subject in subjects where !subject.isEmpty && subject.count <= context.subjectMaxLength {
            if !fitting.contains(subject) { fitting.append(subject) }
        }
        for fallback in ["It has been a while", "New at \(context.brandName)", "A note from \(context.brandName)"]
        where fitting.count < 3 && !fitting.contains(fallback) {
            fitting.append(fallback)
        }
        return Draft(
            subjects: Array(fitting.prefix(5)),
            preheader: PromptContext.bounded(preheader, limit: 140),
            blocks: blocks, productPicks: blocks.compactMap(\.productID),
            offer: context.offer.flatMap { terms in
                DraftOffer.Kind(rawValue: terms.kind).map {
                    DraftOffer(kind: $0, percent: terms.percent, code: terms.code)
                }
            },
            callToAction: CallToAction(label: cta, url: context.checkoutURL))
    }
}
