import CCurl
import Foundation
import Synchronization
import TidingsCore

/// An SMTP relay as the `EmailService` (`TIDINGS_ESP=smtp`), through libcurl's SMTP: MAIL FROM
/// the envelope sender (`SMTP_MAIL_FROM`, else the message's From address), RCPT TO the recipient,
/// and DATA the exact RFC 5322 bytes Tidings rendered, so List-Unsubscribe and the X-Tidings
/// headers arrive as written (libcurl dot-stuffs lines that start with "." and the server
/// unstuffs them). `smtp://` requires STARTTLS unless `SMTP_STARTTLS=off`; certificates are
/// always verified. The receipt's reference is the Message-ID. docs/decisions/smtp.md.
///
/// Each send runs `curl_easy_perform` on a thread of its own, so the cooperative pool never
/// blocks on the relay. An SMTP relay cannot hold a message for later: a scheduled step of a
/// series waits in the scheduled outbox (`SchedulingEmailService`), so `cancelScheduled` has
/// nothing here to stop.
package struct SMTPEmailService: EmailService {
    /// The relay, its TLS rule, the credentials and the CA to trust.
    package let settings: EmailSettings.SMTP
    /// Seconds to connect and finish TLS (default 10).
    package let connectTimeout: TimeInterval
    /// Seconds for the whole session, from connect to QUIT (default 60); an invocation's deadline
    /// (`InvocationDeadline.current`) shortens it.
    package let totalTimeout: TimeInterval

    /// A service for the relay in `settings`. Loads libcurl on first use in the process.
    package init(_ settings: EmailSettings.SMTP, connectTimeout: TimeInterval = 10, totalTimeout: TimeInterval = 60) {
        precondition(connectTimeout > 0 && totalTimeout > 0, "SMTPEmailService needs positive timeouts")
        CurlGlobal.initialise()
        self.settings = settings
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
    }

    /// Sends the email. Returns a receipt with service "smtp" and the Message-ID. Throws
    /// `DeliveryError` (service "smtp"): a refused login, a 5xx reply, a relay without STARTTLS
    /// and a certificate that does not verify are not retryable; a 4xx reply, a failed connection
    /// and a timeout are. The detail is libcurl's fixed message and the SMTP reply code, never
    /// the server's text or a credential.
    package func deliver(_ email: RenderedEmail) async throws -> DeliveryReceipt {
        // EmailAddress refuses spaces, controls, quotes and brackets, so nothing can be smuggled
        // into MAIL FROM or RCPT TO; the domain goes in its ASCII (Punycode) form.
        let sender: String
        let recipient: String
        do {
            sender = try settings.mailFrom ?? EmailAddress(email.from.address).ascii
        } catch {
            throw DeliveryError(service: "smtp", reason: "the sender: \(error)", isRetryable: false, code: .badRequest)
        }
        do {
            recipient = try EmailAddress(email.to.address).ascii
        } catch {
            throw DeliveryError(
                service: "smtp", reason: "the recipient: \(error)", isRetryable: false, code: .badRequest)
        }
        var total = totalTimeout
        if let deadline = InvocationDeadline.current {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else {
                throw DeliveryError(
                    service: "smtp", reason: "the invocation's deadline has passed", isRetryable: true,
                    code: .unreachable)
            }
            total = min(total, remaining)
        }
        let session = SMTPSession(
            settings: settings, sender: sender, recipient: recipient,
            message: Array(email.rawMessage ?? MIMEMessage.serialize(email)),
            connectTimeout: min(connectTimeout, total), totalTimeout: total)
        let (result, reply) = await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: session.perform()) }
            thread.name = "smtp \(settings.host)"
            thread.start()
        }
        guard result == CURLE_OK else { throw Self.failure(result, reply: reply, host: settings.host) }
        return DeliveryReceipt(service: "smtp", reference: email.messageID)
    }

    /// Returns []: nothing waits at an SMTP relay (see the type's note).
    package func cancelScheduled(series: String, after: Date) async throws -> [String] { [] }

    /// The `DeliveryError` for a failed session: libcurl's result and the last SMTP reply code
    /// (0 when none arrived). Only codes that RHEL 9's libcurl 7.76 headers define are named.
    static func failure(_ result: CURLcode, reply: Int, host: String) -> DeliveryError {
        let detail = "curl error \(result.rawValue): \(String(cString: ccurl_easy_strerror(result)))"
        let replied = reply > 0 ? ", SMTP reply \(reply)" : ""
        func error(_ reason: String, retryable: Bool, _ code: DeliveryError.Code) -> DeliveryError {
            DeliveryError(
                service: "smtp", reason: "\(reason) (\(detail)\(replied))", isRetryable: retryable, code: code)
        }
        switch result {
        case CURLE_LOGIN_DENIED:
            return error("\(host) refused the login (SMTP_USERNAME, SMTP_PASSWORD)", retryable: false, .unauthorized)
        case CURLE_USE_SSL_FAILED:
            return error(
                "\(host) does not offer STARTTLS, which is required unless SMTP_STARTTLS=off", retryable: false, .other)
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
            CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CRL_BADFILE:
            return error("TLS with \(host) failed (SMTP_CA_FILE names a private CA)", retryable: false, .unreachable)
        default:
            break
        }
        switch reply {
        case 400..<500:
            return error("\(host) deferred the message", retryable: true, .upstreamFailure)
        case 500..<600:
            return error("\(host) rejected the message", retryable: false, .messageRejected)
        default:
            break
        }
        switch result {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT,
            CURLE_OPERATION_TIMEDOUT, CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING:
            return error("no complete exchange with \(host)", retryable: true, .unreachable)
        case CURLE_WEIRD_SERVER_REPLY:
            return error("\(host) answered something unexpected", retryable: true, .upstreamFailure)
        default:
            return error("the SMTP session with \(host) failed", retryable: false, .other)
        }
    }
}

/// One SMTP session on an easy handle of its own, performed on the calling thread. Owns the
/// message bytes the read callback uploads and the recipient list.
final class SMTPSession: @unchecked Sendable {
    private let settings: EmailSettings.SMTP
    private let sender: String
    private let recipient: String
    private let message: [UInt8]
    private let connectTimeout: TimeInterval
    private let totalTimeout: TimeInterval
    /// How many bytes of `message` the read callback has handed to libcurl.
    private var offset = 0

    init(
        settings: EmailSettings.SMTP, sender: String, recipient: String, message: [UInt8],
        connectTimeout: TimeInterval, totalTimeout: TimeInterval
    ) {
        self.settings = settings
        self.sender = sender
        self.recipient = recipient
        self.message = message
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
    }

    /// Runs the session to its end: libcurl's result and the last SMTP reply code (0 if none).
    func perform() -> (CURLcode, Int) {
        guard let easy = ccurl_easy_init() else { return (CURLE_OUT_OF_MEMORY, 0) }
        let recipients = ccurl_slist_append(nil, "<\(recipient)>")
        defer {
            ccurl_slist_free_all(recipients)
            ccurl_easy_cleanup(easy)
        }
        ccurl_easy_setopt_string(easy, CURLOPT_URL, settings.url)
        ccurl_easy_allow_only_smtp(easy)
        ccurl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        // Verification is libcurl's default; set it anyway so no other default can turn it off.
        ccurl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 1)
        ccurl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 2)
        if settings.requireTLS {
            ccurl_easy_setopt_long(easy, CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue))
        }
        if let caFile = settings.caFile {
            ccurl_easy_setopt_string(easy, CURLOPT_CAINFO, caFile)
        }
        if let username = settings.username, let password = settings.password {
            ccurl_easy_setopt_string(easy, CURLOPT_USERNAME, username)
            ccurl_easy_setopt_string(easy, CURLOPT_PASSWORD, String(decoding: password.bytes, as: UTF8.self))
        }
        ccurl_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(connectTimeout))
        ccurl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, Self.milliseconds(totalTimeout))
        ccurl_easy_setopt_string(easy, CURLOPT_MAIL_FROM, "<\(sender)>")
        ccurl_easy_setopt_slist(easy, CURLOPT_MAIL_RCPT, recipients)
        ccurl_easy_setopt_long(easy, CURLOPT_UPLOAD, 1)
        ccurl_easy_setopt_off_t(easy, CURLOPT_INFILESIZE_LARGE, curl_off_t(message.count))
        ccurl_easy_setopt_callback(easy, CURLOPT_READFUNCTION, smtpReadMessage)
        ccurl_easy_setopt_pointer(easy, CURLOPT_READDATA, Unmanaged.passUnretained(self).toOpaque())

        let result = withExtendedLifetime(self) { ccurl_easy_perform(easy) }
        var reply = 0
        ccurl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &reply)
        return (result, reply)
    }

    /// The read callback's work: the next bytes of the message, 0 at its end.
    fileprivate func read(into buffer: UnsafeMutablePointer<CChar>, capacity: Int) -> Int {
        let count = min(capacity, message.count - offset)
        guard count > 0 else { return 0 }
        message.withUnsafeBytes { bytes in
            UnsafeMutableRawPointer(buffer).copyMemory(from: bytes.baseAddress! + offset, byteCount: count)
        }
        offset += count
        return count
    }

    private static func milliseconds(_ seconds: TimeInterval) -> Int {
        max(1, Int((seconds * 1000).rounded(.up)))
    }
}

private let smtpReadMessage: ccurl_data_callback = { buffer, size, count, user in
    guard let buffer, let user else { return 0 }
    let session = Unmanaged<SMTPSession>.fromOpaque(user).takeUnretainedValue()
    return session.read(into: buffer, capacity: size * count)
}
