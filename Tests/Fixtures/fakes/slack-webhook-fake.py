#!/usr/bin/env python3
"""A loopback fake of a Slack incoming webhook, written from Slack's pages and sharing no code
with the Swift notifier:

  https://api.slack.com/messaging/webhooks        POST JSON to the hook URL, answer 200 "ok"
  https://api.slack.com/reference/block-kit/blocks  header, section, context, divider blocks
  https://api.slack.com/reference/block-kit/composition-objects#text  text objects

POST /services/<T>/<B>/<secret>  checks the Block Kit shape (limits below), records the request
                                 with its problems, and answers 200 "ok", or 400
                                 "invalid_blocks" when a problem was found (as Slack does).
GET  /_requests                  every request: path, content_type, body (parsed), problems
POST /_plan                      {"steps": ["500", "ok", ...]}: the next webhook posts get these
                                 answers in order (then "ok").

Limits checked: `text` a non-empty string (the notification fallback); `blocks` 1 to 50; a
header's text plain_text of at most 150 characters; a section has `text` (at most 3000) or
`fields` (1 to 10, each at most 2000); a context has 1 to 10 elements; every text object has
type plain_text or mrkdwn and a non-empty string text; no unknown block types.

Usage: slack-webhook-fake.py. Listens on 127.0.0.1 on a free port, prints the port, serves until killed.
"""
import json, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
received, plan = [], []


def text_object(value, where, problems, limit, plain_only=False):
    if not isinstance(value, dict):
        problems.append(f"{where}: not a text object")
        return
    kinds = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
    if value.get("type") not in kinds:
        problems.append(f"{where}.type: {value.get('type')!r} is not one of {kinds}")
    text = value.get("text")
    if not isinstance(text, str) or not text:
        problems.append(f"{where}.text: missing or empty")
    elif len(text) > limit:
        problems.append(f"{where}.text: {len(text)} characters, more than {limit}")


def check(body):
    problems = []
    if not isinstance(body, dict):
        return ["the body is not a JSON object"]
    if not isinstance(body.get("text"), str) or not body["text"]:
        problems.append("text: the fallback text is missing")
    blocks = body.get("blocks")
    if not isinstance(blocks, list) or not (1 <= len(blocks) <= 50):
        return problems + ["blocks: must be an array of 1 to 50 blocks"]
    for index, block in enumerate(blocks):
        where = f"blocks[{index}]"
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "header":
            text_object(block.get("text"), where + ".text", problems, 150, plain_only=True)
        elif kind == "section":
            if "text" not in block and "fields" not in block:
                problems.append(f"{where}: a section needs text or fields")
            if "text" in block:
                text_object(block["text"], where + ".text", problems, 3000)
            if "fields" in block:
                fields = block["fields"]
                if not isinstance(fields, list) or not (1 <= len(fields) <= 10):
                    problems.append(f"{where}.fields: 1 to 10 text objects")
                else:
                    for n, field in enumerate(fields):
                        text_object(field, f"{where}.fields[{n}]", problems, 2000)
        elif kind == "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not (1 <= len(elements) <= 10):
                problems.append(f"{where}.elements: 1 to 10 elements")
            else:
                for n, element in enumerate(elements):
                    text_object(element, f"{where}.elements[{n}]", problems, 3000)
        elif kind == "divider":
            pass
        else:
            problems.append(f"{where}.type: {kind!r} is not a block this notice may use")
    return problems


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body, content_type="text/plain"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/_requests":
            with lock:
                self.answer(200, json.dumps(received), "application/json")
        else:
            self.answer(404, "no_service")

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/_plan":
            with lock:
                plan.extend(json.loads(raw)["steps"])
            self.answer(200, "planned")
            return
        if not self.path.startswith("/services/"):
            self.answer(404, "no_service")
            return
        try:
            body = json.loads(raw)
            problems = check(body)
        except ValueError:
            body, problems = None, ["the body is not JSON"]
        if not (self.headers.get("Content-Type") or "").startswith("application/json"):
            problems.append("Content-Type is not application/json")
        with lock:
            step = plan.pop(0) if plan else "ok"
            received.append({"path": self.path, "body": body, "problems": problems, "step": step})
        if step != "ok":
            self.answer(int(step), "service_unavailable")
        elif problems:
            self.answer(400, "invalid_blocks")
        else:
            self.answer(200, "ok")


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
