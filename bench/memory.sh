#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Memory of the daemon (issue 19): RSS and peak (VmHWM) at idle, with 1, 10
# and 50 signed baselines of ENTRIES entries, after RELOADS reloads of the 10,
# printed beside the baselines' size on disk and the compact data they carry
# (entries × (path + 32-byte digest + 16 bytes of attributes)); then where the
# RSS of the idle and of the 10-baseline daemon goes, by mapping (smaps).
# "anon kB" is the daemon's own memory (heap, stacks); the rest of RSS is
# files (libraries) and the BPF mappings (the ring buffer's data pages are
# mapped twice, so they count twice). Prints figures; asserts nothing.
#
#   bench/memory.sh [ENTRIES] [RELOADS]     defaults: 20000 40
#   SW=path/to/sealwatch                    default .output/sealwatch
# Needs root (BPF), python3.
set -u
cd "$(dirname "$0")/.."
SW=${SW:-.output/sealwatch}
ENTRIES=${1:-20000}
RELOADS=${2:-40}
T=$(mktemp -d /tmp/sw-memory.XXXXXX)
DPID=
cleanup() {
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

"$SW" keygen -o "$T/k" >/dev/null 2>&1 || { echo "keygen failed"; exit 1; }

# make_store DIR N: N signed baselines of ENTRIES entries (paths like a distro's)
make_store() {
	mkdir -p "$1"
	python3 - "$1" "$2" "$ENTRIES" <<'PY'
import hashlib, sys
d, n, entries = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
dirs = ["usr/bin", "usr/lib/x86_64-linux-gnu", "usr/share/doc", "usr/lib/python3/dist-packages/pkg", "etc/default"]
for b in range(n):
    cfg = hashlib.sha256(b"image %d" % b).hexdigest()
    with open("%s/img%03d.jsonl" % (d, b), "w") as f:
        f.write('{"schema":"sealwatch.baseline/v1","hash":"sha256","source":"dir","image":{"name":"docker.io/library/swmem-%d:1","config_digest":"sha256:%s"},"entries":%d,"generator":"bench"}\n' % (b, cfg, entries))
        paths = sorted("/%s/file-%06d" % (dirs[i % len(dirs)], i) for i in range(entries))
        for i, p in enumerate(paths):
            h = hashlib.sha256(b"%d %d" % (b, i)).hexdigest()
            f.write('{"path":"%s","type":"file","mode":"0755","uid":0,"gid":0,"size":%d,"sha256":"%s"}\n' % (p, 1000 + i, h))
PY
	for f in "$1"/*.jsonl; do "$SW" sign --key "$T/k.key" "$f" >/dev/null 2>&1; done
}

kb() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }

# run_daemon DIR: start it, wait for its baselines_loaded; sets DPID
run_daemon() {
	: >"$T/ev.jsonl"
	"$SW" daemon --baseline-dir "$1" --trusted-key "$T/k.pub" --output "file:$T/ev.jsonl" \
		2>"$T/daemon.log" &
	DPID=$!
	for _ in $(seq 600); do
		grep -q '"action":"start"' "$T/ev.jsonl" 2>/dev/null && return 0
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.1
	done
	echo "daemon did not start: $(tail -n 2 "$T/daemon.log")"
	return 1
}
stop_daemon() { kill "$DPID" && wait "$DPID" 2>/dev/null; DPID=; }

# disk / compact figures of DIR
sizes() {
	local disk entries bytes
	disk=$(cat "$1"/*.jsonl 2>/dev/null | wc -c)
	entries=$(($(cat "$1"/*.jsonl 2>/dev/null | wc -l) - $(ls "$1"/*.jsonl 2>/dev/null | wc -l)))
	# path bytes + 32 digest + 16 attributes per entry
	bytes=$(cat "$1"/*.jsonl 2>/dev/null | python3 -c '
import json, sys
t = 0
for line in sys.stdin:
    o = json.loads(line)
    if "path" in o:
        t += len(o["path"]) + 32 + 16
print(t)')
	echo "$((disk / 1024)) $((bytes / 1024)) $entries"
}

printf '%-34s %10s %10s %10s %12s %14s\n' "daemon with" "RSS kB" "peak kB" "anon kB" "on disk kB" \
	"compact kB"
row() { # LABEL DIR
	local s
	s=$(sizes "$2")
	printf '%-34s %10s %10s %10s %12s %14s\n' "$1" "$(kb "$DPID" VmRSS)" "$(kb "$DPID" VmHWM)" \
		"$(kb "$DPID" RssAnon)" "$(echo "$s" | cut -d' ' -f1)" "$(echo "$s" | cut -d' ' -f2)"
}

# where the RSS goes, by mapping (kB), and the threads
breakdown() {
	echo "where the RSS of the $1 daemon goes (smaps, kB):"
	awk '
		/^[0-9a-f]+-[0-9a-f]+ / { name = (NF >= 6) ? $6 : "[anon]"
			if (name ~ /\.so/) { sub(/.*\//, "", name); name = "lib " name }
			else if (name ~ /bpf/) name = "bpf maps/ring buffer"
			else if (name ~ /sealwatch/) name = "sealwatch binary" }
		/^Rss:/ { rss[name] += $2 }
		END { for (n in rss) if (rss[n] >= 64) printf "%8d  %s\n", rss[n], n }' \
		"/proc/$DPID/smaps" | sort -rn | head -n 15 | sed 's/^/    /'
	echo "    threads: $(ls "/proc/$DPID/task" | wc -l)"
	echo
}

mkdir -p "$T/s0"
run_daemon "$T/s0" || exit 1
sleep 2
row "no baseline (idle)" "$T/s0"
IDLE_BREAKDOWN=$(breakdown idle)
stop_daemon

for n in 1 10 50; do
	make_store "$T/s$n" "$n"
	run_daemon "$T/s$n" || exit 1
	sleep 1
	row "$n × $ENTRIES entries" "$T/s$n"
	if [ "$n" = 10 ]; then
		for ((i = 1; i <= RELOADS; i++)); do
			c=$(grep -c '"baselines_loaded"' "$T/ev.jsonl")
			kill -HUP "$DPID"
			for _ in $(seq 600); do
				[ "$(grep -c '"baselines_loaded"' "$T/ev.jsonl")" -gt "$c" ] && break
				sleep 0.1
			done
		done
		row "10 × $ENTRIES, after $RELOADS reloads" "$T/s$n"
		# an exec storm on the host (every exec reaches the daemon: no host baseline)
		for _ in $(seq 5000); do /bin/true; done
		row "10 × $ENTRIES, after 5000 host execs" "$T/s$n"
		echo
		breakdown 10-baseline
	fi
	stop_daemon
done
echo
echo "$IDLE_BREAKDOWN"
