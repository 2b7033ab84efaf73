#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Learned behaviour (docs/profiles.md), measured:
#  1. false alerts: three service-like images (a web server looping over its
#     page and a health-check script, a cron-like loop with a frequent and a
#     rare job, a database-like process calling helper binaries) learn until
#     their profiles lock by stability; then, for DURATION seconds, those
#     containers plus replicas, container restarts and a daemon restart run
#     the same benign workload: anomalies per container-hour after locking.
#     Time is scaled down: the loops run every 0.1-0.3 s (real services: every
#     few seconds to minutes), so one bench second holds roughly a minute of a
#     real service's execs; the rates are printed per container-hour of bench
#     wall time AND per 1000 execs, which does not depend on the scaling.
#  2. cost: an exec storm in one container with the daemon without profiles
#     (in-kernel cache on; and --no-kernel-cache) and with --profiles.
#  3. memory: sealwatch_profile_memory_bytes per profile, and the file sizes.
#
#   bench/profile.sh [DURATION] [N]   defaults: DURATION=120 s, N=20000 execs
#   SW=path/to/sealwatch              default .output/sealwatch
# Needs root, podman, skopeo, curl, jq. Prints figures; asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-120}
N=${2:-20000}
SW=$(realpath "${SW:-.output/sealwatch}")
T=$(mktemp -d /tmp/sw-bench-profile.XXXXXX)
PFX=sw-bench-prof-$$
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
CONTAINERS=()
DPID=
cleanup() {
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	for c in "${CONTAINERS[@]}"; do podman rm -f -t 0 "$c" >/dev/null 2>&1 || true; done
	for i in web cron db; do podman rmi -f "localhost/$PFX-$i:1" >/dev/null 2>&1 || true; done
	rm -rf "$T"
}
trap cleanup EXIT

# --- images: one busybox-static rootfs each, with its service
rootfs() { # DIR
	mkdir -p "$1/bin" "$1/etc" "$1/tmp" "$1/srv" "$1/usr/local/bin" "$1/var/log"
	chmod 1777 "$1/tmp"
	cp /bin/busybox "$1/bin/busybox"
	for a in sh cat sleep echo date ls wc grep gzip tar mv cp rm md5sum head sort; do
		ln -s busybox "$1/bin/$a"
	done
	echo 'root:x:0:0:root:/root:/bin/sh' >"$1/etc/passwd"
}
mk_web() {
	local r=$T/web
	rootfs "$r"
	echo '<html>hello</html>' >"$r/srv/index.html"
	cat >"$r/srv/web" <<'EOF'
#!/bin/sh
n=0
while :; do
	/bin/cat /srv/index.html >/dev/null
	n=$((n + 1))
	[ $((n % 5)) = 0 ] && /srv/health
	/bin/sleep 0.1
done
EOF
	cat >"$r/srv/health" <<'EOF'
#!/bin/sh
/bin/cat /srv/index.html | /bin/grep -q hello && /bin/echo ok >/dev/null
EOF
}
mk_cron() {
	local r=$T/cron
	rootfs "$r"
	mkdir -p "$r/srv/jobs"
	cat >"$r/srv/cron" <<'EOF'
#!/bin/sh
n=0
while :; do
	n=$((n + 1))
	/srv/jobs/rotate
	[ $((n % 20)) = 0 ] && /srv/jobs/backup
	/bin/sleep 0.3
done
EOF
	cat >"$r/srv/jobs/rotate" <<'EOF'
#!/bin/sh
/bin/date >>/var/log/app.log
[ "$(/bin/ls /var/log | /bin/wc -l)" -gt 0 ] && /bin/cp /var/log/app.log /tmp/app.log.1
EOF
	cat >"$r/srv/jobs/backup" <<'EOF'
#!/bin/sh
/bin/tar -cf /tmp/b.tar /var/log && /bin/gzip -f /tmp/b.tar && /bin/rm -f /tmp/b.tar.gz
EOF
}
mk_db() {
	local r=$T/db
	rootfs "$r"
	cp /bin/busybox "$r/usr/local/bin/dbctl"
	cat >"$r/srv/db" <<'EOF'
#!/bin/sh
n=0
while :; do
	n=$((n + 1))
	/usr/local/bin/dbctl md5sum /etc/passwd >/dev/null
	[ $((n % 4)) = 0 ] && /usr/local/bin/dbctl sort /etc/passwd >/dev/null
	/bin/sleep 0.2
done
EOF
}
mkdir -p "$T/store"
"$SW" keygen -o "$T/k" >/dev/null 2>&1
for i in web cron db; do
	"mk_$i"
	chmod -R a+rX "$T/$i"
	find "$T/$i/srv" -type f -exec chmod 755 {} +
	tar -C "$T/$i" -cf "$T/$i.tar" .
	podman import -q "$T/$i.tar" "localhost/$PFX-$i:1" >/dev/null
	skopeo copy -q "containers-storage:localhost/$PFX-$i:1" "oci:$T/oci-$i:1"
	"$SW" baseline "oci:$T/oci-$i:1" -o "$T/store/$i.jsonl" 2>/dev/null
	"$SW" sign --key "$T/k.key" "$T/store/$i.jsonl" >/dev/null 2>&1
done

start_daemon() { # EVENTS FLAGS…
	local ev=$1
	shift
	: >"$ev"
	"$SW" daemon --baseline-dir "$T/store" --trusted-key "$T/k.pub" --output "file:$ev" \
		--metrics-listen "127.0.0.1:$PORT" "$@" 2>>"$T/daemon.log" &
	DPID=$!
	for _ in $(seq 300); do grep -q '"action":"start"' "$ev" 2>/dev/null && return; sleep 0.1; done
	echo "daemon did not start" >&2
	tail "$T/daemon.log" >&2
	exit 1
}
stop_daemon() { kill "$DPID"; wait "$DPID" || true; DPID=; }
metric() { curl -s "http://127.0.0.1:$PORT/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
run_c() { # NAME IMAGE CMD
	podman run -d --name "$1" --network none "localhost/$PFX-$2:1" "$3" >/dev/null
	CONTAINERS+=("$1")
}
now() { date +%s.%N; }

# --- 1. false alerts
PFLAGS=(--profile-dir "$T/profiles" --profile-quiet 15 --profile-min-execs 100 --profile-max-learning 600)
start_daemon "$T/ev1.jsonl" "${PFLAGS[@]}"
t0=$(now)
run_c "$PFX-web1" web /srv/web
run_c "$PFX-cron1" cron /srv/cron
run_c "$PFX-db1" db /srv/db
for _ in $(seq 1200); do
	[ "$(metric 'sealwatch_profiles{state="locked"}')" = 3 ] && break
	sleep 0.5
done
locked=$(metric 'sealwatch_profiles{state="locked"}')
echo "learning: $locked of 3 profiles locked by stability after $(printf %.0f "$(echo "$(now) - $t0" | bc -l)") s (quiet 15 s, 100 execs, max 600 s)"
learn_anoms=$(metric sealwatch_profile_anomalies_total)
declare -A started stopped
measure_start=$(now)
for c in web1 cron1 db1; do started[$c]=$measure_start; done
# replicas
for c in web2:web:/srv/web web3:web:/srv/web cron2:cron:/srv/cron db2:db:/srv/db; do
	IFS=: read -r name img cmd <<<"$c"
	run_c "$PFX-$name" "$img" "$cmd"
	started[$name]=$(now)
done
half=$((DURATION / 2))
sleep "$((half / 2))"
podman restart -t 0 "$PFX-web1" >/dev/null
podman restart -t 0 "$PFX-db1" >/dev/null
sleep "$((half - half / 2))"
# a daemon restart under running containers (their processes started before it)
a1=$(metric sealwatch_profile_anomalies_total)
execs1=$(metric sealwatch_exec_events_total)
stop_daemon
start_daemon "$T/ev2.jsonl" "${PFLAGS[@]}"
sleep "$((DURATION - half))"
a2=$(metric sealwatch_profile_anomalies_total)
execs2=$(metric sealwatch_exec_events_total)
mem=$(metric sealwatch_profile_memory_bytes)
elements=$(metric sealwatch_profile_elements)
measure_end=$(now)
stop_daemon
chours=0
for c in "${!started[@]}"; do
	chours=$(echo "$chours + ($measure_end - ${started[$c]}) / 3600" | bc -l)
done
anoms=$(echo "$a1 - $learn_anoms + $a2" | bc)
emitted=$(cat "$T/ev1.jsonl" "$T/ev2.jsonl" | jq -s '[.[] | select(.sealwatch.verdict == "anomaly")] | length')
execs=$(echo "$execs1 + $execs2" | bc)
integrity=$(cat "$T/ev1.jsonl" "$T/ev2.jsonl" | jq -s '[.[] | select(.event.kind == "alert" and .sealwatch.verdict != "anomaly" and .event.category == ["process"])] | length')
printf 'after locking: %d s, %d containers (%.3f container-hours of bench time), %d exec events\n' \
	"$DURATION" "${#started[@]}" "$chours" "$execs"
printf '  anomalies: %s (%s events emitted after folding); %.1f per container-hour; %.3f per 1000 execs\n' \
	"$anoms" "$emitted" "$(echo "$anoms / $chours" | bc -l)" "$(echo "$anoms * 1000 / ($execs + 1)" | bc -l)"
printf '  integrity alerts: %s\n' "$integrity"
if [ "$anoms" != 0 ]; then
	echo '  what was new:'
	cat "$T/ev1.jsonl" "$T/ev2.jsonl" | jq -r 'select(.sealwatch.verdict == "anomaly") | "    \(.container.name) \(.sealwatch.reason)"' | sort | uniq -c | head -n 20
fi
printf 'memory: %s bytes for 3 profiles, %s elements (%.0f bytes per profile); files: %s\n' \
	"$mem" "$elements" "$(echo "$mem / 3" | bc -l)" "$(du -b "$T"/profiles/*.json | awk '{ s += $1 } END { print s " bytes" }')"

# --- 2. exec storm: profiles off (kcache), off (--no-kernel-cache), on
C=$PFX-storm
run_c "$C" web /srv/web
storm() {
	local s e
	s=$(now)
	podman exec "$C" /bin/sh -c "i=0; while [ \$i -lt $N ]; do /bin/echo >/dev/null; i=\$((i+1)); done"
	e=$(now)
	echo "$e - $s" | bc -l
}
storm >/dev/null # warm up
# the storm's own profile: learned in one storm, then locked (the rounds check, never learn)
SFLAGS=(--profile-dir "$T/pstorm")
start_daemon "$T/ev3.jsonl" "${SFLAGS[@]}"
storm >/dev/null
sleep 2
stop_daemon
"$SW" profile lock --profile-dir "$T/pstorm" "$(podman image inspect -f '{{.Id}}' "localhost/$PFX-web:1")" >/dev/null
declare -A total
MODES=("no daemon" "no profiles (kcache)" "no profiles --no-kernel-cache" "--profiles (locked)")
for m in "${MODES[@]}"; do total[$m]=0; done
echo
echo "exec storm: $N × /bin/echo (busybox) in a runc container, 3 rounds, $(nproc) CPUs"
for r in 1 2 3; do
	for m in "${MODES[@]}"; do
		case "$m" in
		"no profiles (kcache)") start_daemon "$T/ev3.jsonl" ;;
		"no profiles --no-kernel-cache") start_daemon "$T/ev3.jsonl" --no-kernel-cache ;;
		"--profiles (locked)") start_daemon "$T/ev3.jsonl" "${SFLAGS[@]}" ;;
		esac
		s=$(storm)
		extra=
		if [ -n "$DPID" ]; then
			sleep 1
			stop_daemon
			jq -r 'select(.sealwatch.verdict == "anomaly") | "    \(.sealwatch.reason) (parent pid \(.process.parent.pid), args \(.process.args))"' "$T/ev3.jsonl" >>"$T/anomalies.txt"
			extra=$(jq -s '"  (events lost: \([.[] | select(.event.action == "events_lost") | .sealwatch.lost] | add // 0), anomalies: \([.[] | select(.sealwatch.verdict == "anomaly")] | length))"' -r "$T/ev3.jsonl")
		fi
		total[$m]=$(echo "${total[$m]} + $s" | bc -l)
		printf '  %-2s %-32s %7.2f s %8.0f execs/s%s\n' "$r" "$m" "$s" "$(echo "$N / $s" | bc -l)" "$extra"
	done
done
[ -s "$T/anomalies.txt" ] && { echo '  anomalies in the storm rounds:'; sort "$T/anomalies.txt" | uniq -c; }
bare=$(echo "$N * 3 / ${total["no daemon"]}" | bc -l)
for m in "${MODES[@]}"; do
	rate=$(echo "$N * 3 / ${total[$m]}" | bc -l)
	printf 'mean %-32s %8.0f execs/s  %6.1f%% slower than no daemon\n' "$m" "$rate" \
		"$(echo "(1 - $rate / $bare) * 100" | bc -l)"
done
