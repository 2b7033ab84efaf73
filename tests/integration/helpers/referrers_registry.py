#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""A small in-memory OCI registry WITH the referrers API, for one test path.

Debian's docker-registry (distribution 2.8) has no referrers API, so the
tests use it for everything else (the tag-schema fallback). This stub only
exists to cover `GET /v2/<name>/referrers/<digest>` and the `OCI-Subject`
answer to a manifest PUT with a subject (distribution-spec 1.1). It speaks
enough of the API for skopeo and sealwatch: blobs (HEAD/GET, POST+PATCH+PUT
uploads, monolithic POST+PUT), manifests (HEAD/GET/PUT by tag or digest).

Usage: referrers_registry.py PORT  (listens on 127.0.0.1; prints "ready")
"""
import hashlib
import json
import re
import sys
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

BLOBS = {}  # digest -> bytes
MANIFESTS = {}  # (repo, digest) -> (media type, bytes)
TAGS = {}  # (repo, tag) -> digest
UPLOADS = {}  # uuid -> bytearray
INDEX = "application/vnd.oci.image.index.v1+json"


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, code, body=b"", headers=None, head=False):
        self.send_response(code)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and not head:
            self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def route(self):
        u = urlparse(self.path)
        m = re.match(r"^/v2/(.+)/(blobs/uploads|blobs|manifests|referrers)/?(.*)$", u.path)
        return u, m

    def do_GET(self, head=False):
        u, m = self.route()
        if u.path == "/v2/" or u.path == "/v2":
            return self.send(200, b"{}", {"Content-Type": "application/json"}, head)
        if not m:
            return self.send(404)
        repo, kind, ref = m.groups()
        if kind == "blobs":
            if ref not in BLOBS:
                return self.send(404)
            return self.send(200, BLOBS[ref], {"Content-Type": "application/octet-stream",
                                               "Docker-Content-Digest": ref}, head)
        if kind == "manifests":
            d = TAGS.get((repo, ref), ref)
            if (repo, d) not in MANIFESTS:
                return self.send(404)
            mt, b = MANIFESTS[(repo, d)]
            return self.send(200, b, {"Content-Type": mt, "Docker-Content-Digest": d}, head)
        if kind == "referrers":
            want = parse_qs(u.query).get("artifactType", [None])[0]
            out = []
            for (r, d), (mt, b) in MANIFESTS.items():
                if r != repo:
                    continue
                j = json.loads(b)
                if (j.get("subject") or {}).get("digest") != ref:
                    continue
                at = j.get("artifactType") or j["config"]["mediaType"]
                if want and at != want:
                    continue
                desc = {"mediaType": mt, "digest": d, "size": len(b), "artifactType": at}
                if j.get("annotations"):
                    desc["annotations"] = j["annotations"]
                out.append(desc)
            body = json.dumps({"schemaVersion": 2, "mediaType": INDEX, "manifests": out}).encode()
            return self.send(200, body, {"Content-Type": INDEX}, head)
        return self.send(404)

    def do_HEAD(self):
        return self.do_GET(head=True)

    def do_POST(self):
        u, m = self.route()
        if not m or m.group(2) != "blobs/uploads":
            return self.send(404)
        data = self.body()
        uid = str(uuid.uuid4())
        UPLOADS[uid] = bytearray(data)
        return self.send(202, b"", {"Location": "/v2/%s/blobs/uploads/%s" % (m.group(1), uid),
                                    "Range": "0-0"})

    def do_PATCH(self):
        u, m = self.route()
        if not m or m.group(3) not in UPLOADS:
            return self.send(404)
        UPLOADS[m.group(3)] += self.body()
        return self.send(202, b"", {"Location": u.path, "Range": "0-%d" % (len(UPLOADS[m.group(3)]) - 1)})

    def do_PUT(self):
        u, m = self.route()
        if not m:
            return self.send(404)
        repo, kind, ref = m.groups()
        data = self.body()
        if kind == "blobs/uploads":
            if ref not in UPLOADS:
                return self.send(404)
            buf = bytes(UPLOADS.pop(ref) + data)
            want = parse_qs(u.query).get("digest", [""])[0]
            if sha(buf) != want:
                return self.send(400, b'{"errors":[{"code":"DIGEST_INVALID"}]}')
            BLOBS[want] = buf
            return self.send(201, b"", {"Location": "/v2/%s/blobs/%s" % (repo, want),
                                        "Docker-Content-Digest": want})
        if kind == "manifests":
            d = sha(data)
            if ref.startswith("sha256:") and ref != d:
                return self.send(400, b'{"errors":[{"code":"DIGEST_INVALID"}]}')
            mt = (self.headers.get("Content-Type") or "").split(";")[0]
            MANIFESTS[(repo, d)] = (mt, data)
            if not ref.startswith("sha256:"):
                TAGS[(repo, ref)] = d
            h = {"Location": "/v2/%s/manifests/%s" % (repo, d), "Docker-Content-Digest": d}
            subject = (json.loads(data).get("subject") or {}).get("digest")
            if subject:
                h["OCI-Subject"] = subject
            return self.send(201, b"", h)
        return self.send(404)

    def do_DELETE(self):
        return self.send(405)


if __name__ == "__main__":
    srv = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H)
    print("ready", flush=True)
    srv.serve_forever()
