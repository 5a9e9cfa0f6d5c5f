import Foundation
import TidingsCore

/// An HTTP request as API Gateway (HTTP API v2 or REST v1 payloads) or a Lambda function URL hands
/// it to a function: the method, the decoded query, the headers and the body. The webhook handlers
/// need only headers and body (`Envelope.Item`); the unsubscribe endpoint needs the method and the
/// query as well.
package struct HTTPRequestEnvelope: Sendable {
    /// The method, upper-cased.
    package var method: String
    /// The request path ("/", "/feedback/ses"): `rawPath` (v2, function URLs), else
    /// `requestContext.http.path`, else `path` (v1); "/" when none is given.
    package var path: String = "/"
    /// The query parameters, decoded; the first of a repeated name.
    package var query: [String: String]
    /// The headers, names lower-cased.
    package var headers: [String: String]
    /// The body's exact bytes (base64-decoded when `isBase64Encoded`).
    package var body: [UInt8]

    /// A request from its parts (a server that took it apart itself); header names are lower-cased here.
    package init(method: String, path: String, query: [String: String], headers: [String: String], body: [UInt8]) {
        self.method = method.uppercased()
        self.path = path.isEmpty ? "/" : path
        self.query = query
        self.headers = Dictionary(
            headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        self.body = body
    }

    /// The request inside `bytes`. Throws `InputError` naming the path when `bytes` is not such an
    /// envelope or a part of it is malformed.
    package static func decode(_ bytes: [UInt8]) throws(InputError) -> HTTPRequestEnvelope {
        let parsed: JSONValue
        do throws(JSONParser.SyntaxError) {
            parsed = try JSONParser.parse(bytes)
        } catch {
            throw InputError(.invalidField, path: "$", reason: "not JSON: \(error)")
        }
        guard let root = parsed.objectValue else {
            throw InputError(.invalidField, path: "$", reason: "expected an HTTP request envelope object")
        }
        let method: String
        if case .object(let context)? = root["requestContext"], case .object(let http)? = context["http"],
            case .string(let value)? = http["method"]
        {
            method = value  // v2 and function URLs
        } else if case .string(let value)? = root["httpMethod"] {
            method = value  // v1
        } else {
            throw InputError(
                .missingField, path: "$.requestContext.http.method",
                reason: "expected an API Gateway or function URL HTTP request")
        }
        var query: [String: String]
        if case .string(let raw)? = root["rawQueryString"] {
            guard let fields = PercentEncoding.formFields(Substring(raw)) else {
                throw InputError(.invalidField, path: "$.rawQueryString", reason: "not a valid query string")
            }
            query = fields
        } else {
            query = try EnvelopeDecoder.stringMap(root["queryStringParameters"], path: "$.queryStringParameters")
        }
        let headers = try EnvelopeDecoder.stringMap(root["headers"], path: "$.headers")
        let body: [UInt8]
        switch root["body"] {
        case nil, .null?: body = []
        default:
            body = try EnvelopeDecoder.body(
                root["body"], base64: root["isBase64Encoded"] == .bool(true), path: "$.body")
        }
        query = query.filter { !$0.key.isEmpty }
        var path = "/"
        if case .string(let raw)? = root["rawPath"] {
            path = raw
        } else if case .object(let context)? = root["requestContext"], case .object(let http)? = context["http"],
            case .string(let raw)? = http["path"]
        {
            path = raw
        } else if case .string(let raw)? = root["path"] {
            path = raw
        }
        return HTTPRequestEnvelope(
            method: method.uppercased(), path: path.isEmpty ? "/" : path, query: query,
            headers: Dictionary(
                headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first }),
            body: body)
    }
}
