#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Baselines fetched on demand from a registry (docs/registry.md): how long from
# a container's start to its first verified (ok) verdict
#   cold  — a fresh daemon, empty --baseline-cache: the baseline is fetched from
#           a real registry on loopback (Debian's docker-registry), verified,
#           cached, the store reloaded
#   warm  — a fresh daemon whose cache already holds the baseline (loaded and
#           verified at start, no network)
#   local — the same baseline in --baseline-dir (the reference: no registry)
# measured from the container's start (podman's State.StartedAt) to the daemon's
# timestamp of its first ok verdict; the container execs a tool every 20 ms. Then the daemon's memory (VmRSS, VmHWM) with AVAIL images' baselines
# available in the registry (bench/registry_fill.py pushes the AVAIL-N idle ones
# over the distribution API, each baselined, signed and pushed like the others)
# and N of them running, each baseline fetched on demand, beside the same
# daemon with no container.
#
#   bench/registry.sh [ROUNDS] [N] [AVAIL]   defaults: ROUNDS=5 N=20 AVAIL=500
#   SW=path/to/sealwatch               default .output/sealwatch
# Needs root, podman, skopeo, docker-registry. Prints figures; asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
NIMG=${2:-20}
AVAIL=${3:-500}
SW=$(realpath "${SW:-.output/sealwatch}")
PY=$(command -v /usr/bin/python3 || command -v python3)
T=$(mktemp -d /tmp/sw-bench-reg.XXXXXX)
P=swrg-bench-$$
DPID=''
RPID=''
CONTAINERS=()
IMAGES=()
cleanup() {
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null || true
	for c in "${CONTAINERS[@]}"; do podman rm -f -t 0 "$c" >/dev/null 2>&1 || true; done
	for i in "${IMAGES[@]}"; do podman rmi -f "$i" >/dev/null 2>&1 || true; done
	[ -n "$RPID" ] && kill "$RPID" 2>/dev/null && wait "$RPID" 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT

PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
REG=127.0.0.1:$PORT
printf 'version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n' \
	"$T/regdata" "$REG" >"$T/reg.yml"
docker-registry serve "$T/reg.yml" >"$T/reg.log" 2>&1 &
RPID=$!
for ((i = 0; i < 200; i++)); do curl -sf "http://$REG/v2/" >/dev/null && break; sleep 0.1; done
"$SW" keygen -o "$T/k" >/dev/null 2>&1

# image I: busybox + a tool, distinct per I; pushed, pulled back, baselined from
# the registry, signed, baseline pushed
make_image() {
	local r=$T/root-$1 name=localhost/$P-$1 ref=$REG/swrg/bench-$1-$$
	mkdir -p "$r/bin" "$r/tmp" "$r/usr/local/bin" "$r/etc"
	cp /bin/busybox "$r/bin/busybox"
	for a in sh true sleep; do ln -s busybox "$r/bin/$a"; done
	cp /bin/busybox "$r/usr/local/bin/tool"
	echo "$1-$$" >"$r/etc/mark"
	tar -C "$r" -cf "$r.tar" .
	podman import -q "$r.tar" "$name:1" >/dev/null
	skopeo copy -q --dest-tls-verify=false "containers-storage:$name:1" "docker://$ref:1"
	podman rmi -f "$name:1" >/dev/null
	podman pull -q --tls-verify=false "$ref:1" >/dev/null
	IMAGES+=("$ref:1")
	"$SW" baseline --insecure "registry://$ref:1" -o "$T/b-$1.jsonl" 2>/dev/null
	"$SW" sign --key "$T/k.key" "$T/b-$1.jsonl" >/dev/null
	"$SW" push --insecure --baseline "$T/b-$1.jsonl" "$ref:1" >/dev/null
}
make_image 0

start_daemon() { # EXTRA ARGS…
	: >"$T/ev.jsonl"
	"$SW" daemon --trusted-key "$T/k.pub" --all-events --output "file:$T/ev.jsonl" "$@" \
		2>"$T/daemon.log" &
	DPID=$!
	for ((i = 0; i < 300; i++)); do
		grep -q '"action":"start"' "$T/ev.jsonl" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "daemon did not start" >&2
	tail -n 5 "$T/daemon.log" >&2
	return 1
}
stop_daemon() {
	kill "$DPID" && wait "$DPID" 2>/dev/null || true
	DPID=
}

# one_run NAME: a container of image 0 execs the tool every 20 ms until its
# first ok verdict (hang guard 60 s); prints the container's start (the
# runtime's State.StartedAt) -> its first ok verdict (the daemon's event
# timestamp), in ms. (The container's first event is no start: before the
# fetch it is already pending, and on loopback it can be the ok itself.)
one_run() {
	local c=$P-$1 id i started
	podman run -d --runtime runc --network none --name "$c" "$REG/swrg/bench-0-$$:1" \
		/bin/sh -c 'while :; do /usr/local/bin/tool true; sleep 0.02; done' >/dev/null
	CONTAINERS+=("$c")
	id=$(podman inspect -f '{{.Id}}' "$c")
	started=$(podman inspect -f '{{.State.StartedAt.UnixNano}}' "$c")
	for ((i = 0; i < 600; i++)); do
		grep -q "\"id\":\"$id\".*\"verdict\":\"ok\"\|\"verdict\":\"ok\".*\"id\":\"$id\"" "$T/ev.jsonl" && break
		sleep 0.1
	done
	podman rm -f -t 0 "$c" >/dev/null 2>&1
	"$PY" - "$T/ev.jsonl" "$id" "$started" <<'EOF'
import json, sys
from datetime import datetime, timezone
started = int(sys.argv[3]) / 1e9
ok = None
for line in open(sys.argv[1]):
    e = json.loads(line)
    if (e.get("container") or {}).get("id") != sys.argv[2]:
        continue
    if e.get("sealwatch", {}).get("verdict") == "ok":
        ok = datetime.strptime(e["@timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()
        break
print("%.0f" % ((ok - started) * 1000) if ok is not None else "timeout")
EOF
}

median() { sort -n | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }

cold=() warm=() local_=()
[ "${SKIP_TIMING:-}" ] && ROUNDS=0
mkdir -p "$T/local"
cp "$T/b-0.jsonl" "$T/local/" && cp "$T/b-0.jsonl.sig" "$T/local/"
for ((r = 1; r <= ROUNDS; r++)); do
	rm -rf "$T/cache"
	start_daemon --registry "$REG" --registry-insecure --baseline-cache "$T/cache"
	cold+=("$(one_run cold-$r)")
	stop_daemon
	start_daemon --registry "$REG" --registry-insecure --baseline-cache "$T/cache"
	warm+=("$(one_run warm-$r)")
	stop_daemon
	start_daemon --baseline-dir "$T/local"
	local_+=("$(one_run local-$r)")
	stop_daemon
done
echo "container start -> first verified verdict (ms: StartedAt -> ok event; $ROUNDS rounds)"
printf '  %-44s median %6s   all: %s\n' "cold: empty cache, fetched from registry" \
	"$(printf '%s\n' "${cold[@]}" | median)" "${cold[*]}"
printf '  %-44s median %6s   all: %s\n' "warm: baseline in the cache on disk" \
	"$(printf '%s\n' "${warm[@]}" | median)" "${warm[*]}"
printf '  %-44s median %6s   all: %s\n' "reference: baseline in --baseline-dir" \
	"$(printf '%s\n' "${local_[@]}" | median)" "${local_[*]}"

[ "${SKIP_MEMORY:-}" ] && exit 0
# memory: AVAIL images with baselines in the registry, N of them running
for ((i = 1; i < NIMG; i++)); do make_image "$i"; done
idle=$((AVAIL - NIMG))
if [ "$idle" -gt 0 ]; then
	"$PY" bench/registry_fill.py "$REG" swrg/idle-$$ "$idle" /bin/busybox >"$T/idle.txt"
	while read -r ref; do
		if "$SW" baseline --insecure "registry://$ref" -o "$T/idle.jsonl" 2>/dev/null &&
			"$SW" sign --key "$T/k.key" "$T/idle.jsonl" >/dev/null &&
			"$SW" push --insecure --baseline "$T/idle.jsonl" "$ref" >/dev/null; then
			echo "$ref" >>"$T/idle.pushed"
		fi
	done <"$T/idle.txt"
fi
avail=$(($(cat "$T/idle.pushed" 2>/dev/null | wc -l) + NIMG))
rm -rf "$T/cache"
start_daemon --registry "$REG" --registry-insecure --baseline-cache "$T/cache"
sleep 1
rss0=$(awk '/VmRSS/ {print $2}' "/proc/$DPID/status")
for ((i = 0; i < NIMG; i++)); do
	podman run -d --runtime runc --network none --name "$P-m$i" "$REG/swrg/bench-$i-$$:1" \
		/bin/sh -c 'while :; do /usr/local/bin/tool true; sleep 1; done' >/dev/null
	CONTAINERS+=("$P-m$i")
done
for ((i = 0; i < 600; i++)); do
	n=$(find "$T/cache" -name "*.jsonl" 2>/dev/null | wc -l)
	[ "$n" -ge "$NIMG" ] && break
	sleep 0.1
done
sleep 3 # the last reload
rss1=$(awk '/VmRSS/ {print $2}' "/proc/$DPID/status")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$DPID/status")
loaded=$(grep '"baselines_loaded"' "$T/ev.jsonl" | tail -n 1 | jq '.sealwatch.baselines.count')
echo "daemon memory, $avail images with baselines in the registry, $NIMG containers running ($n baselines fetched, $loaded loaded)"
echo "  VmRSS before the containers: ${rss0} kB; with them: ${rss1} kB; VmHWM ${hwm} kB"
echo "  cache on disk: $(du -sk "$T/cache" | cut -f1) kB"
