import Foundation
import Testing

@testable import TidingsCore

/// What the customer reads: addresses, names, titles, money and the Date of what they receive.
@Suite("What the customer reads")
struct CustomerFacingTests {
    // MARK: - Punycode and IDNA

    static func scalars(_ values: [UInt32]) -> String {
        var text = ""
        for value in values { text.unicodeScalars.append(Unicode.Scalar(value)!) }
        return text
    }

    /// RFC 3492 section 7.1 sample strings (A, B, C, L, M, N, R, S) and two well-known domains.
    static let vectors: [(String, String)] = [
        (
            scalars([
                0x0644, 0x064A, 0x0647, 0x0645, 0x0627, 0x0628, 0x062A, 0x0643, 0x0644, 0x0645, 0x0648, 0x0634,
                0x0639, 0x0631, 0x0628, 0x064A, 0x061F,
            ]), "egbpdaj6bu4bxfgehfvwxn"
        ),
        (
            scalars([0x4ED6, 0x4EEC, 0x4E3A, 0x4EC0, 0x4E48, 0x4E0D, 0x8BF4, 0x4E2D, 0x6587]),
            "ihqwcrb4cv8a8dqg056pqjye"
        ),
        (
            scalars([0x4ED6, 0x5011, 0x7232, 0x4EC0, 0x9EBD, 0x4E0D, 0x8AAA, 0x4E2D, 0x6587]),
            "ihqwctvzc91f659drss3x8bo0yb"
        ),
        (scalars([0x0033, 0x5E74, 0x0042, 0x7D44, 0x91D1, 0x516B, 0x5148, 0x751F]), "3B-ww4c5e180e575a65lsy2b"),
        (
            scalars([0x5B89, 0x5BA4, 0x5948, 0x7F8E, 0x6075]) + "-with-SUPER-MONKEYS",
            "-with-SUPER-MONKEYS-pc58ag80a8qai00g7n9n"
        ),
        (
            "Hello-Another-Way-" + scalars([0x305D, 0x308C, 0x305E, 0x308C, 0x306E, 0x5834, 0x6240]),
            "Hello-Another-Way--fc4qua05auwb3674vfr0b"
        ),
        (scalars([0x305D, 0x306E, 0x30B9, 0x30D4, 0x30FC, 0x30C9, 0x3067]), "d9juau41awczczp"),
        ("-> $1.00 <-", "-> $1.00 <--"),
        ("bücher", "bcher-kva"),
        ("münchen", "mnchen-3ya"),
    ]

    @Test("Punycode encodes and decodes the RFC 3492 sample strings exactly")
    func punycodeVectors() {
        for (unicode, encoded) in Self.vectors {
            #expect(Punycode.encode(unicode) == encoded, "\(encoded)")
            #expect(Punycode.decode(encoded) == unicode, "\(encoded)")
        }
        #expect(Punycode.decode("99999999999999999999a") == nil)
    }

    @Test("IDNA ToASCII converts each non-ASCII label, lower-cases ASCII and refuses bad labels")
    func idna() {
        #expect(Punycode.domainToASCII("Bücher.Example") == "xn--bcher-kva.example")
        #expect(Punycode.domainToASCII("例え\u{3002}テスト") == "xn--r8jz45g.xn--zckzah")
        #expect(Punycode.domainToASCII("shop.example") == "shop.example")
        #expect(Punycode.domainToASCII("a..example") == nil)
        #expect(Punycode.domainToASCII(String(repeating: "a", count: 64) + ".example") == nil)
        #expect(Punycode.domainToASCII("xn--bücher.example") == nil)
    }

    // MARK: - Addresses

    @Test("One address check: RFC 5321 limits, IDNA domains, and SMTPUTF8 local parts refused with a reason")
    func emailAddress() throws {
        #expect(try EmailAddress("kunde@Bücher.example").ascii == "kunde@xn--bcher-kva.example")
        #expect(try EmailAddress(String(repeating: "a", count: 64) + "@example.com").localPart.count == 64)
        #expect(throws: EmailAddress.Problem.localPartTooLong) {
            try EmailAddress(String(repeating: "a", count: 65) + "@example.com")
        }
        #expect(throws: EmailAddress.Problem.needsSMTPUTF8) { try EmailAddress("jürgen@example.com") }
        let label = String(repeating: "d", count: 63)
        #expect(throws: EmailAddress.Problem.domainTooLong) {
            try EmailAddress("a@" + Array(repeating: label, count: 4).joined(separator: ".") + ".com")
        }
        // 64 + 1 + 190 = 255 octets: each part within its limit, the path over 256.
        #expect(throws: EmailAddress.Problem.tooLong) {
            try EmailAddress(
                String(repeating: "a", count: 64) + "@"
                    + Array(repeating: String(repeating: "d", count: 62), count: 3)
                    .joined(separator: ".") + ".com")
        }
        for bad in ["a@b.com\r\nBcc: x@y.com", "a b@c.com", "<a@b.com>", "a@b", "a..b@c.com", ".a@c.com", "a@-b.com"] {
            #expect(throws: EmailAddress.Problem.self) { try EmailAddress(bad) }
        }
    }

    /// A canonical cart event whose customer has `email`.
    func canonicalBody(email: String, firstName: String = "Priya", currency: String? = nil) throws -> [UInt8] {
        var cart: [String: Any] = [
            "items": [["product_id": "7400000013", "title": "Merino Hiker Sock", "price": "22.00", "quantity": 2]]
        ]
        if let currency { cart["currency"] = currency }
        let document: [String: Any] = [
            "event": "cart.updated", "triggered_at": "2026-11-21T17:20:00Z",
            "payload": [
                "cart_id": "c-1", "customer": ["id": "6100000003", "email": email, "first_name": firstName],
                "cart": cart,
            ],
        ]
        return Array(try JSONSerialization.data(withJSONObject: document))
    }

    @Test("The decoder and the renderer agree: a 290-character local part fails both, an IDNA domain passes both")
    func decoderAndRendererAgree() throws {
        let long = String(repeating: "x", count: 290) + "@example.com"
        let decodeError = #expect(throws: InputError.self) {
            try EventDecoder().decode(InboundDelivery(body: try canonicalBody(email: long)))
        }
        #expect(decodeError?.path == "$.payload.customer.email")
        #expect(decodeError?.reason.contains("64 octets") == true)
        #expect(decodeError?.reason.contains("xxxx") == false)
        let renderError = #expect(throws: RenderError.self) {
            try RenderFixtures.render(RenderFixtures.request(recipient: Mailbox(name: nil, address: long)))
        }
        #expect(renderError?.code == .invalidAddress)

        let event = try EventDecoder().decode(InboundDelivery(body: try canonicalBody(email: "kunde@bücher.example")))
        #expect(event.customer.email == "kunde@xn--bcher-kva.example")
    }

    @Test("A non-ASCII local part is refused at decode, naming the field and SMTPUTF8")
    func smtputf8Refused() throws {
        let error = #expect(throws: InputError.self) {
            try EventDecoder().decode(InboundDelivery(body: try canonicalBody(email: "jürgen@example.com")))
        }
        #expect(error?.code == .invalidField)
        #expect(error?.path == "$.payload.customer.email")
        #expect(error?.reason.contains("SMTPUTF8") == true)
        let renderError = #expect(throws: RenderError.self) {
            try RenderFixtures.render(
                RenderFixtures.request(recipient: Mailbox(name: nil, address: "jürgen@example.com")))
        }
        #expect(renderError?.detail.contains("SMTPUTF8") == true)
    }

    @Test("A non-ASCII domain goes out in IDNA form: the To header and the whole message are 7-bit")
    func idnaInToHeader() throws {
        let email = try RenderFixtures.render(
            RenderFixtures.request(recipient: Mailbox(name: "Jürgen", address: "kunde@bücher.example")))
        let bytes = MIMEMessage.serialize(email)
        #expect(bytes.allSatisfy { $0 < 0x80 })
        let message = String(decoding: bytes, as: UTF8.self)
        #expect(message.contains("<kunde@xn--bcher-kva.example>"))
        #expect(email.to.address == "kunde@xn--bcher-kva.example")

        // Python's email package, as a second opinion: no defects, and the address it reads.
        let python = try #require(RenderFixtures.executable(named: "python3"), "python3 is not on PATH")
        try RenderFixtures.withTemporaryDirectorySync { folder in
            let file = folder.appendingPathComponent("idna.eml")
            try bytes.write(to: file)
            let script = """
                import email, sys
                from email import policy
                msg = email.message_from_bytes(open(sys.argv[1], 'rb').read(), policy=policy.default)
                address = msg['to'].addresses[0]
                print(address.addr_spec, address.display_name, len(msg.defects))
                """
            let process = Process()
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = ["-c", script, file.path]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = output
            try process.run()
            let result = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(result.trimmingCharacters(in: .whitespacesAndNewlines) == "kunde@xn--bcher-kva.example Jürgen 0")
        }
    }

    // MARK: - Date

    @Test("A scheduled message's Date is its send time, not the composition time three weeks before")
    func scheduledDate() throws {
        var request = RenderFixtures.request()
        request.sendAt = RenderFixtures.now.addingTimeInterval(21 * 86_400)
        let email = try RenderFixtures.render(request)
        #expect(email.date == request.sendAt)
        let message = String(decoding: MIMEMessage.serialize(email), as: UTF8.self)
        #expect(message.contains("Date: " + Timestamp.rfc5322(request.sendAt) + "\r\n"))
        #expect(!message.contains(Timestamp.rfc5322(RenderFixtures.now)))
        // A send time already past (a replayed cart) is dated when it is written.
        request.sendAt = RenderFixtures.now.addingTimeInterval(-3600)
        #expect(try RenderFixtures.render(request).date == RenderFixtures.now)
    }

    // MARK: - Names

    @Test("Only a name-like first name is used; markup, line breaks and addresses get the generic greeting")
    func names() {
        #expect(PersonName.greetingName("  Anne-Marie ") == "Anne-Marie")
        #expect(PersonName.greetingName("O'Neil") == "O'Neil")
        #expect(PersonName.greetingName("José  Luis") == "José Luis")
        #expect(PersonName.greetingName("李") == "李")
        #expect(PersonName.greetingName("J.") == "J.")
        #expect(PersonName.greetingName("<script>alert(1)</script>") == nil)
        #expect(PersonName.greetingName("Bob\r\nBcc: eve@example.com") == nil)
        #expect(PersonName.greetingName("Bob\nSmith") == nil)
        #expect(PersonName.greetingName("R2D2") == nil)
        #expect(PersonName.greetingName(String(repeating: "a", count: 41)) == nil)
        #expect(PersonName.greetingName("   ") == nil)
    }

    /// The offline copywriter's cart email for a customer called `firstName` with `title` in the cart.
    func cartDraft(firstName: String? = "Casey", title: String = "Trail Boot", eventID: String = "evt-1") -> Draft {
        var profile = StageFixtures.profile()
        profile.firstName = firstName
        var item = StageFixtures.item("boot")
        item.title = title
        let cart = StageFixtures.cart([item])
        let context = PromptContext(
            eventID: eventID, flow: .cartAbandoned, brand: .northwind, profile: profile, cart: cart,
            insights: Insights(
                hypothesis: AbandonmentHypothesis(kind: .distracted, strength: 1, evidence: []),
                signals: [AbandonmentHypothesis(kind: .distracted, strength: 1, evidence: [])], recommendations: []),
            offer: nil, subjectMaxLength: 60, now: StageFixtures.now)
        return OfflineCopywriter().write(context)
    }

    func copy(_ draft: Draft) -> String {
        (draft.subjects + [draft.preheader, draft.callToAction.label] + draft.blocks.map(\.text)).joined(
            separator: "\n")
    }

    @Test(
        "Hostile first names never reach the copy, and the mask never does either",
        arguments: ["<script>alert(1)</script>", "Bob\r\nBcc: eve@example.com", "Bob eve@example.com"])
    func hostileNames(name: String) {
        for seed in ["evt-1", "evt-2", "evt-3"] {
            let draft = cartDraft(firstName: name, eventID: seed)
            #expect(draft.blocks.first?.text == "Hi there,")
            let text = copy(draft)
            #expect(!text.contains("script"))
            #expect(!text.contains("Bcc"))
            #expect(!text.contains(PIIScanner.maskToken))
        }
    }

    @Test("A masked title is shown without the mask, and the validator refuses a draft that shows it")
    func maskNeverShown() {
        let draft = cartDraft(title: "Gift card for eve@example.com")
        #expect(!copy(draft).contains(PIIScanner.maskToken))
        #expect(copy(draft).contains("Gift card for"))
        var masked = draft
        masked.blocks[1].text = "Hi [redacted], your cart is waiting."
        let findings = DraftValidator(policy: ContentPolicy(), brand: .northwind).validate(
            masked,
            facts: DraftValidator.Facts(
                catalog: StageFixtures.catalog, offer: nil, tier: "new", firstName: nil, personalData: [],
                cartTitles: ["Trail Boot"]))
        #expect(findings.items.contains { $0.rule == "internal_mask" && $0.field == "blocks[1].text" })
    }

    @Test("A 6,400-character title is cut at a word with an ellipsis, never made into another product name")
    func longTitle() {
        let words = ["Ridgeline", "Insulated", "Waterproof", "Hiking", "Jacket", "Extra", "Warm"]
        var title = ""
        var index = 0
        while title.count < 6_400 {
            title += (title.isEmpty ? "" : " ") + words[index % words.count]
            index += 1
        }
        title = String(title.prefix(6_400))
        let bounded = PromptContext.data(title, limit: 80)
        #expect(bounded.count <= 80)
        #expect(bounded.last == PromptContext.ellipsis)
        let boundedWords = bounded.dropLast().split(separator: " ")
        #expect(boundedWords.allSatisfy { words.contains(String($0)) })

        let draft = cartDraft(title: title)
        for subject in draft.subjects {
            #expect(subject.count <= 60)
            // Every word of the title a subject uses is a whole word of the title, and a cut title ends in "…".
            let used = subject.split(separator: " ").map { String($0).trimmingCharacters(in: .punctuationCharacters) }
            for word in used where word.hasPrefix("Ridge") || word.hasSuffix("…") {
                let bare = word.hasSuffix("…") ? String(word.dropLast()) : word
                #expect(words.contains(bare), "\(subject)")
            }
            if subject.contains("Ridgeline") { #expect(subject.contains("…"), "\(subject)") }
        }
        #expect(draft.preheader.count <= 140)
        #expect(draft.preheader.contains(String(bounded)))
        // Validation names the item by the same bounded title the prompt carried.
        let findings = DraftValidator(policy: ContentPolicy(), brand: .northwind).validate(
            draft,
            facts: DraftValidator.Facts(
                catalog: StageFixtures.catalog, offer: nil, tier: "new", firstName: "Casey", personalData: [],
                cartTitles: [title]))
        #expect(!findings.items.contains { $0.message == "names none of the cart's items" })
    }

    // MARK: - Money

    @Test(
        "Currency codes are checked against ISO 4217 at decode, naming the path",
        arguments: ["usd", "XXX1", "US$", "ABC"])
    func badCurrency(code: String) throws {
        let error = #expect(throws: InputError.self) {
            try EventDecoder().decode(InboundDelivery(body: try canonicalBody(email: "a@example.com", currency: code)))
        }
        #expect(error?.path == "$.payload.cart.currency")
        #expect(error?.code == .invalidField)
    }

    @Test("ISO 4217 codes decode; EUR amounts are shown in euros")
    func goodCurrency() throws {
        let event = try EventDecoder().decode(
            InboundDelivery(body: try canonicalBody(email: "a@example.com", currency: "EUR")))
        guard case .cart(.complete(let cart)) = event.subject else {
            Issue.record("not a cart")
            return
        }
        #expect(cart.currency == "EUR")
        #expect(cart.items[0].price.display == "€22.00")
    }

    @Test("A product card shows the line's own price in the customer's currency, not the catalog's USD price")
    func productCardPrice() throws {
        let line = CartItem(
            productID: "p-100", variantID: nil, title: "Alder Trail Runner", variantTitle: nil,
            price: Money(Decimal(string: "55.55")!, "EUR"), quantity: 1, category: nil)
        let facts = DraftValidator.Facts(
            catalog: StageFixtures.catalog, offer: nil, tier: "new", firstName: nil, personalData: [],
            cartTitles: [line.title], lines: [line])
        var request = RenderRequest(
            draft: RenderFixtures.draft, subject: "s", brand: .northwind,
            recipient: Mailbox(name: nil, address: "a@example.com"), customerID: "c1",
            products: RenderFixtures.products, eventID: "e", flow: .orderCreated, prompt: "p@1",
            now: RenderFixtures.now, sendAt: RenderFixtures.now)
        request.prices = facts.linePrices
        request.currency = facts.currency
        let email = try RenderFixtures.render(request)
        #expect(email.text.contains("Alder Trail Runner - €55.55"))
        #expect(!email.text.contains("$129.00"))
        #expect(email.html.contains("€55.55"))
        // p-200 is not a line of this order and the catalog prices it in USD: no price is stated.
        #expect(email.text.contains("Merino Hiking Socks (3 pairs)\n"))
        #expect(!email.text.contains("$24.50"))
        #expect(!email.html.contains("$24.50"))
    }

    /// The recorded Shopify order body, edited, as a delivery with its topic header.
    func shopifyOrder(_ edit: (inout [String: Any]) -> Void) throws -> InboundDelivery {
        let file = TestPaths.events.appendingPathComponent("orderCreated/shopify-repeat-customer.json")
        let recording = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        let text = try #require(recording["body"] as? String)
        var body = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        edit(&body)
        return InboundDelivery(
            body: Array(try JSONSerialization.data(withJSONObject: body)),
            headers: ["x-shopify-topic": "orders/create", "x-shopify-event-id": "e-1"])
    }

    @Test("A Shopify order paid in another currency reads its lines' presentment_money, or names the missing _set")
    func shopifyPresentmentMoney() throws {
        let paidInEuros = try shopifyOrder { body in
            body["presentment_currency"] = "EUR"
            var lines = body["line_items"] as! [[String: Any]]
            for index in lines.indices {
                lines[index]["price_set"] = [
                    "shop_money": ["amount": lines[index]["price"]!, "currency_code": "USD"],
                    "presentment_money": ["amount": "55.55", "currency_code": "EUR"],
                ]
            }
            body["line_items"] = lines
            body["total_price_set"] = [
                "shop_money": ["amount": body["total_price"]!, "currency_code": "USD"],
                "presentment_money": ["amount": "111.10", "currency_code": "EUR"],
            ]
            body.removeValue(forKey: "subtotal_price")
        }
        let event = try EventDecoder().decode(paidInEuros)
        guard case .order(.complete(let order)) = event.subject else {
            Issue.record("not an order")
            return
        }
        #expect(order.currency == "EUR")
        #expect(order.lines.allSatisfy { $0.price == Money(Decimal(string: "55.55")!, "EUR") })
        #expect(order.total.display == "€111.10")

        let noSet = #expect(throws: InputError.self) {
            try EventDecoder().decode(try shopifyOrder { $0["presentment_currency"] = "EUR" })
        }
        #expect(noSet?.path == "$.body.line_items[0].price_set")
        let lowerCase = #expect(throws: InputError.self) {
            try EventDecoder().decode(try shopifyOrder { $0["currency"] = "usd" })
        }
        #expect(lowerCase?.path == "$.body.currency")
    }

    @Test("A platform API's currency is checked against ISO 4217 as it is decoded, naming the field")
    func wireCurrency() throws {
        struct Holder: Decodable { var currency: Wire.CurrencyCode }
        #expect(try JSONDecoder().decode(Holder.self, from: Data(#"{"currency":"EUR"}"#.utf8)).currency.value == "EUR")
        for bad in ["usd", "XXX1"] {
            do {
                _ = try JSONDecoder().decode(Holder.self, from: Data(#"{"currency":"\#(bad)"}"#.utf8))
                Issue.record("\(bad) decoded")
            } catch DecodingError.dataCorrupted(let context) {
                #expect(context.codingPath.map(\.stringValue) == ["currency"])
                #expect(context.debugDescription.contains("ISO 4217"))
            }
        }
    }

    @Test("The customer's usual order value is stated only in the cart's currency")
    func averageOrderValueCurrency() {
        let profile = StageFixtures.profile(orders: [StageFixtures.order("o1", ["boot"], total: "80.00")])
        let placeholder = AbandonmentHypothesis(kind: .distracted, strength: 1, evidence: [])
        func context(_ cart: Cart) -> PromptContext {
            PromptContext(
                eventID: "e", flow: .cartAbandoned, brand: .northwind, profile: profile, cart: cart,
                insights: Insights(hypothesis: placeholder, signals: [placeholder], recommendations: []), offer: nil,
                subjectMaxLength: 60, now: StageFixtures.now)
        }
        let usdCart = StageFixtures.cart([StageFixtures.item("boot")])
        #expect(context(usdCart).customer.averageOrderValue == "$80.00")
        var eurCart = usdCart
        eurCart.currency = "EUR"
        eurCart.items[0].price = Money(55, "EUR")
        #expect(context(eurCart).customer.averageOrderValue == nil)
    }
}
