#!/usr/bin/env python3
"""A TLS front for the rig's Docker socket, as dockerd's own --tlsverify
listener behaves: the client must present a certificate signed by the CA.

    engine_tls_proxy.py DIR SOCKET

DIR holds ca.pem, server-cert.pem, server-key.pem.  Listens on 127.0.0.1
on a free port, writes the port to DIR/port, then relays each accepted
connection to the unix SOCKET.  Counts handshakes in DIR/handshakes.
"""
import os
import socket
import ssl
import sys
import threading


def relay(a, b):
    try:
        while True:
            data = a.recv(65536)
            if not data:
                break
            b.sendall(data)
    except OSError:
        pass
    finally:
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve(conn, ctx, sock_path, counter):
    try:
        tls = ctx.wrap_socket(conn, server_side=True)
    except (ssl.SSLError, OSError):
        conn.close()
        return
    counter()
    up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    up.connect(sock_path)
    t = threading.Thread(target=relay, args=(up, tls), daemon=True)
    t.start()
    relay(tls, up)
    t.join()
    tls.close()
    up.close()


def main():
    d, sock_path = sys.argv[1], sys.argv[2]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(d, "server-cert.pem"),
                        os.path.join(d, "server-key.pem"))
    ctx.load_verify_locations(os.path.join(d, "ca.pem"))
    ctx.verify_mode = ssl.CERT_REQUIRED
    lock = threading.Lock()
    count = [0]

    def counter():
        with lock:
            count[0] += 1
            with open(os.path.join(d, "handshakes"), "w") as f:
                f.write("%d\n" % count[0])

    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    with open(os.path.join(d, "port.tmp"), "w") as f:
        f.write("%d\n" % srv.getsockname()[1])
    os.rename(os.path.join(d, "port.tmp"), os.path.join(d, "port"))
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn, ctx, sock_path, counter),
                         daemon=True).start()


if __name__ == "__main__":
    main()
