/// Anthropic's Messages API (`POST {base}/v1/messages`) as a draft writer: the prompt's system
/// text as one system block marked `cache_control: ephemeral` (the prompt-cache breakpoint), the
/// per-event user text as the first message, and the draft's schema as structured output
/// (`output_config.format`) or, for models without it, a forced tool call. Retries belong to the
/// transport; this type makes one request per call.
package struct AnthropicMessagesModel: LanguageModel {
    /// How the draft's schema is imposed.
    package enum StructuredMode: String, Sendable, CaseIterable {
        /// `output_config.format = {type: json_schema, schema}`: the answer is a text block.
        case outputFormat = "output_format"
        /// One tool whose `input_schema` is the draft schema, forced with `tool_choice`; the answer
        /// is the `tool_use` block's `input`.
        case tool
    }

    /// The tool's name in `.tool` mode.
    package static let toolName = "write_draft"

    /// `https://api.anthropic.com` or `ANTHROPIC_BASE_URL`, without a trailing slash.
    package var baseURL: String
    /// The model id sent ("claude-haiku-4-5").
    package var model: String
    /// The API key, sent as `x-api-key`.
    package var key: Secret
    /// `max_tokens`: the longest answer paid for.
    package var maxTokens: Int
    /// Structured output or a forced tool.
    package var mode: StructuredMode
    /// How requests reach Anthropic.
    package var transport: any HTTPTransport

    /// Creates the writer; `baseURL` may end in a slash.
    package init(
        baseURL: String = "https://api.anthropic.com", model: String, key: Secret, maxTokens: Int = 2048,
        mode: StructuredMode = .outputFormat, transport: any HTTPTransport
    ) {
        self.baseURL = ModelEndpoint.trimmed(baseURL)
        self.model = model
        self.key = key
        self.maxTokens = maxTokens
        self.mode = mode
        self.transport = transport
    }

    /// "anthropic:<model>".
    package var name: String { "anthropic:\(model)" }

    /// The request body for a draft request (pinned by the tests and checked by the fake against
    /// the recorded exchanges' shapes).
    package func body(for request: DraftRequest) -> JSONValue {
        let prompt = request.prompt
        var messages: [JSONValue] = [["role": "user", "content": .string(prompt.user)]]
        if let repair = request.repair {
            messages.append(["role": "assistant", "content": .string(repair.previousAnswer)])
            messages.append(["role": "user", "content": .string(ModelEndpoint.repairText(repair))])
        }
        let schema = StructuredOutputSchema.derive(prompt.outputSchema, for: .anthropic)
        var body: [String: JSONValue] = [
            "model": .string(model),
            "max_tokens": .int(maxTokens),
            "system": [["type": "text", "text": .string(prompt.system), "cache_control": ["type": "ephemeral"]]],
            "messages": .array(messages),
        ]
        switch mode {
        case .outputFormat:
            body["output_config"] = ["format": ["type": "json_schema", "schema": schema]]
        case .tool:
            body["tools"] = [
                [
                    "name": .string(Self.toolName),
                    "description": "Submit the email draft, as the schema describes it.",
                    "input_schema": schema,
                ]
            ]
            body["tool_choice"] = ["type": "tool", "name": .string(Self.toolName)]
        }
        return .object(body)
    }

    /// Sends the request and reads the message: `stop_reason` `end_turn` (text block) or `tool_use`
    /// (the tool's `input`, re-encoded) gives the draft; `max_tokens` is `.incomplete`, `refusal`
    /// is `.refused`; error bodies map by status (429 and 529 retryable, 401 unauthorized).
    package func respond(to request: DraftRequest) async throws -> ModelAnswer {
        let headers = [
            "x-api-key": String(decoding: key.bytes, as: UTF8.self), "anthropic-version": "2023-06-01",
        ]
        let call = ModelCall(model: name, transport: transport, key: key)
        let reply = try await call.post(baseURL + "/v1/messages", headers: headers, body: body(for: request))
        return try decode(reply, call: call)
    }

    func decode(_ reply: ModelCall.Reply, call: ModelCall) throws(ModelError) -> ModelAnswer {
        let root = reply.document
        if root.value("type")?.stringValue == "error" {
            throw ModelError(
                model: name, code: .upstreamStatus,
                reason: "error body: " + call.scrub(ModelCall.providerMessage(reply.exchange.response)),
                isRetryable: false, exchange: reply.exchange)
        }
        var usage: TokenUsage?
        if case .object(let members)? = root.value("usage") {
            let reader = JSONObjectReader(members)
            usage = TokenUsage(
                input: reader.tokens("input_tokens"), cachedInput: reader.tokens("cache_read_input_tokens"),
                cacheWrite: reader.tokens("cache_creation_input_tokens"), output: reader.tokens("output_tokens"))
        }
        let stopReason = root.value("stop_reason")?.stringValue ?? ""
        switch stopReason {
        case "end_turn", "tool_use", "stop_sequence":
            break
        case "max_tokens", "model_context_window_exceeded":
            throw ModelError(
                model: name, code: .incomplete, reason: "stop_reason \(stopReason)", isRetryable: false,
                exchange: reply.exchange, usage: usage)
        case "refusal":
            throw ModelError(
                model: name, code: .refused, reason: "stop_reason refusal", isRetryable: false,
                exchange: reply.exchange, usage: usage)
        default:
            throw call.malformed("stop_reason '\(stopReason.prefix(40))' is not end_turn", reply, usage: usage)
        }
        var text: String?
        for block in (try? root.objects("content")) ?? [] {
            switch block.value("type")?.stringValue {
            case "text" where mode == .outputFormat:
                text = (text ?? "") + (block.value("text")?.stringValue ?? "")
            case "tool_use" where mode == .tool && block.value("name")?.stringValue == Self.toolName:
                if let input = block.value("input") {
                    text = String(decoding: ModelCall.encode(input), as: UTF8.self)
                }
            default:
                continue
            }
        }
        guard let text, !text.isEmpty else {
            let expected = mode == .tool ? "a \(Self.toolName) tool_use block" : "a text block"
            throw call.malformed("message has no \(expected)", reply, usage: usage)
        }
        return ModelAnswer(
            text: text, servedBy: root.value("model")?.stringValue, usage: usage, exchange: reply.exchange,
            attempts: reply.attempts)
    }
}
