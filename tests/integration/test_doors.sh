#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Beyond exec (issue 4): shared libraries and the loader, scripts, writes to
# image files, and the in-kernel verdict cache — real BPF, real podman+runc
# containers, assertions on the daemon's JSON output. The daemon runs with its
# defaults (in-kernel cache on, ok verdicts not emitted).
source "$(dirname "$0")/../lib/common.sh"

if ! need_root || ! command -v podman >/dev/null || ! command -v gcc >/dev/null; then
	skip all "needs root, podman and gcc"
	exit 0
fi

IMG=localhost/sw-doors-test-$$
CONTAINERS=()
DAEMON_PID=
EVENTS=$WORK/events.jsonl

cleanup() {
	[ -n "${SW_KEEP_EVENTS:-}" ] && cp "$EVENTS" "$SW_KEEP_EVENTS" 2>/dev/null
	[ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
	for c in "${CONTAINERS[@]}"; do podman rm -f -t 0 "$c" >/dev/null 2>&1; done
	podman rmi -f "$IMG:1" >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT

# --- image: busybox-static + glibc's loader and libc + a program linking libsw.so
H=$TOP/tests/integration/helpers
gcc -O2 -shared -fPIC -o "$WORK/libsw.so" "$H/doors_lib.c" &&
	gcc -O2 -shared -fPIC -DSW_VALUE=666 -o "$WORK/evil.so" "$H/doors_lib.c" &&
	gcc -O2 -shared -fPIC -DSW_VALUE=43 -o "$WORK/libsw-replaced.so" "$H/doors_lib.c" &&
	gcc -O2 -o "$WORK/dyn" "$H/doors_dyn.c" -L"$WORK" -lsw -Wl,-rpath,/usr/lib ||
	{ fail build-helpers "gcc failed"; exit 0; }
R=$WORK/rootfs
mkdir -p "$R/bin" "$R/etc" "$R/tmp" "$R/usr/lib" "$R/usr/local/bin" "$R/lib64" \
	"$R/lib/x86_64-linux-gnu"
chmod 1777 "$R/tmp"
cp /bin/busybox "$R/bin/busybox"
for a in sh cat cp echo sleep touch dd ln mv rm chmod printf; do ln -s busybox "$R/bin/$a"; done
cp -L /lib64/ld-linux-x86-64.so.2 "$R/lib64/ld-linux-x86-64.so.2"
cp -L /lib/x86_64-linux-gnu/libc.so.6 "$R/lib/x86_64-linux-gnu/libc.so.6"
cp "$WORK/libsw.so" "$R/usr/lib/libsw.so"
cp "$WORK/dyn" "$R/usr/local/bin/dyn"
for t in tool tool2 tool3 victim; do cp /bin/busybox "$R/usr/local/bin/$t"; done
printf '#!/bin/sh\necho hello\n' >"$R/usr/local/bin/hello.sh"
chmod 755 "$R/usr/local/bin/hello.sh"
echo 'root:x:0:0:root:/root:/bin/sh' >"$R/etc/passwd"
tar -C "$R" -cf "$WORK/rootfs.tar" . && podman import -q "$WORK/rootfs.tar" "$IMG:1" >/dev/null ||
	{ fail build-image; exit 0; }
"$SW" keygen -o "$WORK/k" >/dev/null 2>&1
mkdir -p "$WORK/store"
skopeo copy -q "containers-storage:$IMG:1" "oci:$WORK/oci:1" &&
	"$SW" baseline --name "$IMG:1" "oci:$WORK/oci:1" -o "$WORK/store/doors.jsonl" 2>/dev/null &&
	"$SW" sign --key "$WORK/k.key" "$WORK/store/doors.jsonl" >/dev/null 2>&1 ||
	{ fail baseline-image; exit 0; }
pass build-image

"$SW" daemon --baseline-dir "$WORK/store" --trusted-key "$WORK/k.pub" \
	--verify-read-path /etc/passwd --verify-read-path '/etc/ssl/**' \
	--output "file:$EVENTS" 2>"$WORK/daemon.log" &
DAEMON_PID=$!

# this daemon's kcache map (other sealwatch instances may run on the machine:
# never look a map up by name alone)
KCACHE_ID=
kcache_dump() {
	local id
	if [ -z "$KCACHE_ID" ]; then
		for id in $(cat /proc/"$DAEMON_PID"/fdinfo/* 2>/dev/null | sed -n 's/^map_id:[[:space:]]*//p' | sort -u); do
			[ "$(bpftool -j map show id "$id" 2>/dev/null | jq -r .name)" = kcache ] && KCACHE_ID=$id && break
		done
	fi
	[ -n "$KCACHE_ID" ] && bpftool -j map dump id "$KCACHE_ID" 2>/dev/null
}
# the in-kernel cache holds an inode? (bpftool prints keys as bytes: ino is
# the first 8, little-endian, of struct sw_kcache_key)
kcached() { # INODE
	local hex le="" i
	hex=$(printf '%016x' "$1")
	for ((i = 14; i >= 0; i -= 2)); do le+="${le:+,}\"0x${hex:i:2}\""; done
	kcache_dump | jq -e "[.[] | select(.key[0:8] == [$le])] | length > 0" >/dev/null 2>&1
}

for _ in $(seq 600); do grep -q '"action":"start"' "$EVENTS" 2>/dev/null && break; sleep 0.1; done
grep -q '"action":"start"' "$EVENTS" 2>/dev/null && pass daemon-started ||
	{ fail daemon-started; sed 's/^/    /' "$WORK/daemon.log"; exit 0; }

run_c() { # NAME CMD…
	local name=$1
	shift
	podman run -d --runtime runc --name "$name" --network none "$IMG:1" "$@" >/dev/null &&
		CONTAINERS+=("$name")
}
cid() { podman inspect -f '{{.Id}}' "$1"; }
put() { podman exec -i "$1" /bin/sh -c "cat > $2 && chmod 755 $2" <"$3"; } # CONTAINER DEST SRC

run_c sw-doors-a-$$ /bin/sleep 600
A=$(cid sw-doors-a-$$)
IN_A=".container.id == \"$A\""

# the image's own program and libraries: no alert
podman exec sw-doors-a-$$ /usr/local/bin/dyn >/dev/null
sleep 1
n=$(count "$IN_A and .event.kind == \"alert\"")
[ "$n" = 0 ] && pass clean-dynamic-program || fail clean-dynamic-program "$n alerts"

# (1) a library dropped in /tmp and preloaded
put sw-doors-a-$$ /tmp/evil.so "$WORK/evil.so"
podman exec -e LD_PRELOAD=/tmp/evil.so sw-doors-a-$$ /usr/local/bin/dyn >/dev/null
wait_for preload-dropped-library "$IN_A and .event.action == \"mmap_exec\" and .file.path == \"/tmp/evil.so\" and .sealwatch.verdict == \"unknown\" and .process.name == \"dyn\""

# (3) dlopen of a dropped library
put sw-doors-a-$$ /tmp/plugin.so "$WORK/libsw-replaced.so"
podman exec sw-doors-a-$$ /usr/local/bin/dyn dlopen /tmp/plugin.so >/dev/null
wait_for dlopen-dropped-library "$IN_A and .event.action == \"mmap_exec\" and .file.path == \"/tmp/plugin.so\" and .sealwatch.verdict == \"unknown\""

# (4) the loader trick: the program is mapped by ld.so, never exec'd
podman exec sw-doors-a-$$ /bin/sh -c 'cp /usr/local/bin/dyn /tmp/ldtrick && echo >>/tmp/ldtrick'
podman exec sw-doors-a-$$ /lib64/ld-linux-x86-64.so.2 /tmp/ldtrick >/dev/null
wait_for loader-trick "$IN_A and .event.action == \"mmap_exec\" and .file.path == \"/tmp/ldtrick\" and .sealwatch.verdict == \"unknown\""
n=$(count "$IN_A and .event.action == \"exec\" and .file.path == \"/tmp/ldtrick\"")
[ "$n" = 0 ] && pass loader-trick-no-exec || fail loader-trick-no-exec "$n exec events for it"

# (6) a dropped script handed to sh
printf 'echo dropped\n' >"$WORK/x.sh"
put sw-doors-a-$$ /tmp/x.sh "$WORK/x.sh"
podman exec sw-doors-a-$$ sh /tmp/x.sh >/dev/null
wait_for script-via-sh "$IN_A and .event.action == \"script_open\" and .file.path == \"/tmp/x.sh\" and .sealwatch.verdict == \"unknown\""

# (7) a write to an image binary, without any exec of it
podman exec sw-doors-a-$$ /bin/sh -c 'echo "#x" >>/usr/local/bin/victim'
wait_for write-image-binary "$IN_A and .event.action == \"open_write\" and .file.path == \"/usr/local/bin/victim\" and .sealwatch.verdict == \"tamper\" and .event.severity == 99 and .sealwatch.expected.sha256 != null"
n=$(count "$IN_A and .event.action == \"exec\" and .file.path == \"/usr/local/bin/victim\"")
[ "$n" = 0 ] && pass write-image-binary-no-exec || fail write-image-binary-no-exec "$n execs"
# unlink and rename onto image paths
podman exec sw-doors-a-$$ /bin/sh -c 'cp /tmp/x.sh /tmp/y && mv /tmp/y /usr/local/bin/tool3.new && mv /usr/local/bin/tool3.new /usr/local/bin/hello.sh; rm /usr/local/bin/tool'
wait_for rename-onto-image-file "$IN_A and .event.action == \"rename\" and .file.path == \"/usr/local/bin/hello.sh\" and .sealwatch.verdict == \"tamper\""
wait_for unlink-image-file "$IN_A and .event.action == \"unlink\" and .file.path == \"/usr/local/bin/tool\" and .sealwatch.verdict == \"tamper\""

# (2) a replaced .so of the image
run_c sw-doors-b-$$ /bin/sleep 600
B=$(cid sw-doors-b-$$)
IN_B=".container.id == \"$B\""
put sw-doors-b-$$ /usr/lib/libsw.so "$WORK/libsw-replaced.so"
wait_for replaced-so-write-alert "$IN_B and .event.action == \"open_write\" and .file.path == \"/usr/lib/libsw.so\" and .sealwatch.verdict == \"tamper\""
podman exec sw-doors-b-$$ /usr/local/bin/dyn >/dev/null
wait_for replaced-so-modified "$IN_B and .event.action == \"mmap_exec\" and .file.path == \"/usr/lib/libsw.so\" and .sealwatch.verdict == \"modified\" and .process.name == \"dyn\""

# (5) a tampered script of the image: the script and its interpreter
podman exec sw-doors-b-$$ /bin/sh -c 'echo "echo implant" >>/usr/local/bin/hello.sh'
podman exec sw-doors-b-$$ /usr/local/bin/hello.sh >/dev/null
wait_for tampered-script-exec "$IN_B and .event.action == \"exec_script\" and .file.path == \"/usr/local/bin/hello.sh\" and .sealwatch.verdict == \"modified\" and .process.name == \"hello.sh\""
# the same script handed to sh: the interpreter's open of it is verified
podman exec sw-doors-b-$$ sh /usr/local/bin/hello.sh >/dev/null
wait_for tampered-script-via-sh "$IN_B and .event.action == \"script_open\" and .file.path == \"/usr/local/bin/hello.sh\" and .sealwatch.verdict == \"modified\""

# (8) /etc/ld.so.preload created in a container
run_c sw-doors-c-$$ /bin/sleep 600
C=$(cid sw-doors-c-$$)
podman exec sw-doors-c-$$ /bin/sh -c 'echo /tmp/evil.so >/etc/ld.so.preload'
wait_for ld-so-preload ".container.id == \"$C\" and .event.action == \"open_write\" and .file.path == \"/etc/ld.so.preload\" and .sealwatch.verdict == \"tamper\""

# §3 config files verified on read-open (verify_read_paths), by any program
podman exec sw-doors-c-$$ /bin/cat /etc/passwd >/dev/null
sleep 1
n=$(count ".container.id == \"$C\" and .event.action == \"read_open\"")
[ "$n" = 0 ] && pass read-path-intact-silent || fail read-path-intact-silent "$n read_open events"
podman exec sw-doors-c-$$ /bin/sh -c 'echo "evil:x:0:0::/:/bin/sh" >>/etc/passwd; cat /etc/passwd >/dev/null'
wait_for read-path-modified ".container.id == \"$C\" and .event.action == \"read_open\" and .file.path == \"/etc/passwd\" and .sealwatch.verdict == \"modified\" and .process.name == \"cat\""

# (9) modified with its mtime restored: same size, same mtime, never a stale ok
run_c sw-doors-d-$$ /bin/sleep 600
D=$(cid sw-doors-d-$$)
IN_D=".container.id == \"$D\""
podman exec sw-doors-d-$$ /usr/local/bin/tool2 true 2>/dev/null
ino2=$(podman exec sw-doors-d-$$ /bin/busybox stat -c %i /usr/local/bin/tool2)
for _ in $(seq 300); do kcached "$ino2" && break; sleep 0.1; done
kcached "$ino2" && pass kcache-filled || fail kcache-filled "inode $ino2 not in map kcache"
podman exec sw-doors-d-$$ /bin/sh -c 'cp -p /usr/local/bin/tool2 /tmp/ref && printf X | dd of=/usr/local/bin/tool2 bs=1 seek=2000 conv=notrunc 2>/dev/null && touch -r /tmp/ref /usr/local/bin/tool2'
same=$(podman exec sw-doors-d-$$ /bin/sh -c 'm1=$(busybox stat -c "%s %Y" /tmp/ref); m2=$(busybox stat -c "%s %Y" /usr/local/bin/tool2); [ "$m1" = "$m2" ] && echo yes')
[ "$same" = yes ] && pass mtime-restored || fail mtime-restored "size/mtime differ: the test proves nothing"
podman exec sw-doors-d-$$ /usr/local/bin/tool2 true 2>/dev/null
wait_for mtime-restored-modified "$IN_D and .event.action == \"exec\" and .file.path == \"/usr/local/bin/tool2\" and .sealwatch.verdict == \"modified\""

# (10) verified, then changed, then run again: the write-open removes the cache entry
podman exec sw-doors-d-$$ /usr/local/bin/tool3 true 2>/dev/null
ino3=$(podman exec sw-doors-d-$$ /bin/busybox stat -c %i /usr/local/bin/tool3)
for _ in $(seq 300); do kcached "$ino3" && break; sleep 0.1; done
kcached "$ino3" && pass kcache-filled-2 || fail kcache-filled-2 "inode $ino3 not in map kcache"
podman exec sw-doors-d-$$ /bin/sh -c 'exec 3>>/usr/local/bin/tool3; sleep 3' &
writer=$!
wait_for write-open-alert "$IN_D and .event.action == \"open_write\" and .file.path == \"/usr/local/bin/tool3\""
kcached "$ino3" && fail write-open-invalidates "still cached while open for writing" ||
	pass write-open-invalidates
wait "$writer"
podman exec sw-doors-d-$$ /bin/sh -c 'echo "#x" >>/usr/local/bin/tool3'
podman exec sw-doors-d-$$ /usr/local/bin/tool3 true 2>/dev/null
wait_for changed-then-run-modified "$IN_D and .event.action == \"exec\" and .file.path == \"/usr/local/bin/tool3\" and .sealwatch.verdict == \"modified\""

# cached execs really skip userspace: 50 runs of a verified binary, no new exec events
before=$(count "$IN_D and .event.action == \"exec\"")
podman exec sw-doors-d-$$ /bin/sh -c 'i=0; while [ $i -lt 50 ]; do /bin/busybox true; i=$((i+1)); done'
sleep 1
after=$(count "$IN_D and .event.action == \"exec\"")
[ "$after" = "$before" ] && pass cached-execs-silent || fail cached-execs-silent "$((after - before)) new exec events"

# a baseline reload (SIGHUP) empties the in-kernel cache
kill -HUP "$DAEMON_PID"
for _ in $(seq 300); do
	n=$(kcache_dump | jq length)
	[ "$n" = 0 ] && break
	sleep 0.1
done
[ "$n" = 0 ] && pass sighup-flushes-kcache || fail sighup-flushes-kcache "$n entries left"

# no "ok" anywhere without a hash; every alert has a verdict
okunhashed=$(count '.sealwatch.verdict == "ok" and (.file.hash.sha256 == null)')
[ "$okunhashed" = 0 ] && pass no-ok-without-hash || fail no-ok-without-hash "$okunhashed"
lost=$(count '.event.action == "events_lost"')
[ "$lost" = 0 ] && pass no-events-lost || fail no-events-lost "$lost events_lost alerts"

# every line matches docs/events.schema.json
check_schema events-match-schema "$EVENTS"

# this daemon's programs only: other sealwatch instances may run on the machine
PROG_IDS=$(cat /proc/"$DAEMON_PID"/fdinfo/* 2>/dev/null | sed -n 's/^prog_id:[[:space:]]*//p' | sort -u)
kill -TERM "$DAEMON_PID"
if wait "$DAEMON_PID"; then pass sigterm-exit-0; else fail sigterm-exit-0 "exit $?"; fi
DAEMON_PID=
left=
for id in $PROG_IDS; do bpftool prog show id "$id" >/dev/null 2>&1 && left="$left $id"; done
if [ -z "$PROG_IDS" ]; then
	fail programs-detached "no prog_id in the daemon's fdinfo"
elif [ -n "$left" ]; then
	fail programs-detached "BPF programs still loaded:$left"
else
	pass programs-detached
fi
exit 0
