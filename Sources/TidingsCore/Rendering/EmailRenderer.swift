import Crypto
import Foundation
import Mustache

/// Everything one email is rendered from: the validated draft, the chosen subject, and the facts
/// about recipient, event and timing that go into links and headers.
package struct RenderRequest: Sendable {
    /// The draft that passed validation.
    package var draft: Draft
    /// The subject line chosen from `draft.subjects` (by experiment or rank).
    package var subject: String
    /// Who sends, and where the footer and unsubscribe links point.
    package var brand: Brand
    /// The customer's mailbox. Used only in the To header, never in the body or a link.
    package var recipient: Mailbox
    /// The platform's customer id; it names the customer in the signed unsubscribe link.
    package var customerID: String
    /// The products `.product` blocks may reference, by product id.
    package var products: [String: Product]
    /// What a product card shows as the price, by product id: the cart's or order's own line price
    /// in the customer's currency (`DraftValidator.Facts.linePrices`). A product without one shows
    /// its catalog price only when that is in `currency`, and no price otherwise.
    package var prices: [String: Money]
    /// The currency the customer shops in; nil when the message is about no cart or order.
    package var currency: String?
    /// The lifecycle event's id; with `flow` and `sendAt` it determines the Message-ID.
    package var eventID: String
    /// The flow that wrote the email; it goes into the Message-ID and X-Tidings-Flow.
    package var flow: FlowKind
    /// The prompt's id and version ("cart-abandoned@3"), written to X-Tidings-Prompt.
    package var prompt: String
    /// When the email is rendered. The Date header is the later of this and `sendAt`: a message
    /// scheduled for later is dated when it goes out.
    package var now: Date
    /// When it should go out; equal to `now` for "send now".
    package var sendAt: Date
    /// The message's step in its flow ("thank_you"); with the event it keeps Message-IDs apart.
    package var step: String?
    /// The series the message belongs to ("order:shopify:820982911946154508"),
    /// written to X-Tidings-Series so a later event can stop what is not sent yet.
    package var seriesKey: String?
    /// Whether the message is transactional (an order or delivery note) rather than marketing;
    /// written to X-Tidings-Category, which the dispatcher reads to re-check the suppression list.
    package var isTransactional: Bool

    /// Creates a request from its parts; `customerID` must not be empty.
    package init(
        draft: Draft, subject: String, brand: Brand, recipient: Mailbox, customerID: String,
        products: [String: Product], eventID: String, flow: FlowKind, prompt: String, now: Date, sendAt: Date,
        step: String? = nil, seriesKey: String? = nil, prices: [String: Money] = [:], currency: String? = nil,
        isTransactional: Bool = false
    ) {
        self.isTransactional = isTransactional
        self.prices = prices
        self.currency = currency
        self.step = step
        self.seriesKey = seriesKey
        self.draft = draft
        self.subject = subject
        self.brand = brand
        self.recipient = recipient
        self.customerID = customerID
        self.products = products
        self.eventID = eventID
        self.flow = flow
        self.prompt = prompt
        self.now = now
        self.sendAt = sendAt
    }
}

/// Why an email could not be rendered. Every case is a problem with the input (a link, a product
/// reference, an address), so retrying the same input does not help.
package struct RenderError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    package enum Code: String, Sendable, Hashable {
        /// A link is not an absolute http(s) URL (`javascript:`, `data:`, relative, malformed).
        case unsafeLink = "unsafe_link"
        /// A `.product` block names no product, or one missing from the request's products.
        case unknownProduct = "unknown_product"
        /// An address is not a plain `local@domain` (it could inject extra recipients into a header).
        case invalidAddress = "invalid_address"
        /// The customer id is empty, so no unsubscribe link can be signed.
        case missingCustomerID = "missing_customer_id"
        /// A built-in template failed to parse: a defect in this library, not in the input.
        case invalidTemplate = "invalid_template"
    }

    /// What kind of problem it is.
    package var code: Code
    /// Where the bad value sits: "call_to_action.url", "blocks[2].product_id", "brand.unsubscribe_url".
    package var field: String
    /// A short explanation; never contains the recipient's address.
    package var detail: String

    /// Creates an error; keep the recipient's address out of `detail`.
    package init(code: Code, field: String, detail: String) {
        self.code = code
        self.field = field
        self.detail = detail
    }

    /// "code at field: detail", for logs and the outcome's reason.
    package var description: String { "\(code.rawValue) at \(field): \(detail)" }
}

/// Turns a validated `Draft` into a `RenderedEmail`: HTML and text bodies from Mustache templates,
/// a signed one-click unsubscribe link, a deterministic Message-ID and the Tidings headers.
///
/// Construct one at start-up and share it: the templates are parsed once, in `init`.
/// Every text from the draft or the catalog is escaped for where it lands, and every link placed in
/// an `href` must be an absolute http(s) URL: a `javascript:` or otherwise unsafe link makes
/// `render` throw `RenderError.Code.unsafeLink` rather than send a different email than the one
/// that was validated.
package struct EmailRenderer: Sendable {
    private let htmlTemplate: MustacheTemplate
    private let textTemplate: MustacheTemplate
    private let library: MustacheLibrary
    /// Kept as bytes because `SymmetricKey` is not `Sendable` in swift-crypto 3.
    private let unsubscribeKey: [UInt8]

    /// Parses the templates. `unsubscribeKey` signs the unsubscribe links; the unsubscribe endpoint
    /// verifies them with the same key (`verifyUnsubscribeToken`). Throws only on a template defect.
    package init(unsubscribeKey: SymmetricKey) throws(RenderError) {
        func parse(_ source: String, _ name: String) throws(RenderError) -> MustacheTemplate {
            do {
                return try MustacheTemplate(string: source)
            } catch {
                throw RenderError(code: .invalidTemplate, field: "EmailTemplates.\(name)", detail: "\(error)")
            }
        }
        htmlTemplate = try parse(EmailTemplates.html, "html")
        textTemplate = try parse(EmailTemplates.text, "text")
        library = MustacheLibrary(templates: ["block": try parse(EmailTemplates.htmlBlock, "htmlBlock")])
        self.unsubscribeKey = unsubscribeKey.withUnsafeBytes { Array($0) }
    }

    /// Renders one email. Throws `RenderError` for an unsafe link, an unknown product, a malformed
    /// address or an empty customer id; the draft is never silently changed to make it renderable.
    package func render(_ request: RenderRequest) throws(RenderError) -> RenderedEmail {
        let brand = request.brand
        let draft = request.draft

        let storefrontURL = try Self.checkedLink(brand.storefrontURL, field: "brand.storefront_url")
        let ctaURL = try Self.checkedLink(draft.callToAction.url, field: "call_to_action.url")
        let unsubscribeURL = try Self.unsubscribeURL(
            brand: brand, customerID: request.customerID, key: SymmetricKey(data: unsubscribeKey))
        let fromAddress = try Self.checkAddress(brand.fromAddress, field: "brand.from_address")
        let unsubscribeMailto = try Self.checkAddress(brand.unsubscribeMailto, field: "brand.unsubscribe_mailto")
        let recipient = Mailbox(
            name: request.recipient.name,
            address: try Self.checkAddress(request.recipient.address, field: "recipient.address"))

        var body: [[String: Any]] = []
        var closing: [[String: Any]] = []
        // The button belongs after the message and before the sign-off, wherever the draft put it.
        let closingStart =
            (draft.blocks.lastIndex { $0.kind != .signoff }).map { draft.blocks.index(after: $0) } ?? 0
        for (index, block) in draft.blocks.enumerated() {
            let context = try blockContext(block, index: index, request: request)
            if index >= closingStart { closing.append(context) } else { body.append(context) }
        }

        let context: [String: Any] = [
            "subject": request.subject,
            "preheader": draft.preheader,
            "brandName": brand.name,
            "storefrontURL": storefrontURL,
            "body": body,
            "closing": closing,
            "ctaLabel": draft.callToAction.label,
            "ctaURL": ctaURL,
            "postalAddress": brand.postalAddress,
            "unsubscribeURL": unsubscribeURL,
        ]

        return RenderedEmail(
            messageID: Self.messageID(
                eventID: request.eventID, flow: request.flow, step: request.step, sendAt: request.sendAt,
                storefrontURL: brand.storefrontURL),
            from: Mailbox(name: brand.fromName, address: fromAddress),
            to: recipient,
            subject: request.subject,
            preheader: draft.preheader,
            html: htmlTemplate.render(context, library: library),
            text: textTemplate.render(context),
            unsubscribeURL: unsubscribeURL,
            unsubscribeMailto: "mailto:\(unsubscribeMailto)?subject=unsubscribe",
            // A scheduled message is dated when it goes out, not when it was written weeks before.
            date: max(request.now, request.sendAt),
            sendAt: request.sendAt,
            extraHeaders: [
                .init("X-Tidings-Event-Id", request.eventID),
                .init("X-Tidings-Flow", request.flow.rawValue),
                .init("X-Tidings-Prompt", request.prompt),
                .init("X-Tidings-Send-At", Timestamp.format(request.sendAt, milliseconds: false)),
                .init("X-Tidings-Category", request.isTransactional ? "transactional" : "marketing"),
            ] + (request.step.map { [.init("X-Tidings-Step", $0)] } ?? [])
                + (request.seriesKey.map { [.init("X-Tidings-Series", $0)] } ?? [])
        )
    }

    /// The template context of one block. Every block carries every key (see `EmailTemplates`).
    private func blockContext(_ block: DraftBlock, index: Int, request: RenderRequest)
        throws(RenderError)
        -> [String: Any]
    {
        var context: [String: Any] = [
            "text": block.text,
            "lines": block.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init),
            "isOffer": block.kind == .offer,
            "isProduct": false,
            "hasNote": false,
            "hasPrice": false,
            "productTitle": "",
            "productPrice": "",
            "productURL": "",
        ]
        guard block.kind == .product else { return context }
        guard let productID = block.productID, let product = request.products[productID] else {
            throw RenderError(
                code: .unknownProduct, field: "blocks[\(index)].product_id",
                detail: "no product \(block.productID.map { "'\($0)'" } ?? "id") among the request's products"
            )
        }
        context["isProduct"] = true
        context["hasNote"] = !block.text.allSatisfy(\.isWhitespace)
        context["productTitle"] = product.title
        let price =
            request.prices[productID]
            ?? (request.currency.map { $0 == product.price.currency } ?? true ? product.price : nil)
        context["hasPrice"] = price != nil
        context["productPrice"] = price?.display ?? ""
        context["productURL"] = try Self.checkedLink(product.url, field: "products[\(productID)].url")
        return context
    }

    // MARK: - Links

    /// Returns `link` unchanged when it is an absolute http(s) URL with a host and no whitespace or
    /// control characters; throws `unsafeLink` otherwise. Browsers ignore tabs and newlines inside a
    /// scheme ("java\nscript:"), so any such character is refused rather than interpreted.
    static func checkedLink(_ link: String, field: String) throws(RenderError) -> String {
        let hasUnsafeCharacter = link.unicodeScalars.contains {
            $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F
        }
        guard !hasUnsafeCharacter, let components = URLComponents(string: link),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = components.host, !host.isEmpty
        else {
            throw RenderError(
                code: .unsafeLink, field: field,
                detail: "not an absolute http(s) URL: \(link.prefix(80).debugDescription)")
        }
        return link
    }

    /// The address in ASCII form (IDNA domain) when `EmailAddress` accepts it: the same check the
    /// event decoders apply, so an address that decodes renders. Throws `invalidAddress` otherwise.
    @discardableResult
    static func checkAddress(_ address: String, field: String) throws(RenderError) -> String {
        do {
            return try EmailAddress(address).ascii
        } catch {
            // The address itself stays out of the error: errors reach logs, addresses must not.
            throw RenderError(code: .invalidAddress, field: field, detail: error.description)
        }
    }

    // MARK: - Unsubscribe

    /// The signed one-click unsubscribe URL for a customer:
    /// `brand.unsubscribeURL?c=<customer id, percent-encoded>&t=<token>`.
    /// Throws `unsafeLink` when the brand's endpoint is not https (RFC 8058 requires it) and
    /// `missingCustomerID` for an empty id.
    package static func unsubscribeURL(brand: Brand, customerID: String, key: SymmetricKey) throws(RenderError)
        -> String
    {
        let base = try checkedLink(brand.unsubscribeURL, field: "brand.unsubscribe_url")
        guard base.lowercased().hasPrefix("https://") else {
            throw RenderError(
                code: .unsafeLink, field: "brand.unsubscribe_url", detail: "one-click unsubscribe needs https"
            )
        }
        guard !customerID.isEmpty else {
            throw RenderError(
                code: .missingCustomerID, field: "customer_id", detail: "cannot sign an unsubscribe link")
        }
        let token = unsubscribeToken(customerID: customerID, storefrontURL: brand.storefrontURL, key: key)
        let separator = base.contains("?") ? "&" : "?"
        return "\(base)\(separator)c=\(PercentEncoding.encode(customerID))&t=\(token)"
    }

    /// The 22-character token that proves an unsubscribe link was issued by us for this customer
    /// and storefront: base64url(HMAC-SHA256(key, customerID + "\n" + storefrontURL)), truncated
    /// to 22 characters (132 bits).
    package static func unsubscribeToken(customerID: String, storefrontURL: String, key: SymmetricKey)
        -> String
    {
        let mac = HMAC<SHA256>.authenticationCode(
            for: Data((customerID + "\n" + storefrontURL).utf8), using: key)
        return String(base64URL(Data(mac)).prefix(22))
    }

    /// Whether `token` is the one `unsubscribeToken` issues for this customer and storefront.
    /// Compares in constant time, so response timing does not reveal how much of a guess was right.
    package static func verifyUnsubscribeToken(
        _ token: String, customerID: String, storefrontURL: String, key: SymmetricKey
    ) -> Bool {
        let expected = unsubscribeToken(customerID: customerID, storefrontURL: storefrontURL, key: key)
        return ConstantTime.equals(expected.utf8, token.utf8)
    }

    // MARK: - Message-ID

    /// The Message-ID (without angle brackets) for an event's email: the first 32 hex digits of
    /// SHA-256 over event id, flow, step and send time, "@tidings." and the storefront's host. A
    /// replay of the same event yields the same id, so receivers and the outbox see one message, not two.
    package static func messageID(
        eventID: String, flow: FlowKind, step: String? = nil, sendAt: Date, storefrontURL: String
    )
        -> String
    {
        let seed =
            "\(eventID)\n\(flow.rawValue)\n\(step.map { $0 + "\n" } ?? "")\(Timestamp.format(sendAt, milliseconds: false))"
        let digest = SHA256.hash(data: Data(seed.utf8))
        let hex = Hex.encode(digest.prefix(16))
        let host = URLComponents(string: storefrontURL)?.host.map { $0.lowercased() } ?? "localhost"
        return "\(hex)@tidings.\(host.isEmpty ? "localhost" : host)"
    }

    // MARK: - Encoding helpers

    /// Base64url (RFC 4648 section 5) without padding.
    static func base64URL(_ data: Data) -> String {
        var encoded = data.base64EncodedString()
        encoded = encoded.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        while encoded.hasSuffix("=") { encoded.removeLast() }
        return encoded
    }
}
