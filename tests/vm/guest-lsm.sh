#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Runs inside the test VM (tests/integration/test_vm_lsm.sh prepares the root
# it is chrooted into): the daemon in bare-metal mode against /cfg/host.jsonl,
# once with the attach mode it picks itself and once forced to tp_btf and to
# tp, each exercising the file doors too, then `sealwatch trace` with the LSM
# file events. Everything it records lands in
# /out (the host asserts on it); progress lines start with "SWVM:".
SW=/usr/sbin/sealwatch

# wait_file FILE PATTERN SECONDS
wait_file() {
	i=0
	while [ "$i" -lt $(($3 * 10)) ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# doors: what only the file doors see (mmap_exec, script_open, exec_script,
# open_write), all at once, then wait for each path in the daemon's output.
# The programs stay alive a second so the daemon can open the exact mapping
# or fd; the host asserts on the verdicts.
doors() {
	ld=/lib64/ld-linux-x86-64.so.2
	# doors refused by this kernel: nothing to wait for (the host fails the checks)
	if grep -q 'file doors .* refused by this kernel' "${1%.jsonl}.err" 2>/dev/null; then
		echo "SWVM: $2: file doors refused, not exercised"
		return 0
	fi
	# the loader trick: the program is mapped by ld.so, never exec'd
	$ld /bin/dyn-dropped 1 &
	kids=$!
	$ld /bin/dyn-victim 1 &
	kids="$kids $!"
	/bin/tampered.sh & # a #! script changed after the baseline
	kids="$kids $!"
	sh /bin/dropped.sh # a script handed to an interpreter by name
	: >/etc/ld.so.preload
	cat /bin/hello.sh >/dev/null # a verified read path (--verify-read-path)
	for p in /bin/dyn-dropped /bin/dyn-victim /bin/tampered.sh /bin/dropped.sh /etc/ld.so.preload; do
		wait_file "$1" "\"path\":\"$p\"" 30 || echo "SWVM: $2: no event for $p"
	done
	wait_file "$1" '"action":"read_open"' 30 || echo "SWVM: $2: no read_open event"
	# shellcheck disable=SC2086 # three pids, split on purpose
	wait $kids # not the daemon
	# the next run starts without it, so its event is this run's
	rm -f /etc/ld.so.preload
}

# run_daemon NAME [ARGS...]: start, exec the three binaries, stop
run_daemon() {
	name=$1
	shift
	t0=$(cut -d' ' -f1 /proc/uptime)
	$SW daemon --host-baseline /cfg/host.jsonl --trusted-key /cfg/k.pub --all-events \
		--verify-read-path '/bin/hello*' --output "file:/out/$name.jsonl" "$@" \
		2>"/out/$name.err" &
	pid=$!
	if ! wait_file "/out/$name.jsonl" '"action":"start"' 120; then
		echo "SWVM: $name: daemon did not start"
		kill -INT "$pid" 2>/dev/null
		wait "$pid"
		return 1
	fi
	echo "SWVM: $name: started after $(cut -d' ' -f1 /proc/uptime) (from $t0)"
	/bin/good >/dev/null 2>&1
	/bin/victim >/dev/null 2>&1
	/bin/dropped >/dev/null 2>&1
	# three verdicts: hashing 2 MiB files under TCG takes a moment
	wait_file "/out/$name.jsonl" '"path":"/bin/dropped"' 60
	[ -n "$DOORS" ] && doors "/out/$name.jsonl" "$name"
	kill -INT "$pid"
	wait "$pid"
	echo "SWVM: $name: daemon exit $?"
}

# rc NAME CMD...: run CMD, record "NAME EXIT" in /out/prevent.rc (the host asserts)
rc() {
	n=$1
	shift
	"$@" >/dev/null 2>&1
	echo "$n $?" >>/out/prevent.rc
}

# prevent MODE: the BPF LSM prevention backend, host scope in MODE (enforce or
# audit), heartbeat deadline 3 s (the default). A file the daemon has not decided yet runs
# (not strict: the scope's fallback is allow); once the daemon's verdict is
# in the kernel's map, the next exec or executable mapping is decided there.
prevent() {
	m=$1
	out=/out/prevent-$m.jsonl
	echo "{\"mode\": \"$m\"}" >/tmp/prevent.json
	$SW daemon --host-baseline /cfg/host.jsonl --trusted-key /cfg/k.pub --config /tmp/prevent.json \
		--output "file:$out" 2>"/out/prevent-$m.err" &
	pid=$!
	if ! wait_file "$out" '"action":"start"' 120; then
		echo "SWVM: prevent-$m: daemon did not start"
		kill -INT "$pid" 2>/dev/null
		wait "$pid"
		return 1
	fi
	rc "$m-good-1" /bin/enforce_try /bin/good true
	rc "$m-victim-1" /bin/enforce_try /bin/victim true
	rc "$m-loader-1" /lib64/ld-linux-x86-64.so.2 /bin/dyn-dropped 0
	wait_file "$out" '"path":"/bin/victim"' 60 || echo "SWVM: prevent-$m: no victim event"
	wait_file "$out" '"path":"/bin/dyn-dropped"' 60 || echo "SWVM: prevent-$m: no dyn-dropped event"
	rc "$m-good-2" /bin/enforce_try /bin/good true
	rc "$m-victim-2" /bin/enforce_try /bin/victim true
	rc "$m-loader-2" /lib64/ld-linux-x86-64.so.2 /bin/dyn-dropped 0
	rc "$m-memfd" /bin/fileless_exec memfd /bin/busybox true
	if [ "$m" = enforce ]; then
		# strict (a reload): a file with no decision yet is denied at once,
		# decided files keep their decision (busybox, this script's tools)
		echo '{"mode": "enforce,strict"}' >/tmp/prevent.json
		kill -HUP "$pid"
		wait_file "$out" '"action":"config_reloaded"' 60 || echo "SWVM: prevent: no reload"
		rc strict-good /bin/enforce_try /bin/good true
		rc strict-dropped /bin/enforce_try /bin/dropped true
		rc strict-hello-1 /bin/enforce_try /bin/hello.sh
		wait_file "$out" '"path":"/bin/hello.sh"' 60 || echo "SWVM: prevent: no hello.sh event"
		rc strict-hello-2 /bin/enforce_try /bin/hello.sh
		# stopped daemon: after the heartbeat deadline the kernel allows
		kill -STOP "$pid"
		sleep 4
		rc stopped-victim /bin/enforce_try /bin/victim true
		kill -CONT "$pid"
		i=0 # decided again once the loop refreshed the heartbeat (hang guard: 20 s)
		while [ $i -lt 200 ]; do
			/bin/enforce_try /bin/victim true >/dev/null 2>&1
			[ $? = 101 ] && break
			sleep 0.1
			i=$((i + 1))
		done
		rc resumed-victim /bin/enforce_try /bin/victim true
		kill -KILL "$pid"
		wait "$pid"
		rc killed-victim /bin/enforce_try /bin/victim true
		echo "SWVM: prevent-$m: daemon killed"
		return 0
	fi
	kill -INT "$pid"
	wait "$pid"
	echo "SWVM: prevent-$m: daemon exit $?"
}

DOORS=
if grep -q 'lsm=[^ ]*bpf' /proc/cmdline; then
	# the root is read-only: /etc/ld.so.preload needs a writable /etc,
	# with what the root's /etc holds
	mkdir -p /tmp/etc.root && cp -a /etc/. /tmp/etc.root/ &&
		mount -t tmpfs tmpfs /etc && cp -a /tmp/etc.root/. /etc/ && DOORS=1 ||
		echo "SWVM: no writable /etc, file doors not exercised"
	run_daemon auto
	run_daemon tp_btf --attach tp_btf
	run_daemon tp --attach tp
	prevent enforce
	prevent audit
else
	# booted without bpf in lsm=: auto must not pick LSM programs that
	# would attach and never run; --attach lsm must refuse
	run_daemon nolsm
	$SW daemon --attach lsm --output file:/out/forced.jsonl 2>/out/forced.err
	echo "$?" >/out/forced.rc
	exit 0
fi

# trace: the LSM file events (mmap_exec, open_write) with their d_path paths
$SW trace --attach lsm --file-events --duration 120 >/out/trace.jsonl 2>/out/trace.err &
pid=$!
wait_file /out/trace.err 'exec events from' 60 || echo "SWVM: trace did not start"
/bin/good >/dev/null 2>&1
/bin/cat /dev/null # a symlink to busybox: d_path names the file run
/bin/hello.sh      # a #! script: interp is the interpreter's d_path
echo written >/tmp/written-by-guest
# the path hooks (trace counts every task as contained: no host namespace given)
mkdir -p /tmp/d/sub
echo x >/tmp/d/sub/gone
echo x >/tmp/d/old
rm /tmp/d/sub/gone
mv /tmp/d/old /tmp/d/new
truncate -s 0 /tmp/d/new
cd /tmp/d && rm new && cd /
# no sleep: each hook wrote its record during the syscall, and trace drains the
# ring buffer after SIGINT before it exits
kill -INT "$pid"
wait "$pid"
echo "SWVM: trace exit $?"
exit 0
