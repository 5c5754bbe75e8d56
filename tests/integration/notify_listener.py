#!/usr/bin/env python3
"""A stand-in for the service manager's end of sd_notify.

    notify_listener.py ADDRESS LOG

Binds a unix datagram socket at ADDRESS (a path, or @NAME for an abstract
socket), prints "listening" on stdout once bound, then appends every
datagram it receives to LOG as one line of JSON:
    {"t": SECONDS_SINCE_START, "lines": ["READY=1", ...]}
until SIGTERM.  Standard library only.
"""
import json
import signal
import socket
import sys
import time


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: notify_listener.py ADDRESS LOG")
    addr, log = sys.argv[1], sys.argv[2]
    bind_to = "\0" + addr[1:] if addr.startswith("@") else addr
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(bind_to)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    start = time.monotonic()
    print("listening", flush=True)
    with open(log, "a", encoding="utf-8") as out:
        while True:
            data = sock.recv(4096)
            lines = data.decode("utf-8", "replace").split("\n")
            rec = {"t": round(time.monotonic() - start, 3),
                   "lines": [l for l in lines if l]}
            out.write(json.dumps(rec) + "\n")
            out.flush()


if __name__ == "__main__":
    main()
