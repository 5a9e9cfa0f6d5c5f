import Foundation
import Synchronization

/// Fetches what an SNS message points at, over an injected transport: the signing certificate
/// (cached by URL for the life of the process, so a warm function fetches each of SNS's few
/// certificates once) and the SubscribeURL of a subscription confirmation. Each URL is checked
/// against the SNS host rule before anything is fetched; only the transport is injected
/// (production: libcurl with TLS verification; tests: an in-memory transport).
package final class SNSFetcher: Sendable {
    /// At most this many certificates are kept; past it the cache starts again empty.
    package static let cacheLimit = 32
    /// Certificates larger than this are refused (SNS's are about 2 KB).
    package static let maximumCertificateBytes = 64 << 10

    let transport: any HTTPTransport
    private let cache = Mutex<[String: SNSSigningCertificate]>([:])
    private let fetches = Mutex(0)

    /// A fetcher over `transport`.
    package init(transport: any HTTPTransport) {
        self.transport = transport
    }

    /// How many certificate fetches went to the transport (the cache's misses).
    package var certificateFetches: Int { fetches.withLock { $0 } }

    /// The certificate at `url`, from the cache or fetched. Throws `FeedbackRefusal`:
    /// `untrustedURL` when the URL breaks the SNS rule, `certificateUnreadable` when it does not
    /// arrive with a 200 or does not read (the caller answers that with a retryable 500).
    package func certificate(at url: String) async throws(FeedbackRefusal) -> SNSSigningCertificate {
        do {
            try SNSMessage.checkCertificateURL(url)
        } catch {
            throw FeedbackRefusal(.untrustedURL, error.description)
        }
        if let cached = cache.withLock({ $0[url] }) { return cached }
        fetches.withLock { $0 += 1 }
        let response: TransportResponse
        do {
            response = try await transport.send(TransportRequest(method: "GET", url: url))
        } catch {
            throw FeedbackRefusal(.certificateUnreadable, "GET \(url): \(error)")
        }
        guard response.status == 200, response.body.count <= Self.maximumCertificateBytes else {
            throw FeedbackRefusal(
                .certificateUnreadable, "GET \(url): status \(response.status), \(response.body.count) bytes")
        }
        let certificate: SNSSigningCertificate
        do {
            certificate = try SNSSigningCertificate(pem: String(decoding: response.body, as: UTF8.self))
        } catch {
            throw FeedbackRefusal(.certificateUnreadable, error.description)
        }
        cache.withLock { cache in
            if cache.count >= Self.cacheLimit { cache.removeAll() }
            cache[url] = certificate
        }
        return certificate
    }

    /// Confirms a subscription: GET on its SubscribeURL (checked against the SNS host rule first).
    /// Returns the HTTP status SNS answered; throws `FeedbackRefusal.untrustedURL` for a URL off
    /// SNS, and the transport's error when no answer came.
    package func confirm(subscribeURL: String) async throws -> Int {
        do {
            try SNSMessage.checkSubscribeURL(subscribeURL)
        } catch {
            throw FeedbackRefusal(.untrustedURL, error.description)
        }
        return try await transport.send(TransportRequest(method: "GET", url: subscribeURL)).status
    }
}

/// The checks an SNS message passes before anything is done with it, in this order: its topic is
/// one of ours, its SignatureVersion is known, its certificate URL is on an SNS host, its
/// Timestamp is recent, and its signature verifies with the (fetched, cached) certificate, which
/// must be within its validity dates.
package struct SNSVerifier: Sendable {
    /// How far a Timestamp may lie in the past (a replay window): one hour. SNS's default HTTP
    /// delivery policy retries for under a minute; a custom policy can stretch it to an hour.
    package static let maximumAge: TimeInterval = 3_600
    /// How far a Timestamp may lie in the future (clock skew): five minutes.
    package static let maximumSkew: TimeInterval = 300

    /// The topic ARNs whose messages are accepted; empty accepts none.
    package let topics: Set<String>
    /// Where certificates come from.
    package let fetcher: SNSFetcher

    /// A verifier accepting `topics`.
    package init(topics: Set<String>, fetcher: SNSFetcher) {
        self.topics = topics
        self.fetcher = fetcher
    }

    /// Throws the first `FeedbackRefusal` that applies; returns when the message is genuine.
    package func verify(_ message: SNSMessage, now: Date) async throws(FeedbackRefusal) {
        guard !topics.isEmpty else {
            throw FeedbackRefusal(.notConfigured, "TIDINGS_SNS_TOPIC_ARNS names no topic")
        }
        guard topics.contains(message.topicArn) else {
            throw FeedbackRefusal(.wrongTopic, "TopicArn \(message.topicArn.prefix(256)) is not configured")
        }
        do {
            _ = try message.signatureAlgorithm
        } catch {
            throw FeedbackRefusal(.unknownSignatureVersion, error.description)
        }
        do {
            try SNSMessage.checkCertificateURL(message.signingCertURL)
        } catch {
            throw FeedbackRefusal(.untrustedURL, error.description)
        }
        guard let sent = Timestamp.parse(message.timestamp) else {
            throw FeedbackRefusal(.staleMessage, "Timestamp is not an ISO 8601 time")
        }
        guard sent >= now.addingTimeInterval(-Self.maximumAge), sent <= now.addingTimeInterval(Self.maximumSkew) else {
            throw FeedbackRefusal(
                .staleMessage, "Timestamp \(message.timestamp.prefix(40)) is not within the last hour")
        }
        let certificate = try await fetcher.certificate(at: message.signingCertURL)
        try certificate.verify(message, now: now)
    }
}
