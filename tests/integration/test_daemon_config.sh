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
# log lines: --log-format json (or the config's log_format) makes each an ECS-shaped
# JSON object; under journald (JOURNAL_STREAM names stderr) each has its priority prefix
expect_exit log-format-bad 2 "$SW" daemon --log-format yaml && errline log-format-bad-msg "--log-format"
cfg '{"log_format": "xml"}'
expect_exit config-log-format-bad 3 "$SW" daemon --config "$WORK/c.json" && errline config-log-format-bad-msg "key 'log_format'"
if expect_exit log-format-json-exit 5 "$SW" daemon --log-format json --output "file:$WORK/no/such/dir/x.jsonl"; then
	if jq -e -s 'length >= 1 and all(.[]; .log.level == "error" and .log.logger == "sealwatch" and (.message | test("no/such/dir")) and (."@timestamp" | test("Z$")))' "$WORK/.err" >/dev/null 2>&1; then
		pass log-format-json-lines
	else
		fail log-format-json-lines "$(head -c 300 "$WORK/.err")"
	fi
fi
cfg "{\"log_format\": \"json\", \"outputs\": [\"file:$WORK/no/such/dir/y.jsonl\"]}"
expect_exit config-log-format-json 5 "$SW" daemon --config "$WORK/c.json" &&
	{ jq -e -s 'all(.[]; .log.level == "error")' "$WORK/.err" >/dev/null 2>&1 && pass config-log-format-json-lines || fail config-log-format-json-lines "$(head -c 300 "$WORK/.err")"; }
: >"$WORK/journal.err"
JOURNAL_STREAM=$(stat -c '%d:%i' "$WORK/journal.err") "$SW" daemon --output "file:$WORK/no/such/dir/x.jsonl" 2>>"$WORK/journal.err"
if grep -q '^<3>sealwatch: error: daemon: output' "$WORK/journal.err" && ! grep -v '^<[0-7]>' "$WORK/journal.err" | grep -q .; then
	pass journald-priority-prefix
else
	fail journald-priority-prefix "$(head -c 300 "$WORK/journal.err")"
fi
: >"$WORK/other.err"
JOURNAL_STREAM=1:1 "$SW" daemon --output "file:$WORK/no/such/dir/x.jsonl" 2>>"$WORK/other.err"
grep -q '^<' "$WORK/other.err" && fail no-prefix-when-stderr-is-not-the-journal "$(head -c 200 "$WORK/other.err")" || pass no-prefix-when-stderr-is-not-the-journal
if need_root && command -v setpriv >/dev/null; then
	: >"$WORK/ev.jsonl"
	chmod 777 "$WORK" && chmod 666 "$WORK/ev.jsonl"
	expect_exit not-root 5 setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$SW" daemon --output "file:$WORK/ev.jsonl" &&
		errline not-root-msg "needs root"
	[ ! -s "$WORK/ev.jsonl" ] && pass not-root-no-events || fail not-root-no-events
fi
exit 0
