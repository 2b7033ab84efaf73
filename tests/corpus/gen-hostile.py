#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Write a corpus of hostile images for `sealwatch baseline`.

    gen-hostile.py OUTDIR [--big] [--only SUBSTRING]

Each case is a directory OUTDIR/<case>/ holding an image (an OCI layout, or
image.tar for docker-* cases) and:
    ref      the IMAGE argument: "oci:/abs/OUTDIR/<case>" or "docker-archive:…"
    expect   the exit code of `sealwatch baseline $(cat ref) -o OUT $(cat args)`
    args     (optional) extra arguments, one line, split on spaces
    entries  (optional, success cases) JSON lines the baseline must satisfy:
             {"path": P, key: value…}  the entry for P has those values
             {"path": P, "absent": true}  no entry for P
    note     one line: what the case is about

Digests, sizes and diff_ids are correct unless the case is about them.
Nothing here writes outside OUTDIR; the hostile names point at
/tmp/pwned-sealwatch so a test can check nothing was created there.
Python 3 stdlib only; zstd cases use the `zstd` CLI.
"""

import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile

MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER = {
    "none": "application/vnd.oci.image.layer.v1.tar",
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
}
MTIME = 1700000000
PWNED = "tmp/pwned-sealwatch"  # a hostile write would land at /tmp/pwned-sealwatch


def sha256(b):
    return hashlib.sha256(b).hexdigest()


def canon(obj):
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()


# ---------------------------------------------------------------- tar members

def ti(name, kind="file", data=b"", mode=None, link="", uid=0, gid=0, major=0, minor=0):
    """A (TarInfo, data) pair. name is str or bytes (raw, kept as is)."""
    if isinstance(name, bytes):
        name = name.decode("utf-8", "surrogateescape")
    t = tarfile.TarInfo(name)
    t.mtime = MTIME
    t.uid, t.gid = uid, gid
    t.uname = t.gname = ""
    if kind == "file":
        t.type, t.size = tarfile.REGTYPE, len(data)
        t.mode = 0o644 if mode is None else mode
    elif kind == "dir":
        t.type, t.mode = tarfile.DIRTYPE, 0o755 if mode is None else mode
    elif kind == "symlink":
        t.type, t.linkname, t.mode = tarfile.SYMTYPE, link, 0o777
    elif kind == "hardlink":
        t.type, t.linkname, t.mode = tarfile.LNKTYPE, link, 0o644 if mode is None else mode
    elif kind in ("char", "block"):
        t.type = tarfile.CHRTYPE if kind == "char" else tarfile.BLKTYPE
        t.devmajor, t.devminor = major, minor
        t.mode = 0o666 if mode is None else mode
    elif kind == "fifo":
        t.type, t.mode = tarfile.FIFOTYPE, 0o644
    else:
        raise ValueError(kind)
    return (t, data)


def mktar(members, fmt=tarfile.PAX_FORMAT):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt, encoding="utf-8",
                      errors="surrogateescape") as tf:
        for t, data in members:
            tf.addfile(t, io.BytesIO(data) if t.isreg() else None)
    return buf.getvalue()


def base_members():
    """A tiny sane rootfs so that cases differ from a valid image in one way."""
    return [
        ti("bin", "dir"),
        ti("bin/sh", "file", b"#!/bin/busybox sh\n", 0o755),
        ti("etc", "dir"),
        ti("etc/passwd", "file", b"root:x:0:0::/root:/bin/sh\n"),
        ti("tmp", "dir", mode=0o1777),
    ]


def raw_header(name, size_field, typeflag=b"0", linkname=b""):
    """A hand-made ustar header; size_field is the raw 12-byte size field."""
    h = bytearray(512)
    h[0:len(name)] = name
    h[100:108] = b"0000644\0"
    h[108:116] = b"0000000\0"
    h[116:124] = b"0000000\0"
    h[124:136] = size_field
    h[136:148] = b"%011o\0" % MTIME
    h[148:156] = b" " * 8
    h[156:157] = typeflag
    h[157:157 + len(linkname)] = linkname
    h[257:263] = b"ustar\0"
    h[263:265] = b"00"
    chk = sum(h)
    h[148:156] = b"%06o\0 " % chk
    return bytes(h)


def compress(data, comp):
    if comp == "none":
        return data
    if comp == "gzip":
        return gzip.compress(data, compresslevel=6, mtime=0)
    if comp == "zstd":
        return subprocess.run(["zstd", "-q", "-c", "-3"], input=data, check=True,
                              stdout=subprocess.PIPE).stdout
    raise ValueError(comp)


# ---------------------------------------------------------------- layouts

class Layer:
    """One layer: the uncompressed tar (for the diff_id) and the blob."""

    def __init__(self, tar=None, comp="gzip", blob=None, diff_id=None):
        self.comp = comp
        self.tar = tar
        self.blob = blob if blob is not None else compress(tar, comp)
        self.diff_id = diff_id or "sha256:" + sha256(tar)
        self.desc = {"mediaType": MT_LAYER[comp], "digest": "sha256:" + sha256(self.blob),
                     "size": len(self.blob)}


class Case:
    def __init__(self, out, name, expect, note, args=None):
        self.dir = os.path.join(out, name)
        self.name, self.expect, self.note, self.args = name, expect, note, args
        self.entries = []
        if os.path.exists(self.dir):
            shutil.rmtree(self.dir)
        os.makedirs(self.dir)

    def want(self, path, **kv):
        self.entries.append(dict(path=path, **kv))

    def finish(self, ref):
        self.ref = ref

    def write(self):
        ref = self.ref

        def put(fn, s):
            with open(os.path.join(self.dir, fn), "w") as f:
                f.write(s + "\n")
        put("ref", ref)
        put("expect", str(self.expect))
        put("note", self.note)
        if self.args:
            put("args", self.args)
        if self.entries:
            put("entries", "\n".join(json.dumps(e, sort_keys=True) for e in self.entries))


def write_blob(d, data, digest=None):
    digest = digest or "sha256:" + sha256(data)
    algo, hexd = digest.split(":", 1)
    p = os.path.join(d, "blobs", algo)
    os.makedirs(p, exist_ok=True)
    with open(os.path.join(p, hexd), "wb") as f:
        f.write(data)


def oci(case, layers, *, config=None, manifest=None, index=None, tweak=None,
        skip_blobs=(), layout=b'{"imageLayoutVersion":"1.0.0"}'):
    """Write an OCI layout. config/manifest/index: callables that mutate the
    dict (or return bytes to use instead). tweak(dir) runs last."""
    d = case.dir
    cfg = {"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/sh"]},
           "rootfs": {"type": "layers", "diff_ids": [l.diff_id for l in layers]}}
    cfg_b = None
    if config:
        cfg_b = config(cfg)
    cfg_b = cfg_b if isinstance(cfg_b, bytes) else canon(cfg)
    man = {"schemaVersion": 2, "mediaType": MT_MANIFEST,
           "config": {"mediaType": MT_CONFIG, "digest": "sha256:" + sha256(cfg_b),
                      "size": len(cfg_b)},
           "layers": [dict(l.desc) for l in layers]}
    man_b = None
    if manifest:
        man_b = manifest(man)
    man_b = man_b if isinstance(man_b, bytes) else canon(man)
    idx = {"schemaVersion": 2, "mediaType": MT_INDEX,
           "manifests": [{"mediaType": MT_MANIFEST, "digest": "sha256:" + sha256(man_b),
                          "size": len(man_b),
                          "platform": {"architecture": "amd64", "os": "linux"},
                          "annotations": {"org.opencontainers.image.ref.name": "latest"}}]}
    idx_b = None
    if index:
        idx_b = index(idx)
    idx_b = idx_b if isinstance(idx_b, bytes) else canon(idx)
    with open(os.path.join(d, "oci-layout"), "wb") as f:
        f.write(layout)
    with open(os.path.join(d, "index.json"), "wb") as f:
        f.write(idx_b)
    for name, data in (("config", cfg_b), ("manifest", man_b)):
        if name not in skip_blobs:
            write_blob(d, data)
    for i, l in enumerate(layers):
        if i not in skip_blobs:
            write_blob(d, l.blob)
    if tweak:
        tweak(d)
    case.finish("oci:" + d)


def docker(case, layer_tars, *, manifest=None, config=None, extra=(), skip=()):
    """Write DIR/image.tar in the legacy `docker save` format."""
    cfg = {"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/sh"]},
           "rootfs": {"type": "layers",
                      "diff_ids": ["sha256:" + sha256(t) for t in layer_tars]}}
    cfg_b = None
    if config:
        cfg_b = config(cfg)
    cfg_b = cfg_b if isinstance(cfg_b, bytes) else canon(cfg)
    cfg_name = sha256(cfg_b) + ".json"
    names = [sha256(t) + "/layer.tar" for t in layer_tars]
    man = [{"Config": cfg_name, "RepoTags": ["localhost/hostile:latest"], "Layers": names}]
    man_b = None
    if manifest:
        man_b = manifest(man)
    man_b = man_b if isinstance(man_b, bytes) else canon(man)
    members = [("config" if "config" in skip else cfg_name, cfg_b), ("manifest.json", man_b)]
    members += [(n, t) for n, t in zip(names, layer_tars)]
    members += list(extra)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        dirs = set()
        for n, data in members:
            if n in skip:
                continue
            parent = os.path.dirname(n)
            if parent and parent not in dirs and not parent.startswith(".."):
                dirs.add(parent)
                t, _ = ti(parent, "dir")
                tf.addfile(t)
            t, _ = ti(n, "file", data, 0o444)
            tf.addfile(t, io.BytesIO(data))
    path = os.path.join(case.dir, "image.tar")
    with open(path, "wb") as f:
        f.write(buf.getvalue())
    case.finish("docker-archive:" + path)


# ---------------------------------------------------------------- streaming big layers

def stream_layer(out_path, comp, gen, level=1):
    """Write a compressed layer by streaming tar bytes from gen(); returns
    (blob_digest, blob_size, diff_id)."""
    h = hashlib.sha256()
    if comp == "gzip":
        f = open(out_path, "wb")
        z = gzip.GzipFile(fileobj=f, mode="wb", compresslevel=level, mtime=0)
        for chunk in gen():
            h.update(chunk)
            z.write(chunk)
        z.close()
        f.close()
    else:
        with open(out_path, "wb") as f:
            p = subprocess.Popen(["zstd", "-q", "-c", "-%d" % level], stdin=subprocess.PIPE,
                                 stdout=f)
            for chunk in gen():
                h.update(chunk)
                p.stdin.write(chunk)
            p.stdin.close()
            if p.wait():
                raise RuntimeError("zstd failed")
    with open(out_path, "rb") as f:
        bh = hashlib.sha256()
        for chunk in iter(lambda: f.read(1 << 20), b""):
            bh.update(chunk)
    return "sha256:" + bh.hexdigest(), os.path.getsize(out_path), "sha256:" + h.hexdigest()


def big_oci(case, comp, gen, level=1):
    """An OCI layout with base layer + one streamed layer."""
    base = Layer(mktar(base_members()))
    tmp = os.path.join(case.dir, "layer.tmp")
    digest, size, diff_id = stream_layer(tmp, comp, gen, level)
    big = Layer.__new__(Layer)
    big.comp, big.tar, big.diff_id = comp, None, diff_id
    big.blob = b""
    big.desc = {"mediaType": MT_LAYER[comp], "digest": digest, "size": size}
    oci(case, [base, big], skip_blobs=(1,))
    os.makedirs(os.path.join(case.dir, "blobs", "sha256"), exist_ok=True)
    os.rename(tmp, os.path.join(case.dir, "blobs", "sha256", digest.split(":")[1]))


def zeros_file_tar(name, size):
    def gen():
        t, _ = ti(name, "file")
        t.size = size
        yield t.tobuf(tarfile.PAX_FORMAT)
        chunk = bytes(1 << 20)
        left = size
        while left:
            n = min(left, len(chunk))
            yield chunk[:n]
            left -= n
        pad = (-size) % 512
        yield bytes(pad) + bytes(1024)
    return gen


def many_files_tar(n, per_dir=1000):
    def gen():
        out = []
        for i in range(n):
            if i % per_dir == 0:
                t, _ = ti("many/d%05d" % (i // per_dir), "dir")
                out.append(t.tobuf(tarfile.USTAR_FORMAT))
            data = b"%d\n" % i
            t, _ = ti("many/d%05d/f%07d" % (i // per_dir, i), "file", data)
            out.append(t.tobuf(tarfile.USTAR_FORMAT))
            out.append(data + bytes(512 - len(data)))
            if len(out) > 4096:
                yield b"".join(out)
                out = []
        out.append(bytes(1024))
        yield b"".join(out)
    return gen


# ---------------------------------------------------------------- the cases

def gen_cases(out, big, only):
    cases = []

    def case(name, expect, note, args=None):
        if only and only not in name:
            return None
        c = Case(out, name, expect, note, args)
        cases.append(c)
        return c

    def simple(name, expect, note, members, args=None, fmt=tarfile.PAX_FORMAT, comp="gzip",
               lower=None):
        c = case(name, expect, note, args)
        if c is None:
            return None
        layers = [Layer(mktar(base_members()), comp)]
        if lower:
            layers.append(Layer(mktar(lower, fmt), comp))
        layers.append(Layer(mktar(members, fmt), comp))
        oci(c, layers)
        return c

    # --- sanity: the generator's own valid images
    c = simple("ok-basic", 0, "valid two-layer image", [ti("etc/motd", "file", b"hi\n")])
    if c:
        c.want("/etc/motd", type="file", sha256=sha256(b"hi\n"), size=3)
        c.want("/tmp", type="dir", mode="1777")
    c = simple("ok-zstd", 0, "valid image, zstd layers", [ti("etc/motd", "file", b"z\n")],
               comp="zstd")
    if c:
        c.want("/etc/motd", sha256=sha256(b"z\n"))
    c = simple("ok-uncompressed", 0, "valid image, plain tar layers",
               [ti("etc/motd", "file", b"u\n")], comp="none")
    if c:
        c.want("/etc/motd", sha256=sha256(b"u\n"))
    c = case("ok-empty-layer", 0, "a layer that is only the end-of-archive blocks")
    if c:
        oci(c, [Layer(mktar(base_members())), Layer(bytes(1024))])

    # --- path traversal in member names
    simple("member-dotdot", 3, "member name ../pwned-sealwatch",
           [ti("../pwned-sealwatch", "file", b"x")])
    simple("member-dotdot-deep", 3, "member name etc/../../../" + PWNED,
           [ti("etc/../../../" + PWNED, "file", b"x")])
    simple("member-dotdot-dir", 3, "directory member ../../tmp",
           [ti("../../tmp", "dir")])
    simple("member-absolute", 3, "member name /" + PWNED,
           [ti("/" + PWNED, "file", b"x")])
    simple("member-absolute-dotdot", 3, "member name /../" + PWNED,
           [ti("/../" + PWNED, "file", b"x")])

    # --- symlinks used to escape
    simple("symlink-escape-abs", 3, "symlink etc2 -> /tmp, then file etc2/pwned-sealwatch",
           [ti("etc2", "symlink", link="/tmp"),
            ti("etc2/pwned-sealwatch", "file", b"x")])
    simple("symlink-escape-abs-etc", 3, "etc replaced by symlink -> /tmp, then etc/passwd",
           [ti(".wh.etc", "file"), ti("etc", "symlink", link="/tmp"),
            ti("etc/passwd", "file", b"pwned\n")])
    simple("symlink-escape-dotdot", 3, "symlink up -> ../../.., then up/" + PWNED,
           [ti("up", "symlink", link="../../.."), ti("up/" + PWNED, "file", b"x")])
    simple("symlink-escape-crosslayer", 3,
           "layer 2: symlink esc -> /tmp; layer 3: file esc/pwned-sealwatch",
           [ti("esc/pwned-sealwatch", "file", b"x")],
           lower=[ti("esc", "symlink", link="/tmp")])
    simple("symlink-escape-dir", 3, "symlink d -> /, then directory d/tmp/x",
           [ti("d", "symlink", link="/"), ti("d/tmp/x", "dir")])
    simple("symlink-loop-write", 3, "a -> b, b -> a, then file a/x",
           [ti("a", "symlink", link="b"), ti("b", "symlink", link="a"),
            ti("a/x", "file", b"x")])
    c = simple("symlink-dangling-ok", 0, "symlinks are recorded, never followed",
               [ti("etc/mtab", "symlink", link="/proc/self/mounts"),
                ti("etc/up", "symlink", link="../../../../etc/shadow"),
                ti("etc/loop", "symlink", link="loop")])
    if c:
        c.want("/etc/mtab", type="symlink", link="/proc/self/mounts")
        c.want("/etc/up", type="symlink", link="../../../../etc/shadow")
        c.want("/etc/loop", type="symlink", link="loop")

    # --- hardlinks
    simple("hardlink-outside-abs", 3, "hardlink to /etc/shadow",
           [ti("etc/h", "hardlink", link="/etc/shadow")])
    simple("hardlink-dotdot", 3, "hardlink to ../x",
           [ti("etc/h", "hardlink", link="../x")])
    simple("hardlink-dotdot-deep", 3, "hardlink to etc/../../../etc/shadow",
           [ti("etc/h", "hardlink", link="etc/../../../etc/shadow")])
    simple("hardlink-missing", 3, "hardlink to a path no layer has",
           [ti("etc/h", "hardlink", link="etc/nonexistent")])
    simple("hardlink-forward", 3, "hardlink to a member that comes later",
           [ti("etc/h", "hardlink", link="etc/later"), ti("etc/later", "file", b"x")])
    simple("hardlink-to-dir", 3, "hardlink to a directory",
           [ti("etc/h", "hardlink", link="etc")])
    simple("hardlink-via-symlink", 3, "symlink l -> /etc, hardlink to l/shadow",
           [ti("l", "symlink", link="/etc"), ti("etc/h", "hardlink", link="l/shadow")])
    c = simple("hardlink-chain", 0, "b -> a, c -> b within one layer",
               [ti("srv", "dir"), ti("srv/a", "file", b"chain\n"),
                ti("srv/b", "hardlink", link="srv/a"), ti("srv/c", "hardlink", link="srv/b")])
    if c:
        for p in ("/srv/b", "/srv/c"):
            c.want(p, type="hardlink", sha256=sha256(b"chain\n"))

    # --- device nodes
    for kind, maj, mnr in (("char", 1, 3), ("block", 8, 0)):
        m = [ti("dev", "dir"), ti("dev/node", kind, major=maj, minor=mnr)]
        simple("device-%s" % kind, 3, "%s device node, devices not allowed" % kind, m)
        c = simple("device-%s-allowed" % kind, 0, "%s device node with --allow-devices" % kind,
                   m, args="--allow-devices")
        if c:
            c.want("/dev/node", type=kind)

    # --- crafted tar headers
    c = case("tar-huge-size-truncated", 3, "header declares 8 GiB, 10 bytes follow, then EOF")
    if c:
        tar = raw_header(b"etc/big", b"77777777777\0") + b"0123456789"
        oci(c, [Layer(mktar(base_members())), Layer(tar)])
    c = case("tar-negative-size", 3, "size field in base-256 encoding, negative")
    if c:
        tar = raw_header(b"etc/neg", b"\xff" * 12) + bytes(1024)
        oci(c, [Layer(mktar(base_members())), Layer(tar)])
    c = case("tar-bad-checksum", 3, "header checksum wrong")
    if c:
        h = bytearray(raw_header(b"etc/x", b"%011o\0" % 1))
        h[148:156] = b"000001\0 "
        oci(c, [Layer(mktar(base_members())), Layer(bytes(h) + b"x" + bytes(511 + 1024))])
    c = case("tar-not-tar", 3, "layer blob decompresses to random bytes")
    if c:
        junk = hashlib.sha512(b"junk").digest() * 64
        oci(c, [Layer(mktar(base_members())), Layer(junk)])
    c = case("tar-bad-pax", 3, "pax extended header with a bogus record length")
    if c:
        rec = b"999 path=etc/pax\n"
        tar = raw_header(b"PaxHeaders/x", b"%011o\0" % len(rec), b"x") + rec + \
            bytes(512 - len(rec)) + raw_header(b"etc/pax", b"%011o\0" % 0) + bytes(1024)
        oci(c, [Layer(mktar(base_members())), Layer(tar)])

    # --- compression damage (digests are of the damaged blob: the damage is the point)
    good = mktar(base_members() + [ti("etc/motd", "file", b"m" * 5000)])
    c = case("gzip-truncated", 3, "gzip layer cut in half")
    if c:
        blob = gzip.compress(good, mtime=0)
        oci(c, [Layer(good, "gzip", blob=blob[:len(blob) // 2])])
    c = case("gzip-bad-crc", 3, "gzip trailer CRC32 flipped (data intact)")
    if c:
        blob = bytearray(gzip.compress(good, mtime=0))
        blob[-8] ^= 0xff
        oci(c, [Layer(good, "gzip", blob=bytes(blob))])
    c = case("zstd-truncated", 3, "zstd layer cut in half")
    if c:
        blob = compress(good, "zstd")
        oci(c, [Layer(good, "zstd", blob=blob[:len(blob) // 2])])
    c = case("zstd-bad-checksum", 3, "zstd frame content checksum flipped")
    if c:
        blob = bytearray(subprocess.run(["zstd", "-q", "-c", "--check"], input=good,
                                        check=True, stdout=subprocess.PIPE).stdout)
        blob[-1] ^= 0xff
        oci(c, [Layer(good, "zstd", blob=bytes(blob))])

    # --- limits
    c = case("bomb-gzip-max-bytes", 6, "64 MiB of zeros gzip'd, --max-bytes 16 MiB",
             args="--max-bytes 16777216")
    if c:
        big_oci(c, "gzip", zeros_file_tar("zeros", 64 << 20), level=6)
    c = case("bomb-zstd-ratio", 6, "512 MiB of zeros in a few KiB of zstd (default --max-ratio)")
    if c:
        big_oci(c, "zstd", zeros_file_tar("zeros", 512 << 20), level=3)
    c = case("limit-entries", 6, "200 files, --max-entries 50", args="--max-entries 50")
    if c:
        oci(c, [Layer(mktar([ti("f%03d" % i, "file", b"x") for i in range(200)]))])
    c = case("many-files-100k", 0, "100000 tiny files in 100 directories")
    if c:
        c.want("/many/d00099/f0099999", type="file", sha256=sha256(b"99999\n"))
        big_oci(c, "gzip", many_files_tar(100000))
    if big:
        c = case("many-files-1m", 0, "1000000 tiny files in 1000 directories",
                 args="--max-entries 2000000")
        if c:
            big_oci(c, "gzip", many_files_tar(1000000))

    # --- odd names (valid)
    c = simple("name-newline", 0, "file name with a newline",
               [ti("etc/new\nline", "file", b"nl\n")])
    if c:
        c.want("/etc/new%0Aline", sha256=sha256(b"nl\n"))
    c = simple("name-invalid-utf8", 0, "file name with bytes ff fe (GNU tar format)",
               [ti(b"etc/bad-\xff\xfe", "file", b"bad\n")], fmt=tarfile.GNU_FORMAT)
    if c:
        c.want("/etc/bad-%FF%FE", sha256=sha256(b"bad\n"))
    c = simple("name-invalid-utf8-pax", 0, "file name with bytes ff fe (pax, hdrcharset=BINARY)",
               [ti(b"etc/pax-\xff", "file", b"bad\n")])
    if c:
        c.want("/etc/pax-%FF", sha256=sha256(b"bad\n"))
    c = simple("name-percent-control", 0, "names with %, tab and DEL",
               [ti("etc/100%", "file", b"p\n"), ti("etc/t\tab", "file", b"t\n"),
                ti("etc/del\x7f", "file", b"d\n")])
    if c:
        c.want("/etc/100%25", sha256=sha256(b"p\n"))
        c.want("/etc/t%09ab", sha256=sha256(b"t\n"))
        c.want("/etc/del%7F", sha256=sha256(b"d\n"))
    long_dirs = "/".join(["d" * 199] * 20)  # 20*200-1 = 3999 bytes
    long4000 = long_dirs + "/f"  # 4001 bytes; "/"+name = 4002 < PATH_MAX
    c = simple("name-4000", 0, "4001-byte member name (pax path), components of 199 bytes",
               [ti(long4000, "file", b"long\n")])
    if c:
        c.want("/" + long4000, sha256=sha256(b"long\n"))
    long5000 = "/".join(["e" * 199] * 25) + "/f"  # 5001 bytes > PATH_MAX
    simple("name-5000", 3, "5001-byte member name, longer than PATH_MAX",
           [ti(long5000, "file", b"x")])

    # --- layer semantics (valid)
    c = simple("duplicate-entries", 0, "same path twice in one layer: the later wins",
               [ti("etc/dup", "file", b"first\n"), ti("etc/dup", "file", b"second\n", 0o600)])
    if c:
        c.want("/etc/dup", sha256=sha256(b"second\n"), mode="0600")
    c = simple("whiteout-nonexistent", 0, "whiteout of a path no lower layer has",
               [ti("etc/.wh.nothing", "file"), ti("nodir/.wh.x", "file")])
    if c:
        c.want("/etc/nothing", absent=True)
        c.want("/etc/.wh.nothing", absent=True)
    lower = [ti("etc/motd", "file", b"old\n"), ti("var", "dir"), ti("var/d", "dir"),
             ti("var/d/a", "file", b"a\n"), ti("var/d/b", "file", b"b\n")]
    c = simple("whiteout-readd-same-layer", 0,
               "whiteout then re-add in one layer: whiteouts only hide lower layers",
               [ti("etc/.wh.motd", "file"), ti("etc/motd", "file", b"new\n")], lower=lower)
    if c:
        c.want("/etc/motd", sha256=sha256(b"new\n"))
    c = simple("whiteout-readd-before", 0, "re-add then whiteout in one layer (tar order)",
               [ti("etc/motd", "file", b"new\n"), ti("etc/.wh.motd", "file")], lower=lower)
    if c:
        c.want("/etc/motd", sha256=sha256(b"new\n"))
    c = simple("whiteout-dir", 0, "whiteout of a directory removes its children",
               [ti("var/.wh.d", "file")], lower=lower)
    if c:
        c.want("/var/d", absent=True)
        c.want("/var/d/a", absent=True)
        c.want("/var", type="dir")
    c = simple("opaque-readd", 0, "opaque dir plus a new child in the same layer",
               [ti("var/d", "dir"), ti("var/d/.wh..wh..opq", "file"),
                ti("var/d/c", "file", b"c\n")], lower=lower)
    if c:
        c.want("/var/d/a", absent=True)
        c.want("/var/d/b", absent=True)
        c.want("/var/d/c", sha256=sha256(b"c\n"))
    c = simple("opaque-after-child", 0, "opaque marker after the new child (tar order)",
               [ti("var/d/c", "file", b"c\n"), ti("var/d/.wh..wh..opq", "file")], lower=lower)
    if c:
        c.want("/var/d/a", absent=True)
        c.want("/var/d/c", sha256=sha256(b"c\n"))
    c = simple("file-replaces-dir", 0, "a file replaces a lower directory and its children",
               [ti("var/d", "file", b"now a file\n")], lower=lower)
    if c:
        c.want("/var/d", type="file")
        c.want("/var/d/a", absent=True)
    c = simple("dir-replaces-file", 0, "a directory replaces a lower file",
               [ti("etc/motd", "dir"), ti("etc/motd/x", "file", b"x\n")], lower=lower)
    if c:
        c.want("/etc/motd", type="dir")
        c.want("/etc/motd/x", sha256=sha256(b"x\n"))
    c = simple("implicit-parents", 0, "a file whose parents have no members",
               [ti("a/b/c/file", "file", b"deep\n")])
    if c:
        c.want("/a/b", type="dir", implicit=True)
        c.want("/a/b/c/file", sha256=sha256(b"deep\n"))
    simple("whiteout-dotdot", 3, "whiteout named .wh.. (would delete the parent)",
           [ti("etc/.wh..", "file")])
    simple("whiteout-escape", 3, "whiteout ../.wh.etc (outside the root)",
           [ti("../.wh.etc", "file")])

    # --- index.json
    L = lambda: [Layer(mktar(base_members()))]  # noqa: E731
    bad_index = {
        "index-not-json": (b"{not json", "index.json is not JSON"),
        "index-array": (b"[]", "index.json is an array"),
        "index-manifests-string": (canon({"schemaVersion": 2, "manifests": "x"}),
                                   "manifests is a string"),
        "index-missing-manifests": (canon({"schemaVersion": 2}), "no manifests key"),
        "index-empty-manifests": (canon({"schemaVersion": 2, "manifests": []}),
                                  "empty manifests array"),
        "index-schema-1": (None, "schemaVersion 1"),
        "index-mediatype-wrong": (None, "manifest descriptor mediaType is a layer type"),
        "index-size-string": (None, "descriptor size is a string"),
        "index-digest-traversal": (None, "manifest digest sha256:../../../etc/passwd"),
        "index-truncated": (None, "index.json cut in the middle"),
    }
    for name, (raw, note) in bad_index.items():
        c = case(name, 3, note)
        if not c:
            continue

        def mut(idx, name=name, raw=raw):
            if raw is not None:
                return raw
            m = idx["manifests"][0]
            if name == "index-schema-1":
                idx["schemaVersion"] = 1
            elif name == "index-mediatype-wrong":
                m["mediaType"] = MT_LAYER["gzip"]
            elif name == "index-size-string":
                m["size"] = str(m["size"])
            elif name == "index-digest-traversal":
                m["digest"] = "sha256:../../../etc/passwd"
            elif name == "index-truncated":
                return canon(idx)[:40]
            return None
        oci(c, L(), index=mut)
    c = case("oci-layout-missing", 3, "no oci-layout file")
    if c:
        oci(c, L(), tweak=lambda d: os.unlink(os.path.join(d, "oci-layout")))
    c = case("oci-layout-version", 3, "imageLayoutVersion 9.9.9")
    if c:
        oci(c, L(), layout=b'{"imageLayoutVersion":"9.9.9"}')

    # --- manifest
    c = case("manifest-not-json", 3, "manifest blob is not JSON (digest correct)")
    if c:
        oci(c, L(), manifest=lambda m: b"\x00\x01not json")
    c = case("manifest-layers-object", 3, "layers is an object")
    if c:
        oci(c, L(), manifest=lambda m: m.update(layers={"a": 1}))
    c = case("manifest-no-config", 3, "manifest without config")
    if c:
        oci(c, L(), manifest=lambda m: m.pop("config") and None)
    c = case("manifest-digest-mismatch", 3, "index names a manifest whose bytes differ")
    if c:
        def tw(d):
            idx = json.load(open(os.path.join(d, "index.json")))
            h = idx["manifests"][0]["digest"].split(":")[1]
            p = os.path.join(d, "blobs", "sha256", h)
            data = open(p, "rb").read()
            open(p, "wb").write(data.replace(b'"schemaVersion":2', b'"schemaVersion":2 '))
        oci(c, L(), tweak=tw)

    # --- layer descriptors
    def layer_mut(fn):
        def m(man):
            fn(man["layers"][0])
        return m
    c = case("layer-digest-mismatch", 3, "layer blob content differs from its digest")
    if c:
        lay = L()
        other = Layer(mktar(base_members() + [ti("etc/evil", "file", b"evil\n")]))

        def tw(d, lay=lay, other=other):
            h = lay[0].desc["digest"].split(":")[1]
            open(os.path.join(d, "blobs", "sha256", h), "wb").write(other.blob)
        oci(c, lay, tweak=tw)
    c = case("layer-size-mismatch", 3, "layer descriptor size is one byte too large")
    if c:
        oci(c, L(), manifest=layer_mut(lambda l: l.update(size=l["size"] + 1)))
    c = case("layer-size-small", 3, "layer descriptor size is one byte too small")
    if c:
        oci(c, L(), manifest=layer_mut(lambda l: l.update(size=l["size"] - 1)))
    c = case("layer-mediatype-unsupported", 3, "layer media type tar+bzip2")
    if c:
        oci(c, L(), manifest=layer_mut(
            lambda l: l.update(mediaType="application/vnd.oci.image.layer.v1.tar+bzip2")))
    c = case("layer-mediatype-foreign", 3, "layer media type is a config type")
    if c:
        oci(c, L(), manifest=layer_mut(lambda l: l.update(mediaType=MT_CONFIG)))
    c = case("layer-missing-blob", 3, "layer blob file absent (chosen: 3, not 5)")
    if c:
        oci(c, L(), skip_blobs=(0,))
    c = case("config-missing-blob", 3, "config blob file absent")
    if c:
        oci(c, L(), skip_blobs=("config",))
    c = case("manifest-missing-blob", 3, "manifest blob file absent")
    if c:
        oci(c, L(), skip_blobs=("manifest",))
    for name, dg, note in (
            ("digest-uppercase", None, "layer digest in uppercase hex"),
            ("digest-sha512", None, "layer digest sha512:…"),
            ("digest-traversal", "sha256:../../../../etc/passwd", "layer digest sha256:../…"),
            ("digest-short", "sha256:abcd", "layer digest too short"),
            ("digest-no-algo", None, "layer digest without algorithm")):
        c = case(name, 3, note)
        if not c:
            continue
        lay = L()
        h = lay[0].desc["digest"].split(":")[1]
        if name == "digest-uppercase":
            dg = "sha256:" + h.upper()
        elif name == "digest-sha512":
            dg = "sha512:" + hashlib.sha512(lay[0].blob).hexdigest()
        elif name == "digest-no-algo":
            dg = h
        oci(c, lay, manifest=layer_mut(lambda l, dg=dg: l.update(digest=dg)),
            tweak=(lambda d, lay=lay, dg=dg: write_blob(d, lay[0].blob, dg))
            if name in ("digest-uppercase", "digest-sha512") else None)

    # --- config
    c = case("config-digest-mismatch", 3, "config blob bytes differ from the digest")
    if c:
        def tw(d):
            man_h = json.load(open(os.path.join(d, "index.json")))["manifests"][0]["digest"]
            man = json.load(open(os.path.join(d, "blobs", "sha256", man_h.split(":")[1])))
            p = os.path.join(d, "blobs", "sha256", man["config"]["digest"].split(":")[1])
            cfg = json.load(open(p))
            cfg["config"]["Cmd"] = ["/bin/evil"]
            open(p, "wb").write(canon(cfg))
        oci(c, L(), tweak=tw)
    c = case("config-not-json", 3, "config blob is not JSON (digest correct)")
    if c:
        oci(c, L(), config=lambda cfg: b"nope")
    c = case("diffid-mismatch", 3, "rootfs.diff_ids[0] is another layer's")
    if c:
        oci(c, L(), config=lambda cfg: cfg["rootfs"].update(
            diff_ids=["sha256:" + sha256(b"something else")]))
    c = case("diffids-more-than-layers", 3, "two diff_ids for one layer")
    if c:
        oci(c, L(), config=lambda cfg: cfg["rootfs"]["diff_ids"].append(
            "sha256:" + sha256(b"extra")))
    c = case("diffids-fewer-than-layers", 3, "one diff_id for two layers")
    if c:
        oci(c, L() + [Layer(mktar([ti("x", "file", b"x")]))],
            config=lambda cfg: cfg["rootfs"]["diff_ids"].pop() and None)
    c = case("diffids-missing", 3, "config without rootfs")
    if c:
        oci(c, L(), config=lambda cfg: cfg.pop("rootfs") and None)

    # --- docker-archive
    t_ok = mktar(base_members() + [ti("etc/motd", "file", b"docker\n")])
    c = case("docker-ok", 0, "valid legacy docker-archive")
    if c:
        c.want("/etc/motd", sha256=sha256(b"docker\n"))
        docker(c, [t_ok])
    c = case("docker-layer-dotdot", 3, "manifest.json Layers entry ../../../etc/passwd")
    if c:
        docker(c, [t_ok], manifest=lambda m: m[0].update(Layers=["../../../../etc/passwd"]))
    c = case("docker-layer-absolute", 3, "manifest.json Layers entry /etc/passwd")
    if c:
        docker(c, [t_ok], manifest=lambda m: m[0].update(Layers=["/etc/passwd"]))
    c = case("docker-config-dotdot", 3, "manifest.json Config ../../etc/passwd")
    if c:
        docker(c, [t_ok], manifest=lambda m: m[0].update(Config="../../etc/passwd"))
    c = case("docker-missing-layer", 3, "layer member named in manifest.json is absent")
    if c:
        docker(c, [t_ok], skip=(sha256(t_ok) + "/layer.tar",))
    c = case("docker-missing-config", 3, "config member is absent")
    if c:
        docker(c, [t_ok], skip=("config",))
    c = case("docker-manifest-not-json", 3, "manifest.json is not JSON")
    if c:
        docker(c, [t_ok], manifest=lambda m: b"[{")
    c = case("docker-manifest-empty", 3, "manifest.json is []")
    if c:
        docker(c, [t_ok], manifest=lambda m: b"[]")
    c = case("docker-diffid-mismatch", 3, "layer tar does not match config diff_ids")
    if c:
        docker(c, [t_ok], config=lambda cfg: cfg["rootfs"].update(
            diff_ids=["sha256:" + sha256(b"other")]))
    c = case("docker-member-dotdot", 3, "layer tar holds ../pwned-sealwatch")
    if c:
        docker(c, [mktar(base_members() + [ti("../pwned-sealwatch", "file", b"x")])])
    c = case("docker-not-tar", 3, "image.tar is not a tar archive")
    if c:
        open(os.path.join(c.dir, "image.tar"), "wb").write(b"\x7fELF" + bytes(2000))
        c.finish("docker-archive:" + os.path.join(c.dir, "image.tar"))
    for c in cases:
        c.write()
    return [c.name for c in cases]


def main():
    args = [a for a in sys.argv[1:]]
    big = "--big" in args
    only = None
    if "--only" in args:
        i = args.index("--only")
        only = args[i + 1]
        del args[i:i + 2]
    args = [a for a in args if a != "--big"]
    if len(args) != 1 or args[0].startswith("-"):
        sys.stderr.write("usage: gen-hostile.py OUTDIR [--big] [--only SUBSTRING]\n")
        return 2
    out = os.path.abspath(args[0])
    os.makedirs(out, exist_ok=True)
    cases = gen_cases(out, big, only)
    print("%d cases in %s" % (len(cases), out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
