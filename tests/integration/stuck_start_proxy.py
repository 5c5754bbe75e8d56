#!/usr/bin/env python3
"""A front for the rig's Docker socket that makes chosen containers
impossible to start, as containerd leaves one when dockerd dies during its
start (issue #16: every later start answers HTTP 500 "task ID: already
exists").  For tests/integration/crash.bats.

    stuck_start_proxy.py DIR UPSTREAM_SOCKET

Serves DIR/docker.sock and relays every request to UPSTREAM_SOCKET.  The
first container created under a name listed in DIR/stuck (one a line,
read again at every create) is remembered, and every start of it is
answered 500 {"message": "task ID: already exists"} without reaching the
engine; a name is used once, so a container created again under it
starts.  A line of DIR/stuck that is a container's ID makes that container
stuck at once.  Each stuck ID goes to DIR/stuck.ids, each request to
DIR/requests.log as "METHOD PATH".  The pid goes to DIR/pid once the
socket listens.
"""
import http.client
import http.server
import json
import os
import re
import socket
import socketserver
import sys
import threading
import urllib.parse

DIR, UPSTREAM = sys.argv[1], sys.argv[2]
SOCK = os.path.join(DIR, "docker.sock")
VERSION = re.compile(r"^/v[0-9]+\.[0-9]+(?=/)")
START = re.compile(r"^/containers/([0-9a-f]{64})/start$")
LOCK = threading.Lock()
STUCK_IDS = set()
USED_NAMES = set()


class UnixConnection(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(UPSTREAM)


def names_to_stick():
    try:
        with open(os.path.join(DIR, "stuck")) as f:
            return {line.strip() for line in f if line.strip()}
    except FileNotFoundError:
        return set()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body, headers=(("Content-Type",
                                            "application/json"),)):
        self.send_response(status)
        for k, v in headers:
            if k.lower() not in ("content-length", "transfer-encoding",
                                 "connection", "keep-alive"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def relay(self):
        with LOCK, open(os.path.join(DIR, "requests.log"), "a") as f:
            f.write("%s %s\n" % (self.command, self.path))
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else None
        url = urllib.parse.urlsplit(self.path)
        bare = VERSION.sub("", url.path)
        m = START.match(bare)
        if self.command == "POST" and m and (
                m.group(1) in STUCK_IDS or m.group(1) in names_to_stick()):
            msg = {"message": "task %s: already exists" % m.group(1)}
            self.reply(500, json.dumps(msg).encode())
            return
        up = UnixConnection("localhost", timeout=300)
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("connection", "keep-alive")}
        up.request(self.command, self.path, body=body, headers=headers)
        resp = up.getresponse()
        data = resp.read()
        up.close()
        if self.command == "POST" and bare == "/containers/create" and \
                resp.status == 201:
            name = urllib.parse.parse_qs(url.query).get("name", [""])[0]
            with LOCK:
                if name in names_to_stick() and name not in USED_NAMES:
                    USED_NAMES.add(name)
                    cid = json.loads(data)["Id"]
                    STUCK_IDS.add(cid)
                    with open(os.path.join(DIR, "stuck.ids"), "a") as f:
                        f.write("%s %s\n" % (name, cid))
        self.reply(resp.status, data, resp.getheaders())

    do_GET = do_POST = do_DELETE = do_PUT = do_HEAD = relay


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass

    def get_request(self):
        conn, _ = super().get_request()
        return conn, ("proxy", 0)


if os.path.exists(SOCK):
    os.unlink(SOCK)
srv = Server(SOCK, Handler)
with open(os.path.join(DIR, "pid"), "w") as f:
    f.write("%d\n" % os.getpid())
srv.serve_forever()
