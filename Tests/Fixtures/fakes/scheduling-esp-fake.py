#!/usr/bin/env python3
"""A loopback fake of the two ESPs that schedule, written from their descriptions and sharing no
code with the Swift services:

  --esp mandrill   Mailchimp Transactional under /api/1.0 (any /api/<version> prefix is accepted):
                   POST .../messages/send-raw, POST .../messages/cancel-scheduled. Bodies are
                   checked against Tests/Fixtures/specs/mailchimp-transactional/messages.openapi.json
                   (MessagesSendRawRequest, MessagesCancelScheduledRequest), the raw message's header
                   section is parsed, and the answers are checked against the response schemas.
  --esp braze      Braze REST: POST /messages/send, /messages/schedule/create,
                   /messages/schedule/delete, /campaigns/trigger/send,
                   /campaigns/trigger/schedule/create, /campaigns/trigger/schedule/delete. Bodies
                   are checked against Tests/Fixtures/specs/braze/requests.schema.json (hand-written
                   from Braze's pages, see the README there); `Authorization: Bearer KEY` is required.

Control endpoints (both):
  GET  /_requests   every request: path, body (parsed), problems (empty when valid), step
  GET  /_scheduled  what is scheduled now: id, send_at, to (the address or external_user_id), series
  GET  /_sent       what went at once: id, to
  POST /_plan       {"path": "/messages/send-raw", "steps": ["429", "clean", ...]}: the next
                    requests to a path (its tail after the version prefix) get these steps in
                    order, then `clean`.

Steps: clean, 429 (Retry-After: 1), 500, 503, hang (no answer for 30 s), and for Mandrill
`rejected:REASON`, `invalid`, `invalid_key`, `payment`, `validation`.

Usage: scheduling-esp-fake.py --esp mandrill|braze [--key KEY] [--root REPO_ROOT]. Listens on
127.0.0.1 on a free port, prints the port on one line, serves until killed. The key defaults to
`test-key`. A request that fails validation gets the ESP's validation error (Mandrill:
HTTP 500 `ValidationError`; Braze: HTTP 400) and is recorded with its problems, so the test fails.
"""
import email.parser, email.policy, email.utils, itertools, json, os, re, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from jsonschema import Draft202012Validator, FormatChecker

args = sys.argv[1:]
ESP = args[args.index("--esp") + 1] if "--esp" in args else "mandrill"
KEY = args[args.index("--key") + 1] if "--key" in args else "test-key"
ROOT = args[args.index("--root") + 1] if "--root" in args else os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", "..", ".."))
SPECS = os.path.join(ROOT, "Tests", "Fixtures", "specs")

lock = threading.Lock()
received, scheduled, sent, plans = [], {}, [], {}
ids = itertools.count(1)

# ---------------------------------------------------------------- Mandrill description

MANDRILL = json.load(open(os.path.join(SPECS, "mailchimp-transactional", "messages.openapi.json")))
SCHEMAS = MANDRILL["components"]["schemas"]
EMAIL_ONLY = FormatChecker(formats=["email"])


def resolve(node):
    while "$ref" in node:
        node = SCHEMAS[node["$ref"].split("/")[-1]]
    return node


def closed_request(name):
    """The request schema with its allOf members merged into one closed object. The description
    puts `additionalProperties: false` on the ApiKey member of each allOf, which read literally
    would refuse every body (raw_message is not in ApiKey); what it means is that the union of the
    members' properties is all a body may have, which is what this checks."""
    schema = resolve(SCHEMAS[name])
    properties, required = {}, []
    for member in schema.get("allOf", []) + [schema]:
        member = resolve(member)
        properties.update(member.get("properties", {}))
        required += member.get("required", [])
    return Draft202012Validator(
        {"type": "object", "properties": properties, "required": sorted(set(required)),
         "additionalProperties": False}, format_checker=EMAIL_ONLY)


def response_validator(name):
    return Draft202012Validator({"$ref": "#/components/schemas/" + name, "components": {"schemas": SCHEMAS}},
                                format_checker=EMAIL_ONLY)


MANDRILL_REQUESTS = {
    "/messages/send-raw": closed_request("MessagesSendRawRequest"),
    "/messages/cancel-scheduled": closed_request("MessagesCancelScheduledRequest"),
}
MANDRILL_RESPONSES = {
    "/messages/send-raw": response_validator("MessagesSendRawResponse"),
    "/messages/cancel-scheduled": response_validator("MessagesCancelScheduledResponse"),
    "error": response_validator("Error"),
}
# send_at's form, from the member's description ("a UTC timestamp in YYYY-MM-DD HH:MM:SS format").
SEND_AT = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


def raw_message_problems(body):
    problems, raw = [], body.get("raw_message")
    if not isinstance(raw, str):
        return problems
    if "\r\n\r\n" not in raw:
        return ["raw_message: no blank line after the header section"]
    message = email.parser.Parser(policy=email.policy.compat32).parsestr(raw, headersonly=True)
    for name in ("From", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe", "List-Unsubscribe-Post"):
        if message.get(name) is None:
            problems.append("raw_message: header %s missing" % name)
    to = email.utils.parseaddr(message.get("To", ""))[1]
    if body.get("to") and body["to"] != [to]:
        problems.append("to: %r is not the message's To %r" % (body["to"], to))
    sender = email.utils.parseaddr(message.get("From", ""))[1]
    if body.get("from_email") and body["from_email"] != sender:
        problems.append("from_email: %r is not the message's From %r" % (body["from_email"], sender))
    metadata = message.get("X-MC-Metadata")
    if metadata is not None:
        try:
            value = json.loads(metadata)
        except ValueError:
            return problems + ["X-MC-Metadata: not JSON"]
        if not isinstance(value, dict) or any(isinstance(v, (dict, list)) for v in value.values()):
            problems.append("X-MC-Metadata: must be an object of scalars")
        if len(json.dumps(value, separators=(",", ":")).encode()) > 200:
            problems.append("X-MC-Metadata: over 200 bytes")
        if any(not re.match(r"^[A-Za-z0-9][A-Za-z0-9_]*$", k) for k in value):
            problems.append("X-MC-Metadata: key names are letters, digits and underscores, not starting with _")
    return problems


def mandrill_error(status, code, name, message):
    body = {"status": "error", "code": code, "name": name, "message": message}
    assert not list(MANDRILL_RESPONSES["error"].iter_errors(body)), body
    return status, body, {}


def mandrill(path, body, step):
    problems = ["%s at $%s: %s" % (path, "".join("[%r]" % p for p in e.path), e.message[:300])
                for e in MANDRILL_REQUESTS[path].iter_errors(body)]
    if path == "/messages/send-raw" and isinstance(body, dict):
        if "send_at" in body and not SEND_AT.match(str(body["send_at"])):
            problems.append("send_at: %r is not YYYY-MM-DD HH:MM:SS" % body["send_at"])
        problems += raw_message_problems(body)
    if problems:
        return problems, mandrill_error(500, -2, "ValidationError", "Validation error: " + "; ".join(problems))
    if body.get("key") != KEY or step == "invalid_key":
        return problems, mandrill_error(401, 401, "Invalid_Key", "Invalid API key")
    if step == "payment":
        return problems, mandrill_error(
            402, 10, "PaymentRequired", "Email scheduling is only available for accounts with a positive balance.")
    if step == "validation":
        return problems, mandrill_error(500, -2, "ValidationError", "Validation error: {\"email\":\"Not valid\"}")
    if path == "/messages/cancel-scheduled":
        with lock:
            entry = scheduled.pop(body["id"], None)
        if entry is None:
            return problems, mandrill_error(404, 11, "Unknown_Message", "No message exists with the id " + body["id"])
        answer = {"_id": body["id"], "created_at": entry["created_at"], "send_at": entry["send_at"],
                  "from_email": body.get("from_email") or entry["from_email"], "to": entry["to"],
                  "subject": entry["subject"]}
        assert not list(MANDRILL_RESPONSES[path].iter_errors(answer)), answer
        return problems, (200, answer, {})
    message = email.parser.Parser(policy=email.policy.compat32).parsestr(body["raw_message"], headersonly=True)
    to = (body.get("to") or [email.utils.parseaddr(message.get("To", ""))[1]])[0]
    message_id = "mandrill-%04d" % next(ids)
    if step.startswith("rejected"):
        reason = step.split(":", 1)[1] if ":" in step else "hard-bounce"
        result = {"email": to, "status": "rejected", "reject_reason": reason, "_id": message_id}
    elif step == "invalid":
        result = {"email": to, "status": "invalid", "_id": message_id}
    elif "send_at" in body:
        result = {"email": to, "status": "scheduled", "_id": message_id}
        with lock:
            scheduled[message_id] = {
                "id": message_id, "send_at": body["send_at"], "to": to, "from_email": body.get("from_email"),
                "subject": message.get("Subject", ""), "created_at": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
                "series": message.get("X-Tidings-Series"), "step": message.get("X-Tidings-Step"),
                "metadata": json.loads(message.get("X-MC-Metadata") or "null")}
    else:
        result = {"email": to, "status": "sent", "_id": message_id}
        with lock:
            sent.append({"id": message_id, "to": to, "step": message.get("X-Tidings-Step"),
                         "metadata": json.loads(message.get("X-MC-Metadata") or "null"), "raw": body["raw_message"]})
    answer = [result]
    assert not list(MANDRILL_RESPONSES[path].iter_errors(answer)), answer
    return problems, (200, answer, {})


# ---------------------------------------------------------------- Braze description

BRAZE = json.load(open(os.path.join(SPECS, "braze", "requests.schema.json")))
BRAZE_REQUESTS = {
    "/messages/send": "MessagesSend",
    "/messages/schedule/create": "MessagesScheduleCreate",
    "/messages/schedule/delete": "MessagesScheduleDelete",
    "/campaigns/trigger/send": "CampaignsTriggerSend",
    "/campaigns/trigger/schedule/create": "CampaignsTriggerScheduleCreate",
    "/campaigns/trigger/schedule/delete": "CampaignsTriggerScheduleDelete",
}
BRAZE_VALIDATORS = {path: Draft202012Validator({"$ref": "#/$defs/" + name, "$defs": BRAZE["$defs"]})
                    for path, name in BRAZE_REQUESTS.items()}


def braze_target(body):
    if body.get("external_user_ids"):
        return body["external_user_ids"][0]
    recipients = body.get("recipients") or [{}]
    return recipients[0].get("external_user_id")


def braze_series(body):
    extras = (((body.get("messages") or {}).get("email") or {}).get("extras")) or {}
    properties = ((body.get("recipients") or [{}])[0].get("trigger_properties")) or {}
    return extras.get("series") or properties.get("series"), extras.get("step") or properties.get("step")


def braze(path, headers, body):
    problems = ["%s at $%s: %s" % (BRAZE_REQUESTS[path], "".join("[%r]" % p for p in e.path), e.message[:300])
                for e in BRAZE_VALIDATORS[path].iter_errors(body)]
    if not headers.get("content-type", "").startswith("application/json"):
        problems.append("header Content-Type: expected application/json")
    if problems:
        return problems, (400, {"message": "Invalid request: " + "; ".join(problems)}, {})
    if headers.get("authorization") != "Bearer " + KEY:
        return problems, (401, {"message": "Invalid API key"}, {})
    if path.endswith("/schedule/delete"):
        with lock:
            entry = scheduled.pop(body["schedule_id"], None)
        if entry is None or ("campaign_id" in body and entry.get("campaign_id") != body["campaign_id"]):
            return problems, (400, {"message": "No schedule with that schedule_id"}, {})
        return problems, (200, {"message": "success"}, {})
    dispatch_id = "dispatch-%04d" % next(ids)
    series, step = braze_series(body)
    if path.endswith("/schedule/create"):
        schedule_id = "schedule-%04d" % next(ids)
        with lock:
            scheduled[schedule_id] = {"id": schedule_id, "send_at": body["schedule"]["time"], "to": braze_target(body),
                                      "series": series, "step": step, "campaign_id": body.get("campaign_id")}
        return problems, (200, {"dispatch_id": dispatch_id, "schedule_id": schedule_id, "message": "success"}, {})
    with lock:
        sent.append({"id": dispatch_id, "to": braze_target(body), "step": step, "body": body})
    return problems, (200, {"dispatch_id": dispatch_id, "message": "success"}, {})


# ---------------------------------------------------------------- HTTP

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body, headers=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        with lock:
            views = {"/_requests": received, "/_scheduled": sorted(scheduled.values(), key=lambda e: e["send_at"]),
                     "/_sent": sent}
            view = json.loads(json.dumps(views.get(self.path)))
        if view is None:
            return self.answer(404, {"message": "not found"})
        self.answer(200, view)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if self.path == "/_plan":
            with lock:
                plans.setdefault(body["path"], []).extend(body["steps"])
            return self.answer(200, {"ok": True})
        path = re.sub(r"^/api/[0-9.]+", "", self.path) if ESP == "mandrill" else self.path
        known = MANDRILL_REQUESTS if ESP == "mandrill" else BRAZE_REQUESTS
        if path not in known:
            return self.answer(404, {"message": "no such endpoint %s" % self.path})
        with lock:
            queue = plans.get(path) or []
            step = queue.pop(0) if queue else "clean"
        record = {"path": path, "body": body, "step": step, "problems": []}
        with lock:
            received.append(record)
        if step == "hang":
            time.sleep(30)
            self.close_connection = True
            return
        if step == "429":
            return self.answer(429, {"status": "error", "code": 429, "name": "RequestLimitExceeded",
                                     "message": "Too Many Requests attempted recently"}
                               if ESP == "mandrill" else {"message": "Rate limit exceeded"}, {"Retry-After": "1"})
        if step in ("500", "503"):
            name = "GeneralError" if step == "500" else "ServiceUnavailable"
            return self.answer(int(step), {"status": "error", "code": -1, "name": name, "message": "try again later"}
                               if ESP == "mandrill" else {"message": "Internal server error"})
        if body is None:
            record["problems"] = ["body: not JSON"]
            return self.answer(400, {"message": "body is not JSON"})
        headers = {name.lower(): value for name, value in self.headers.items()}
        if ESP == "mandrill":
            problems, (status, answer, extra) = mandrill(path, body, step)
        else:
            problems, (status, answer, extra) = braze(path, headers, body)
        record["problems"] = problems
        self.answer(status, answer, extra)


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
