#!/usr/bin/env python3
"""A hostile or broken Docker endpoint on a unix socket, for the tests of
what dockerup takes from the Docker API (tests/integration/hostile_docker.bats).

    fake_docker.py DIR

Serves DIR/docker.sock (HTTP/1.1, keep-alive, as dockerd does).  Every
request is appended to DIR/requests.log as "METHOD PATH" (the path as
received, version prefix and query included) before it is answered, so a
test can assert which requests dockerup did and did not send.

The answers come from DIR/routes.json, read again at every request:

    [{"method": "GET", "path": "/containers/json",
      "status": 200, "json": [...]},                  # a JSON body
     {"path": "/images/json", "raw": "[{\"Size\": 1e400}]"},  # as it is
     {"path": "/info", "status": 500, "base64": "G1sySg=="},  # any bytes
     {"path": "/_ping", "text": "OK",                 # a text body
      "headers": {"API-Version": "1.41"},
      "header_bytes": 204800},                        # one huge header
     {"path": "/images/json", "body_bytes": 70000000}]  # a huge body

"path" matches the request's path without its /vN.NN prefix and without
its query; "method" defaults to GET.  A request no route matches gets 404
{"message": "fake_docker: no route"}.  /_ping answers "OK" with
API-Version 1.41 unless a route says otherwise.  The pid goes to DIR/pid
once the socket listens.
"""
import base64
import http.server
import json
import os
import re
import socketserver
import sys

DIR = sys.argv[1]
SOCK = os.path.join(DIR, "docker.sock")
VERSION = re.compile(r"^/v[0-9]+\.[0-9]+(?=/)")


def routes():
    try:
        with open(os.path.join(DIR, "routes.json")) as f:
            return json.load(f)
    except FileNotFoundError:
        return []


def find(method, path):
    bare = VERSION.sub("", path.split("?", 1)[0])
    for r in routes():
        if r.get("method", "GET") == method and r["path"] == bare:
            return r
    if method == "GET" and bare == "/_ping":
        return {"text": "OK", "headers": {"API-Version": "1.41"}}
    return {"status": 404, "json": {"message": "fake_docker: no route"}}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def answer(self):
        with open(os.path.join(DIR, "requests.log"), "a") as f:
            f.write("%s %s\n" % (self.command, self.path))
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        r = find(self.command, self.path)
        if "json" in r:
            body = json.dumps(r["json"]).encode()
            ctype = "application/json"
        elif "raw" in r:
            body = r["raw"].encode()
            ctype = "application/json"
        elif "base64" in r:
            body = base64.b64decode(r["base64"])
            ctype = "text/plain"
        else:
            body = r.get("text", "").encode()
            ctype = "text/plain; charset=utf-8"
        if "body_bytes" in r:
            body = b" " * r["body_bytes"]
        self.send_response(r.get("status", 200))
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in r.get("headers", {}).items():
            self.send_header(k, v)
        if "header_bytes" in r:
            self.send_header("X-Padding", "a" * r["header_bytes"])
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            pass

    do_GET = do_POST = do_DELETE = do_PUT = do_HEAD = answer


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that hangs up (as dockerup does on a bad answer)

    def get_request(self):
        conn, _ = super().get_request()
        return conn, ("fake", 0)  # BaseHTTPRequestHandler wants a pair


if os.path.exists(SOCK):
    os.unlink(SOCK)
srv = Server(SOCK, Handler)
with open(os.path.join(DIR, "pid"), "w") as f:
    f.write("%d\n" % os.getpid())
srv.serve_forever()
