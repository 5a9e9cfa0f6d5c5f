#!/usr/bin/env python3
"""A loopback fake of three model APIs, written from the providers' descriptions and sharing no
code with the Swift writers:

  POST /v1/responses         OpenAI Responses     (body checked against `CreateResponse`)
  POST /v1/chat/completions  Chat Completions     (body checked against `CreateChatCompletionRequest`)
  POST /v1/messages          Anthropic Messages   (body checked against the recorded exchanges' shapes)
  GET  /_requests            every request received: path, headers, body (parsed), raw (the body's
                             exact text), problems, step, answer (the exact response body sent, as
                             text; absent after a reset)
  GET  /_stats               {"max_in_flight": the most POSTs answered at once so far}
  GET  /_health              "ok"

Usage: model-fake.py [--root REPO_ROOT] [--self-check]. Listens on 127.0.0.1 on a free port, prints the port on
one line, serves until killed (threaded: many calls in flight). --self-check instead validates
the recorded Anthropic requests (must pass) and broken copies of them (must fail), and exits.

Every request body is validated. OpenAI bodies with jsonschema's Draft202012Validator against
Tests/Fixtures/specs/openai/requests.schema.json (a slice of openai/openai-openapi, see
PROVENANCE.md), plus what the schema cannot say: unknown top-level keys, and the structured-output
rules of strict mode (every object closed with additionalProperties false and every property
required; no minLength/maxLength). Anthropic bodies against the request shapes of the recorded
exchanges in Tests/Fixtures/specs/anthropic: the headers x-api-key (present) and anthropic-version
(exactly 2023-06-01), the recorded keys with their recorded JSON types, messages alternating from
a user turn, system blocks, output_config.format and forced tools as recorded, and the schema
subset Anthropic accepts (no numeric ranges, string lengths, maxItems, minItems above 1; objects
closed). A request that fails gets HTTP 400 in the provider's error shape with the validator's
message, and is recorded with its problems so the test that sent it fails loudly.

What the fake answers is chosen by the request's model name: `NAME@STEP,STEP,...`. The n-th
request with one model name on one endpoint gets the n-th step (the last step repeats); without
`@` the step is `clean`. Steps:

  clean          a draft built from the prompt's <context> (its checkout_url, items, picks, offer)
  429            rate limited, Retry-After: 1 (Anthropic: rate_limit_error, x-should-retry: true)
  500 503 529    server errors (529: Anthropic's overloaded_error)
  401            the key refused; the message echoes the key, as a careless proxy might
  slowMS         `clean` after MS milliseconds; slowA-B waits uniformly between A and B ms
  reset          the connection is closed with a TCP reset, no response
  truncated      a 200 whose JSON body stops half way (Content-Length matches what is sent)
  html           a 200 with Content-Type text/html
  refusal        the provider's refusal (refusal item, stop_reason refusal, message.refusal)
  incomplete     cut by the output limit (status incomplete, stop_reason max_tokens, length)
  filtered       cut by the content filter (OpenAI and Chat Completions)
  failed         OpenAI status failed with an error object
  notjson        a completed answer whose text is prose, not JSON
  badschema      a JSON draft that breaks the schema (one subject, no call_to_action)
  plant-link     a clean draft whose call to action links to another domain
  plant-medical  a clean draft with a medical claim
  plant-address  a clean draft that echoes a street address
  plant-code     a clean draft with an invented 90 % code
"""
import json, os, random, re, signal, socket, struct, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
if "--root" in sys.argv:
    ROOT = sys.argv[sys.argv.index("--root") + 1]
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures", "specs")

lock = threading.Lock()
received = []
counters = {}
cache_prefixes = set()
in_flight = {"now": 0, "max": 0}

# ---------------------------------------------------------------- OpenAI validation

from jsonschema import Draft202012Validator

_openai_doc = json.load(open(os.path.join(FIXTURES, "openai", "requests.schema.json")))


def _validator(root):
    return Draft202012Validator(
        {"$schema": _openai_doc["$schema"], "$defs": _openai_doc["$defs"], "$ref": "#/$defs/" + root})


OPENAI_VALIDATORS = {
    "/v1/responses": ("CreateResponse", _validator("CreateResponse")),
    "/v1/chat/completions": ("CreateChatCompletionRequest", _validator("CreateChatCompletionRequest")),
}


def top_level_keys(name):
    """Property names a schema allows at its top level, following allOf and $ref."""
    keys, stack = set(), [_openai_doc["$defs"][name]]
    while stack:
        node = stack.pop()
        if "$ref" in node:
            stack.append(_openai_doc["$defs"][node["$ref"].split("/")[-1]])
        keys.update(node.get("properties", {}).keys())
        stack.extend(node.get("allOf", []))
    return keys


OPENAI_KEYS = {path: top_level_keys(name) for path, (name, _) in OPENAI_VALIDATORS.items()}


def strict_schema_problems(schema, path, unsupported):
    """Structured-output rules the providers enforce on the schema they compile."""
    problems = []
    if not isinstance(schema, dict):
        return [path + ": a schema must be an object"]
    for keyword in unsupported:
        if keyword in schema and not (keyword == "minItems" and schema[keyword] in (0, 1)):
            problems.append("%s: keyword %s is not supported in strict mode" % (path, keyword))
    types = schema.get("type")
    if types == "object" or (isinstance(types, list) and "object" in types) or "properties" in schema:
        if schema.get("additionalProperties") is not False:
            problems.append(path + ": an object needs additionalProperties: false")
        props = schema.get("properties", {})
        if sorted(schema.get("required", [])) != sorted(props.keys()):
            problems.append(path + ": every property must be in required")
        for name, sub in props.items():
            problems += strict_schema_problems(sub, path + ".properties." + name, unsupported)
    if "items" in schema:
        problems += strict_schema_problems(schema["items"], path + ".items", unsupported)
    for keyword in ("anyOf", "allOf", "oneOf"):
        for index, sub in enumerate(schema.get(keyword, [])):
            problems += strict_schema_problems(sub, "%s.%s[%d]" % (path, keyword, index), unsupported)
    if "type" not in schema and "enum" not in schema and "anyOf" not in schema and "$ref" not in schema:
        problems.append(path + ": a schema needs a type, enum or anyOf")
    return problems


OPENAI_UNSUPPORTED = ["minLength", "maxLength", "patternProperties", "unevaluatedProperties", "propertyNames"]
ANTHROPIC_UNSUPPORTED = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength",
                         "maxLength", "maxItems", "minItems"]


def validate_openai(path, headers, body):
    problems = []
    auth = headers.get("authorization", "")
    if path == "/v1/responses" and not re.match(r"^Bearer \S+$", auth):
        problems.append("header Authorization: expected 'Bearer <key>'")
    if auth and not auth.startswith("Bearer "):
        problems.append("header Authorization: expected the Bearer scheme")
    name, validator = OPENAI_VALIDATORS[path]
    for error in sorted(validator.iter_errors(body), key=lambda e: list(e.path)):
        problems.append("%s at $%s: %s" % (name, "".join("[%r]" % p for p in error.path), error.message[:300]))
    if isinstance(body, dict):
        for key in body:
            if key not in OPENAI_KEYS[path]:
                problems.append("%s: unknown member %r" % (name, key))
        fmt = (body.get("text") or {}).get("format") if path == "/v1/responses" else \
            (body.get("response_format") or {}).get("json_schema")
        if isinstance(fmt, dict) and fmt.get("strict") is True:
            problems += strict_schema_problems(fmt.get("schema"), "$schema", OPENAI_UNSUPPORTED)
    return problems


# ---------------------------------------------------------------- Anthropic validation

def json_type(value):
    if value is None: return "null"
    if isinstance(value, bool): return "boolean"
    if isinstance(value, int): return "integer"
    if isinstance(value, float): return "number"
    if isinstance(value, str): return "string"
    if isinstance(value, list): return "array"
    return "object"


RECORDED = {}
for file in sorted(os.listdir(os.path.join(FIXTURES, "anthropic"))):
    if file.endswith(".json"):
        for exchange in json.load(open(os.path.join(FIXTURES, "anthropic", file))):
            for key, value in exchange["request"]["body"].items():
                RECORDED.setdefault(key, set()).add(json_type(value))
# Members the recorded requests do not carry, with the types the Messages API documents for them.
DOCUMENTED = {"system": {"string", "array"}, "tool_choice": {"object"}, "temperature": {"number", "integer"},
              "metadata": {"object"}, "stop_sequences": {"array"}, "stream": {"boolean"}}


def validate_anthropic(headers, body):
    problems = []
    if not headers.get("x-api-key"):
        problems.append("header x-api-key: missing")
    if headers.get("anthropic-version") != "2023-06-01":
        problems.append("header anthropic-version: expected exactly 2023-06-01, found %r" % headers.get("anthropic-version"))
    if not headers.get("content-type", "").startswith("application/json"):
        problems.append("header content-type: expected application/json")
    if not isinstance(body, dict):
        return problems + ["body: expected an object"]
    for key in ("model", "max_tokens", "messages"):
        if key not in body:
            problems.append("body: required member %r missing" % key)
    for key, value in body.items():
        allowed = RECORDED.get(key) or DOCUMENTED.get(key)
        if allowed is None:
            problems.append("body: member %r is in no recorded request" % key)
        elif json_type(value) not in allowed:
            problems.append("body.%s: %s, recorded as %s" % (key, json_type(value), "/".join(sorted(allowed))))
    if isinstance(body.get("max_tokens"), int) and body["max_tokens"] < 1:
        problems.append("body.max_tokens: must be at least 1")
    messages = body.get("messages") if isinstance(body.get("messages"), list) else []
    for index, message in enumerate(messages):
        expected = "user" if index % 2 == 0 else "assistant"
        if not isinstance(message, dict) or message.get("role") != expected:
            problems.append("body.messages[%d]: expected role %s (turns alternate from user)" % (index, expected))
            continue
        content = message.get("content")
        if not (isinstance(content, str) and content) and not isinstance(content, list):
            problems.append("body.messages[%d].content: expected a non-empty string or a list of blocks" % index)
    system = body.get("system")
    if isinstance(system, list):
        for index, block in enumerate(system):
            if not isinstance(block, dict) or block.get("type") != "text" or not isinstance(block.get("text"), str):
                problems.append("body.system[%d]: expected {type: text, text}" % index)
            elif "cache_control" in block and block["cache_control"] != {"type": "ephemeral"} and \
                    block["cache_control"].get("type") != "ephemeral":
                problems.append("body.system[%d].cache_control: expected {type: ephemeral}" % index)
    schema = None
    if "output_config" in body:
        fmt = (body["output_config"] or {}).get("format") if isinstance(body["output_config"], dict) else None
        if not isinstance(fmt, dict) or fmt.get("type") != "json_schema" or not isinstance(fmt.get("schema"), dict):
            problems.append("body.output_config.format: expected {type: json_schema, schema: {...}} as recorded")
        else:
            schema = fmt["schema"]
    if "tools" in body and isinstance(body["tools"], list):
        for index, tool in enumerate(body["tools"]):
            if not isinstance(tool, dict) or not isinstance(tool.get("name"), str) or \
                    not isinstance(tool.get("description"), str) or not isinstance(tool.get("input_schema"), dict) or \
                    tool["input_schema"].get("type") != "object":
                problems.append("body.tools[%d]: expected {name, description, input_schema: {type: object}} as recorded" % index)
            else:
                schema = tool["input_schema"]
        choice = body.get("tool_choice")
        if choice is not None and (not isinstance(choice, dict) or choice.get("type") not in ("auto", "any", "tool", "none")
                                   or (choice.get("type") == "tool" and choice.get("name") not in
                                       [t.get("name") for t in body["tools"] if isinstance(t, dict)])):
            problems.append("body.tool_choice: expected {type: tool, name: <a tool's name>}")
    if "output_config" in body and "tools" in body:
        problems.append("body: output_config and tools together")
    if schema is not None:
        problems += strict_schema_problems(schema, "$schema", ANTHROPIC_UNSUPPORTED)
        if "type" in json.dumps(schema) and re.search(r'"type": \[', json.dumps(schema)):
            problems.append("$schema: Anthropic wants nullability as anyOf with a null branch, not a type list")
    return problems


# ---------------------------------------------------------------- drafts

def context_of(text):
    match = re.search(r"<context>\s*(\{.*\})\s*</context>", text or "", re.S)
    if not match:
        return {}
    try:
        return json.loads(match.group(1))
    except ValueError:
        return {}


def prompt_text(path, body):
    """(system text, first user text) of a request, whatever the provider."""
    if path == "/v1/responses":
        first = body.get("input")
        user = first if isinstance(first, str) else (first[0].get("content") if first else "")
        return body.get("instructions") or "", user if isinstance(user, str) else json.dumps(user)
    if path == "/v1/chat/completions":
        messages = body.get("messages") or []
        system = next((m.get("content") for m in messages if m.get("role") in ("system", "developer")), "")
        user = next((m.get("content") for m in messages if m.get("role") == "user"), "")
        return system or "", user if isinstance(user, str) else json.dumps(user)
    system = body.get("system")
    if isinstance(system, list):
        system = "".join(block.get("text", "") for block in system if isinstance(block, dict))
    user = (body.get("messages") or [{}])[0].get("content", "")
    return system or "", user if isinstance(user, str) else json.dumps(user)


def clean_draft(context):
    items = context.get("items") or []
    in_catalog = [item for item in items if not item.get("not_in_catalog")]
    picks = [pick["product_id"] for pick in (context.get("recommendations") or [])][:2]
    limit = int(context.get("subject_max_length") or 60)
    name = (context.get("customer") or {}).get("first_name")
    first = items[0]["title"] if items else "your order"
    # The message fits the flow the context is about: an order, a lapsed customer, or a cart.
    if context.get("order"):
        line = "Thank you for order %s. Here is what happens next with %s." % (context["order"].get("name", ""), first)
        label, subjects = "View your order", ["About your order", "Your order, step by step", "Thanks for shopping"]
    elif context.get("win_back"):
        line = "It has been a while. Here are a few things we think you would like."
        label, subjects = "See what is new", ["It has been a while", "A few new things", "Picked for you"]
    else:
        line = "You left %s in your cart. It is still there when you are ready." % first
        label, subjects = "Return to your cart", ["Your cart is saved", "Still thinking it over?", "Your picks are waiting"]
    blocks = [{"kind": "greeting", "text": "Hi %s," % name if name else "Hello,", "product_id": None},
              {"kind": "paragraph", "text": line, "product_id": None}]
    if in_catalog:
        blocks.append({"kind": "product", "text": in_catalog[0]["title"], "product_id": in_catalog[0]["product_id"]})
    offer = context.get("offer")
    draft_offer = None
    if offer:
        draft_offer = {"kind": offer["kind"], "percent": offer["percent"], "code": offer["code"]}
        blocks.append({"kind": "offer", "text": "Use %s at checkout." % offer["code"], "product_id": None})
    blocks.append({"kind": "signoff", "text": "Thanks, the %s team" % (context.get("brand_name") or "shop"),
                   "product_id": None})
    return {"subjects": [s[:limit] for s in subjects], "preheader": subjects[0] + ".",
            "blocks": blocks, "product_picks": picks, "offer": draft_offer,
            "call_to_action": {"label": label, "url": context.get("checkout_url") or "{{checkout_url}}"}}


def draft_for(step, context):
    draft = clean_draft(context)
    if step == "badschema":
        draft["subjects"] = draft["subjects"][:1]
        del draft["call_to_action"]
    elif step == "plant-link":
        draft["call_to_action"]["url"] = "https://bargain-outlet.example.net/cart"
    elif step == "plant-medical":
        draft["blocks"].insert(2, {"kind": "paragraph", "text": "It cures anxiety and prevents cancer, clinically proven.",
                                   "product_id": None})
    elif step == "plant-address":
        draft["blocks"].insert(2, {"kind": "paragraph", "text": "We will ship it to 1428 Elm Street, Springwood, OH 44101.",
                                   "product_id": None})
    elif step == "plant-code":
        draft["offer"] = {"kind": "percent_off", "percent": 90, "code": "TAKE90"}
        draft["blocks"].insert(2, {"kind": "offer", "text": "Take 90% off with TAKE90 today.", "product_id": None})
    return draft


def tokens(text):
    return max(1, len(text) // 4)


# ---------------------------------------------------------------- answers

def usage_numbers(path, body, system, user, answer_text):
    """Input, cached, cache-written and output tokens, simulating a prompt cache keyed by the
    prefix that is the same for every event (system text and schema) once it reaches 1024 tokens."""
    schema = json.dumps((body.get("text") or {}).get("format") or body.get("response_format") or
                        body.get("output_config") or body.get("tools") or {}, sort_keys=True)
    prefix = tokens(system) + tokens(schema)
    total = prefix + tokens(json.dumps(body.get("input") or body.get("messages") or ""))
    cached = written = 0
    if prefix >= 1024:
        key = (path, body.get("prompt_cache_key"), system, schema)
        with lock:
            seen = key in cache_prefixes
            cache_prefixes.add(key)
        if seen:
            cached = prefix - prefix % 128 if path != "/v1/messages" else prefix
        elif path == "/v1/messages":
            written = prefix
    return total, cached, written, tokens(answer_text)


def openai_error(status, message, kind, code=None):
    return status, {"error": {"message": message, "type": kind, "param": None, "code": code}}


def anthropic_error(status, kind, message):
    return status, {"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_fake%06d" % random.randrange(10 ** 6)}


def answer(path, step, body, headers):
    """(status, body object or bytes, extra headers) for a validated request."""
    model = body.get("model", "")
    served = model.split("@")[0] + "-fake-2026"
    system, user = prompt_text(path, body)
    context = context_of(user)
    anthropic = path == "/v1/messages"
    key = headers.get("x-api-key") or headers.get("authorization", "").replace("Bearer ", "")

    if step == "429":
        extra = {"Retry-After": "1"}
        if anthropic:
            extra.update({"x-should-retry": "true", "retry-after-ms": "1000"})
            return anthropic_error(429, "rate_limit_error", "This request would exceed your rate limit.") + (extra,)
        return openai_error(429, "Rate limit reached for requests per min. Please try again in 1s.", "requests",
                            "rate_limit_exceeded") + (extra,)
    if step in ("500", "503"):
        if anthropic:
            return anthropic_error(int(step), "api_error", "Internal server error") + ({},)
        return openai_error(int(step), "The server had an error while processing your request.", "server_error") + ({},)
    if step == "529":
        if anthropic:
            return anthropic_error(529, "overloaded_error", "Overloaded") + ({"x-should-retry": "true"},)
        return openai_error(529, "The engine is currently overloaded.", "server_error") + ({},)
    if step == "401":
        if anthropic:
            return anthropic_error(401, "authentication_error", "invalid x-api-key: %s" % key) + ({},)
        return openai_error(401, "Incorrect API key provided: %s." % key, "invalid_request_error", "invalid_api_key") + ({},)
    if step == "html":
        return 200, b"<html><body>502 Bad Gateway</body></html>", {"Content-Type": "text/html"}

    if step == "notjson":
        text = "Here is the email you asked for: Hello, your cart is waiting!"
    else:
        text = json.dumps(draft_for(step, context))
    total, cached, written, output = usage_numbers(path, body, system, user, text)
    now = int(time.time())

    if path == "/v1/responses":
        usage = {"input_tokens": total, "input_tokens_details": {"cached_tokens": cached}, "output_tokens": output,
                 "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": total + output}
        status, incomplete, error = "completed", None, None
        content = [{"type": "output_text", "text": text, "annotations": []}]
        if step == "refusal":
            content = [{"type": "refusal", "refusal": "I'm sorry, I can't help with that request."}]
        elif step in ("incomplete", "filtered"):
            status = "incomplete"
            incomplete = {"reason": "max_output_tokens" if step == "incomplete" else "content_filter"}
            content = [{"type": "output_text", "text": text[: len(text) // 3], "annotations": []}]
        elif step == "failed":
            status, error, content = "failed", {"code": "server_error", "message": "The model failed to answer."}, []
        output_items = [{"type": "message", "id": "msg_fake", "status": status, "role": "assistant", "content": content}] \
            if content else []
        return 200, {"id": "resp_fake%06d" % random.randrange(10 ** 6), "object": "response", "created_at": now,
                     "status": status, "error": error, "incomplete_details": incomplete, "model": served,
                     "output": output_items, "usage": usage, "store": False}, {}

    if path == "/v1/chat/completions":
        message = {"role": "assistant", "content": text, "refusal": None}
        finish = "stop"
        if step == "refusal":
            message = {"role": "assistant", "content": None, "refusal": "I'm sorry, I can't help with that request."}
        elif step == "incomplete":
            finish, message["content"] = "length", text[: len(text) // 3]
        elif step == "filtered":
            finish, message["content"] = "content_filter", ""
        return 200, {"id": "chatcmpl-fake", "object": "chat.completion", "created": now, "model": served,
                     "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
                     "usage": {"prompt_tokens": total, "completion_tokens": output, "total_tokens": total + output,
                               "prompt_tokens_details": {"cached_tokens": cached}}}, {}

    # Anthropic Messages, shaped as the recorded responses.
    usage = {"input_tokens": total - cached - written, "cache_creation_input_tokens": written,
             "cache_read_input_tokens": cached,
             "cache_creation": {"ephemeral_5m_input_tokens": written, "ephemeral_1h_input_tokens": 0},
             "output_tokens": output, "service_tier": "standard"}
    tool = (body.get("tool_choice") or {}).get("name")
    if tool and step != "notjson":
        content = [{"type": "tool_use", "id": "toolu_fake", "name": tool, "input": json.loads(text),
                    "caller": {"type": "direct"}}]
        stop = "tool_use"
    else:
        content, stop = [{"type": "text", "text": text}], "end_turn"
    if step == "refusal":
        content, stop = [], "refusal"
    elif step == "incomplete":
        content, stop = [{"type": "text", "text": text[: len(text) // 3]}], "max_tokens"
    return 200, {"model": served, "id": "msg_fake%06d" % random.randrange(10 ** 6), "type": "message",
                 "role": "assistant", "content": content, "stop_reason": stop, "stop_sequence": None,
                 "usage": usage}, {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, payload, extra=None, record=None):
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        if record is not None:
            with lock:
                record["answer"] = data.decode("utf-8", "replace")
        self.send_response(status)
        headers = {"Content-Type": "application/json"}
        headers.update(extra or {})
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def do_GET(self):
        if self.path == "/_requests":
            with lock:
                return self.send(200, received)
        if self.path == "/_stats":
            with lock:
                return self.send(200, {"max_in_flight": in_flight["max"]})
        if self.path == "/_health":
            return self.send(200, b"ok", {"Content-Type": "text/plain"})
        self.send(404, {"error": {"message": "unknown path", "type": "not_found"}})

    def do_POST(self):
        with lock:
            in_flight["now"] += 1
            in_flight["max"] = max(in_flight["max"], in_flight["now"])
        try:
            self.post()
        finally:
            with lock:
                in_flight["now"] -= 1

    def post(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        path = self.path.split("?")[0]
        headers = {name.lower(): value for name, value in self.headers.items()}
        anthropic = path == "/v1/messages"
        record = {"path": self.path, "headers": headers, "body": None, "raw": raw.decode("utf-8", "replace"),
                  "problems": [], "step": None}
        try:
            body = json.loads(raw)
            record["body"] = body
        except ValueError as error:
            body = None
            record["problems"].append("body is not JSON: %s" % error)
        if path in OPENAI_VALIDATORS:
            if body is not None:
                record["problems"] += validate_openai(path, headers, body)
        elif anthropic:
            if body is not None:
                record["problems"] += validate_anthropic(headers, body)
        else:
            record["problems"].append("unknown endpoint %s" % self.path)
        with lock:
            received.append(record)
        if record["problems"]:
            message = "; ".join(record["problems"])[:4000]
            if anthropic:
                status, payload = anthropic_error(400, "invalid_request_error", message)
            else:
                status, payload = openai_error(400, message, "invalid_request_error")
            return self.send(status if path in OPENAI_VALIDATORS or anthropic else 404, payload, record=record)

        model = body.get("model", "")
        steps = model.split("@", 1)[1].split(",") if "@" in model else ["clean"]
        with lock:
            count = counters.get((path, model), 0)
            counters[(path, model)] = count + 1
        step = steps[min(count, len(steps) - 1)]
        record["step"] = step
        slow = re.match(r"^slow(\d+)(?:-(\d+))?$", step)
        if slow:
            low, high = int(slow.group(1)), int(slow.group(2) or slow.group(1))
            time.sleep(random.uniform(low, high) / 1000)
            step = "clean"
        if step == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        status, payload, extra = answer(path, step, body, headers)
        if step == "truncated":
            data = json.dumps(payload).encode()
            payload = data[: len(data) // 2]
        self.send(status, payload, extra, record=record)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


def self_check():
    """Validates the recorded Anthropic requests (the validator must accept what the real API
    accepted) and a few broken copies (it must refuse those); prints one line per case."""
    failures = 0
    for file in sorted(os.listdir(os.path.join(FIXTURES, "anthropic"))):
        if not file.endswith(".json"):
            continue
        for index, exchange in enumerate(json.load(open(os.path.join(FIXTURES, "anthropic", file)))):
            request = exchange["request"]
            headers = dict(request["headers"], **{"x-api-key": "recorded-key-removed"})
            problems = validate_anthropic(headers, request["body"])
            print("accept %s[%d]: %s" % (file, index, "; ".join(problems) or "ok"))
            failures += bool(problems)
            broken = dict(request["body"], max_tokens="1024")
            problems = validate_anthropic(dict(headers, **{"anthropic-version": "2024-01-01"}), broken)
            print("refuse %s[%d]: %s" % (file, index, "; ".join(problems) or "NOT REFUSED"))
            failures += len(problems) < 2
    return failures


if __name__ == "__main__":
    if "--self-check" in sys.argv:
        sys.exit(1 if self_check() else 0)
    # A test runner may start us with SIGTERM blocked (the mask survives exec): stop when told.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    server = Server(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
