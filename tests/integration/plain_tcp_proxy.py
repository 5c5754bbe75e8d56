#!/usr/bin/env python3
"""A plain (no TLS) tcp:// front for the rig's Docker socket that records
every byte its clients send, as an eavesdropper on the path would.

    plain_tcp_proxy.py DIR SOCKET

Listens on 127.0.0.1 on a free port, writes the port to DIR/port, relays
each accepted connection to the unix SOCKET, and appends what each client
sends to DIR/requests.log.
"""
import os
import socket
import sys
import threading

LOCK = threading.Lock()


def relay(a, b, log):
    try:
        while True:
            data = a.recv(65536)
            if not data:
                break
            if log is not None:
                with LOCK, open(log, "ab") as f:
                    f.write(data)
            b.sendall(data)
    except OSError:
        pass
    finally:
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve(conn, sock_path, log):
    up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        up.connect(sock_path)
    except OSError:
        conn.close()
        return
    t = threading.Thread(target=relay, args=(up, conn, None), daemon=True)
    t.start()
    relay(conn, up, log)
    t.join()
    conn.close()
    up.close()


def main():
    d, sock_path = sys.argv[1], sys.argv[2]
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    tmp = os.path.join(d, "port.tmp")
    with open(tmp, "w") as f:
        f.write(str(srv.getsockname()[1]))
    os.rename(tmp, os.path.join(d, "port"))
    log = os.path.join(d, "requests.log")
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn, sock_path, log),
                         daemon=True).start()


if __name__ == "__main__":
    main()
