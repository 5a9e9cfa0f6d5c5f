import Foundation
import Synchronization

/// An `HTTPTransport` that answers GET requests from files under a root folder: the recorded shop.
/// The production API clients run over it unchanged, so every offline run exercises their decoding.
///
/// Mapping (see `relativePath(for:)` and Events/shop/README.md): the scheme and host are dropped,
/// the path is kept, a trailing `.json` is removed, the query (if any) is appended as `__` plus
/// its parameters percent-decoded, sorted and joined by `&` with every character outside
/// `A-Z a-z 0-9 . _ - = & ,` replaced by `_`, and `.json` is added:
/// `/v3/customers?id:in=11` -> `v3/customers__id_in=11.json`,
/// `/admin/api/2026-07/customers/1/orders.json?status=any&limit=250` ->
/// `admin/api/2026-07/customers/1/orders__limit=250&status=any.json`.
///
/// A sidecar `<file>.head.json` (`{"status": 200, "headers": {"link": "..."}}`) can set the status
/// and headers of a recorded response, for paginated lists. Other methods get 405; an unknown file
/// gets 404 with `notFoundBody`. Files are read once and kept in memory: a handler process usually
/// answers one event, and the catalog must not be read twice. A scan over a whole customer base
/// passes `cachesResponses: false`, so that memory does not grow with the pages it reads.
package struct FileTransport: HTTPTransport {
    /// The folder the request paths are resolved against.
    package let root: String
    /// The JSON body of a 404, shaped like the platform's own.
    package let notFoundBody: [UInt8]
    private let cache: Cache?

    /// Shopify's 404 body.
    package static let shopifyNotFound = #"{"errors":"Not Found"}"#
    /// BigCommerce's V3 404 body.
    package static let bigCommerceNotFound =
        #"{"status":404,"title":"The requested resource was not found.","type":"https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes"}"#

    /// A transport over `root`; `notFoundBody` is what a request for a missing file receives;
    /// `cachesResponses` keeps every file read in memory (off for streaming scans).
    package init(root: String, notFoundBody: String = FileTransport.shopifyNotFound, cachesResponses: Bool = true) {
        self.root = root.hasSuffix("/") ? String(root.dropLast()) : root
        self.notFoundBody = Array(notFoundBody.utf8)
        self.cache = cachesResponses ? Cache() : nil
    }

    /// Answers a GET from its file, or 404 when there is none; other methods get 405. Never throws.
    package func send(_ request: TransportRequest) async throws -> TransportResponse {
        guard request.method == "GET" else {
            return TransportResponse(
                status: 405, headers: ["content-type": "application/json", "allow": "GET"],
                body: Array(#"{"errors":"Method Not Allowed"}"#.utf8))
        }
        guard let relative = FileTransport.relativePath(for: request.url) else {
            return notFound
        }
        guard let cache else { return load(relative) }
        if let cached = cache.responses.withLock({ $0[relative] }) {
            return cached
        }
        let response = load(relative)
        cache.responses.withLock { $0[relative] = response }
        return response
    }

    /// The file, relative to the root, that answers a URL; nil when the URL cannot name a file
    /// inside the root (a `..` segment, an empty path).
    package static func relativePath(for url: String) -> String? {
        var rest = Substring(PlatformAPI.pathAndQuery(of: url))
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        var query: Substring = ""
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        let segments = rest.split(separator: "/")
        guard !segments.isEmpty, !segments.contains(where: { $0 == ".." || $0 == "." }) else { return nil }
        var path = segments.joined(separator: "/")
        if path.hasSuffix(".json") { path.removeLast(5) }
        let parameters = query.split(separator: "&").map { part in
            String(part).removingPercentEncoding ?? String(part)
        }
        if !parameters.isEmpty {
            path += "__" + sanitized(parameters.sorted().joined(separator: "&"))
        }
        return path + ".json"
    }

    private static func sanitized(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "A"..."Z", "a"..."z", "0"..."9", ".", "_", "-", "=", "&", ",":
                result.unicodeScalars.append(scalar)
            default: result += "_"
            }
        }
        return result
    }

    private var notFound: TransportResponse {
        TransportResponse(status: 404, headers: ["content-type": "application/json"], body: notFoundBody)
    }

    private func load(_ relative: String) -> TransportResponse {
        let file = root + "/" + relative
        guard let data = FileManager.default.contents(atPath: file) else { return notFound }
        var response = TransportResponse(
            status: 200, headers: ["content-type": "application/json"], body: Array(data))
        if let head = FileManager.default.contents(atPath: file + ".head.json"),
            let sidecar = try? JSONDecoder().decode(Sidecar.self, from: head)
        {
            response.status = sidecar.status ?? 200
            for (name, value) in sidecar.headers ?? [:] {
                response.headers[name.lowercased()] = value
            }
        }
        return response
    }

    private struct Sidecar: Decodable {
        var status: Int?
        var headers: [String: String]?
    }

    // A class so that copies of the transport share one cache.
    private final class Cache: Sendable {
        let responses = Mutex<[String: TransportResponse]>([:])
    }
}
