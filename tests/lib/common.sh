# SPDX-License-Identifier: GPL-2.0-only
# Shared helpers for tests/integration/*.sh. Source it; it sets:
#   SW       the sealwatch binary under test ($SW_BUILD/sealwatch)
#   TOP      repository root
#   WORK     a per-script scratch directory, removed at exit
# Results are lines "PASS: <group>/<name>", "FAIL: …", "SKIP: …" (counted by tests/run.sh).
set -u

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SW_BUILD=${SW_BUILD:-$TOP/.output}
case "$SW_BUILD" in /*) ;; *) SW_BUILD=$TOP/$SW_BUILD ;; esac
SW=$SW_BUILD/sealwatch
GROUP=$(basename "${0%.sh}")
WORK=$(mktemp -d "/tmp/sw-$GROUP.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

pass() { echo "PASS: $GROUP/$1"; }
fail() {
	echo "FAIL: $GROUP/$1${2:+ — $2}"
}
skip() { echo "SKIP: $GROUP/$1${2:+ — $2}"; }

# check NAME CMD...: pass when CMD exits 0
check() {
	local name=$1
	shift
	if "$@" >"$WORK/.out" 2>&1; then
		pass "$name"
	else
		fail "$name" "command failed: $*"
		sed 's/^/    /' "$WORK/.out" | tail -n 20
	fi
}

# expect_exit NAME CODE CMD...: pass when CMD exits with CODE and wrote one
# error line to stderr when CODE >= 2
expect_exit() {
	local name=$1 want=$2 got
	shift 2
	"$@" >"$WORK/.out" 2>"$WORK/.err"
	got=$?
	if [ "$got" != "$want" ]; then
		fail "$name" "exit $got, expected $want: $*"
		sed 's/^/    /' "$WORK/.err" | tail -n 10
		return 1
	fi
	if [ "$want" -ge 2 ] && [ "$(grep -c . "$WORK/.err")" -lt 1 ]; then
		fail "$name" "exit $got but no error message"
		return 1
	fi
	pass "$name"
}

need_root() {
	[ "$(id -u)" = 0 ]
}

# wait_for NAME JQ-FILTER [SECONDS]: pass when some line of $EVENTS (the
# daemon's JSON output) matches within SECONDS (default $WAIT_SECS, else 30: a hang guard)
wait_for() {
	local name=$1 filter=$2 secs=${3:-${WAIT_SECS:-30}} i
	for ((i = 0; i < secs * 10; i++)); do
		if [ -s "$EVENTS" ] && jq -e -s "[.[] | select($filter)] | length > 0" "$EVENTS" >/dev/null 2>&1; then
			pass "$name"
			return 0
		fi
		sleep 0.1
	done
	fail "$name" "no event matching: $filter within $secs s"
	return 1
}

# wait_until SECONDS CMD...: 0 as soon as CMD succeeds, 1 when it still fails
# after SECONDS. A hang guard for "wait for the condition", never a timing
# assertion: give it tens of seconds, the condition is what the test checks.
wait_until() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

# pipe_drained FIFO: nothing waits unread in FIFO (its reader took it all)
pipe_drained() {
	[ "$(python3 -c 'import fcntl, os, struct, sys, termios
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
print(struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0])' "$1" 2>/dev/null)" = 0 ]
}

# baselines_reloaded N: the daemon has emitted more than N baselines_loaded
# events (N: their count before the change that triggers a reload)
baselines_reloaded() { [ "$(count '.event.action == "baselines_loaded"')" -gt "$1" ]; }

# count JQ-FILTER: how many lines of $EVENTS match
count() { jq -s "[.[] | select($1)] | length" "$EVENTS"; }

# cfg JSON: write $WORK/c.json (a daemon config under test)
cfg() { printf '%s' "$1" >"$WORK/c.json"; }

# errline NAME PATTERN: the last expect_exit's stderr has exactly one line, matching PATTERN
errline() {
	if [ "$(grep -c . "$WORK/.err")" = 1 ] && grep -q -- "$2" "$WORK/.err"; then
		pass "$1"
	else
		fail "$1" "stderr: $(head -c 300 "$WORK/.err")"
	fi
}

# busybox_image NAME: import a busybox-static rootfs (sh true sleep cp cat
# echo as links, /tmp 1777) as podman image NAME, unless it exists. Returns 1
# on failure; sets MADE_IMAGE=1 when it made the image (the caller removes it).
busybox_image() {
	local image=$1 r=$WORK/busybox-rootfs a
	podman image exists "$image" && return 0
	rm -rf "$r" && mkdir -p "$r/bin" "$r/tmp" || return 1
	install -m 0755 /bin/busybox "$r/bin/busybox" || return 1
	for a in sh true sleep cp cat echo; do ln -s busybox "$r/bin/$a"; done
	chmod 1777 "$r/tmp"
	tar -C "$r" -cf "$r.tar" . && podman import -q "$r.tar" "$image" >/dev/null || return 1
	MADE_IMAGE=1
}

# check_schema NAME EVENTS: every line of EVENTS matches docs/events.schema.json
check_schema() {
	local rc=0
	/usr/bin/python3 "$TOP/tests/integration/helpers/check_schema.py" \
		"$TOP/docs/events.schema.json" "$2" >"$WORK/.schema" 2>&1 || rc=$?
	case $rc in
	0) pass "$1" ;;
	2) skip "$1" "python3-jsonschema not installed" ;;
	*) fail "$1" "$(grep -c . "$WORK/.schema") invalid lines, first: $(head -n 1 "$WORK/.schema")" ;;
	esac
}
