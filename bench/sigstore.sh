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
cc -O2 -Iinclude -Iuserspace bench/sigstore_verify.c "$BUILD/libsealwatch.a" \
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
