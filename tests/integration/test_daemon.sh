#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The daemon end to end: real BPF in this kernel, real podman+runc containers,
# images baselined and signed here, assertions on the daemon's JSON output.
source "$(dirname "$0")/../lib/common.sh"

if ! need_root || ! command -v podman >/dev/null; then
	skip all "needs root and podman"
	exit 0
fi

IMG=localhost/sw-daemon-test-$$
IMG_USRMERGE=localhost/sw-daemon-usrmerge-$$
IMG_NOBASE=localhost/sw-daemon-nobase-$$
CONTAINERS=()
DAEMON_PID=
EVENTS=$WORK/events.jsonl

cleanup() {
	[ -n "${SW_KEEP_EVENTS:-}" ] && cp "$EVENTS" "$SW_KEEP_EVENTS" 2>/dev/null
	[ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
	for c in "${CONTAINERS[@]}"; do podman rm -f -t 0 "$c" >/dev/null 2>&1; done
	podman rmi -f "$IMG:1" "$IMG_USRMERGE:1" "$IMG_NOBASE:1" >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT

# --- images: busybox-static rootfs + a static helper; a usr-merged variant; one unbaselined
gcc -static -O2 -o "$WORK/fileless_exec" "$TOP/tests/integration/helpers/fileless_exec.c" || {
	fail build-helper "gcc -static failed"
	exit 0
}
make_rootfs() { # DIR usrmerge?
	local r=$1 bin=$1/bin
	mkdir -p "$r/etc" "$r/tmp" "$r/usr/local/bin"
	chmod 1777 "$r/tmp"
	if [ "${2:-}" = usrmerge ]; then
		mkdir -p "$r/usr/bin"
		ln -s usr/bin "$r/bin"
		bin=$r/usr/bin
	else
		mkdir -p "$bin"
	fi
	cp /bin/busybox "$bin/busybox"
	for a in sh true echo cat cp sleep chmod seq; do ln -s busybox "$bin/$a"; done
	cp /bin/busybox "$r/usr/local/bin/tool"
	cp "$WORK/fileless_exec" "$r/usr/local/bin/fileless_exec"
	printf '#!/bin/sh\necho script\n' >"$r/usr/local/bin/hello.sh"
	chmod 755 "$r/usr/local/bin/hello.sh"
	echo 'root:x:0:0:root:/root:/bin/sh' >"$r/etc/passwd"
}
build_image() { # NAME usrmerge?
	local d=$WORK/rootfs-$RANDOM
	make_rootfs "$d" "${2:-}"
	tar -C "$d" -cf "$d.tar" . && podman import -q "$d.tar" "$1:1" >/dev/null
}
build_image "$IMG" && build_image "$IMG_USRMERGE" usrmerge && build_image "$IMG_NOBASE" ||
	{ fail build-images; exit 0; }
pass build-images

mkdir -p "$WORK/store"
"$SW" keygen -o "$WORK/k" >/dev/null 2>&1 && "$SW" keygen -o "$WORK/other" >/dev/null 2>&1
for i in "$IMG" "$IMG_USRMERGE"; do
	n=$(basename "$i")
	skopeo copy -q "containers-storage:$i:1" "oci:$WORK/$n:1" &&
		"$SW" baseline --name "$i:1" "oci:$WORK/$n:1" -o "$WORK/store/$n.jsonl" 2>/dev/null &&
		"$SW" sign --key "$WORK/k.key" "$WORK/store/$n.jsonl" >/dev/null 2>&1 ||
		{ fail baseline-images "$i"; exit 0; }
done
# (i) a tampered and an unsigned baseline in the store are refused
cp "$WORK/store/$(basename "$IMG").jsonl" "$WORK/store/tampered.jsonl"
cp "$WORK/store/$(basename "$IMG").jsonl.sig" "$WORK/store/tampered.jsonl.sig"
sed -i '2s/"uid":0/"uid":1/' "$WORK/store/tampered.jsonl"
head -n 3 "$WORK/store/$(basename "$IMG").jsonl" >"$WORK/store/unsigned.jsonl"
sed -i '1s/"entries":[0-9]*/"entries":2/' "$WORK/store/unsigned.jsonl"
pass baseline-images

# (g) host baseline: a small host tree, everything else on the host is outside it
HOSTDIR=/tmp/sw-host-$$
mkdir -p "$HOSTDIR/bin"
cp /bin/true "$HOSTDIR/bin/good"
cp /bin/true "$HOSTDIR/bin/victim"
"$SW" baseline --include "$HOSTDIR" dir:/ -o "$WORK/host.jsonl" 2>/dev/null &&
	"$SW" sign --key "$WORK/k.key" "$WORK/host.jsonl" >/dev/null 2>&1 ||
	fail host-baseline "could not baseline $HOSTDIR"
trap 'cleanup; rm -rf "$HOSTDIR"' EXIT

"$SW" daemon --baseline-dir "$WORK/store" --trusted-key "$WORK/k.pub" \
	--host-baseline "$WORK/host.jsonl" --all-events --output "file:$EVENTS" \
	2>"$WORK/daemon.log" &
DAEMON_PID=$!


wait_for daemon-started '.event.action == "start"' 20 || { sed 's/^/    /' "$WORK/daemon.log"; exit 0; }
wait_for baseline-tampered-refused '.event.action == "baseline_refused" and (.sealwatch.baseline.path | endswith("tampered.jsonl"))' 2
wait_for baseline-unsigned-refused '.event.action == "baseline_refused" and (.sealwatch.baseline.path | endswith("unsigned.jsonl"))' 2

run_c() { # NAME IMAGE CMD… — a detached container
	local name=$1 image=$2
	shift 2
	podman run -d --name "$name" --network none "$image:1" "$@" >/dev/null && CONTAINERS+=("$name")
}
cid() { podman inspect -f '{{.Id}}' "$1"; }
iid() { echo "sha256:$(podman image inspect -f '{{.Id}}' "$1:1")"; }

# (a) untouched binaries: verified ok, no alert
run_c c-a-$$ "$IMG" /bin/sleep 300
A=$(cid c-a-$$)
podman exec c-a-$$ /usr/local/bin/tool true
wait_for a-ok ".container.id == \"$A\" and .process.executable == \"/usr/local/bin/tool\" and .sealwatch.verdict == \"ok\""
wait_for a-image-id ".container.id == \"$A\" and .container.image.id == \"$(iid "$IMG")\""

# (b) a binary replaced inside the running container, then run: modified
podman exec c-a-$$ /bin/sh -c 'echo "#implant" >> /usr/local/bin/tool'
podman exec c-a-$$ /usr/local/bin/tool true
wait_for b-modified ".container.id == \"$A\" and .sealwatch.verdict == \"modified\" and .file.path == \"/usr/local/bin/tool\" and .event.kind == \"alert\" and (.sealwatch.expected.sha256 != .file.hash.sha256) and .container.image.id == \"$(iid "$IMG")\""

# (c) a new executable dropped in /tmp: unknown, no renamed-copy note
podman exec c-a-$$ /bin/sh -c 'cp /bin/busybox /tmp/dropped && echo "#x" >> /tmp/dropped && chmod 755 /tmp/dropped && /tmp/dropped true'
wait_for c-unknown ".container.id == \"$A\" and .file.path == \"/tmp/dropped\" and .sealwatch.verdict == \"unknown\" and (.sealwatch.same_content_as == null)"

# (d) an image binary copied to a new path: unknown, naming the original
podman exec c-a-$$ /bin/sh -c 'cp /bin/busybox /tmp/renamed && /tmp/renamed true'
wait_for d-renamed-copy ".container.id == \"$A\" and .file.path == \"/tmp/renamed\" and .sealwatch.verdict == \"unknown\" and .sealwatch.same_content_as == \"/bin/busybox\""

# (e) memfd_create + fexecve, and exec of a deleted file: fileless
podman exec c-a-$$ /usr/local/bin/fileless_exec memfd /bin/busybox true
wait_for e-memfd ".container.id == \"$A\" and .sealwatch.verdict == \"fileless\" and (.sealwatch.reason | test(\"memory\"))"
podman exec c-a-$$ /usr/local/bin/fileless_exec deleted /bin/busybox true
wait_for e-deleted ".container.id == \"$A\" and .sealwatch.verdict == \"fileless\" and (.sealwatch.reason | test(\"deleted\"))"

# a symlink of the image replaced by a file: judged under its own path, not the link's target
podman exec c-a-$$ /bin/sh -c 'rm /bin/cat && cp /bin/busybox /bin/cat && /bin/cat /dev/null'
wait_for symlink-replaced ".container.id == \"$A\" and .file.path == \"/bin/cat\" and .sealwatch.verdict == \"unknown\" and .sealwatch.same_content_as == \"/bin/busybox\""

# one inode, two names: the verdict cache must not answer for the other name
podman exec c-a-$$ /bin/sh -c 'ln /bin/busybox /tmp/hardlink && /bin/busybox true && /tmp/hardlink true'
wait_for hardlink-other-name ".container.id == \"$A\" and .file.path == \"/tmp/hardlink\" and .sealwatch.verdict == \"unknown\""

# (f) a container whose image has no baseline
run_c c-f-$$ "$IMG_NOBASE" /bin/true
F=$(cid c-f-$$)
wait_for f-no-baseline ".container.id == \"$F\" and .sealwatch.verdict == \"no_baseline\""

# code run from memory is reported even where no baseline applies
podman run --rm --network none "$IMG_NOBASE:1" /usr/local/bin/fileless_exec memfd /bin/busybox true
wait_for fileless-without-baseline ".container.image.name == \"$IMG_NOBASE:1\" and .sealwatch.verdict == \"fileless\""

# usr-merged image: /bin is a symlink to usr/bin
run_c c-u-$$ "$IMG_USRMERGE" /bin/sleep 300
U=$(cid c-u-$$)
podman exec c-u-$$ /bin/busybox true
wait_for usrmerge-ok ".container.id == \"$U\" and .sealwatch.verdict == \"ok\" and .file.path == \"/usr/bin/busybox\""

# (g) host processes against the host baseline
"$HOSTDIR/bin/good"
wait_for g-host-ok ".container == null and .file.path == \"$HOSTDIR/bin/good\" and .sealwatch.verdict == \"ok\" and .sealwatch.baseline.match == \"host\""
echo "#x" >>"$HOSTDIR/bin/victim"
"$HOSTDIR/bin/victim"
wait_for g-host-modified ".container == null and .file.path == \"$HOSTDIR/bin/victim\" and .sealwatch.verdict == \"modified\""

# (h) a burst of short-lived processes: each one verified or reported, none missed
N=400
podman exec c-a-$$ /bin/sh -c "i=0; while [ \$i -lt $N ]; do /bin/true burst-\$i; i=\$((i+1)); done"
burst_seen() { # every burst exec has an event (the hash workers may lag)
	[ "$(jq -s "[.[] | select(.container.id == \"$A\" and .event.action == \"exec\")] | length" "$EVENTS")" -ge "$((N + 8))" ]
}
wait_until 60 burst_seen
got=$(jq -s "[.[] | select(.container.id == \"$A\" and (.process.args // [] | .[1] // \"\" | startswith(\"burst-\")))] | length" "$EVENTS")
bad=$(jq -s "[.[] | select(.container.id == \"$A\" and (.process.args // [] | .[1] // \"\" | startswith(\"burst-\")) and .sealwatch.verdict != \"ok\" and .sealwatch.verdict != \"unverified\")] | length" "$EVENTS")
execs=$(jq -s "[.[] | select(.container.id == \"$A\" and .event.action == \"exec\")] | length" "$EVENTS")
lost=$(count '.event.action == "events_lost"')
# args come from /proc/PID/cmdline, which a short-lived process may no longer have:
# count every exec event of the container instead when args are missing
if [ "$got" -ge "$N" ] || [ "$execs" -ge "$((N + 8))" ]; then
	pass h-burst-all-reported
else
	fail h-burst-all-reported "$got of $N burst execs reported ($execs exec events in the container)"
fi
[ "$bad" = 0 ] && pass h-burst-verdicts || fail h-burst-verdicts "$bad burst execs neither ok nor unverified"
[ "$lost" = 0 ] && pass h-no-events-lost || fail h-no-events-lost "$lost events_lost alerts"

# reload: a baseline for the unbaselined image appears, then that container is verified
skopeo copy -q "containers-storage:$IMG_NOBASE:1" "oci:$WORK/nobase:1"
"$SW" baseline --name "$IMG_NOBASE:1" "oci:$WORK/nobase:1" -o "$WORK/nb.jsonl" 2>/dev/null
"$SW" sign --key "$WORK/k.key" "$WORK/nb.jsonl" >/dev/null 2>&1
loaded_more() { [ "$(count ".event.action == \"baselines_loaded\" and .sealwatch.baselines.count > $1")" -gt 0 ]; }
n0=$(jq -s '[.[] | select(.event.action == "baselines_loaded") | .sealwatch.baselines.count] | max' "$EVENTS")
cp "$WORK/nb.jsonl.sig" "$WORK/store/nobase.jsonl.sig"
cp "$WORK/nb.jsonl" "$WORK/store/nobase.jsonl"
wait_until 30 loaded_more "$n0" || fail reload-loaded "no baselines_loaded with more than $n0 baselines"
run_c c-r-$$ "$IMG_NOBASE" /bin/true
R=$(cid c-r-$$)
wait_for reload-inotify ".container.id == \"$R\" and .sealwatch.verdict == \"ok\""

# every exec event has exactly one verdict, and no "ok" without a hash
noverdict=$(count '.event.action == "exec" and (.sealwatch.verdict == null)')
okunhashed=$(count '.sealwatch.verdict == "ok" and (.file.hash.sha256 == null)')
[ "$noverdict" = 0 ] && pass every-exec-has-verdict || fail every-exec-has-verdict "$noverdict"
[ "$okunhashed" = 0 ] && pass no-ok-without-hash || fail no-ok-without-hash "$okunhashed"

# clean shutdown on SIGTERM: a stop event, exit 0, programs detached
# (only this daemon's programs: other sealwatch instances may run on the machine)
PROG_IDS=$(cat /proc/"$DAEMON_PID"/fdinfo/* 2>/dev/null | sed -n 's/^prog_id:[[:space:]]*//p' | sort -u)
kill -TERM "$DAEMON_PID"
if wait "$DAEMON_PID"; then pass sigterm-exit-0; else fail sigterm-exit-0 "exit $?"; fi
DAEMON_PID=
wait_for stop-event '.event.action == "stop"' 2
left=
for id in $PROG_IDS; do bpftool prog show id "$id" >/dev/null 2>&1 && left="$left $id"; done
if [ -z "$PROG_IDS" ]; then
	fail programs-detached "no BPF program fds found in the running daemon"
elif [ -n "$left" ]; then
	fail programs-detached "BPF programs still loaded:$left"
else
	pass programs-detached
fi
jq -e . "$EVENTS" >/dev/null 2>&1 && pass output-is-json-lines || fail output-is-json-lines
# every line the daemon wrote (it has stopped) matches docs/events.schema.json
check_schema events-match-schema "$EVENTS"
exit 0
