#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Live Docker (issue 12): a real dockerd (Debian's docker.io, started by the
# test as `dockerd --iptables=false --bridge=none` with its own data root,
# exec root, socket and managed containerd, so nothing of the host's is used
# or left), real containers, and the daemon's JSON output: the container
# mapped to its image by ID (config.v2.json), an untouched binary ok, a
# modified one, a dropped one, a write to an image file, a bind mount over an
# image path by a process gone at once, node-side writes into the image's
# overlay2 layer, and the registry swap (same name, other image ID).
source "$(dirname "$0")/../lib/common.sh"

if ! need_root || ! command -v dockerd >/dev/null || ! command -v gcc >/dev/null; then
	skip all "needs root, dockerd (Debian's docker.io) and gcc"
	exit 0
fi

DROOT=/var/lib/sw-docker-test.$$ # overlay2 needs a real filesystem under it
DEXEC=/run/sw-docker-test.$$
SOCK=$DEXEC/docker.sock
DOCKERD_PID=
DAEMON_PID=
EVENTS=$WORK/events.jsonl
dk() { docker -H "unix://$SOCK" "$@"; }

cleanup() {
	[ -n "${SW_KEEP_EVENTS:-}" ] && cp "$EVENTS" "$SW_KEEP_EVENTS" 2>/dev/null
	[ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
	if [ -n "$DOCKERD_PID" ]; then
		dk rm -f $(dk ps -aq 2>/dev/null) >/dev/null 2>&1
		kill "$DOCKERD_PID" 2>/dev/null
		for _ in $(seq 100); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.2; done
		kill -9 "$DOCKERD_PID" 2>/dev/null
	fi
	# its mounts (overlay2, the managed containerd's shm and rootfs) go first
	grep -oE " ($DROOT|$DEXEC)[^ ]*" /proc/self/mounts | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null; done
	rm -rf "$DROOT" "$DEXEC" "$WORK"
}
trap cleanup EXIT

mkdir -p "$DROOT" "$DEXEC"
dockerd --iptables=false --ip6tables=false --bridge=none --data-root "$DROOT" \
	--exec-root "$DEXEC" -H "unix://$SOCK" --pidfile "$DEXEC/dockerd.pid" \
	>"$WORK/dockerd.log" 2>&1 &
DOCKERD_PID=$!
if ! wait_until 60 dk version >/dev/null 2>&1; then
	fail dockerd-started "$(tail -n 5 "$WORK/dockerd.log")"
	exit 0
fi
pass dockerd-started

# --- an image: busybox links, a dynamic tool, victims
H=$TOP/tests/integration/helpers
gcc -O2 -static -o "$WORK/blind_tool" "$H/blind_tool.c" || { fail build-helpers; exit 0; }
R=$WORK/rootfs
mkdir -p "$R/usr/bin" "$R/tmp" "$R/etc"
chmod 1777 "$R/tmp"
ln -s usr/bin "$R/bin"
cp /bin/busybox "$R/usr/bin/busybox"
for a in sh cat cp echo sleep mv rm chmod true; do ln -s busybox "$R/usr/bin/$a"; done
cp "$WORK/blind_tool" "$R/usr/bin/"
for t in d1 d2 d3 d4 d5; do cp /bin/busybox "$R/usr/bin/$t"; done
IMG=swdk-live:1
tar -C "$R" -cf "$WORK/rootfs.tar" . && dk import "$WORK/rootfs.tar" "$IMG" >/dev/null &&
	dk save -o "$WORK/img.tar" "$IMG" || { fail build-image; exit 0; }
IMG_ID=$(dk image inspect -f '{{.Id}}' "$IMG")
"$SW" keygen -o "$WORK/k" >/dev/null 2>&1
mkdir -p "$WORK/store"
"$SW" baseline --name "$IMG" "docker-archive:$WORK/img.tar" -o "$WORK/store/dk.jsonl" 2>"$WORK/bl.err" &&
	"$SW" sign --key "$WORK/k.key" "$WORK/store/dk.jsonl" >/dev/null 2>&1 ||
	{ fail baseline-image "$(head -c 300 "$WORK/bl.err")"; exit 0; }
pass build-image
mkdir -p "$WORK/hb"
cp /bin/busybox "$WORK/hb/evilbin"
echo '#x' >>"$WORK/hb/evilbin"

cfg "{\"docker_root\": \"$DROOT\", \"layer_stores\": [\"$DROOT/overlay2\"]}"
"$SW" daemon --config "$WORK/c.json" --baseline-dir "$WORK/store" --trusted-key "$WORK/k.pub" \
	--all-events --output "file:$EVENTS" 2>"$WORK/daemon.log" &
DAEMON_PID=$!
wait_for daemon-started '.event.action == "start"' || { sed 's/^/    /' "$WORK/daemon.log"; exit 0; }

run_c() { # NAME [docker options…] -- CMD…
	local name=$1 opts=()
	shift
	while [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	dk run -d --name "$name" --network none "${opts[@]}" "$IMG" "$@" >/dev/null
}
x() { dk exec "$C" "$@" >/dev/null 2>&1; }

C=swdk-a-$$
run_c "$C" -- /bin/sleep 600 || { fail run-container "$(tail -n 3 "$WORK/dockerd.log")"; exit 0; }
A=$(dk inspect -f '{{.Id}}' "$C")
IN=".container.id == \"$A\""
x /usr/bin/d1 true
wait_for untouched-ok "$IN and .container.runtime == \"docker\" and .container.image.id == \"$IMG_ID\" and .sealwatch.baseline.match == \"image_id\" and .file.path == \"/usr/bin/d1\" and .sealwatch.verdict == \"ok\""
x sh -c 'echo "#x" >>/bin/d2 && /bin/d2 true'
wait_for write-through-symlinked-dir-tamper "$IN and .event.action == \"open_write\" and .file.path == \"/usr/bin/d2\" and .sealwatch.verdict == \"tamper\""
wait_for modified-binary "$IN and .event.action == \"exec\" and .file.path == \"/usr/bin/d2\" and .sealwatch.verdict == \"modified\" and .container.name == \"$C\""
x sh -c 'cp /bin/busybox /tmp/drop && echo "#y" >>/tmp/drop && chmod 755 /tmp/drop && /tmp/drop true'
wait_for dropped-unknown "$IN and .event.action == \"exec\" and .file.path == \"/tmp/drop\" and .sealwatch.verdict == \"unknown\""
# a relative rename away by a process gone before the daemon looked
kill -STOP "$DAEMON_PID"
x sh -c 'cd /bin && mv d3 /tmp/d3'
kill -CONT "$DAEMON_PID"
wait_for gone-relative-rename-tamper "$IN and .event.action == \"rename\" and .file.path == \"/usr/bin/d3\" and .sealwatch.verdict == \"tamper\""

# a bind mount over an image path, run by a process gone at once
C=swdk-b-$$
run_c "$C" -v "$WORK/hb/evilbin:/usr/bin/d4:ro" -- /bin/sleep 600
B=$(dk inspect -f '{{.Id}}' "$C")
kill -STOP "$DAEMON_PID"
x /usr/bin/d4 true
kill -CONT "$DAEMON_PID"
wait_for bind-mount-gone-modified ".container.id == \"$B\" and .event.action == \"exec\" and .file.path == \"/usr/bin/d4\" and .sealwatch.verdict == \"modified\" and .sealwatch.reason == \"content differs from the baseline\""

# the node writes into the image's layer (overlay2's diff dir): tamper, and the
# running container's next exec of it is modified
LAYER=$(dk image inspect -f '{{.GraphDriver.Data.UpperDir}}' "$IMG")
C=swdk-a-$$
x /usr/bin/d5 true
# its verdict first: a write landing while the daemon hashes it would make
# that verdict "file changed while it was hashed" (right, but not this check)
wait_for d5-ok-before-node-write "$IN and .event.action == \"exec\" and .file.path == \"/usr/bin/d5\" and .sealwatch.verdict == \"ok\""
if [ -f "$LAYER/usr/bin/d5" ]; then
	echo '#node' >>"$LAYER/usr/bin/d5"
	wait_for node-layer-write-tamper ".event.action == \"open_write\" and .sealwatch.verdict == \"tamper\" and .file.path == \"$LAYER/usr/bin/d5\" and (.sealwatch.layer.store == \"$DROOT/overlay2\")"
	x /usr/bin/d5 true
	wait_for node-layer-write-then-exec-modified "$IN and .event.action == \"exec\" and .file.path == \"/usr/bin/d5\" and .sealwatch.verdict == \"modified\""
else
	fail node-layer-write "no layer file at '$LAYER/usr/bin/d5'"
fi

# the registry swap: the same name now names another image
echo '#swapped' >>"$R/usr/bin/d1"
tar -C "$R" -cf "$WORK/rootfs2.tar" . && dk import "$WORK/rootfs2.tar" "$IMG" >/dev/null ||
	fail swap-image
C=swdk-c-$$
run_c "$C" -- /bin/sleep 600
S=$(dk inspect -f '{{.Id}}' "$C")
x /usr/bin/d1 true
wait_for swap-image-mismatch ".container.id == \"$S\" and .event.action == \"image_mismatch\" and .sealwatch.verdict == \"image_mismatch\" and .sealwatch.expected.image_id == \"$IMG_ID\" and .sealwatch.actual.image_id != \"$IMG_ID\""
wait_for swap-file-modified-by-name ".container.id == \"$S\" and .event.action == \"exec\" and .file.path == \"/usr/bin/d1\" and .sealwatch.verdict == \"modified\""

n=$(count '.sealwatch.verdict == "unverified"')
[ "$n" = 0 ] && pass nothing-unverified || fail nothing-unverified "$(jq -c -s '[.[] | select(.sealwatch.verdict == "unverified") | [.event.action, .file.path, .sealwatch.reason]]' "$EVENTS" | head -c 300)"
check_schema events-match-schema "$EVENTS"
kill "$DAEMON_PID"
wait "$DAEMON_PID"
rc=$?
DAEMON_PID=
[ "$rc" = 0 ] && pass sigterm-exit-0 || fail sigterm-exit-0 "exit $rc"
