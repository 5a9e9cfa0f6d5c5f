import Foundation

/// The last writer of a transactional message (an order's confirmation and follow-ups, a payment
/// note, an inventory apology): a fixed, plain notice built from the order's facts, used only when
/// neither the model's nor the offline copywriter's draft passed validation. A customer must hear
/// that their order is confirmed or cancelled even when the copy could not be written; a notice
/// states the facts and nothing else (no product cards, picks, offers or claims), so it passes the
/// rules that rejected the richer drafts. If even it cannot pass, the router sends the message to
/// review (docs/decisions/transactional-fallback.md).
package struct TransactionalNotice: LanguageModel {
    /// The writer's name in the audit.
    package let name = "fixed-transactional"

    /// Creates the writer; it holds no state.
    package init() {}

    /// The notice as JSON; never fails.
    package func respond(to request: DraftRequest) async throws -> ModelAnswer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return ModelAnswer(text: String(decoding: try encoder.encode(write(request.prompt.context)), as: UTF8.self))
    }

    /// The notice for a context's step.
    package func write(_ masked: PromptContext) -> Draft {
        let context = OfflineCopywriter.customerFacing(masked)
        let order = context.order?.name ?? "your order"
        let items = OfflineCopywriter.list(context.items.map(\.title))
        var paragraphs: [String]
        var subjects: [String]
        let preheader: String
        let label: String
        switch context.step ?? "" {
        case "payment_declined":
            subjects = ["The payment for order \(order) did not go through", "About order \(order)"]
            paragraphs = [
                "The payment for your order \(order) did not go through, so the order was cancelled. Nothing was charged.",
                "You can place the order again with another payment method.",
            ]
            preheader = "The payment was declined; nothing was charged."
            label = "Complete your purchase"
        case "inventory_apology":
            let unavailable = context.order.map { OfflineCopywriter.list($0.unavailable) } ?? ""
            subjects = ["About your order \(order)", "Your order \(order) was cancelled"]
            paragraphs = [
                "We are sorry: we could not supply \(unavailable.isEmpty ? items : unavailable), so your order \(order) was cancelled.",
                context.order?.refunded.map { "\($0) was refunded to your original payment method." }
                    ?? "Nothing more will be charged for it.",
            ]
            preheader = "Your order \(order) was cancelled."
            label = "Visit the shop"
        case "getting_started":
            subjects = ["Your order \(order) should have arrived", "About your order \(order)"]
            paragraphs = [
                "Your order \(order) with \(items) should have arrived"
                    + (context.order?.expectedDelivery.map { " around \($0)" } ?? "") + ".",
                "If anything is missing or not right, reply to this email and we will help.",
            ]
            preheader = "Your order \(order) should have arrived."
            label = "View your order"
        case "review_request":
            subjects = ["How is your order \(order)?", "About your order \(order)"]
            paragraphs = ["We would be glad to hear how \(items) from your order \(order) turned out."]
            preheader = "A short question about your order \(order)."
            label = "Write a review"
        default:
            subjects = ["Your order \(order) is confirmed", "Thank you for your order \(order)"]
            paragraphs = [
                "Thank you for your order \(order)"
                    + (context.order.map { ", \($0.total)" } ?? "") + ". It is confirmed: \(items).",
                "We will write again when it is on its way.",
            ]
            preheader = "Your order \(order) is confirmed."
            label = "View your order"
        }
        subjects.append("A note from \(context.brandName)")
        let greeting = context.customer.firstName.map { "Hi \($0)," } ?? "Hi there,"
        var blocks = [DraftBlock(kind: .greeting, text: greeting)]
        blocks += paragraphs.map { DraftBlock(kind: .paragraph, text: $0) }
        blocks.append(DraftBlock(kind: .signoff, text: "The \(context.brandName) team"))
        return Draft(
            subjects: subjects.map { PromptContext.bounded($0, limit: context.subjectMaxLength) },
            preheader: PromptContext.bounded(preheader, limit: 140), blocks: blocks, productPicks: [], offer: nil,
            callToAction: CallToAction(label: label, url: context.checkoutURL))
    }
}
