#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The container resolver against a real podman+runc container: the cgroup of a
# process in it resolves, through containers-storage on this host, to what
# `podman inspect` reports (id, name, image ID, image name, rootfs); conmon's
# cgroup does not; and resolver_prune() forgets the container once
# `podman rm` removed it. Drives $SW_BUILD/tests/test_resolver_live.
source "$(dirname "$0")/../lib/common.sh"

LIVE=$SW_BUILD/tests/test_resolver_live
IMAGE=${SW_RESOLVER_IMAGE:-localhost/bbtest-$$:1}
PY=$(command -v /usr/bin/python3 || command -v python3)
MADE_IMAGE=
CID=
LIVE_PID=

if ! need_root || ! command -v podman >/dev/null || [ -z "$PY" ]; then
	skip all "needs root, podman and python3"
	exit 0
fi
if [ ! -x "$LIVE" ]; then
	fail build "$LIVE missing (make unit)"
	exit 0
fi

cleanup() {
	[ -n "$LIVE_PID" ] && kill "$LIVE_PID" 2>/dev/null
	exec 3>&- 2>/dev/null
	[ -n "$CID" ] && podman rm -f -t 0 "$CID" >/dev/null 2>&1
	[ -n "$MADE_IMAGE" ] && podman rmi -f "$IMAGE" >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT


# field FILE KEY: KEY of the first JSON line of FILE ("null" for null)
field() {
	"$PY" -c 'import json, sys
v = json.loads(open(sys.argv[1]).readline()).get(sys.argv[2])
print("null" if v is None else v)' "$1" "$2"
}

# expect NAME GOT WANT
expect() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "got '$2', expected '$3'"
	fi
}

if ! busybox_image "$IMAGE"; then
	fail image "could not create $IMAGE"
	exit 0
fi
# /bin/busybox sleep: works whether or not the image has a sleep link
CID=$(podman run -d --runtime runc --network none --name "sw-resolver-$$" "$IMAGE" \
	/bin/busybox sleep 60 2>"$WORK/run.err")
if [ -z "$CID" ]; then
	fail start "podman run failed"
	sed 's/^/    /' "$WORK/run.err" | tail -n 5
	exit 0
fi
PID=$(podman inspect -f '{{.State.Pid}}' "$CID")
CONMON=$(podman inspect -f '{{.State.ConmonPid}}' "$CID")
WANT_IMAGE=sha256:$(podman inspect -f '{{.Image}}' "$CID")
WANT_NAME=$(podman inspect -f '{{.Name}}' "$CID")
WANT_IMAGE_NAME=$(podman inspect -f '{{.ImageName}}' "$CID")
WANT_ROOTFS=$(podman inspect -f '{{.GraphDriver.Data.MergedDir}}' "$CID")

# every form the daemon may hand over: a v2 line, a v1 line, the bare leaf
V2=$(grep -m1 '^0::' "/proc/$PID/cgroup")
V1=$(grep -m1 -v '^0::' "/proc/$PID/cgroup" | grep "$CID")
case "$V2" in *"$CID"*) ;; *) V2=$(grep -m1 "$CID" "/proc/$PID/cgroup") ;; esac
if [ -z "$V2" ]; then
	fail cgroup "no cgroup of pid $PID names $CID"
	sed 's/^/    /' "/proc/$PID/cgroup"
	exit 0
fi
LEAF=${V2##*/}

if "$LIVE" "$V2" >"$WORK/v2.json" 2>"$WORK/live.err"; then
	pass resolves
else
	fail resolves "$(cat "$WORK/v2.json" "$WORK/live.err")"
	exit 0
fi
J=$WORK/v2.json
expect id "$(field "$J" id)" "$CID"
expect runtime "$(field "$J" runtime)" podman
expect image-id "$(field "$J" image_id)" "$WANT_IMAGE"
expect name "$(field "$J" name)" "$WANT_NAME"
expect image-name "$(field "$J" image_name)" "$WANT_IMAGE_NAME"
expect rootfs "$(field "$J" rootfs)" "$WANT_ROOTFS"
ROOTFS=$(field "$J" rootfs)
if [ -d "$ROOTFS" ] && [ -e "$ROOTFS/bin/busybox" ]; then
	pass rootfs-exists
else
	fail rootfs-exists "$ROOTFS has no bin/busybox"
fi
expect pod-name "$(field "$J" pod_name)" null

# check_form NAME CGROUP: resolves to the same container and image
check_form() {
	"$LIVE" "$2" >"$WORK/form.json" 2>&1
	expect "form-$1" "$(field "$WORK/form.json" id) $(field "$WORK/form.json" image_id)" \
		"$CID $WANT_IMAGE"
}
[ -n "$V1" ] && check_form v1-line "$V1"
check_form leaf "$LEAF"

# conmon watches the container from outside it
if [ -n "$CONMON" ] && [ "$CONMON" != 0 ] && [ -r "/proc/$CONMON/cgroup" ]; then
	if "$LIVE" "$(grep -m1 '^0::' "/proc/$CONMON/cgroup")" >"$WORK/conmon.json" 2>&1; then
		fail conmon-not-container "$(cat "$WORK/conmon.json")"
	else
		pass conmon-not-container
	fi
fi
"$LIVE" "libpod-conmon-$CID.scope" >/dev/null 2>&1 && fail conmon-scope || pass conmon-scope

# prune: resolve, remove the container, prune, ask again
mkfifo "$WORK/go"
"$LIVE" --prune "$V2" <"$WORK/go" >"$WORK/prune.json" 2>&1 &
LIVE_PID=$!
exec 3>"$WORK/go"
for _ in $(seq 300); do
	[ -s "$WORK/prune.json" ] && break
	sleep 0.1
done
expect cached-before-rm "$(field "$WORK/prune.json" cache_size)" 1
podman rm -f -t 0 "$CID" >/dev/null 2>&1 && CID_GONE=$CID && CID=
echo go >&3
exec 3>&-
wait "$LIVE_PID"
LIVE_PID=
if [ -z "${CID_GONE:-}" ]; then
	fail rm "podman rm failed"
else
	tail -n 1 "$WORK/prune.json" >"$WORK/after.json"
	expect pruned "$(field "$WORK/after.json" cache_size)" 0
	expect gone-enoent "$(field "$WORK/after.json" lookup_errno)" 2
fi
exit 0
