import CCurl
import Foundation
import Synchronization
import TidingsCore

/// One request on its easy handle, from set-up to the resumed continuation. Its mutable state is
/// touched by the loop thread only (the callbacks run there), except `cancelled`, which is atomic,
/// and `continuation`, which the sender sets before handing the transfer to the loop.
final class CurlTransfer: @unchecked Sendable {
    let easy: UnsafeMutableRawPointer
    let host: String
    let limit: Int
    let cancelled = Atomic<Bool>(false)
    var continuation: CheckedContinuation<TransportResponse, any Error>?
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private var body: [UInt8] = []
    private var headers: [String: String] = [:]
    private var headerBytes = 0
    private var tooLarge = false
    /// Where the body goes instead of memory (`CurlTransport.download`); nil keeps it in `body`.
    var sink: FileHandle?
    private var sunk = 0
    private var closed = false

    /// Sets up the easy handle. Throws `.other` naming the header when a header name or value
    /// holds a line break (the value itself is never quoted: it may be a key).
    init(
        _ request: TransportRequest, host: String, limit: Int, connectTimeout: TimeInterval,
        totalTimeout: TimeInterval
    ) throws {
        // Bytes, not Characters: "\r\n" is one Character, equal to neither "\r" nor "\n".
        for (name, value) in request.headers
        where name.isEmpty || name.utf8.contains(where: { $0 == 13 || $0 == 10 || $0 == 58 })
            || value.utf8.contains(where: { $0 == 13 || $0 == 10 })
        {
            throw TransportError(.other, host: host, detail: "request header \"\(name)\" is malformed")
        }
        guard let easy = ccurl_easy_init() else {
            throw TransportError(.other, host: host, detail: "curl_easy_init failed")
        }
        self.easy = easy
        self.host = host
        self.limit = limit

        ccurl_easy_setopt_string(easy, CURLOPT_URL, request.url)
        ccurl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        ccurl_easy_allow_only_http(easy)
        // Verification is libcurl's default; set it anyway so no other default can turn it off.
        ccurl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 1)
        ccurl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 2)
        ccurl_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(connectTimeout))
        ccurl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, Self.milliseconds(totalTimeout))
        ccurl_easy_setopt_off_t(easy, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(limit))
        let user = Unmanaged.passUnretained(self).toOpaque()
        ccurl_easy_setopt_callback(easy, CURLOPT_WRITEFUNCTION, curlWriteBody)
        ccurl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, user)
        ccurl_easy_setopt_callback(easy, CURLOPT_HEADERFUNCTION, curlWriteHeader)
        ccurl_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, user)

        // "Expect:" stops libcurl's 100-continue round trip on large bodies.
        var list: UnsafeMutablePointer<curl_slist>? = ccurl_slist_append(nil, "Expect:")
        for (name, value) in request.headers.sorted(by: { $0.key < $1.key }) {
            // libcurl sends "Name;" as a header with an empty value ("Name:" would remove it).
            list = ccurl_slist_append(list, value.isEmpty ? "\(name);" : "\(name): \(value)")
        }
        headerList = list
        ccurl_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, list)

        switch request.method {
        case "GET" where request.body.isEmpty:
            ccurl_easy_setopt_long(easy, CURLOPT_HTTPGET, 1)
        case "HEAD":
            ccurl_easy_setopt_long(easy, CURLOPT_NOBODY, 1)
        default:
            ccurl_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count))
            // COPYPOSTFIELDS copies the bytes, so the request's array need not outlive this call.
            request.body.withUnsafeBytes { bytes in
                let pointer = bytes.baseAddress ?? UnsafeRawPointer(("" as StaticString).utf8Start)
                _ = ccurl_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: pointer))
            }
            if request.method != "POST" {
                ccurl_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, request.method)
            }
        }
    }

    deinit {
        close()
    }

    /// Frees the easy handle and the header list. The loop calls it on its thread once the
    /// transfer is out of the multi handle (cleaning up touches the shared caches); deinit only
    /// covers a transfer the loop never saw.
    func close() {
        guard !closed else { return }
        closed = true
        ccurl_slist_free_all(headerList)
        ccurl_easy_cleanup(easy)
    }

    /// Resumes the sender with the response, or with the error `result` maps to.
    func finish(_ result: CURLcode) {
        guard let continuation else { return }
        self.continuation = nil
        guard result == CURLE_OK else {
            let code = CurlTransport.code(for: result, tooLarge: tooLarge)
            let detail =
                code == .responseTooLarge
                ? "the response passed the \(limit)-byte bound"
                : "curl error \(result.rawValue): \(String(cString: ccurl_easy_strerror(result)))"
            continuation.resume(throwing: TransportError(code, host: host, detail: detail))
            return
        }
        var status = 0
        ccurl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        continuation.resume(returning: TransportResponse(status: status, headers: headers, body: body))
    }

    /// Resumes the sender with `error` (cancellation, a failed hand-over to the multi handle).
    func fail(_ error: TransportError) {
        guard let continuation else { return }
        self.continuation = nil
        continuation.resume(throwing: error)
    }

    /// The write callback's work: keeps the bytes, or refuses them past the bound.
    fileprivate func appendBody(_ bytes: UnsafeRawBufferPointer) -> Int {
        if let sink {
            guard sunk + bytes.count <= limit else {
                tooLarge = true
                return 0
            }
            do {
                try sink.write(contentsOf: Data(bytes))
            } catch {
                return 0  // a write error: libcurl ends the transfer with CURLE_WRITE_ERROR
            }
            sunk += bytes.count
            return bytes.count
        }
        guard body.count + bytes.count <= limit else {
            tooLarge = true
            return 0
        }
        body.append(contentsOf: bytes)
        return bytes.count
    }

    /// The header callback's work: one line per call. A status line starts a new response (after
    /// a 100 Continue or a proxy's CONNECT answer), so it clears what came before.
    fileprivate func appendHeader(_ bytes: UnsafeRawBufferPointer) -> Int {
        headerBytes += bytes.count
        guard headerBytes <= limit else {
            tooLarge = true
            return 0
        }
        let line = String(decoding: bytes, as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            headers = [:]
        } else if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
            if !name.isEmpty {
                headers[name] = headers[name].map { "\($0), \(value)" } ?? value
            }
        }
        return bytes.count
    }

    private static func milliseconds(_ seconds: TimeInterval) -> Int {
        max(1, Int((seconds * 1000).rounded(.up)))
    }
}

private let curlWriteBody: ccurl_data_callback = { data, size, count, user in
    guard let user else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(user).takeUnretainedValue()
    return transfer.appendBody(UnsafeRawBufferPointer(start: data, count: size * count))
}

private let curlWriteHeader: ccurl_data_callback = { data, size, count, user in
    guard let user else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(user).takeUnretainedValue()
    return transfer.appendHeader(UnsafeRawBufferPointer(start: data, count: size * count))
}
