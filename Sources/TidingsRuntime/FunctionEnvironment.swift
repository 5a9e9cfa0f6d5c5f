import Foundation
import Logging
import TidingsCore

/// Builds a function's pipeline from its configuration: every stage on its embedded default unless
/// configuration switches it to a real service. Called once at start-up.
public enum FunctionEnvironment {
    /// The embedded stages: the recorded shop, the offline copywriter, the outbox, the review
    /// folder and the JSONL audit under the data folder.
    public static func embeddedStages(
        function: FlowKind, configuration: Configuration, clock: any Clock = SystemClock()
    ) throws(ConfigurationError) -> PipelineStages {
        let data = configuration.dataDirectory
        let audit: JSONLAuditLog
        do {
            audit = try JSONLAuditLog(directory: data.appendingPathComponent("audit"), function: function.rawValue)
        } catch {
            throw ConfigurationError(key: "TIDINGS_DATA_DIR", reason: "cannot open the audit folder: \(error)")
        }
        let shop = RecordedShop(directory: configuration.shopDirectory, storefrontURL: configuration.brand.storefrontURL)
        return PipelineStages(
            platforms: [.shopify: shop.shopify, .bigcommerce: shop.bigCommerce],
            model: OfflineCopywriter(),
            email: OutboxEmailService(directory: data.appendingPathComponent("outbox")),
            review: FolderReviewQueue(directory: data.appendingPathComponent("review")),
            audit: audit,
            deadLetters: FolderDeadLetterStore(directory: data.appendingPathComponent("dead-letter")),
            clock: clock)
    }

    /// A logger writing to stderr at `TIDINGS_LOG_LEVEL` (default info), so stdout stays the result.
    public static func logger(label: String, environment: [String: String]) -> Logger {
        var logger = Logger(label: label, factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = environment["TIDINGS_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        return logger
    }
}
