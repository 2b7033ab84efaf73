#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# docs/events.schema.json against real daemon output: run the daemon (real BPF),
# cause exec events of several verdicts on the host (and one container when
# podman is there: a busybox image without baseline), stop it, validate every line with
# python3-jsonschema. Also checks that the schema rejects a wrong or a missing
# sealwatch.verdict.
source "$(dirname "$0")/../lib/common.sh"

SCHEMA=$TOP/docs/events.schema.json
IMAGE=localhost/sw-schema-$$:1
MADE_IMAGE=

if ! need_root; then
	skip all "needs root (BPF)"
	exit 0
fi
if ! python3 -c 'import jsonschema; jsonschema.Draft202012Validator' 2>/dev/null; then
	skip all "python3-jsonschema (with draft 2020-12) not installed"
	exit 0
fi

EVENTS=$WORK/ev.jsonl
DAEMON_PID=
cleanup() {
	[ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
	[ -n "$MADE_IMAGE" ] && podman rmi -f "$IMAGE" >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT

# A host baseline of two copies of /bin/true: host execs get verdicts only with one.
mkdir -p "$WORK/bin" "$WORK/store"
cp /bin/true "$WORK/bin/good"
cp /bin/true "$WORK/bin/victim"
if ! { "$SW" keygen -o "$WORK/k" &&
	"$SW" baseline --include "$WORK/bin" dir:/ -o "$WORK/host.jsonl" &&
	"$SW" sign --key "$WORK/k.key" "$WORK/host.jsonl"; } >"$WORK/setup.log" 2>&1; then
	fail setup "keygen/baseline/sign failed"
	sed 's/^/    /' "$WORK/setup.log" | tail -n 10
	exit 0
fi
# an unsigned baseline in the store: baseline_refused
cp "$WORK/host.jsonl" "$WORK/store/unsigned.jsonl"
printf '\0' >>"$WORK/bin/victim" # modified after the baseline was signed

"$SW" daemon --all-events --output "file:$EVENTS" --baseline-dir "$WORK/store" \
	--trusted-key "$WORK/k.pub" --host-baseline "$WORK/host.jsonl" 2>"$WORK/daemon.log" &
DAEMON_PID=$!

for ((i = 0; i < 600; i++)); do
	grep -q '"action":"start"' "$EVENTS" 2>/dev/null && break
	kill -0 "$DAEMON_PID" 2>/dev/null || break
	sleep 0.1
done
if ! grep -q '"action":"start"' "$EVENTS" 2>/dev/null; then
	fail daemon-start "no start event"
	sed 's/^/    /' "$WORK/daemon.log" | tail -n 10
	exit 0
fi
pass daemon-start

# host execs: ok, modified, unknown (/bin/true is not in the host baseline), fileless
want_verdicts="ok modified unknown fileless"
"$WORK/bin/good"
"$WORK/bin/victim"
/bin/true
/bin/true
cp /bin/true "$WORK/deleted"
bash -c 'exec 3<"$1"; rm -f "$1"; exec /proc/self/fd/3' _ "$WORK/deleted"

# one container (no baseline for its image: no_baseline)
if command -v podman >/dev/null && busybox_image "$IMAGE" 2>/dev/null; then
	if podman run --rm --network none "$IMAGE" /bin/echo ok >/dev/null 2>&1; then
		want_verdicts="$want_verdicts no_baseline"
	else
		skip container "podman run $IMAGE failed"
	fi
else
	skip container "podman or $IMAGE not available: host execs only"
fi
n_loaded=$(count '.event.action == "baselines_loaded"')
kill -HUP "$DAEMON_PID" # a reload: baseline_refused and baselines_loaded again
wait_until 30 baselines_reloaded "$n_loaded" || fail reload-seen "no baselines_loaded after SIGHUP"
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"
rc=$?
DAEMON_PID=
if [ "$rc" = 0 ]; then pass daemon-exit; else fail daemon-exit "exit $rc"; fi

# "ok NAME" / "bad NAME DETAIL" lines from the validator, then pass/fail
python3 - "$SCHEMA" "$EVENTS" "$want_verdicts" >"$WORK/results" 2>&1 <<'EOF'
import copy, json, sys

import jsonschema

schema_path, events_path, want = sys.argv[1], sys.argv[2], sys.argv[3].split()
try:
    schema = json.load(open(schema_path))
    jsonschema.Draft202012Validator.check_schema(schema)
    print("ok schema-is-valid-2020-12")
except Exception as e:  # noqa: BLE001
    print(f"bad schema-is-valid-2020-12 {str(e).splitlines()[0]}")
    sys.exit(0)
v = jsonschema.Draft202012Validator(schema)

events, bad = [], []
for n, line in enumerate(open(events_path), 1):
    try:
        o = json.loads(line)
    except ValueError as e:
        bad.append(f"line {n}: not JSON: {e}")
        continue
    events.append(o)
    errs = list(v.iter_errors(o))
    if errs:
        e = jsonschema.exceptions.best_match(errs)
        bad.append(f"line {n}: {e.message[:160]} at /{'/'.join(map(str, e.absolute_path))}")
if bad:
    print(f"bad every-line-valid {len(bad)} of {len(events)} lines: {bad[0]}")
else:
    print(f"ok every-line-valid")
print(f"info {len(events)} lines")

actions = {o["event"]["action"] for o in events}
verdicts = {o["sealwatch"].get("verdict") for o in events if o["event"]["action"] == "exec"}
for a in ["start", "stop", "baselines_loaded", "baseline_refused"]:
    print(f"{'ok' if a in actions else 'bad'} action-{a} {'' if a in actions else 'not emitted'}")
for w in want:
    print(f"{'ok' if w in verdicts else 'bad'} verdict-{w} {'' if w in verdicts else 'not emitted'}")

# an exec whose severity is fixed by its verdict (no_baseline's is configurable)
sample = next((o for o in events if o["event"]["action"] == "exec"
               and o["sealwatch"].get("verdict") != "no_baseline"), None)
if sample is None:
    print("bad rejects-wrong-verdict no exec event to mutate")
    sys.exit(0)
wrong = copy.deepcopy(sample)
wrong["sealwatch"]["verdict"] = "tampered"
missing = copy.deepcopy(sample)
del missing["sealwatch"]["verdict"]
mismatch = copy.deepcopy(sample)  # a verdict with another verdict's severity
mismatch["event"]["severity"] = 99 if mismatch["sealwatch"]["verdict"] != "modified" else 0
for name, o in [("rejects-wrong-verdict", wrong), ("rejects-missing-verdict", missing),
                ("rejects-wrong-severity", mismatch)]:
    print(f"{'bad' if v.is_valid(o) else 'ok'} {name} {'accepted' if v.is_valid(o) else ''}")
EOF
while read -r status name detail; do
	case $status in
	ok) pass "$name" ;;
	bad) fail "$name" "$detail" ;;
	info) ;;
	*) fail validator "$status $name $detail" ;;
	esac
done <"$WORK/results"
grep -q '^ok every-line-valid' "$WORK/results" || head -n 5 "$EVENTS" | sed 's/^/    /'
exit 0
