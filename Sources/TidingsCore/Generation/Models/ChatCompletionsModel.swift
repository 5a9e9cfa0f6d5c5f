/// Any OpenAI-compatible server (Ollama, vLLM, llama.cpp's server, LM Studio, OpenAI itself) as a
/// draft writer, through Chat Completions (`POST {base}/chat/completions`): the system message
/// first, the per-event user text last, `response_format` json_schema with `strict: true`. A
/// server that ignores the schema is still held to it by `DraftDecoder` and the validator.
package struct ChatCompletionsModel: LanguageModel {
    /// The server's OpenAI-style base URL (`http://localhost:11434/v1`), without a trailing slash.
    package var baseURL: String
    /// The model id sent ("llama3.1:8b").
    package var model: String
    /// The API key, sent as `Authorization: Bearer` when set (local servers often need none).
    package var key: Secret?
    /// `max_completion_tokens`: the longest answer paid for.
    package var maxOutputTokens: Int
    /// How requests reach the server.
    package var transport: any HTTPTransport

    /// Creates the writer; `baseURL` may end in a slash.
    package init(
        baseURL: String, model: String, key: Secret? = nil, maxOutputTokens: Int = 2048,
        transport: any HTTPTransport
    ) {
        self.baseURL = ModelEndpoint.trimmed(baseURL)
        self.model = model
        self.key = key
        self.maxOutputTokens = maxOutputTokens
        self.transport = transport
    }

    /// "openai-compatible:<model>".
    package var name: String { "openai-compatible:\(model)" }

    /// The request body for a draft request (checked by the fake against
    /// `CreateChatCompletionRequest`).
    package func body(for request: DraftRequest) -> JSONValue {
        let prompt = request.prompt
        var messages: [JSONValue] = [
            ["role": "system", "content": .string(prompt.system)],
            ["role": "user", "content": .string(prompt.user)],
        ]
        if let repair = request.repair {
            messages.append(["role": "assistant", "content": .string(repair.previousAnswer)])
            messages.append(["role": "user", "content": .string(ModelEndpoint.repairText(repair))])
        }
        return [
            "model": .string(model),
            "messages": .array(messages),
            "response_format": [
                "type": "json_schema",
                "json_schema": [
                    "name": .string(ModelEndpoint.schemaName(prompt)),
                    "schema": StructuredOutputSchema.derive(prompt.outputSchema, for: .openAI), "strict": true,
                ],
            ],
            "max_completion_tokens": .int(maxOutputTokens),
            "stream": false,
        ]
    }

    /// Sends the request and reads `choices[0]`: `message.content` when `finish_reason` is `stop`;
    /// `message.refusal` is `.refused`; `length` and `content_filter` are `.incomplete`.
    package func respond(to request: DraftRequest) async throws -> ModelAnswer {
        var headers: [String: String] = [:]
        if let key { headers["authorization"] = "Bearer " + String(decoding: key.bytes, as: UTF8.self) }
        let call = ModelCall(model: name, transport: transport, key: key)
        let reply = try await call.post(baseURL + "/chat/completions", headers: headers, body: body(for: request))
        return try decode(reply, call: call)
    }

    func decode(_ reply: ModelCall.Reply, call: ModelCall) throws(ModelError) -> ModelAnswer {
        let root = reply.document
        var usage: TokenUsage?
        if case .object(let members)? = root.value("usage") {
            let reader = JSONObjectReader(members)
            var cached = 0
            if case .object(let details)? = reader.value("prompt_tokens_details") {
                cached = JSONObjectReader(details).tokens("cached_tokens")
            }
            usage = TokenUsage(
                input: max(0, reader.tokens("prompt_tokens") - cached), cachedInput: cached,
                output: reader.tokens("completion_tokens"))
        }
        guard let choice = ((try? root.objects("choices")) ?? []).first else {
            throw call.malformed("answer has no choices", reply, usage: usage)
        }
        guard let message = try? choice.optionalObject("message") else {
            throw call.malformed("choices[0] has no message", reply, usage: usage)
        }
        if let refusal = message.value("refusal")?.stringValue, !refusal.isEmpty {
            throw ModelError(
                model: name, code: .refused, reason: "refusal: \(String(refusal.prefix(200)))", isRetryable: false,
                exchange: reply.exchange, usage: usage)
        }
        let finish = choice.value("finish_reason")?.stringValue ?? ""
        switch finish {
        case "stop", "":
            break
        case "length", "content_filter":
            throw ModelError(
                model: name, code: .incomplete, reason: "finish_reason \(finish)", isRetryable: false,
                exchange: reply.exchange, usage: usage)
        default:
            throw call.malformed("finish_reason '\(finish.prefix(40))' is not stop", reply, usage: usage)
        }
        guard let text = message.value("content")?.stringValue, !text.isEmpty else {
            throw call.malformed("choices[0].message has no content", reply, usage: usage)
        }
        return ModelAnswer(
            text: text, servedBy: root.value("model")?.stringValue, usage: usage, exchange: reply.exchange,
            attempts: reply.attempts)
    }
}
