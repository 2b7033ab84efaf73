#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Run every libFuzzer target for SECONDS each and print one result line per target:
#   PASS: fuzz/<name>
#   FAIL: fuzz/<name> — <reason>   (then the crash input's path, base64 and the log's tail)
# Each target starts from a fresh temporary corpus seeded with tests/fuzz/seeds/<name>/
# (the seeds directory is never written) and uses tests/fuzz/<name>.dict when present.
#   SW_BUILD          build directory holding fuzz/fuzz_* (default .output)
#   SW_FUZZ_KEEP=DIR  also copy corpora, crash inputs and logs to DIR
# The temporary directory is removed at exit unless a target failed: then it stays for the crash input.
set -u
cd "$(dirname "$0")/../.."
seconds=${1:-60}
SW_BUILD=${SW_BUILD:-.output}

case "$seconds" in
'' | *[!0-9]*)
	echo "usage: $0 SECONDS" >&2
	exit 2
	;;
esac

shopt -s nullglob
targets=("$SW_BUILD"/fuzz/fuzz_*)
[ ${#targets[@]} -gt 0 ] || exit 0

work=$(mktemp -d /tmp/sw-fuzz.XXXXXX)
failed=0
cleanup() {
	if [ -n "${SW_FUZZ_KEEP:-}" ]; then
		mkdir -p "$SW_FUZZ_KEEP" && cp -a "$work"/. "$SW_FUZZ_KEEP"/
	fi
	if [ "$failed" -eq 0 ]; then
		rm -rf "$work"
	else
		echo "fuzz: crash inputs, corpora and logs kept in $work" >&2
	fi
}
trap cleanup EXIT

for bin in "${targets[@]}"; do
	[ -f "$bin" ] && [ -x "$bin" ] || continue
	name=$(basename "$bin")
	corpus=$work/$name/corpus
	artifacts=$work/$name/artifacts
	log=$work/$name/log
	mkdir -p "$corpus" "$artifacts"
	if [ -d "tests/fuzz/seeds/$name" ]; then
		cp -a "tests/fuzz/seeds/$name"/. "$corpus"/
	fi
	dict=()
	[ -f "tests/fuzz/$name.dict" ] && dict=(-dict="tests/fuzz/$name.dict")

	# targets that need scratch files put them under TMPDIR: removed with $work
	TMPDIR=$work/$name "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
		"${dict[@]}" -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1
	rc=$?

	crash=$(find "$artifacts" -type f | head -n 1)
	if [ "$rc" -eq 0 ] && [ -z "$crash" ]; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
		echo "PASS: fuzz/$name${runs:+ ($runs runs)}"
		continue
	fi
	failed=1
	reason=$(grep -m 1 '^SUMMARY: ' "$log" || grep -m 1 -E 'ERROR: libFuzzer|deadly signal' "$log")
	reason=$(printf '%s' "$reason" | sed -E 's/^==[0-9]+== ?//; s/^SUMMARY: //')
	echo "FAIL: fuzz/$name — ${reason:-exit code $rc}"
	if [ -n "$crash" ]; then
		echo "    crash input: $crash"
		echo "    reproduce:   $bin $crash"
		echo "    base64:"
		head -c 4096 "$crash" | base64 | sed 's/^/      /'
	fi
	if grep -q -E '^==[0-9]+== ?ERROR' "$log"; then
		echo "    report:"
		sed -n -E '/^==[0-9]+== ?ERROR/,$p' "$log" | grep -v -E '^ +(Shadow|[A-Z][a-z ]+:  +)' |
			head -n 40 | sed 's/^/      /'
	else
		echo "    log tail:"
		tail -n 30 "$log" | sed 's/^/      /'
	fi
done
exit "$failed"
