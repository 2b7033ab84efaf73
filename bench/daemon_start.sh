#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The daemon's start time with N keyless baselines (Sigstore bundles signed by
# sigstore-js against its mock services, tests/e2e/sigstore-js.js) beside the
# same N baselines signed with a key, and beside no baseline at all (the BPF
# load alone), in the same run, rounds interleaved. Measured from the launch
# of `sealwatch daemon` to its "start" event (programs attached, store loaded:
# the daemon is watching), on the event's own timestamp; plus the store's part
# (the log line of the load).
#
#   bench/daemon_start.sh [ROUNDS] [N]     defaults 7 and 100
#   SW=path/to/sealwatch                   default .output/sealwatch
# Needs root, node and the packages of tests/e2e/package.json in
# SW_SIGSTORE_JS_DIR. Prints figures; asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-7}
N=${2:-100}
SW=$(realpath "${SW:-.output/sealwatch}")
JS_DIR=${SW_SIGSTORE_JS_DIR:-${HOME:-/root}/.cache/sealwatch/sigstore-js}
ID="https://github.com/example/app/.github/workflows/baseline.yml@refs/heads/main"
ISS="https://token.actions.githubusercontent.com"
T=$(mktemp -d /tmp/sw-bench-start.XXXXXX)
DPID=''
trap '[ -n "$DPID" ] && kill "$DPID" 2>/dev/null; rm -rf "$T"' EXIT

[ -d "$JS_DIR/node_modules/@sigstore/mock" ] || { echo "sigstore-js missing: run tests/integration/test_sigstore_js.sh once" >&2; exit 1; }
mkdir -p "$T/tree/bin" "$T/keyless" "$T/keyed" "$T/empty"
for f in /usr/bin/*; do [ -f "$f" ] && cp "$f" "$T/tree/bin/"; done 2>/dev/null
"$SW" baseline --name bench/app:1 "dir:$T/tree" -o "$T/one.jsonl" 2>/dev/null
"$SW" keygen -o "$T/k" >/dev/null
for ((i = 0; i < N; i++)); do
	# distinct bytes per baseline (its own name), as a store of N images would hold
	sed "1s|\"bench/app:1\"|\"bench/app-$i:1\"|; 1s|docker.io/bench/app:1|docker.io/bench/app-$i:1|" \
		"$T/one.jsonl" >"$T/keyless/b$i.jsonl"
	cp "$T/keyless/b$i.jsonl" "$T/keyed/b$i.jsonl"
	"$SW" sign --key "$T/k.key" "$T/keyed/b$i.jsonl" >/dev/null
done
NODE_PATH=$JS_DIR/node_modules node tests/e2e/sigstore-js.js sign-dir "$T/keyless" "$ID" "$ISS"

# one_start NAME ARGS…: ms from launch to the start event; the store's count
one_start() {
	local ev=$T/ev.jsonl t0 i
	shift
	: >"$ev"
	t0=$(date +%s%N)
	"$SW" daemon --output "file:$ev" "$@" 2>"$T/daemon.log" &
	DPID=$!
	for ((i = 0; i < 600; i++)); do
		grep -q '"action":"start"' "$ev" 2>/dev/null && break
		sleep 0.05
	done
	kill "$DPID" && wait "$DPID" 2>/dev/null || true
	DPID=
	python3 - "$ev" "$t0" <<'PY'
import json, sys
from datetime import datetime, timezone
t0 = int(sys.argv[2]) / 1e9
start = loaded = None
for line in open(sys.argv[1]):
    e = json.loads(line)
    t = datetime.strptime(e["@timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()
    a = e.get("event", {}).get("action")
    if a == "baselines_loaded" and loaded is None:
        loaded = e["sealwatch"]["baselines"]["count"]
    if a == "start" and start is None:
        start = t
print("%.0f %s" % ((start - t0) * 1000, loaded) if start else "timeout -")
PY
}

median() { sort -n | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
kl=() ky=() none=()
for ((r = 1; r <= ROUNDS; r++)); do
	set -- $(one_start keyless --baseline-dir "$T/keyless" --trusted-root "$T/keyless.trusted_root.json" \
		--trusted-identity "$ISS=$ID")
	kl+=("$1") kl_n=$2
	set -- $(one_start keyed --baseline-dir "$T/keyed" --trusted-key "$T/k.pub")
	ky+=("$1") ky_n=$2
	set -- $(one_start none --baseline-dir "$T/empty" --trusted-key "$T/k.pub")
	none+=("$1")
done
echo "daemon start (launch -> start event, ms; $ROUNDS rounds interleaved; $N baselines of $(($(wc -l <"$T/one.jsonl") - 1)) entries each)"
printf '  %-40s median %6s   all: %s\n' "keyless: $N bundles ($kl_n loaded)" "$(printf '%s\n' "${kl[@]}" | median)" "${kl[*]}"
printf '  %-40s median %6s   all: %s\n' "keys: $N .sig ($ky_n loaded)" "$(printf '%s\n' "${ky[@]}" | median)" "${ky[*]}"
printf '  %-40s median %6s   all: %s\n' "reference: no baseline" "$(printf '%s\n' "${none[@]}" | median)" "${none[*]}"
