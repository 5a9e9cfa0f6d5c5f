import Crypto
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
/// `admin/api/2026-07/customers/1/orders__limit=250&status=any.json`. A path ending in `.jsonl`
/// (a bulk export's result) with no query names its file as it is.
///
/// A sidecar `<file>.head.json` (`{"status": 200, "headers": {"link": "..."}}`) can set the status
/// and headers of a recorded response, for paginated lists.
///
/// A POST to a path ending in `/graphql.json` is a GraphQL request, answered as if it were
/// `GET <path>/<operationName>?<variables>` (`graphQLPath(endpoint:operationName:variables:)`):
/// `POST .../admin/api/2026-04/graphql.json` with `TidingsCustomer` and
/// `{"id": "gid://shopify/Customer/1"}` reads
/// `admin/api/2026-04/graphql/TidingsCustomer__id=gid___shopify_Customer_1.json`. Variables with no
/// file of their own get the operation's `<operationName>.json` (the recorded shop's answer for an
/// unknown id: `{"data": {"customer": null}}`). The request's `query` must equal the recorded
/// `<operationName>.graphql`: a client whose document changed is told to regenerate the recording
/// instead of being answered for another selection. Other methods get 405; an unknown file gets
/// 404 with `notFoundBody`. Files are read once and kept in memory: a handler process usually
/// answers one event, and the catalog must not be read twice. A scan over a whole customer base
/// passes `cachesResponses: false`, so that memory does not grow with the pages it reads.
package struct FileTransport: HTTPFileDownloading {
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

    /// Answers a GET from its file, or 404 when there is none, and a GraphQL POST from its
    /// operation's files; other methods get 405. Never throws.
    package func send(_ request: TransportRequest) async throws -> TransportResponse {
        if request.method == "POST", PlatformAPI.pathAndQuery(of: request.url).hasSuffix("/graphql.json") {
            return graphQL(request)
        }
        guard request.method == "GET" else {
            return TransportResponse(
                status: 405, headers: ["content-type": "application/json", "allow": "GET"],
                body: Array(#"{"errors":"Method Not Allowed"}"#.utf8))
        }
        guard let relative = FileTransport.relativePath(for: request.url) else {
            return notFound
        }
        return cached(relative)
    }

    /// Copies the file that answers a GET to `file` without holding it in memory (a bulk
    /// export's JSONL of any size); a missing file answers 404 in memory, as `send` does.
    package func download(_ request: TransportRequest, to file: URL) async throws -> TransportResponse {
        guard request.method == "GET", let relative = FileTransport.relativePath(for: request.url) else {
            return try await send(request)
        }
        let source = root + "/" + relative
        guard FileManager.default.fileExists(atPath: source) else { return notFound }
        try? FileManager.default.removeItem(at: file)
        do {
            try FileManager.default.copyItem(atPath: source, toPath: file.path)
        } catch {
            throw TransportError(.other, host: "recorded shop", detail: "copying \(relative): \(error)")
        }
        return TransportResponse(status: 200, headers: ["content-type": "application/jsonl"], body: [])
    }

    /// The file, relative to the root, that answers a GraphQL request to `endpoint` for the
    /// operation and variables: `<path>/<operationName>__<variables>.json`, the variables mapped as
    /// a query's parameters (`name=value`, sorted); a string longer than 64 characters, an object
    /// or an array is named by `sha256-` and the first 16 hex digits of its JSON (sorted keys), so
    /// that a bulk query document makes a short name. No variables: `<path>/<operationName>.json`.
    /// Nil when the endpoint or the operation name cannot name a file inside the root.
    package static func graphQLPath(endpoint: String, operationName: String, variables: [String: JSONValue])
        -> String?
    {
        guard !operationName.isEmpty, sanitized(operationName) == operationName,
            let folder = relativePath(for: endpoint)
        else { return nil }
        let base = String(folder.dropLast(5)) + "/" + operationName
        guard !variables.isEmpty else { return base + ".json" }
        let parameters = variables.keys.sorted().map { name in
            name + "=" + variableText(variables[name] ?? .null)
        }
        return base + "__" + sanitized(parameters.joined(separator: "&")) + ".json"
    }

    private static func variableText(_ value: JSONValue) -> String {
        switch value {
        case .string(let text) where text.count <= 64: return text
        case .int(let number): return String(number)
        case .bool(let flag): return flag ? "true" : "false"
        case .null: return "null"
        default:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let json = (try? encoder.encode(value)) ?? Data()
            return "sha256-" + Hex.encode(Array(SHA256.hash(data: json)).prefix(8))
        }
    }

    private func graphQL(_ request: TransportRequest) -> TransportResponse {
        struct Body: Decodable {
            var operationName: String?
            var query: String?
            var variables: [String: JSONValue]?
        }
        guard let body = try? JSONDecoder().decode(Body.self, from: Data(request.body)),
            let name = body.operationName, let query = body.query
        else {
            return TransportResponse(
                status: 400, headers: ["content-type": "application/json"],
                body: Array(#"{"errors":{"query":"Required parameter missing or invalid"}}"#.utf8))
        }
        let variables = body.variables ?? [:]
        guard let generic = FileTransport.graphQLPath(endpoint: request.url, operationName: name, variables: [:]),
            let specific = FileTransport.graphQLPath(endpoint: request.url, operationName: name, variables: variables)
        else {
            return FileTransport.graphQLError("the operation name \"\(name)\" cannot name a recorded file")
        }
        let document = cached(String(generic.dropLast(5)) + ".graphql")
        guard document.status == 200 else {
            return FileTransport.graphQLError("the recorded shop has no operation \(name)")
        }
        guard document.body == Array(query.utf8) else {
            return FileTransport.graphQLError(
                "the recorded shop answers another \(name) document than this one: regenerate it (Events/shop/README.md)"
            )
        }
        for path in specific == generic ? [generic] : [specific, generic] {
            let answer = cached(path)
            if answer.status == 200 { return answer }
        }
        return FileTransport.graphQLError("the recorded shop has no answer to \(name) for these variables")
    }

    /// HTTP 200 with one GraphQL error coded `NOT_RECORDED`, as Shopify reports a request it refuses.
    private static func graphQLError(_ message: String) -> TransportResponse {
        let body: JSONValue = .object([
            "errors": .array([.object(["message": .string(message), "extensions": .object(["code": "NOT_RECORDED"])])])
        ])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return TransportResponse(
            status: 200, headers: ["content-type": "application/json"],
            body: Array((try? encoder.encode(body)) ?? Data()))
    }

    private func cached(_ relative: String) -> TransportResponse {
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
        // A bulk export's result is served as the file it names.
        if path.hasSuffix(".jsonl"), query.isEmpty { return path }
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
