#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# N fork+exec of a small image binary inside a real container, alternating in
# one run between: no daemon; the daemon with its in-kernel verdict cache (the
# default: verified execs never reach userspace); the daemon with
# --no-kernel-cache (every exec and library mapping reaches userspace); and,
# where auditd is installed, an auditd execve rule instead of the daemon.
# execs/s, ratios against no daemon, events lost. Then the first verification
# of a 100 MB binary beside `openssl dgst -sha256`.
#
#   bench/exec-storm.sh [N] [ROUNDS]      defaults: N=20000 ROUNDS=3
#   SW=path/to/sealwatch                  default .output/sealwatch
#   AUDIT=0                               skip the auditd comparison
# Needs root, podman, skopeo (auditd optional: apt-get install auditd). Prints
# figures; asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20000}
ROUNDS=${2:-3}
SW=$(realpath "${SW:-.output/sealwatch}")
T=$(mktemp -d /tmp/sw-storm.XXXXXX)
IMG=localhost/sw-bench-storm
C=sw-bench-storm
DPID=
AUDITD_PID=
AUDIT_RULE=(always,exit -F arch=b64 -S execve -k sw-bench-storm)
audit_off() {
	auditctl -d "${AUDIT_RULE[@]}" >/dev/null 2>&1 || true
	if [ -n "$AUDITD_PID" ]; then
		kill "$AUDITD_PID" 2>/dev/null
		wait "$AUDITD_PID" 2>/dev/null || true
		AUDITD_PID=
	fi
}
cleanup() {
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	audit_off
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

# auditd with one execve rule, when installed (the bench starts and stops it)
audit_on() {
	command -v auditd >/dev/null && command -v auditctl >/dev/null || return 1
	if ! pgrep -x auditd >/dev/null; then
		auditd -n -s nochange >/dev/null 2>&1 &
		AUDITD_PID=$!
		sleep 1
	fi
	auditctl -e 1 >/dev/null && auditctl -a "${AUDIT_RULE[@]}" >/dev/null
}

MODES=("no daemon" "sealwatch (kcache)" "sealwatch --no-kernel-cache")
[ "${AUDIT:-1}" = 1 ] && command -v auditd >/dev/null && MODES+=("auditd execve rule")
declare -A total lost alerts
for m in "${MODES[@]}"; do total[$m]=0 lost[$m]=0 alerts[$m]=0; done
echo "exec storm: $N × /bin/true (busybox) in a runc container, $ROUNDS rounds, $(nproc) CPUs"
printf '%-6s %-30s %9s %10s\n' round mode seconds execs/s
storm >/dev/null # warm up
for r in $(seq "$ROUNDS"); do
	for m in "${MODES[@]}"; do
		case "$m" in
		"sealwatch (kcache)") start_daemon ;;
		"sealwatch --no-kernel-cache") start_daemon --no-kernel-cache ;;
		"auditd execve rule") audit_on || { echo "auditd did not start" >&2; continue; } ;;
		esac
		s=$(storm)
		extra=
		case "$m" in
		sealwatch*)
			sleep 1
			stop_daemon
			l=$(jq -s '[.[] | select(.event.action == "events_lost") | .sealwatch.lost] | add // 0' "$T/events.jsonl")
			a=$(jq -s '[.[] | select(.event.kind == "alert")] | length' "$T/events.jsonl")
			lost[$m]=$((${lost[$m]} + l))
			alerts[$m]=$((${alerts[$m]} + a))
			extra="   (events lost: $l, alerts: $a)"
			;;
		auditd*) audit_off ;;
		esac
		total[$m]=$(echo "${total[$m]} + $s" | bc -l)
		printf '%-6s %-30s %9.2f %10.0f%s\n' "$r" "$m" "$s" "$(echo "$N / $s" | bc -l)" "$extra"
	done
done
echo
bare=$(echo "$N * $ROUNDS / ${total["no daemon"]}" | bc -l)
for m in "${MODES[@]}"; do
	[ "${total[$m]}" = 0 ] && continue
	rate=$(echo "$N * $ROUNDS / ${total[$m]}" | bc -l)
	printf 'mean %-30s %8.0f execs/s  %6.1f%% slower than no daemon' "$m" "$rate" \
		"$(echo "(1 - $rate / $bare) * 100" | bc -l)"
	case "$m" in sealwatch*) printf '  (events lost %s, alerts %s)' "${lost[$m]}" "${alerts[$m]}" ;; esac
	echo
done

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
