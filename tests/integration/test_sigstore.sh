#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Keyless (Sigstore) bundle verification, offline, no root needed:
#  - the public conformance cases (tests/conformance/sigstore/, 70 cases, each by
#    path and by sha256 digest) through `sealwatch verify-bundle`;
#  - `sealwatch verify --bundle`: identity, regexp, issuer, key, exit codes and
#    the one error line of docs/cli.md.
. "$(dirname "$0")/../lib/common.sh"

CONF=$TOP/tests/conformance/sigstore
HAPPY=$CONF/cases/happy-path-v0.3/bundle.sigstore.json
ID="https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
ISS="https://token.actions.githubusercontent.com"
ROOT=$CONF/trusted_root.production.json
cd "$WORK" || exit 1

# --- the conformance suite: one PASS/FAIL line per case and input form --------
TMPDIR=$WORK "$CONF/run.sh" "$SW" 2>&1 | sed -e 's/^PASS: /PASS: sigstore-conformance\//' \
	-e 's/^FAIL: /FAIL: sigstore-conformance\//' | grep -v '^[0-9]* passed, [0-9]* failed$'

# expect_error NAME CODE CMD...: exit CODE and exactly one "sealwatch: " line on stderr
expect_error() {
	local name=$1 lines
	expect_exit "$@" || return 1
	lines=$(wc -l <"$WORK/.err")
	if [ "$lines" = 1 ] && grep -q '^sealwatch: ' "$WORK/.err"; then
		pass "$name/one-line"
	else
		fail "$name/one-line" "expected one 'sealwatch: ' line on stderr, got $lines"
		sed 's/^/    /' "$WORK/.err" | head -n 5
	fi
}

cp "$CONF/a.txt" a.txt
v() { "$SW" verify --bundle "$HAPPY" --trusted-root "$ROOT" "$@"; }

# --- verify --bundle ------------------------------------------------------------
expect_exit verify-identity 0 v --certificate-identity "$ID" --certificate-oidc-issuer "$ISS" a.txt
cp "$WORK/.out" verified.out
check verify-prints-identity grep -qF "identity $ID, issuer $ISS" verified.out
expect_exit verify-regexp 0 v --certificate-identity-regexp '^https://github\.com/sigstore-conformance/' \
	--certificate-oidc-issuer "$ISS" a.txt
expect_exit verify-digest 0 v --certificate-identity "$ID" --certificate-oidc-issuer "$ISS" \
	"sha256:$(sha256sum a.txt | cut -d' ' -f1)"
expect_error verify-wrong-identity 4 v --certificate-identity "https://github.com/evil/x" \
	--certificate-oidc-issuer "$ISS" a.txt
check verify-wrong-identity-says-identity grep -q 'identity: the certificate is for' "$WORK/.err"
expect_error verify-wrong-regexp 4 v --certificate-identity-regexp '^https://gitlab\.com/' \
	--certificate-oidc-issuer "$ISS" a.txt
expect_error verify-wrong-issuer 4 v --certificate-identity "$ID" \
	--certificate-oidc-issuer https://accounts.google.com a.txt
check verify-wrong-issuer-says-issuer grep -q "OIDC issuer is '$ISS'" "$WORK/.err"
printf 'tampered' >>a.txt
expect_error verify-tampered-file 4 v --certificate-identity "$ID" --certificate-oidc-issuer "$ISS" a.txt
cp "$CONF/a.txt" a.txt
expect_error verify-bad-regexp 3 v --certificate-identity-regexp '(' --certificate-oidc-issuer "$ISS" a.txt
expect_error verify-staging-root 4 "$SW" verify --bundle "$HAPPY" --trusted-root "$CONF/trusted_root.staging.json" \
	--certificate-identity "$ID" --certificate-oidc-issuer "$ISS" a.txt
expect_error verify-key-for-keyless 4 v --key "$CONF/cases/managed-key-happy-path/key.pub" a.txt
expect_exit verify-managed-key 0 "$SW" verify --bundle "$CONF/cases/managed-key-happy-path/bundle.sigstore.json" \
	--key "$CONF/cases/managed-key-happy-path/key.pub" --trusted-root "$ROOT" a.txt

# usage, input and I/O errors
expect_error verify-no-issuer 2 v --certificate-identity "$ID" a.txt
expect_error verify-two-identities 2 v --certificate-identity "$ID" --certificate-identity-regexp x \
	--certificate-oidc-issuer "$ISS" a.txt
expect_error verify-key-and-identity 2 v --key x.pub --certificate-identity "$ID" \
	--certificate-oidc-issuer "$ISS" a.txt
expect_error verify-signature-and-bundle 2 v --signature a.sig --certificate-identity "$ID" \
	--certificate-oidc-issuer "$ISS" a.txt
expect_error verify-identity-needs-bundle 2 "$SW" verify --key x.pub --certificate-identity "$ID" a.txt
expect_error verify-no-file 2 v --certificate-identity "$ID" --certificate-oidc-issuer "$ISS"
expect_error verify-bad-digest 3 v --certificate-identity "$ID" --certificate-oidc-issuer "$ISS" sha256:abcd
expect_error verify-missing-root 5 "$SW" verify --bundle "$HAPPY" --trusted-root "$WORK/none.json" \
	--certificate-identity "$ID" --certificate-oidc-issuer "$ISS" a.txt
expect_error verify-missing-bundle 5 "$SW" verify --bundle "$WORK/none.json" --trusted-root "$ROOT" \
	--certificate-identity "$ID" --certificate-oidc-issuer "$ISS" a.txt
echo '{"mediaType":' >broken.json
expect_error verify-malformed-bundle 3 "$SW" verify --bundle broken.json --trusted-root "$ROOT" \
	--certificate-identity "$ID" --certificate-oidc-issuer "$ISS" a.txt
expect_error verify-malformed-root 3 "$SW" verify --bundle "$HAPPY" --trusted-root broken.json \
	--certificate-identity "$ID" --certificate-oidc-issuer "$ISS" a.txt
expect_exit verify-bundle-help 0 "$SW" verify-bundle --help
expect_error verify-bundle-unknown-option 2 "$SW" verify-bundle --nope

# --- daemon config keys (parsed, not run: --help after the config)
printf '{"trusted_root":"%s","trusted_identities":[{"issuer":"%s","identity":"%s"},{"issuer":"%s","identity_regexp":"^https://github\\\\.com/org/"}]}' \
	"$ROOT" "$ISS" "$ID" "$ISS" >keyless.json
expect_exit daemon-config-keyless 0 "$SW" daemon --config keyless.json --help
printf '{"trusted_identities":[{"issuer":"%s"}]}' "$ISS" >noid.json
# the daemon's log lines carry a timestamp before "sealwatch: "
expect_exit daemon-config-identity-without-id 3 "$SW" daemon --config noid.json --help
errline daemon-config-names-key "sealwatch: error: .*key 'trusted_identities'"
printf '{"trusted_identities":[{"issuer":"%s","identity":"a","identity_regexp":"b"}]}' "$ISS" >twoid.json
expect_exit daemon-config-identity-and-regexp 3 "$SW" daemon --config twoid.json --help
errline daemon-config-identity-and-regexp/one-line "sealwatch: error: .*key 'trusted_identities'"
# identities per image-name pattern ("images")
printf '{"trusted_root":"%s","trusted_keys":["k.pub"],"trusted_identities":[{"issuer":"%s","identity":"%s","images":["registry.example/team-a/*"]},{"issuer":"%s","identity_regexp":"^x","images":["a/*","b:1"]}]}' \
	"$ROOT" "$ISS" "$ID" "$ISS" >images.json
expect_exit daemon-config-identity-images 0 "$SW" daemon --config images.json --help
for bad in '[]' '"registry.example/*"' '[""]' '[1]' '{}'; do
	printf '{"trusted_identities":[{"issuer":"%s","identity":"%s","images":%s}]}' "$ISS" "$ID" "$bad" >badimg.json
	expect_exit "daemon-config-identity-images-bad/$bad" 3 "$SW" daemon --config badimg.json --help
	errline "daemon-config-identity-images-bad/$bad/says" "sealwatch: error: .*key 'trusted_identities'.*images"
done
printf '{"trusted_identities":[{"issuer":"%s","identity":"%s","imagez":["a/*"]}]}' "$ISS" "$ID" >typo.json
expect_exit daemon-config-identity-unknown-field 3 "$SW" daemon --config typo.json --help
