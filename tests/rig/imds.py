#!/usr/bin/env python3
"""EC2 instance-metadata (IMDS) emulator for dockerup's tests.

Two listeners on 127.0.0.1, each on a port the kernel picks:

  metadata port  what dockerup talks to (IMDSv2 and, in v1only mode, v1):
      PUT /latest/api/token      header X-aws-ec2-metadata-token-ttl-seconds
                                 (1..21600) -> 200 token, else 400
      GET /latest/user-data      header X-aws-ec2-metadata-token valid
                                 -> 200 body, 401 without/invalid token,
                                 404 when no user-data is set
  control port   what tests talk to (never affected by the modes):
      GET    /_control/stats          request counters (JSON)
      POST   /_control/stats/reset    zero the counters
      POST   /_control/user-data      body becomes the user-data;
                                      ?gzip=1 stores it gzip-compressed
      DELETE /_control/user-data      no user-data (404)
      POST   /_control/mode           body: normal | refuse | reset |
                                      slow SECONDS | v1only | 404
      GET    /_control/mode           the current mode
      POST   /_control/tokens/expire  every token issued so far is invalid

Modes of the metadata port:
  normal   as above
  refuse   nothing listens: connections are refused (the port stays bound
           by us, without listen(), so nobody else can take it)
  reset    connections are accepted, then reset (RST) without an answer
  slow N   every answer is delayed by N seconds
  v1only   PUT token answers 404; GET works without a token
  404      every metadata request answers 404

Usage: imds.py --state-dir DIR
Writes DIR/imds.port, DIR/imds.control-port (after binding) and appends
one line per request to DIR/imds.log.
"""

import argparse
import gzip
import json
import os
import secrets
import signal
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TTL_MIN = 1
TTL_MAX = 21600
MAX_BODY = 4 * 1024 * 1024


class State:
    """Everything the two servers share, behind one lock."""

    def __init__(self, logpath):
        self.lock = threading.Lock()
        self.userdata = None
        self.mode = "normal"
        self.delay = 0.0
        self.tokens = {}  # token -> expiry (monotonic seconds)
        self.stats = {}
        self.log = open(logpath, "a", buffering=1)
        self.reset_stats()

    def reset_stats(self):
        self.stats = {"requests": 0, "token": 0, "user_data": 0,
                      "refused_token": 0, "unauthorized": 0, "other": 0,
                      "resets": 0, "by_status": {}}

    def count(self, key, status=None):
        with self.lock:
            self.stats[key] = self.stats.get(key, 0) + 1
            if status is not None:
                k = str(status)
                self.stats["by_status"][k] = \
                    self.stats["by_status"].get(k, 0) + 1

    def logline(self, line):
        with self.lock:
            self.log.write("%s %s\n" % (time.strftime("%H:%M:%S"), line))


class MetadataHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "imds-emulator"

    def log_message(self, fmt, *args):
        self.server.state.logline("imds %s %s" % (self.client_address[0],
                                                   fmt % args))

    def handle(self):
        st = self.server.state
        with st.lock:
            mode = st.mode
        if mode == "reset":
            self.reset_connection()
            return
        super().handle()

    def handle_one_request(self):
        st = self.server.state
        with st.lock:
            mode, delay = st.mode, st.delay
        if mode == "slow" and delay > 0:
            time.sleep(delay)
        super().handle_one_request()

    def reset_connection(self):
        st = self.server.state
        st.count("requests")
        st.count("resets")
        st.logline("imds %s reset" % self.client_address[0])
        # Let the request arrive first, so that the client sees the reset
        # while waiting for its answer.
        self.connection.settimeout(1.0)
        try:
            self.connection.recv(65536)
        except OSError:
            pass
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                   struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def answer(self, status, body=b"", ctype="text/plain", headers=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.server.state.count("requests", status)

    def drain_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if 0 < n <= MAX_BODY:
            self.rfile.read(n)

    def do_PUT(self):
        st = self.server.state
        self.drain_body()
        with st.lock:
            mode = st.mode
        path = urlsplit(self.path).path
        if path != "/latest/api/token" or mode == "404":
            st.count("other")
            return self.answer(404, b"Not Found")
        if mode == "v1only":
            st.count("refused_token")
            return self.answer(404, b"Not Found")
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
        try:
            ttl = int(ttl)
        except (TypeError, ValueError):
            ttl = 0
        if not TTL_MIN <= ttl <= TTL_MAX:
            st.count("refused_token")
            return self.answer(400, b"Bad Request")
        token = secrets.token_urlsafe(32)
        with st.lock:
            st.tokens[token] = time.monotonic() + ttl
        st.count("token")
        self.answer(200, token.encode(), headers={
            "X-aws-ec2-metadata-token-ttl-seconds": str(ttl)})

    def token_valid(self):
        st = self.server.state
        token = self.headers.get("X-aws-ec2-metadata-token")
        with st.lock:
            exp = st.tokens.get(token) if token else None
            return exp is not None and exp > time.monotonic()

    def do_GET(self):
        st = self.server.state
        with st.lock:
            mode, data = st.mode, st.userdata
        path = urlsplit(self.path).path
        if path != "/latest/user-data" or mode == "404":
            st.count("other")
            return self.answer(404, b"Not Found")
        if mode != "v1only" and not self.token_valid():
            st.count("unauthorized")
            return self.answer(401, b"Unauthorized")
        st.count("user_data")
        if data is None:
            return self.answer(404, b"Not Found")
        self.answer(200, data, ctype="application/octet-stream")

    do_HEAD = do_GET

    def do_POST(self):
        self.drain_body()
        self.server.state.count("other")
        self.answer(405, b"Method Not Allowed")

    do_DELETE = do_POST


class ControlHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "imds-emulator-control"

    def log_message(self, fmt, *args):
        self.server.state.logline("control %s" % (fmt % args))

    def answer(self, status, body=b"", ctype="text/plain"):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n < 0 or n > MAX_BODY:
            raise ValueError("body of %d bytes; at most %d expected"
                             % (n, MAX_BODY))
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        st = self.server.state
        path = urlsplit(self.path).path
        if path == "/_control/stats":
            with st.lock:
                out = json.dumps(st.stats, sort_keys=True)
            return self.answer(200, out + "\n", "application/json")
        if path == "/_control/mode":
            with st.lock:
                out = st.mode + (" %g" % st.delay if st.mode == "slow"
                                 else "")
            return self.answer(200, out + "\n")
        self.answer(404, "unknown control path %s\n" % path)

    def do_POST(self):
        st = self.server.state
        url = urlsplit(self.path)
        try:
            body = self.body()
        except ValueError as e:
            return self.answer(413, "%s\n" % e)
        if url.path == "/_control/user-data":
            if parse_qs(url.query).get("gzip", ["0"])[0] not in ("", "0"):
                body = gzip.compress(body)
            with st.lock:
                st.userdata = body
            return self.answer(200, "user-data set, %d bytes\n" % len(body))
        if url.path == "/_control/stats/reset":
            with st.lock:
                st.reset_stats()
            return self.answer(200, "ok\n")
        if url.path == "/_control/tokens/expire":
            with st.lock:
                st.tokens.clear()
            return self.answer(200, "ok\n")
        if url.path == "/_control/mode":
            return self.set_mode(body.decode(errors="replace").split())
        self.answer(404, "unknown control path %s\n" % url.path)

    def do_DELETE(self):
        st = self.server.state
        if urlsplit(self.path).path == "/_control/user-data":
            with st.lock:
                st.userdata = None
            return self.answer(200, "user-data removed\n")
        self.answer(404, "unknown control path %s\n" % self.path)

    def set_mode(self, words):
        modes = ("normal", "refuse", "reset", "slow", "v1only", "404")
        if not words or words[0] not in modes:
            return self.answer(400, "mode: expected one of %s, got %r\n"
                               % (" ".join(modes), " ".join(words)))
        delay = 0.0
        if words[0] == "slow":
            try:
                delay = float(words[1])
            except (IndexError, ValueError):
                return self.answer(400, "mode slow: expected a delay in "
                                   "seconds, e.g. 'slow 3'\n")
        self.server.metadata.set_listening(words[0] != "refuse")
        st = self.server.state
        with st.lock:
            st.mode, st.delay = words[0], delay
        self.answer(200, "mode %s\n" % " ".join(words))


class Metadata:
    """The metadata server, whose listening socket can be switched off."""

    def __init__(self, state):
        self.state = state
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), MetadataHandler)
        self.server.daemon_threads = True
        self.server.state = state
        self.port = self.server.server_address[1]
        self.thread = None
        self.listening = True

    def start(self):
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def set_listening(self, on):
        with self.lock:
            if on == self.listening:
                return
            if not on:
                # Stop the loop, then swap the listening socket for one
                # that keeps the port bound but does not listen: a
                # connect() is then refused.
                self.server.shutdown()
                old = self.server.socket
                new = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                new.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                old.close()
                new.bind(("127.0.0.1", self.port))
                self.server.socket = new
            else:
                self.server.socket.listen(16)
                self.start()
            self.listening = on


def write_file(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--state-dir", required=True)
    args = ap.parse_args()

    state = State(os.path.join(args.state_dir, "imds.log"))
    meta = Metadata(state)
    control = ThreadingHTTPServer(("127.0.0.1", 0), ControlHandler)
    control.daemon_threads = True
    control.state = state
    control.metadata = meta

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    meta.start()
    threading.Thread(target=control.serve_forever, daemon=True).start()
    write_file(os.path.join(args.state_dir, "imds.port"), "%d\n" % meta.port)
    write_file(os.path.join(args.state_dir, "imds.control-port"),
               "%d\n" % control.server_address[1])
    state.logline("listening metadata=%d control=%d"
                  % (meta.port, control.server_address[1]))
    while not stop.wait(3600):
        pass
    state.logline("stopping")
    return 0


if __name__ == "__main__":
    sys.exit(main())
