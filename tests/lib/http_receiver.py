#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""A real HTTP receiver for the sink tests: records every POST as one JSON line
{"path", "headers", "body"} in OUT (flushed at once) and answers STATUS.
--hang: accept connections and read requests but never answer (a dead SIEM).
--tls CERT KEY: serve HTTPS with that certificate chain and key.
Usage: http_receiver.py PORT OUT [--status N] [--hang] [--tls CERT KEY] [--pidfile F]"""
import argparse
import http.server
import json
import os
import ssl
import sys
import threading
import time

ap = argparse.ArgumentParser()
ap.add_argument("port", type=int)
ap.add_argument("out")
ap.add_argument("--status", type=int, default=200)
ap.add_argument("--hang", action="store_true")
ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
ap.add_argument("--pidfile")
args = ap.parse_args()
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode("utf-8", "replace")
        if args.hang:
            time.sleep(3600)
            return
        rec = {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
               "body": body}
        with lock, open(args.out, "a") as f:
            f.write(json.dumps(rec) + "\n")
        payload = b'{"errors":false}' if self.path.endswith("_bulk") else b"{}"
        self.send_response(args.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, fmt, *a):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
srv.daemon_threads = True
if args.tls:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.tls[0], args.tls[1])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
if args.pidfile:
    with open(args.pidfile, "w") as f:
        f.write(str(os.getpid()))
print("listening", flush=True)
try:
    srv.serve_forever()
except KeyboardInterrupt:
    sys.exit(0)
