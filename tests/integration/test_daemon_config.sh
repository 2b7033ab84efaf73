#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Daemon start-up errors: one clear line on stderr naming the key or flag, a
# documented exit code, and no event written when it cannot start.
source "$(dirname "$0")/../lib/common.sh"


cfg '{"baseline_dir": 3}'
expect_exit config-type 3 "$SW" daemon --config "$WORK/c.json" && errline config-type-msg "key 'baseline_dir' must be a non-empty string"
cfg '{"outputz": []}'
expect_exit config-unknown-key 3 "$SW" daemon --config "$WORK/c.json" && errline config-unknown-key-msg "key 'outputz' is not a known key"
cfg '{"outputs": [1]}'
expect_exit config-list-item 3 "$SW" daemon --config "$WORK/c.json" && errline config-list-item-msg "key 'outputs'"
cfg '{"hash_workers": 0}'
expect_exit config-range 3 "$SW" daemon --config "$WORK/c.json" && errline config-range-msg "key 'hash_workers'"
cfg '{"no_baseline_severity": "urgent"}'
expect_exit config-enum 3 "$SW" daemon --config "$WORK/c.json" && errline config-enum-msg "no_baseline_severity"
cfg '{"a": 1,'
expect_exit config-not-json 3 "$SW" daemon --config "$WORK/c.json"
cfg '{"all_events": true, "all_events": false}'
expect_exit config-duplicate-key 3 "$SW" daemon --config "$WORK/c.json"
expect_exit config-missing 3 "$SW" daemon --config "$WORK/nonexistent.json"
expect_exit baselines-need-key 2 "$SW" daemon --baseline-dir "$WORK"
expect_exit unknown-flag 2 "$SW" daemon --frobnicate
expect_exit bad-output 5 "$SW" daemon --output "file:$WORK/no/such/dir/x.jsonl"
expect_exit bad-output-scheme 3 "$SW" daemon --output "kafka://x"
check help "$SW" daemon --help
if need_root && command -v setpriv >/dev/null; then
	: >"$WORK/ev.jsonl"
	chmod 777 "$WORK" && chmod 666 "$WORK/ev.jsonl"
	expect_exit not-root 5 setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$SW" daemon --output "file:$WORK/ev.jsonl" &&
		errline not-root-msg "needs root"
	[ ! -s "$WORK/ev.jsonl" ] && pass not-root-no-events || fail not-root-no-events
fi
exit 0
