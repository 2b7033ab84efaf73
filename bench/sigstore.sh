#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Verification time of one Sigstore bundle beside the key-signature path:
# in process (median of ITERATIONS, bench/sigstore_verify.c) and per CLI call
# (median of RUNS `sealwatch verify` processes, start-up included).
#
#   bench/sigstore.sh [ITERATIONS] [RUNS]     defaults 2000 and 200
#   SW=path/to/sealwatch  BUILD=.output
#
# The bundle is the conformance case happy-path-v0.3 (Rekor v1: SET, inclusion
# proof, checkpoint, Fulcio chain, SCT) and rekor2-happy-path (Rekor v2 +
# RFC 3161); the key path signs the same artifact with a fresh P-256 key.
set -euo pipefail
cd "$(dirname "$0")/.."
ITER=${1:-2000}
RUNS=${2:-200}
BUILD=${BUILD:-.output}
SW=${SW:-$BUILD/sealwatch}
CONF=tests/conformance/sigstore
ID="https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
ISS="https://token.actions.githubusercontent.com"
TMP=$(mktemp -d /tmp/sw-bench-sigstore.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

[ -x "$SW" ] && [ -f "$BUILD/libsealwatch.a" ] || { echo "build first: make" >&2; exit 1; }
# shellcheck disable=SC2046
cc -O2 -Iinclude $(for d in userspace/*/; do printf -- "-I%s " "${d%/}"; done)bench/sigstore_verify.c "$BUILD/libsealwatch.a" \
	$(pkg-config --libs libcrypto jansson) -o "$TMP/bench"
cp "$CONF/a.txt" "$TMP/a.txt"
"$SW" keygen -o "$TMP/k" >/dev/null
"$SW" sign --key "$TMP/k.key" "$TMP/a.txt" >/dev/null

echo "in process, $ITER iterations each:"
for c in happy-path-v0.3:trusted_root.production.json rekor2-happy-path:cases/rekor2-happy-path/trusted_root.json; do
	echo "  bundle ${c%%:*}"
	"$TMP/bench" "$CONF/${c#*:}" "$CONF/cases/${c%%:*}/bundle.sigstore.json" "$ID" "$ISS" \
		"$TMP/a.txt" "$TMP/k.pub" "$TMP/a.txt.sig" "$ITER" | sed 's/^/    /'
done

median_ms() { # median_ms CMD… — wall time of RUNS runs, median in ms
	local i s e
	for ((i = 0; i < RUNS; i++)); do
		s=$(date +%s%N)
		"$@" >/dev/null 2>&1
		e=$(date +%s%N)
		echo $(((e - s) / 1000))
	done | sort -n | awk '{a[NR]=$1} END {printf "%.2f ms\n", a[int((NR+1)/2)]/1000}'
}
echo "per process (sealwatch verify, start-up and file reads included), median of $RUNS:"
printf '  %-44s %s\n' "verify --bundle (happy-path-v0.3)" "$(median_ms "$SW" verify \
	--bundle "$CONF/cases/happy-path-v0.3/bundle.sigstore.json" --trusted-root "$CONF/trusted_root.production.json" \
	--certificate-identity "$ID" --certificate-oidc-issuer "$ISS" "$TMP/a.txt")"
printf '  %-44s %s\n' "verify --key (detached signature)" "$(median_ms "$SW" verify --key "$TMP/k.pub" "$TMP/a.txt")"

# The daemon's store at start-up with N keyless baselines (sigstore-js signs them
# against its mock services; skipped without node and the packages of
# tests/e2e/package.json in SW_SIGSTORE_JS_DIR).
N=${N_BASELINES:-100}
JS_DIR=${SW_SIGSTORE_JS_DIR:-${HOME:-/root}/.cache/sealwatch/sigstore-js}
if command -v node >/dev/null && [ -d "$JS_DIR/node_modules/@sigstore/mock" ]; then
	mkdir -p "$TMP/tree/bin" "$TMP/keyless" "$TMP/keyed"
	for f in /usr/bin/*; do [ -f "$f" ] && cp "$f" "$TMP/tree/bin/"; done 2>/dev/null
	"$SW" baseline --name bench/app:1 "dir:$TMP/tree" -o "$TMP/one.jsonl" 2>/dev/null
	for ((i = 0; i < N; i++)); do
		cp "$TMP/one.jsonl" "$TMP/keyless/b$i.jsonl"
		cp "$TMP/one.jsonl" "$TMP/keyed/b$i.jsonl"
		"$SW" sign --key "$TMP/k.key" "$TMP/keyed/b$i.jsonl" >/dev/null
	done
	NODE_PATH=$JS_DIR/node_modules node tests/e2e/sigstore-js.js sign-dir "$TMP/keyless" "$ID" "$ISS"
	# shellcheck disable=SC2046
	cc -O2 -Iinclude $(for d in userspace/*/; do printf -- "-I%s " "${d%/}"; done)bench/bstore_load.c "$BUILD/libsealwatch.a" \
		$(pkg-config --libs libbpf libelf libcrypto libssl jansson libarchive zlib libcurl libmicrohttpd) \
		-lm -pthread -o "$TMP/bstore_load"
	echo "daemon store load: $N baselines of $(($(wc -l <"$TMP/one.jsonl") - 1)) entries each:"
	"$TMP/bstore_load" "$TMP/keyless" "$TMP/keyless.trusted_root.json" "$ID" "$ISS" "$TMP/keyed" "$TMP/k.pub" 11
else
	echo "daemon store load: skipped (node or sigstore-js missing, see tests/integration/test_sigstore_js.sh)"
fi
