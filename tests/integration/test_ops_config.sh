#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Config and flag errors of the keys and flags issue 5 added or fixed: one
# line naming the key or flag, exit 3 for a bad config or listen address, 2
# for a bad command line; valid values accepted (checked with --help, which
# runs after the config file and flags are parsed).
source "$(dirname "$0")/../lib/common.sh"


for v in '"localhost:9464"' '"127.0.0.1"' '"127.0.0.1:0"' '"127.0.0.1:70000"' '9464' '""' '"[::1]9464"'; do
	cfg "{\"metrics_listen\": $v}"
	n=metrics-listen-key-$(tr -dc 'a-z0-9' <<<"$v")
	expect_exit "$n" 3 "$SW" daemon --config "$WORK/c.json" --help &&
		errline "$n-msg" "key 'metrics_listen' must be a numeric"
done
cfg '{"metrics_listen": "[::1]:9464", "cache_size": 1024}'
expect_exit metrics-listen-v6-ok 0 "$SW" daemon --config "$WORK/c.json" --help
for v in 'localhost:9464' '127.0.0.1' '1.2.3.4:0' '[::1]' 'x'; do
	n=metrics-listen-flag-$(tr -dc 'a-z0-9' <<<"$v")
	expect_exit "$n" 3 "$SW" daemon --metrics-listen "$v" --help && errline "$n-msg" "^.*--metrics-listen: "
done
expect_exit metrics-listen-flag-ok 0 "$SW" daemon --metrics-listen 127.0.0.1:9464 --help

# wrong types and ranges of every key kind (string, list, bool, count, enum)
while IFS='|' read -r name json key; do
	cfg "$json"
	expect_exit "$name" 3 "$SW" daemon --config "$WORK/c.json" --help &&
		errline "$name-msg" "key '$key' "
done <<'EOF_CASES'
type-host-baseline|{"host_baseline": ["x"]}|host_baseline
type-trusted-keys|{"trusted_keys": "k.pub"}|trusted_keys
too-many-outputs|{"outputs": ["stdout","stdout","stdout","stdout","stdout","stdout","stdout","stdout","stdout","stdout","stdout","stdout","stdout","stdout","stdout","stdout","stdout"]}|outputs
type-all-events|{"all_events": "yes"}|all_events
type-verbose|{"verbose": 1}|verbose
type-force-tracepoint|{"force_tracepoint": null}|force_tracepoint
range-queue-size|{"queue_size": 15}|queue_size
range-queue-size-high|{"queue_size": 1048577}|queue_size
range-cache-size|{"cache_size": 16777217}|cache_size
type-cache-size|{"cache_size": 1.5}|cache_size
range-hash-workers|{"hash_workers": 65}|hash_workers
negative-hash-workers|{"hash_workers": -1}|hash_workers
type-severity|{"no_baseline_severity": 3}|no_baseline_severity
unknown-key-typo|{"metric_listen": "127.0.0.1:1"}|metric_listen
EOF_CASES

# count flags: the whole value must be a number in range (was: "4abc" taken as 4)
expect_exit flag-hash-workers-junk 2 "$SW" daemon --hash-workers 4abc && errline flag-hash-workers-junk-msg "--hash-workers: '4abc'"
expect_exit flag-queue-size-range 2 "$SW" daemon --queue-size 8 && errline flag-queue-size-range-msg "--queue-size"
# --cache-size was listed in --help but refused as an unknown option
expect_exit flag-cache-size-ok 0 "$SW" daemon --cache-size 1024 --help
expect_exit flag-cache-size-range 2 "$SW" daemon --cache-size 1 && errline flag-cache-size-range-msg "--cache-size"
# flags override the file: a bad file value is still an error (the file is read first)
cfg '{"hash_workers": 4}'
expect_exit flag-overrides-file 0 "$SW" daemon --config "$WORK/c.json" --hash-workers 8 --help
exit 0
