#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# No blind spots (issue 12), written as an attacker who has read the code:
# a usr-merged image (/bin -> usr/bin, /lib -> usr/lib, /lib64 -> usr/lib64,
# as every current Debian, Ubuntu and Fedora image), real podman+runc
# containers, the daemon with its defaults (in-kernel cache on), and every
# route to an image file we could think of: symlinked directories, relative
# paths and "..", dirfd-relative syscalls, hardlinks, volumes, metadata
# changes, node-side writes into the image's layer files, a retagged image.
# Assertions on the daemon's JSON output.
source "$(dirname "$0")/../lib/common.sh"

if ! need_root || ! command -v podman >/dev/null || ! command -v gcc >/dev/null; then
	skip all "needs root, podman and gcc"
	exit 0
fi

IMG=localhost/swbs-blind
IMG1_ID=
CONTAINERS=()
DAEMON_PID=
EVENTS=$WORK/events.jsonl

cleanup() {
	[ -n "${SW_KEEP_EVENTS:-}" ] && cp "$EVENTS" "$SW_KEEP_EVENTS" 2>/dev/null
	[ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
	for c in "${CONTAINERS[@]}"; do podman rm -f -t 0 "$c" >/dev/null 2>&1; done
	podman rmi -f "$IMG:1" "$IMG:swapped" ${IMG1_ID:+"$IMG1_ID"} >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT

# --- a usr-merged image
H=$TOP/tests/integration/helpers
gcc -O2 -shared -fPIC -o "$WORK/libsw.so" "$H/doors_lib.c" &&
	gcc -O2 -shared -fPIC -DSW_VALUE=666 -o "$WORK/evil.so" "$H/doors_lib.c" &&
	gcc -O2 -o "$WORK/dyn" "$H/doors_dyn.c" -L"$WORK" -lsw -Wl,-rpath,/usr/lib &&
	gcc -O2 -static -o "$WORK/blind_tool" "$H/blind_tool.c" &&
	gcc -O2 -static -o "$WORK/iouring_tool" "$H/iouring_tool.c" ||
	{ fail build-helpers "gcc failed"; exit 0; }
R=$WORK/rootfs
mkdir -p "$R/usr/bin" "$R/usr/lib/x86_64-linux-gnu" "$R/usr/lib64" "$R/etc" "$R/tmp" "$R/hb"
chmod 1777 "$R/tmp"
ln -s usr/bin "$R/bin"
ln -s usr/lib "$R/lib"
ln -s usr/lib64 "$R/lib64"
cp /bin/busybox "$R/usr/bin/busybox"
for a in sh cat cp echo sleep touch dd ln mv rm chmod chown printf true stat; do
	ln -s busybox "$R/usr/bin/$a"
done
cp -L /lib64/ld-linux-x86-64.so.2 "$R/usr/lib64/ld-linux-x86-64.so.2"
cp -L /lib/x86_64-linux-gnu/libc.so.6 "$R/usr/lib/x86_64-linux-gnu/libc.so.6"
cp "$WORK/libsw.so" "$R/usr/lib/libsw.so"
cp "$WORK/dyn" "$WORK/blind_tool" "$WORK/iouring_tool" "$R/usr/bin/"
VICTIMS="nv3 v19 v20 v21 v22 v17 v18 v1 v2 v3 v4 v5 v6 v7 v8 v9 v10 v11 v12 v13 v14 v15 v16 suid suid2 own capme sgid nv1 nv2 nv4 nv5 nv6 u1 u2 u3 u4 u5 v23 v24 v25 v26 loop"
for t in $VICTIMS; do cp /bin/busybox "$R/usr/bin/$t"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$R/etc/passwd"
tar -C "$R" -cf "$WORK/rootfs.tar" . && podman import -q "$WORK/rootfs.tar" "$IMG:1" >/dev/null ||
	{ fail build-image; exit 0; }
IMG1_ID=$(podman image inspect -f '{{.Id}}' "$IMG:1")
"$SW" keygen -o "$WORK/k" >/dev/null 2>&1
mkdir -p "$WORK/store"
skopeo copy -q "containers-storage:$IMG:1" "oci:$WORK/oci:1" &&
	"$SW" baseline --name "$IMG:1" "oci:$WORK/oci:1" -o "$WORK/store/blind.jsonl" 2>/dev/null &&
	"$SW" sign --key "$WORK/k.key" "$WORK/store/blind.jsonl" >/dev/null 2>&1 ||
	{ fail baseline-image; exit 0; }
pass build-image

mkdir -p "$WORK/hb"
cp "$WORK/evil.so" "$WORK/hb/evil.so"
cp "$WORK/evil.so" "$WORK/hb/evil2.so"
cp /bin/busybox "$WORK/hb/evilbin"
echo '#x' >>"$WORK/hb/evilbin"

"$SW" daemon --baseline-dir "$WORK/store" --trusted-key "$WORK/k.pub" \
	--output "file:$EVENTS" ${SW_BLIND_ARGS:-} 2>"$WORK/daemon.log" &
DAEMON_PID=$!
for _ in $(seq 600); do grep -q '"action":"start"' "$EVENTS" 2>/dev/null && break; sleep 0.1; done
grep -q '"action":"start"' "$EVENTS" 2>/dev/null && pass daemon-started ||
	{ fail daemon-started; sed 's/^/    /' "$WORK/daemon.log"; exit 0; }

run_c() { # NAME [podman options…] -- CMD…
	local name=$1 opts=()
	shift
	while [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	podman run -d --runtime runc --name "$name" --network none "${opts[@]}" "$IMG:1" "$@" \
		>/dev/null && CONTAINERS+=("$name")
}
cid() { podman inspect -f '{{.Id}}' "$1"; }
x() { podman exec "$C" "$@" >/dev/null 2>&1; } # run in the current container $C

C=swbs-blind-a
run_c "$C" -v "$WORK/hb:/hb:ro" -- /bin/sleep 600
A=$(cid "$C")
IN=".container.id == \"$A\""
tamper() { # NAME ACTION PATH
	wait_for "$1" "$IN and .event.action == \"$2\" and .file.path == \"$3\" and .sealwatch.verdict == \"tamper\""
}

# ---- §1 the true path of every file
x sh -c 'echo "#x" >>/bin/v1'
tamper usr-merge-write open_write /usr/bin/v1
x sh -c 'cd /bin && echo "#x" >>./v2'
tamper relative-write-in-symlinked-dir open_write /usr/bin/v2
# lexically "/bin/v3"; the kernel goes /usr/lib/.. = /usr, then bin/v3
x sh -c 'cd /tmp && echo "#x" >>../lib/../bin/v3'
tamper dotdot-through-symlink-write open_write /usr/bin/v3
x blind_tool openat /bin v4
tamper openat-dirfd-write open_write /usr/bin/v4
x blind_tool openat2 /usr/lib ../bin/v5
tamper openat2-dirfd-dotdot-write open_write /usr/bin/v5
x blind_tool truncate /bin/v6
tamper truncate-through-symlinked-dir truncate /usr/bin/v6
x rm /bin/v7
tamper unlink-through-symlinked-dir unlink /usr/bin/v7
x mv /bin/v8 /tmp/v8
tamper rename-away-through-symlinked-dir rename /usr/bin/v8
x sh -c 'cp /bin/busybox /tmp/n9 && mv /tmp/n9 /bin/v9'
tamper rename-onto-through-symlinked-dir rename /usr/bin/v9
x blind_tool unlinkat /bin v10
tamper unlinkat-dirfd unlink /usr/bin/v10
# a relative renameat by a live process (the tool holds its dirfd open until
# the verdict is in; by processes gone at once: §5)
mkfifo "$WORK/hold11"
podman exec -i "$C" blind_tool renameat /bin v11 v11.old hold <"$WORK/hold11" >/dev/null 2>&1 &
hold11=$!
exec 8>"$WORK/hold11"
tamper renameat-dirfd rename /usr/bin/v11
exec 8>&-
wait "$hold11"
x sh -c 'ln /usr/bin/v12 /tmp/h12 && echo "#x" >>/tmp/h12'
tamper hardlink-then-write open_write /usr/bin/v12
x sh -c 'ln /bin/v13 /tmp/h13 && cd /tmp && /usr/bin/blind_tool truncate h13'
tamper hardlink-then-truncate truncate /usr/bin/v13
x blind_tool mmapwrite /bin/v14
tamper mmap-shared-write open_write /usr/bin/v14
x sh -c 'cd /lib && /usr/bin/blind_tool ftruncate ../bin/v15'
tamper ftruncate-relative open_write /usr/bin/v15
x blind_tool reopen /bin/v17
tamper magic-link-reopen-write open_write /usr/bin/v17
x sh -c 'echo "#x" >>/proc/self/root/bin/v18'
tamper proc-root-write open_write /usr/bin/v18
# volumes: the file's full path in the container, not its name inside the mount
x sh -c 'LD_PRELOAD=/hb/evil.so /usr/bin/dyn'
wait_for preload-from-volume-full-path "$IN and .event.action == \"mmap_exec\" and .file.path == \"/hb/evil.so\" and .sealwatch.verdict == \"unknown\""
x /hb/evilbin true
wait_for exec-from-volume-full-path "$IN and .event.action == \"exec\" and .file.path == \"/hb/evilbin\" and .sealwatch.verdict == \"unknown\""
n=$(count "$IN and .event.kind == \"alert\" and (.file.path | test(\"^/(bin|lib|lib64)/\"))")
[ "$n" = 0 ] && pass no-symlinked-dir-paths || fail no-symlinked-dir-paths "$n alerts name /bin, /lib or /lib64"

# io_uring: no syscall tracepoint sees its requests; the submission does.
# podman's default seccomp profile refuses io_uring (exit 2: not available)...
podman exec "$C" iouring_tool open /bin/u5 >/dev/null 2>&1
rc=$?
[ "$rc" = 2 ] && pass iouring-refused-by-default-seccomp ||
	fail iouring-refused-by-default-seccomp "exit $rc (io_uring usable in a default container)"
# ... a container that allows it
C=swbs-blind-u
run_c "$C" --security-opt seccomp=unconfined -- /bin/sleep 600
U=$(cid "$C")
x iouring_tool open /bin/u1
wait_for iouring-write-open-tamper ".container.id == \"$U\" and .event.action == \"open_write\" and .file.path == \"/usr/bin/u1\" and .sealwatch.verdict == \"tamper\" and (.sealwatch.reason | test(\"io_uring\"))"
x sh -c 'cd /bin && iouring_tool unlink . u2'
wait_for iouring-relative-unlink-tamper ".container.id == \"$U\" and .event.action == \"unlink\" and .file.path == \"/usr/bin/u2\" and .sealwatch.verdict == \"tamper\""
x iouring_tool rename /bin u3 u3.old
wait_for iouring-rename-away-tamper ".container.id == \"$U\" and .event.action == \"rename\" and .file.path == \"/usr/bin/u3\" and .sealwatch.verdict == \"tamper\""
# by a process gone before the daemon looked: the kernel walked the dirfd
kill -STOP "$DAEMON_PID"
x iouring_tool rename /usr/lib ../bin/u4 ../bin/u4.old
kill -CONT "$DAEMON_PID"
wait_for iouring-gone-dotdot-rename-tamper ".container.id == \"$U\" and .event.action == \"rename\" and .file.path == \"/usr/bin/u4\" and .sealwatch.verdict == \"tamper\""
C=swbs-blind-a

# ---- §2 metadata is content
x /usr/bin/suid true
x chmod u+s /usr/bin/suid
x /usr/bin/suid true
wait_for setuid-added-modified "$IN and .event.action == \"exec\" and .file.path == \"/usr/bin/suid\" and .sealwatch.verdict == \"modified\" and .sealwatch.fields == [\"mode\"] and .sealwatch.expected.mode == \"0755\" and .sealwatch.actual.mode == \"4755\""
x chmod 6755 /bin/suid2
x /bin/suid2 true
wait_for setgid-via-symlinked-dir "$IN and .event.action == \"exec\" and .file.path == \"/usr/bin/suid2\" and .sealwatch.verdict == \"modified\" and .sealwatch.actual.mode == \"6755\""
x chown 1:2 /usr/bin/own
x /usr/bin/own true
wait_for owner-changed-modified "$IN and .event.action == \"exec\" and .file.path == \"/usr/bin/own\" and .sealwatch.verdict == \"modified\" and .sealwatch.fields == [\"uid\",\"gid\"] and .sealwatch.actual.uid == 1 and .sealwatch.actual.gid == 2"
x blind_tool setcap /usr/bin/capme
x /usr/bin/capme true
wait_for capability-added-modified "$IN and .event.action == \"exec\" and .file.path == \"/usr/bin/capme\" and .sealwatch.verdict == \"modified\" and .sealwatch.fields == [\"caps\"] and .sealwatch.expected.caps == null and (.sealwatch.actual.caps | test(\"^01000002\"))"
x chmod g+s /usr/lib/libsw.so
x /usr/bin/dyn
wait_for mapped-library-mode-modified "$IN and .event.action == \"mmap_exec\" and .file.path == \"/usr/lib/libsw.so\" and .sealwatch.verdict == \"modified\" and .sealwatch.fields == [\"mode\"]"
n=$(count "$IN and .sealwatch.verdict == \"modified\" and any(.sealwatch.fields[]?; . == \"sha256\")")
[ "$n" = 0 ] && pass metadata-only-content-same || fail metadata-only-content-same "$n claim the content differs"

# ---- §3 a cached ok never outlives the content: node-side writes
C=swbs-blind-b
run_c "$C" -- /bin/sleep 600
B=$(cid "$C")
IN=".container.id == \"$B\""
x /usr/bin/nv1 true
x /usr/bin/nv1 true
sleep 1
n=$(count "$IN and .file.path == \"/usr/bin/nv1\" and .event.kind == \"alert\"")
[ "$n" = 0 ] && pass node-before-clean || fail node-before-clean "$n alerts"
LAYER=$(podman image inspect -f '{{.GraphDriver.Data.UpperDir}}' "$IMG:1")
if [ -f "$LAYER/usr/bin/nv1" ]; then
	echo '#node' >>"$LAYER/usr/bin/nv1"
	wait_for node-side-write-tamper ".event.action == \"open_write\" and .sealwatch.verdict == \"tamper\" and .file.path == \"$LAYER/usr/bin/nv1\" and any(.sealwatch.layer.images[]; . == \"$IMG:1\") and any(.sealwatch.layer.containers[]; . == \"swbs-blind-b\")"
	x /usr/bin/nv1 true
	wait_for node-side-write-then-exec-modified "$IN and .event.action == \"exec\" and .file.path == \"/usr/bin/nv1\" and .sealwatch.verdict == \"modified\""
else
	fail node-side-write "no layer file at $LAYER/usr/bin/nv1"
fi
# the node writes into a running container's root through its overlay mount
MERGED=$(podman inspect -f '{{.GraphDriver.Data.MergedDir}}' swbs-blind-b)
if [ -n "$MERGED" ] && [ -f "$MERGED/usr/bin/nv3" ]; then
	echo '#node' >>"$MERGED/usr/bin/nv3"
	wait_for node-side-write-into-container-root ".event.action == \"open_write\" and .sealwatch.verdict == \"tamper\" and .file.path == \"$MERGED/usr/bin/nv3\" and any(.sealwatch.layer.containers[]; . == \"swbs-blind-b\")"
else
	fail node-side-write-into-container-root "no merged dir: '$MERGED'"
fi
# ... and through /proc/PID/root of one of its processes (the container's own
# mount namespace: a host process writes the container's file, judged in that
# container by the path the kernel walked in its namespace)
P=$(podman inspect -f '{{.State.Pid}}' swbs-blind-b)
echo '#node' >>"/proc/$P/root/usr/bin/nv5"
wait_for node-write-through-proc-root-tamper "$IN and .event.action == \"open_write\" and .file.path == \"/usr/bin/nv5\" and .sealwatch.verdict == \"tamper\" and .process.pid != $P"
echo '#node' >>"/proc/$P/root/bin/nv6"
wait_for node-write-through-proc-root-symlinked-dir-tamper "$IN and .event.action == \"open_write\" and .file.path == \"/usr/bin/nv6\" and .sealwatch.verdict == \"tamper\""
x /usr/bin/nv5 true
wait_for node-write-through-proc-root-then-exec-modified "$IN and .event.action == \"exec\" and .file.path == \"/usr/bin/nv5\" and .sealwatch.verdict == \"modified\""
# a bind mount over an image path
C=swbs-blind-c
run_c "$C" -v "$WORK/hb/evilbin:/usr/bin/nv2:ro" -v "$WORK/hb/evilbin:/usr/bin/nv4:ro" -- /bin/sleep 600
IN=".container.id == \"$(cid "$C")\""
x /usr/bin/nv2 true
wait_for bind-mount-over-image-path "$IN and .event.action == \"exec\" and .file.path == \"/usr/bin/nv2\" and .sealwatch.verdict == \"modified\""
# ... by a process gone before the daemon looked (the daemon is stopped, the
# kernel queues the event): the file is found as the process saw it, through
# its mount namespace (another of its processes lives), not through the
# host's view of the container's rootfs, which has the image's file there
kill -STOP "$DAEMON_PID"
x /usr/bin/nv4 true
kill -CONT "$DAEMON_PID"
wait_for bind-mount-over-image-path-gone "$IN and .event.action == \"exec\" and .file.path == \"/usr/bin/nv4\" and .sealwatch.verdict == \"modified\" and .sealwatch.reason == \"content differs from the baseline\""

# ---- §6 one finding, one alert
C=swbs-blind-a
IN=".container.id == \"$A\""
x sh -c 'echo "#x" >>/usr/bin/loop; i=0; while [ $i -lt 30 ]; do /usr/bin/loop true; i=$((i+1)); done'
wait_for fold-summary "$IN and .event.action == \"exec\" and .file.path == \"/usr/bin/loop\" and .sealwatch.verdict == \"modified\" and .sealwatch.repeats.count >= 1" 20
n=$(count "$IN and .event.action == \"exec\" and .file.path == \"/usr/bin/loop\" and .sealwatch.verdict == \"modified\" and .sealwatch.repeats == null")
[ "$n" = 1 ] && pass fold-first-at-once || fail fold-first-at-once "$n unfolded alerts"
sum=$(jq -s "[.[] | select($IN and .file.path == \"/usr/bin/loop\" and .sealwatch.verdict == \"modified\") | (.sealwatch.repeats.count // 1)] | add" "$EVENTS")
[ "$sum" = 30 ] && pass fold-counts-every-run || fail fold-counts-every-run "$sum of 30 runs counted"

# ---- §5 short-lived processes: every one is gone before the daemon sees its event;
# another process of the container lives, so its files are hashed as it saw them
# (the daemon is stopped meanwhile; the kernel queues the events)
kill -STOP "$DAEMON_PID"
for _ in $(seq 5); do x sh -c 'LD_PRELOAD=/hb/evil2.so exec /usr/bin/dyn'; done
x sh -c 'cd /tmp && echo "#x" >>../lib/../bin/v19'
x rm /bin/v20
x sh -c 'ln /usr/bin/v21 /tmp/h21 && echo "#x" >>/tmp/h21'
x sh -c 'cd /bin && /usr/bin/blind_tool truncate v22'
# renames relative to dirfds and cwds that are gone with the process: the
# kernel walks each path's directory (one event per path)
x blind_tool renameat /bin v23 v23.old
x sh -c 'echo x >/tmp/n24 && blind_tool renameat2dirs /tmp n24 /bin v24'
x sh -c 'cd /bin && mv v25 /tmp/v25'
x sh -c 'echo x >/tmp/n26 && cd /tmp && mv n26 /lib/../bin/v26'
kill -CONT "$DAEMON_PID"
wait_for short-lived-preload-unknown "$IN and .event.action == \"mmap_exec\" and .file.path == \"/hb/evil2.so\" and .sealwatch.verdict == \"unknown\" and .sealwatch.reason == \"path is not in the baseline\" and .file.hash.sha256 == \"$(sha256sum "$WORK/hb/evil2.so" | cut -c1-64)\""
tamper gone-dotdot-write open_write /usr/bin/v19
tamper gone-unlink-through-symlinked-dir unlink /usr/bin/v20
tamper gone-hardlink-then-write open_write /usr/bin/v21
tamper gone-relative-truncate-in-symlinked-dir truncate /usr/bin/v22
tamper gone-renameat-dirfd-away rename /usr/bin/v23
tamper gone-renameat-onto-other-dirfd rename /usr/bin/v24
tamper gone-relative-rename-away rename /usr/bin/v25
tamper gone-rename-onto-dotdot-symlinked rename /usr/bin/v26
n=$(count "$IN and .sealwatch.verdict == \"unverified\"")
[ "$n" = 0 ] && pass short-lived-never-unverified || fail short-lived-never-unverified "$n unverified: $(jq -c -s "[.[] | select($IN and .sealwatch.verdict == \"unverified\") | [.event.action, .file.path, .sealwatch.reason]]" "$EVENTS" | head -c 300)"

# ---- §4 the registry swap
podman rm -f -t 0 swbs-blind-b swbs-blind-c >/dev/null 2>&1
cp "$R/usr/bin/busybox" "$WORK/bb.orig"
echo '#swapped' >>"$R/usr/bin/v16"
tar -C "$R" -cf "$WORK/rootfs2.tar" . && podman import -q "$WORK/rootfs2.tar" "$IMG:swapped" >/dev/null &&
	podman tag "$IMG:swapped" "$IMG:1" || fail swap-image
C=swbs-blind-d
run_c "$C" -- /bin/sleep 600
D=$(cid "$C")
IN=".container.id == \"$D\""
x /usr/bin/v16 true
wait_for image-mismatch-alert "$IN and .event.action == \"image_mismatch\" and .sealwatch.verdict == \"image_mismatch\" and .event.severity == 99 and .sealwatch.expected.image_id != .sealwatch.actual.image_id and .sealwatch.baseline.image_name == \"$IMG:1\""
wait_for swapped-file-modified-by-name "$IN and .event.action == \"exec\" and .file.path == \"/usr/bin/v16\" and .sealwatch.verdict == \"modified\""
n=$(count "$IN and .sealwatch.verdict == \"no_baseline\"")
[ "$n" = 0 ] && pass swap-not-no-baseline || fail swap-not-no-baseline "$n no_baseline"
n=$(count "$IN and .event.action == \"image_mismatch\"")
[ "$n" = 1 ] && pass image-mismatch-once || fail image-mismatch-once "$n"
# names are normalized alike at baseline --name and in the resolver
expect_exit baseline-name-unnormalizable 2 "$SW" baseline --name 'UPPER/Case::bad' "oci:$WORK/oci:1" -o "$WORK/bad.jsonl"
"$SW" baseline --name swbs-blind-norm:1 "oci:$WORK/oci:1" -o "$WORK/norm.jsonl" 2>/dev/null
jq -e -s '.[0].image.name == "docker.io/library/swbs-blind-norm:1"' "$WORK/norm.jsonl" >/dev/null &&
	pass baseline-name-normalized || fail baseline-name-normalized "$(head -c 300 "$WORK/norm.jsonl")"

check_schema events-match-schema "$EVENTS"
lost=$(count '.event.action == "events_lost"')
[ "$lost" = 0 ] && pass no-events-lost || fail no-events-lost "$lost"
kill -TERM "$DAEMON_PID"
if wait "$DAEMON_PID"; then pass sigterm-exit-0; else fail sigterm-exit-0 "exit $?"; fi
DAEMON_PID=
