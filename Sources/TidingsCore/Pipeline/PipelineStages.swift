import Crypto
import Foundation
import Logging

/// The boundaries one pipeline talks to, each behind its protocol. Built once at start-up (cold
/// start pays for it once; a warm Lambda reuses it for every invocation).
public struct PipelineStages: Sendable {
    /// The commerce platform per event source; canonical events use `.canonical` or else Shopify.
    public var platforms: [EventPlatform: any CommercePlatform]
    public var model: any LanguageModel
    public var email: any EmailService
    public var review: any ReviewQueue
    public var audit: any AuditLog
    public var deadLetters: any DeadLetterStore
    public var clock: any Clock

    public init(
        platforms: [EventPlatform: any CommercePlatform], model: any LanguageModel, email: any EmailService,
        review: any ReviewQueue, audit: any AuditLog, deadLetters: any DeadLetterStore, clock: any Clock
    ) {
        self.platforms = platforms
        self.model = model
        self.email = email
        self.review = review
        self.audit = audit
        self.deadLetters = deadLetters
        self.clock = clock
    }

    /// The platform that knows an event's customer.
    public func platform(for source: EventPlatform) -> (any CommercePlatform)? {
        platforms[source] ?? (source == .canonical ? platforms[.shopify] : nil)
    }
}
