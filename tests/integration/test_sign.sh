#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# keygen / sign / verify, and interop with the openssl CLI in both directions
# (docs/signing.md). No root needed.
. "$(dirname "$0")/../lib/common.sh"

if ! command -v openssl >/dev/null; then
	skip all "openssl CLI not installed"
	exit 0
fi
cd "$WORK" || exit 1

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

# check_out NAME WANT CMD...: exit 0 and stdout exactly WANT
check_out() {
	local name=$1 want=$2 got
	shift 2
	if got=$("$@" 2>"$WORK/.err") && [ "$got" = "$want" ]; then
		pass "$name"
	else
		fail "$name" "got '$got', expected '$want'"
		sed 's/^/    /' "$WORK/.err" | head -n 5
	fi
}

# sha256 key id as openssl sees it: DER SubjectPublicKeyInfo
key_id() {
	echo "sha256:$(openssl pkey -pubin -in "$1" -outform DER | sha256sum | cut -d' ' -f1)"
}

head -c 200000 /dev/urandom >blob
printf '{"schema":"sealwatch.baseline/v1"}\n{"path":"/bin/sh"}\n' >base.jsonl

# --- keygen ---------------------------------------------------------------
check keygen-ecdsa "$SW" keygen -o ec
check keygen-ed25519 "$SW" keygen --type ed25519 --output ed
check keygen-default-prefix "$SW" keygen
check keygen-files sh -c '[ -f sealwatch.key ] && [ -f sealwatch.pub ]'
check keygen-private-0600 sh -c '[ "$(stat -c %a ec.key)$(stat -c %a ed.key)" = 600600 ]'
check keygen-pkcs8 grep -qx -- '-----BEGIN PRIVATE KEY-----' ec.key
check keygen-spki grep -qx -- '-----BEGIN PUBLIC KEY-----' ed.pub
check keygen-openssl-reads-ec sh -c 'openssl pkey -in ec.key -noout -text | grep -q "NIST CURVE: P-256"'
check keygen-openssl-reads-ed sh -c 'openssl pkey -in ed.key -noout -text | grep -q "ED25519"'
cp ec.key ec.key.orig
expect_error keygen-refuses-overwrite 5 "$SW" keygen -o ec
check keygen-key-unchanged cmp -s ec.key ec.key.orig
expect_error keygen-bad-type 2 "$SW" keygen --type rsa -o x
expect_error keygen-extra-arg 2 "$SW" keygen extra

# --- (1) sealwatch signs, openssl verifies ----------------------------------
check sign-ecdsa "$SW" sign --key ec.key blob
check sig-one-line-with-newline sh -c '[ "$(wc -l <blob.sig)" = 1 ] && [ "$(tail -c1 blob.sig | od -An -tx1 | tr -d " ")" = 0a ]'
check openssl-verifies-ecdsa openssl dgst -sha256 -verify ec.pub -signature <(base64 -d blob.sig) blob
check_out verify-ecdsa "verified: blob (key $(key_id ec.pub))" "$SW" verify --key ec.pub blob
check sign-output-option "$SW" sign --key ec.key base.jsonl -o other.sig
check openssl-verifies-output-option openssl dgst -sha256 -verify ec.pub -signature <(base64 -d other.sig) base.jsonl
check verify-signature-option "$SW" verify --key ec.pub base.jsonl --signature other.sig

# --- (3) sealwatch Ed25519, openssl pkeyutl verifies ------------------------
check sign-ed25519 "$SW" sign --key ed.key base.jsonl
base64 -d base.jsonl.sig >ed.sig.raw
check ed25519-sig-64-bytes [ "$(stat -c %s ed.sig.raw)" = 64 ]
check openssl-verifies-ed25519 openssl pkeyutl -verify -rawin -pubin -inkey ed.pub -in base.jsonl -sigfile ed.sig.raw
check_out verify-ed25519 "verified: base.jsonl (key $(key_id ed.pub))" "$SW" verify -k ed.pub base.jsonl
check sign-ed25519-blob "$SW" sign --key ed.key blob -o blob.ed.sig
base64 -d blob.ed.sig >blob.ed.raw
check openssl-verifies-ed25519-blob openssl pkeyutl -verify -rawin -pubin -inkey ed.pub -in blob -sigfile blob.ed.raw

# --- (2) openssl makes keys and signatures, sealwatch verifies ---------------
openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt -out o-ec.key
openssl pkey -in o-ec.key -pubout -out o-ec.pub
openssl dgst -sha256 -sign o-ec.key blob | base64 -w0 >o-blob.sig
echo >>o-blob.sig
check sealwatch-verifies-openssl-ecdsa "$SW" verify --key o-ec.pub blob --signature o-blob.sig
# base64 wrapped at 76 (coreutils) and 64 (openssl base64) columns
openssl dgst -sha256 -sign o-ec.key blob | base64 >o-wrapped76.sig
openssl dgst -sha256 -sign o-ec.key blob | openssl base64 >o-wrapped64.sig
check wrapped-is-multiline sh -c '[ "$(wc -l <o-wrapped76.sig)" -ge 2 ] && [ "$(wc -l <o-wrapped64.sig)" -ge 2 ]'
check verify-wrapped-76 "$SW" verify --key o-ec.pub blob --signature o-wrapped76.sig
check verify-wrapped-64 "$SW" verify --key o-ec.pub blob --signature o-wrapped64.sig
check sealwatch-signs-with-openssl-key "$SW" sign --key o-ec.key base.jsonl -o o-base.sig
check openssl-verifies-with-openssl-key openssl dgst -sha256 -verify o-ec.pub -signature <(base64 -d o-base.sig) base.jsonl
# SEC1 key with its "EC PARAMETERS" block, as `openssl ecparam -genkey` writes it
openssl ecparam -name prime256v1 -genkey -out sec1.key
openssl pkey -in sec1.key -pubout -out sec1.pub
check sign-sec1-with-params "$SW" sign --key sec1.key base.jsonl -o sec1.sig
check openssl-verifies-sec1 openssl dgst -sha256 -verify sec1.pub -signature <(base64 -d sec1.sig) base.jsonl

openssl genpkey -algorithm ed25519 -out o-ed.key
openssl pkey -in o-ed.key -pubout -out o-ed.pub
openssl pkeyutl -sign -rawin -inkey o-ed.key -in blob | base64 -w0 >o-blob-ed.sig
check sealwatch-verifies-openssl-ed25519 "$SW" verify --key o-ed.pub blob --signature o-blob-ed.sig
check sealwatch-signs-with-openssl-ed25519-key "$SW" sign --key o-ed.key blob -o o-ed2.sig
base64 -d o-ed2.sig >o-ed2.raw
check openssl-verifies-openssl-ed25519-key openssl pkeyutl -verify -rawin -pubin -inkey o-ed.pub -in blob -sigfile o-ed2.raw
# Ed25519 signatures are deterministic: same bytes as openssl's
check ed25519-deterministic-same-as-openssl cmp -s <(tr -d '\n' <o-ed2.sig) o-blob-ed.sig

# cosign sign-blob --key writes base64 with no trailing newline
openssl dgst -sha256 -sign o-ec.key base.jsonl | base64 -w0 >cosign.sig
check cosign-form-no-newline sh -c '[ "$(tail -c1 cosign.sig | od -An -tx1 | tr -d " ")" != 0a ]'
check verify-cosign-form "$SW" verify --key o-ec.pub base.jsonl --signature cosign.sig
printf '%s' "$(cat blob.sig)" >blob-nonl.sig
check verify-own-sig-without-newline "$SW" verify --key ec.pub blob --signature blob-nonl.sig

# several keys: the one that verifies is named
check_out verify-any-key "verified: blob (key $(key_id o-ec.pub))" \
	"$SW" verify --key ed.pub --key ec.pub --key o-ec.pub blob --signature o-blob.sig

# --- (4) failures: exact exit codes, one line on stderr ----------------------
cp blob tampered
printf 'X' | dd of=tampered bs=1 seek=1000 conv=notrunc status=none
cp blob.sig tampered.sig
expect_error tampered-file 4 "$SW" verify --key ec.pub tampered
cp base.jsonl.sig base-ed.sig
cp base.jsonl base-ed
printf 'x' >>base-ed
expect_error tampered-file-ed25519 4 "$SW" verify --key ed.pub base-ed --signature base-ed.sig
expect_error wrong-key 4 "$SW" verify --key o-ec.pub blob
expect_error wrong-key-ed25519 4 "$SW" verify --key o-ed.pub base.jsonl
expect_error wrong-keys-several 4 "$SW" verify --key o-ec.pub --key sealwatch.pub blob
expect_error missing-sig 4 "$SW" verify --key ec.pub base.jsonl --signature nope.sig
cp base.jsonl unsigned.jsonl
expect_error missing-default-sig 4 "$SW" verify --key ec.pub unsigned.jsonl
grep -q 'signature missing' "$WORK/.err" && pass missing-sig-says-so || fail missing-sig-says-so
# truncated signature text is malformed (3), whether or not it ends on a base64 quantum
head -c 40 blob.sig >trunc40.sig
head -c 41 blob.sig >trunc41.sig
head -c 84 base.jsonl.sig >trunc-ed.sig
expect_error truncated-sig 3 "$SW" verify --key ec.pub blob --signature trunc40.sig
expect_error truncated-sig-odd 3 "$SW" verify --key ec.pub blob --signature trunc41.sig
expect_error truncated-sig-ed25519 3 "$SW" verify --key ed.pub base.jsonl --signature trunc-ed.sig
echo 'this is not a signature!' >garbage.sig
expect_error garbage-sig 3 "$SW" verify --key ec.pub blob --signature garbage.sig
grep -q 'malformed signature' "$WORK/.err" && pass garbage-sig-says-malformed || fail garbage-sig-says-malformed
: >empty.sig
expect_error empty-sig 3 "$SW" verify --key ec.pub blob --signature empty.sig
# an ECDSA signature checked with an Ed25519 key is not an Ed25519 signature
expect_error other-algorithm-sig 3 "$SW" verify --key ed.pub blob --signature blob.sig

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.key 2>/dev/null
openssl pkey -in rsa.key -pubout -out rsa.pub
expect_error rsa-key-sign 3 "$SW" sign --key rsa.key blob -o rsa.sig
grep -q RSA "$WORK/.err" && pass rsa-key-named || fail rsa-key-named
expect_error rsa-key-verify 3 "$SW" verify --key rsa.pub blob
openssl ecparam -name secp384r1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt -out p384.key
openssl pkey -in p384.key -pubout -out p384.pub
expect_error p384-key-sign 3 "$SW" sign --key p384.key blob -o p384.sig
grep -q 'P-384' "$WORK/.err" && pass p384-named || fail p384-named
expect_error p384-key-verify 3 "$SW" verify --key p384.pub blob
openssl genpkey -algorithm ed448 -out ed448.key
expect_error ed448-key-sign 3 "$SW" sign --key ed448.key blob -o ed448.sig
openssl pkcs8 -topk8 -in o-ec.key -passout pass:secret -out enc.key 2>/dev/null
expect_error encrypted-key 3 "$SW" sign --key enc.key blob -o enc.sig
grep -q 'encrypted' "$WORK/.err" && pass encrypted-key-named || fail encrypted-key-named
expect_error private-key-to-verify 3 "$SW" verify --key ec.key blob
grep -q 'private key' "$WORK/.err" && pass private-key-named || fail private-key-named
expect_error public-key-to-sign 3 "$SW" sign --key ec.pub blob -o pub.sig
expect_error not-a-key 3 "$SW" verify --key base.jsonl blob
check no-sig-left-behind sh -c '! ls rsa.sig p384.sig enc.sig pub.sig ed448.sig 2>/dev/null'
# a key file that does not exist is an I/O error (5), like any unreadable input
expect_error missing-key-verify 5 "$SW" verify --key nope.pub blob
expect_error missing-key-sign 5 "$SW" sign --key nope.key blob
expect_error missing-file-sign 5 "$SW" sign --key ec.key nope
expect_error missing-file-verify 5 "$SW" verify --key ec.pub nope --signature blob.sig

# usage errors (2)
expect_error unknown-option-sign 2 "$SW" sign --bogus --key ec.key blob
expect_error unknown-option-verify 2 "$SW" verify --key ec.pub blob --bogus
expect_error unknown-option-keygen 2 "$SW" keygen -x
expect_error missing-argument 2 "$SW" verify blob --key
expect_error sign-without-key 2 "$SW" sign blob
expect_error verify-without-key 2 "$SW" verify blob
expect_error sign-two-files 2 "$SW" sign --key ec.key blob base.jsonl
expect_error verify-no-file 2 "$SW" verify --key ec.pub
for c in keygen sign verify; do
	check "help-$c" sh -c "'$SW' $c --help | grep -q '^Usage: sealwatch $c'"
done

# an unknown command: exit 2, one line, and a guess when one command is near
expect_error cmd-typo 2 "$SW" basline && errline cmd-typo-did-you-mean "did you mean 'baseline'?"
expect_error cmd-unknown 2 "$SW" frobnicate
grep -q 'did you mean' "$WORK/.err" && fail cmd-unknown-no-guess "$(cat "$WORK/.err")" || pass cmd-unknown-no-guess
expect_error cmd-ambiguous 2 "$SW" pu
grep -q 'did you mean' "$WORK/.err" && fail cmd-ambiguous-no-guess "$(cat "$WORK/.err")" || pass cmd-ambiguous-no-guess
exit 0
