import Foundation
import Synchronization
import TidingsCore

/// SNS's side of a subscription, in memory: an `HTTPTransport` that serves signing certificates
/// at the URLs given and answers GETs on a SubscribeURL (`Action=ConfirmSubscription`) with SNS's
/// 200. Every request is recorded, so tests can assert what was fetched and confirmed. Any other
/// URL answers 404. The SNS host rule is still applied by `SNSFetcher` before this is asked.
package final class InMemorySNS: HTTPTransport {
    private let certificates: [String: String]
    private let requests = Mutex<[TransportRequest]>([])

    /// Serves each PEM in `certificates` at its URL.
    package init(certificates: [String: String]) {
        self.certificates = certificates
    }

    /// Every request received, in order.
    package var received: [TransportRequest] { requests.withLock { $0 } }

    package func send(_ request: TransportRequest) async throws -> TransportResponse {
        requests.withLock { $0.append(request) }
        if let pem = certificates[request.url] { return TransportResponse(status: 200, body: Array(pem.utf8)) }
        if request.url.contains("Action=ConfirmSubscription") {
            return TransportResponse(
                status: 200,
                body: Array(
                    "<ConfirmSubscriptionResponse><ConfirmSubscriptionResult><SubscriptionArn>confirmed</SubscriptionArn></ConfirmSubscriptionResult></ConfirmSubscriptionResponse>"
                        .utf8))
        }
        return TransportResponse(status: 404)
    }
}
