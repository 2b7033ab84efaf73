#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# A short tour: build a real image, baseline and sign it, swap a binary the
# way a registry attacker would, and catch it with `sealwatch scan`.
# Needs root, podman, buildah, skopeo and busybox-static (make deps).
set -euo pipefail
cd "$(dirname "$0")/.."
SW=${SW:-$PWD/.output/sealwatch}
T=$(mktemp -d /tmp/sealwatch-tour.XXXXXX)
# names of this run only: the tour removes what it created and nothing else
IMG=localhost/sealwatch-tour-$$
ctr=
cleanup() {
	[ -n "$ctr" ] && buildah rm "$ctr" >/dev/null 2>&1 || true
	podman rmi -f "$IMG:1" "$IMG:swapped" >/dev/null 2>&1 || true
	rm -rf "$T"
}
trap cleanup EXIT
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

# 1. the image, as CI builds it
mkdir -p "$T/rootfs/bin" "$T/rootfs/etc"
cp /bin/busybox "$T/rootfs/bin/busybox"
for a in sh ls cat echo; do ln -s busybox "$T/rootfs/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$T/rootfs/etc/passwd"
tar -C "$T/rootfs" -cf "$T/rootfs.tar" .
podman import -q "$T/rootfs.tar" "$IMG:1" >/dev/null
skopeo copy -q "containers-storage:$IMG:1" "oci:$T/built:1"

say "sealwatch keygen -o $T/ci && sealwatch baseline --name $IMG:1 oci:$T/built:1 -o $T/app.jsonl && sealwatch sign --key $T/ci.key $T/app.jsonl"
"$SW" keygen -o "$T/ci"
"$SW" baseline --name "$IMG:1" "oci:$T/built:1" -o "$T/app.jsonl"
"$SW" sign --key "$T/ci.key" "$T/app.jsonl"
head -c 400 "$T/app.jsonl"
echo …

# 2. an attacker with a stolen registry token pushes the same tag with one binary swapped
ctr=$(buildah from -q "$IMG:1")
mnt=$(buildah mount "$ctr")
printf '\n# implant\n' >>"$mnt/bin/busybox"
buildah umount "$ctr" >/dev/null
buildah commit -q --rm "$ctr" "$IMG:swapped" >/dev/null
ctr= # --rm removed it
skopeo copy -q "containers-storage:$IMG:swapped" "oci:$T/pulled:1"

# 3. what a node or a CI gate pulls is checked against the signed baseline
say "sealwatch scan --baseline $T/app.jsonl --key $T/ci.pub oci:$T/pulled:1"
set +e
"$SW" scan --baseline "$T/app.jsonl" --key "$T/ci.pub" "oci:$T/pulled:1" | jq -c 'if .change == "image" then . else {change, path, fields, expected: .expected.sha256, actual: .actual.sha256} end'
rc=${PIPESTATUS[0]}
set -e
echo "exit code: $rc (1 = differs)"

say "sealwatch scan … oci:$T/built:1   # the image CI built: identical"
"$SW" scan --baseline "$T/app.jsonl" --key "$T/ci.pub" "oci:$T/built:1"
echo "exit code: $?"
