import Foundation

/// The HTTP plumbing the platform clients share: one GET with the client's headers, the mapping of
/// statuses to `PlatformError`s, and decoding that names the JSON path of whatever is wrong.
/// Keeping it in one place means every platform retries and reports the same way.
package struct PlatformAPI: Sendable {
    /// Which API, for errors ("shopify", "bigcommerce").
    package var platform: String
    /// Headers sent with every request (auth, accept).
    package var headers: [String: String]
    /// How requests reach the platform: curl in production, files or a loopback server otherwise.
    package var transport: any HTTPTransport

    /// Creates an API for a platform; `headers` go with every request and may hold credentials.
    package init(platform: String, headers: [String: String], transport: any HTTPTransport) {
        self.platform = platform
        self.headers = headers
        self.transport = transport
    }

    /// GETs a full URL. Returns nil for 404, the response for any 2xx, and throws a `PlatformError`
    /// for everything else: retryable for no answer, 408, 429 and 5xx, final otherwise.
    package func get(_ url: String) async throws -> TransportResponse? {
        try await send(TransportRequest(method: "GET", url: url, headers: headers))
    }

    /// POSTs `body` (JSON) to a full URL, with the statuses mapped as for `get`: nil for 404, the
    /// response for any 2xx, a `PlatformError` otherwise (Shopify's GraphQL endpoint).
    package func post(_ url: String, json body: [UInt8]) async throws -> TransportResponse? {
        var headers = headers
        headers["Content-Type"] = "application/json"
        return try await send(TransportRequest(method: "POST", url: url, headers: headers, body: body))
    }

    private func send(_ request: TransportRequest) async throws -> TransportResponse? {
        let path = PlatformAPI.pathAndQuery(of: request.url)
        let response: TransportResponse
        do {
            response = try await transport.send(request)
        } catch {
            throw PlatformError(
                platform: platform, path: path, status: nil, reason: "no response: \(error)",
                isRetryable: true)
        }
        switch response.status {
        case 200..<300:
            return response
        case 404:
            return nil
        default:
            let retryable = response.status == 408 || response.status == 429 || response.status >= 500
            throw PlatformError(
                platform: platform, path: path, status: response.status,
                reason: PlatformAPI.summary(of: response.body), isRetryable: retryable)
        }
    }

    /// Decodes a response body, turning a decoding failure into a final `PlatformError` whose reason
    /// names the JSON path (`orders[3].line_items[0].price`).
    package func decode<T: Decodable>(_ type: T.Type, from body: [UInt8], url: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch let error as DecodingError {
            throw PlatformError(
                platform: platform, path: PlatformAPI.pathAndQuery(of: url), status: nil,
                reason: PlatformAPI.describe(error), isRetryable: false)
        }
    }

    /// GETs and decodes; nil for 404 and for an empty 204 answer.
    package func getDecoded<T: Decodable>(_ type: T.Type, _ url: String) async throws -> (T, TransportResponse)? {
        guard let response = try await get(url), !response.body.isEmpty else { return nil }
        return (try decode(T.self, from: response.body, url: url), response)
    }

    /// A decoding error as "missing required field `a.b[0].c`" and the like.
    package static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, let context):
            return "missing required field `\(jsonPath(context.codingPath + [key]))`"
        case .valueNotFound(_, let context):
            return "required field `\(jsonPath(context.codingPath))` is null"
        case .typeMismatch(let type, let context):
            return "wrong type at `\(jsonPath(context.codingPath))`: expected \(type)"
        case .dataCorrupted(let context):
            let path = jsonPath(context.codingPath)
            return path.isEmpty
                ? "response is not valid JSON" : "bad value at `\(path)`: \(context.debugDescription)"
        @unknown default:
            return "undecodable response"
        }
    }

    /// A coding path as a JSON path: keys joined by dots, array positions in brackets.
    package static func jsonPath(_ path: [any CodingKey]) -> String {
        var text = ""
        for key in path {
            if let index = key.intValue, key.stringValue.hasPrefix("Index") || key.stringValue == "\(index)" {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return text
    }

    /// The path and query of a URL, without scheme and host.
    package static func pathAndQuery(of url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let afterScheme = url[schemeEnd.upperBound...]
        guard let slash = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" }) else { return "/" }
        return String(afterScheme[slash...])
    }

    /// The target of the `rel="next"` entry of a `Link` header, if any.
    package static func nextLink(in header: String?) -> String? {
        guard let header else { return nil }
        for entry in header.split(separator: ",") {
            let parts = entry.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count >= 2,
                parts.dropFirst().contains(where: { $0 == "rel=\"next\"" || $0 == "rel=next" }),
                parts[0].hasPrefix("<"), parts[0].hasSuffix(">")
            else { continue }
            return String(parts[0].dropFirst().dropLast())
        }
        return nil
    }

    private static func summary(of body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(200), as: UTF8.self)
            .replacingOccurrences(of: "\n", with: " ")
        return text.isEmpty ? "no body" : text
    }
}

extension PlatformAPI {
    /// An id made safe for one URL path segment or query value: everything but RFC 3986's ASCII
    /// unreserved characters is percent-encoded (`PercentEncoding`), so an id can never add
    /// segments or parameters or climb out of the path.
    package static func pathSegment(_ id: String) -> String {
        PercentEncoding.encode(id)
    }
}
