#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
# Fill a registry with COUNT small distinct images for bench/registry.sh, fast:
# one shared busybox layer (uploaded once, then mounted across repositories)
# and one marker layer per image, pushed over the distribution API (plain HTTP).
#   registry_fill.py HOST:PORT REPO_PREFIX COUNT BUSYBOX
# Prints one "HOST:PORT/REPO_PREFIX-I:1" per line.
import gzip
import hashlib
import io
import json
import sys
import tarfile
import urllib.request


def req(method, url, data=None, headers=None):
    r = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(r) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def layer(files):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as t:
        for name, data, mode in files:
            ti = tarfile.TarInfo(name)
            ti.size, ti.mode, ti.mtime = len(data), mode, 0
            t.addfile(ti, io.BytesIO(data))
    tar = raw.getvalue()
    gz = gzip.compress(tar, mtime=0)
    return gz, "sha256:" + hashlib.sha256(gz).hexdigest(), "sha256:" + hashlib.sha256(tar).hexdigest()


def put_blob(base, repo, data, digest, mount_from=None):
    if req("HEAD", f"{base}/v2/{repo}/blobs/{digest}")[0] == 200:
        return
    if mount_from:
        st, _, _ = req("POST", f"{base}/v2/{repo}/blobs/uploads/?mount={digest}&from={mount_from}")
        if st == 201:
            return
    st, h, _ = req("POST", f"{base}/v2/{repo}/blobs/uploads/")
    loc = h["Location"]
    if loc.startswith("/"):
        loc = base + loc
    sep = "&" if "?" in loc else "?"
    st, _, body = req("PUT", f"{loc}{sep}digest={digest}", data, {"Content-Type": "application/octet-stream"})
    if st != 201:
        sys.exit(f"blob upload {repo}: HTTP {st} {body[:200]!r}")


def main():
    host, prefix, count, busybox = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    base = f"http://{host}"
    bb = open(busybox, "rb").read()
    shared = layer([("bin/busybox", bb, 0o755), ("usr/local/bin/tool", bb, 0o755)])
    first = None
    for i in range(count):
        repo = f"{prefix}-{i}"
        mark = layer([("etc/mark", f"{prefix}-{i}\n".encode(), 0o644)])
        cfg = json.dumps({"architecture": "amd64", "os": "linux",
                          "config": {"Cmd": ["/bin/busybox", "sleep", "3600"]},
                          "rootfs": {"type": "layers", "diff_ids": [shared[2], mark[2]]}}).encode()
        cfg_d = "sha256:" + hashlib.sha256(cfg).hexdigest()
        put_blob(base, repo, shared[0], shared[1], first)
        put_blob(base, repo, mark[0], mark[1])
        put_blob(base, repo, cfg, cfg_d)
        man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                          "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg_d, "size": len(cfg)},
                          "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": len(g)}
                                     for g, d, _ in (shared, mark)]}).encode()
        st, _, body = req("PUT", f"{base}/v2/{repo}/manifests/1", man,
                          {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
        if st != 201:
            sys.exit(f"manifest {repo}: HTTP {st} {body[:200]!r}")
        first = first or repo
        print(f"{host}/{repo}:1", flush=True)


main()
