#!/usr/bin/python3
"""A registry front for dockerup's server-mode tests, on 127.0.0.1 only.

    registry_front.py UPSTREAM PORTFILE

Listens on a free port of 127.0.0.1 (written to PORTFILE) and answers the
Docker registry API according to its mode:

    proxy      forward every request to UPSTREAM (host:port, plain HTTP)
    429        manifests: 429 Too Many Requests, Retry-After: 7, with the
               registry error body {"errors": [{"code": "TOOMANYREQUESTS"}]}
               (what Docker Hub sends); anything else is forwarded
    429bare    the same 429 without a Retry-After header
    500        manifests: 500 Internal Server Error
    stall      manifests: no answer while the mode stays stall (30 s at
               most), then forwarded

Control (same port): POST /_control/mode with the mode as body;
GET /_control/stats gives {"manifests": N, "requests": N} as JSON;
POST /_control/stats/reset sets them to zero.
"""
import http.client
import http.server
import json
import os
import sys
import threading
import time

LOCK = threading.Lock()
STATE = {"mode": "proxy", "manifests": 0, "requests": 0}
UPSTREAM = ""


class Front(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("front: %s\n" % (fmt % args))

    def reply(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def control(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode() if n else ""
        with LOCK:
            if self.path == "/_control/mode" and self.command == "POST":
                STATE["mode"] = body.strip()
                out = {"mode": STATE["mode"]}
            elif self.path == "/_control/stats/reset":
                STATE["manifests"] = STATE["requests"] = 0
                out = {}
            else:
                out = dict(STATE)
        self.reply(200, json.dumps(out).encode(),
                   [("Content-Type", "application/json")])

    def refuse(self, mode):
        err = {"errors": [{"code": "TOOMANYREQUESTS",
                           "message": "You have reached your pull rate "
                           "limit (test front)", "detail": None}]}
        headers = [("Content-Type", "application/json"),
                   ("Docker-Distribution-Api-Version", "registry/2.0")]
        if mode == "429":
            headers.append(("Retry-After", "7"))
        if mode == "500":
            err = {"errors": [{"code": "UNKNOWN",
                               "message": "test front: internal error"}]}
            return self.reply(500, json.dumps(err).encode(), headers)
        return self.reply(429, json.dumps(err).encode(), headers)

    def forward(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else None
        conn = http.client.HTTPConnection(UPSTREAM, timeout=30)
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("host", "connection")}
        conn.request(self.command, self.path, body, headers)
        r = conn.getresponse()
        data = r.read()
        hop = ("connection", "transfer-encoding", "content-length",
               "keep-alive")
        self.reply(r.status, data,
                   [(k, v) for k, v in r.getheaders()
                    if k.lower() not in hop])
        conn.close()

    def handle_any(self):
        if self.path.startswith("/_control/"):
            return self.control()
        with LOCK:
            STATE["requests"] += 1
            manifest = "/manifests/" in self.path
            if manifest:
                STATE["manifests"] += 1
            mode = STATE["mode"]
        if manifest and mode in ("429", "429bare", "500"):
            return self.refuse(mode)
        for _ in range(300):
            if not manifest or STATE["mode"] != "stall":
                break
            time.sleep(0.1)
        return self.forward()

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any


def main():
    global UPSTREAM
    UPSTREAM = sys.argv[1]
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Front)
    with open(sys.argv[2] + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(sys.argv[2] + ".tmp", sys.argv[2])
    srv.serve_forever()


if __name__ == "__main__":
    main()
