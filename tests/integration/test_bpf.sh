#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The BPF exec layer on its own (`sealwatch trace`), on the real kernel: execs
# on the host, in a podman container, from a memfd, a deleted file and tmpfs;
# the file identity equals what stat() of /proc/PID/exe reports; counters; a
# clean detach on SIGTERM. Everything again with --force-tp (the tp fallback).
# Needs root.
. "$(dirname "$0")/../lib/common.sh"

if ! need_root; then
	skip all "needs root"
	exit 0
fi
for tool in jq podman python3 bpftool; do
	if ! command -v "$tool" >/dev/null; then
		skip all "$tool missing"
		exit 0
	fi
done
PY=$(command -v /usr/bin/python3 || command -v python3)
IMAGE=${SW_BPF_IMAGE:-localhost/bbtest-$$:1}
MADE_IMAGE=
CTR=
TRACE_PID=

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	[ -n "$TRACE_PID" ] && kill -KILL "$TRACE_PID" 2>/dev/null
	[ -n "$CTR" ] && podman rm -f -t 0 "$CTR" >/dev/null 2>&1
	[ -n "$MADE_IMAGE" ] && podman rmi -f "$IMAGE" >/dev/null 2>&1
	[ -d "${V1CG:-}" ] && rmdir "$V1CG" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT


# start_trace [ARGS]: sealwatch trace in the background, ready when it logged its mode
start_trace() {
	: >"$WORK/events.json"
	"$SW" trace "$@" >"$WORK/events.json" 2>"$WORK/trace.err" &
	TRACE_PID=$!
	for _ in $(seq 600); do
		grep -q 'exec events from' "$WORK/trace.err" && return 0
		kill -0 "$TRACE_PID" 2>/dev/null || break
		sleep 0.1
	done
	sed 's/^/    /' "$WORK/trace.err" | tail -n 20
	return 1
}

# stop_trace: SIGTERM; sets TRACE_RC (the exit status, "hang" when it did not
# exit within 30 s: a hang guard, not a timing assertion; bench/ times it)
stop_trace() {
	kill -TERM "$TRACE_PID"
	for _ in $(seq 300); do
		kill -0 "$TRACE_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$TRACE_PID" 2>/dev/null; then
		kill -KILL "$TRACE_PID"
		wait "$TRACE_PID"
		TRACE_RC=hang
	else
		wait "$TRACE_PID"
		TRACE_RC=$?
	fi
	TRACE_PID=
}

# event_for JQ-FILTER: first event matching, waiting up to 30 s for it
event_for() {
	local ev
	for _ in $(seq 300); do
		ev=$(jq -c "select($1)" "$WORK/events.json" 2>/dev/null | head -n 1)
		if [ -n "$ev" ]; then
			printf '%s\n' "$ev"
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# identity as the kernel sent it and as stat() sees a path: "maj:min ino size sec.nsec nlink"
ev_identity() {
	jq -r '.file | "\(.dev) \(.ino) \(.size) \(.ctime_sec).\("000000000\(.ctime_nsec)"[-9:]) \(.nlink)"'
}
stat_identity() {
	stat -L -c '%Hd:%Ld %i %s %.9Z %h' "$1"
}

# expect NAME EVENT JQ-CONDITION: pass when the condition holds for EVENT
expect() {
	if [ -n "$2" ] && jq -e "$3" >/dev/null <<<"$2"; then
		pass "$1"
	else
		fail "$1" "want $3, got: ${2:-no event}"
	fi
}

# same_identity NAME EVENT PATH
same_identity() {
	local want got
	want=$(stat_identity "$2")
	got=$(ev_identity <<<"$3")
	if [ -n "$3" ] && [ "$want" = "$got" ]; then
		pass "$1"
	else
		fail "$1" "kernel '$got' != stat '$want'"
	fi
}

# run_host SUFFIX EXTRA-FLAG-CHECK: (a) /bin/true, (b) a #! script
run_host() {
	local sfx=$1 extra=$2 p ev mntns
	mntns=$(readlink /proc/self/ns/mnt | tr -dc 0-9)

	/bin/true &
	p=$!
	wait "$p"
	ev=$(event_for ".tgid == $p")
	expect "host-exec$sfx" "$ev" \
		".type == \"exec\" and .filename == \"/bin/true\" and .pid == $p and
		 .ppid == $BASHPID and .uid == 0 and .mntns == $mntns and .comm == \"true\" and
		 $extra"
	same_identity "host-identity$sfx" /bin/true "$ev"

	# the kernel's walk of the executed file: where it is, whatever name ran it (a symlink)
	ln -sf /bin/true "$WORK/t-link"
	"$WORK/t-link" &
	p=$!
	wait "$p"
	ev=$(event_for ".tgid == $p")
	expect "host-exe-dentry$sfx" "$ev" \
		".filename == \"$WORK/t-link\" and .interp == \"$(readlink -f /bin/true)\" and
		 (.flag_names | index(\"exe_dentry\") != null) and
		 (.flag_names | index(\"path_top\") != null)"

	printf '#!/bin/sh\nexit 0\n' >"$WORK/hello.sh"
	chmod 0755 "$WORK/hello.sh"
	"$WORK/hello.sh" &
	p=$!
	wait "$p"
	ev=$(event_for ".tgid == $p")
	if [ -z "$sfx" ]; then
		expect "script$sfx" "$ev" \
			".filename == \"$WORK/hello.sh\" and .interp == \"/bin/sh\" and
			 (.flag_names | index(\"script\") != null)"
	else
		# no linux_binprm in the fallback: the script is not recognized
		# (the daemon tells it by its head); interp is the walk of the interpreter
		expect "script$sfx" "$ev" \
			".filename == \"$WORK/hello.sh\" and (.flag_names | index(\"script\") == null) and
			 .interp == \"$(readlink -f /bin/sh)\" and $extra"
	fi
	# the file run is the interpreter
	same_identity "script-identity$sfx" /bin/sh "$ev"
}

# run_container SUFFIX EXTRA: (c) a real podman container (runc, overlay)
run_container() {
	local sfx=$1 extra=$2 p ev up
	CTR=$(podman run -d --rm --runtime runc --network none "$IMAGE" /bin/busybox sleep 30) || {
		fail "container$sfx" "podman run failed"
		return
	}
	p=$(podman inspect -f '{{.State.Pid}}' "$CTR")
	ev=$(event_for ".tgid == $p and .filename == \"/bin/busybox\"")
	expect "container-exec$sfx" "$ev" \
		".cgroup_name == \"libpod-$CTR\" and
		 (.flag_names | index(\"overlay\") != null) and
		 (.flag_names | index(\"upper_known\") != null) and
		 (.flag_names | index(\"overlay_upper\") == null) and
		 .mntns == $(readlink "/proc/$p/ns/mnt" | tr -dc 0-9) and $extra"
	same_identity "container-identity$sfx" "/proc/$p/exe" "$ev"
	# the walk stops at the container's root, not the host's
	expect "container-exe-dentry$sfx" "$ev" \
		".interp == \"/bin/busybox\" and (.flag_names | index(\"path_top\") != null)"

	# a file written in the container: upper layer
	podman exec -d "$CTR" /bin/sh -c 'cp /bin/busybox /tmp/sleep && exec /tmp/sleep 20' >/dev/null
	ev=$(event_for ".filename == \"/tmp/sleep\" and .cgroup_name == \"libpod-$CTR\"")
	up=$(jq -r '.tgid' <<<"${ev:-null}")
	expect "container-upper$sfx" "$ev" \
		"(.flag_names | index(\"overlay_upper\") != null) and $extra"
	same_identity "container-upper-identity$sfx" "/proc/$up/exe" "$ev"
	podman rm -f -t 0 "$CTR" >/dev/null 2>&1
	CTR=
}

# (d) fileless: memfd, deleted file; and an ordinary tmpfs file
run_fileless() {
	local p ev
	"$PY" -c '
import os
fd = os.memfd_create("sw-test", 0)
with open("/bin/sleep", "rb") as f:
    os.write(fd, f.read())
os.execve("/proc/self/fd/%d" % fd, ["sleep", "3"], {})' &
	p=$!
	ev=$(event_for ".tgid == $p and (.filename | startswith(\"/proc/self/fd/\"))")
	expect memfd "$ev" '(.flag_names | index("memfd") != null) and .file.nlink == 0'
	same_identity memfd-identity "/proc/$p/exe" "$ev"
	kill "$p" 2>/dev/null
	wait "$p" 2>/dev/null

	cp /bin/sleep "$WORK/gone"
	"$PY" -c '
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
os.unlink(sys.argv[1])
os.execve("/proc/self/fd/%d" % fd, ["sleep", "3"], {})' "$WORK/gone" &
	p=$!
	ev=$(event_for ".tgid == $p and (.filename | startswith(\"/proc/self/fd/\"))")
	expect deleted "$ev" \
		'(.flag_names | index("deleted") != null) and (.flag_names | index("memfd") == null)'
	same_identity deleted-identity "/proc/$p/exe" "$ev"
	kill "$p" 2>/dev/null
	wait "$p" 2>/dev/null

	if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ]; then
		cp /bin/sleep "/dev/shm/sw-test-$$"
		"/dev/shm/sw-test-$$" 3 &
		p=$!
		ev=$(event_for ".tgid == $p")
		# not deleted, not a memfd, no overlay: only the walk's flags
		expect tmpfs "$ev" '.flag_names == ["path_top", "exe_dentry"] and .interp == .filename'
		same_identity tmpfs-identity "/proc/$p/exe" "$ev"
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
		rm -f "/dev/shm/sw-test-$$"
	else
		skip tmpfs "/dev/shm is not a tmpfs"
	fi
}

# (g) hybrid cgroups: v2 root, v1 pids cgroup → the v1 leaf name
run_cgroup_v1() {
	local p ev
	if [ ! -d /sys/fs/cgroup/pids ] || [ "$(sed -n 's/^0:://p' /proc/self/cgroup)" != / ]; then
		skip cgroup-v1 "no v1 pids hierarchy, or not in the v2 root"
		return
	fi
	V1CG=/sys/fs/cgroup/pids/sw-test-$$
	mkdir -p "$V1CG"
	bash -c 'echo $$ >"$1/cgroup.procs" && exec /bin/true' _ "$V1CG" &
	p=$!
	wait "$p"
	ev=$(event_for ".tgid == $p and .filename == \"/bin/true\"")
	expect cgroup-v1 "$ev" \
		".cgroup_name == \"sw-test-$$\" and (.flag_names | index(\"cgroup_v1\") != null)"
	rmdir "$V1CG" 2>/dev/null
}

# prog and link ids held by PID (from its fdinfo)
bpf_ids() {
	grep -h -E '^(prog_id|link_id):' /proc/"$1"/fdinfo/* 2>/dev/null | sort -u
}

# (e) counters, (f) SIGTERM: exit 0, nothing left loaded
check_stop() {
	local sfx=$1 ids counters leaked=0 kind id
	ids=$(bpf_ids "$TRACE_PID")
	[ -n "$ids" ] || fail "bpf-ids$sfx" "no prog_id in /proc/$TRACE_PID/fdinfo"
	for _ in $(seq 300); do /bin/true; done
	sleep 0.5
	stop_trace
	if [ "$TRACE_RC" = 0 ]; then
		pass "sigterm$sfx"
	else
		fail "sigterm$sfx" "exit $TRACE_RC after SIGTERM"
	fi
	counters=$(tail -n 1 "$WORK/trace.err")
	expect "counters$sfx" "$counters" \
		'.ringbuf_full == 0 and .read_fail == 0 and .no_file == 0 and
		 .bad_records == 0 and .events >= 300'
	while read -r kind id; do
		case $kind in
		prog_id:) bpftool prog show id "$id" >/dev/null 2>&1 && leaked=1 ;;
		link_id:) bpftool link show id "$id" >/dev/null 2>&1 && leaked=1 ;;
		esac
	done <<<"$ids"
	if [ -n "$ids" ] && [ "$leaked" = 0 ]; then
		pass "detached$sfx"
	else
		fail "detached$sfx" "still loaded after exit: $(tr '\n' ' ' <<<"$ids")"
	fi
}

if ! busybox_image "$IMAGE"; then
	fail image "cannot build $IMAGE"
	exit 1
fi

# tp_btf (the default where the kernel has it)
if start_trace; then
	if grep -q 'exec events from tp_btf/' "$WORK/trace.err"; then
		pass attach-tp_btf
		btf_extra='(.flag_names | index("fallback_tp") == null)'
	else
		skip attach-tp_btf "$(grep -o 'exec events from .*' "$WORK/trace.err")"
		btf_extra=true
	fi
	run_host "" "$btf_extra"
	run_container "" "$btf_extra"
	run_fileless
	run_cgroup_v1
	check_stop ""
else
	fail start "sealwatch trace did not start"
fi

# the tp/sched fallback
if start_trace --force-tp; then
	if grep -q 'exec events from tp/sched/sched_process_exec' "$WORK/trace.err"; then
		pass attach-tp
	else
		fail attach-tp "$(cat "$WORK/trace.err")"
	fi
	tp_extra='(.flag_names | index("fallback_tp") != null)'
	run_host -tp "$tp_extra"
	run_container -tp "$tp_extra"
	check_stop -tp
else
	fail start-tp "sealwatch trace --force-tp did not start"
fi

# --count stops by itself; --duration too
# (execs until it has stopped: it may attach late on a loaded machine)
timeout 60 "$SW" trace --count 1 >"$WORK/one.json" 2>/dev/null &
p=$!
while kill -0 "$p" 2>/dev/null; do
	/bin/true
	sleep 0.2
done
wait "$p"
rc=$?
if [ "$rc" = 0 ] && [ "$(wc -l <"$WORK/one.json")" = 1 ]; then
	pass count
else
	fail count "exit $rc, $(wc -l <"$WORK/one.json") lines"
fi
expect_exit duration 0 timeout 60 "$SW" trace --duration 1
expect_exit bad-ringbuf-size 3 "$SW" trace --ringbuf-size 1000
exit 0
