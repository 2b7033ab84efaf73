#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Prevention by baseline (issue 13), fanotify backend, real podman+runc
# containers: one image under three names, one scope each (enforce, audit,
# monitor), the daemon in enforce mode by default. Each attack is run inside
# the container and asserted twice: the errno the process got (enforce_try
# exits 100 + errno) and the daemon's JSON event. Then the failure cases: the
# daemon SIGSTOPped (its watchdog process answers) and killed (the kernel
# releases the events). No timing assertions: waits are hang guards.
source "$(dirname "$0")/../lib/common.sh"

if ! need_root || ! command -v podman >/dev/null || ! command -v gcc >/dev/null; then
	skip all "needs root, podman and gcc"
	exit 0
fi

IMG=localhost/swen-enf
AUD=localhost/swen-aud
MON=localhost/swen-mon
IMG1_ID=
CONTAINERS=()
DAEMON_PID=
EVENTS=$WORK/events.jsonl

cleanup() {
	[ -n "${SW_KEEP_EVENTS:-}" ] && cp "$EVENTS" "$SW_KEEP_EVENTS" 2>/dev/null
	if [ -n "$DAEMON_PID" ]; then
		kill -CONT "$DAEMON_PID" 2>/dev/null
		kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
	fi
	for c in "${CONTAINERS[@]}"; do podman rm -f -t 0 "$c" >/dev/null 2>&1; done
	podman rmi -f "$IMG:1" "$AUD:1" "$MON:1" ${IMG1_ID:+"$IMG1_ID"} >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT

# --- a usr-merged image: busybox, a dynamic program and its library, scripts
H=$TOP/tests/integration/helpers
gcc -O2 -shared -fPIC -o "$WORK/libsw.so" "$H/doors_lib.c" &&
	gcc -O2 -shared -fPIC -DSW_VALUE=666 -o "$WORK/evil.so" "$H/doors_lib.c" &&
	gcc -O2 -o "$WORK/dyn" "$H/doors_dyn.c" -L"$WORK" -lsw -Wl,-rpath,/usr/lib &&
	gcc -O2 -static -o "$WORK/enforce_try" "$H/enforce_try.c" &&
	gcc -O2 -static -o "$WORK/fileless_exec" "$H/fileless_exec.c" ||
	{ fail build-helpers "gcc failed"; exit 0; }
R=$WORK/rootfs
mkdir -p "$R/usr/bin" "$R/usr/lib/x86_64-linux-gnu" "$R/usr/lib64" "$R/etc" "$R/tmp"
chmod 1777 "$R/tmp"
ln -s usr/bin "$R/bin"
ln -s usr/lib "$R/lib"
ln -s usr/lib64 "$R/lib64"
cp /bin/busybox "$R/usr/bin/busybox"
for a in sh cat cp echo sleep true false ln mv rm chmod env; do ln -s busybox "$R/usr/bin/$a"; done
cp -L /lib64/ld-linux-x86-64.so.2 "$R/usr/lib64/ld-linux-x86-64.so.2"
cp -L /lib/x86_64-linux-gnu/libc.so.6 "$R/usr/lib/x86_64-linux-gnu/libc.so.6"
cp "$WORK/libsw.so" "$R/usr/lib/libsw.so"
cp "$WORK/dyn" "$WORK/enforce_try" "$WORK/fileless_exec" "$R/usr/bin/"
for t in v1 v2 v3 v4; do cp /bin/busybox "$R/usr/bin/$t"; done
printf '#!/bin/sh\necho hello\n' >"$R/usr/bin/hello.sh"
chmod 755 "$R/usr/bin/hello.sh"
echo 'root:x:0:0:root:/root:/bin/sh' >"$R/etc/passwd"
tar -C "$R" -cf "$WORK/rootfs.tar" . && podman import -q "$WORK/rootfs.tar" "$IMG:1" >/dev/null &&
	podman tag "$IMG:1" "$AUD:1" "$MON:1" || { fail build-image; exit 0; }
IMG1_ID=$(podman image inspect -f '{{.Id}}' "$IMG:1")
"$SW" keygen -o "$WORK/k" >/dev/null 2>&1
mkdir -p "$WORK/store"
skopeo copy -q "containers-storage:$IMG:1" "oci:$WORK/oci:1" &&
	"$SW" baseline --name "$IMG:1" "oci:$WORK/oci:1" -o "$WORK/store/enf.jsonl" 2>/dev/null &&
	"$SW" sign --key "$WORK/k.key" "$WORK/store/enf.jsonl" >/dev/null 2>&1 ||
	{ fail baseline-image; exit 0; }
pass build-image

# the attacker's files, on a volume (the node's filesystem)
mkdir -p "$WORK/hb"
cp "$WORK/evil.so" "$WORK/hb/evil.so"
cp /bin/busybox "$WORK/hb/evilbin"
echo '#x' >>"$WORK/hb/evilbin"

run_c() { # NAME IMAGE
	podman run -d --runtime runc --name "$1" --network none -v "$WORK/hb:/hb:ro" "$2" \
		/bin/sleep 600 >/dev/null && CONTAINERS+=("$1")
}
cid() { podman inspect -f '{{.Id}}' "$1"; }

# Every container gets the same attacker's files before the daemon starts (with
# --enforce-libraries, even reading an unknown shared object is decided).
prepare() { # CONTAINER
	podman exec "$1" sh -c '
		cp /bin/busybox /tmp/dropped && echo "#x" >>/tmp/dropped && chmod 755 /tmp/dropped
		cp /bin/busybox /tmp/copy
		cat /tmp/dropped >/usr/bin/v1
		cp /tmp/dropped /tmp/renamed && mv /tmp/renamed /usr/bin/v2
		ln -s /tmp/dropped /tmp/link
		ln /usr/bin/v1 /tmp/hardlink
		cp /hb/evil.so /tmp/evil.so
		cp /usr/bin/dyn /tmp/dyn-copy
		echo "echo pwned" >>/usr/bin/hello.sh' >/dev/null 2>&1
}
for c in swen-enf-a:$IMG:1 swen-enf-b:$AUD:1 swen-enf-c:$MON:1; do
	run_c "${c%%:*}" "${c#*:}" && prepare "${c%%:*}" ||
		{ fail "start-${c%%:*}"; exit 0; }
done
A=$(cid swen-enf-a)
B=$(cid swen-enf-b)
Cm=$(cid swen-enf-c)

PORT=$((20000 + RANDOM % 20000))
start_daemon() {
	: >"$EVENTS"
	"$SW" daemon --baseline-dir "$WORK/store" --trusted-key "$WORK/k.pub" \
		--output "file:$EVENTS" --fold-window 0 --mode enforce --enforce-libraries \
		--scope "image:$AUD*=audit" --scope "image:$MON*=monitor" \
		--metrics-listen "127.0.0.1:$PORT" \
		${SW_ENFORCE_ARGS:-} 2>"$WORK/daemon.log" &
	DAEMON_PID=$!
	wait_until 60 grep -qs '"action":"start"' "$EVENTS"
}
start_daemon && pass daemon-started ||
	{ fail daemon-started; sed 's/^/    /' "$WORK/daemon.log"; exit 0; }

# try NAME CONTAINER WANT_EXIT CMD…: run CMD in the container, assert its exit code
try() {
	local name=$1 c=$2 want=$3 got
	shift 3
	timeout 60 podman exec "$c" "$@" >"$WORK/out" 2>&1
	got=$?
	if [ "$got" = "$want" ]; then
		pass "$name"
	else
		fail "$name" "exit $got, expected $want: $*"
		sed 's/^/    /' "$WORK/out" | tail -n 5
	fi
}
EPERM=101 # enforce_try: 100 + errno
# decided NAME CID DECISION VERDICT PATH [ACTION]: the daemon's event of it
decided() {
	local f=".container.id == \"$2\" and .sealwatch.decision == \"$3\" and .sealwatch.verdict == \"$4\" and .file.path == \"$5\" and .event.action == \"${6:-exec}\""
	case $3 in
	denied) f="$f and .event.outcome == \"failure\" and (.event.type | index(\"denied\"))" ;;
	*) f="$f and .event.outcome == \"success\"" ;;
	esac
	wait_for "$1" "$f"
}

# ---- enforce: image files keep running, everything else is denied with EPERM
try image-binary-runs swen-enf-a 0 enforce_try /bin/true
try image-dynamic-program-and-library-run swen-enf-a 0 /usr/bin/dyn
grep -qx 42 "$WORK/out" && pass image-library-loaded || fail image-library-loaded "$(cat "$WORK/out")"
try image-shell-runs swen-enf-a 0 /usr/bin/enforce_try /bin/sh sh -c 'exit 0'

try swapped-binary-denied swen-enf-a $EPERM enforce_try /usr/bin/v1
decided swapped-binary-event "$A" denied modified /usr/bin/v1
try dropped-binary-denied swen-enf-a $EPERM enforce_try /tmp/dropped
decided dropped-binary-event "$A" denied unknown /tmp/dropped
try exact-copy-elsewhere-denied swen-enf-a $EPERM enforce_try /tmp/copy
decided exact-copy-event "$A" denied unknown /tmp/copy
try renamed-over-image-binary-denied swen-enf-a $EPERM enforce_try /usr/bin/v2
decided renamed-over-event "$A" denied modified /usr/bin/v2
try symlink-to-dropped-denied swen-enf-a $EPERM enforce_try /tmp/link
try relative-path-denied swen-enf-a $EPERM sh -c 'cd /tmp && exec enforce_try ./dropped'
try dotdot-path-denied swen-enf-a $EPERM enforce_try /usr/lib/../../tmp/dropped
try hardlink-of-swapped-denied swen-enf-a $EPERM enforce_try /tmp/hardlink
try volume-binary-denied swen-enf-a $EPERM enforce_try /hb/evilbin
decided volume-binary-event "$A" denied unknown /hb/evilbin
try shell-exec-denied swen-enf-a 126 sh -c '/tmp/dropped true'
try tampered-script-denied swen-enf-a $EPERM enforce_try /usr/bin/hello.sh
decided tampered-script-event "$A" denied modified /usr/bin/hello.sh
try deleted-file-exec-denied swen-enf-a 5 fileless_exec deleted /bin/busybox true
grep -q "Operation not permitted" "$WORK/out" && pass deleted-file-errno ||
	fail deleted-file-errno "$(cat "$WORK/out")"
wait_for deleted-file-event ".container.id == \"$A\" and .sealwatch.decision == \"denied\" and .sealwatch.verdict == \"fileless\" and .event.outcome == \"failure\""
# LD_PRELOAD of a dropped library: ld.so cannot open it (EPERM) and ignores it
try preload-dropped-library swen-enf-a 0 env LD_PRELOAD=/tmp/evil.so /usr/bin/dyn
grep -qx 42 "$WORK/out" && grep -q "cannot be preloaded" "$WORK/out" &&
	pass preload-dropped-library-not-loaded || fail preload-dropped-library-not-loaded "$(cat "$WORK/out")"
decided preload-event "$A" denied unknown /tmp/evil.so mmap_exec
try dlopen-dropped-library swen-enf-a 1 /usr/bin/dyn dlopen /tmp/evil.so
# the loader trick: ld.so runs a program it opens itself (no exec of the program)
try loader-trick-denied swen-enf-a 127 /lib64/ld-linux-x86-64.so.2 /tmp/dyn-copy
decided loader-trick-event "$A" denied unknown /tmp/dyn-copy mmap_exec
# memfd: the file lives on the kernel's internal shmem mount, which no fanotify
# mark can reach; the exec tracepoint kills it (SIGKILL before the new image
# runs: podman exec says 137), the daemon reports it denied
try memfd-exec-killed swen-enf-a 137 fileless_exec memfd /bin/busybox true
wait_for memfd-exec-denied-event ".container.id == \"$A\" and .sealwatch.verdict == \"fileless\" and (.sealwatch.reason | test(\"memfd\")) and .sealwatch.decision == \"denied\" and .event.outcome == \"failure\" and (.event.type | index(\"denied\"))"

# ---- audit: the same attacks run; the events say they would be denied
try audit-swapped-binary-runs swen-enf-b 0 enforce_try /usr/bin/v1 true
decided audit-swapped-binary-event "$B" would_deny modified /usr/bin/v1
try audit-dropped-binary-runs swen-enf-b 0 enforce_try /tmp/dropped true
decided audit-dropped-binary-event "$B" would_deny unknown /tmp/dropped
try audit-tampered-script-runs swen-enf-b 0 enforce_try /usr/bin/hello.sh
decided audit-tampered-script-event "$B" would_deny modified /usr/bin/hello.sh
try audit-preload-loaded swen-enf-b 0 env LD_PRELOAD=/tmp/evil.so /usr/bin/dyn
grep -qx 666 "$WORK/out" && pass audit-preload-library-loaded || fail audit-preload-library-loaded "$(cat "$WORK/out")"
decided audit-preload-event "$B" would_deny unknown /tmp/evil.so mmap_exec
try audit-memfd-runs swen-enf-b 0 fileless_exec memfd /bin/busybox true
wait_for audit-memfd-event ".container.id == \"$B\" and .sealwatch.verdict == \"fileless\" and (.sealwatch.reason | test(\"memfd\")) and .sealwatch.decision == \"would_deny\" and .event.outcome == \"success\""

# ---- monitor beside them: runs, reported by the exec monitor, no decision
try monitor-dropped-binary-runs swen-enf-c 0 enforce_try /tmp/dropped true
wait_for monitor-dropped-reported ".container.id == \"$Cm\" and .sealwatch.verdict == \"unknown\" and .file.path == \"/tmp/dropped\" and (.sealwatch.decision | not)"
# ---- audit: one event per finding (the backend's would_deny), not the monitor's as well
for p in /usr/bin/v1 /tmp/dropped /usr/bin/hello.sh; do
	n=$(jq -s "[.[] | select(.container.id == \"$B\" and .file.path == \"$p\" and (.sealwatch.verdict == \"modified\" or .sealwatch.verdict == \"unknown\"))] | length" "$EVENTS")
	if [ "$n" = 1 ]; then pass "audit-one-event-$p"; else fail "audit-one-event-$p" "$n events"; fi
done
if jq -e -s "[.[] | select(.container.id == \"$Cm\" and .sealwatch.decision)] | length == 0" "$EVENTS" >/dev/null; then
	pass monitor-scope-no-decisions
else
	fail monitor-scope-no-decisions
fi

# ---- no decision fell back while the daemon ran normally (each was decided)
if jq -e -s '[.[] | select(.event.action == "decision_deadline")] | length == 0' "$EVENTS" >/dev/null; then
	pass no-fallbacks-while-running
else
	fail no-fallbacks-while-running "$(jq -c 'select(.event.action == "decision_deadline") | .message' "$EVENTS" | head -3)"
fi
# ---- metrics of the decisions (sampled once a second)
metric() { curl -s "http://127.0.0.1:$PORT/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
denied_metric() { [ "$(metric 'sealwatch_enforce_decisions_total{decision="denied"}')" -ge 10 ] 2>/dev/null; }
if wait_until 30 denied_metric; then pass metrics-denials; else fail metrics-denials "$(curl -s "http://127.0.0.1:$PORT/metrics" | grep enforce | head)"; fi
if curl -s "http://127.0.0.1:$PORT/metrics" | grep -q '^sealwatch_enforce_decision_seconds_bucket{le="+Inf"} [1-9]'; then
	pass metrics-latency-histogram
else
	fail metrics-latency-histogram
fi

# ---- the daemon SIGSTOPped: its watchdog process answers (allow) after the deadline
ms_since() { echo "$1 $EPOCHREALTIME" | awk '{printf "%.0f", ($2 - $1) * 1000}'; }
kill -STOP "$DAEMON_PID"
t0=$EPOCHREALTIME
if timeout 30 /bin/true; then pass host-exec-while-daemon-stopped; else fail host-exec-while-daemon-stopped; fi
echo "INFO: first host exec after SIGSTOP: $(ms_since "$t0") ms (the watchdog takes over after the 3000 ms deadline)"
t0=$EPOCHREALTIME
timeout 30 /bin/true
echo "INFO: next host exec while stopped (the watchdog answering): $(ms_since "$t0") ms"
try container-exec-while-daemon-stopped swen-enf-a 0 enforce_try /bin/true
try dropped-allowed-while-daemon-stopped swen-enf-a 0 enforce_try /tmp/dropped true
kill -CONT "$DAEMON_PID"
try enforcing-again-after-sigcont swen-enf-a $EPERM enforce_try /tmp/dropped

# ---- the daemon killed while an exec waits for it: the kernel releases the event.
# A daemon whose deadline is long, so that neither its watchdog nor its
# deadline answers the held exec before the kill (the check is that the kill
# releases it, not how fast the machine is)
kill "$DAEMON_PID" && wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=
wait_until 30 sh -c '! pgrep -x sealwatch-wd >/dev/null'
SW_ENFORCE_ARGS="--decision-deadline 60000" start_daemon ||
	fail restart-long-deadline "$(tail -n 3 "$WORK/daemon.log")"
kill -STOP "$DAEMON_PID"
(/bin/true && echo "$EPOCHREALTIME" >"$WORK/released") &
PEND=$!
pending=no
# bash builtins only (an exec would wait too): is it held in the permission event?
end=$((SECONDS + 30)) # a hang guard
while ((SECONDS < end)); do
	kid= w=
	read -r kid _ <"/proc/$PEND/task/$PEND/children" 2>/dev/null # the subshell's /bin/true
	[ -n "$kid" ] && read -r w <"/proc/$kid/wchan" 2>/dev/null # no newline: read fails, w is set
	[ -e "/proc/$PEND" ] || break
	case $w in *fanotify*) pending=yes && break ;; esac
done
kill -KILL "$DAEMON_PID"
t0=$EPOCHREALTIME
wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=
if [ $pending = yes ] && wait_until 30 test -s "$WORK/released"; then
	pass pending-exec-released-when-daemon-killed
	read -r t1 <"$WORK/released"
	echo "INFO: an exec held by the stopped daemon ran $(echo "$t0 $t1" | awk '{printf "%.0f", ($2 - $1) * 1000}') ms after SIGKILL (its watchdog left with it: the kernel released the event)"
else
	fail pending-exec-released-when-daemon-killed "held in fanotify: $pending"
fi
wait "$PEND" 2>/dev/null
if timeout 30 /bin/true; then pass host-exec-after-daemon-killed; else fail host-exec-after-daemon-killed; fi
try container-exec-after-daemon-killed swen-enf-a 0 enforce_try /tmp/dropped true
if wait_until 30 sh -c '! pgrep -x sealwatch-wd >/dev/null'; then pass watchdog-gone-with-daemon; else fail watchdog-gone-with-daemon; fi

# ---- every event of the run (denied, would_deny, decision_deadline, …) fits docs/events.schema.json
if python3 -c 'import jsonschema' 2>/dev/null; then
	if python3 - "$TOP/docs/events.schema.json" "$EVENTS" <<'PY'; then pass events-fit-schema; else fail events-fit-schema; fi
import json, sys, jsonschema
v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
bad = 0
for line in open(sys.argv[2]):
    for e in v.iter_errors(json.loads(line)):
        bad += 1
        if bad < 4:
            print("    %s: %s" % (list(e.path), e.message[:200]))
sys.exit(1 if bad else 0)
PY
else
	skip events-fit-schema "python3-jsonschema not installed"
fi

# ---- reloadable: a config file in audit, then SIGHUP with enforce
EVENTS=$WORK/events-reload.jsonl
write_cfg() { # MODE
	cat >"$WORK/cfg.json" <<JSON
{"baseline_dir": "$WORK/store", "trusted_keys": ["$WORK/k.pub"], "outputs": ["file:$EVENTS"],
 "fold_window": 0, "mode": "$1", "scopes": ["image:$MON*=monitor"], "decision_deadline_ms": 5000}
JSON
}
write_cfg audit
"$SW" daemon --config "$WORK/cfg.json" 2>>"$WORK/daemon.log" &
DAEMON_PID=$!
if wait_until 60 grep -qs '"action":"start"' "$EVENTS"; then
	try reload-audit-runs swen-enf-a 0 enforce_try /tmp/dropped true
	decided reload-audit-event "$A" would_deny unknown /tmp/dropped
	write_cfg enforce
	kill -HUP "$DAEMON_PID"
	wait_for reload-applied '.event.action == "config_reloaded"'
	try reload-enforce-denies swen-enf-a $EPERM enforce_try /tmp/dropped true
	decided reload-enforce-event "$A" denied unknown /tmp/dropped
	try reload-monitor-scope-kept swen-enf-c 0 enforce_try /tmp/dropped true
else
	fail reload-daemon-started "$(tail -3 "$WORK/daemon.log")"
fi

# ---- a swapped image under the baselined name: image_mismatch, every exec denied
echo swapped >"$R/etc/swapped"
tar -C "$R" -cf "$WORK/rootfs2.tar" . && podman import -q "$WORK/rootfs2.tar" "$IMG:1" >/dev/null ||
	fail build-swapped-image
timeout 60 podman run --rm --runtime runc --network none --name swen-enf-swap "$IMG:1" /bin/true \
	>"$WORK/out" 2>&1
got=$?
CONTAINERS+=(swen-enf-swap)
if [ "$got" != 0 ]; then pass swapped-image-entrypoint-denied; else fail swapped-image-entrypoint-denied "it ran"; fi
wait_for swapped-image-event '.container.name == "swen-enf-swap" and .sealwatch.verdict == "image_mismatch" and .sealwatch.decision == "denied"'
