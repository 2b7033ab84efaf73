#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Sinks end to end: the daemon (real BPF, a real podman+runc container whose
# image has a signed baseline) sends to a file, to an HTTP receiver that is down
# while alerts fire and comes back later (spooled, then delivered once, in
# order), and to a receiver that accepts but never answers (must not delay the others).
source "$(dirname "$0")/../lib/common.sh"

if ! need_root || ! command -v podman >/dev/null; then
	skip all "needs root and podman"
	exit 0
fi

IMG=localhost/sw-sinks-test-$$
CT=sw-sinks-c1-$$
RECV=$TOP/tests/lib/http_receiver.py
# under SANITIZE=1, sanitizer reports go to files checked at the end (stderr is often discarded)
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$WORK/san"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$WORK/san"
BASE=$((20000 + RANDOM % 20000))
P_UP=$((BASE + 21)) P_DEAD=$((BASE + 22))
DAEMON_PID= RECV_PID= DEAD_PID=
EVENTS=$WORK/events.jsonl
cleanup() {
	[ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
	for p in $RECV_PID $DEAD_PID; do kill "$p" 2>/dev/null; done
	podman rm -f -t 0 "$CT" >/dev/null 2>&1
	podman rmi -f "$IMG:1" >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT

r=$WORK/rootfs
mkdir -p "$r/bin" "$r/tmp" "$r/etc"
chmod 1777 "$r/tmp"
cp /bin/busybox "$r/bin/busybox"
for a in sh true cp sleep chmod echo; do ln -s busybox "$r/bin/$a"; done
tar -C "$r" -cf "$WORK/rootfs.tar" . && podman import -q "$WORK/rootfs.tar" "$IMG:1" >/dev/null &&
	skopeo copy -q "containers-storage:$IMG:1" "oci:$WORK/oci:1" &&
	mkdir -p "$WORK/store" && "$SW" keygen -o "$WORK/k" >/dev/null 2>&1 &&
	"$SW" baseline --name "$IMG:1" "oci:$WORK/oci:1" -o "$WORK/store/img.jsonl" 2>/dev/null &&
	"$SW" sign --key "$WORK/k.key" "$WORK/store/img.jsonl" >/dev/null 2>&1 ||
	{ fail image-and-baseline; exit 0; }
pass image-and-baseline

start_receiver() { # PORT OUT [ARGS…]
	rm -f "$WORK/$1.pid"
	python3 "$RECV" "$1" "$2" --pidfile "$WORK/$1.pid" "${@:3}" >/dev/null 2>&1 &
	LAST_PID=$!
	for ((i = 0; i < 300; i++)); do
		[ -s "$WORK/$1.pid" ] && return 0
		sleep 0.1
	done
	return 1
}
start_receiver "$P_DEAD" "$WORK/dead.jsonl" --hang && DEAD_PID=$LAST_PID

# the live receiver is down when the daemon starts
"$SW" daemon --baseline-dir "$WORK/store" --trusted-key "$WORK/k.pub" \
	--output "file:$EVENTS" \
	--output "http://127.0.0.1:$P_UP/siem?spool=$WORK/spool&retry_max=1s&batch_wait=200ms" \
	--output "http://127.0.0.1:$P_DEAD/dead?timeout=600s&batch_wait=0ms" \
	2>"$WORK/daemon.log" &
DAEMON_PID=$!

wait_for daemon-started '.event.action == "start"' 20 || { sed 's/^/    /' "$WORK/daemon.log"; exit 0; }

podman run -d --name "$CT" --network none "$IMG:1" /bin/sleep 300 >/dev/null || { fail container; exit 0; }
# other tests may run containers at the same time: look at ours only
CID=$(podman inspect -f '{{.Id}}' "$CT")
# five alerts in a known order, each in the file sink although one HTTP receiver
# is down and the other never answers (it would hold a blocked pipeline 600 s:
# the default 30 s of wait_for is a hang guard far below that, not a timing test)
N=5
for ((i = 1; i <= N; i++)); do
	podman exec "$CT" /bin/sh -c "cp /bin/busybox /tmp/drop-$i && echo '#$i' >> /tmp/drop-$i && chmod 755 /tmp/drop-$i && /tmp/drop-$i true" >/dev/null 2>&1
	wait_for "alert-$i-prompt-in-file" ".container.id == \"$CID\" and .file.path == \"/tmp/drop-$i\" and .sealwatch.verdict == \"unknown\""
done
spooled_alerts() { cat "$WORK"/spool/seg-* 2>/dev/null | jq -s --arg c "$CID" '[.[] | select(.container.id == $c and .event.kind == "alert" and .event.action == "exec")] | length'; }
all_spooled() { [ "$(spooled_alerts)" -ge "$N" ]; }
wait_until 30 all_spooled
spooled=$(spooled_alerts)
[ "$spooled" = "$N" ] && pass alerts-spooled-while-receiver-down || fail alerts-spooled-while-receiver-down "$spooled of $N alerts on disk"

start_receiver "$P_UP" "$WORK/siem.jsonl" && RECV_PID=$LAST_PID
replayed() { [ -s "$WORK/siem.jsonl" ] && [ "$(jq -r .body "$WORK/siem.jsonl" | grep -c '"/tmp/drop-')" -ge "$N" ]; }
wait_until 60 replayed
# SIGTERM with the dead sink mid-transfer (its timeout 600 s): the documented
# 5 s flush deadline ends it; 60 s is the hang guard
kill "$DAEMON_PID"
daemon_gone() { ! kill -0 "$DAEMON_PID" 2>/dev/null; }
if wait_until 60 daemon_gone; then
	pass shutdown-bounded-with-dead-sink
	wait "$DAEMON_PID"
	rc=$?
else
	fail shutdown-bounded-with-dead-sink "still running 60 s after SIGTERM"
	kill -KILL "$DAEMON_PID"
	wait "$DAEMON_PID"
	rc=killed
fi
DAEMON_PID=
[ "$rc" = 0 ] && pass daemon-clean-exit || fail daemon-clean-exit "exit $rc"

# the receiver got exactly what the file got: same lines, once each, same order
jq -r .body "$WORK/siem.jsonl" | grep . >"$WORK/siem-lines.jsonl"
if cmp -s "$EVENTS" "$WORK/siem-lines.jsonl"; then
	pass http-got-every-event-once-in-order
else
	fail http-got-every-event-once-in-order "file $(wc -l <"$EVENTS") lines, receiver $(wc -l <"$WORK/siem-lines.jsonl")"
	diff <(jq -c '[.event.action, .file.path]' "$EVENTS") <(jq -c '[.event.action, .file.path]' "$WORK/siem-lines.jsonl") | head -n 10 | sed 's/^/    /'
fi
order=$(jq -r --arg c "$CID" 'select(.event.action == "exec" and .container.id == $c) | .file.path' "$WORK/siem-lines.jsonl" | tr '\n' ' ')
[ "$order" = "/tmp/drop-1 /tmp/drop-2 /tmp/drop-3 /tmp/drop-4 /tmp/drop-5 " ] && pass alerts-in-order ||
	fail alerts-in-order "$order"

# log rotation: the file output renamed away, SIGUSR1 reopens it (logrotate's
# postrotate); the daemon lives on, lines before go to the old file, after to the new
ROT=$WORK/rot.jsonl
EVENTS=$ROT
"$SW" daemon --baseline-dir "$WORK/store" --trusted-key "$WORK/k.pub" --output "file:$ROT" \
	2>"$WORK/daemon-rot.log" &
DAEMON_PID=$!
if wait_for rot-daemon-started '.event.action == "start"' 20; then
	drop() { podman exec "$CT" /bin/sh -c "cp /bin/busybox /tmp/$1 && echo '#$1' >> /tmp/$1 && chmod 755 /tmp/$1 && /tmp/$1 true" >/dev/null 2>&1; }
	drop rot-a
	wait_for rot-before ".container.id == \"$CID\" and .file.path == \"/tmp/rot-a\""
	mv "$ROT" "$ROT.1"
	kill -USR1 "$DAEMON_PID"
	kill -USR1 "$DAEMON_PID" # twice: a reopen with nothing written in between is harmless
	drop rot-b
	wait_for rot-new-file-after-sigusr1 ".container.id == \"$CID\" and .file.path == \"/tmp/rot-b\""
	kill -0 "$DAEMON_PID" 2>/dev/null && pass sigusr1-daemon-lives || fail sigusr1-daemon-lives "gone: $(tail -n 3 "$WORK/daemon-rot.log")"
	if grep -q '/tmp/rot-a' "$ROT.1" && ! grep -q '/tmp/rot-b' "$ROT.1" && ! grep -q '/tmp/rot-a' "$ROT" 2>/dev/null; then
		pass sigusr1-old-file-keeps-lines-before
	else
		fail sigusr1-old-file-keeps-lines-before "old: $(grep -c rot- "$ROT.1") new: $(grep -c rot- "$ROT" 2>/dev/null)"
	fi
	grep -q 'SIGUSR1' "$WORK/daemon-rot.log" && pass sigusr1-logged || fail sigusr1-logged "$(tail -n 3 "$WORK/daemon-rot.log")"
	kill "$DAEMON_PID"
	wait "$DAEMON_PID"
	rc=$?
	[ "$rc" = 0 ] && pass rot-daemon-clean-exit || fail rot-daemon-clean-exit "exit $rc"
else
	sed 's/^/    /' "$WORK/daemon-rot.log" | tail -n 5
fi
DAEMON_PID=
if ls "$WORK"/san.* >/dev/null 2>&1; then
	fail sanitizers-clean "$(cat "$WORK"/san.* | head -n 20)"
else
	pass sanitizers-clean
fi
exit 0
