import Foundation

/// The offline copywriter's order messages: the post-purchase series (thank-you, getting started,
/// review request, recommendations) and the answers to a cancellation (payment declined,
/// inventory apology, win-back). Like the cart email, each reads only the PII-free context.
extension OfflineCopywriter {
    func writeOrderMessage(_ context: PromptContext, order: PromptContext.OrderFacts) -> Draft {
        var choice = PhraseChooser(seed: context.eventID + (context.step ?? ""))
        let name = context.customer.firstName
        let itemList = Self.list(context.items.map(\.title))
        let lead = context.items.first?.title ?? "your order"
        var blocks = [DraftBlock(kind: .greeting, text: name.map { "Hi \($0)," } ?? "Hi there,")]
        var subjects: [String] = []
        let preheader: String
        let cta: String
        // Lines that sold out since (or could not be supplied) are named, never featured as products.
        var featured = context.items.filter {
            !order.unavailable.contains($0.title) && !context.soldOut.contains($0.title)
        }

        switch context.step ?? "" {
        case "thank_you":
            blocks.append(
                DraftBlock(kind: .paragraph, text: thankYouOpening(context, order: order, itemList: itemList)))
            if let delivery = order.expectedDelivery {
                let method = order.shippingMethod.map { " with \($0.lowercased()) shipping" } ?? ""
                blocks.append(
                    DraftBlock(
                        kind: .paragraph,
                        text: "Your order \(order.name) goes out\(method) and should reach you around "
                            + "\(Self.readableDay(delivery)). We will write again when it should have arrived, with a few tips to get started."
                    ))
            }
            subjects = [
                order.ordinal == 1
                    ? named(name, "welcome to \(context.brandName)") : named(name, "thank you for order \(order.name)"),
                order.ordinal == 1 ? "Your first order \(order.name) is in" : "Thank you for coming back",
                "Your \(Self.shortTitle(lead, limit: 30)) is on the list",
                "Order \(order.name) is confirmed",
            ]
            preheader = "\(itemList.capitalizedFirst): confirmed, total \(order.total)."
            cta = "View your order"
        case "getting_started":
            blocks.append(
                DraftBlock(
                    kind: .paragraph,
                    text: choice.pick([
                        "\(itemList.capitalizedFirst) should be with you about now. A few minutes of setup before the first trip makes a real difference.",
                        "By now \(itemList) should have arrived. Here is how to get the most from \(context.items.count == 1 ? "it" : "them") from day one.",
                    ])))
            for item in featured.prefix(3) {
                blocks.append(
                    DraftBlock(kind: .product, text: Self.careTip(category: item.category), productID: item.productID))
            }
            featured = []
            subjects = [
                "Getting started with your \(Self.shortTitle(lead, limit: 30))",
                named(name, "a few tips for your new gear"),
                "Make the most of your \(Self.shortTitle(lead, limit: 30))",
            ]
            preheader = "Setup and care notes for \(itemList)."
            cta = "Read the care guide"
        case "review_request":
            let days = order.daysAfterDelivery.map { "\($0) days" } ?? "a little while"
            blocks.append(
                DraftBlock(
                    kind: .paragraph,
                    text: "You have had the \(lead) for about \(days) now. How is it holding up? "
                        + "A short review helps other customers choose, and it helps us improve what we stock."))
            if let ordinal = order.ordinal, ordinal > 3 {
                blocks.append(
                    DraftBlock(
                        kind: .paragraph,
                        text:
                            "After \(ordinal) orders you know our range better than most, so your view carries weight."
                    ))
            }
            subjects = [
                "How is your \(Self.shortTitle(lead, limit: 30)) working out?",
                named(name, "a minute for a quick review?"),
                "Tell us about your \(Self.shortTitle(lead, limit: 30))",
            ]
            preheader = "Two minutes: how is the \(lead) so far?"
            cta = "Write a review"
        case "recommendations":
            blocks.append(
                DraftBlock(
                    kind: .paragraph,
                    text: choice.pick([
                        "Now that the \(lead) has seen some use, here are a few things other customers pair with it.",
                        "Customers who bought the \(lead) often come back for these:",
                    ])))
            featured = []
            for pick in context.recommendations {
                blocks.append(
                    DraftBlock(kind: .product, text: pick.because.capitalizedFirst + ".", productID: pick.productID))
            }
            subjects = [
                "Goes well with your \(Self.shortTitle(lead, limit: 30))",
                named(name, "picked to go with your order"),
                "A few good companions for the \(Self.shortTitle(lead, limit: 28))",
            ]
            preheader = "Chosen to go with \(itemList)."
            cta = "See the picks"
        case "payment_declined":
            blocks.append(
                DraftBlock(
                    kind: .paragraph,
                    text:
                        "Your order \(order.name) for \(itemList) was cancelled because the payment did not go through. "
                        + "No money was taken for it. This happens more often than you would think: an expired card or a bank's security check is the usual cause."
                ))
            blocks.append(
                DraftBlock(
                    kind: .paragraph,
                    text:
                        "If you still want \(context.items.count == 1 ? "it" : "them"), you can place the order again with another card or payment method. Stock is not held for cancelled orders, so sooner is safer."
                ))
            subjects = [
                named(name, "your order \(order.name) did not go through"),
                "About the payment for \(order.name)",
                "A quick fix for order \(order.name)",
            ]
            preheader = "The payment was declined; nothing was charged. Here is how to complete it."
            cta = "Complete your purchase"
        case "inventory_apology":
            let missing = order.unavailable.isEmpty ? itemList : Self.list(order.unavailable)
            blocks.append(
                DraftBlock(
                    kind: .paragraph,
                    text:
                        "We are sorry: we had to cancel your order \(order.name) because \(missing) sold out before we could ship. "
                        + Self.moneyBack(order)))
            if !context.recommendations.isEmpty {
                blocks.append(
                    DraftBlock(kind: .paragraph, text: "These are in stock today and close to what you chose:"))
                for pick in context.recommendations {
                    blocks.append(
                        DraftBlock(kind: .product, text: pick.because.capitalizedFirst + ".", productID: pick.productID)
                    )
                }
            }
            featured = []
            subjects = [
                named(name, "we are sorry about order \(order.name)"),
                "An apology about your order",
                "Your \(Self.shortTitle(lead, limit: 30)): sold out, and our apologies",
            ]
            preheader = "We could not ship \(missing). Here is what we can offer instead."
            cta = context.recommendations.isEmpty ? "Visit the shop" : "See the alternatives"
        default:  // win_back: the customer (or the shop, for another reason) cancelled.
            let refund = Self.moneyBack(order)
            let opening =
                order.cancelReason == CancelReason.customer.rawValue
                ? "We have cancelled order \(order.name) as you asked. \(refund)"
                : "Your order \(order.name) was cancelled. \(refund)"
            blocks.append(DraftBlock(kind: .paragraph, text: opening))
            let returning =
                context.customer.orderCount > 1
                ? "You have shopped with us \(context.customer.orderCount) times, so if something about this order was not right, we would genuinely like to know."
                : "If the \(lead) was not quite right, reply and tell us what you were looking for; we will help you find it."
            blocks.append(DraftBlock(kind: .paragraph, text: returning))
            if let category = context.customer.topCategories.first {
                blocks.append(
                    DraftBlock(
                        kind: .paragraph,
                        text:
                            "Our \(category.lowercased()) range changes through the season, so there may be something closer to what you need."
                    ))
            }
            if let offer = context.offer {
                blocks.append(DraftBlock(kind: .offer, text: offerLine(offer)))
            }
            featured = []
            subjects = [
                named(name, "your order \(order.name) is cancelled"),
                "Your cancellation is done",
                "About your order \(order.name)",
            ]
            preheader =
                order.refunded != nil
                ? "Cancelled and refunded. We are here if you need anything."
                : "Cancelled as requested. We are here if you need anything."
            cta = "Visit the shop"
        }
        for item in featured.prefix(2) where context.step == "thank_you" {
            blocks.append(
                DraftBlock(
                    kind: .product,
                    text: item.variant.map { "Ordered in \($0)." } ?? "On its way to you.", productID: item.productID))
        }
        blocks.append(
            DraftBlock(
                kind: .signoff,
                text: choice.pick(["See you out there,", "Happy trails,", "Thanks again,"])
                    + "\nThe \(context.brandName) team"))

        var fitting = subjects.filter { !$0.isEmpty && $0.count <= context.subjectMaxLength }
        fitting = fitting.enumerated().filter { index, subject in !fitting[..<index].contains(subject) }.map(
            \.element)
        for fallback in ["Your \(context.brandName) order", "About your order", "A note from \(context.brandName)"]
        where fitting.count < 3 && !fitting.contains(fallback) {
            fitting.append(fallback)
        }
        let productIDs = blocks.compactMap(\.productID)
        return Draft(
            subjects: Array(fitting.prefix(5)),
            preheader: PromptContext.bounded(preheader, limit: 140),
            blocks: blocks, productPicks: productIDs,
            offer: context.offer.flatMap { terms in
                DraftOffer.Kind(rawValue: terms.kind).map {
                    DraftOffer(kind: $0, percent: terms.percent, code: terms.code)
                }
            },
            callToAction: CallToAction(label: cta, url: context.checkoutURL))
    }

    /// A first order, a second, and a long-standing customer's order read differently.
    func thankYouOpening(_ context: PromptContext, order: PromptContext.OrderFacts, itemList: String) -> String {
        guard let ordinal = order.ordinal else {
            // A guest: the shop cannot see their history, so the copy claims neither first nor repeat.
            return "Thank you for your order. We are packing \(itemList) now."
        }
        switch ordinal {
        case 1:
            return "Welcome to \(context.brandName), and thank you for your first order. "
                + "We are packing \(itemList) now, and we hope \(context.items.count == 1 ? "it is" : "they are") the start of many good days outside."
        case 2...4:
            return
                "Thank you for coming back. Order number \(ordinal) with us: \(itemList), and we are already packing it."
        default:
            let favourite =
                context.customer.topCategories.first.map { " Our \($0.lowercased()) shelf knows you well by now." }
                ?? ""
            return
                "That is order number \(ordinal) with us, and it still makes our day. \(itemList.capitalizedFirst) \(context.items.count == 1 ? "is" : "are") being packed now.\(favourite)"
        }
    }

    /// What happened to the customer's money: the refund as issued (all of it or the amount), nothing
    /// charged, or a refund still to come.
    static func moneyBack(_ order: PromptContext.OrderFacts) -> String {
        if let refunded = order.refunded {
            return refunded == order.total
                ? "The full \(refunded) has been refunded to your original payment method."
                : "A refund of \(refunded) has been issued to your original payment method."
        }
        if order.nothingCharged { return "Nothing was charged for it." }
        return "Your refund is on its way to your original payment method."
    }

    /// "Maya, ..." when there is a first name, else the phrase capitalized.
    func named(_ name: String?, _ phrase: String) -> String {
        name.map { "\($0), \(phrase)" } ?? phrase.capitalizedFirst
    }

    /// A care or setup tip by category, written by the shop (not invented per product).
    static func careTip(category: String?) -> String {
        switch category?.lowercased() ?? "" {
        case let text where text.contains("boot") || text.contains("shoe"):
            return
                "Wear them around the house for a few days first; the footbed shapes to your foot before the first long walk."
        case let text where text.contains("jacket") || text.contains("shell"):
            return "Wash it with a technical cleaner, not softener, and a warm tumble dry renews the water repellency."
        case let text where text.contains("headlamp") || text.contains("light"):
            return "Charge it fully before the first trip and lock the switch in your pack so it does not drain."
        case let text where text.contains("sock"):
            return "Turn them inside out to wash; they keep their cushioning much longer."
        case let text where text.contains("tent") || text.contains("shelter"):
            return "Pitch it once at home before the first trip, so you know every pole and guyline in daylight."
        case let text where text.contains("base layer") || text.contains("merino"):
            return "Wash merino cool and dry it flat; it stays soft and keeps its shape for seasons."
        case let text where text.contains("glove") || text.contains("mitten"):
            return "Dry them at room temperature, never on a radiator, so the membrane and the leather last."
        case let text where text.contains("sleeping bag"):
            return "Store it loose in the big cotton sack, not compressed, so the insulation keeps its loft."
        case let text where text.contains("bottle") || text.contains("flask"):
            return "Rinse it with warm water and a little baking soda before first use to remove any taste."
        case let text where text.contains("pack") || text.contains("bag"):
            return
                "Load it with the heaviest items close to your back and adjust the hip belt before the shoulder straps."
        default:
            return "Take a minute with the care card in the box: the right care doubles the life of good gear."
        }
    }
}
