import Foundation
import TidingsCore

/// What an invocation's bytes turned out to be, told apart by shape alone (no configuration):
/// the wrapper a real wiring puts around a webhook, and the deliveries inside it.
package struct Envelope: Sendable {
    /// The outer shape, which decides the form of the answer.
    package enum Shape: String, Sendable {
        /// A raw webhook body, a recorded delivery or a canonical event: answered with the result JSON.
        case direct
        /// API Gateway HTTP API (v2 or v1 payload) or a Lambda Function URL: answered with an
        /// HTTP-shaped response (`statusCode`, `headers`, `body`).
        case http
        /// An EventBridge event (Shopify's partner event source: `detail.metadata` + `detail.payload`).
        case eventBridge = "eventbridge"
        /// An SQS batch: answered with `batchItemFailures`.
        case sqs
        /// A Google Pub/Sub push request (`message.data`, `message.attributes`).
        case pubSub = "pubsub"
    }

    /// One delivery inside the envelope.
    package struct Item: Sendable {
        /// The SQS message id (what `batchItemFailures` names); nil outside SQS.
        package var messageID: String?
        /// The delivery as the pipeline reads it: raw body bytes and transport headers.
        package var delivery: InboundDelivery
        /// How it arrived, which decides what its signature must prove.
        package var channel: Channel
        /// Set when the envelope around this delivery is itself broken; `delivery` then holds the
        /// bytes that could not be read, for the dead-letter folder.
        package var problem: InputError?
        /// `delivery.body` parsed, or the syntax error found, where this decoder had to parse it to
        /// tell the shape (handed to `EventDecoder.read` so it is not parsed again); nil where it
        /// did not look. An EventBridge payload is handed on as the value it arrived as.
        package var parsed: Result<JSONValue, JSONParser.SyntaxError>?
    }

    /// The outer shape.
    package var shape: Shape
    /// The deliveries, one unless `shape` is `.sqs`.
    package var items: [Item]
}

/// Unwraps envelopes. Strict where an envelope is recognized (a broken one is bad input naming
/// its path), and anything not recognized is passed on whole as a direct delivery, so the event
/// decoder gives its own, precise, verdict.
package struct EnvelopeDecoder: Sendable {
    /// Bytes above this are not inspected as envelopes (the pipeline refuses oversized bodies itself).
    package var maximumEnvelopeBytes: Int

    /// Creates a decoder; the default is Lambda's 6 MB synchronous payload limit.
    package init(maximumEnvelopeBytes: Int = 6 * 1024 * 1024) {
        self.maximumEnvelopeBytes = maximumEnvelopeBytes
    }

    /// Tells the shape apart and unwraps it.
    package func unwrap(_ bytes: [UInt8]) -> Envelope {
        func direct(_ parsed: Result<JSONValue, JSONParser.SyntaxError>?) -> Envelope {
            Envelope(
                shape: .direct,
                items: [Envelope.Item(delivery: InboundDelivery(body: bytes), channel: .headers, parsed: parsed)])
        }
        guard bytes.count <= maximumEnvelopeBytes, bytes.first(where: { !Self.isSpace($0) }) == UInt8(ascii: "{")
        else { return direct(nil) }
        let parsed = Self.parse(bytes)
        guard case .success(.object(let root)) = parsed else { return direct(parsed) }

        if case .array(let records)? = root["Records"], case .object(let first)? = records.first,
            first["eventSource"] == .string("aws:sqs")
        {
            return Envelope(shape: .sqs, items: records.enumerated().map { sqsRecord($1, index: $0) })
        }
        // A scheduled event (winBack's scan) is the delivery itself, not an envelope around `detail`.
        if root["detail-type"] != nil, root["source"] != nil, !WinBackEventDecoder.isScheduledEvent(root),
            case .object(let detail)? = root["detail"]
        {
            return Envelope(
                shape: .eventBridge,
                items: [eventBridge(detail, bytes: bytes, document: .object(root), path: "$.detail")])
        }
        if case .object(let context)? = root["requestContext"],
            context["http"] != nil || root["httpMethod"] != nil
        {
            return Envelope(shape: .http, items: [httpRequest(root, bytes: bytes, document: .object(root))])
        }
        if case .object(let message)? = root["message"], message["data"] != nil || message["attributes"] != nil,
            root["subscription"] != nil
        {
            return Envelope(shape: .pubSub, items: [pubSubMessage(message, bytes: bytes, document: .object(root))])
        }
        return direct(parsed)
    }

    /// API Gateway v2 / Function URL (v1 too): headers (names lower-cased by `InboundDelivery`), the body
    /// as the exact bytes that arrived, base64-decoded when `isBase64Encoded`.
    /// (In these helpers `bytes` is the whole envelope, kept for the dead-letter folder when it is
    /// broken, and `document` the same bytes already parsed.)
    func httpRequest(_ request: [String: JSONValue], bytes: [UInt8], document: JSONValue) -> Envelope.Item {
        do throws(InputError) {
            let headers = try Self.stringMap(request["headers"], path: "$.headers")
            let body = try Self.body(
                request["body"], base64: request["isBase64Encoded"] == .bool(true), path: "$.body")
            return Envelope.Item(delivery: InboundDelivery(body: body, headers: headers), channel: .http)
        } catch {
            return Envelope.Item(
                delivery: InboundDelivery(body: bytes), channel: .http, problem: error, parsed: .success(document))
        }
    }

    /// EventBridge: Shopify's partner source puts the webhook headers in `detail.metadata` and the
    /// body, as a JSON object, in `detail.payload`. Any other detail is the delivery itself.
    func eventBridge(_ detail: [String: JSONValue], bytes: [UInt8], document: JSONValue, path: String)
        -> Envelope.Item
    {
        // The body bytes are encoded from the value for the dead-letter folder and the fallback
        // event id (EventBridge re-encoded the webhook; its bytes are gone); the value itself is
        // handed on, never parsed back.
        guard let payload = detail["payload"], detail["metadata"] != nil else {
            return Envelope.Item(
                delivery: InboundDelivery(body: Self.encode(.object(detail))), channel: .authenticated,
                parsed: .success(.object(detail)))
        }
        do throws(InputError) {
            let headers = try Self.stringMap(detail["metadata"], path: path + ".metadata")
            guard case .object = payload else {
                throw InputError(
                    .invalidField, path: path + ".payload", reason: "expected the webhook body as an object")
            }
            return Envelope.Item(
                delivery: InboundDelivery(body: Self.encode(payload), headers: headers), channel: .authenticated,
                parsed: .success(payload))
        } catch {
            return Envelope.Item(
                delivery: InboundDelivery(body: bytes), channel: .authenticated, problem: error,
                parsed: .success(document))
        }
    }

    /// One SQS record: its body is an EventBridge event, or a webhook body whose headers the HTTP
    /// route copied into message attributes, or any direct delivery.
    func sqsRecord(_ value: JSONValue, index: Int) -> Envelope.Item {
        let path = "$.Records[\(index)]"
        // What a broken record leaves in the dead-letter folder: the record, less the secret a
        // BigCommerce request carried in its attributes (secrets are never stored).
        let fallback = Array(Self.encode(Self.redactingSecrets(value)))
        guard case .object(let record) = value else {
            return Envelope.Item(
                delivery: InboundDelivery(body: fallback), channel: .headers,
                problem: InputError(.invalidField, path: path, reason: "expected an SQS record object"))
        }
        let messageID: String?
        if case .string(let id)? = record["messageId"] { messageID = id } else { messageID = nil }
        guard case .string(let text)? = record["body"] else {
            return Envelope.Item(
                messageID: messageID, delivery: InboundDelivery(body: fallback), channel: .headers,
                problem: InputError(.missingField, path: path + ".body", reason: "an SQS record needs a string body"))
        }
        let body = Array(text.utf8)
        var headers: [String: String] = [:]
        if case .object(let attributes)? = record["messageAttributes"] {
            for (name, attribute) in attributes {
                if case .object(let fields) = attribute, case .string(let value)? = fields["stringValue"] {
                    headers[name] = value
                }
            }
        }
        let channel: Channel = headers[WebhookTrust.channelAttribute] == "http" ? .http : .headers
        headers[WebhookTrust.channelAttribute] = nil
        var parsed: Result<JSONValue, JSONParser.SyntaxError>?
        if headers.isEmpty, body.first(where: { !Self.isSpace($0) }) == UInt8(ascii: "{") {
            parsed = Self.parse(body)
            if case .success(.object(let event)) = parsed, event["detail-type"] != nil,
                case .object(let detail)? = event["detail"]
            {
                var item = eventBridge(detail, bytes: body, document: .object(event), path: path + ".body.detail")
                item.messageID = messageID
                return item
            }
        }
        return Envelope.Item(
            messageID: messageID, delivery: InboundDelivery(body: body, headers: headers), channel: channel,
            parsed: parsed)
    }

    /// Pub/Sub push: `message.data` is the base64 body, `message.attributes` the headers.
    func pubSubMessage(_ message: [String: JSONValue], bytes: [UInt8], document: JSONValue) -> Envelope.Item {
        do throws(InputError) {
            let headers = try Self.stringMap(message["attributes"], path: "$.message.attributes")
            let body = try Self.body(message["data"], base64: true, path: "$.message.data")
            let id: String?
            if case .string(let value)? = message["messageId"] { id = value } else { id = nil }
            var delivery = InboundDelivery(body: body, headers: headers)
            if delivery.headers["x-tidings-event-id"] == nil, let id {
                // Pub/Sub redelivers with the same messageId: a canonical event without its own id
                // is deduplicated by it.
                delivery.headers["x-tidings-event-id"] = "pubsub:" + id
            }
            // Pub/Sub authenticated the publisher (Shopify's service account) and the push
            // subscription authenticates itself to the endpoint (OIDC): nothing is left to sign.
            return Envelope.Item(delivery: delivery, channel: .authenticated)
        } catch {
            return Envelope.Item(
                delivery: InboundDelivery(body: bytes), channel: .authenticated, problem: error,
                parsed: .success(document))
        }
    }

    static func stringMap(_ value: JSONValue?, path: String) throws(InputError) -> [String: String] {
        switch value {
        case nil, .null?: return [:]
        case .object(let members)?:
            var map: [String: String] = [:]
            for (name, member) in members {
                guard case .string(let text) = member else {
                    throw InputError(.invalidField, path: "\(path).\(name)", reason: "expected a string")
                }
                map[name] = text
            }
            return map
        default:
            throw InputError(.invalidField, path: path, reason: "expected an object of strings")
        }
    }

    static func body(_ value: JSONValue?, base64: Bool, path: String) throws(InputError) -> [UInt8] {
        guard case .string(let text)? = value else {
            throw InputError(.missingField, path: path, reason: "expected the body as a string")
        }
        guard base64 else { return Array(text.utf8) }
        guard let data = Data(base64Encoded: text) else {
            throw InputError(.invalidField, path: path, reason: "not valid base64")
        }
        return Array(data)
    }

    /// An SQS record with the value of any secret-bearing message attribute replaced.
    static func redactingSecrets(_ record: JSONValue) -> JSONValue {
        guard case .object(var members) = record, case .object(var attributes)? = members["messageAttributes"]
        else { return record }
        for (name, attribute) in attributes where name.lowercased() == WebhookTrust.bigCommerceHeader {
            if case .object(var fields) = attribute {
                fields["stringValue"] = .string("[redacted]")
                attributes[name] = .object(fields)
            }
        }
        members["messageAttributes"] = .object(attributes)
        return .object(members)
    }

    /// The bytes parsed, or the syntax error, kept either way for `EventDecoder.read`.
    static func parse(_ bytes: [UInt8]) -> Result<JSONValue, JSONParser.SyntaxError> {
        do throws(JSONParser.SyntaxError) {
            return .success(try JSONParser.parse(bytes))
        } catch {
            return .failure(error)
        }
    }

    static func encode(_ value: JSONValue) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(value)) ?? Data())
    }

    static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }
}
