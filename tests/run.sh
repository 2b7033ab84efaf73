#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs every test tier available here and ends with "N passed, N failed".
#   SW_BUILD   build directory with sealwatch and tests/ (default .output)
#   SW_TESTS   optional substring filter on test file names
#   FUZZ_SECONDS  seconds per fuzz target in the smoke run (default 10)
set -u
cd "$(dirname "$0")/.."
export SW_BUILD=${SW_BUILD:-.output}
filter=${SW_TESTS:-}
log=$(mktemp /tmp/sw-run.XXXXXX)
trap 'rm -f "$log"' EXIT

run() { # run LABEL CMD... — stream output, keep it for counting
	echo "== $1"
	shift
	"$@" 2>&1 | tee -a "$log"
	return "${PIPESTATUS[0]}"
}

selected() { [ -z "$filter" ] || [[ "$1" == *"$filter"* ]]; }

if selected format; then
	if make --no-print-directory -s format-check >/tmp/sw-format.log 2>&1; then
		echo "PASS: style/format-check" | tee -a "$log"
	else
		echo "FAIL: style/format-check" | tee -a "$log"
		head -n 20 /tmp/sw-format.log
	fi
fi

if selected layering; then
	if tests/layering.sh >/tmp/sw-layering.log 2>&1; then
		echo "PASS: style/layering" | tee -a "$log"
	else
		echo "FAIL: style/layering" | tee -a "$log"
		grep -v '^note:' /tmp/sw-layering.log | head -n 20
	fi
fi

for t in "$SW_BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	selected "$t" || continue
	if ! run "unit $(basename "$t")" "$t"; then
		grep -q "^FAIL: unit/$(basename "$t")" "$log" ||
			echo "FAIL: unit/$(basename "$t") — exited non-zero" | tee -a "$log"
	fi
done

for t in tests/integration/test_*.sh; do
	[ -f "$t" ] || continue
	selected "$t" || continue
	if ! run "integration $(basename "$t")" bash "$t"; then
		echo "FAIL: $(basename "${t%.sh}") — script exited non-zero" | tee -a "$log"
	fi
done

if selected fuzz && [ -x tests/fuzz/run.sh ]; then
	run "fuzz smoke" tests/fuzz/run.sh "${FUZZ_SECONDS:-10}"
fi

passed=$(grep -c '^PASS: ' "$log")
failed=$(grep -c '^FAIL: ' "$log")
skipped=$(grep -c '^SKIP: ' "$log")
echo
grep '^FAIL: ' "$log" | sed 's/^/  /'
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
