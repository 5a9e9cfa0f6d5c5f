import Foundation

/// What the language model (or the offline copywriter) wrote, decoded from its strict JSON.
package struct Draft: Sendable, Codable, Hashable {
    /// Three to five subject line options, best first.
    package var subjects: [String]
    /// The inbox preview text.
    package var preheader: String
    /// The body, in order.
    package var blocks: [DraftBlock]
    /// Product ids the email features (recommendations or cart items).
    package var productPicks: [String]
    /// The offer the copy mentions, if any.
    package var offer: DraftOffer?
    /// The call to action's label and link.
    package var callToAction: CallToAction

    /// Creates a draft from its parts.
    package init(
        subjects: [String], preheader: String, blocks: [DraftBlock], productPicks: [String], offer: DraftOffer?,
        callToAction: CallToAction
    ) {
        self.subjects = subjects
        self.preheader = preheader
        self.blocks = blocks
        self.productPicks = productPicks
        self.offer = offer
        self.callToAction = callToAction
    }

    enum CodingKeys: String, CodingKey {
        case subjects, preheader, blocks, offer
        case productPicks = "product_picks"
        case callToAction = "call_to_action"
    }

    /// Writes every key the draft schema requires, `"offer": null` included, so an encoded draft
    /// (the offline copywriter's answer) passes the same schema check as a model's.
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(subjects, forKey: .subjects)
        try container.encode(preheader, forKey: .preheader)
        try container.encode(blocks, forKey: .blocks)
        try container.encode(productPicks, forKey: .productPicks)
        try container.encode(offer, forKey: .offer)
        try container.encode(callToAction, forKey: .callToAction)
    }
}

/// One body block: a paragraph of copy, or a product the email shows.
package struct DraftBlock: Sendable, Codable, Hashable {
    /// The role of a block, which decides how the renderer lays it out.
    package enum Kind: String, Sendable, Codable, Hashable {
        case greeting, paragraph, product, offer, signoff
    }

    /// What this block is.
    package var kind: Kind
    /// Plain-text copy, line breaks kept; for `.product` blocks an optional note shown with the product.
    package var text: String
    /// For `.product` blocks: which product.
    package var productID: String?

    /// Creates a block; pass `productID` for `.product` blocks.
    package init(kind: Kind, text: String, productID: String? = nil) {
        self.kind = kind
        self.text = text
        self.productID = productID
    }

    enum CodingKeys: String, CodingKey {
        case kind, text
        case productID = "product_id"
    }

    /// Writes `"product_id": null` for a block about no product, as the draft schema requires.
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        try container.encode(text, forKey: .text)
        try container.encode(productID, forKey: .productID)
    }
}

/// An incentive as the draft states it.
package struct DraftOffer: Sendable, Codable, Hashable {
    /// The kind of incentive; its wire values are `percent_off` and `free_shipping`.
    package enum Kind: String, Sendable, Codable, Hashable {
        case percentOff = "percent_off"
        case freeShipping = "free_shipping"
    }

    /// The kind of incentive.
    package var kind: Kind
    /// Whole percent for `.percentOff`; 0 for free shipping.
    package var percent: Int
    /// The discount code the customer enters at checkout.
    package var code: String

    /// Creates an offer; `percent` is a whole number (15 means 15 %).
    package init(kind: Kind, percent: Int, code: String) {
        self.kind = kind
        self.percent = percent
        self.code = code
    }
}

/// The button: label and target.
package struct CallToAction: Sendable, Codable, Hashable {
    /// The button text.
    package var label: String
    /// The button's target: an https link on the brand's domains, or
    /// `PromptContext.checkoutPlaceholder` until the pipeline resolves it.
    package var url: String

    /// Creates a call to action from its label and URL.
    package init(label: String, url: String) {
        self.label = label
        self.url = url
    }
}

extension Draft {
    /// The draft with `PromptContext.checkoutPlaceholder` replaced by the real checkout link,
    /// wherever the writer put it.
    package func resolvingCheckoutLink(_ url: String) -> Draft {
        let placeholder = PromptContext.checkoutPlaceholder
        var draft = self
        draft.callToAction.url = draft.callToAction.url.replacingOccurrences(of: placeholder, with: url)
        for index in draft.blocks.indices where draft.blocks[index].text.contains(placeholder) {
            draft.blocks[index].text = draft.blocks[index].text.replacingOccurrences(of: placeholder, with: url)
        }
        return draft
    }
}
