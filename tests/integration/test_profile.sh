#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Learned behaviour (docs/profiles.md) for real: podman+runc containers of a
# service-like image, a profile learned then locked (by command, by
# stability), anomalies for a shell from the service, cat from a new parent
# and a new user (none an integrity alert), replicas quiet, a restart that
# keeps the profile, the deterministic export, a signed profile loaded
# locked, a tampered one refused, corrupt and oversized files refused.
source "$(dirname "$0")/../lib/common.sh"

if ! need_root || ! command -v podman >/dev/null || ! command -v skopeo >/dev/null; then
	skip all "needs root, podman and skopeo"
	exit 0
fi

IMG_A=localhost/sw-profile-a-$$
IMG_B=localhost/sw-profile-b-$$
CONTAINERS=()
DAEMON_PID=
EVENTS=$WORK/events.jsonl
P=$WORK/profiles
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

stop_daemon() {
	[ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
}
cleanup() {
	[ -n "${SW_KEEP_EVENTS:-}" ] && cat "$WORK"/events-*.jsonl "$EVENTS" >"$SW_KEEP_EVENTS" 2>/dev/null
	stop_daemon
	for c in "${CONTAINERS[@]}"; do podman rm -f -t 0 "$c" >/dev/null 2>&1; done
	podman rmi -f "$IMG_A:1" "$IMG_B:1" >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT

# --- a web-like service: serves a page, runs its health check, sleeps; it
# spawns a shell only while /tmp/spawn-shell exists (the attack)
make_rootfs() { # DIR MARKER
	local r=$1
	mkdir -p "$r/bin" "$r/etc" "$r/tmp" "$r/srv"
	chmod 1777 "$r/tmp"
	cp /bin/busybox "$r/bin/busybox"
	for a in sh true echo cat sleep id; do ln -s busybox "$r/bin/$a"; done
	printf '#!/bin/sh\nwhile :; do\n\t/bin/cat /srv/index.html >/dev/null\n\t/srv/health\n' >"$r/srv/web"
	printf '\t[ -e /tmp/spawn-shell ] && /bin/sh -c "/bin/true; true"\n\t/bin/sleep 0.2\ndone\n' >>"$r/srv/web"
	printf '#!/bin/sh\n/bin/echo ok >/dev/null\n' >"$r/srv/health"
	chmod 755 "$r/srv/web" "$r/srv/health"
	echo "hello $2" >"$r/srv/index.html"
	echo 'root:x:0:0:root:/root:/bin/sh' >"$r/etc/passwd"
}
mkdir -p "$WORK/store"
"$SW" keygen -o "$WORK/k" >/dev/null 2>&1
for x in a b; do
	img=$IMG_A
	[ $x = b ] && img=$IMG_B
	make_rootfs "$WORK/root-$x" "$x" && tar -C "$WORK/root-$x" -cf "$WORK/root-$x.tar" . &&
		podman import -q "$WORK/root-$x.tar" "$img:1" >/dev/null &&
		skopeo copy -q "containers-storage:$img:1" "oci:$WORK/oci-$x:1" &&
		"$SW" baseline --name "$img:1" "oci:$WORK/oci-$x:1" -o "$WORK/store/$x.jsonl" 2>/dev/null &&
		"$SW" sign --key "$WORK/k.key" "$WORK/store/$x.jsonl" >/dev/null 2>&1 ||
		{ fail build-images "$img"; exit 0; }
done
pass build-images
A_HEX=$(podman image inspect -f '{{.Id}}' "$IMG_A:1")
B_HEX=$(podman image inspect -f '{{.Id}}' "$IMG_B:1")
A_ID=sha256:$A_HEX
B_ID=sha256:$B_HEX

start_daemon() { # PROFILE-DIR [FLAGS…]
	local dir=$1
	shift
	"$SW" daemon --baseline-dir "$WORK/store" --trusted-key "$WORK/k.pub" --all-events \
		--profile-dir "$dir" --metrics-listen "127.0.0.1:$PORT" --output "file:$EVENTS" \
		"$@" 2>>"$WORK/daemon.log" &
	DAEMON_PID=$!
	wait_until 30 grep -qs '"action":"start"' "$EVENTS"
}
run_c() { # NAME IMAGE — the service, detached
	podman run -d --name "$1" --network none "$2:1" /srv/web >/dev/null && CONTAINERS+=("$1")
}
cid() { podman inspect -f '{{.Id}}' "$1"; }
metric() { # NAME{LABELS} → value
	curl -s "http://127.0.0.1:$PORT/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}
metric_is() { [ "$(metric "$1")" = "$2" ]; }
anomalies_of() { count ".container.id == \"$1\" and .sealwatch.verdict == \"anomaly\""; }
integrity_alerts_of() {
	count ".container.id == \"$1\" and (.sealwatch.verdict | IN(\"modified\",\"unknown\",\"fileless\",\"unverified\",\"tamper\",\"no_baseline\",\"image_mismatch\"))"
}
# loops NAME N: container NAME ran its health check N times (ok events)
loops() { [ "$(count ".container.id == \"$1\" and .file.path == \"/srv/health\" and .sealwatch.verdict == \"ok\"")" -ge "$2" ]; }
show() { "$SW" profile show --profile-dir "$P" "$1"; }

# --- 1. learning (stability far away: only the command locks)
start_daemon "$P" || { fail daemon-started "$(tail -n 5 "$WORK/daemon.log")"; exit 0; }
pass daemon-started
run_c c1-$$ "$IMG_A"
C1=$(cid c1-$$)
wait_until 60 loops "$C1" 5 && pass learning-service-runs || fail learning-service-runs
wait_until 30 sh -c "'$SW' profile show --profile-dir '$P' $A_ID 2>/dev/null | grep -q '\"child\": \"/bin/sleep\"'"
show "$A_ID" >"$WORK/show1" 2>&1
if head -n 1 "$WORK/show1" | grep -q ': learning,' &&
	grep -q '"parent": "/srv/web"' "$WORK/show1" && grep -q '"child": "/srv/health"' "$WORK/show1" &&
	grep -q '"path": "/bin/sh"' "$WORK/show1"; then
	pass learned-elements
else
	fail learned-elements "$(head -c 600 "$WORK/show1")"
fi
[ "$(anomalies_of "$C1")" = 0 ] && pass no-anomaly-while-learning || fail no-anomaly-while-learning

# --- 2. locked by command; the daemon takes it in
expect_exit lock-command 0 "$SW" profile lock --profile-dir "$P" "${A_HEX:0:12}"
wait_until 30 metric_is 'sealwatch_profiles{state="locked"}' 1 && pass lock-taken-in ||
	fail lock-taken-in "metric: $(metric 'sealwatch_profiles{state="locked"}')"

# --- 3. after locking: each an anomaly, none an integrity alert
podman exec c1-$$ /bin/sh -c ': >/tmp/spawn-shell'
wait_for shell-from-service ".container.id == \"$C1\" and .sealwatch.verdict == \"anomaly\" and .sealwatch.anomaly.parent == \"/srv/web\" and .sealwatch.anomaly.executable == \"/bin/sh\" and (.sealwatch.anomaly.new | index(\"edge\"))" 60
podman exec c1-$$ /bin/sh -c '/bin/cat /etc/passwd >/dev/null; true'
wait_for cat-from-new-parent ".container.id == \"$C1\" and .sealwatch.verdict == \"anomaly\" and .sealwatch.anomaly.executable == \"/bin/cat\" and .sealwatch.anomaly.parent != \"/srv/web\" and (.sealwatch.anomaly.new | index(\"edge\"))" 60
podman exec --user 4321 c1-$$ /bin/id >/dev/null
wait_for new-user ".container.id == \"$C1\" and .sealwatch.verdict == \"anomaly\" and .user.id == \"4321\" and (.sealwatch.anomaly.new | index(\"user\"))" 60
wait_for anomaly-shape ".sealwatch.verdict == \"anomaly\" and .event.kind == \"alert\" and .event.severity == 21 and .rule.name == \"sealwatch.anomaly\" and .sealwatch.anomaly.profile.signed == false and .sealwatch.anomaly.profile.size.executables > 0 and .sealwatch.anomaly.profile.age_s >= 0 and .container.image.id == \"$A_ID\"" 5
[ "$(integrity_alerts_of "$C1")" = 0 ] && pass attacks-not-integrity-alerts ||
	fail attacks-not-integrity-alerts "$(integrity_alerts_of "$C1")"

# --- 4. replicas doing what was learned: no anomaly
run_c r1-$$ "$IMG_A"
run_c r2-$$ "$IMG_A"
R1=$(cid r1-$$)
R2=$(cid r2-$$)
wait_until 60 loops "$R1" 10 && wait_until 60 loops "$R2" 10 && pass replicas-run || fail replicas-run
[ "$(anomalies_of "$R1")" = 0 ] && [ "$(anomalies_of "$R2")" = 0 ] && pass replicas-no-anomaly ||
	fail replicas-no-anomaly "$(anomalies_of "$R1") / $(anomalies_of "$R2")"
expect_exit export-1 0 "$SW" profile export --profile-dir "$P" "$A_ID" -o "$WORK/export1.json"

# --- 5. restart: the profile stays locked; B learns and locks by stability
stop_daemon
mv "$EVENTS" "$WORK/events-1.jsonl"
start_daemon "$P" --profile-quiet 2 --profile-min-execs 10 ||
	{ fail restarted "$(tail -n 5 "$WORK/daemon.log")"; exit 0; }
run_c r3-$$ "$IMG_A"
R3=$(cid r3-$$)
wait_until 60 loops "$R3" 10 && [ "$(anomalies_of "$R3")" = 0 ] && pass restart-replica-no-anomaly ||
	fail restart-replica-no-anomaly "$(anomalies_of "$R3")"
podman exec --user 4322 r3-$$ /bin/id >/dev/null
wait_for restart-keeps-profile ".container.id == \"$R3\" and .sealwatch.verdict == \"anomaly\" and .user.id == \"4322\"" 60
run_c b1-$$ "$IMG_B"
B1=$(cid b1-$$)
wait_until 90 metric_is 'sealwatch_profiles{state="locked"}' 2 && pass lock-by-stability ||
	fail lock-by-stability "$(curl -s "http://127.0.0.1:$PORT/metrics" | grep profile)"
show "$B_ID" | head -n 1 | grep -q ': locked,' && pass stability-lock-persisted || fail stability-lock-persisted
podman exec --user 4323 b1-$$ /bin/id >/dev/null
wait_for stability-locked-anomaly ".container.id == \"$B1\" and .sealwatch.verdict == \"anomaly\" and .user.id == \"4323\"" 60
[ "$(metric sealwatch_profile_elements)" -gt 0 ] && pass metrics-elements || fail metrics-elements
check_schema schema "$EVENTS"
stop_daemon

# --- 6. export: the same bytes every time (and after the restart)
expect_exit export-2 0 "$SW" profile export --profile-dir "$P" "$A_ID" -o "$WORK/export2.json"
"$SW" profile export --profile-dir "$P" "$A_ID" >"$WORK/export3.json"
cmp -s "$WORK/export1.json" "$WORK/export2.json" && cmp -s "$WORK/export2.json" "$WORK/export3.json" &&
	pass export-deterministic || fail export-deterministic "$(diff "$WORK/export1.json" "$WORK/export2.json" | head -5)"
"$SW" profile export --profile-dir "$P" "$B_ID" -o "$WORK/exportb.json"

# --- 7. signed profiles: A loads locked and is never relearned; a tampered B is refused
P2=$WORK/signed
mkdir -p "$P2"
cp "$WORK/export1.json" "$P2/$A_HEX.json"
"$SW" sign --key "$WORK/k.key" "$P2/$A_HEX.json" >/dev/null 2>&1
cp "$WORK/exportb.json" "$P2/$B_HEX.json"
"$SW" sign --key "$WORK/k.key" "$P2/$B_HEX.json" >/dev/null 2>&1
sed -i 's#"/srv/web"#"/srv/wfb"#' "$P2/$B_HEX.json"
expect_exit signed-unlock-refused 4 "$SW" profile unlock --profile-dir "$P2" "$A_ID"
mv "$EVENTS" "$WORK/events-2.jsonl"
start_daemon "$P2" --profile-quiet 1 --profile-min-execs 1 ||
	{ fail signed-start "$(tail -n 5 "$WORK/daemon.log")"; exit 0; }
podman exec --user 4324 r1-$$ /bin/id >/dev/null
wait_for signed-anomaly ".container.id == \"$R1\" and .sealwatch.verdict == \"anomaly\" and .user.id == \"4324\" and .sealwatch.anomaly.profile.signed == true" 60
wait_until 60 loops "$R2" 10 && [ "$(anomalies_of "$R2")" = 0 ] && pass signed-replica-no-anomaly ||
	fail signed-replica-no-anomaly "$(anomalies_of "$R2")"
wait_for tampered-refused ".event.action == \"profile_refused\" and .sealwatch.image_id == \"$B_ID\" and (.sealwatch.reason | test(\"signature|verif\"))" 60
[ "$(anomalies_of "$B1")" = 0 ] && pass tampered-not-used || fail tampered-not-used
cmp -s "$WORK/export1.json" "$P2/$A_HEX.json" && pass signed-never-rewritten || fail signed-never-rewritten
stop_daemon

# --- 8. corrupt and oversized profile files: refused with a clear error, no crash
P3=$WORK/bad
mkdir -p "$P3"
printf '{"sealwatch_profile":1,"image_id":' >"$P3/$A_HEX.json"
head -c $((5 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$P3/$B_HEX.json"
mv "$EVENTS" "$WORK/events-3.jsonl"
start_daemon "$P3" || { fail bad-start "$(tail -n 5 "$WORK/daemon.log")"; exit 0; }
wait_for corrupt-refused ".event.action == \"profile_refused\" and .sealwatch.image_id == \"$A_ID\" and .event.kind == \"alert\"" 60
wait_for oversized-refused ".event.action == \"profile_refused\" and .sealwatch.image_id == \"$B_ID\" and (.sealwatch.reason | test(\"larger than\"))" 60
wait_until 60 loops "$R2" 5
kill -0 "$DAEMON_PID" 2>/dev/null && pass bad-files-no-crash || fail bad-files-no-crash
[ "$(count '.sealwatch.verdict == "anomaly"')" = 0 ] && pass bad-files-no-anomaly || fail bad-files-no-anomaly
[ "$(head -c 40 "$P3/$A_HEX.json")" = '{"sealwatch_profile":1,"image_id":' ] && pass corrupt-kept ||
	fail corrupt-kept
expect_exit show-corrupt 3 "$SW" profile show --profile-dir "$P3" "$A_ID"
stop_daemon

# every daemon run of this file stopped cleanly (under SANITIZE=1: no sanitizer report, no leak)
if grep -q 'Sanitizer' "$WORK/daemon.log"; then
	fail daemon-log-clean "$(grep -m 3 -A 12 'Sanitizer' "$WORK/daemon.log")"
else
	pass daemon-log-clean
fi
