#!/usr/bin/env python3
"""An independent fake of the Lambda Runtime API (shared/specs/aws-lambda-runtime/runtime-api.yaml),
written against the specification with Python's http.server, sharing no code with the Swift
client. Used by Tests/TidingsRuntimeTests/IndependentRuntimeAPITests.swift.

Usage: fake-runtime-api.py PLAN.json RESULTS.json
PLAN: {"invocations": [{"id": "...", "body_file": "...", "deadline_in_ms": 30000,
        "response_status": 202, "chunked": false}], "next_status_after": 500}
Prints the port it listens on, then serves GET /2018-06-01/runtime/invocation/next one invocation
at a time (with the spec's headers), records every POST, answers each /response with
`response_status` (202 unless the plan says 413 and the like), and when the plan is used up answers
the next GET with `next_status_after` (a 500: the runtime must exit). Writes RESULTS and exits once
the runtime has gone or after 60 s.
"""
import json, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

plan = json.load(open(sys.argv[1]))
results_path = sys.argv[2]
queue = list(plan["invocations"])
posts, requests = [], []
lock = threading.Lock()
done = threading.Event()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the service

    def log_message(self, *args):
        pass

    def send(self, status, body=b"", headers=None, chunked=False):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            half = len(body) // 2
            for part in (body[:half], body[half:]):
                if part:
                    self.wfile.write(b"%x\r\n" % len(part) + part + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        self.wfile.flush()

    def do_GET(self):
        with lock:
            requests.append({"method": "GET", "path": self.path})
        if self.path != "/2018-06-01/runtime/invocation/next":
            return self.send(404, b'{"errorMessage":"unknown path","errorType":"NotFound"}')
        with lock:
            invocation = queue.pop(0) if queue else None
        if invocation is None:
            done.set()
            return self.send(plan.get("next_status_after", 500), b'{"errorMessage":"done","errorType":"ServiceException"}')
        body = open(invocation["body_file"], "rb").read()
        headers = {
            "Lambda-Runtime-Aws-Request-Id": invocation["id"],
            "Lambda-Runtime-Deadline-Ms": str(int(time.time() * 1000) + invocation.get("deadline_in_ms", 30000)),
            "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:123456789012:function:tidings-cartAbandoned",
            "Lambda-Runtime-Trace-Id": "Root=1-5e1b4151-%s;Parent=53995c3f42cd8ad8;Sampled=1" % invocation["id"][-24:].rjust(24, "0"),
        }
        self.send(200, body, headers, chunked=invocation.get("chunked", False))

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length) if length else b""
        record = {
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body.decode("utf-8", "replace"),
        }
        with lock:
            posts.append(record)
            requests.append({"method": "POST", "path": self.path})
        status = 202
        parts = self.path.split("/")
        if self.path.endswith("/response") and len(parts) >= 6:
            request_id = parts[4]
            for invocation in plan["invocations"]:
                if invocation["id"] == request_id:
                    status = invocation.get("response_status", 202)
        if status == 202:
            self.send(202, b'{"status":"OK"}')
        else:
            self.send(status, b'{"errorMessage":"Response payload too large","errorType":"RequestEntityTooLarge"}')


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
done.wait(60)
time.sleep(0.5)  # let the runtime see the last answer
with lock:
    json.dump({"posts": posts, "requests": requests}, open(results_path, "w"), indent=2)
server.shutdown()
