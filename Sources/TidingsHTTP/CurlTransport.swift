import CCurl
import Foundation
import Synchronization
import TidingsCore

/// The production `HTTPTransport`: libcurl's multi interface, driven by one dedicated thread per
/// upstream, so awaiting callers never block the cooperative pool and many requests (the winBack
/// scan's model calls) can be in flight at once.
///
/// Create one per upstream when the process starts and share it across invocations: its
/// connection cache, DNS cache and TLS session cache live as long as it does, so a warm function
/// reuses connections. TLS verification is always on. libcurl honours the standard proxy
/// variables (`http_proxy`, `https_proxy`, `no_proxy`, `all_proxy`; upper-case too except
/// `HTTP_PROXY`). Redirects are not followed.
package final class CurlTransport: HTTPTransport {
    /// Limits of one transport; every figure is documented with its default.
    package struct Configuration: Sendable, Hashable {
        /// The upstream's name, for the loop thread's name ("openai", "anthropic").
        package var name: String
        /// Seconds to establish the TCP connection and TLS (default 10).
        package var connectTimeout: TimeInterval
        /// Seconds for the whole exchange, connect included (default 60). An invocation's deadline
        /// (`InvocationDeadline.current`) shortens it.
        package var totalTimeout: TimeInterval
        /// Most bytes of response body (and, separately, of response headers) kept (default 8 MiB);
        /// a larger answer fails with `TransportError.Code.responseTooLarge`.
        package var maxResponseBytes: Int

        /// A configuration with the defaults: 10 s to connect, 60 s in total, 8 MiB of body.
        package init(
            name: String, connectTimeout: TimeInterval = 10, totalTimeout: TimeInterval = 60,
            maxResponseBytes: Int = 8 << 20
        ) {
            self.name = name
            self.connectTimeout = connectTimeout
            self.totalTimeout = totalTimeout
            self.maxResponseBytes = maxResponseBytes
        }
    }

    /// The limits this transport applies.
    package let configuration: Configuration
    private let loop: CurlLoop

    /// Starts the transport's loop thread (and initialises libcurl on first use in the process).
    /// Timeouts must be positive and the body bound at least 1 byte.
    package init(_ configuration: Configuration) {
        precondition(
            configuration.connectTimeout > 0 && configuration.totalTimeout > 0 && configuration.maxResponseBytes > 0,
            "CurlTransport needs positive timeouts and a positive response bound")
        CurlGlobal.initialise()
        self.configuration = configuration
        self.loop = CurlLoop(name: configuration.name)
    }

    deinit {
        loop.shutDown()
    }

    /// Sends the request and returns the response, whatever its status. Throws `TransportError`
    /// when no response arrived: `.deadline` when the invocation's deadline has passed,
    /// `.cancelled` when the awaiting task is cancelled (the transfer is removed), and the code
    /// libcurl's failure maps to otherwise (`CurlTransport.code(for:tooLarge:)`).
    package func send(_ request: TransportRequest) async throws -> TransportResponse {
        try await perform(request, limit: configuration.maxResponseBytes, sink: nil)
    }

    /// Largest body `download` writes to a file (64 GiB).
    package static let maxDownloadBytes = 64 << 30

    private func perform(_ request: TransportRequest, limit: Int, sink: FileHandle?) async throws
        -> TransportResponse
    {
        let host = URLComponents(string: request.url)?.host ?? "unknown host"
        var total = configuration.totalTimeout
        if let deadline = InvocationDeadline.current {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else {
                throw TransportError(.deadline, host: host, detail: "the invocation's deadline has passed")
            }
            total = min(total, remaining)
        }
        let transfer = try CurlTransfer(
            request, host: host, limit: limit,
            connectTimeout: configuration.connectTimeout, totalTimeout: total)
        transfer.sink = sink
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                transfer.continuation = continuation
                loop.submit(.add(transfer))
            }
        } onCancel: {
            transfer.cancelled.store(true, ordering: .sequentiallyConsistent)
            loop.submit(.cancel(transfer))
        }
    }

    /// The `TransportError` code for a failed transfer's `CURLcode`. `tooLarge` says the write
    /// callback refused a body past the bound (libcurl reports that as a write error).
    /// Only codes that RHEL 9's libcurl 7.76 headers (the image's builder) define are named.
    static func code(for result: CURLcode, tooLarge: Bool) -> TransportError.Code {
        switch result {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT:
            return .connectFailed
        case CURLE_OPERATION_TIMEDOUT:
            return .timedOut
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_HTTP2,
            CURLE_HTTP2_STREAM:
            return .connectionReset
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
            CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ENGINE_NOTFOUND,
            CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED:
            return .tlsFailed
        case CURLE_FILESIZE_EXCEEDED:
            return .responseTooLarge
        case CURLE_WRITE_ERROR where tooLarge:
            return .responseTooLarge
        default:
            return .other
        }
    }
}

/// libcurl, loaded (`dlopen`) and initialised (`curl_global_init`) once per process and only when
/// a transport is created, so a handler that never talks HTTP loads none of it at exec
/// (Sources/CCurl/include/CCurl.h).
enum CurlGlobal {
    /// Loads libcurl if no transport has yet; stops the process if it cannot be loaded (the image
    /// lacks libcurl.so.4: a deployment error no retry can fix).
    static func initialise() {
        if let failure = ccurl_load() {
            preconditionFailure("the HTTP transport needs libcurl: \(String(cString: failure))")
        }
    }
}

extension CurlTransport: HTTPFileDownloading {
    /// Sends like `send`, writing the body to `file` as it arrives (up to `maxDownloadBytes`), so a
    /// download of any size costs libcurl's buffer. A non-2xx body is read back (its first 64 KiB)
    /// as the response's body and the file is emptied. The total timeout still applies.
    package func download(_ request: TransportRequest, to file: URL) async throws -> TransportResponse {
        let host = URLComponents(string: request.url)?.host ?? "unknown host"
        guard FileManager.default.createFile(atPath: file.path, contents: nil),
            let handle = try? FileHandle(forWritingTo: file)
        else {
            throw TransportError(.other, host: host, detail: "cannot write the download to \(file.lastPathComponent)")
        }
        var response: TransportResponse
        do {
            response = try await perform(request, limit: Self.maxDownloadBytes, sink: handle)
            try? handle.close()
        } catch {
            try? handle.close()
            throw error
        }
        if !(200..<300).contains(response.status) {
            let reader = try? FileHandle(forReadingFrom: file)
            response.body = Array((try? reader?.read(upToCount: 64 << 10)) ?? Data())
            try? reader?.close()
            try? Data().write(to: file)
        }
        return response
    }
}
