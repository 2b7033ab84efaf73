#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Soak: the daemon under container churn, exec storms, config reloads and an
# output outage, for SOAK_SECONDS (default 1800). Reports crashes, RSS and fd
# counts (after warm-up → end), losses (dropped binaries run vs reported
# unknown; kernel, queue and output drops; previous_run_lost), and the p50/p99
# verdict latency (exec in the kernel → emitted event, from the daemon's
# histogram). Prints figures; asserts nothing.
#
#   SOAK_SECONDS=300 bench/soak.sh
#   SW=path/to/sealwatch   default .output/sealwatch
#   SOAK_KEEP=DIR          keep the events and the daemon log there
# Needs root, podman (runc), skopeo, jq, curl, python3.
set -uo pipefail
cd "$(dirname "$0")/.."
TOP=$PWD
SECS=${SOAK_SECONDS:-1800}
SW=$(realpath "${SW:-.output/sealwatch}")
T=$(mktemp -d /tmp/sw-soak.XXXXXX)
IMG=localhost/swht-soak-$$
STORM=swht-soak-storm-$$
PORT=$((30000 + $$ % 20000))
RPORT=$((PORT + 1))
EV=$T/events.jsonl
DPID=
RPID=
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	[ -n "$RPID" ] && kill "$RPID" 2>/dev/null
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	podman ps -a --format '{{.Names}}' | grep "^swht-soak-.*-$$" |
		xargs -r podman rm -f -t 0 >/dev/null 2>&1
	podman rmi -f "$IMG:1" >/dev/null 2>&1
	[ -n "${SOAK_KEEP:-}" ] && mkdir -p "$SOAK_KEEP" && cp "$EV" "$T/daemon.log" "$SOAK_KEEP/" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# --- image, baseline, key
R=$T/rootfs
mkdir -p "$R/bin" "$R/etc" "$R/tmp" "$R/out"
cp /bin/busybox "$R/bin/busybox"
for a in sh true echo cat cp sleep seq rm ln; do ln -s busybox "$R/bin/$a"; done
chmod 1777 "$R/tmp"
echo 'root:x:0:0:root:/root:/bin/sh' >"$R/etc/passwd"
tar -C "$R" -cf "$R.tar" . && podman import -q "$R.tar" "$IMG:1" >/dev/null || exit 1
mkdir -p "$T/store" "$T/out" "$T/spool" "$T/state"
chmod 0700 "$T/spool" "$T/state"
"$SW" keygen -o "$T/k" >/dev/null 2>&1
skopeo copy -q "containers-storage:$IMG:1" "oci:$T/oci:1" &&
	"$SW" baseline --name "$IMG:1" "oci:$T/oci:1" -o "$T/store/img.jsonl" 2>/dev/null &&
	"$SW" sign --key "$T/k.key" "$T/store/img.jsonl" >/dev/null 2>&1 || exit 1
printf '{"baseline_dir":"%s","trusted_keys":["%s"],"outputs":["file:%s","http://127.0.0.1:%s/in?spool=%s&batch_wait=200ms&retry_max=2s"],"metrics_listen":"127.0.0.1:%s","state_file":"%s/state/sw.state"}' \
	"$T/store" "$T/k.pub" "$EV" "$RPORT" "$T/spool/http" "$PORT" "$T" >"$T/config.json"

receiver_on() {
	/usr/bin/python3 "$TOP/tests/lib/http_receiver.py" "$RPORT" "$T/recv.jsonl" 2>/dev/null &
	RPID=$!
}
receiver_off() {
	kill "$RPID" 2>/dev/null
	wait "$RPID" 2>/dev/null
	RPID=
}
metric() { # metric NAME[{labels}]: its value now (0 when absent)
	curl -s -m 5 "http://127.0.0.1:$PORT/metrics" | awk -v n="$1" '$1 == n {print $2; f=1} END {if (!f) print 0}'
}

receiver_on
"$SW" daemon --config "$T/config.json" 2>"$T/daemon.log" &
DPID=$!
for ((i = 0; i < 300; i++)); do
	grep -q '"action":"start"' "$EV" 2>/dev/null && break
	sleep 0.1
done
grep -q '"action":"start"' "$EV" || { echo "daemon did not start"; tail -n 5 "$T/daemon.log"; exit 1; }

END=$(($(date +%s) + SECS))
crashes=0

# exec storm: a long-lived container runs image binaries and a dropped one;
# each dropped run is counted in a bind-mounted file by a shell builtin
podman run -d --runtime runc --name "$STORM" --network none -v "$T/out:/out" "$IMG:1" \
	/bin/sleep $((SECS + 120)) >/dev/null
podman exec "$STORM" /bin/sh -c 'cp /bin/busybox /tmp/dropped'
(
	while [ "$(date +%s)" -lt "$END" ]; do
		podman exec "$STORM" /bin/sh -c 'for i in $(seq 200); do /bin/true; done;
			for i in $(seq 20); do /tmp/dropped true 2>/dev/null; echo x >>/out/dropped.count; done'
	done
) &
PIDS+=($!)
# container churn: short-lived containers, each with a dropped binary of its own
(
	n=0
	while [ "$(date +%s)" -lt "$END" ]; do
		n=$((n + 1))
		podman run --rm --runtime runc --name "swht-soak-c$n-$$" --network none \
			-v "$T/out:/out" "$IMG:1" /bin/sh -c \
			'cp /bin/busybox /tmp/d && /tmp/d true 2>/dev/null; echo x >>/out/churn.count' \
			>/dev/null 2>&1
		sleep 1
	done
) &
PIDS+=($!)
# reloads every 20 s; an output outage of 30 s every 2 min
(
	while [ "$(date +%s)" -lt "$END" ]; do
		sleep 20
		kill -HUP "$DPID" 2>/dev/null
	done
) &
PIDS+=($!)

sample() { # sample: "RSS_kB FDS"
	echo "$(awk '/VmRSS/ {print $2}' "/proc/$DPID/status" 2>/dev/null || echo 0) \
$(ls "/proc/$DPID/fd" 2>/dev/null | wc -l)"
}
start_sample=
t0=$(date +%s)
last_outage=$t0
healthz_bad=0
while [ "$(date +%s)" -lt "$END" ]; do
	if ! kill -0 "$DPID" 2>/dev/null; then
		crashes=$((crashes + 1))
		echo "daemon died at +$(($(date +%s) - t0)) s; restarting"
		tail -n 5 "$T/daemon.log"
		"$SW" daemon --config "$T/config.json" 2>>"$T/daemon.log" &
		DPID=$!
		sleep 2
	fi
	now=$(date +%s)
	[ -z "$start_sample" ] && [ $((now - t0)) -ge 30 ] && start_sample=$(sample)
	if [ -n "$RPID" ] && [ $((now - last_outage)) -ge 120 ]; then
		receiver_off # the SIEM goes away for 30 s: the spool holds the events
		outage_end=$((now + 30))
		last_outage=$now
	fi
	if [ -z "$RPID" ] && [ "$now" -ge "${outage_end:-0}" ]; then
		receiver_on
	fi
	code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz")
	[ "$code" = 200 ] || healthz_bad=$((healthz_bad + 1))
	sleep 5
done
[ -z "$RPID" ] && receiver_on
for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
PIDS=()
sleep 5 # let the queues drain (a guard, not a measurement)
end_sample=$(sample)
p50=$(metric 'sealwatch_verdict_latency_seconds{quantile="0.5"}')
p99=$(metric 'sealwatch_verdict_latency_seconds{quantile="0.99"}')
lat_n=$(metric sealwatch_verdict_latency_events)
klost=$(metric sealwatch_kernel_dropped_events_total)
qfull=$(metric sealwatch_hash_queue_full_total)
skipped=$(metric 'sealwatch_hash_skipped_total{reason="queue_full"}')
sdrop=$(curl -s -m 5 "http://127.0.0.1:$PORT/metrics" | awk '/^sealwatch_sink_dropped_total/ {s += $2} END {print s + 0}')
reloads=$(metric 'sealwatch_config_reloads_total{result="ok"}')
kill -TERM "$DPID"
for ((i = 0; i < 300; i++)); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$DPID" 2>/dev/null; then
	echo "daemon did not stop within 30 s of SIGTERM"
	crashes=$((crashes + 1))
	kill -KILL "$DPID"
fi
wait "$DPID"
rc=$?
DPID=
[ "$rc" = 0 ] || crashes=$((crashes + 1))

ran_dropped=$(cat "$T/out/dropped.count" 2>/dev/null | grep -c .)
# only the soak's own containers count: other containers on this node (other
# tests, other tenants) may run a /tmp/dropped of their own
IN_STORM=".container.name == \"$STORM\" and .event.action == \"exec\" and .file.path == \"/tmp/dropped\""
seen_dropped=$(jq -s "[.[] | select($IN_STORM and .sealwatch.verdict == \"unknown\") | (.sealwatch.repeats.count // 1)] | add // 0" "$EV")
weak_dropped=$(jq -s "[.[] | select($IN_STORM and .sealwatch.verdict != \"unknown\")] | length" "$EV")
ran_churn=$(cat "$T/out/churn.count" 2>/dev/null | grep -c .)
seen_churn=$(jq -s "[.[] | select((.container.name // \"\" | startswith(\"swht-soak-c\")) and .event.action == \"exec\" and .file.path == \"/tmp/d\" and .sealwatch.verdict == \"unknown\")] | length" "$EV")
recv=$(jq -s '[.[] | .body | split("\n")[] | select(length > 0) | fromjson? | select(.event.action == "exec" and .file.path == "/tmp/dropped")] | length' "$T/recv.jsonl" 2>/dev/null || echo "?")
prev_lost=$(jq -s '[.[] | select(.event.action == "previous_run_lost")] | length' "$EV")

echo "soak: $SECS s, $(grep -c . "$EV") events, $reloads reloads, receiver outages every 120 s (30 s each)"
echo "crashes (unexpected exits, exit code != 0, SIGTERM hang): $crashes; /healthz not 200: $healthz_bad of $(((SECS + 4) / 5)) probes"
echo "RSS kB / fds at +30 s → end: ${start_sample:-?} → $end_sample"
echo "dropped binary (storm): ran $ran_dropped, reported unknown $seen_dropped (folded repeats counted), reported weaker $weak_dropped; HTTP receiver got $recv events of them"
[ "$weak_dropped" != 0 ] && jq -r -s --arg c "$STORM" '[.[] | select(.container.name == $c and .event.action == "exec" and .file.path == "/tmp/dropped" and .sealwatch.verdict != "unknown") | "\(.sealwatch.verdict): \(.sealwatch.reason)"] | group_by(.) | .[] | "    weaker: \(length) × \(.[0])"' "$EV"
echo "dropped binary (churn): $ran_churn containers, reported unknown $seen_churn"
echo "losses: kernel $klost, hash queue full (unverified) $qfull, decided without hashing $skipped, outputs dropped $sdrop, previous_run_lost $prev_lost"
echo "verdict latency (exec → event, $lat_n events): p50 ${p50}s p99 ${p99}s"
