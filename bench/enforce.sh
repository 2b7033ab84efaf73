#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Prevention by baseline (issue 13), fanotify backend. Prints figures, asserts nothing.
#  1. exec storm: N fork+exec of a verified image binary (/bin/true, busybox) in
#     a runc container, alternating in one run: no daemon; the daemon in
#     monitor mode (the default); the daemon with --mode enforce (every exec
#     waits for the answer; verified files answered from the decision cache).
#  2. the first decided exec of a 100 MB binary (the host's scope in audit, a
#     host baseline holding it: the exec waits for the hash, as in enforce)
#     beside `openssl dgst -sha256` of the same file, and the same exec with no
#     daemon.
#  3. exec latency while the daemon is SIGSTOPped: the first exec waits for
#     the decision deadline, then the watchdog process answers.
#
#   bench/enforce.sh [N] [ROUNDS]      defaults: N=5000 ROUNDS=3
#   SW=path/to/sealwatch               default .output/sealwatch
# Needs root, podman, skopeo. Take the shared lock: flock /tmp/sealwatch-itest.lock
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-5000}
ROUNDS=${2:-3}
SW=$(realpath "${SW:-.output/sealwatch}")
T=$(mktemp -d /tmp/sw-enfbench.XXXXXX)
IMG=localhost/swen-bench
C=swen-bench
DPID=
DEADLINE=1000
cleanup() {
	if [ -n "$DPID" ]; then
		kill -CONT "$DPID" 2>/dev/null || true
		kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	fi
	podman rm -f -t 0 "$C" >/dev/null 2>&1 || true
	podman rmi -f "$IMG:1" >/dev/null 2>&1 || true
	rm -rf "$T"
}
trap cleanup EXIT

mkdir -p "$T/root/bin" "$T/store" "$T/big"
cp /bin/busybox "$T/root/bin/"
for a in sh true; do ln -s busybox "$T/root/bin/$a"; done
tar -C "$T/root" -cf "$T/root.tar" .
podman import -q "$T/root.tar" "$IMG:1" >/dev/null
skopeo copy -q "containers-storage:$IMG:1" "oci:$T/oci:1"
"$SW" keygen -o "$T/k" >/dev/null 2>&1
"$SW" baseline --name "$IMG:1" "oci:$T/oci:1" -o "$T/store/img.jsonl" 2>/dev/null
"$SW" sign --key "$T/k.key" "$T/store/img.jsonl" >/dev/null 2>&1
podman run -d --runtime runc --name "$C" --network none "$IMG:1" \
	/bin/sh -c 'while :; do sleep 3600; done' >/dev/null

start_daemon() {
	: >"$T/events.jsonl"
	"$SW" daemon --baseline-dir "$T/store" --trusted-key "$T/k.pub" \
		--output "file:$T/events.jsonl" --decision-deadline "$DEADLINE" "$@" \
		2>"$T/daemon.log" &
	DPID=$!
	for _ in $(seq 100); do grep -q '"action":"start"' "$T/events.jsonl" 2>/dev/null && return; sleep 0.1; done
	echo "daemon did not start" >&2
	cat "$T/daemon.log" >&2
	exit 1
}
stop_daemon() { kill "$DPID"; wait "$DPID" || true; DPID=; }
storm() { # seconds for N execs of /bin/true in the container
	local s=$EPOCHREALTIME
	podman exec "$C" /bin/sh -c "i=0; while [ \$i -lt $N ]; do /bin/true; i=\$((i+1)); done"
	echo "$s $EPOCHREALTIME" | awk '{printf "%.3f", $2 - $1}'
}
ms() { echo "$1 $2" | awk '{printf "%.1f", ($2 - $1) * 1000}'; }

MODES=("no daemon" "sealwatch monitor" "sealwatch --mode enforce")
declare -A total
for m in "${MODES[@]}"; do total[$m]=0; done
echo "1. exec storm: $N × /bin/true (busybox) in a runc container, $ROUNDS rounds, $(nproc) CPUs"
printf '%-6s %-28s %9s %10s\n' round mode seconds execs/s
storm >/dev/null # warm up
for r in $(seq "$ROUNDS"); do
	for m in "${MODES[@]}"; do
		case "$m" in
		"sealwatch monitor") start_daemon ;;
		"sealwatch --mode enforce") start_daemon --mode enforce ;;
		esac
		s=$(storm)
		case "$m" in sealwatch*) stop_daemon ;; esac
		total[$m]=$(echo "${total[$m]} $s" | awk '{print $1 + $2}')
		printf '%-6s %-28s %9.2f %10.0f\n' "$r" "$m" "$s" "$(echo "$N $s" | awk '{print $1 / $2}')"
	done
done
bare=$(echo "$N $ROUNDS ${total["no daemon"]}" | awk '{print $1 * $2 / $3}')
for m in "${MODES[@]}"; do
	rate=$(echo "$N $ROUNDS ${total[$m]}" | awk '{print $1 * $2 / $3}')
	printf 'mean %-28s %8.0f execs/s  %6.1f%% slower than no daemon (issue target for enforce: 3%%)\n' \
		"$m" "$rate" "$(echo "$rate $bare" | awk '{print (1 - $1 / $2) * 100}')"
done

echo
echo "2. first decided exec of a 100 MB binary"
cp /bin/true "$T/big/big"
head -c 100M /dev/urandom >>"$T/big/big" # trailing data: still a valid ELF
"$SW" baseline --include "$T/big" dir:/ -o "$T/host.jsonl" 2>/dev/null
"$SW" sign --key "$T/k.key" "$T/host.jsonl" >/dev/null 2>&1
cat "$T/big/big" >/dev/null # page cache warm for every measurement
s=$EPOCHREALTIME
"$T/big/big"
echo "  exec with no daemon:                         $(ms "$s" "$EPOCHREALTIME") ms"
s=$EPOCHREALTIME
openssl dgst -sha256 "$T/big/big" >/dev/null
echo "  openssl dgst -sha256 of it:                  $(ms "$s" "$EPOCHREALTIME") ms"
DEADLINE=30000
start_daemon --host-baseline "$T/host.jsonl" --scope host=audit
s=$EPOCHREALTIME
"$T/big/big"
echo "  first decided exec (host scope audit):       $(ms "$s" "$EPOCHREALTIME") ms (issue target: 1.2 × openssl)"
s=$EPOCHREALTIME
"$T/big/big"
echo "  second exec (decision cache):                $(ms "$s" "$EPOCHREALTIME") ms"
stop_daemon

echo
DEADLINE=1000
echo "3. host exec latency while the daemon is SIGSTOPped (decision deadline $DEADLINE ms)"
start_daemon --mode enforce
s=$EPOCHREALTIME
/bin/true
echo "  exec, daemon running:                        $(ms "$s" "$EPOCHREALTIME") ms"
kill -STOP "$DPID"
for i in 1 2 3; do
	s=$EPOCHREALTIME
	/bin/true
	echo "  exec $i after SIGSTOP:                        $(ms "$s" "$EPOCHREALTIME") ms"
done
kill -CONT "$DPID"
s=$EPOCHREALTIME
/bin/true
echo "  exec after SIGCONT:                          $(ms "$s" "$EPOCHREALTIME") ms"
stop_daemon
