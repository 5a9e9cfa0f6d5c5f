import Foundation

/// A mailbox: display name and address.
public struct Mailbox: Sendable, Hashable {
    public var name: String?
    public var address: String

    public init(name: String?, address: String) {
        self.name = name
        self.address = address
    }
}

/// A finished email, ready for an ESP or the outbox: both bodies, the headers that matter and
/// when it should go out.
public struct RenderedEmail: Sendable, Hashable {
    /// RFC 5322 Message-ID without angle brackets ("<id>@tidings.northwind.example").
    public var messageID: String
    public var from: Mailbox
    public var to: Mailbox
    public var subject: String
    public var preheader: String
    public var html: String
    public var text: String
    /// The one-click unsubscribe URL for this recipient (RFC 8058).
    public var unsubscribeURL: String
    /// The mailto alternative for List-Unsubscribe.
    public var unsubscribeMailto: String
    /// When the message was written (the Date header).
    public var date: Date
    /// When it should be sent; equal to `date` for "now".
    public var sendAt: Date
    /// Extra headers, in order: X-Tidings-Event-Id, X-Tidings-Flow, X-Tidings-Prompt, ...
    public var extraHeaders: [Header]

    public struct Header: Sendable, Hashable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(
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
