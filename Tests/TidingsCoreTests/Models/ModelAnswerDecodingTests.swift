import Foundation
import Testing

@testable import TidingsCore

/// Each writer reads each kind of answer and fault into the right `ModelAnswer` or `ModelError`
/// code, from in-memory responses: Anthropic's recorded bodies verbatim, and OpenAI bodies shaped
/// as the `Response` and `CreateChatCompletionResponse` schemas describe them.
@Suite("Model answers and faults, decoded")
struct ModelAnswerDecodingTests {
    static let key = Secret(ModelFixtures.key)

    func anthropic(_ transport: ScriptedTransport, mode: AnthropicMessagesModel.StructuredMode = .outputFormat)
        -> AnthropicMessagesModel
    {
        AnthropicMessagesModel(model: "claude-sonnet-4-5", key: Self.key, mode: mode, transport: transport)
    }

    func openAI(_ transport: ScriptedTransport) -> OpenAIResponsesModel {
        OpenAIResponsesModel(model: "gpt-4.1-mini", key: Self.key, transport: transport)
    }

    func chat(_ transport: ScriptedTransport) -> ChatCompletionsModel {
        ChatCompletionsModel(baseURL: "http://127.0.0.1:1/v1", model: "llama3.1", key: Self.key, transport: transport)
    }

    /// The error a call throws, checked never to carry the key.
    func failure(_ model: any LanguageModel, _ request: DraftRequest? = nil) async throws -> ModelError {
        let request = try request ?? DraftRequest(prompt: ModelFixtures.prompt())
        do {
            let answer = try await model.respond(to: request)
            Issue.record("expected a ModelError, got an answer: \(answer.text.prefix(80))")
            throw CancellationError()
        } catch let error as ModelError {
            #expect(!error.description.contains(ModelFixtures.key))
            #expect(!(error.exchange.map { ModelFixtures.leaks($0.response + $0.request) } ?? false))
            return error
        }
    }

    // MARK: Anthropic, recorded

    @Test("Anthropic: the recorded structured-output answer gives its text, model and usage")
    func anthropicRecordedAnswer() async throws {
        let exchange = try #require(
            try ModelFixtures.recordedAnthropic("bd7029d5-d8d4-4e06-be3a-2ac9c60803a6.json").first)
        let transport = ScriptedTransport { _ in ModelFixtures.response(of: exchange) }
        let answer = try await anthropic(transport).respond(to: DraftRequest(prompt: try ModelFixtures.prompt()))
        #expect(answer.text.hasPrefix(#"{"items":[{"product_name":"Green Tea","price":5.50"#))
        #expect(answer.servedBy == "claude-sonnet-4-5-20250929")
        #expect(answer.usage == TokenUsage(input: 406, cachedInput: 0, cacheWrite: 0, output: 50))
        #expect(answer.attempts == 1)
        #expect(answer.exchange?.response == ModelFixtures.response(of: exchange).body)
        let request = try #require(transport.requests.first)
        #expect(request.url == "https://api.anthropic.com/v1/messages")
        #expect(request.headers["x-api-key"] == ModelFixtures.key)
        #expect(request.headers["anthropic-version"] == "2023-06-01")
        #expect(request.headers["content-type"] == "application/json")
    }

    @Test("Anthropic: the recorded 429 rate_limit_error is a retryable upstream status quoting the error type")
    func anthropicRecordedRateLimit() async throws {
        let exchanges = try ModelFixtures.recordedAnthropic("d743d628-16aa-4c9f-ae78-51deb578f746.json")
        let limited = try #require(exchanges.first)
        let error = try await failure(anthropic(ScriptedTransport { _ in ModelFixtures.response(of: limited) }))
        #expect(error.code == .upstreamStatus)
        #expect(error.isRetryable)
        #expect(error.reason.hasPrefix("HTTP 429: rate_limit_error: This request would exceed"))
        #expect(error.reason.count < 320, "the provider message is truncated")
        // The third exchange is the successful retry.
        let success = try #require(exchanges.last)
        let answer = try await anthropic(ScriptedTransport { _ in ModelFixtures.response(of: success) })
            .respond(to: DraftRequest(prompt: try ModelFixtures.prompt()))
        #expect(answer.text.contains("Green Tea"))
    }

    @Test("Anthropic tool mode: the recorded tool_use for another tool is no draft; the forced tool's input is")
    func anthropicToolMode() async throws {
        let exchange = try #require(
            try ModelFixtures.recordedAnthropic("a8ac789b-f856-48cd-9ff3-d5f36799e432.json").first)
        let error = try await failure(
            anthropic(ScriptedTransport { _ in ModelFixtures.response(of: exchange) }, mode: .tool))
        #expect(error.code == .malformedAnswer)
        #expect(error.usage?.input == 597)

        let body: JSONValue = [
            "model": "claude-haiku-4-5-20251001", "type": "message", "role": "assistant", "stop_reason": "tool_use",
            "content": [
                [
                    "type": "tool_use", "id": "toolu_1", "name": .string(AnthropicMessagesModel.toolName),
                    "input": try JSONParser.parse(ModelFixtures.draft),
                ]
            ],
            "usage": [
                "input_tokens": 20, "cache_read_input_tokens": 1500, "cache_creation_input_tokens": 0,
                "output_tokens": 300,
            ],
        ]
        let answer = try await anthropic(ScriptedTransport(body: ModelFixtures.json(body)), mode: .tool)
            .respond(to: DraftRequest(prompt: try ModelFixtures.prompt()))
        #expect(try DraftDecoder.decode(answer.text) == DraftDecoder.decode(ModelFixtures.draft))
        #expect(answer.usage == TokenUsage(input: 20, cachedInput: 1500, cacheWrite: 0, output: 300))
    }

    @Test(
        "Anthropic faults map to codes",
        arguments: [
            (
                529, #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
                ModelError.Code.upstreamStatus, true
            ),
            (
                500, #"{"type":"error","error":{"type":"api_error","message":"Internal server error"}}"#,
                .upstreamStatus, true
            ),
            (
                401, #"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#,
                .unauthorized, false
            ),
            (
                400, #"{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: bad"}}"#,
                .upstreamStatus, false
            ),
            (
                200,
                #"{"type":"message","role":"assistant","content":[{"type":"text","text":"{\"sub"}],"stop_reason":"max_tokens","usage":{"input_tokens":9,"output_tokens":2048}}"#,
                .incomplete, false
            ),
            (
                200,
                #"{"type":"message","role":"assistant","content":[],"stop_reason":"refusal","usage":{"input_tokens":9,"output_tokens":3}}"#,
                .refused, false
            ),
            (
                200, #"{"type":"message","role":"assistant","content":[{"type":"text","text":"{"#, .malformedAnswer,
                false
            ),
        ])
    func anthropicFaults(status: Int, body: String, code: ModelError.Code, retryable: Bool) async throws {
        let error = try await failure(anthropic(ScriptedTransport(status: status, body: Array(body.utf8))))
        #expect(error.code == code)
        #expect(error.isRetryable == retryable)
        #expect(error.exchange?.response == Array(body.utf8), "the raw answer is kept for the audit")
        if code == .incomplete { #expect(error.usage?.output == 2048) }
    }

    // MARK: OpenAI Responses

    static func response(status: String, content: [JSONValue], extra: [String: JSONValue] = [:]) -> [UInt8] {
        var body: [String: JSONValue] = [
            "id": "resp_1", "object": "response", "status": .string(status), "model": "gpt-4.1-mini-2025-04-14",
            "output": [
                ["type": "reasoning", "id": "rs_1", "summary": []],
                [
                    "type": "message", "id": "msg_1", "role": "assistant", "status": .string(status),
                    "content": .array(content),
                ],
            ],
            "usage": [
                "input_tokens": 1900, "input_tokens_details": ["cached_tokens": 1536], "output_tokens": 410,
                "output_tokens_details": ["reasoning_tokens": 0], "total_tokens": 2310,
            ],
            "error": .null, "incomplete_details": .null,
        ]
        body.merge(extra) { _, new in new }
        return ModelCall.encode(.object(body))
    }

    @Test("OpenAI: a completed response gives the message's output_text, cached tokens apart")
    func openAICompleted() async throws {
        let transport = ScriptedTransport(
            body: Self.response(
                status: "completed",
                content: [["type": "output_text", "text": .string(ModelFixtures.draft), "annotations": []]]))
        let answer = try await openAI(transport).respond(to: DraftRequest(prompt: try ModelFixtures.prompt()))
        #expect(answer.text == ModelFixtures.draft)
        #expect(answer.servedBy == "gpt-4.1-mini-2025-04-14")
        #expect(answer.usage == TokenUsage(input: 364, cachedInput: 1536, cacheWrite: 0, output: 410))
        let request = try #require(transport.requests.first)
        #expect(request.url == "https://api.openai.com/v1/responses")
        #expect(request.headers["authorization"] == "Bearer \(ModelFixtures.key)")
        #expect(request.headers["openai-organization"] == nil)
    }

    @Test(
        "OpenAI faults map to codes",
        arguments: [
            ("incomplete", "max_output_tokens", ModelError.Code.incomplete),
            ("incomplete", "content_filter", .incomplete),
            ("refusal", "", .refused),
            ("failed", "", .upstreamStatus),
            ("queued", "", .malformedAnswer),
        ])
    func openAIFaults(status: String, reason: String, code: ModelError.Code) async throws {
        var content: [JSONValue] = [["type": "output_text", "text": "{\"subj", "annotations": []]]
        var extra: [String: JSONValue] = [:]
        var responseStatus = status
        switch status {
        case "incomplete": extra["incomplete_details"] = ["reason": .string(reason)]
        case "refusal":
            responseStatus = "completed"
            content = [["type": "refusal", "refusal": "I can't help with that."]]
        case "failed": extra["error"] = ["code": "server_error", "message": "The model failed."]
        default: break
        }
        let error = try await failure(
            openAI(ScriptedTransport(body: Self.response(status: responseStatus, content: content, extra: extra))))
        #expect(error.code == code)
        #expect(error.usage?.cachedInput == 1536, "a failed call's tokens are still counted")
        if !reason.isEmpty { #expect(error.reason.contains(reason)) }
    }

    @Test(
        "Statuses, content types and bodies map to codes; the key never shows, even when the upstream echoes it",
        arguments: [
            (
                401, "application/json",
                #"{"error":{"message":"Incorrect API key provided: KEY.","type":"invalid_request_error","code":"invalid_api_key"}}"#,
                ModelError.Code.unauthorized, false
            ),
            (
                403, "application/json",
                #"{"error":{"message":"Project KEY has no access","type":"invalid_request_error"}}"#, .unauthorized,
                false
            ),
            (
                429, "application/json",
                #"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#,
                .upstreamStatus, true
            ),
            (409, "application/json", "{}", .upstreamStatus, true),
            (503, "text/html", "<html>503 KEY</html>", .upstreamStatus, true),
            (
                400, "application/json", #"{"error":{"message":"Invalid schema","type":"invalid_request_error"}}"#,
                .upstreamStatus, false
            ),
            (200, "text/html", "<html>KEY</html>", .malformedAnswer, false),
            (200, "application/json", #"{"id":"resp_1","status":"comp"#, .malformedAnswer, false),
        ])
    func statuses(status: Int, contentType: String, body: String, code: ModelError.Code, retryable: Bool) async throws {
        let bytes = Array(body.replacingOccurrences(of: "KEY", with: ModelFixtures.key).utf8)
        let transport = ScriptedTransport(status: status, headers: ["content-type": contentType], body: bytes)
        for model in [openAI(transport), chat(transport)] as [any LanguageModel] {
            let error = try await failure(model)
            #expect(error.code == code, "\(model.name)")
            #expect(error.isRetryable == retryable, "\(model.name)")
            #expect(error.exchange != nil, "\(model.name) keeps the bodies")
            #expect(error.reason.contains("<redacted>") == body.contains("KEY") || status == 200)
        }
    }

    @Test("No response at all is unreachable, retryable as the transport says; the deadline is its own code")
    func transportFailures() async throws {
        let reset = ScriptedTransport { _ in
            throw TransportError(.connectionReset, host: "api.openai.com", detail: "recv")
        }
        let error = try await failure(openAI(reset))
        #expect(error.code == .unreachable && error.isRetryable && error.exchange == nil)
        let tls = ScriptedTransport { _ in throw TransportError(.tlsFailed, host: "api.openai.com", detail: "verify") }
        #expect(try await failure(chat(tls)).isRetryable == false)
        let late = ScriptedTransport { _ in
            throw TransportError(.deadline, host: "api.anthropic.com", detail: "no time")
        }
        #expect(try await failure(anthropic(late)).code == .deadline)
    }

    /// A transport that reports three attempts, as `RetryingTransport.sendCounting` does.
    struct CountingTransport: AttemptCountingTransport {
        var body: [UInt8]
        func send(_ request: TransportRequest) async throws -> TransportResponse {
            TransportResponse(status: 200, headers: ["content-type": "application/json"], body: body)
        }
        func sendCounting(_ request: TransportRequest) async throws -> (response: TransportResponse, attempts: Int) {
            (try await send(request), 3)
        }
    }

    @Test("A counting transport's attempts are the answer's; any other transport's are one")
    func attempts() async throws {
        let body = Self.response(
            status: "completed", content: [["type": "output_text", "text": .string(ModelFixtures.draft)]])
        let counted = OpenAIResponsesModel(model: "m", key: Self.key, transport: CountingTransport(body: body))
        #expect(try await counted.respond(to: DraftRequest(prompt: try ModelFixtures.prompt())).attempts == 3)
        let plain = openAI(ScriptedTransport(body: body))
        #expect(try await plain.respond(to: DraftRequest(prompt: try ModelFixtures.prompt())).attempts == 1)
    }

    // MARK: Chat Completions

    static func completion(_ message: JSONValue, finish: String) -> [UInt8] {
        ModelCall.encode([
            "id": "chatcmpl-1", "object": "chat.completion", "model": "llama3.1:8b",
            "choices": [["index": 0, "message": message, "finish_reason": .string(finish)]],
            "usage": ["prompt_tokens": 900, "completion_tokens": 350, "prompt_tokens_details": ["cached_tokens": 512]],
        ])
    }

    @Test("Chat Completions: content on stop; refusal, length and content_filter are errors")
    func chatCompletions() async throws {
        let clean = ScriptedTransport(
            body: Self.completion(["role": "assistant", "content": .string(ModelFixtures.draft)], finish: "stop"))
        let answer = try await chat(clean).respond(to: DraftRequest(prompt: try ModelFixtures.prompt()))
        #expect(answer.text == ModelFixtures.draft)
        #expect(answer.usage == TokenUsage(input: 388, cachedInput: 512, output: 350))
        #expect(answer.servedBy == "llama3.1:8b")
        #expect(clean.requests.first?.url == "http://127.0.0.1:1/v1/chat/completions")

        let refusal = Self.completion(["role": "assistant", "content": .null, "refusal": "No."], finish: "stop")
        #expect(try await failure(chat(ScriptedTransport(body: refusal))).code == .refused)
        for finish in ["length", "content_filter"] {
            let cut = Self.completion(["role": "assistant", "content": "{\"sub"], finish: finish)
            let error = try await failure(chat(ScriptedTransport(body: cut)))
            #expect(error.code == .incomplete && error.reason.contains(finish))
        }
        let empty = ModelCall.encode(["choices": []])
        #expect(try await failure(chat(ScriptedTransport(body: empty))).code == .malformedAnswer)
    }

    @Test("A keyless OpenAI-compatible server gets no Authorization header")
    func keyless() async throws {
        let transport = ScriptedTransport(
            body: Self.completion(["role": "assistant", "content": .string(ModelFixtures.draft)], finish: "stop"))
        let model = ChatCompletionsModel(baseURL: "http://localhost:11434/v1/", model: "qwen2.5", transport: transport)
        _ = try await model.respond(to: DraftRequest(prompt: try ModelFixtures.prompt()))
        #expect(transport.requests.first?.headers["authorization"] == nil)
        #expect(transport.requests.first?.url == "http://localhost:11434/v1/chat/completions")
        #expect(model.name == "openai-compatible:qwen2.5")
    }
}
