#!/usr/bin/env python3
"""A loopback fake of the two Klaviyo calls Tidings makes, written from Klaviyo's OpenAPI slices
(Tests/Fixtures/specs/klaviyo, see PROVENANCE.md) and sharing no code with the Swift service:

  POST /api/profile-import  create_or_update_profile: 201 with data.id the first time an email is
                            seen, 200 with the same id after
  POST /api/events          create_event: 202 with no body; the event is recorded once per
                            (profile, metric, unique_id), as the spec says Klaviyo does
  GET  /_requests           every request: path, headers, body (parsed), problems, fault;
                            `?bodies=0` leaves the bodies out (a long run's would be megabytes);
                            `/_events?bodies=0` likewise the properties
  GET  /_events             the events recorded: unique_id, metric, profile, properties, and
                            `seen` (how many times the unique_id arrived and was handled) and `recorded` (always 1)
  POST /_faults             what to answer: {"script": {"/api/events": ["429", "500"]}} answers the
                            next requests to a path with those faults in order, then clean;
                            {"rate": 0.2, "kinds": [...], "seed": 7} draws a fault for each request
                            with that probability; {} turns faults off
  POST /_reset              forgets requests, events and profiles

Every request is checked: `Authorization: Klaviyo-API-Key <key>` (--key, default
pk_tidings_test), `revision` equal to the spec's info.version, `accept` and `content-type`
`application/vnd.api+json`, and the body against the operation's request schema: $ref, type,
nullable, enum, oneOf, required, date-time, and, stricter than the schema says, no members that a
schema with `properties` does not name (free-form objects such as an event's `properties` take
anything). An event must name a profile id the upsert returned. A request that fails gets HTTP 400
in JSON:API's error shape with the problems, and is recorded with them, so the test fails loudly.

Faults (the JSON:API error bodies of the spec's ClientError/ServerError):
  429          throttled, `Retry-After: N` (--retry-after, default 1)
  500 503      server errors
  400          invalid with a source pointer;  401  a refused key
  reset        the connection is reset before the request is handled
  late-reset   the request is handled (the event recorded), then the connection is reset
  hang         no answer for --hang seconds (default 30), then the connection is closed

Usage: klaviyo-fake.py [--root REPO_ROOT] [--key KEY] [--retry-after N] [--hang S] [--self-check].
Prints its port on one line, serves on 127.0.0.1 until killed. --self-check validates good and
broken bodies and exits 1 when the validator accepts a broken one.
"""
import json, os, random, re, signal, socket, struct, sys, threading, time, uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def option(name, default):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


ROOT = option("--root", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..")))
SPECS = os.path.join(ROOT, "Tests", "Fixtures", "specs", "klaviyo")
KEY = option("--key", "pk_tidings_test")
RETRY_AFTER = option("--retry-after", "1")
HANG = float(option("--hang", "30"))
MEDIA = "application/vnd.api+json"

OPERATIONS = {}
for name, path in [("create_or_update_profile.json", "/api/profile-import"), ("create_event.json", "/api/events")]:
    spec = json.load(open(os.path.join(SPECS, name)))
    operation = spec["paths"][path]["post"]
    OPERATIONS[path] = (spec, operation["requestBody"]["content"][MEDIA]["schema"])
REVISION = OPERATIONS["/api/events"][0]["info"]["version"]

lock = threading.Lock()
state = {"requests": [], "events": {}, "profiles": {}, "script": {}, "rate": 0.0, "kinds": [], "random": random.Random(7)}

DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
TYPES = {"object": dict, "array": list, "string": str, "boolean": bool}


def resolve(spec, schema):
    while "$ref" in schema:
        node = spec
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def validate(spec, value, schema, path, problems):
    """Appends to `problems` each way `value` breaks `schema` (OpenAPI 3.0 subset)."""
    if value is None:
        if not (schema.get("nullable") or resolve(spec, schema).get("nullable")):
            problems.append("%s: null is not allowed" % path)
        return
    schema = resolve(spec, schema)
    if "oneOf" in schema:
        matches = 0
        for option_schema in schema["oneOf"]:
            found = []
            validate(spec, value, option_schema, path, found)
            matches += not found
        if matches != 1:
            problems.append("%s: matches %d of oneOf's schemas, not exactly one" % (path, matches))
        return
    kind = schema.get("type")
    if kind == "number":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif kind == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind in TYPES:
        ok = isinstance(value, TYPES[kind])
    else:
        ok = True
    if not ok:
        problems.append("%s: %s is not of type %s" % (path, json.dumps(value)[:40], kind))
        return
    if "enum" in schema and value not in schema["enum"]:
        problems.append("%s: %s is not one of %s" % (path, json.dumps(value)[:40], schema["enum"]))
    if schema.get("format") == "date-time" and isinstance(value, str) and not DATE_TIME.match(value):
        problems.append("%s: %r is not a date-time" % (path, value[:40]))
    if isinstance(value, dict):
        for member in schema.get("required", []):
            if member not in value:
                problems.append("%s: required member %r is missing" % (path, member))
        members = schema.get("properties")
        for member, item in value.items():
            if members is not None and member in members:
                validate(spec, item, members[member], "%s/%s" % (path, member), problems)
            elif members is not None and schema.get("additionalProperties") is not True:
                problems.append("%s: unknown member %r" % (path, member))
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            validate(spec, item, schema["items"], "%s/%d" % (path, index), problems)


def check(path, headers, body):
    """The problems of one request: headers, then the body against the operation's schema."""
    problems = []
    if headers.get("authorization") != "Klaviyo-API-Key " + KEY:
        problems.append("header Authorization: not 'Klaviyo-API-Key <the configured key>'")
    if headers.get("revision") != REVISION:
        problems.append("header revision: %r, expected %r" % (headers.get("revision"), REVISION))
    for name in ("accept", "content-type"):
        if (headers.get(name) or "").split(";")[0].strip() != MEDIA:
            problems.append("header %s: %r, expected %r" % (name, headers.get(name), MEDIA))
    spec, schema = OPERATIONS[path]
    validate(spec, body, schema, "", problems)
    return problems


def error_body(status, code, title, detail, pointer=None):
    error = {"id": str(uuid.uuid4()), "status": status, "code": code, "title": title, "detail": detail}
    if pointer:
        error["source"] = {"pointer": pointer}
    return {"errors": [error]}


FAULTS = {
    "429": (429, error_body(429, "throttled", "Request was throttled.", "Request was throttled. Expected available in 1 second.")),
    "500": (500, error_body(500, "error", "A server error occurred.", "A server error occurred.")),
    "503": (503, error_body(503, "service_unavailable", "Service Unavailable", "The service is temporarily unavailable.")),
    "400": (400, error_body(400, "invalid", "Invalid input.", "'name' is not a valid field for the resource 'metric'.", "/data/attributes/metric/data/attributes/name")),
    "401": (401, error_body(401, "not_authenticated", "Authentication credentials were not provided.", "Missing or invalid private key.")),
}


def next_fault(path):
    with lock:
        queue = state["script"].get(path)
        if queue:
            return queue.pop(0)
        if state["rate"] and state["random"].random() < state["rate"]:
            return state["random"].choice(state["kinds"])
    return "clean"


def handle(path, body):
    """The clean answer: status, JSON body or None."""
    attributes = body["data"]["attributes"]
    with lock:
        if path == "/api/profile-import":
            email = attributes.get("email")
            created = email not in state["profiles"]
            if created:
                state["profiles"][email] = "01K" + uuid.uuid4().hex[:23].upper()
            profile = state["profiles"][email]
            return (201 if created else 200), {"data": {"type": "profile", "id": profile, "attributes": {"email": email}}}
        profile = attributes["profile"]["data"].get("id")
        if profile not in state["profiles"].values():
            return 400, error_body(400, "invalid", "Invalid input.", "profile id %r was never returned by the upsert" % profile, "/data/attributes/profile/data/id")
        metric = attributes["metric"]["data"]["attributes"]["name"]
        unique = attributes.get("unique_id") or attributes.get("time")
        key = (profile, metric, unique)
        if key in state["events"]:
            state["events"][key]["seen"] += 1
        else:
            state["events"][key] = {"unique_id": unique, "metric": metric, "profile": profile, "time": attributes.get("time"),
                                    "properties": attributes["properties"], "seen": 1, "recorded": 1}
        return 202, None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, payload, extra=None):
        data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        if payload is not None:
            self.send_header("Content-Type", MEDIA)
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def reset(self):
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def do_GET(self):
        with lock:
            if self.path == "/_requests":
                return self.send(200, state["requests"])
            if self.path == "/_requests?bodies=0":
                return self.send(200, [{k: v for k, v in r.items() if k != "body"} for r in state["requests"]])
            if self.path == "/_events":
                return self.send(200, list(state["events"].values()))
            if self.path == "/_events?bodies=0":
                return self.send(200, [{k: v for k, v in e.items() if k != "properties"} for e in state["events"].values()])
        self.send(404, error_body(404, "not_found", "Not found.", self.path))

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/_faults":
            config = json.loads(raw or b"{}")
            with lock:
                state["script"] = {path: list(faults) for path, faults in config.get("script", {}).items()}
                state["rate"] = float(config.get("rate", 0))
                state["kinds"] = list(config.get("kinds", []))
                state["random"] = random.Random(config.get("seed", 7))
            return self.send(200, {"ok": True})
        if self.path == "/_reset":
            with lock:
                for name in ("requests",):
                    state[name] = []
                state["events"], state["profiles"] = {}, {}
            return self.send(200, {"ok": True})
        if self.path not in OPERATIONS:
            return self.send(404, error_body(404, "not_found", "Not found.", self.path))
        headers = {name.lower(): value for name, value in self.headers.items()}
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        problems = ["body: not JSON"] if body is None else check(self.path, headers, body)
        fault = next_fault(self.path)
        record = {"path": self.path, "body": body, "problems": problems, "fault": fault,
                  "headers": {k: v for k, v in headers.items() if k != "authorization"}}
        with lock:
            state["requests"].append(record)
        if fault == "reset":
            return self.reset()
        if fault == "hang":
            time.sleep(HANG)
            self.close_connection = True
            return self.connection.close()
        if problems:
            return self.send(400, error_body(400, "invalid", "Invalid input.", "; ".join(problems)[:2000]))
        if fault in FAULTS:
            status, payload = FAULTS[fault]
            return self.send(status, payload, {"Retry-After": RETRY_AFTER} if status == 429 else None)
        status, payload = handle(self.path, body)
        if fault == "late-reset":
            return self.reset()
        self.send(status, payload)


def self_check():
    """Good bodies must pass, broken ones must fail; returns the number of wrong verdicts."""
    headers = {"authorization": "Klaviyo-API-Key " + KEY, "revision": REVISION, "accept": MEDIA, "content-type": MEDIA}
    profile = {"data": {"type": "profile", "attributes": {"email": "ada@example.com", "first_name": "Ada"}}}
    event = {"data": {"type": "event", "attributes": {
        "properties": {"subject": "s", "$extra": {"html": "<p>"}},
        "metric": {"data": {"type": "metric", "attributes": {"name": "Tidings Cart Abandoned"}}},
        "profile": {"data": {"type": "profile", "id": "01K", "attributes": {"email": "ada@example.com"}}},
        "unique_id": "tidings-1", "time": "2026-11-21T15:20:00Z"}}}
    cases = [
        ("good profile", "/api/profile-import", headers, profile, True),
        ("good event", "/api/events", headers, event, True),
        ("old revision", "/api/events", dict(headers, revision="2023-02-22"), event, False),
        ("json content type", "/api/events", dict(headers, **{"content-type": "application/json"}), event, False),
        ("no metric", "/api/events", headers, {"data": {"type": "event", "attributes": {
            k: v for k, v in event["data"]["attributes"].items() if k != "metric"}}}, False),
        ("wrong type", "/api/profile-import", headers, {"data": {"type": "profiles", "attributes": {}}}, False),
        ("unknown attribute", "/api/profile-import", headers,
         {"data": {"type": "profile", "attributes": {"mail": "ada@example.com"}}}, False),
        ("number unique_id", "/api/events", headers, json.loads(json.dumps(event).replace('"tidings-1"', "7")), False),
        ("bad time", "/api/events", headers, json.loads(json.dumps(event).replace("2026-11-21T15:20:00Z", "yesterday")), False),
    ]
    wrong = 0
    for name, path, case_headers, body, valid in cases:
        problems = check(path, case_headers, body)
        verdict = not problems
        print("%s %s: %s" % ("ok  " if verdict == valid else "WRONG", name, "; ".join(problems) or "valid"))
        wrong += verdict != valid
    return wrong


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        # A connection the fake reset or the client gave up on ends in a socket error by design;
        # a traceback per fault would fill the stderr pipe of a long run (nobody reads it).
        if not isinstance(sys.exc_info()[1], (OSError, ValueError)):
            super().handle_error(request, client_address)


if __name__ == "__main__":
    if "--self-check" in sys.argv:
        sys.exit(1 if self_check() else 0)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    server = Server(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
