#!/usr/bin/env python3
"""A loopback HTTP/1.1 server that misbehaves on request, written from RFC 9110 / RFC 9112 (message
framing, chunked coding, Retry-After) with Python's http.server, sharing no code with the Swift
transport. Used by Tests/TidingsHTTPTests.

Usage: http-faults.py [--tls DIR]
Prints the port it listens on (port 0: the system picks) on its first line, then serves until
killed or until its stdin closes. With --tls it speaks HTTPS with a self-signed certificate that
openssl writes into DIR (no client trusts it).

Paths (GET unless said):
  /echo                       200, JSON: method, path, request headers (names lower-cased), body
                              (any method; the body is read by Content-Length)
  /chunked?parts=N            200, chunked coding, N chunks of "part-i;" (RFC 9112 section 7.1)
  /big?bytes=N&chunked=0|1    200, N bytes of "x", framed by Content-Length or chunked
  /slow?ms=N                  200 "slow" after sleeping N ms
  /reset                      promises 1000 bytes, sends 10, then resets the connection (RST)
  /status?code=N              that status, a small JSON error body
  /flaky?key=K&statuses=a,b,c&retry_after=V&retry_after_ms=M&should_retry=true|false
                              the i-th request for key K answers the i-th status (the last one
                              repeats); non-2xx answers carry the given retry headers
  /hits?key=K                 JSON {"hits": requests seen for key K}
  /connections                JSON {"connections": TCP connections accepted so far}
"""
import json, os, socket, ssl, struct, subprocess, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

lock = threading.Lock()
hits = {}
connections = 0


class Server(ThreadingHTTPServer):
    request_queue_size = 128  # 32+ clients connect at once
    daemon_threads = True

    def get_request(self):
        global connections
        sock, address = super().get_request()
        with lock:
            connections += 1
        return sock, address


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # persistent connections (RFC 9112 section 9.3)

    def log_message(self, *args):
        pass

    def answer(self, status, body=b"", headers=None):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def answer_chunked(self, status, parts):
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for part in parts:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")

    def handle_any(self):
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = url.path
        if path == "/echo":
            payload = {
                "method": self.command,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace"),
            }
            self.answer(200, json.dumps(payload).encode(), {"Content-Type": "application/json", "X-Server-Name": "faults"})
        elif path == "/chunked":
            self.answer_chunked(200, [b"part-%d;" % i for i in range(int(query.get("parts", "3")))])
        elif path == "/big":
            size = int(query["bytes"])
            if query.get("chunked") == "1":
                self.answer_chunked(200, [b"x" * 65536] * (size // 65536) + [b"x" * (size % 65536)])
            else:
                self.answer(200, b"x" * size)
        elif path == "/slow":
            time.sleep(int(query["ms"]) / 1000)
            self.answer(200, b"slow")
        elif path == "/reset":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"0123456789")
            self.wfile.flush()
            # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
        elif path == "/status":
            self.answer(int(query["code"]), b'{"error":"as asked"}', {"Content-Type": "application/json"})
        elif path == "/flaky":
            key = query["key"]
            with lock:
                index = hits.get(key, 0)
                hits[key] = index + 1
            statuses = [int(s) for s in query["statuses"].split(",")]
            status = statuses[min(index, len(statuses) - 1)]
            headers = {"Content-Type": "application/json"}
            if status >= 300:
                for param, header in (("retry_after", "Retry-After"), ("retry_after_ms", "retry-after-ms"),
                                      ("should_retry", "x-should-retry")):
                    if param in query:
                        headers[header] = query[param]
            self.answer(status, json.dumps({"attempt": index + 1, "status": status}).encode(), headers)
        elif path == "/hits":
            with lock:
                count = hits.get(query["key"], 0)
            self.answer(200, json.dumps({"hits": count}).encode(), {"Content-Type": "application/json"})
        elif path == "/connections":
            with lock:
                count = connections
            self.answer(200, json.dumps({"connections": count}).encode(), {"Content-Type": "application/json"})
        else:
            self.answer(404, b"no such path")

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = handle_any


def main():
    server = Server(("127.0.0.1", 0), Handler)
    if len(sys.argv) == 3 and sys.argv[1] == "--tls":
        directory = sys.argv[2]
        key, cert = os.path.join(directory, "key.pem"), os.path.join(directory, "cert.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                        "-keyout", key, "-out", cert], check=True, capture_output=True)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)

    def watch_stdin():
        sys.stdin.read()
        os._exit(0)

    threading.Thread(target=watch_stdin, daemon=True).start()
    server.serve_forever()


main()
