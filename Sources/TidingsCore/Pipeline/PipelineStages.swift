import Crypto
import Foundation
import Logging

/// The boundaries one pipeline talks to, each behind its protocol. Built once at start-up (cold
/// start pays for it once; a warm Lambda reuses it for every invocation).
package struct PipelineStages: Sendable {
    /// The commerce platform per event source; canonical events use `.canonical` or else Shopify.
    package var platforms: [EventPlatform: any CommercePlatform]
    /// The writer of drafts; the offline copywriter stands in when it fails.
    package var model: any LanguageModel
    /// Where approved emails are delivered.
    package var email: any EmailService
    /// Where drafts that need a human go.
    package var review: any ReviewQueue
    /// The audit trail; also the memory of which events and carts were already handled.
    package var audit: any AuditLog
    /// Where the audit keeps prompts, answers, drafts and findings by content address.
    package var content: any ContentStore
    /// Where rejected input is kept for inspection.
    package var deadLetters: any DeadLetterStore
    /// The source of "now" for every decision in a run.
    package var clock: any TimeSource
    /// Who must not be sent marketing (unsubscribed, hard-bounced, complained); the guards read it.
    package var suppression: any SuppressionList
    /// The state every instance shares: the claim that makes an event's handling happen once, the
    /// tombstone of a cancelled order (docs/decisions/exactly-once.md).
    package var state: any StateStore

    /// Creates the stages from one implementation per boundary.
    package init(
        platforms: [EventPlatform: any CommercePlatform], model: any LanguageModel, email: any EmailService,
        review: any ReviewQueue, audit: any AuditLog, content: any ContentStore, deadLetters: any DeadLetterStore,
        clock: any TimeSource, suppression: any SuppressionList, state: any StateStore
    ) {
        self.platforms = platforms
        self.model = model
        self.email = email
        self.review = review
        self.audit = audit
        self.content = content
        self.deadLetters = deadLetters
        self.clock = clock
        self.suppression = suppression
        self.state = state
    }

    /// The platform that knows an event's customer.
    package func platform(for source: EventPlatform) -> (any CommercePlatform)? {
        platforms[source] ?? (source == .canonical ? platforms[.shopify] : nil)
    }
}
