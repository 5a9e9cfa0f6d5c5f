import Foundation

/// Checks a draft against the brand and compliance policy before anything is rendered, and the
/// rendered email for its unsubscribe link after. Findings are data; routing decides.
package struct DraftValidator: Sendable {
    /// Subject length, banned and regulated phrases, discount caps.
    package var policy: ContentPolicy
    /// The brand whose domains links must stay on.
    package var brand: Brand

    /// Creates a validator for a policy and brand.
    package init(policy: ContentPolicy, brand: Brand) {
        self.policy = policy
        self.brand = brand
    }

    /// What the validator needs to know besides the draft.
    package struct Facts: Sendable {
        /// The shop's catalog; picked products must exist in it and be in stock.
        package var catalog: Catalog
        /// The offer the policy granted; the draft may state only this one, exactly.
        package var offer: Offer?
        /// The customer's tier, which sets the discount cap.
        package var tier: String
        /// The customer's first name; a draft that does not use it gets a warning.
        package var firstName: String?
        /// Values that must never appear: email, last name, phone, street.
        package var personalData: [String]
        /// Titles of the cart's items: the draft should name one.
        package var cartTitles: [String]
        /// The cart's or order's own unit price of each of its products, in the customer's
        /// currency: what a product card shows (the first line of a product sets it).
        package var linePrices: [String: Money]
        /// The customer's currency, from the lines; nil when the message is about no cart or order.
        package var currency: String?

        /// The product names a draft may quote verbatim: the catalog's titles and the cart's or
        /// order's own item titles (an item the catalog does not know is named from the event).
        package var quotedNames: [String] { catalog.products.values.map(\.title) + cartTitles }

        /// Creates the facts; pass values shorter than 3 characters in `personalData` freely, they are ignored.
        package init(
            catalog: Catalog, offer: Offer?, tier: String, firstName: String?, personalData: [String],
            cartTitles: [String], lines: [CartItem] = []
        ) {
            var prices: [String: Money] = [:]
            for line in lines where prices[line.productID] == nil {
                prices[line.productID] = line.price
            }
            self.linePrices = prices
            self.currency = lines.first?.price.currency
            self.catalog = catalog
            self.offer = offer
            self.tier = tier
            self.firstName = firstName
            self.personalData = personalData
            self.cartTitles = cartTitles
        }
    }

    /// Every rule the draft breaks or should be looked at for; never throws, an empty list means clean.
    package func validate(_ draft: Draft, facts: Facts) -> Findings {
        var found: [Finding] = []
        func add(_ rule: String, _ severity: Finding.Severity, _ field: String, _ message: String) {
            found.append(Finding(rule: rule, severity: severity, field: field, message: message))
        }

        if !(3...5).contains(draft.subjects.count) {
            add("schema", .error, "subjects", "needs 3 to 5 subject options, found \(draft.subjects.count)")
        }
        for (index, subject) in draft.subjects.enumerated() {
            if subject.count > policy.subjectMaxLength {
                add(
                    "subject_length", .error, "subjects[\(index)]",
                    "\(subject.count) characters; the limit is \(policy.subjectMaxLength)")
            }
            if subject.trimmingCharacters(in: .whitespaces).isEmpty {
                add("schema", .error, "subjects[\(index)]", "empty subject")
            }
            let letters = subject.filter(\.isLetter)
            if letters.count >= 8, letters == letters.uppercased() {
                add("shouting", .error, "subjects[\(index)]", "written in capitals")
            }
        }

        var texts: [(field: String, text: String)] = draft.subjects.enumerated().map { ("subjects[\($0)]", $1) }
        texts.append(("preheader", draft.preheader))
        texts += draft.blocks.enumerated().map { ("blocks[\($0)].text", $1.text) }
        texts.append(("call_to_action.label", draft.callToAction.label))

        let banned = policy.bannedPhrases.map { ($0, Array($0.lowercased().utf8)) }
        let regulated = policy.regulatedPhrases.map { ($0, Array($0.lowercased().utf8)) }
        let personal = facts.personalData.filter { $0.count >= 3 }.map { Array($0.lowercased().utf8) }
        let names = facts.quotedNames
        for (field, text) in texts {
            let search = TextSearch(text)
            for (phrase, folded) in banned
            where search.contains(folded: folded) && Self.standsInCopy(folded, of: text, besides: names) {
                add("banned_phrase", .error, field, "contains the banned phrase '\(phrase)'")
            }
            for (phrase, folded) in regulated
            where search.contains(folded: folded) && Self.standsInCopy(folded, of: text, besides: names) {
                add(
                    "regulated_phrase", .review, field,
                    "contains the regulated phrase '\(phrase)'; a human must approve it")
            }
            if personal.contains(where: { search.containsWord(folded: $0) }) {
                // The message never repeats the value: findings go to the audit and the result.
                add("personal_data", .error, field, "contains personal data of the customer (email, name or phone)")
            }
            if search.contains(PIIScanner.maskToken) {
                add("internal_mask", .error, field, "shows the prompt's personal-data mask to the customer")
            }
            for kind in PIIScanner.findings(in: text) {
                add("personal_data", .error, field, "contains what looks like an \(kind)")
            }
            for url in Self.urls(in: text) where !isAllowedLink(url) {
                add("link_domain", .error, field, "links to \(url), outside the shop's domains")
            }
        }
        if !isAllowedLink(draft.callToAction.url) {
            add(
                "link_domain", .error, "call_to_action.url",
                "\(draft.callToAction.url) is not an https link on the shop's domains")
        }

        var referenced = draft.productPicks.enumerated().map { ("product_picks[\($0)]", $1) }
        referenced += draft.blocks.enumerated().compactMap { index, block in
            block.productID.map { ("blocks[\(index)].product_id", $0) }
        }
        for (field, productID) in referenced {
            guard let product = facts.catalog[productID] else {
                add("unknown_product", .error, field, "product \(productID) is not in the catalog")
                continue
            }
            if !product.isInStock {
                add("out_of_stock", .error, field, "\(product.title) is out of stock")
            }
        }
        for (index, block) in draft.blocks.enumerated() where block.kind == .product && block.productID == nil {
            add("schema", .error, "blocks[\(index)].product_id", "a product block needs a product id")
        }

        let cap = policy.discountCaps[facts.tier] ?? 0
        switch (draft.offer, facts.offer) {
        case (nil, _): break
        case (let stated?, nil):
            add("offer", .error, "offer", "the draft offers \(stated.code) but the policy granted no offer")
        case (let stated?, let granted?):
            if stated.kind != granted.kind || stated.code != granted.code || stated.percent != granted.percent {
                add("offer", .error, "offer", "the draft's offer differs from the granted \(granted.code)")
            }
            if stated.percent > cap {
                add("offer_cap", .error, "offer.percent", "\(stated.percent)% exceeds the \(facts.tier) cap of \(cap)%")
            }
        }
        let body = draft.blocks.map(\.text).joined(separator: " ")
        for match in body.matches(ofPercent: ()) where match > cap && match != draft.offer?.percent {
            add("offer_cap", .error, "blocks", "mentions \(match)% off, above the \(facts.tier) cap of \(cap)%")
        }

        let everything = TextSearch((draft.subjects + [body]).joined(separator: " "))
        // A long title is named by its bounded form, as the prompt gave it (`PromptContext.namedTitle`).
        if !facts.cartTitles.contains(where: {
            everything.contains($0) || everything.contains(PromptContext.namedTitle($0))
        }) {
            add("personalization", .warning, "blocks", "names none of the cart's items")
        }
        if let name = facts.firstName, !everything.contains(name) {
            add("personalization", .warning, "blocks", "does not address the customer by first name")
        }
        return Findings(found)
    }

    /// Whether a phrase found in `text` is the brand's own words rather than only part of a product
    /// name the draft quotes: "Last Chance Trail Runner" is the catalog's name, not a claim of
    /// urgency, so the phrase rules apply to the copy around quoted names
    /// (docs/decisions/quoted-product-names.md). Runs only when a phrase was found, which is rare.
    static func standsInCopy(_ phrase: [UInt8], of text: String, besides names: [String]) -> Bool {
        var copy = text.lowercased()
        for name in names {
            let folded = name.lowercased()
            guard TextSearch(folded).contains(folded: phrase) else { continue }
            // A separator that cannot join the words either side of the name into the phrase.
            copy = copy.replacingOccurrences(of: folded, with: "\u{1}")
        }
        return TextSearch(copy).contains(folded: phrase)
    }

    /// The rendered email must carry a working unsubscribe link in both parts and the headers.
    package func validateRendered(_ email: RenderedEmail) -> [Finding] {
        var found: [Finding] = []
        if !email.unsubscribeURL.hasPrefix("https://") {
            found.append(
                Finding(
                    rule: "unsubscribe", severity: .error, field: "List-Unsubscribe",
                    message: "the unsubscribe URL must be https (RFC 8058)"))
        }
        let escapedURL = email.unsubscribeURL.replacingOccurrences(of: "&", with: "&amp;")
        if !TextSearch.contains(email.html, escapedURL) && !TextSearch.contains(email.html, email.unsubscribeURL) {
            found.append(
                Finding(
                    rule: "unsubscribe", severity: .error, field: "html",
                    message: "the HTML part has no unsubscribe link"))
        }
        if !TextSearch.contains(email.text, email.unsubscribeURL) {
            found.append(
                Finding(
                    rule: "unsubscribe", severity: .error, field: "text",
                    message: "the text part has no unsubscribe link"))
        }
        return found
    }

    /// Whether a link is https on one of the brand's domains or their subdomains.
    package func isAllowedLink(_ url: String) -> Bool {
        guard url.hasPrefix("https://") else { return false }
        let rest = url.dropFirst("https://".count)
        let hostPart = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !hostPart.contains("@") else { return false }
        let host = hostPart.split(separator: ":").first.map { String($0).lowercased() } ?? ""
        return brand.linkDomains.contains { host == $0 || host.hasSuffix("." + $0) }
    }

    static func urls(in text: String) -> [String] {
        // Most texts hold no link at all; look before splitting.
        let search = TextSearch(text)
        guard search.contains("http") || search.contains("www.") else { return [] }
        return text.split(whereSeparator: \.isWhitespace).compactMap { word in
            let lowered = word.lowercased()
            guard let start = lowered.range(of: "http://") ?? lowered.range(of: "https://") ?? lowered.range(of: "www.")
            else {
                return nil
            }
            let offset = lowered.distance(from: lowered.startIndex, to: start.lowerBound)
            return String(word.dropFirst(offset)).trimmingCharacters(in: CharacterSet(charactersIn: ".,;:!?)\"'"))
        }
    }
}

extension String {
    /// Whole numbers directly followed by "%" ("15% off" gives 15).
    func matches(ofPercent _: Void) -> [Int] {
        var result: [Int] = []
        var digits = ""
        for character in self {
            if character.isASCII, character.isNumber {
                digits.append(character)
            } else {
                if character == "%", let value = Int(digits) { result.append(value) }
                digits = ""
            }
        }
        return result
    }
}
