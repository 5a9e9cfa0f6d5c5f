import Foundation

/// Who the email comes from and where its links may point.
package struct Brand: Sendable, Hashable {
    /// The shop's name as customers know it ("Northwind Outfitters").
    package var name: String
    /// The From address and display name.
    package var fromAddress: String
    /// The display name in the From header, usually the shop's name.
    package var fromName: String
    /// The storefront's base URL, "https://northwind.example", no trailing slash.
    package var storefrontURL: String
    /// Hosts links may point to; subdomains of these are allowed too.
    package var linkDomains: [String]
    /// The physical address every marketing email must carry (CAN-SPAM).
    package var postalAddress: String
    /// How the brand writes, for prompts ("warm, plain-spoken, outdoorsy").
    package var voice: String
    /// Base of the one-click unsubscribe endpoint (RFC 8058), an https URL.
    package var unsubscribeURL: String
    /// The mailto unsubscribe address offered next to the URL.
    package var unsubscribeMailto: String

    /// Creates a brand from its parts; `storefrontURL` and `unsubscribeURL` are full https URLs.
    package init(
        name: String, fromAddress: String, fromName: String, storefrontURL: String, linkDomains: [String],
        postalAddress: String, voice: String, unsubscribeURL: String, unsubscribeMailto: String
    ) {
        self.name = name
        self.fromAddress = fromAddress
        self.fromName = fromName
        self.storefrontURL = storefrontURL
        self.linkDomains = linkDomains
        self.postalAddress = postalAddress
        self.voice = voice
        self.unsubscribeURL = unsubscribeURL
        self.unsubscribeMailto = unsubscribeMailto
    }

    /// The recorded shop's brand, used by the embedded defaults.
    package static let northwind = Brand(
        name: "Northwind Outfitters",
        fromAddress: "hello@northwind.example",
        fromName: "Northwind Outfitters",
        storefrontURL: "https://northwind.example",
        linkDomains: ["northwind.example"],
        postalAddress: "Northwind Outfitters, 120 Alder Street, Portland, OR 97204, USA",
        voice: "warm, plain-spoken and practical; outdoorsy without clichés; never pushy",
        unsubscribeURL: "https://northwind.example/email/unsubscribe",
        unsubscribeMailto: "unsubscribe@northwind.example"
    )
}
