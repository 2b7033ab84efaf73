#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Attach-mode choice on this host (the LSM path itself is tested under qemu by
# test_vm_lsm.sh): what auto picks, what each forced mode does, bad values.
source "$(dirname "$0")/../lib/common.sh"

expect_exit bad-attach-flag 2 "$SW" daemon --attach fentry
printf '{"attach": "kprobe"}\n' >"$WORK/bad.json"
expect_exit bad-attach-key 3 "$SW" daemon --config "$WORK/bad.json"
if grep -q "must be one of auto, lsm, tp_btf, tp" "$WORK/.err"; then
	pass bad-attach-key-message
else
	fail bad-attach-key-message "$(cat "$WORK/.err")"
fi
expect_exit trace-bad-attach 2 "$SW" trace --attach nope

if ! need_root; then
	skip bpf "needs root"
	exit 0
fi

# start_mode NAME ARGS...: run the daemon until its start event, print attach_mode
start_mode() {
	local out=$WORK/$1.jsonl pid i
	shift
	"$SW" daemon --output "file:$out" "$@" 2>"$WORK/daemon.err" &
	pid=$!
	for ((i = 0; i < 600; i++)); do
		grep -q '"action":"start"' "$out" 2>/dev/null && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -INT "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	jq -r 'select(.event.action == "start") | .sealwatch.attach_mode' "$out" 2>/dev/null
}

lsm_active=false
if grep -qw bpf /sys/kernel/security/lsm 2>/dev/null; then
	lsm_active=true
fi
mode=$(start_mode auto)
if [ "$mode" = "lsm/bprm_committed_creds" ] ||
	{ [ "$mode" = "tp_btf/sched_process_exec" ] &&
		grep -q 'BPF LSM unavailable' "$WORK/daemon.err"; }; then
	pass "auto-picks-$mode"
	grep -o 'BPF LSM unavailable.*' "$WORK/daemon.err" | sed 's/^/    /'
else
	fail auto-mode "got '$mode' (bpf LSM active: $lsm_active)"
	tail -n 5 "$WORK/daemon.err" | sed 's/^/    /'
fi

# the metric the loader sets (sealwatch trace prints its value for the mode in use)
"$SW" trace --duration 1 --count 1 >/dev/null 2>"$WORK/trace.err"
if tail -n 1 "$WORK/trace.err" | jq -e '.attach_info == 1' >/dev/null 2>&1; then
	pass attach-info-metric
else
	fail attach-info-metric "$(tail -n 1 "$WORK/trace.err")"
fi

mode=$(start_mode tp --attach tp)
[ "$mode" = "tp/sched/sched_process_exec" ] && pass forced-tp || fail forced-tp "got '$mode'"
printf '{"attach": "tp"}\n' >"$WORK/tp.json"
mode=$(start_mode tp-config --config "$WORK/tp.json")
[ "$mode" = "tp/sched/sched_process_exec" ] && pass config-tp || fail config-tp "got '$mode'"
mode=$(start_mode tp_btf --attach tp_btf)
[ "$mode" = "tp_btf/sched_process_exec" ] && pass forced-tp_btf || fail forced-tp_btf "got '$mode'"

# this host refuses LSM programs (ENVIRONMENT.md): a forced lsm must fail, loudly
if [ "$(start_mode auto-check)" != "lsm/bprm_committed_creds" ]; then
	expect_exit forced-lsm-refused 5 "$SW" daemon --attach lsm --output "file:$WORK/lsm.jsonl" &&
		if grep -q 'lsm attach mode unavailable' "$WORK/.err" && ! [ -s "$WORK/lsm.jsonl" ]; then
			pass forced-lsm-message
		else
			fail forced-lsm-message "$(tail -n 1 "$WORK/.err")"
		fi
else
	skip forced-lsm-refused "this kernel runs BPF LSM programs"
fi
exit 0
