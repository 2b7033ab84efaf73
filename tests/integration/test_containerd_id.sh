#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# containerd by image ID (issue 12 §7): a real containerd (Debian's 1.6, its
# own root, state and socket under $WORK, the CRI plugin off), an image
# imported with ctr, a container run with ctr (no CRI annotations at all).
# The daemon learns the image ID from containerd's metadata DB and content
# store (containerd_root/containerd_state pointing at this containerd) and
# matches the signed baseline by ID; the same image moved to another ID under
# the same name is image_mismatch, not a silent name match. Then the same
# image pulled by containerd from a real registry (Debian's docker-registry on
# 127.0.0.1): a daemon without a local baseline fetches the one attached to
# the manifest digest containerd recorded (its metadata DB's image target).
source "$(dirname "$0")/../lib/common.sh"

if ! need_root || ! command -v containerd >/dev/null || ! command -v ctr >/dev/null ||
	! command -v podman >/dev/null; then
	skip all "needs root, containerd, ctr and podman"
	exit 0
fi

IMG=localhost/swbs-cd
CD=$WORK/cd
SOCK=$CD/sock
NS=swbs
CD_PID=
DAEMON_PID=
REG_PID=
EVENTS=$WORK/events.jsonl
CIDS=()

ctr_() { ctr -a "$SOCK" -n "$NS" "$@"; }
cleanup() {
	[ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
	for c in "${CIDS[@]}"; do
		ctr_ task kill -s KILL "$c" >/dev/null 2>&1
		for _ in $(seq 50); do ctr_ task rm "$c" >/dev/null 2>&1 && break; sleep 0.1; done
		ctr_ container rm "$c" >/dev/null 2>&1
	done
	[ -n "$CD_PID" ] && kill "$CD_PID" 2>/dev/null && wait "$CD_PID" 2>/dev/null
	[ -n "$REG_PID" ] && kill "$REG_PID" 2>/dev/null && wait "$REG_PID" 2>/dev/null
	# whatever a failed task rm left: its rootfs mount
	for m in "$CD"/state/io.containerd.runtime.v2.task/"$NS"/*/rootfs; do
		mountpoint -q "$m" 2>/dev/null && umount "$m"
	done
	podman rmi -f "$IMG:1" "$IMG:2" >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT

busybox_image "$IMG:1" || { fail build-image; exit 0; }
R=$WORK/busybox-rootfs
echo '#moved' >>"$R/bin/busybox"
tar -C "$R" -cf "$WORK/r2.tar" . && podman import -q "$WORK/r2.tar" "$IMG:2" >/dev/null ||
	{ fail build-image-2; exit 0; }
skopeo copy -q "containers-storage:$IMG:1" "docker-archive:$WORK/img1.tar:$IMG:1" &&
	skopeo copy -q "containers-storage:$IMG:2" "docker-archive:$WORK/img2.tar:$IMG:moved" ||
	{ fail export-images; exit 0; }
"$SW" keygen -o "$WORK/k" >/dev/null 2>&1
mkdir -p "$WORK/store"
"$SW" baseline --name "$IMG:1" "docker-archive:$WORK/img1.tar" -o "$WORK/store/cd.jsonl" 2>/dev/null &&
	"$SW" sign --key "$WORK/k.key" "$WORK/store/cd.jsonl" >/dev/null 2>&1 || { fail baseline; exit 0; }
ID1=$(jq -r -s '.[0].image.config_digest' "$WORK/store/cd.jsonl")
pass build-image

mkdir -p "$CD/root" "$CD/state"
printf 'version = 2\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n' >"$CD/config.toml"
containerd --config "$CD/config.toml" --root "$CD/root" --state "$CD/state" --address "$SOCK" \
	>"$WORK/containerd.log" 2>&1 &
CD_PID=$!
for _ in $(seq 600); do ctr -a "$SOCK" version >/dev/null 2>&1 && break; sleep 0.1; done
ctr -a "$SOCK" version >/dev/null 2>&1 && pass containerd-started ||
	{ fail containerd-started "$(tail -n 3 "$WORK/containerd.log")"; exit 0; }
ctr_ images import "$WORK/img1.tar" >/dev/null 2>&1 || { fail ctr-import; exit 0; }
ctr_ images ls -q | grep -qxF "$IMG:1" && pass ctr-import || fail ctr-import "$(ctr_ images ls -q)"

cfg "{\"containerd_root\":\"$CD/root\",\"containerd_state\":\"$CD/state\"}"
"$SW" daemon --config "$WORK/c.json" --baseline-dir "$WORK/store" --trusted-key "$WORK/k.pub" \
	--output "file:$EVENTS" 2>"$WORK/daemon.log" &
DAEMON_PID=$!
for _ in $(seq 600); do grep -q '"action":"start"' "$EVENTS" 2>/dev/null && break; sleep 0.1; done
grep -q '"action":"start"' "$EVENTS" 2>/dev/null && pass daemon-started ||
	{ fail daemon-started "$(tail -n 3 "$WORK/daemon.log")"; exit 0; }

# run_ctr IMAGE: a container (64-hex id in $CID) running /bin/sleep; not in a
# subshell, so that cleanup() knows every container
run_ctr() {
	CID=$(head -c 32 /dev/urandom | sha256sum | cut -c1-64)
	CIDS+=("$CID")
	ctr_ run -d --runtime io.containerd.runc.v2 "$1" "$CID" /bin/sleep 600 >/dev/null 2>&1
}
run_ctr "$IMG:1" || { fail ctr-run "$(tail -n 3 "$WORK/containerd.log")"; exit 0; }
A=$CID
ctr_ task exec --exec-id x1 "$A" /bin/busybox true >/dev/null 2>&1
ctr_ task exec --exec-id x2 "$A" /bin/sh -c 'cp /bin/busybox /tmp/bb && /tmp/bb true' >/dev/null 2>&1
IN=".container.id == \"$A\""
wait_for containerd-image-id-learned "$IN and .container.runtime == \"containerd\" and .container.image.id == \"$ID1\" and .container.image.name == \"$IMG:1\""
wait_for containerd-matched-by-id "$IN and .sealwatch.verdict == \"unknown\" and .file.path == \"/tmp/bb\" and .sealwatch.baseline.match == \"image_id\""

# the same name, another image: retagged in containerd, a new container
ctr_ images rm "$IMG:1" >/dev/null 2>&1
ctr_ images import "$WORK/img2.tar" >/dev/null 2>&1 && ctr_ images tag "$IMG:moved" "$IMG:1" >/dev/null 2>&1 ||
	fail ctr-retag
run_ctr "$IMG:1" || { fail ctr-run-2; exit 0; }
B=$CID
ctr_ task exec --exec-id x3 "$B" /bin/busybox true >/dev/null 2>&1
IN=".container.id == \"$B\""
wait_for containerd-swap-image-mismatch "$IN and .sealwatch.verdict == \"image_mismatch\" and .sealwatch.expected.image_id == \"$ID1\" and .sealwatch.actual.image_id != \"$ID1\""
wait_for containerd-swap-modified "$IN and .event.action == \"exec\" and .file.path == \"/bin/busybox\" and .sealwatch.verdict == \"modified\" and .sealwatch.baseline.match == \"image_mismatch\""
n=$(count "$IN and .sealwatch.baseline.match == \"image_name\"")
[ "$n" = 0 ] && pass containerd-never-name-only || fail containerd-never-name-only "$n by name"
check_schema events-match-schema "$EVENTS"
kill -TERM "$DAEMON_PID"
if wait "$DAEMON_PID"; then pass sigterm-exit-0; else fail sigterm-exit-0 "exit $?"; fi
DAEMON_PID=

# --- from a registry: containerd pulls the image, the daemon fetches its baseline
if ! command -v docker-registry >/dev/null || ! command -v skopeo >/dev/null; then
	skip registry "needs docker-registry and skopeo"
	exit 0
fi
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
REG=127.0.0.1:$PORT
printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n' \
	"$WORK/regdata" "$REG" >"$WORK/reg.yml"
docker-registry serve "$WORK/reg.yml" >"$WORK/reg.log" 2>&1 &
REG_PID=$!
for _ in $(seq 200); do curl -sf "http://$REG/v2/" >/dev/null && break; sleep 0.1; done
RIMG=$REG/swrg/cd-$$
if skopeo copy -q --dest-tls-verify=false "docker-archive:$WORK/img1.tar" "docker://$RIMG:1" &&
	ctr_ images pull --plain-http "$RIMG:1" >/dev/null 2>&1 &&
	"$SW" baseline --insecure "registry://$RIMG:1" -o "$WORK/r.jsonl" 2>/dev/null &&
	"$SW" sign --key "$WORK/k.key" "$WORK/r.jsonl" >/dev/null &&
	"$SW" push --insecure --baseline "$WORK/r.jsonl" "$RIMG:1" >/dev/null 2>&1; then
	pass registry-pulled-and-pushed
else
	fail registry-pulled-and-pushed
	exit 0
fi
RID=$(jq -r -s '.[0].image.config_digest' "$WORK/r.jsonl")
EVENTS=$WORK/events-reg.jsonl
"$SW" daemon --config "$WORK/c.json" --trusted-key "$WORK/k.pub" --registry "$REG" --registry-insecure \
	--baseline-cache "$WORK/cache" --all-events --output "file:$EVENTS" 2>"$WORK/daemon-reg.log" &
DAEMON_PID=$!
for _ in $(seq 600); do grep -q '"action":"start"' "$EVENTS" 2>/dev/null && break; sleep 0.1; done
run_ctr "$RIMG:1" || { fail ctr-run-registry "$(tail -n 3 "$WORK/containerd.log")"; exit 0; }
C=$CID
IN=".container.id == \"$C\""
for i in $(seq 60); do
	ctr_ task exec --exec-id "r$i" "$C" /bin/busybox true >/dev/null 2>&1
	[ "$(count "$IN and .sealwatch.verdict == \"ok\"")" -gt 0 ] && break
	sleep 0.5
done
wait_for containerd-registry-fetched-ok "$IN and .container.image.id == \"$RID\" and .sealwatch.verdict == \"ok\" and .sealwatch.baseline.match == \"image_id\"" 5 ||
	sed 's/^/    /' "$WORK/daemon-reg.log" | tail -n 5
[ -f "$WORK/cache/${RID#sha256:}.jsonl" ] && pass containerd-registry-cached || fail containerd-registry-cached
n=$(count "$IN and .sealwatch.baseline.status == \"pending\" and .sealwatch.verdict != \"unverified\"")
[ "$n" = 0 ] && pass containerd-registry-pending-never-ok || fail containerd-registry-pending-never-ok "$n"
kill -TERM "$DAEMON_PID" && wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=
