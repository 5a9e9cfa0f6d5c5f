import Foundation

/// A mailbox: display name and address.
package struct Mailbox: Sendable, Hashable {
    /// The display name; nil for a bare address.
    package var name: String?
    /// A plain `local@domain` address, without angle brackets.
    package var address: String

    /// Creates a mailbox; the renderer refuses addresses that are not a plain `local@domain`.
    package init(name: String?, address: String) {
        self.name = name
        self.address = address
    }
}

/// A finished email, ready for an ESP or the outbox: both bodies, the headers that matter and
/// when it should go out.
package struct RenderedEmail: Sendable, Hashable {
    /// RFC 5322 Message-ID without angle brackets ("<id>@tidings.northwind.example").
    package var messageID: String
    /// The brand's sender (From header).
    package var from: Mailbox
    /// The recipient (To header); the address appears nowhere else in the message.
    package var to: Mailbox
    /// The subject line, unencoded; MIME encoding happens when the message is serialized.
    package var subject: String
    /// The inbox preview text, also hidden at the top of the HTML body.
    package var preheader: String
    /// The HTML body, complete and escaped.
    package var html: String
    /// The plain-text alternative of the same message, unsubscribe link included.
    package var text: String
    /// The one-click unsubscribe URL for this recipient (RFC 8058).
    package var unsubscribeURL: String
    /// The mailto alternative for List-Unsubscribe.
    package var unsubscribeMailto: String
    /// The Date header: when the message goes out, never before `sendAt` (RFC 5322 3.6.1 dates a
    /// message when it is ready to enter the mail system, which for a scheduled one is its send time).
    package var date: Date
    /// When it should be sent; equal to `date` for "now" and for a scheduled message.
    package var sendAt: Date
    /// Extra headers, in order: X-Tidings-Event-Id, X-Tidings-Flow, X-Tidings-Prompt, ...
    package var extraHeaders: [Header]
    /// The message as `MIMEMessage.serialize` made it, kept once the pipeline has serialized it
    /// (to hash it for the audit) so the outbox or review queue does not serialize it again. Nil
    /// until then; set it only on an email that will not change after.
    package var rawMessage: Data?

    /// One extra header line, name and value unencoded.
    package struct Header: Sendable, Hashable {
        /// The header name ("X-Tidings-Flow").
        package var name: String
        /// The header value; CR and LF are stripped when the message is serialized.
        package var value: String
        /// Creates a header from its name and value.
        package init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// Creates an email from its parts; `EmailRenderer.render` is the usual way to make one.
    package init(
        messageID: String, from: Mailbox, to: Mailbox, subject: String, preheader: String, html: String,
        text: String, unsubscribeURL: String, unsubscribeMailto: String, date: Date, sendAt: Date,
        extraHeaders: [Header]
    ) {
        self.messageID = messageID
        self.from = from
        self.to = to
        self.subject = subject
        self.preheader = preheader
        self.html = html
        self.text = text
        self.unsubscribeURL = unsubscribeURL
        self.unsubscribeMailto = unsubscribeMailto
        self.date = date
        self.sendAt = sendAt
        self.extraHeaders = extraHeaders
    }
}
