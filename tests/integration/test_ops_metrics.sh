#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The metrics endpoint for real: the daemon with --metrics-listen, curl reads
# /metrics (checked by a strict exposition parser) and /healthz; counters
# must move after a real exec of a modified binary in a podman+runc container.
source "$(dirname "$0")/../lib/common.sh"

if ! need_root || ! command -v podman >/dev/null || ! command -v curl >/dev/null; then
	skip all "needs root, podman and curl"
	exit 0
fi

IMG=localhost/sw-ops-metrics-$$
CTR=sw-ops-metrics-$$
DAEMON_PID=
EVENTS=$WORK/events.jsonl
cleanup() {
	[ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
	podman rm -f -t 0 "$CTR" >/dev/null 2>&1
	podman rmi -f "$IMG:1" >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT

r=$WORK/rootfs
mkdir -p "$r/bin" "$r/tmp" "$r/usr/local/bin" && chmod 1777 "$r/tmp"
cp /bin/busybox "$r/bin/busybox" && cp /bin/busybox "$r/usr/local/bin/tool"
for a in sh true echo cat sleep; do ln -s busybox "$r/bin/$a"; done
tar -C "$r" -cf "$r.tar" . && podman import -q "$r.tar" "$IMG:1" >/dev/null &&
	skopeo copy -q "containers-storage:$IMG:1" "oci:$WORK/oci:1" &&
	mkdir -p "$WORK/store" && "$SW" keygen -o "$WORK/k" >/dev/null 2>&1 &&
	"$SW" baseline --name "$IMG:1" "oci:$WORK/oci:1" -o "$WORK/store/img.jsonl" 2>/dev/null &&
	"$SW" sign --key "$WORK/k.key" "$WORK/store/img.jsonl" >/dev/null 2>&1 ||
	{ fail setup "image, baseline or signature"; exit 0; }

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT
"$SW" daemon --baseline-dir "$WORK/store" --trusted-key "$WORK/k.pub" --output "file:$EVENTS" \
	--metrics-listen "127.0.0.1:$PORT" 2>"$WORK/daemon.log" &
DAEMON_PID=$!

# scrape: /metrics into $WORK/m.txt; metric NAME [LABELS]: its value (0 if absent)
scrape() { curl -sf -o "$WORK/m.txt" "$URL/metrics"; }
metric() {
	local k=$1
	[ -n "${2:-}" ] && k="$1{$2}"
	awk -v k="$k" '$1 == k { print $2; found = 1 } END { if (!found) print 0 }' "$WORK/m.txt"
}
for i in $(seq 600); do
	[ "$(curl -s "$URL/healthz")" = ok ] && break
	sleep 0.1
done
code=$(curl -s -o "$WORK/h.txt" -w '%{http_code}' "$URL/healthz")
[ "$code" = 200 ] && [ "$(cat "$WORK/h.txt")" = ok ] && pass healthz-ok ||
	{ fail healthz-ok "HTTP $code: $(cat "$WORK/h.txt")"; sed 's/^/    /' "$WORK/daemon.log"; exit 0; }

scrape && pass metrics-get || fail metrics-get
ctype=$(curl -s -o /dev/null -w '%{content_type}' "$URL/metrics")
[[ "$ctype" == "text/plain; version=0.0.4"* ]] && pass content-type || fail content-type "$ctype"
if python3 "$TOP/tests/integration/helpers/check_prom.py" "$WORK/m.txt" >"$WORK/prom.log"; then
	pass exposition-valid
else
	fail exposition-valid "$(head -n 5 "$WORK/prom.log")"
fi
# the mode the start event names (tp_btf/sched_process_exec → tp_btf) has the info gauge at 1
mode=$(jq -r 'select(.event.action == "start") | .sealwatch.attach_mode' "$EVENTS" | head -n 1)
[ "$(metric sealwatch_attach_info "mode=\"${mode%%/*}\"")" = 1 ] && pass attach-info ||
	fail attach-info "start says '$mode': $(grep '^sealwatch_attach_info' "$WORK/m.txt" | tr '\n' ' ')"
[ "$(metric sealwatch_baselines_loaded)" = 1 ] && pass baselines-loaded || fail baselines-loaded "$(metric sealwatch_baselines_loaded)"
[ "$(metric sealwatch_build_info "version=\"$("$SW" version | awk '{print $NF}')\"")" = 1 ] &&
	pass build-info || fail build-info
[ "$(metric sealwatch_ringbuf_size_bytes)" -gt 0 ] && pass ringbuf-size || fail ringbuf-size

before_mod=$(metric sealwatch_events_total 'action="exec",verdict="modified"')
before_alert=$(metric sealwatch_alerts_total 'verdict="modified"')
before_bytes=$(metric sealwatch_hashed_bytes_total)
before_files=$(metric sealwatch_hashed_files_total)
before_execs=$(metric sealwatch_exec_events_total)

podman run -d --runtime runc --name "$CTR" --network none "$IMG:1" sleep 300 >/dev/null ||
	{ fail container-start; exit 0; }
podman exec "$CTR" /usr/local/bin/tool true 2>/dev/null
podman exec "$CTR" /usr/local/bin/tool true 2>/dev/null # same file, same identity: a cache hit
podman exec "$CTR" /bin/sh -c 'echo "#implant" >> /usr/local/bin/tool'
podman exec "$CTR" /usr/local/bin/tool true 2>/dev/null

# the metrics are sampled once a second: wait until the modified exec shows
# (a hang guard of 60 s; then the counters sampled once a second must catch
# up: wait until every figure checked below has moved, and check them all)
modified_shown() {
	scrape && [ "$(metric sealwatch_events_total 'action="exec",verdict="modified"')" -gt "$before_mod" ]
}
settled() {
	scrape &&
		[ "$(metric sealwatch_hashed_bytes_total)" -ge $((before_bytes + 2 * $(stat -c %s /bin/busybox))) ] &&
		[ "$(metric sealwatch_hashed_files_total)" -ge $((before_files + 2)) ] &&
		[ "$(metric sealwatch_exec_events_total)" -ge $((before_execs + 3)) ] &&
		[ "$(($(metric sealwatch_verdict_cache_hits_total) + $(metric sealwatch_kernel_cache_hits_total)))" -ge 1 ]
}
wait_until 60 modified_shown
wait_until 30 settled
after_mod=$(metric sealwatch_events_total 'action="exec",verdict="modified"')
n_mod_events=$(jq -s '[.[] | select(.sealwatch.verdict == "modified")] | length' "$EVENTS")
[ "$after_mod" -eq $((before_mod + 1)) ] && [ "$n_mod_events" = 1 ] && pass modified-counted ||
	fail modified-counted "events_total{modified} $before_mod -> $after_mod, $n_mod_events modified events"
[ "$(metric sealwatch_alerts_total 'verdict="modified"')" -eq $((before_alert + 1)) ] &&
	pass alert-counted || fail alert-counted
size=$(stat -c %s /bin/busybox)
after_bytes=$(metric sealwatch_hashed_bytes_total)
# at least the original tool and the modified one were hashed in full
[ "$after_bytes" -ge $((before_bytes + 2 * size)) ] && pass bytes-hashed ||
	fail bytes-hashed "$before_bytes -> $after_bytes (busybox is $size bytes)"
[ "$(metric sealwatch_hashed_files_total)" -ge $((before_files + 2)) ] && pass files-hashed ||
	fail files-hashed
# a repeated exec of a verified file hits the userspace verdict cache or, before
# that, the in-kernel one (then it never reaches userspace)
uhits=$(metric sealwatch_verdict_cache_hits_total)
khits=$(metric sealwatch_kernel_cache_hits_total)
[ "$((uhits + khits))" -ge 1 ] && pass cache-hit ||
	fail cache-hit "verdict cache hits $uhits, in-kernel cache hits $khits"
[ "$(metric sealwatch_exec_events_total)" -ge $((before_execs + 3)) ] && pass exec-events ||
	fail exec-events
ok_count=$(metric sealwatch_events_total 'action="exec",verdict="ok"')
ok_events=$(jq -s '[.[] | select(.event.action == "exec" and .sealwatch.verdict == "ok")] | length' "$EVENTS")
# ok verdicts are counted though not emitted (no --all-events)
[ "$ok_count" -ge 2 ] && [ "$ok_events" = 0 ] && pass ok-counted-not-emitted ||
	fail ok-counted-not-emitted "ok $ok_count, emitted $ok_events"
[ "$(metric sealwatch_kernel_dropped_events_total)" = 0 ] && pass no-kernel-drops || fail no-kernel-drops
python3 "$TOP/tests/integration/helpers/check_prom.py" "$WORK/m.txt" >"$WORK/prom.log" &&
	pass exposition-valid-after || fail exposition-valid-after "$(head -n 5 "$WORK/prom.log")"

# HTTP corner cases
[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/nope")" = 404 ] && pass http-404 || fail http-404
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/metrics")" = 405 ] && pass http-405 || fail http-405
# a second daemon on the same port: refused at start, system error (5)
expect_exit port-in-use 5 "$SW" daemon --metrics-listen "127.0.0.1:$PORT" --output "file:$WORK/x.jsonl"

# after stop: nothing listens any more
kill "$DAEMON_PID" && wait "$DAEMON_PID"
DAEMON_PID=
curl -s -o /dev/null "$URL/healthz" && fail stopped-closed || pass stopped-closed
exit 0
