#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# `sealwatch baseline` and `scan` on a real image built with podman/buildah
# (tests/lib/images.sh): every on-disk form skopeo writes, a multi-platform
# index, the podman-exported tree; checked against podman's own view (image
# ID, `podman export` hashes, xattrs) and against a tampered rebuild.
# Needs root, podman, buildah, skopeo.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/images.sh"

if ! need_root; then
	skip all "needs root"
	exit 0
fi
for t in podman buildah skopeo jq getfattr setcap "$PYTHON"; do
	if ! command -v "$t" >/dev/null; then
		skip all "$t not installed (make deps)"
		exit 0
	fi
done
if [ ! -x "$SW" ]; then
	skip all "no sealwatch binary at $SW"
	exit 0
fi
trap 'img_cleanup; [ -n "${SW_KEEP:-}" ] || rm -rf "$WORK"' EXIT

NAME=localhost/sealwatch-it-$$:latest
I=$WORK/img

# eq NAME GOT WANT
eq() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "got '$2', expected '$3'"
	fi
}
# field BASELINE PATH JQ: a field of one entry ("" when absent)
field() {
	tail -n +2 "$1" | jq -r --arg p "$2" "select(.path == \$p) | $3 // empty"
}
# hdr BASELINE JQ
hdr() { head -n 1 "$1" | jq -r "$2"; }
# bl LABEL IMAGE [ARGS…]: baseline into $WORK/LABEL.jsonl, exit 0 expected
bl() {
	local label=$1 ref=$2
	shift 2
	expect_exit "baseline-$label" 0 "$SW" baseline "$ref" -o "$WORK/$label.jsonl" "$@"
}

# ---- build and export
if ! img_build "$NAME" >"$WORK/build.log" 2>&1; then
	fail build-image "img_build failed"
	sed 's/^/    /' "$WORK/build.log" | tail -n 20
	exit 1
fi
pass build-image
if ! img_export "$NAME" "$I" >"$WORK/export.log" 2>&1; then
	fail export-image "img_export failed"
	sed 's/^/    /' "$WORK/export.log" | tail -n 20
	exit 1
fi
pass export-image
if ! img_reference_hashes "$NAME" "$WORK/ref.txt" "$WORK/tree" >"$WORK/ref.log" 2>&1; then
	fail reference "img_reference_hashes failed"
	sed 's/^/    /' "$WORK/ref.log" | tail -n 20
	exit 1
fi
pass reference
image_id=sha256:$(podman image inspect --format '{{.Id}}' "$NAME")

# ---- baselines of every form
bl oci "oci:$I/oci"
bl oci2 "oci:$I/oci:latest"
bl zstd "oci:$I/oci-zstd"
bl raw "oci:$I/oci-raw"
bl docker "docker-archive:$I/image.tar"
bl multi "oci:$I/oci-multi"
bl arm64 "oci:$I/oci-multi" --platform linux/arm64
bl tree "dir:$WORK/tree"
expect_exit baseline-platform-absent 3 "$SW" baseline "oci:$I/oci-multi" --platform linux/s390x \
	-o "$WORK/s390x.jsonl"

B=$WORK/oci.jsonl
if [ ! -s "$B" ]; then
	fail all "no baseline from oci:, nothing more to check"
	exit 1
fi

# ---- header: identity as podman and the layout see it
mdig() { jq -r --arg a "$2" \
	'[.manifests[] | select((.platform.architecture // "amd64") == $a)][0].digest' \
	"$1/index.json"; }
for v in oci zstd raw multi; do
	f=$WORK/$v.jsonl
	[ -s "$f" ] || continue
	eq "$v-config-digest" "$(hdr "$f" .image.config_digest)" "$image_id"
	eq "$v-platform" "$(hdr "$f" .image.platform)" linux/amd64
	case $v in oci) d=$I/oci ;; zstd) d=$I/oci-zstd ;; raw) d=$I/oci-raw ;; multi) d=$I/oci-multi ;; esac
	m=$(mdig "$d" amd64)
	eq "$v-manifest-digest-index" "$(hdr "$f" .image.manifest_digest)" "$m"
	eq "$v-manifest-digest-sha256sum" "$(hdr "$f" .image.manifest_digest)" \
		"sha256:$(sha256sum "$d/blobs/sha256/${m#sha256:}" | cut -d' ' -f1)"
	eq "$v-source" "$(hdr "$f" .source)" oci
	eq "$v-diff-ids" "$(hdr "$f" '.image.diff_ids | join(",")')" \
		"$(podman image inspect "$NAME" | jq -r '.[0].RootFS.Layers | join(",")')"
	eq "$v-entry-count" "$(hdr "$f" .entries)" "$(($(wc -l <"$f") - 1))"
done
if [ -s "$WORK/docker.jsonl" ]; then
	eq docker-config-digest "$(hdr "$WORK/docker.jsonl" .image.config_digest)" "$image_id"
	eq docker-source "$(hdr "$WORK/docker.jsonl" .source)" docker-archive
fi
eq schema "$(hdr "$B" .schema)" sealwatch.baseline/v1
eq hash "$(hdr "$B" .hash)" sha256

# ---- determinism and equivalence of the forms
check deterministic-oci cmp "$B" "$WORK/oci2.jsonl"
"$SW" baseline "oci:$I/oci" -o "$WORK/oci3.jsonl" --jobs 1 >/dev/null 2>&1
check deterministic-jobs-1 cmp "$B" "$WORK/oci3.jsonl"
for v in zstd raw docker multi; do
	[ -s "$WORK/$v.jsonl" ] || continue
	check "entries-equal-oci-$v" cmp <(tail -n +2 "$B") <(tail -n +2 "$WORK/$v.jsonl")
done

# the podman-exported tree gives the same entries (implicit flags aside)
if [ -s "$WORK/tree.jsonl" ]; then
	check entries-equal-oci-exported-tree cmp <(tail -n +2 "$B" | jq -c 'del(.implicit)') \
		<(tail -n +2 "$WORK/tree.jsonl" | jq -c 'del(.implicit)')
fi

# ---- multi-platform: --platform picks the arm64 manifest (listed first in the index)
if [ -s "$WORK/arm64.jsonl" ]; then
	A=$WORK/arm64.jsonl
	case $(hdr "$A" .image.platform) in
	linux/arm64 | linux/arm64/v8) pass arm64-platform ;;
	*) fail arm64-platform "got $(hdr "$A" .image.platform)" ;;
	esac
	eq arm64-manifest-digest "$(hdr "$A" .image.manifest_digest)" "$(mdig "$I/oci-multi" arm64)"
	eq arm64-has-arch-file "$(field "$A" /etc/arch .sha256)" "$(printf 'arm64\n' | sha256sum | cut -d' ' -f1)"
	eq amd64-has-no-arch-file "$(field "$WORK/multi.jsonl" /etc/arch .path)" ""
	eq arm64-rest-equal "$(tail -n +2 "$A" | grep -vc '"path":"/etc/arch"')" "$(tail -n +2 "$B" | grep -c .)"
fi

# ---- every regular file's hash equals the podman-export reference
tail -n +2 "$B" | jq -r 'select(.type == "file" or .type == "hardlink") | "\(.sha256)  \(.path)"' |
	LC_ALL=C sort -k2 >"$WORK/got.txt"
LC_ALL=C sort -k2 "$WORK/ref.txt" >"$WORK/want.txt"
if cmp -s "$WORK/got.txt" "$WORK/want.txt"; then
	pass "file-hashes-match-podman-export ($(wc -l <"$WORK/want.txt") files)"
else
	fail file-hashes-match-podman-export "$(diff "$WORK/want.txt" "$WORK/got.txt" | head -n 6 | tr '\n' ' ')"
fi

# ---- format: absolute, escaped, sorted by raw bytes, unique, no "/"
if "$PYTHON" - "$B" <<'EOF'; then
import json, re, sys
lines = open(sys.argv[1], "rb").read().decode("utf-8").splitlines()
raw = []
for l in lines[1:]:
    p = json.loads(l)["path"]
    assert p.startswith("/") and p != "/", p
    assert not re.search(r"[\x00-\x1f\x7f]", p), p
    raw.append(re.sub(rb"%([0-9A-F]{2})", lambda m: bytes([int(m.group(1), 16)]), p.encode()))
assert raw == sorted(raw), "not sorted by raw bytes"
assert len(raw) == len(set(raw)), "duplicate paths"
EOF
	pass paths-sorted-unique-escaped
else
	fail paths-sorted-unique-escaped
fi

# ---- what the layers did
eq whiteout-file-absent "$(field "$B" /etc/motd .path)" ""
eq whiteout-symlink-absent "$(field "$B" /bin/true .path)" ""
eq opaque-dir-only-new-file "$(tail -n +2 "$B" | jq -r 'select(.path | startswith("/var/lib/app/")) | .path' | tr '\n' ' ')" \
	"/var/lib/app/only.txt "
eq opaque-dir-type "$(field "$B" /var/lib/app .type)" dir
eq hardlink-layer2-type "$(field "$B" /usr/share/data/c.txt .type)" hardlink
eq hardlink-layer2-target "$(field "$B" /usr/share/data/c.txt .link)" /usr/share/data/a.txt
eq hardlink-layer2-content "$(field "$B" /usr/share/data/c.txt .sha256)" "$(field "$B" /usr/share/data/a.txt .sha256)"
# b.txt was a hardlink of a.txt in layer 1; layer 2 replaced a.txt, b.txt keeps the old bytes
eq hardlink-layer1-old-content "$(field "$B" /usr/share/data/b.txt .sha256)" \
	"$(printf 'shared data\n' | sha256sum | cut -d' ' -f1)"
# every hardlink names an entry with the same content (b.txt's old target was replaced
# in layer 2, so b.txt must not claim to be a link of today's a.txt)
bad_links=$(tail -n +2 "$B" | jq -rs 'INDEX(.path) as $m | .[] | select(.type == "hardlink") |
	select(($m[.link].sha256 // "none") != .sha256 or
	       (($m[.link].type // "none") | IN("file", "hardlink") | not)) | .path' | tr '\n' ' ')
eq hardlinks-point-at-same-content "$bad_links" ""
eq chmod-layer2 "$(field "$B" /usr/local/bin/tool.sh .mode)" 0755
eq setuid-mode "$(field "$B" /usr/sbin/suid-helper .mode)" 4755
eq setgid-mode "$(field "$B" /usr/sbin/sgid-helper .mode)" 2755
eq sticky-mode "$(field "$B" /tmp .mode)" 1777
eq owner-uid "$(field "$B" /home/user .uid)/$(field "$B" /home/user .gid)/$(field "$B" /home/user .mode)" 1000/1000/0750
eq owner-uid-file "$(field "$B" /home/user/.profile .uid)" 1000
caps_ref=$(getfattr --absolute-names -n security.capability --only-values "$WORK/tree/usr/sbin/netcap" | base64 -w 0)
eq caps-equal-getfattr "$(field "$B" /usr/sbin/netcap .caps)" "$caps_ref"
eq caps-value "$caps_ref" AQAAAgAgAAAAAAAAAAAAAAAAAAA=
eq caps-only-where-set "$(tail -n +2 "$B" | jq -r 'select(.caps) | .path' | tr '\n' ' ')" \
	"/usr/sbin/netcap "
eq script-exec "$(field "$B" /usr/local/bin/hello.sh .exec)" script
eq script-interp "$(field "$B" /usr/local/bin/hello.sh .interp)" /bin/sh
case $(field "$B" /bin/busybox .exec) in
elf_exec | elf_pie | elf_shared) pass busybox-elf-class ;;
*) fail busybox-elf-class "got '$(field "$B" /bin/busybox .exec)'" ;;
esac
eq busybox-size "$(field "$B" /bin/busybox .size)" "$(stat -c %s /bin/busybox)"
eq symlink-relative "$(field "$B" /bin/sh .type) $(field "$B" /bin/sh .link)" "symlink busybox"
eq symlink-absolute-dangling "$(field "$B" /etc/mtab .link)" /proc/self/mounts
eq symlink-dir-not-followed "$(field "$B" /usr/lib/applink .type) $(field "$B" /usr/lib/applink .link)" \
	"symlink ../../var/lib/app"
eq symlink-no-hash "$(field "$B" /bin/sh .sha256)$(field "$B" /usr/lib/applink .sha256)" ""
eq nothing-under-symlink "$(tail -n +2 "$B" | jq -r 'select(.path | startswith("/usr/lib/applink/")) | .path')" ""
eq fifo "$(field "$B" /srv/fifo .type)" fifo
eq empty-file "$(field "$B" /srv/empty .size) $(field "$B" /srv/empty .sha256)" \
	"0 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
eq name-space "$(field "$B" '/srv/with space.txt' .type)" file
eq name-newline "$(field "$B" /srv/new%0Aline.txt .type)" file
eq name-invalid-utf8 "$(field "$B" /srv/bad-%FF%FE.bin .type)" file
eq name-percent "$(field "$B" /srv/pct%2541.txt .type)" file
eq layer3-added "$(field "$B" /opt/app/run.sh .exec) $(field "$B" /opt/app/current .link)" "script run.sh"

# ---- a usr-merged rootfs through dir:
img_rootfs "$WORK/usrmerge" usrmerge
if expect_exit baseline-dir-usrmerge 0 "$SW" baseline "dir:$WORK/usrmerge" -o "$WORK/um.jsonl"; then
	U=$WORK/um.jsonl
	eq usrmerge-bin-symlink "$(field "$U" /bin .type) $(field "$U" /bin .link)" "symlink usr/bin"
	eq usrmerge-busybox "$(field "$U" /usr/bin/busybox .sha256)" \
		"$(sha256sum /bin/busybox | cut -d' ' -f1)"
	eq usrmerge-not-followed "$(field "$U" /bin/busybox .path)" ""
	eq usrmerge-source "$(hdr "$U" .source)" dir
fi

# ---- sign, then scan the image and the exported tree
K=$WORK/key
if ! "$SW" keygen -o "$K" >/dev/null 2>&1 || ! "$SW" sign --key "$K.key" "$B" >/dev/null 2>&1; then
	fail sign "keygen/sign failed"
	exit 1
fi
pass sign
check verify-openssl bash -c "openssl dgst -sha256 -verify '$K.pub' -signature <(base64 -d '$B.sig') '$B'"
expect_exit scan-oci-identical 0 "$SW" scan --baseline "$B" --key "$K.pub" "oci:$I/oci"
expect_exit scan-zstd-identical 0 "$SW" scan --baseline "$B" --key "$K.pub" "oci:$I/oci-zstd"
expect_exit scan-docker-identical 0 "$SW" scan --baseline "$B" --key "$K.pub" "docker-archive:$I/image.tar"
expect_exit scan-exported-tree-identical 0 "$SW" scan --baseline "$B" --key "$K.pub" "dir:$WORK/tree"
[ -s "$WORK/.out" ] && sed 's/^/    /' "$WORK/.out" | head -n 5

# the tree changed on disk → differs
cp -a "$WORK/tree" "$WORK/tree2"
printf 'evil\n' >>"$WORK/tree2/etc/passwd"
chmod 4755 "$WORK/tree2/usr/local/bin/hello.sh"
printf 'dropped\n' >"$WORK/tree2/usr/local/bin/dropped"
rm "$WORK/tree2/etc/issue"
expect_exit scan-tree-differs 1 "$SW" scan --baseline "$B" --key "$K.pub" "dir:$WORK/tree2"
cp "$WORK/.out" "$WORK/tree2.scan"
chg() { jq -r --arg p "$2" 'select(.path == $p) | .change' "$1"; }
eq scan-tree-modified "$(chg "$WORK/tree2.scan" /etc/passwd)" modified
eq scan-tree-changed "$(chg "$WORK/tree2.scan" /usr/local/bin/hello.sh)" changed
eq scan-tree-changed-mode "$(jq -r 'select(.path == "/usr/local/bin/hello.sh") | .fields | index("mode") != null' "$WORK/tree2.scan")" true
eq scan-tree-added "$(chg "$WORK/tree2.scan" /usr/local/bin/dropped)" added
eq scan-tree-removed "$(chg "$WORK/tree2.scan" /etc/issue)" removed
eq scan-tree-only-those "$(jq -r 'select(.path) | .path' "$WORK/tree2.scan" | LC_ALL=C sort | tr '\n' ' ')" \
	"/etc/issue /etc/passwd /usr/local/bin/dropped /usr/local/bin/hello.sh "

# ---- a registry swap: same name, /bin/busybox replaced in the top layer
if img_build "$NAME" tampered >"$WORK/build2.log" 2>&1 && img_export "$NAME" "$WORK/evil" >>"$WORK/build2.log" 2>&1; then
	pass build-tampered
	expect_exit scan-tampered-differs 1 "$SW" scan --baseline "$B" --key "$K.pub" "oci:$WORK/evil/oci"
	S=$WORK/tampered.scan
	cp "$WORK/.out" "$S"
	eq tampered-busybox-modified "$(chg "$S" /bin/busybox)" modified
	eq tampered-expected-sha "$(jq -r 'select(.path == "/bin/busybox") | .expected.sha256' "$S")" \
		"$(sha256sum /bin/busybox | cut -d' ' -f1)"
	eq tampered-actual-sha "$(jq -r 'select(.path == "/bin/busybox") | .actual.sha256' "$S")" \
		"$( (cat /bin/busybox; printf '\0') | sha256sum | cut -d' ' -f1)"
	eq tampered-fields "$(jq -r 'select(.path == "/bin/busybox") | .fields | index("sha256") != null' "$S")" true
	eq tampered-only-busybox "$(jq -r 'select(.path) | .path' "$S" | tr '\n' ' ')" "/bin/busybox "
	eq tampered-image-id-reported "$(jq -r 'select(.change == "image") | .field' "$S" | grep -c config_digest)" 1
	expect_exit scan-tampered-docker-differs 1 "$SW" scan --baseline "$B" --key "$K.pub" \
		"docker-archive:$WORK/evil/image.tar"
else
	fail build-tampered "img_build tampered failed"
	sed 's/^/    /' "$WORK/build2.log" | tail -n 10
fi

# ---- the baseline itself tampered with → bad signature
cp "$B" "$WORK/t.jsonl"
cp "$B.sig" "$WORK/t.jsonl.sig"
bb=$(sha256sum /bin/busybox | cut -d' ' -f1)
sed -i "s/$bb/$(printf '%064d' 0)/" "$WORK/t.jsonl"
expect_exit scan-tampered-baseline 4 "$SW" scan --baseline "$WORK/t.jsonl" --key "$K.pub" "oci:$I/oci"
expect_exit verify-tampered-baseline 4 "$SW" verify --key "$K.pub" "$WORK/t.jsonl"

# ---- unsigned baseline: refused, unless --insecure-skip-verify
cp "$B" "$WORK/unsigned.jsonl"
expect_exit scan-unsigned-refused 4 "$SW" scan --baseline "$WORK/unsigned.jsonl" --key "$K.pub" "oci:$I/oci"
expect_exit scan-insecure-skip-verify 0 "$SW" scan --baseline "$WORK/unsigned.jsonl" \
	--insecure-skip-verify "oci:$I/oci"
