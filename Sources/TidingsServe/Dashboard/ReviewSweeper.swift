import Logging
import ServiceLifecycle
import TidingsCore

/// Expires and escalates review items that waited too long, once a minute while the server runs
/// (what `tidings review sweep` does from a cron). The dashboard's pages only read, so no GET
/// changes anything; every decision sweeps first, so an item past its limit cannot be approved
/// in the minute before the next round. docs/decisions/serve-dashboard.md.
struct ReviewSweeper: Service {
    let desk: ReviewDesk
    let interval: Duration
    let logger: Logger

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await sweep()
                try await Task.sleep(for: interval)
            }
        }
    }

    func sweep() async {
        do {
            for report in try await desk.sweep() {
                logger.info(
                    "review item swept",
                    metadata: [
                        "review.id": "\(report.reviewID)", "event.id": "\(report.eventID)",
                        "review.action": "\(report.action)",
                    ])
            }
        } catch {
            logger.error("review sweep failed", metadata: ["error": "\(error)"])
        }
    }
}
