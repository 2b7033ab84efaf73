#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The watched cannot blind, stall or fool the watcher (issue 18). An
# unprivileged user (uid 1000) inside real podman+runc containers, and a
# careless operator, try every route found so far against a real daemon; the
# assertions are on the daemon's JSON output, /healthz and its exit.
#   fifo-*       a FIFO put over a just-executed path: hash workers and the
#                event loop (the #! script path) never block on it
#   flood-*      an exec flood of dropped binaries through a tiny queue: every
#                one is reported unknown, none weaker
#   cap-*        files over --hash-max-size are never read: definite verdicts
#   loader-*     FIFOs and huge unsigned files in the baseline directory
#   reload-*     a reload is validated exactly as a start
#   spool-*      a foreign spool directory, forged and symlinked segments
#   secret-*     credentials in an output URL stay out of metrics, logs, events
#   http-*       idle connections cannot make /healthz fail
#   loss-*       what a kill -9 loses is reported at the next start
# The daemon is paused (SIGSTOP) in the FIFO cases only to make the race the
# attacker would win under load deterministic; the attacker is the container user.
source "$(dirname "$0")/../lib/common.sh"

if ! need_root || ! command -v podman >/dev/null || ! command -v jq >/dev/null; then
	skip all "needs root, podman and jq"
	exit 0
fi

IMG=localhost/swht-img-$$
CONTAINERS=()
DAEMON_PID=
EVENTS=$WORK/events.jsonl
PORT=$((20000 + $$ % 20000))

stop_daemon() { # stop_daemon NAME: SIGTERM, and the daemon must exit (hang guard 30 s)
	local i
	[ -n "$DAEMON_PID" ] || return 0
	kill -CONT "$DAEMON_PID" 2>/dev/null
	kill -TERM "$DAEMON_PID" 2>/dev/null
	for ((i = 0; i < 300; i++)); do
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$DAEMON_PID" 2>/dev/null; then
		fail "${1:-stop}" "daemon still running 30 s after SIGTERM"
		kill -KILL "$DAEMON_PID" 2>/dev/null
	elif [ -n "${1:-}" ]; then
		pass "$1"
	fi
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
}
cleanup() {
	[ -n "${SW_KEEP_EVENTS:-}" ] && cp "$EVENTS" "$SW_KEEP_EVENTS" 2>/dev/null
	stop_daemon
	for c in "${CONTAINERS[@]}"; do podman rm -f -t 0 "$c" >/dev/null 2>&1; done
	podman rmi -f "$IMG:1" >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT

# start_daemon LOG ARGS…: a fresh $EVENTS, wait for "start" (hang guard 30 s)
start_daemon() {
	local log=$1
	shift
	: >"$EVENTS"
	# --fold-window 0: these checks count every repeated verdict (issue 12's folding)
	"$SW" daemon --output "file:$EVENTS" --fold-window 0 "$@" 2>"$log" &
	DAEMON_PID=$!
	for ((i = 0; i < 300; i++)); do
		grep -q '"action":"start"' "$EVENTS" 2>/dev/null && return 0
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.1
	done
	return 1
}
healthz() { curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz"; }

# --- the image: busybox; /opt/app/tool is an image binary left world-writable
# (a careless image: the tenant may change it); /tmp 1777; user 1000
R=$WORK/rootfs
mkdir -p "$R/bin" "$R/etc" "$R/tmp" "$R/opt/app" "$R/home/user"
cp /bin/busybox "$R/bin/busybox"
for a in sh true echo cat cp sleep chmod seq mkfifo mv truncate ln rm mkdir head; do
	ln -s busybox "$R/bin/$a"
done
cp /bin/busybox "$R/opt/app/tool"
chmod 0777 "$R/opt/app/tool"
chmod 1777 "$R/tmp"
chown 1000:1000 "$R/home/user"
printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\n' >"$R/etc/passwd"
tar -C "$R" -cf "$R.tar" . && podman import -q "$R.tar" "$IMG:1" >/dev/null ||
	{ fail build-image; exit 0; }
mkdir -p "$WORK/store"
"$SW" keygen -o "$WORK/k" >/dev/null 2>&1 &&
	skopeo copy -q "containers-storage:$IMG:1" "oci:$WORK/oci:1" &&
	"$SW" baseline --name "$IMG:1" "oci:$WORK/oci:1" -o "$WORK/store/img.jsonl" 2>/dev/null &&
	"$SW" sign --key "$WORK/k.key" "$WORK/store/img.jsonl" >/dev/null 2>&1 ||
	{ fail baseline-image; exit 0; }
pass build-image

# run_c NAME: a detached container of the image (its processes as root; the
# attacks run through `podman exec --user 1000`)
run_c() {
	podman run -d --runtime runc --name "$1" --network none "$IMG:1" /bin/sleep 3600 \
		>/dev/null && CONTAINERS+=("$1")
}
as_user() { # as_user CONTAINER SCRIPT: /bin/sh -c SCRIPT as uid 1000
	podman exec --user 1000:1000 "$1" /bin/sh -c "$2"
}
cid() { podman inspect -f '{{.Id}}' "$1"; }
BASE=(--baseline-dir "$WORK/store" --trusted-key "$WORK/k.pub")

# ============ finding 1: a FIFO swapped over a just-executed path ============
start_daemon "$WORK/d1.log" "${BASE[@]}" --hash-workers 2 --metrics-listen "127.0.0.1:$PORT" ||
	{ fail fifo-start "$(tail -n 3 "$WORK/d1.log")"; exit 0; }
run_c swht-a-$$ && run_c swht-b-$$ || { fail fifo-containers; exit 0; }
A=$(cid swht-a-$$)
B=$(cid swht-b-$$)
as_user swht-a-$$ 'cp /bin/busybox /tmp/x1 && cp /bin/busybox /tmp/x2 &&
	mkfifo /tmp/f1 /tmp/f2 /tmp/fs && printf "#!/bin/sh\n:\n" >/tmp/s.sh && chmod 755 /tmp/s.sh'
# while the daemon is behind (paused here), each binary runs, exits, and a
# FIFO takes its path: the worker can only look the file up by name
kill -STOP "$DAEMON_PID"
as_user swht-a-$$ '/tmp/x1 true 2>/dev/null; mv -f /tmp/f1 /tmp/x1; /tmp/x2 true 2>/dev/null; mv -f /tmp/f2 /tmp/x2;
	/tmp/s.sh; mv -f /tmp/fs /tmp/s.sh'
kill -CONT "$DAEMON_PID"
WAIT_SECS=30
# a dropped binary is still reported unknown (the kernel's path is outside the baseline)
wait_for fifo-worker-x1 ".container.id == \"$A\" and .file.path == \"/tmp/x1\" and .sealwatch.verdict == \"unknown\""
wait_for fifo-worker-x2 ".container.id == \"$A\" and .file.path == \"/tmp/x2\" and .sealwatch.verdict == \"unknown\""
wait_for fifo-event-loop-script ".container.id == \"$A\" and .event.action == \"exec_script\" and .sealwatch.verdict == \"unverified\" and (.sealwatch.reason | test(\"not regular\")) and .event.severity == 73"
# verification goes on, in another container, for the next dropped binary
as_user swht-b-$$ 'cp /bin/busybox /tmp/late && /tmp/late true 2>/dev/null'
wait_for fifo-later-exec-verified ".container.id == \"$B\" and .file.path == \"/tmp/late\" and .sealwatch.verdict == \"unknown\""
code=$(healthz)
[ "$code" = 200 ] && pass fifo-healthz-ok || fail fifo-healthz-ok "/healthz $code"
stop_daemon fifo-sigterm-exits
check_schema fifo-events-schema "$EVENTS"

# ============ finding 3: exec flood through a tiny queue ============
N=400
start_daemon "$WORK/d3.log" "${BASE[@]}" --hash-workers 1 --queue-size 16 ||
	{ fail flood-start "$(tail -n 3 "$WORK/d3.log")"; exit 0; }
as_user swht-a-$$ "mkdir -p /tmp/d && cp /bin/busybox /tmp/d/b0 && for i in \$(seq $N); do ln /tmp/d/b0 /tmp/d/b\$i; done"
as_user swht-b-$$ 'cp /bin/busybox /tmp/other'
# two tenants: A floods, B runs one dropped binary in the middle of it
as_user swht-a-$$ "for i in \$(seq $N); do /tmp/d/b\$i true 2>/dev/null; done" &
flood=$!
as_user swht-b-$$ '/tmp/other true 2>/dev/null'
wait "$flood"
filter_d=".container.id == \"$A\" and .event.action == \"exec\" and (.file.path | startswith(\"/tmp/d/b\"))"
for ((i = 0; i < 300; i++)); do
	[ "$(count "$filter_d")" -ge "$N" ] && break
	sleep 0.1
done
got=$(count "$filter_d")
unknown=$(count "$filter_d and .sealwatch.verdict == \"unknown\"")
lost=$(count '.event.action == "events_lost"')
echo "    flood: $unknown of $N dropped binaries reported unknown ($got reported, events_lost alerts: $lost)"
if [ "$got" = "$N" ] && [ "$unknown" = "$N" ]; then
	pass flood-every-dropped-binary-unknown
else
	fail flood-every-dropped-binary-unknown "$unknown of $N unknown, $got reported; weaker: $(jq -c -s "[.[] | select($filter_d and .sealwatch.verdict != \"unknown\") | .sealwatch.reason] | unique" "$EVENTS")"
fi
wait_for flood-other-tenant-unknown ".container.id == \"$B\" and .file.path == \"/tmp/other\" and .sealwatch.verdict == \"unknown\""
# short-lived binaries on a bind-mounted volume: the worker cannot find them by
# name in the container's root (the volume is not there on the host side): a
# path the kernel saw outside the baseline is unknown, never unverified
mkdir -p "$WORK/vol"
cp /bin/busybox "$WORK/vol/tool"
chmod 755 "$WORK/vol/tool"
podman run -d --runtime runc --name swht-v-$$ --network none -v "$WORK/vol:/vol" "$IMG:1" \
	/bin/sleep 3600 >/dev/null && CONTAINERS+=(swht-v-$$)
V=$(cid swht-v-$$)
as_user swht-v-$$ 'for i in 1 2 3 4 5 6 7 8 9 10; do /vol/tool true 2>/dev/null; done'
filter_v=".container.id == \"$V\" and .event.action == \"exec\" and .file.path == \"/vol/tool\""
for ((i = 0; i < 300; i++)); do
	[ "$(count "$filter_v")" -ge 10 ] && break
	sleep 0.1
done
vu=$(count "$filter_v and .sealwatch.verdict == \"unknown\"")
echo "    volume: $vu of 10 short-lived execs from a bind mount reported unknown"
[ "$vu" = 10 ] && pass volume-short-lived-unknown ||
	fail volume-short-lived-unknown "$vu of 10 unknown: $(jq -c -s "[.[] | select($filter_v) | .sealwatch.reason] | unique" "$EVENTS")"
stop_daemon flood-sigterm-exits
check_schema flood-events-schema "$EVENTS"

# ============ finding 3: the hash size cap ============
BB=$(stat -c %s /bin/busybox)
cap_phase() {
C=$(cid swht-c-$$)
# an image file larger than the cap, unchanged: unverified "too large", an alert
as_user swht-c-$$ '/opt/app/tool true 2>/dev/null'
wait_for cap-baseline-file-too-large ".container.id == \"$C\" and .file.path == \"/opt/app/tool\" and .sealwatch.verdict == \"unverified\" and (.sealwatch.reason | test(\"too large\")) and .event.severity == 73 and .event.kind == \"alert\" and (.file.hash == null)"
# a 4 GiB (sparse) dropped binary: unknown at once, never read
as_user swht-c-$$ 'cp /bin/busybox /tmp/big && truncate -s 4G /tmp/big && /tmp/big true 2>/dev/null'
wait_for cap-big-dropped-unknown ".container.id == \"$C\" and .file.path == \"/tmp/big\" and .sealwatch.verdict == \"unknown\" and (.sealwatch.reason | test(\"too large\")) and (.file.hash == null)"
# the writable image file grown by the tenant: modified (its size differs), never read
as_user swht-c-$$ 'echo x >>/opt/app/tool && /opt/app/tool true 2>/dev/null'
wait_for cap-grown-image-file-modified ".container.id == \"$C\" and .file.path == \"/opt/app/tool\" and .sealwatch.verdict == \"modified\" and .event.severity == 99 and (.file.size == $((BB + 2)))"
}
if start_daemon "$WORK/d3c.log" "${BASE[@]}" --hash-max-size 256K && run_c swht-c-$$; then
	cap_phase
else
	fail cap-start "$(tail -n 3 "$WORK/d3c.log")"
fi
stop_daemon cap-sigterm-exits
check_schema cap-events-schema "$EVENTS"

# ============ finding 2: the baseline loader ============
LS=$WORK/loadstore
mkdir -p "$LS"
cp "$WORK/store/img.jsonl" "$WORK/store/img.jsonl.sig" "$LS/"
mkfifo "$LS/fifo.jsonl"
cp "$WORK/store/img.jsonl.sig" "$LS/fifo.jsonl.sig"
cp "$WORK/store/img.jsonl" "$LS/fifosig.jsonl"
mkfifo "$LS/fifosig.jsonl.sig"
truncate -s 200M "$LS/huge-unsigned.jsonl"
start_daemon "$WORK/d2.log" --baseline-dir "$LS" --trusted-key "$WORK/k.pub"
started=$?
[ $started = 0 ] && pass loader-fifo-start-not-blocked ||
	fail loader-fifo-start-not-blocked "no start event in 30 s: $(tail -n 2 "$WORK/d2.log")"
if [ $started = 0 ]; then
	WAIT_SECS=30 # (events written before "start": a hang guard only)
	wait_for loader-fifo-body-refused '.event.action == "baseline_refused" and (.sealwatch.baseline.path | endswith("/fifo.jsonl")) and (.sealwatch.reason | test("regular"))'
	wait_for loader-fifo-signature-refused '.event.action == "baseline_refused" and (.sealwatch.baseline.path | endswith("/fifosig.jsonl")) and (.sealwatch.reason | test("signature"))'
	wait_for loader-unsigned-refused-unread '.event.action == "baseline_refused" and (.sealwatch.baseline.path | endswith("/huge-unsigned.jsonl")) and (.sealwatch.reason | test("signature missing"))'
	wait_for loader-good-loaded '.event.action == "baselines_loaded" and .sealwatch.baselines.count == 1'
	# the 200 MiB unsigned file (under the size cap) was never read into memory
	hwm=$(awk '/VmHWM/ {print $2}' "/proc/$DAEMON_PID/status")
	echo "    loader: peak RSS ${hwm} kB"
	[ "${hwm:-0}" -lt 262144 ] && pass loader-huge-unsigned-not-read ||
		fail loader-huge-unsigned-not-read "peak RSS ${hwm} kB"
	# a reload with the FIFOs still there completes
	n=$(count '.event.action == "baselines_loaded"')
	kill -HUP "$DAEMON_PID"
	for ((i = 0; i < 300; i++)); do
		[ "$(count '.event.action == "baselines_loaded"')" -gt "$n" ] && break
		sleep 0.1
	done
	[ "$(count '.event.action == "baselines_loaded"')" -gt "$n" ] && pass loader-reload-not-blocked ||
		fail loader-reload-not-blocked "no baselines_loaded after SIGHUP"
fi
stop_daemon loader-sigterm-exits

# a signed baseline over --baseline-max-size is refused before it is read
LC=$WORK/capstore
mkdir -p "$LC"
cp "$WORK/store/img.jsonl" "$WORK/store/img.jsonl.sig" "$LC/"
head -c 2M /dev/zero >"$LC/big-signed.jsonl"
"$SW" sign --key "$WORK/k.key" "$LC/big-signed.jsonl" >/dev/null 2>&1
if start_daemon "$WORK/d2c.log" --baseline-dir "$LC" --trusted-key "$WORK/k.pub" \
	--baseline-max-size 1M; then
	wait_for loader-over-cap-refused '.event.action == "baseline_refused" and (.sealwatch.baseline.path | endswith("/big-signed.jsonl")) and (.sealwatch.reason | test("larger than"))'
	wait_for loader-cap-good-loaded '.event.action == "baselines_loaded" and .sealwatch.baselines.count == 1'
else
	fail loader-cap-start "$(tail -n 2 "$WORK/d2c.log")"
fi
stop_daemon

# a large signed baseline is loaded off the event loop: while the loader
# thread reads it, execs keep being verified (before its baselines_loaded)
LB=$WORK/bigstore
mkdir -p "$LB"
cp "$WORK/store/img.jsonl" "$WORK/store/img.jsonl.sig" "$LB/"
python3 - "$WORK/big.jsonl" <<'PY'
import sys
n = 1000000
with open(sys.argv[1], "w") as f:
    f.write('{"schema":"sealwatch.baseline/v1","hash":"sha256","source":"dir","image":{"name":"docker.io/library/swht-big:1"},"entries":%d,"generator":"test"}\n' % n)
    for i in range(n):
        f.write('{"path":"/big/%08d","type":"file","mode":"0755","uid":0,"gid":0,"size":1,"sha256":"%064x"}\n' % (i, i))
PY
"$SW" sign --key "$WORK/k.key" "$WORK/big.jsonl" >/dev/null 2>&1
if start_daemon "$WORK/d2b.log" --baseline-dir "$LB" --trusted-key "$WORK/k.pub"; then
	mv "$WORK/big.jsonl.sig" "$WORK/big.jsonl" "$LB/"
	kill -HUP "$DAEMON_PID"
	loader_running() { grep -qx sw-loader /proc/"$DAEMON_PID"/task/*/comm 2>/dev/null; }
	if wait_until 30 loader_running; then
		pass loader-thread-runs
		podman exec swht-b-$$ /bin/sh -c 'cp /bin/busybox /tmp/during && /tmp/during true'
		wait_for loader-exec-verified-during-load ".container.id == \"$B\" and .file.path == \"/tmp/during\" and .sealwatch.verdict == \"unknown\"" 60
		v=$(grep -n '"/tmp/during"' "$EVENTS" | head -n 1 | cut -d: -f1)
		l=$(grep -n '"baselines_loaded"' "$EVENTS" | sed -n 2p | cut -d: -f1)
		[ -n "$v" ] && { [ -z "$l" ] || [ "$v" -lt "$l" ]; } && pass loader-verdict-before-load-done ||
			fail loader-verdict-before-load-done "verdict line ${v:-none}, baselines_loaded line ${l:-none}"
	else
		fail loader-thread-runs "no sw-loader thread after SIGHUP"
	fi
	wait_for loader-big-loaded '.event.action == "baselines_loaded" and .sealwatch.baselines.count == 2' 120
	echo "    loader: $(grep -c . "$LB/big.jsonl") lines ($(du -m "$LB/big.jsonl" | cut -f1) MB) loaded off the event loop"
else
	fail loader-big-start "$(tail -n 2 "$WORK/d2b.log")"
fi
stop_daemon

# ============ finding 4: a reload is validated exactly as a start ============
CFG=$WORK/reload.json
printf '{"baseline_dir":"%s","trusted_keys":["%s"],"outputs":["file:%s"]}' \
	"$WORK/store" "$WORK/k.pub" "$EVENTS" >"$CFG"
: >"$EVENTS"
"$SW" daemon --config "$CFG" 2>"$WORK/d4.log" &
DAEMON_PID=$!
WAIT_SECS=30
if wait_for reload-start '.event.action == "start"'; then
	printf '{"baseline_dir":"%s","trusted_keys":["%s"],"outputs":["file:%s","syslog+tcp://127.0.0.1:1?facility=nosuch"]}' \
		"$WORK/store" "$WORK/k.pub" "$EVENTS" >"$CFG"
	kill -HUP "$DAEMON_PID"
	wait_for reload-bad-output-refused '.event.action == "config_error" and .sealwatch.config.key == "outputs"'
	[ "$(count '.event.action == "config_reloaded"')" = 0 ] && pass reload-not-reported-reloaded ||
		fail reload-not-reported-reloaded "config_reloaded although the outputs are invalid"
	# what the reload refused, a start refuses too (exit 3), with the same message
	expect_exit reload-start-refuses-same 3 timeout 30 "$SW" daemon --config "$CFG"
	errline reload-start-names-output "nosuch"
	# the old config still runs: the next dropped binary is reported
	as_user swht-b-$$ 'cp /bin/busybox /tmp/after-reload && /tmp/after-reload true 2>/dev/null'
	wait_for reload-old-config-kept ".container.id == \"$B\" and .file.path == \"/tmp/after-reload\" and .sealwatch.verdict == \"unknown\""
fi
stop_daemon

# ============ finding 5: the spool trusts nothing it finds ============
SP=$WORK/spool-foreign
mkdir -p "$SP"
chown 65534:65534 "$SP"
chmod 0777 "$SP"
expect_exit spool-foreign-dir-refused 3 timeout 30 "$SW" daemon --output "http://127.0.0.1:1/x?spool=$SP"
errline spool-foreign-dir-message "spool .*refused"
SP2=$WORK/spool-ours
mkdir -m 0700 "$SP2"
SECRET=$WORK/root-only.txt
echo 'ROOT-ONLY-MARKER' >"$SECRET"
chmod 0600 "$SECRET"
ln -s "$SECRET" "$SP2/seg-0000000000000000.ndjson"
echo '{"forged":"FORGED-BY-OTHER-USER"}' >"$SP2/seg-0000000000000001.ndjson"
chown 65534:65534 "$SP2/seg-0000000000000001.ndjson"
RPORT=$((PORT + 1))
/usr/bin/python3 "$TOP/tests/lib/http_receiver.py" "$RPORT" "$WORK/recv.jsonl" \
	--pidfile "$WORK/recv.pid" >/dev/null 2>&1 &
RECV_PID=$!
sleep 1
if start_daemon "$WORK/d5.log" "${BASE[@]}" \
	--output "http://127.0.0.1:$RPORT/in?spool=$SP2&batch_wait=100ms"; then
	as_user swht-b-$$ 'cp /bin/busybox /tmp/spooled && /tmp/spooled true 2>/dev/null'
	for ((i = 0; i < 300; i++)); do
		grep -q '/tmp/spooled' "$WORK/recv.jsonl" 2>/dev/null && break
		sleep 0.1
	done
	grep -q '/tmp/spooled' "$WORK/recv.jsonl" 2>/dev/null && pass spool-delivers ||
		fail spool-delivers "nothing received"
	! grep -q 'ROOT-ONLY-MARKER' "$WORK/recv.jsonl" 2>/dev/null && pass spool-symlinked-segment-not-shipped ||
		fail spool-symlinked-segment-not-shipped "the symlink's target was shipped"
	! grep -q 'FORGED-BY-OTHER-USER' "$WORK/recv.jsonl" 2>/dev/null && pass spool-foreign-segment-not-shipped ||
		fail spool-foreign-segment-not-shipped "another user's segment was shipped"
	grep -q 'not ours' "$WORK/d5.log" && pass spool-ignored-logged ||
		fail spool-ignored-logged "no warning about the planted files"
else
	fail spool-start "$(tail -n 2 "$WORK/d5.log")"
fi
stop_daemon
kill "$RECV_PID" 2>/dev/null
wait "$RECV_PID" 2>/dev/null

# ============ finding 6: no secret in metrics, logs or events ============
if start_daemon "$WORK/d6.log" "${BASE[@]}" --metrics-listen "127.0.0.1:$PORT" \
	--output "http://sealwatch:S3CRET-PASS@127.0.0.1:1/in"; then
	as_user swht-b-$$ '/tmp/spooled true 2>/dev/null'
	sleep 2 # let the dead output fail a few times (logs) — a guard, not a condition
	curl -s -m 5 "http://127.0.0.1:$PORT/metrics" >"$WORK/metrics.txt"
	grep -q 'sealwatch_sink_events_total{sink="http://REDACTED@127.0.0.1:1/in"}' "$WORK/metrics.txt" &&
		pass secret-label-redacted || fail secret-label-redacted "$(grep -m1 sink_events "$WORK/metrics.txt")"
	if grep -q 'S3CRET' "$WORK/metrics.txt" "$WORK/d6.log" "$EVENTS"; then
		fail secret-nowhere "$(grep -l S3CRET "$WORK/metrics.txt" "$WORK/d6.log" "$EVENTS")"
	else
		pass secret-nowhere
	fi
	# 40 trickling connections from the probe's own address: /healthz still answers
	/usr/bin/python3 - "$PORT" >"$WORK/slow.txt" 2>&1 <<'PY' &
import socket, sys, time
port = int(sys.argv[1]); socks = []
for i in range(40):
    s = socket.socket(); s.connect(("127.0.0.1", port)); s.send(b"GET /metrics HTTP/1.1\r\n"); socks.append(s)
print("open", flush=True)
for k in range(30):
    for s in socks:
        try: s.send(b"X")
        except OSError: pass
    time.sleep(0.5)
PY
	SLOW=$!
	for ((i = 0; i < 100; i++)); do grep -q open "$WORK/slow.txt" && break; sleep 0.1; done
	ok=0
	for k in 1 2 3 4 5; do
		[ "$(healthz)" = 200 ] && ok=$((ok + 1))
		sleep 1
	done
	[ $ok = 5 ] && pass http-slowloris-healthz-ok || fail http-slowloris-healthz-ok "$ok of 5 probes answered 200"
	kill "$SLOW" 2>/dev/null
	wait "$SLOW" 2>/dev/null
else
	fail secret-start "$(tail -n 2 "$WORK/d6.log")"
fi
stop_daemon
grep -q '"metrics_listen": "127.0.0.1:9464"' "$TOP/deploy/kubernetes/sealwatch-daemonset.yaml" &&
	pass http-daemonset-loopback || fail http-daemonset-loopback "the DaemonSet listens beyond loopback"

# ============ finding 7: what a kill -9 loses is reported at the next start ============
STATE=$WORK/state/sealwatch.state
mkdir -m 0700 -p "$WORK/state"
# a dead output (nothing listens): alerts pile up undelivered
if start_daemon "$WORK/d7.log" "${BASE[@]}" --state-file "$STATE" \
	--output "http://127.0.0.1:1/in?retry_max=1s"; then
	as_user swht-b-$$ 'for i in 1 2 3; do /tmp/spooled true 2>/dev/null; /tmp/after-reload true 2>/dev/null; done'
	for ((i = 0; i < 100; i++)); do
		[ -s "$STATE" ] && jq -e '.undelivered > 0' "$STATE" >/dev/null 2>&1 && break
		sleep 0.1
	done
	kill -KILL "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
	if start_daemon "$WORK/d7b.log" "${BASE[@]}" --state-file "$STATE"; then
		wait_for loss-kill9-reported-at-next-start '.event.action == "previous_run_lost" and .event.kind == "alert" and .sealwatch.previous_run.undelivered > 0'
		check_schema loss-events-schema "$EVENTS"
	else
		fail loss-restart "$(tail -n 2 "$WORK/d7b.log")"
	fi
	stop_daemon
	jq -e '.clean == true' "$STATE" >/dev/null 2>&1 && pass loss-clean-stop-recorded ||
		fail loss-clean-stop-recorded "$(cat "$STATE" 2>/dev/null)"
	if start_daemon "$WORK/d7c.log" "${BASE[@]}" --state-file "$STATE"; then
		sleep 1
		[ "$(count '.event.action == "previous_run_lost"')" = 0 ] && pass loss-clean-stop-not-reported ||
			fail loss-clean-stop-not-reported "a clean stop was reported as lost"
	fi
	stop_daemon
else
	fail loss-start "$(tail -n 2 "$WORK/d7.log")"
fi
