import Foundation

/// What the hosted writers share: one POST of a JSON body to a provider, the mapping of what came
/// back (a status, a transport failure, a body that is not JSON) to `ModelError` codes, and the
/// scrubbing of the key from everything an error or the audit keeps. The three providers differ
/// only in their request and answer shapes, which their writers build and read.
struct ModelCall: Sendable {
    /// The writer's `name`, for errors.
    var model: String
    /// The transport the request goes through (libcurl with retries in production).
    var transport: any HTTPTransport
    /// The API key, scrubbed from error messages and kept bodies; nil for keyless servers.
    var key: Secret?

    /// The longest provider message an error quotes, in characters.
    static let messageLimit = 300

    /// What a 2xx answer gave: the parsed body and the bytes exchanged.
    struct Reply {
        /// The body, as an object.
        var document: JSONObjectReader
        /// The request and response bodies (key scrubbed).
        var exchange: ModelExchange
        /// HTTP attempts, as the transport reports them (1 when it does not).
        var attempts: Int
    }

    /// The body bytes the writers send: keys sorted so that one prompt always gives the same bytes
    /// (the audit stores them content-addressed), slashes unescaped.
    static func encode(_ body: JSONValue) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(body)) ?? Data())
    }

    /// POSTs `body` to `url` with `headers` (plus `content-type` and `accept`). Returns the parsed
    /// 2xx body; throws `ModelError`: `.unreachable` when no response came, `.unauthorized` for
    /// 401/403, `.upstreamStatus` for any other non-2xx (retryable for 408, 409, 429 and 5xx unless
    /// the provider says `x-should-retry: false`), `.malformedAnswer` for a 2xx that is not a JSON
    /// object.
    func post(_ url: String, headers: [String: String], body: JSONValue) async throws(ModelError) -> Reply {
        let requestBytes = Self.encode(body)
        var allHeaders = headers
        allHeaders["content-type"] = "application/json"
        allHeaders["accept"] = "application/json"
        let request = TransportRequest(method: "POST", url: url, headers: allHeaders, body: requestBytes)
        let response: TransportResponse
        var attempts = 1
        do {
            if let counting = transport as? any AttemptCountingTransport {
                (response, attempts) = try await counting.sendCounting(request)
            } else {
                response = try await transport.send(request)
            }
        } catch let error as TransportError {
            throw ModelError(
                model: model, code: error.code == .deadline ? .deadline : .unreachable,
                reason: scrub("\(error)"), isRetryable: error.isRetryable)
        } catch {
            throw ModelError(model: model, code: .unreachable, reason: scrub("\(error)"), isRetryable: true)
        }
        let exchange = ModelExchange(request: requestBytes, response: scrub(response.body))
        var failure: ModelError
        let contentType = response.headers["content-type"] ?? ""
        if !(200..<300).contains(response.status) {
            failure = statusError(response, exchange: exchange)
        } else if !contentType.lowercased().contains("json") {
            failure = ModelError(
                model: model, code: .malformedAnswer,
                reason:
                    "HTTP \(response.status) with content type '\(scrub(String(contentType.prefix(60))))', not JSON",
                isRetryable: false, exchange: exchange)
        } else {
            do {
                let document = try JSONObjectReader(try JSONParser.parse(exchange.response))
                return Reply(document: document, exchange: exchange, attempts: max(1, attempts))
            } catch {
                failure = ModelError(
                    model: model, code: .malformedAnswer,
                    reason: "HTTP \(response.status) body is not a JSON object (\(error))", isRetryable: false,
                    exchange: exchange)
            }
        }
        failure.attempts = max(1, attempts)
        throw failure
    }

    /// The error for a non-2xx response, quoting the provider's `error.message` (OpenAI and
    /// Anthropic both put it there) or the start of the body.
    func statusError(_ response: TransportResponse, exchange: ModelExchange) -> ModelError {
        let status = response.status
        let message = scrub(Self.providerMessage(exchange.response))
        if status == 401 || status == 403 {
            return ModelError(
                model: model, code: .unauthorized, reason: "HTTP \(status): \(message)", isRetryable: false,
                exchange: exchange)
        }
        var retryable = status == 408 || status == 409 || status == 429 || status >= 500
        switch response.headers["x-should-retry"]?.lowercased() {
        case "true": retryable = true
        case "false": retryable = false
        default: break
        }
        return ModelError(
            model: model, code: .upstreamStatus, reason: "HTTP \(status): \(message)", isRetryable: retryable,
            exchange: exchange)
    }

    /// "type: message" from `{"error": {"type", "message"}}`, else the body's first characters.
    static func providerMessage(_ body: [UInt8]) -> String {
        var text: String
        if case .object(let root)? = try? JSONParser.parse(body), case .object(let error)? = root["error"] {
            let type = error["type"]?.stringValue ?? error["code"]?.stringValue
            let message = error["message"]?.stringValue ?? ""
            text = [type, message].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
        } else {
            text = String(decoding: body.prefix(messageLimit * 4), as: UTF8.self)
        }
        text = text.replacingOccurrences(of: "\n", with: " ")
        if text.count > messageLimit { text = String(text.prefix(messageLimit)) + "…" }
        return text.isEmpty ? "no body" : text
    }

    /// The shortest key scrubbed, in bytes. Hosted keys are 40 and more; a shorter "key" is the
    /// placeholder a keyless local server is given (`x`, `ollama`), and replacing every `x` of an
    /// answer would break the draft (it did: `OPENAI_API_KEY=k` turned "blocks" into
    /// "bloc<redacted>s" and every email went to the offline copywriter).
    static let shortestScrubbedKey = 8

    /// The key's bytes when it is long enough to be scrubbed.
    private var scrubbedKey: [UInt8]? {
        guard let key, key.bytes.count >= Self.shortestScrubbedKey else { return nil }
        return key.bytes
    }

    /// `text` with every occurrence of the key replaced by "<redacted>".
    func scrub(_ text: String) -> String {
        guard let key = scrubbedKey else { return text }
        return text.replacingOccurrences(of: String(decoding: key, as: UTF8.self), with: "<redacted>")
    }

    /// `bytes` with every occurrence of the key replaced by "<redacted>" (a provider or proxy that
    /// echoes the key must not put it into the audit).
    func scrub(_ bytes: [UInt8]) -> [UInt8] {
        guard let needle = scrubbedKey, bytes.count >= needle.count else { return bytes }
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == needle[0], index + needle.count <= bytes.count,
                bytes[index..<index + needle.count].elementsEqual(needle)
            {
                result.append(contentsOf: Array("<redacted>".utf8))
                index += needle.count
            } else {
                result.append(bytes[index])
                index += 1
            }
        }
        return result
    }

    /// A final answer-shape error: the 2xx body lacked what the provider documents.
    func malformed(_ reason: String, _ reply: Reply, usage: TokenUsage? = nil) -> ModelError {
        var error = ModelError(
            model: model, code: .malformedAnswer, reason: reason, isRetryable: false, exchange: reply.exchange,
            usage: usage)
        error.attempts = reply.attempts
        return error
    }
}

extension JSONObjectReader {
    /// A token count: an integer, 0 when absent.
    func tokens(_ key: String) -> Int {
        if case .int(let count)? = value(key) { return max(0, count) }
        return 0
    }
}
