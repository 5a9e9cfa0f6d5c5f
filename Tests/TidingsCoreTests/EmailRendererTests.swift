import Crypto
import Foundation
import Testing

@testable import TidingsCore

@Suite("EmailRenderer")
struct EmailRendererTests {
    @Test("renders the draft's blocks in order and a card per product")
    func rendersBlocksAndProductCards() throws {
        let email = try RenderFixtures.render()

        for needle in [
            "Hi Jürgen,", "You left the Alder Trail Runner in your cart.<br>Sizes are going fast.",
            "Alder Trail Runner</a>", "$129.00", "Light, grippy and ready for wet trails.",
            "Merino Hiking Socks (3 pairs)", "$24.50", "Use code TRAIL10 for 10% off until Sunday.",
            "See you out there,<br>The Northwind team", ">Back to my cart</a>",
            "href=\"https://northwind.example/products/alder-trail-runner\"",
            // "&" in a URL is written as "&amp;" inside the attribute, which is how HTML wants it.
            "href=\"https://northwind.example/products/merino-socks?variant=3&amp;ref=email\"",
            "href=\"https://northwind.example/cart/c-77?recover=1\"",
            "We kept your cart just as you left it.", "<title>Your trail runners are still waiting</title>",
        ] {
            #expect(email.html.contains(needle), "HTML lacks \(needle)")
        }
        let order = [
            "Hi Jürgen,", "You left", "Alder Trail Runner</a>", "Merino Hiking", "TRAIL10", "Back to my cart",
            "See you out there",
        ]
        let positions = order.map { email.html.range(of: $0)?.lowerBound }
        #expect(positions.allSatisfy { $0 != nil })
        #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted(), "blocks out of order")
        // Two product cards, and the empty note of the second card leaves no empty paragraph.
        #expect(
            email.html.components(separatedBy: "border:1px solid #e6e6e1;border-radius:8px;").count - 1 == 2)
        #expect(
            !email.html.contains(
                "<p style=\"margin:8px 0 0 0;font-size:15px;line-height:22px;color:#4a4a44;\"></p>"))
        // The customer's address is for the To header only.
        #expect(!email.html.contains("juergen@example.com"))
        #expect(!email.text.contains("juergen@example.com"))
    }

    @Test("the text part has the content, URLs written out, the address and the unsubscribe link")
    func textPart() throws {
        let email = try RenderFixtures.render()
        for needle in [
            "Northwind Outfitters\n", "Hi Jürgen,",
            "You left the Alder Trail Runner in your cart.\nSizes are going fast.",
            "Alder Trail Runner - $129.00\nhttps://northwind.example/products/alder-trail-runner",
            "https://northwind.example/products/merino-socks?variant=3&ref=email",
            "Back to my cart:\nhttps://northwind.example/cart/c-77?recover=1",
            "-- \n" + Brand.northwind.postalAddress, "Unsubscribe: " + email.unsubscribeURL,
        ] {
            #expect(email.text.contains(needle), "text lacks \(needle.debugDescription)")
        }
        #expect(!email.text.contains("&amp;"))
        #expect(!email.text.contains("<"))
        #expect(!email.text.contains("\n\n\n"), "no runs of blank lines:\n\(email.text)")
    }

    @Test("the HTML footer carries the postal address and a visible unsubscribe link")
    func htmlFooter() throws {
        let email = try RenderFixtures.render()
        let escapedURL = email.unsubscribeURL.replacingOccurrences(of: "&", with: "&amp;")
        #expect(email.html.contains("<a href=\"\(escapedURL)\""))
        #expect(email.html.contains(">Unsubscribe</a>"))
        #expect(email.html.contains(Brand.northwind.postalAddress))
    }

    @Test("a hostile product title is escaped, never markup")
    func escapesProductTitle() throws {
        var products = RenderFixtures.products
        products["p-100"]?.title = "<script>alert('x')</script> & \"Co\""
        let email = try RenderFixtures.render(RenderFixtures.request(products: products))
        #expect(!email.html.contains("<script>"))
        #expect(email.html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;Co&quot;"))
        // The text part is not HTML: the title is shown as written.
        #expect(email.text.contains("<script>alert('x')</script> & \"Co\" - $129.00"))
    }

    @Test("quotes and ampersands in draft text are escaped in HTML and kept in text")
    func escapesDraftText() throws {
        var draft = RenderFixtures.draft
        draft.blocks[1].text = #"Our "Trail & Road" sale ends <b>soon</b>"#
        draft.preheader = #"Fish & "chips""#
        draft.callToAction.label = "Go \"now\" & save"
        let email = try RenderFixtures.render(RenderFixtures.request(draft: draft, subject: "A & B <c>"))
        #expect(email.html.contains("Our &quot;Trail &amp; Road&quot; sale ends &lt;b&gt;soon&lt;/b&gt;"))
        #expect(email.html.contains("Fish &amp; &quot;chips&quot;"))
        #expect(email.html.contains("Go &quot;now&quot; &amp; save</a>"))
        #expect(email.html.contains("<title>A &amp; B &lt;c&gt;</title>"))
        #expect(!email.html.contains("<b>soon"))
        #expect(email.text.contains(#"Our "Trail & Road" sale ends <b>soon</b>"#))
        #expect(email.text.contains("Go \"now\" & save:"))
    }

    @Test(
        "links that are not absolute http(s) URLs are refused with the field named",
        arguments: [
            "javascript:alert(1)", "JavaScript:alert(1)", "java\nscript:alert(1)",
            " https://northwind.example/",
            "data:text/html;base64,PHNjcmlwdD4=", "//evil.example/x", "/cart", "mailto:x@example.com",
            "https://", "vbscript:msgbox",
        ])
    func refusesUnsafeCallToAction(url: String) throws {
        var draft = RenderFixtures.draft
        draft.callToAction.url = url
        let error = #expect(throws: RenderError.self) {
            try RenderFixtures.render(RenderFixtures.request(draft: draft))
        }
        #expect(error?.code == .unsafeLink)
        #expect(error?.field == "call_to_action.url")
    }

    @Test("a product with a javascript: URL is refused, naming the product")
    func refusesUnsafeProductURL() throws {
        var products = RenderFixtures.products
        products["p-200"]?.url = "javascript:alert(document.cookie)"
        let error = #expect(throws: RenderError.self) {
            try RenderFixtures.render(RenderFixtures.request(products: products))
        }
        #expect(error?.code == .unsafeLink)
        #expect(error?.field == "products[p-200].url")
    }

    @Test("a product block for a product not in the request is refused")
    func refusesUnknownProduct() throws {
        var products = RenderFixtures.products
        products["p-200"] = nil
        let error = #expect(throws: RenderError.self) {
            try RenderFixtures.render(RenderFixtures.request(products: products))
        }
        #expect(
            error
                == RenderError(
                    code: .unknownProduct, field: "blocks[3].product_id", detail: error?.detail ?? ""))
    }

    @Test(
        "a recipient address that could smuggle in another recipient is refused, without echoing it",
        arguments: [
            "a@b.example>, evil@x.example", "a@b.example\r\nBcc: evil@x.example", "no-at-sign", "a@b@c",
            "@b.example",
        ])
    func refusesBadRecipient(address: String) throws {
        let error = #expect(throws: RenderError.self) {
            try RenderFixtures.render(RenderFixtures.request(recipient: Mailbox(name: nil, address: address)))
        }
        #expect(error?.code == .invalidAddress)
        #expect(error.map { !$0.description.contains("evil") } ?? false)
    }

    @Test("the CTA sits before a trailing sign-off, and after everything when there is none")
    func callToActionPlacement() throws {
        let withSignoff = try RenderFixtures.render()
        let cta = try #require(withSignoff.text.range(of: "Back to my cart:"))
        let signoff = try #require(withSignoff.text.range(of: "See you out there"))
        #expect(cta.lowerBound < signoff.lowerBound)

        var draft = RenderFixtures.draft
        draft.blocks.removeLast()
        let without = try RenderFixtures.render(RenderFixtures.request(draft: draft))
        let offer = try #require(without.text.range(of: "TRAIL10"))
        let cta2 = try #require(without.text.range(of: "Back to my cart:"))
        #expect(offer.lowerBound < cta2.lowerBound)
    }

    @Test("headers: From is the brand, To the recipient, the Tidings headers are set")
    func headers() throws {
        let email = try RenderFixtures.render()
        #expect(email.from == Mailbox(name: "Northwind Outfitters", address: "hello@northwind.example"))
        #expect(email.to.address == "juergen@example.com")
        #expect(email.unsubscribeMailto == "mailto:unsubscribe@northwind.example?subject=unsubscribe")
        // The fixture is scheduled an hour after it is rendered: it is dated when it goes out.
        #expect(email.date == RenderFixtures.now.addingTimeInterval(3600))
        #expect(
            email.extraHeaders == [
                .init("X-Tidings-Event-Id", "evt-1001"), .init("X-Tidings-Flow", "cartAbandoned"),
                .init("X-Tidings-Prompt", "cart-abandoned@3"),
                .init("X-Tidings-Send-At", "2026-11-18T12:06:40Z"), .init("X-Tidings-Category", "marketing"),
            ])
    }

    @Test("the Message-ID depends on event, flow and send time only")
    func messageIDIsDeterministic() throws {
        let first = try RenderFixtures.render()
        var changedCopy = RenderFixtures.request()
        changedCopy.now = changedCopy.now.addingTimeInterval(5)  // a replay renders later
        changedCopy.subject = "Still thinking it over?"
        let replay = try RenderFixtures.render(changedCopy)
        #expect(first.messageID == replay.messageID)
        #expect(first.messageID.hasSuffix("@tidings.northwind.example"))
        #expect(first.messageID.split(separator: "@")[0].count == 32)

        let otherEvent = try RenderFixtures.render(RenderFixtures.request(eventID: "evt-1002"))
        #expect(otherEvent.messageID != first.messageID)
        var later = RenderFixtures.request()
        later.sendAt = later.sendAt.addingTimeInterval(86_400)
        #expect(try RenderFixtures.render(later).messageID != first.messageID)
    }

    @Test("the unsubscribe URL names the customer, percent-encoded, and carries a verifiable token")
    func unsubscribeURL() throws {
        let email = try RenderFixtures.render()
        let prefix = "https://northwind.example/email/unsubscribe?c=gid%3A%2F%2Fshopify%2FCustomer%2F42&t="
        #expect(email.unsubscribeURL.hasPrefix(prefix))
        let token = String(email.unsubscribeURL.dropFirst(prefix.count))
        #expect(token.count == 22)
        #expect(token.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        let storefront = Brand.northwind.storefrontURL
        #expect(
            EmailRenderer.verifyUnsubscribeToken(
                token, customerID: "gid://shopify/Customer/42", storefrontURL: storefront,
                key: RenderFixtures.key))
    }

    @Test("a tampered token, another customer, store or key fails verification")
    func unsubscribeTokenTampering() throws {
        let key = RenderFixtures.key
        let storefront = Brand.northwind.storefrontURL
        let token = EmailRenderer.unsubscribeToken(customerID: "42", storefrontURL: storefront, key: key)
        #expect(
            EmailRenderer.verifyUnsubscribeToken(token, customerID: "42", storefrontURL: storefront, key: key)
        )

        var tampered = Array(token)
        tampered[5] = tampered[5] == "A" ? "B" : "A"
        #expect(
            !EmailRenderer.verifyUnsubscribeToken(
                String(tampered), customerID: "42", storefrontURL: storefront, key: key))
        #expect(
            !EmailRenderer.verifyUnsubscribeToken(
                String(token.dropLast()), customerID: "42", storefrontURL: storefront, key: key))
        #expect(
            !EmailRenderer.verifyUnsubscribeToken("", customerID: "42", storefrontURL: storefront, key: key))
        #expect(
            !EmailRenderer.verifyUnsubscribeToken(
                token, customerID: "43", storefrontURL: storefront, key: key))
        #expect(
            !EmailRenderer.verifyUnsubscribeToken(
                token, customerID: "42", storefrontURL: "https://other.example", key: key))
        #expect(
            !EmailRenderer.verifyUnsubscribeToken(
                token, customerID: "42", storefrontURL: storefront,
                key: SymmetricKey(data: Data("other".utf8))))
    }

    @Test("the unsubscribe token is HMAC-SHA256 over customer id and storefront, base64url, 22 characters")
    func unsubscribeTokenDefinition() throws {
        let key = SymmetricKey(data: Data("k".utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Data("42\nhttps://northwind.example".utf8), using: key)
        let expected = Data(mac).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").prefix(22)
        #expect(
            EmailRenderer.unsubscribeToken(
                customerID: "42", storefrontURL: "https://northwind.example", key: key)
                == String(expected))
    }

    @Test("an unsubscribe endpoint that is not https, or an empty customer id, is refused")
    func unsubscribeRequirements() throws {
        var brand = Brand.northwind
        brand.unsubscribeURL = "http://northwind.example/email/unsubscribe"
        #expect(throws: RenderError.self) {
            try EmailRenderer.unsubscribeURL(brand: brand, customerID: "42", key: RenderFixtures.key)
        }
        let error = #expect(throws: RenderError.self) {
            try EmailRenderer.unsubscribeURL(brand: .northwind, customerID: "", key: RenderFixtures.key)
        }
        #expect(error?.code == .missingCustomerID)
    }
}
