#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Hostile inputs: every case of tests/corpus/gen-hostile.py through
# `sealwatch baseline`, then malformed baselines, keys and signatures through
# `scan` and `verify`. Per case: the documented exit code, no crash, one
# "sealwatch: " line on stderr on failure, no output file left behind, nothing
# written outside $WORK. No root needed.
#   SW_HOSTILE_BIG=1   also generate and run the million-file case
#   SW_HOSTILE_ONLY=S  only corpus cases whose name contains S
. "$(dirname "$0")/../lib/common.sh"

if [ ! -x "$SW" ]; then
	skip all "no sealwatch binary at $SW"
	exit 0
fi
# Debian's python3 (python3 on $PATH may be a slow version-manager shim)
PYTHON=${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}
for t in "$PYTHON" zstd jq; do
	if ! command -v "$t" >/dev/null; then
		skip all "$t not installed (make deps)"
		exit 0
	fi
done

corpus=$WORK/corpus
outdir=$WORK/out
cwd=$WORK/cwd/a/b/c # sealwatch runs here: a relative ../ write would stay in $WORK
mkdir -p "$outdir" "$cwd"

# Paths a hostile name could reach if sealwatch ever wrote through it.
sentinels=(/tmp/pwned-sealwatch /pwned-sealwatch /tmp/passwd /etc2 /tmp/etc2 /up
	"$TOP/pwned-sealwatch" "$WORK/pwned-sealwatch" "$WORK/cwd/pwned-sealwatch")
sentinel_state() {
	local p
	for p in "${sentinels[@]}"; do
		if [ -e "$p" ] || [ -L "$p" ]; then
			stat -c '%n %s %Y %i' "$p"
		else
			echo "$p absent"
		fi
	done
}
touch "$WORK/.start"
before=$(sentinel_state)

gen_args=("$corpus")
[ "${SW_HOSTILE_BIG:-0}" = 1 ] && gen_args+=(--big)
[ -n "${SW_HOSTILE_ONLY:-}" ] && gen_args+=(--only "$SW_HOSTILE_ONLY")
if ! "$PYTHON" "$TOP/tests/corpus/gen-hostile.py" "${gen_args[@]}" >"$WORK/gen.log" 2>&1; then
	fail generate "gen-hostile.py failed"
	sed 's/^/    /' "$WORK/gen.log" | tail -n 20
	exit 1
fi
pass "generate ($(head -n 1 "$WORK/gen.log"))"
corpus_sum() { (cd "$corpus" && find . -printf '%p %s %T@\n' | LC_ALL=C sort | sha256sum); }
corpus_before=$(corpus_sum)

# check_entries CASE OUT: the "entries" assertions of a success case
check_entries() {
	"$PYTHON" - "$1/entries" "$2" <<'EOF'
import json, sys
want = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
lines = open(sys.argv[2], "rb").read().decode("utf-8").splitlines()
got = {}
for l in lines[1:]:
    e = json.loads(l)
    got[e["path"]] = e
bad = []
for w in want:
    e = got.get(w["path"])
    if w.get("absent"):
        if e is not None:
            bad.append("%s present, expected absent" % w["path"])
        continue
    if e is None:
        bad.append("%s missing" % w["path"])
        continue
    for k, v in w.items():
        if e.get(k) != v:
            bad.append("%s: %s = %r, expected %r" % (w["path"], k, e.get(k), v))
print("; ".join(bad))
sys.exit(1 if bad else 0)
EOF
}

# run_case DIR
run_case() {
	local d=$1 name ref want args=() out got nlines why=""
	name=$(basename "$d")
	ref=$(cat "$d/ref")
	want=$(cat "$d/expect")
	[ -f "$d/args" ] && read -r -a args <"$d/args"
	out=$outdir/$name.jsonl
	(cd "$cwd" && exec timeout 300 "$SW" baseline "$ref" -o "$out" "${args[@]}") \
		>"$WORK/case.out" 2>"$WORK/case.err"
	got=$?
	nlines=$(wc -l <"$WORK/case.err")
	if [ "$got" -ge 124 ]; then
		why="crashed or hung (exit $got)"
	elif [ "$got" != "$want" ]; then
		why="exit $got, expected $want"
	elif [ "$got" != 0 ]; then
		if [ "$nlines" != 1 ]; then
			why="$nlines stderr lines, expected exactly 1"
		elif ! grep -q '^sealwatch: ' "$WORK/case.err"; then
			why="stderr line does not start with 'sealwatch: '"
		elif [ -e "$out" ]; then
			why="output file left behind after a failure"
		fi
	else
		if [ ! -s "$out" ]; then
			why="exit 0 but no output"
		elif ! head -n 1 "$out" | jq -e '.schema == "sealwatch.baseline/v1"' >/dev/null; then
			why="bad header"
		elif [ -f "$d/entries" ] && ! r=$(check_entries "$d" "$out"); then
			why="entries: $r"
		fi
	fi
	# no stray temporary files next to the output
	if [ -z "$why" ] && [ -n "$(find "$outdir" -mindepth 1 ! -name '*.jsonl' -print -quit)" ]; then
		why="stray files in the output dir: $(find "$outdir" -mindepth 1 ! -name '*.jsonl' | head -3)"
	fi
	if [ -n "$why" ]; then
		fail "$name" "$why ($(cat "$d/note"))"
		sed 's/^/    /' "$WORK/case.err" | head -n 5
	else
		pass "$name"
	fi
	rm -f "$outdir"/*
}

for d in "$corpus"/*/; do
	run_case "${d%/}"
done

# nothing written through hostile names, nothing added to the corpus
after=$(sentinel_state)
if [ "$before" = "$after" ]; then
	pass no-writes-at-sentinels
else
	fail no-writes-at-sentinels "$(diff <(echo "$before") <(echo "$after") | grep '^>' | head -3)"
fi
stray=$(find / -maxdepth 3 -xdev -name '*pwned-sealwatch*' -newer "$WORK/.start" 2>/dev/null |
	grep -v "^$corpus/" | head -3)
stray+=$(find "$WORK" -name '*pwned-sealwatch*' -newer "$WORK/.start" 2>/dev/null |
	grep -v "^$corpus/" | head -3)
if [ -z "$stray" ]; then
	pass no-pwned-files
else
	fail no-pwned-files "$stray"
fi
if [ "$corpus_before" = "$(corpus_sum)" ]; then
	pass corpus-untouched
else
	fail corpus-untouched "sealwatch changed files inside the input images"
fi

# ---- malformed baselines, keys and signatures for scan and verify
[ -n "${SW_HOSTILE_ONLY:-}" ] && exit 0
img=$(cat "$corpus/ok-basic/ref")
k=$WORK/k
b=$WORK/base.jsonl
if ! "$SW" keygen -o "$k" >/dev/null 2>&1 || ! "$SW" keygen -o "$WORK/other" >/dev/null 2>&1 ||
	! "$SW" baseline "$img" -o "$b" >/dev/null 2>&1 || ! "$SW" sign --key "$k.key" "$b" \
	>/dev/null 2>&1; then
	fail scan-setup "keygen/baseline/sign failed; skipping scan/verify cases"
	exit 0
fi

# one_err NAME WANT CMD...: exit code WANT and exactly one "sealwatch: " stderr
# line (scan may print one summary line on success/difference too)
one_err() {
	local name=$1 want=$2 got n
	shift 2
	"$@" >"$WORK/.out" 2>"$WORK/.err"
	got=$?
	n=$(grep -c . "$WORK/.err")
	if [ "$got" != "$want" ]; then
		fail "$name" "exit $got, expected $want: ${*##*/}"
		sed 's/^/    /' "$WORK/.err" | head -n 5
	elif [ "$want" -ge 2 ] && { [ "$n" != 1 ] || ! grep -q '^sealwatch: ' "$WORK/.err"; }; then
		fail "$name" "exit $got but $n stderr lines (want one 'sealwatch: ' line)"
		sed 's/^/    /' "$WORK/.err" | head -n 5
	else
		pass "$name"
	fi
}

one_err verify-good 0 "$SW" verify --key "$k.pub" "$b"
one_err scan-good 0 "$SW" scan --baseline "$b" --key "$k.pub" "$img"

# a signed baseline that is itself malformed: signature fine, parse fails → 3
mk() { # mk NAME: $WORK/NAME.jsonl from stdin, signed with $k
	cat >"$WORK/$1.jsonl"
	"$SW" sign --key "$k.key" "$WORK/$1.jsonl" >/dev/null 2>&1
}
head -c "$(($(stat -c %s "$b") / 2))" "$b" | mk truncated
head -n 1 "$b" | mk header-only # entries count says N, no entries
tail -n +2 "$b" | mk no-header
printf '' | mk empty
printf 'not json\n' | mk garbage
sed '1s/sealwatch.baseline\/v1/sealwatch.baseline\/v9/' "$b" | mk schema-v9
{ head -n 1 "$b"; tail -n +2 "$b" | sort -r; } | mk unsorted
{ cat "$b"; tail -n 1 "$b"; } | mk duplicate-line
sed '2s/"path":"[^"]*"/"path":"relative"/' "$b" | mk relative-path
sed '2s/"path":"\([^"]*\)"/"path":"\1%zz"/' "$b" | mk bad-escape
sed '2s/"type":"[^"]*"/"type":"spaceship"/' "$b" | mk bad-type
sed '/"path":"\/etc\/motd"/s/"sha256":"[0-9a-f]*"/"sha256":"xyz"/' "$b" | mk bad-sha
{ cat "$b"; printf 'trailing garbage'; } | mk trailing-garbage
for m in truncated header-only no-header empty garbage schema-v9 unsorted duplicate-line \
	relative-path bad-escape bad-type bad-sha trailing-garbage; do
	one_err "scan-baseline-$m" 3 "$SW" scan --baseline "$WORK/$m.jsonl" --key "$k.pub" "$img"
done

# signatures: missing / wrong key / tampered file → 4; unparseable text → 3
cp "$b" "$WORK/nosig.jsonl"
one_err scan-sig-missing 4 "$SW" scan --baseline "$WORK/nosig.jsonl" --key "$k.pub" "$img"
one_err verify-sig-missing 4 "$SW" verify --key "$k.pub" "$WORK/nosig.jsonl"
one_err scan-sig-other-key 4 "$SW" scan --baseline "$b" --key "$WORK/other.pub" "$img"
one_err verify-sig-other-key 4 "$SW" verify --key "$WORK/other.pub" "$b"
cp "$b" "$WORK/tampered.jsonl"
cp "$b.sig" "$WORK/tampered.jsonl.sig"
sed -i '2s/"mode":"0[0-7]*"/"mode":"0777"/' "$WORK/tampered.jsonl"
one_err scan-tampered-baseline 4 "$SW" scan --baseline "$WORK/tampered.jsonl" --key "$k.pub" "$img"
one_err verify-tampered-baseline 4 "$SW" verify --key "$k.pub" "$WORK/tampered.jsonl"
cp "$b" "$WORK/wrongsig.jsonl"
# well-formed DER ECDSA signature over other bytes
printf 'other bytes' >"$WORK/other.txt"
"$SW" sign --key "$k.key" "$WORK/other.txt" >/dev/null 2>&1
cp "$WORK/other.txt.sig" "$WORK/wrongsig.jsonl.sig"
one_err verify-sig-for-other-file 4 "$SW" verify --key "$k.pub" "$WORK/wrongsig.jsonl"
cp "$b" "$WORK/badsig.jsonl"
for s in garbage empty binary huge; do
	case $s in
	garbage) printf 'this is not base64 !!!\n' ;;
	empty) : ;;
	binary) head -c 300 /dev/urandom ;;
	huge) head -c $((2 << 20)) /dev/zero | base64 -w 0 ;;
	esac >"$WORK/badsig.jsonl.sig"
	one_err "verify-sig-$s" 3 "$SW" verify --key "$k.pub" "$WORK/badsig.jsonl"
	one_err "scan-sig-$s" 3 "$SW" scan --baseline "$WORK/badsig.jsonl" --key "$k.pub" "$img"
done
# base64 of random bytes: text is fine, DER is not → malformed (3) or bad (4)
head -c 72 /dev/urandom | base64 -w 0 >"$WORK/badsig.jsonl.sig"
"$SW" verify --key "$k.pub" "$WORK/badsig.jsonl" >/dev/null 2>"$WORK/.err"
rc=$?
case $rc in
3 | 4) pass verify-sig-random-der ;;
*) fail verify-sig-random-der "exit $rc, expected 3 or 4" ;;
esac

# keys
printf 'garbage\n' >"$WORK/garbage.pem"
one_err verify-key-garbage 3 "$SW" verify --key "$WORK/garbage.pem" "$b"
one_err scan-key-garbage 3 "$SW" scan --baseline "$b" --key "$WORK/garbage.pem" "$img"
one_err verify-key-private 3 "$SW" verify --key "$k.key" "$b"
one_err verify-key-missing 5 "$SW" verify --key "$WORK/no-such.pem" "$b"
one_err sign-key-public 3 "$SW" sign --key "$k.pub" "$WORK/other.txt"
one_err scan-baseline-missing 5 "$SW" scan --baseline "$WORK/no-such.jsonl" --key "$k.pub" "$img"

# usage errors
one_err scan-no-key 2 "$SW" scan --baseline "$b" "$img"
one_err baseline-no-output 2 "$SW" baseline "$img"
"$SW" baseline "nosuchtransport:/x" -o "$WORK/x.jsonl" >/dev/null 2>"$WORK/.err"
rc=$?
if [ "$rc" = 2 ] || [ "$rc" = 3 ]; then # usage or bad input: either is defensible
	pass baseline-bad-ref
else
	fail baseline-bad-ref "exit $rc, expected 2 or 3"
fi
