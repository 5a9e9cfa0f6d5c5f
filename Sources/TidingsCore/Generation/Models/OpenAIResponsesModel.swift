/// OpenAI's Responses API (`POST {base}/responses`) as a draft writer: the prompt's system text as
/// `instructions`, the per-event user text last in `input`, strict structured output
/// (`text.format` json_schema), a `prompt_cache_key` per template and version, nothing stored.
/// Retries belong to the transport; this type makes one request per call.
package struct OpenAIResponsesModel: LanguageModel {
    /// `https://api.openai.com/v1` or `OPENAI_BASE_URL`, without a trailing slash.
    package var baseURL: String
    /// The model id sent ("gpt-4.1-mini").
    package var model: String
    /// The API key, sent as `Authorization: Bearer`.
    package var key: Secret
    /// `OpenAI-Organization`, when set.
    package var organization: String?
    /// `OpenAI-Project`, when set.
    package var project: String?
    /// `max_output_tokens`: the longest answer paid for (a draft is about 600 tokens).
    package var maxOutputTokens: Int
    /// How requests reach OpenAI.
    package var transport: any HTTPTransport

    /// Creates the writer; `baseURL` may end in a slash.
    package init(
        baseURL: String = "https://api.openai.com/v1", model: String, key: Secret, organization: String? = nil,
        project: String? = nil, maxOutputTokens: Int = 2048, transport: any HTTPTransport
    ) {
        self.baseURL = ModelEndpoint.trimmed(baseURL)
        self.model = model
        self.key = key
        self.organization = organization
        self.project = project
        self.maxOutputTokens = maxOutputTokens
        self.transport = transport
    }

    /// "openai:<model>".
    package var name: String { "openai:\(model)" }

    /// The request body for a draft request (pinned by the tests and checked by the fake against
    /// `CreateResponse`).
    package func body(for request: DraftRequest) -> JSONValue {
        let prompt = request.prompt
        var input: [JSONValue] = [["role": "user", "content": .string(prompt.user)]]
        if let repair = request.repair {
            input.append(["role": "assistant", "content": .string(repair.previousAnswer)])
            input.append(["role": "user", "content": .string(ModelEndpoint.repairText(repair))])
        }
        return [
            "model": .string(model),
            "instructions": .string(prompt.system),
            "input": .array(input),
            "text": [
                "format": [
                    "type": "json_schema", "name": .string(ModelEndpoint.schemaName(prompt)),
                    "schema": StructuredOutputSchema.derive(prompt.outputSchema, for: .openAI), "strict": true,
                ]
            ],
            "prompt_cache_key": .string(ModelEndpoint.cacheKey(prompt)),
            "max_output_tokens": .int(maxOutputTokens),
            "store": false,
        ]
    }

    /// Sends the request and reads the `Response`: the message's `output_text` when `status` is
    /// `completed`; `.incomplete` (with usage) for `status: incomplete`; `.refused` for a refusal
    /// item; `.upstreamStatus` for `failed` or an `error` object.
    package func respond(to request: DraftRequest) async throws -> ModelAnswer {
        var headers = ["authorization": "Bearer " + String(decoding: key.bytes, as: UTF8.self)]
        if let organization { headers["openai-organization"] = organization }
        if let project { headers["openai-project"] = project }
        let call = ModelCall(model: name, transport: transport, key: key)
        let reply = try await call.post(baseURL + "/responses", headers: headers, body: body(for: request))
        return try decode(reply, call: call)
    }

    func decode(_ reply: ModelCall.Reply, call: ModelCall) throws(ModelError) -> ModelAnswer {
        let root = reply.document
        var usage: TokenUsage?
        if case .object(let members)? = root.value("usage") {
            let reader = JSONObjectReader(members)
            var cached = 0
            if case .object(let details)? = reader.value("input_tokens_details") {
                cached = JSONObjectReader(details).tokens("cached_tokens")
            }
            let input = reader.tokens("input_tokens")
            usage = TokenUsage(
                input: max(0, input - cached), cachedInput: cached, output: reader.tokens("output_tokens"))
        }
        let status = root.value("status")?.stringValue ?? ""
        if case .object(let error)? = root.value("error") {
            let message = call.scrub(ModelCall.providerMessage(ModelCall.encode(["error": .object(error)])))
            throw ModelError(
                model: name, code: .upstreamStatus, reason: "response \(status): \(message)",
                isRetryable: status == "failed" && error["code"]?.stringValue == "server_error",
                exchange: reply.exchange, usage: usage)
        }
        // A refusal is reported even on an incomplete response: it says more than the cut.
        var text: String?
        for item in (try? root.objects("output")) ?? [] where item.value("type")?.stringValue == "message" {
            for part in (try? item.objects("content")) ?? [] {
                switch part.value("type")?.stringValue {
                case "refusal":
                    let refusal = part.value("refusal")?.stringValue ?? ""
                    throw ModelError(
                        model: name, code: .refused, reason: "refusal: \(String(refusal.prefix(200)))",
                        isRetryable: false, exchange: reply.exchange, usage: usage)
                case "output_text":
                    text = (text ?? "") + (part.value("text")?.stringValue ?? "")
                default: continue
                }
            }
        }
        switch status {
        case "completed":
            guard let text, !text.isEmpty else {
                throw call.malformed("completed response has no output_text", reply, usage: usage)
            }
            return ModelAnswer(
                text: text, servedBy: root.value("model")?.stringValue, usage: usage, exchange: reply.exchange,
                attempts: reply.attempts)
        case "incomplete":
            var why = "unknown"
            if case .object(let details)? = root.value("incomplete_details") {
                why = details["reason"]?.stringValue ?? why
            }
            throw ModelError(
                model: name, code: .incomplete, reason: "incomplete: \(why)", isRetryable: false,
                exchange: reply.exchange, usage: usage)
        case "failed":
            throw ModelError(
                model: name, code: .upstreamStatus, reason: "response failed without an error object",
                isRetryable: true, exchange: reply.exchange, usage: usage)
        default:
            throw call.malformed("response status '\(status.prefix(40))' is not completed", reply, usage: usage)
        }
    }
}
