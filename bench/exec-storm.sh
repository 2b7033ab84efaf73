#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# N fork+exec of a small image binary inside a real container, with and
# without the daemon, alternating in one run: execs/s, the ratio, events lost.
# Then the first verification of a 100 MB binary beside `openssl dgst -sha256`.
#
#   bench/exec-storm.sh [N] [ROUNDS]      defaults: N=20000 ROUNDS=3
#   SW=path/to/sealwatch                  default .output/sealwatch
# Needs root, podman, skopeo. Prints figures; asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20000}
ROUNDS=${2:-3}
SW=$(realpath "${SW:-.output/sealwatch}")
T=$(mktemp -d /tmp/sw-storm.XXXXXX)
IMG=localhost/sw-bench-storm
C=sw-bench-storm
DPID=
cleanup() {
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	podman rm -f -t 0 "$C" >/dev/null 2>&1 || true
	podman rmi -f "$IMG:1" >/dev/null 2>&1 || true
	rm -rf "$T" /tmp/sw-bench-big
}
trap cleanup EXIT

mkdir -p "$T/root/bin" "$T/store"
cp /bin/busybox "$T/root/bin/"
for a in sh true; do ln -s busybox "$T/root/bin/$a"; done
tar -C "$T/root" -cf "$T/root.tar" .
podman import -q "$T/root.tar" "$IMG:1" >/dev/null
skopeo copy -q "containers-storage:$IMG:1" "oci:$T/oci:1"
"$SW" keygen -o "$T/k" >/dev/null 2>&1
"$SW" baseline "oci:$T/oci:1" -o "$T/store/img.jsonl" 2>/dev/null
"$SW" sign --key "$T/k.key" "$T/store/img.jsonl" >/dev/null 2>&1
podman run -d --name "$C" --network none "$IMG:1" /bin/sh -c 'while :; do sleep 3600; done' >/dev/null

start_daemon() {
	: >"$T/events.jsonl"
	"$SW" daemon --baseline-dir "$T/store" --trusted-key "$T/k.pub" \
		--output "file:$T/events.jsonl" ${1:-} 2>"$T/daemon.log" &
	DPID=$!
	for _ in $(seq 100); do grep -q '"action":"start"' "$T/events.jsonl" 2>/dev/null && return; sleep 0.1; done
	echo "daemon did not start" >&2; cat "$T/daemon.log" >&2; exit 1
}
stop_daemon() { kill "$DPID"; wait "$DPID" || true; DPID=; }
storm() { # prints seconds for N execs of /bin/true in the container
	local s e
	s=$(date +%s.%N)
	podman exec "$C" /bin/sh -c "i=0; while [ \$i -lt $N ]; do /bin/true; i=\$((i+1)); done"
	e=$(date +%s.%N)
	echo "$e - $s" | bc -l
}

echo "exec storm: $N × /bin/true (busybox) in a runc container, $ROUNDS rounds, $(nproc) CPUs"
printf '%-8s %-22s %10s %12s\n' round mode seconds execs/s
storm >/dev/null # warm up
off_total=0 on_total=0 lost_total=0 alerts_total=0
for r in $(seq "$ROUNDS"); do
	s=$(storm)
	off_total=$(echo "$off_total + $s" | bc -l)
	printf '%-8s %-22s %10.2f %12.0f\n' "$r" "no daemon" "$s" "$(echo "$N / $s" | bc -l)"
	start_daemon
	s=$(storm)
	sleep 1
	stop_daemon
	on_total=$(echo "$on_total + $s" | bc -l)
	lost=$(jq -s '[.[] | select(.event.action == "events_lost") | .sealwatch.lost] | add // 0' "$T/events.jsonl")
	alerts=$(jq -s '[.[] | select(.event.kind == "alert")] | length' "$T/events.jsonl")
	lost_total=$((lost_total + lost))
	alerts_total=$((alerts_total + alerts))
	printf '%-8s %-22s %10.2f %12.0f   (events lost: %s, alerts: %s)\n' "$r" "sealwatch daemon" "$s" \
		"$(echo "$N / $s" | bc -l)" "$lost" "$alerts"
done
off_rate=$(echo "$N * $ROUNDS / $off_total" | bc -l)
on_rate=$(echo "$N * $ROUNDS / $on_total" | bc -l)
printf '\nmean execs/s: no daemon %.0f, daemon %.0f — daemon/bare = %.3f (%.1f%% slower); events lost: %s; alerts: %s\n' \
	"$off_rate" "$on_rate" "$(echo "$on_rate / $off_rate" | bc -l)" \
	"$(echo "(1 - $on_rate / $off_rate) * 100" | bc -l)" "$lost_total" "$alerts_total"

# first verification of a 100 MB binary (host baseline), beside openssl
echo
BIG=/tmp/sw-bench-big
mkdir -p "$BIG"
cp /bin/true "$BIG/big"
head -c 100M /dev/urandom >>"$BIG/big" # trailing data: still a valid ELF executable
"$SW" baseline --include "$BIG" dir:/ -o "$T/host.jsonl" 2>/dev/null
"$SW" sign --key "$T/k.key" "$T/host.jsonl" >/dev/null 2>&1
cat "$BIG/big" >/dev/null
start_daemon "--host-baseline $T/host.jsonl --all-events"
s=$(date +%s%3N)
"$BIG/big"
for _ in $(seq 200); do
	line=$(grep "\"path\":\"$BIG/big\"" "$T/events.jsonl" | head -n 1) && [ -n "$line" ] && break
	sleep 0.02
done
stop_daemon
ts=$(echo "$line" | jq -r '."@timestamp"')
e=$(date -d "$ts" +%s%3N)
o=$({ /usr/bin/time -f %e openssl dgst -sha256 "$BIG/big" >/dev/null; } 2>&1)
printf '100 MB binary: exec → "%s" event in %d ms; openssl dgst -sha256: %.0f ms\n' \
	"$(echo "$line" | jq -r .sealwatch.verdict)" "$((e - s))" "$(echo "$o * 1000" | bc -l)"
