#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# End to end, keyless, without the internet: sigstore-js signs a real baseline
# against its mock Fulcio, CT log, Rekor and TSA (tests/e2e/sigstore-js.js), and
# sealwatch and sigstore-js must give the same answer on that bundle and on
# altered copies of it (identity, issuer, artifact, signature, trusted root).
# Needs node and npm (the pinned packages of tests/e2e/package.json are installed
# once into SW_SIGSTORE_JS_DIR, default ~/.cache/sealwatch/sigstore-js); skipped
# without them. No root needed.
. "$(dirname "$0")/../lib/common.sh"

JS_DIR=${SW_SIGSTORE_JS_DIR:-${HOME:-/root}/.cache/sealwatch/sigstore-js}
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	skip all "node and npm not installed"
	exit 0
fi
if ! cmp -s "$TOP/tests/e2e/package.json" "$JS_DIR/package.json" || [ ! -d "$JS_DIR/node_modules/@sigstore/mock" ]; then
	mkdir -p "$JS_DIR" && cp "$TOP/tests/e2e/package.json" "$JS_DIR/package.json"
	if ! (cd "$JS_DIR" && npm install --no-audit --no-fund --silent >"$WORK/npm.log" 2>&1); then
		skip all "npm install of sigstore-js failed (offline?): $(tail -n 1 "$WORK/npm.log")"
		rm -f "$JS_DIR/package.json"
		exit 0
	fi
fi
export NODE_PATH=$JS_DIR/node_modules
JS="node $TOP/tests/e2e/sigstore-js.js"
ID="https://github.com/example/app/.github/workflows/baseline.yml@refs/heads/main"
ISS="https://token.actions.githubusercontent.com"
cd "$WORK" || exit 1

# a real baseline of a small tree
mkdir -p tree/bin && printf '#!/bin/sh\necho hi\n' >tree/bin/hi && chmod 755 tree/bin/hi
check baseline "$SW" baseline --name example/app:1 dir:tree -o app.jsonl
# sigstore-js's ASN.1 time parser wants exactly three fractional digits, but DER
# drops trailing zeros (X.690 11.7): when its mock TSA stamps a time like
# "…12.34Z" (one time in ten or so), sigstore-js refuses its own bundle with
# "invalid time" (sealwatch accepts it: valid DER). The cross-checks below are
# about verification, not that parser: sign again until sigstore-js can read it.
sign_readable() {
	local try js1 js2
	for try in 1 2 3 4 5 6 7 8 9 10; do
		rm -rf signed
		$JS sign app.jsonl signed "$ID" "$ISS" >"$WORK/sign.out" 2>&1 || return 1
		js1=$($JS verify signed/message.sigstore.json app.jsonl signed/trusted_root.json "$ID" "$ISS" 2>&1 | tail -n 1)
		js2=$($JS verify signed/other.sigstore.json app.jsonl signed/trusted_root.json "$ID/other" "$ISS" 2>&1 | tail -n 1)
		case "$js1 $js2" in *"invalid time"*) echo "    sigstore-js could not parse its own TSA time (try $try): signing again" ;; *) return 0 ;; esac
	done
	return 1
}
check sign-keyless sign_readable

# agree NAME WANT BUNDLE FILE ROOT ID ISSUER: both verifiers say WANT (verified|refused)
agree() {
	local name=$1 want=$2 bundle=$3 file=$4 root=$5 id=$6 iss=$7 sw js
	if "$SW" verify --bundle "$bundle" --trusted-root "$root" --certificate-identity "$id" \
		--certificate-oidc-issuer "$iss" "$file" >"$WORK/sw.out" 2>&1; then
		sw=verified
	else
		sw=refused
	fi
	js=$($JS verify "$bundle" "$file" "$root" "$id" "$iss" 2>&1 | tail -n 1)
	jsfull=$js
	case "$js" in verified) ;; refused:*) js=refused ;; *) js="error: $js" ;; esac
	if [ "$sw" = "$want" ] && [ "$js" = "$want" ]; then
		pass "$name"
	else
		fail "$name" "want $want: sealwatch $sw ($(tail -n 1 "$WORK/sw.out")), sigstore-js $js ($jsfull)"
	fi
}

B=signed/message.sigstore.json
R=signed/trusted_root.json
agree message-verifies verified $B app.jsonl $R "$ID" "$ISS"
agree wrong-identity refused $B app.jsonl $R "https://github.com/example/other/.github/workflows/x.yml@refs/heads/main" "$ISS"
agree wrong-issuer refused $B app.jsonl $R "$ID" "https://gitlab.com"
cp app.jsonl tampered.jsonl && echo '{"path":"/bin/evil"}' >>tampered.jsonl
agree tampered-baseline refused $B tampered.jsonl $R "$ID" "$ISS"

agree other-identity-refused refused signed/other.sigstore.json app.jsonl $R "$ID" "$ISS"
agree other-identity-verifies verified signed/other.sigstore.json app.jsonl $R "$ID/other" "$ISS"

# the bundle's signature altered (still well-formed base64 DER)
jq -c '.messageSignature.signature |= (.[0:20] + (if .[20:21] == "A" then "B" else "A" end) + .[21:])' $B >badsig.json
agree altered-signature refused badsig.json app.jsonl $R "$ID" "$ISS"
# a trusted root without the log, and with another CA
jq '.tlogs = []' $R >nolog.json
agree root-without-the-log refused $B app.jsonl nolog.json "$ID" "$ISS"
jq --slurpfile o "$TOP/tests/conformance/sigstore/trusted_root.production.json" \
	'.certificateAuthorities = $o[0].certificateAuthorities' $R >otherca.json
agree root-with-another-ca refused $B app.jsonl otherca.json "$ID" "$ISS"
# the mock Rekor records a DSSE entry as proposed (real Rekor canonicalizes it):
# neither verifier may accept an entry that does not record this envelope's hashes
agree dsse-uncanonicalized-entry refused signed/dsse.sigstore.json app.jsonl $R "$ID" "$ISS"

# sealwatch's own answer names the check
"$SW" verify --bundle badsig.json --trusted-root $R --certificate-identity "$ID" \
	--certificate-oidc-issuer "$ISS" app.jsonl 2>"$WORK/err" >/dev/null
check altered-signature-says-signature grep -q 'REFUSED bundle badsig.json: signature: ' "$WORK/err"

# --- scan: the keyless baseline against the tree it describes
cp $B app.jsonl.sigstore.json
expect_exit scan-keyless 0 "$SW" scan --baseline app.jsonl --trusted-root $R \
	--certificate-identity "$ID" --certificate-oidc-issuer "$ISS" dir:tree
check scan-keyless-says-verified grep -q 'signature verified' "$WORK/.err"
cp $B tampered.jsonl.sigstore.json
expect_exit scan-keyless-tampered 4 "$SW" scan --baseline tampered.jsonl --trusted-root $R \
	--certificate-identity "$ID" --certificate-oidc-issuer "$ISS" dir:tree
check scan-keyless-tampered-says-signature grep -q 'tampered.jsonl.sigstore.json: signature: ' "$WORK/.err"
expect_exit scan-keyless-stranger 4 "$SW" scan --baseline app.jsonl --bundle signed/other.sigstore.json \
	--trusted-root $R --certificate-identity "$ID" --certificate-oidc-issuer "$ISS" dir:tree
# with a key too: the .sig counts when there is no bundle, the bundle decides when there is
cp app.jsonl keyed.jsonl
"$SW" keygen -o k >/dev/null && "$SW" sign --key k.key keyed.jsonl >/dev/null
expect_exit scan-sig-without-bundle 0 "$SW" scan --baseline keyed.jsonl --key k.pub --trusted-root $R \
	--certificate-identity "$ID" --certificate-oidc-issuer "$ISS" dir:tree
cp signed/other.sigstore.json keyed.jsonl.sigstore.json
expect_exit scan-bundle-decides 4 "$SW" scan --baseline keyed.jsonl --key k.pub --trusted-root $R \
	--certificate-identity "$ID" --certificate-oidc-issuer "$ISS" dir:tree
expect_exit scan-key-only-ignores-bundle 0 "$SW" scan --baseline keyed.jsonl --key k.pub dir:tree

# --- the daemon: keyless baselines in --baseline-dir (root: it loads BPF after the store)
if ! need_root; then
	skip daemon "needs root"
	exit 0
fi
mkdir -p store
cp app.jsonl store/good.jsonl && cp $B store/good.jsonl.sigstore.json
cp tampered.jsonl store/tampered.jsonl && cp $B store/tampered.jsonl.sigstore.json
cp app.jsonl store/stranger.jsonl && cp signed/other.sigstore.json store/stranger.jsonl.sigstore.json
cp app.jsonl store/unsigned.jsonl
EVENTS=$WORK/events.jsonl
"$SW" daemon --baseline-dir store --trusted-root $R --trusted-identity "$ISS=$ID" \
	--output "file:$EVENTS" >"$WORK/daemon.log" 2>&1 &
DAEMON_PID=$!
trap 'kill "$DAEMON_PID" 2>/dev/null; wait "$DAEMON_PID" 2>/dev/null; rm -rf "$WORK"' EXIT
wait_for daemon-keyless-loaded '.event.action == "baselines_loaded" and .sealwatch.baselines.count == 1' 20 ||
	sed 's/^/    /' "$WORK/daemon.log" | tail -n 5
wait_for daemon-refused-tampered '.event.action == "baseline_refused" and (.sealwatch.baseline.path | endswith("tampered.jsonl")) and .sealwatch.baseline.check == "signature"' 2
wait_for daemon-refused-stranger '.event.action == "baseline_refused" and (.sealwatch.baseline.path | endswith("stranger.jsonl")) and .sealwatch.baseline.check == "identity"' 2
wait_for daemon-refused-unsigned '.event.action == "baseline_refused" and (.sealwatch.baseline.path | endswith("unsigned.jsonl")) and (.sealwatch.reason | test("bundle missing"))' 2
kill "$DAEMON_PID" 2>/dev/null
wait "$DAEMON_PID" 2>/dev/null
check_schema daemon-events-schema "$EVENTS"
