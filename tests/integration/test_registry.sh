#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Baselines that travel with their images (docs/registry.md), against a REAL
# registry: Debian's docker-registry (distribution 2.8, no referrers API, so
# the referrers tag schema) started here on 127.0.0.1, plain HTTP and TLS with
# a CA made here; images pushed with skopeo and pulled with podman.
#   - sealwatch baseline registry://… equals the baseline of the same image
#     read from an OCI layout; push, pull (digests, image ID, signature)
#   - TLS: verified with --ca-file, refused without it
#   - a fresh daemon with an empty cache runs a container of a pushed image:
#     baseline.pending (never ok) until fetched, then ok, then a swapped
#     binary is modified
#   - a baseline signed by an untrusted key in the registry: baseline_refused
#   - the registry down: pending/unverified and retries with backoff, then
#     recovery when it is back
#   - keyless: baselines signed by sigstore-js against @sigstore/mock
#     (tests/e2e/sigstore-js.js), pushed with their .sigstore.json bundles and
#     fetched by a daemon with a trusted root and identities limited to image
#     patterns, beside key-signed ones: a good bundle gives verdicts; an
#     untrusted identity, a signer outside its image patterns (by the
#     baseline's name or by the container's), and a bundle over other bytes
#     are each baseline_refused naming the check
#   - a mirror list whose first mirror is down: the next one serves the baseline
#   - the referrers API path, against tests/integration/helpers/
#     referrers_registry.py (a stub: distribution 2.8 lacks that API)
source "$(dirname "$0")/../lib/common.sh"

if ! need_root || ! command -v podman >/dev/null || ! command -v skopeo >/dev/null ||
	! command -v docker-registry >/dev/null; then
	skip all "needs root, podman, skopeo and docker-registry (deploy/install-deps.sh)"
	exit 0
fi
PY=$(command -v /usr/bin/python3 || command -v python3)
EVENTS=$WORK/events.jsonl
REG_PID='' REG_TLS_PID='' STUB_PID='' DAEMON_PID=''
CONTAINERS=()
IMAGES=()
N=swrg-$$

cleanup() {
	[ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
	for c in "${CONTAINERS[@]}"; do podman rm -f -t 0 "$c" >/dev/null 2>&1; done
	for i in "${IMAGES[@]}"; do podman rmi -f "$i" >/dev/null 2>&1; done
	for p in $REG_PID $REG_TLS_PID $STUB_PID; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
	"$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_http URL [CURL-ARGS…]: the registry answers /v2/ (hang guard 20 s)
wait_http() {
	local url=$1 i
	shift
	for ((i = 0; i < 200; i++)); do
		curl -sf "$@" "$url" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# start_registry PORT DATA [TLS-CERT TLS-KEY]: Debian's docker-registry; sets LAST_PID
start_registry() {
	local port=$1 data=$2 conf=$WORK/reg-$1.yml
	{
		printf 'version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n'
		printf 'storage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\n' "$data"
		printf 'http:\n  addr: 127.0.0.1:%s\n' "$port"
		[ -n "${3:-}" ] && printf '  tls:\n    certificate: %s\n    key: %s\n' "$3" "$4"
	} >"$conf"
	docker-registry serve "$conf" >"$WORK/reg-$port.log" 2>&1 &
	LAST_PID=$!
}

PORT=$(free_port)
REG=127.0.0.1:$PORT
start_registry "$PORT" "$WORK/regdata"
REG_PID=$LAST_PID
if ! wait_http "http://$REG/v2/"; then
	fail registry-start "docker-registry did not answer on $REG"
	sed 's/^/    /' "$WORK/reg-$PORT.log" | tail -n 5
	exit 0
fi
pass registry-start

# --- images: a busybox rootfs with a tool binary; pushed with skopeo, pulled by podman
make_image() { # NAME MARK — podman image NAME:1 (MARK makes each image distinct)
	local r=$WORK/rootfs-$RANDOM
	mkdir -p "$r/bin" "$r/tmp" "$r/usr/local/bin" "$r/etc"
	chmod 1777 "$r/tmp"
	cp /bin/busybox "$r/bin/busybox"
	for a in sh true echo cat cp sleep; do ln -s busybox "$r/bin/$a"; done
	cp /bin/busybox "$r/usr/local/bin/tool"
	echo "$2" >"$r/etc/mark"
	tar -C "$r" -cf "$r.tar" . && podman import -q "$r.tar" "$1:1" >/dev/null && IMAGES+=("$1:1")
}
# publish NAME REPO: NAME:1 → $REG/REPO:1, then pulled back so that the runtime
# records the registry's manifest digest (as on a node)
publish() {
	skopeo copy -q --dest-tls-verify=false "containers-storage:$1:1" "docker://$REG/$2:1" &&
		podman rmi -f "$1:1" >/dev/null &&
		podman pull -q --tls-verify=false "$REG/$2:1" >/dev/null && IMAGES+=("$REG/$2:1")
}
ok=1
for i in a b c; do
	make_image "localhost/$N-$i" "$i-$$" && publish "localhost/$N-$i" "swrg/img-$i-$$" || ok=
done
[ -n "$ok" ] && pass images-published || { fail images-published; exit 0; }
digest_of() { skopeo inspect --tls-verify=false "docker://$REG/$1:1" | jq -r .Digest; }
IMG_A=$REG/swrg/img-a-$$
DIG_A=$(digest_of "swrg/img-a-$$")

"$SW" keygen -o "$WORK/k" >/dev/null 2>&1 && "$SW" keygen -o "$WORK/other" >/dev/null 2>&1

# --- sealwatch baseline registry:// — the same entries as from an OCI layout
expect_exit baseline-registry 0 "$SW" baseline --insecure "registry://$IMG_A:1" -o "$WORK/a.jsonl"
skopeo copy -q --src-tls-verify=false "docker://$IMG_A:1" "oci:$WORK/oci-a:1" &&
	"$SW" baseline "oci:$WORK/oci-a:1" -o "$WORK/a-oci.jsonl" 2>/dev/null
if cmp -s <(tail -n +2 "$WORK/a.jsonl") <(tail -n +2 "$WORK/a-oci.jsonl") &&
	[ "$(head -1 "$WORK/a.jsonl" | jq -r .image.manifest_digest)" = "$DIG_A" ] &&
	[ "$(head -1 "$WORK/a.jsonl" | jq -r .source)" = registry ]; then
	pass baseline-registry-equals-oci
else
	fail baseline-registry-equals-oci "entries or header differ"
fi
# a tag the registry does not have
expect_exit baseline-registry-unknown-tag 5 "$SW" baseline --insecure "registry://$REG/swrg/img-a-$$:nope" -o "$WORK/x.jsonl"
# an image of two layers: read by two layer threads through one registry client
# (crashed in libcurl when they shared its handle)
"$PY" "$TOP/bench/registry_fill.py" "$REG" "swrg/two-$$" 1 /bin/busybox >/dev/null
expect_exit baseline-registry-two-layers 0 "$SW" baseline --insecure "registry://$REG/swrg/two-$$-0:1" -o "$WORK/two.jsonl"
jq -e -s '[.[1:][] | .path] | index("/etc/mark") != null and index("/usr/local/bin/tool") != null' "$WORK/two.jsonl" >/dev/null &&
	pass baseline-registry-two-layers-entries || fail baseline-registry-two-layers-entries

# --- push / pull (tag schema: distribution 2.8 has no referrers API)
"$SW" sign --key "$WORK/k.key" "$WORK/a.jsonl" >/dev/null
expect_exit push 0 "$SW" push --insecure --key "$WORK/k.pub" --baseline "$WORK/a.jsonl" "$IMG_A:1"
grep -q "referrers tag schema" "$WORK/.out" && pass push-tag-schema || fail push-tag-schema "$(cat "$WORK/.out")"
if curl -sf -H "Accept: application/vnd.oci.image.index.v1+json" \
	"http://$REG/v2/swrg/img-a-$$/manifests/sha256-${DIG_A#sha256:}" | jq -e \
	'.manifests | length == 1 and .[0].artifactType == "application/vnd.sealwatch.baseline.v1"' >/dev/null; then
	pass push-tag-index
else
	fail push-tag-index "no sha256-<digest> index with our artifact"
fi
expect_exit push-again-idempotent 0 "$SW" push --insecure --baseline "$WORK/a.jsonl" "$IMG_A:1"
n=$(curl -sf -H "Accept: application/vnd.oci.image.index.v1+json" \
	"http://$REG/v2/swrg/img-a-$$/manifests/sha256-${DIG_A#sha256:}" | jq '.manifests | length')
[ "$n" = 1 ] && pass push-again-one-entry || fail push-again-one-entry "$n entries"
# a baseline of image a pushed to image b: another config digest
expect_exit push-image-mismatch 3 "$SW" push --insecure --baseline "$WORK/a.jsonl" "$REG/swrg/img-b-$$:1"
errline push-image-mismatch-message "image_mismatch"
expect_exit push-bad-signature 4 "$SW" push --insecure --key "$WORK/other.pub" --baseline "$WORK/a.jsonl" "$IMG_A:1"
expect_exit pull 0 "$SW" pull --insecure --key "$WORK/k.pub" "$IMG_A@$DIG_A" -o "$WORK/pulled"
IID_A=$(head -1 "$WORK/a.jsonl" | jq -r .image.config_digest)
if cmp -s "$WORK/pulled/${IID_A#sha256:}.jsonl" "$WORK/a.jsonl" &&
	cmp -s "$WORK/pulled/${IID_A#sha256:}.jsonl.sig" "$WORK/a.jsonl.sig"; then
	pass pull-identical
else
	fail pull-identical
fi
expect_exit pull-untrusted-key 4 "$SW" pull --insecure --key "$WORK/other.pub" "$IMG_A@$DIG_A" -o "$WORK/pulled2"
[ ! -e "$WORK/pulled2/${IID_A#sha256:}.jsonl" ] && pass pull-untrusted-writes-nothing || fail pull-untrusted-writes-nothing
DIG_C=$(digest_of "swrg/img-c-$$")
expect_exit pull-none-attached 5 "$SW" pull --insecure "$REG/swrg/img-c-$$@$DIG_C" -o "$WORK/pulled3"
expect_exit pull-usage 2 "$SW" pull --insecure "$IMG_A@$DIG_A"

# --- TLS: a CA and a server certificate for 127.0.0.1 made here
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=swrg-ca \
	-keyout "$WORK/ca.key" -out "$WORK/ca.pem" >/dev/null 2>&1 &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 \
		-keyout "$WORK/srv.key" -out "$WORK/srv.csr" >/dev/null 2>&1 &&
	printf 'subjectAltName=IP:127.0.0.1\n' >"$WORK/san.ext" &&
	openssl x509 -req -in "$WORK/srv.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" -CAcreateserial \
		-days 2 -extfile "$WORK/san.ext" -out "$WORK/srv.pem" >/dev/null 2>&1
TPORT=$(free_port)
TREG=127.0.0.1:$TPORT
start_registry "$TPORT" "$WORK/regdata-tls" "$WORK/srv.pem" "$WORK/srv.key"
REG_TLS_PID=$LAST_PID
mkdir -p "$WORK/certs.d" && cp "$WORK/ca.pem" "$WORK/certs.d/ca.crt"
if wait_http "https://$TREG/v2/" --cacert "$WORK/ca.pem" &&
	skopeo copy -q --src-tls-verify=false --dest-cert-dir "$WORK/certs.d" \
		"docker://$IMG_A:1" "docker://$TREG/swrg/tls-$$:1"; then
	expect_exit tls-push-with-ca 0 "$SW" push --ca-file "$WORK/ca.pem" --baseline "$WORK/a.jsonl" "$TREG/swrg/tls-$$:1"
	expect_exit tls-pull-with-ca 0 "$SW" pull --ca-file "$WORK/ca.pem" --key "$WORK/k.pub" \
		"$TREG/swrg/tls-$$@$DIG_A" -o "$WORK/pulled-tls"
	expect_exit tls-unknown-ca-refused 5 "$SW" pull --key "$WORK/k.pub" "$TREG/swrg/tls-$$@$DIG_A" -o "$WORK/pulled-tls2"
	errline tls-unknown-ca-message "certificate"
	expect_exit tls-baseline-registry 0 "$SW" baseline --ca-file "$WORK/ca.pem" "registry://$TREG/swrg/tls-$$:1" -o "$WORK/a-tls.jsonl"
else
	fail tls-registry "TLS registry or skopeo copy failed"
fi
kill "$REG_TLS_PID" 2>/dev/null && wait "$REG_TLS_PID" 2>/dev/null
REG_TLS_PID=

# --- image b: a baseline signed by an untrusted key sits in the registry
IMG_B=$REG/swrg/img-b-$$
"$SW" baseline --insecure "registry://$IMG_B:1" -o "$WORK/b.jsonl" 2>/dev/null &&
	"$SW" sign --key "$WORK/other.key" "$WORK/b.jsonl" >/dev/null &&
	"$SW" push --insecure --baseline "$WORK/b.jsonl" "$IMG_B:1" >/dev/null 2>&1 ||
	fail push-b "could not push b's baseline"
# --- image c: signed properly, fetched while the registry is down
IMG_C=$REG/swrg/img-c-$$
"$SW" baseline --insecure "registry://$IMG_C:1" -o "$WORK/c.jsonl" 2>/dev/null &&
	"$SW" sign --key "$WORK/k.key" "$WORK/c.jsonl" >/dev/null &&
	"$SW" push --insecure --baseline "$WORK/c.jsonl" "$IMG_C:1" >/dev/null 2>&1 ||
	fail push-c "could not push c's baseline"

# --- a fresh daemon, empty cache
"$SW" daemon --trusted-key "$WORK/k.pub" --registry "$REG" --registry-insecure \
	--baseline-cache "$WORK/cache" --registry-retry-max 2 --registry-negative-ttl 3600 \
	--all-events --output "file:$EVENTS" 2>"$WORK/daemon.log" &
DAEMON_PID=$!
wait_for daemon-started '.event.action == "start"' 30 || { sed 's/^/    /' "$WORK/daemon.log" | tail; exit 0; }
[ -z "$(ls -A "$WORK/cache" 2>/dev/null)" ] && pass cache-empty-at-start || fail cache-empty-at-start

run_c() { # NAME IMAGE CMD…
	local name=$1 image=$2
	shift 2
	podman run -d --runtime runc --network none --name "$name" "$image" "$@" >/dev/null &&
		CONTAINERS+=("$name")
}
cid() { podman inspect -f '{{.Id}}' "$1"; }
# exec_until NAME FILTER: run /usr/local/bin/tool in container NAME until an
# event matches FILTER (hang guard 40 s; no wall-clock assertion)
exec_until() {
	local name=$1 filter=$2 i
	for ((i = 0; i < 80; i++)); do
		podman exec "$name" /usr/local/bin/tool true >/dev/null 2>&1
		jq -e -s "[.[] | select($filter)] | length > 0" "$EVENTS" >/dev/null 2>&1 && return 0
		sleep 0.5
	done
	return 1
}

run_c "$N-ca" "$IMG_A:1" /bin/sleep 300
CA=$(cid "$N-ca")
podman exec "$N-ca" /usr/local/bin/tool true >/dev/null 2>&1
# Until the baseline is in, A's events are pending (never ok, never no_baseline);
# on loopback the fetch may also be done before the daemon processes A's first
# exec (the fetch starts at A's first event of any kind): then that exec is
# verified already. Either way A's first exec event is pending or verified.
# (c-down-pending below holds the registry back and requires pending.)
for ((i = 0; i < 200; i++)); do
	[ "$(count ".container.id == \"$CA\" and .event.action == \"exec\" and .container.image.id != null")" -gt 0 ] && break
	sleep 0.1
done
first=$(jq -c -s "[.[] | select(.container.id == \"$CA\" and .event.action == \"exec\" and .container.image.id != null)][0] |
	{v: .sealwatch.verdict, s: .sealwatch.baseline.status, d: (.sealwatch.baseline.digest != null), r: .sealwatch.reason}" "$EVENTS")
case $first in
*'"v":"unverified","s":"pending"'*) pass a-first-exec-pending ;;
*'"v":"ok"'*'"d":true'*) pass a-first-exec-verified ;;
*) fail a-first-exec-pending-or-verified "first exec event of A: $first" ;;
esac
if exec_until "$N-ca" ".container.id == \"$CA\" and .process.executable == \"/usr/local/bin/tool\" and .sealwatch.verdict == \"ok\""; then
	pass a-fetched-then-ok
else
	fail a-fetched-then-ok "no ok verdict for tool"
	sed 's/^/    /' "$WORK/daemon.log" | tail -n 5
fi
[ -f "$WORK/cache/${IID_A#sha256:}.jsonl" ] && pass a-cached-on-disk || fail a-cached-on-disk
n=$(count ".container.id == \"$CA\" and .sealwatch.baseline.status == \"pending\" and .sealwatch.verdict != \"unverified\"")
[ "$n" = 0 ] && pass a-pending-never-ok || fail a-pending-never-ok "$n pending events with another verdict"
podman exec "$N-ca" /bin/sh -c 'echo "#implant" >> /usr/local/bin/tool'
podman exec "$N-ca" /usr/local/bin/tool true >/dev/null 2>&1
wait_for a-swapped-modified ".container.id == \"$CA\" and .file.path == \"/usr/local/bin/tool\" and .sealwatch.verdict == \"modified\" and .sealwatch.baseline.match == \"image_id\"" 20

run_c "$N-cb" "$IMG_B:1" /bin/sleep 300
CB=$(cid "$N-cb")
podman exec "$N-cb" /usr/local/bin/tool true >/dev/null 2>&1
wait_for b-refused '.event.action == "baseline_refused" and (.sealwatch.baseline.path | startswith("registry://'"$REG"'/swrg/img-b-'$$'@"))' 30
exec_until "$N-cb" ".container.id == \"$CB\" and .sealwatch.verdict == \"no_baseline\"" &&
	pass b-no-baseline || fail b-no-baseline
n=$(count ".container.id == \"$CB\" and .sealwatch.verdict == \"ok\"")
[ "$n" = 0 ] && pass b-never-ok || fail b-never-ok "$n ok verdicts"

# --- the registry goes down before c's first container: pending, backoff, recovery
kill "$REG_PID" && wait "$REG_PID" 2>/dev/null
REG_PID=
run_c "$N-cc" "$IMG_C:1" /bin/sleep 300
CC=$(cid "$N-cc")
podman exec "$N-cc" /usr/local/bin/tool true >/dev/null 2>&1
wait_for c-down-pending ".container.id == \"$CC\" and .sealwatch.baseline.status == \"pending\" and .sealwatch.verdict == \"unverified\"" 20
for ((i = 0; i < 200; i++)); do
	grep -q "registries unreachable.*retry in 2 s" "$WORK/daemon.log" && break
	sleep 0.1
done
if grep -q "registries unreachable.*retry in 1 s" "$WORK/daemon.log" &&
	grep -q "registries unreachable.*retry in 2 s" "$WORK/daemon.log"; then
	pass c-down-backoff
else
	fail c-down-backoff "$(grep -c unreachable "$WORK/daemon.log") unreachable lines"
fi
start_registry "$PORT" "$WORK/regdata"
REG_PID=$LAST_PID
wait_http "http://$REG/v2/" || fail registry-restart
if exec_until "$N-cc" ".container.id == \"$CC\" and .process.executable == \"/usr/local/bin/tool\" and .sealwatch.verdict == \"ok\""; then
	pass c-recovered-ok
else
	fail c-recovered-ok
	sed 's/^/    /' "$WORK/daemon.log" | tail -n 5
fi
n=$(count ".container.id == \"$CC\" and .sealwatch.verdict == \"no_baseline\"")
[ "$n" = 0 ] && pass c-down-not-no-baseline || fail c-down-not-no-baseline "$n no_baseline"
check_schema events-schema "$EVENTS"
kill "$DAEMON_PID" && wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=

# --- keyless, from the registry: bundles by sigstore-js against @sigstore/mock
JS_DIR=${SW_SIGSTORE_JS_DIR:-${HOME:-/root}/.cache/sealwatch/sigstore-js}
if ! command -v node >/dev/null || [ ! -d "$JS_DIR/node_modules/@sigstore/mock" ]; then
	skip keyless "node or sigstore-js missing (tests/integration/test_sigstore_js.sh installs it)"
else
	ISS="https://token.actions.githubusercontent.com"
	ID_A="https://github.com/example/team-a/.github/workflows/baseline.yml@refs/heads/main"
	ID_X="https://github.com/example/stranger/.github/workflows/x.yml@refs/heads/main"
	TA=swrg/team-a TB=swrg/team-b
	ok=1
	for x in d:$TA e:$TA f:$TB g:$TA h:$TB; do
		make_image "localhost/$N-${x%%:*}" "${x%%:*}-$$" &&
			publish "localhost/$N-${x%%:*}" "${x#*:}/img-${x%%:*}-$$" || ok=
	done
	[ -n "$ok" ] && pass keyless-images-published || fail keyless-images-published
	IMG_D=$REG/$TA/img-d-$$ IMG_E=$REG/$TA/img-e-$$ IMG_F=$REG/$TB/img-f-$$
	IMG_G=$REG/$TA/img-g-$$ IMG_H=$REG/$TB/img-h-$$
	mkdir -p "$WORK/kl"
	for x in d:$IMG_D e:$IMG_E f:$IMG_F g:$IMG_G; do
		"$SW" baseline --insecure "registry://${x#*:}:1" -o "$WORK/kl/${x%%:*}.jsonl" 2>/dev/null || ok=
	done
	# h: team-b's image, its header claiming a team-a name (the signer's patterns)
	"$SW" baseline --insecure --name "$REG/$TA/img-h-$$:1" "registry://$IMG_H:1" \
		-o "$WORK/kl/h.jsonl" 2>/dev/null || ok=
	echo "$ID_X" >"$WORK/kl/e.jsonl.identity"
	NODE_PATH=$JS_DIR/node_modules node "$TOP/tests/e2e/sigstore-js.js" sign-dir "$WORK/kl" "$ID_A" "$ISS" \
		>"$WORK/js.log" 2>&1 || ok=
	[ -n "$ok" ] && [ -s "$WORK/kl/d.jsonl.sigstore.json" ] && [ -s "$WORK/kl.trusted_root.json" ] &&
		pass keyless-signed || fail keyless-signed "$(tail -n 3 "$WORK/js.log")"
	# g: its registry artifact carries the bundle of d's baseline (other bytes)
	cp "$WORK/kl/d.jsonl.sigstore.json" "$WORK/kl/g.jsonl.sigstore.json"
	for x in d:$IMG_D e:$IMG_E f:$IMG_F g:$IMG_G; do
		"$SW" push --insecure --baseline "$WORK/kl/${x%%:*}.jsonl" "${x#*:}:1" >"$WORK/push.out" 2>&1 ||
			{ fail "keyless-push-${x%%:*}" "$(tail -n 1 "$WORK/push.out")"; ok=; }
	done
	[ -n "$ok" ] && pass keyless-pushed
	# the local directory: f (a team-b name signed by team-a's signer) and h
	mkdir -p "$WORK/kdir"
	cp "$WORK/kl/f.jsonl" "$WORK/kl/f.jsonl.sigstore.json" "$WORK/kl/h.jsonl" \
		"$WORK/kl/h.jsonl.sigstore.json" "$WORK/kdir/"
	jq -n --arg root "$WORK/kl.trusted_root.json" --arg iss "$ISS" --arg id "$ID_A" \
		--arg pat "$REG/$TA/*" --arg key "$WORK/k.pub" \
		'{trusted_root: $root, trusted_keys: [$key],
		  trusted_identities: [{issuer: $iss, identity: $id, images: [$pat]}]}' >"$WORK/kl.json"
	EVENTS=$WORK/events-kl.jsonl
	"$SW" daemon --config "$WORK/kl.json" --baseline-dir "$WORK/kdir" --registry "$REG" \
		--registry-insecure --baseline-cache "$WORK/cache-kl" --registry-negative-ttl 3600 \
		--all-events --output "file:$EVENTS" 2>"$WORK/daemon-kl.log" &
	DAEMON_PID=$!
	wait_for kl-daemon-started '.event.action == "start"' 30 || sed 's/^/    /' "$WORK/daemon-kl.log" | tail
	# the local f names a team-b image: its signer may sign team-a's only
	wait_for kl-local-outside-patterns-refused '.event.action == "baseline_refused" and (.sealwatch.baseline.path | endswith("kdir/f.jsonl")) and .sealwatch.baseline.check == "image"' 10
	n=$(count '.event.action == "baseline_refused" and (.sealwatch.baseline.path | endswith("kdir/h.jsonl"))')
	[ "$n" = 0 ] && pass kl-local-h-loaded || fail kl-local-h-loaded "h refused: its header names a team-a image"

	run_c "$N-cd" "$IMG_D:1" /bin/sleep 300
	CD=$(cid "$N-cd")
	if exec_until "$N-cd" ".container.id == \"$CD\" and .process.executable == \"/usr/local/bin/tool\" and .sealwatch.verdict == \"ok\""; then
		pass kl-fetched-bundle-ok
	else
		fail kl-fetched-bundle-ok "no ok verdict from the keyless baseline"
		sed 's/^/    /' "$WORK/daemon-kl.log" | tail -n 5
	fi
	IID_D=$(head -1 "$WORK/kl/d.jsonl" | jq -r .image.config_digest)
	cmp -s "$WORK/cache-kl/${IID_D#sha256:}.jsonl.sigstore.json" "$WORK/kl/d.jsonl.sigstore.json" &&
		[ ! -e "$WORK/cache-kl/${IID_D#sha256:}.jsonl.sig" ] &&
		pass kl-bundle-cached || fail kl-bundle-cached
	podman exec "$N-cd" /bin/sh -c 'echo "#implant" >> /usr/local/bin/tool'
	podman exec "$N-cd" /usr/local/bin/tool true >/dev/null 2>&1
	wait_for kl-swapped-modified ".container.id == \"$CD\" and .file.path == \"/usr/local/bin/tool\" and .sealwatch.verdict == \"modified\"" 20

	# keys and keyless in one daemon: a's key-signed baseline still applies
	run_c "$N-ca2" "$IMG_A:1" /bin/sleep 300
	CA2=$(cid "$N-ca2")
	exec_until "$N-ca2" ".container.id == \"$CA2\" and .process.executable == \"/usr/local/bin/tool\" and .sealwatch.verdict == \"ok\"" &&
		pass kl-key-signed-beside-ok || fail kl-key-signed-beside-ok

	# refused: name CHECK REPO
	refused_from_registry() {
		local name=$1 check=$2 repo=$3 c=$N-c$1
		run_c "$c" "$REG/$repo:1" /bin/sleep 300
		podman exec "$c" /usr/local/bin/tool true >/dev/null 2>&1
		wait_for "kl-$name-refused" '.event.action == "baseline_refused" and (.sealwatch.baseline.path | startswith("registry://'"$REG/$repo"'@")) and .sealwatch.baseline.check == "'"$check"'"' 30
		exec_until "$c" ".container.id == \"$(cid "$c")\" and .sealwatch.verdict == \"no_baseline\"" &&
			pass "kl-$name-no-baseline" || fail "kl-$name-no-baseline"
		n=$(count ".container.id == \"$(cid "$c")\" and .sealwatch.verdict == \"ok\"")
		[ "$n" = 0 ] && pass "kl-$name-never-ok" || fail "kl-$name-never-ok" "$n ok verdicts"
	}
	refused_from_registry e identity "$TA/img-e-$$"
	refused_from_registry f image "$TB/img-f-$$"
	refused_from_registry g signature "$TA/img-g-$$"
	grep -q "may sign baselines of images $REG/$TA/\* only, not of $REG/$TB/img-f-$$:1" "$WORK/daemon-kl.log" &&
		pass kl-image-refusal-says-why || fail kl-image-refusal-says-why "$(grep img-f "$WORK/daemon-kl.log" | tail -n 1)"
	# h: signed by team-a's signer with a team-a name, loaded from the directory;
	# a container of team-b's image (same image ID) is not judged by it
	run_c "$N-ch" "$IMG_H:1" /bin/sleep 300
	CH=$(cid "$N-ch")
	exec_until "$N-ch" ".container.id == \"$CH\" and .sealwatch.verdict == \"no_baseline\"" &&
		pass kl-h-other-image-no-baseline || fail kl-h-other-image-no-baseline
	n=$(count ".container.id == \"$CH\" and .sealwatch.verdict == \"ok\"")
	[ "$n" = 0 ] && pass kl-h-never-ok || fail kl-h-never-ok "$n ok verdicts"
	check_schema kl-events-schema "$EVENTS"
	# pull verifies bundles offline, as the daemon does
	KL=(--trusted-root "$WORK/kl.trusted_root.json" --certificate-oidc-issuer "$ISS")
	expect_exit kl-pull-bundle-verified 0 "$SW" pull --insecure "${KL[@]}" \
		--certificate-identity "$ID_A" "$IMG_D:1" -o "$WORK/klpull"
	grep -q 'signature verified' "$WORK/.out" && [ -s "$WORK/klpull/$(head -1 "$WORK/kl/d.jsonl" | jq -r .image.config_digest | cut -c8-).jsonl.sigstore.json" ] &&
		pass kl-pull-bundle-written || fail kl-pull-bundle-written "$(cat "$WORK/.out")"
	expect_exit kl-pull-regexp-verified 0 "$SW" pull --insecure "${KL[@]}" \
		--certificate-identity-regexp '^https://github.com/example/team-a/' "$IMG_D:1" -o "$WORK/klpull2"
	expect_exit kl-pull-other-identity-refused 4 "$SW" pull --insecure "${KL[@]}" \
		--certificate-identity "$ID_X" "$IMG_D:1" -o "$WORK/klpull3"
	[ ! -e "$WORK/klpull3" ] || [ -z "$(ls "$WORK/klpull3")" ] && pass kl-pull-refused-writes-nothing ||
		fail kl-pull-refused-writes-nothing "$(ls "$WORK/klpull3")"
	expect_exit kl-pull-bundle-other-bytes-refused 4 "$SW" pull --insecure "${KL[@]}" \
		--certificate-identity "$ID_A" "$IMG_G:1" -o "$WORK/klpull4"
	expect_exit kl-pull-bundle-with-key-only-refused 4 "$SW" pull --insecure --key "$WORK/k.pub" \
		"$IMG_D:1" -o "$WORK/klpull5"
	expect_exit kl-pull-key-sig-with-root-only-refused 4 "$SW" pull --insecure "${KL[@]}" \
		--certificate-identity "$ID_A" "$IMG_A@$DIG_A" -o "$WORK/klpull6"
	expect_exit kl-pull-identity-without-root-usage 2 "$SW" pull --insecure \
		--certificate-identity "$ID_A" "$IMG_D:1" -o "$WORK/klpull7"
	kill "$DAEMON_PID" && wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
	EVENTS=$WORK/events.jsonl
fi

# --- mirrors: the first one down (a closed port), the next one answers (the same
# registry under another name, so that it is not tried first as the image's own)
if make_image "localhost/$N-m" "m-$$" && publish "localhost/$N-m" "swrg/img-m-$$"; then
	DEAD=127.0.0.1:$(free_port)
	EVENTS=$WORK/events-mirror.jsonl
	"$SW" daemon --trusted-key "$WORK/k.pub" --registry "$DEAD" --registry "localhost:$PORT" \
		--registry-insecure --baseline-cache "$WORK/cache-mirror" --registry-retry-max 2 \
		--registry-negative-ttl 3600 --all-events --output "file:$EVENTS" 2>"$WORK/daemon-mirror.log" &
	DAEMON_PID=$!
	wait_for mirror-daemon-started '.event.action == "start"' 30
	run_c "$N-mc" "$IMG_C:1" /bin/sleep 300
	MC=$(cid "$N-mc")
	exec_until "$N-mc" ".container.id == \"$MC\" and .process.executable == \"/usr/local/bin/tool\" and .sealwatch.verdict == \"ok\"" &&
		pass mirror-down-next-serves || { fail mirror-down-next-serves; sed 's/^/    /' "$WORK/daemon-mirror.log" | tail -n 5; }
	# none attached on the mirror that answers, the other down: no_baseline, not pending for ever
	run_c "$N-mm" "$REG/swrg/img-m-$$:1" /bin/sleep 300
	MM=$(cid "$N-mm")
	exec_until "$N-mm" ".container.id == \"$MM\" and .sealwatch.verdict == \"no_baseline\"" &&
		pass mirror-down-absent-not-pending || { fail mirror-down-absent-not-pending; sed 's/^/    /' "$WORK/daemon-mirror.log" | tail -n 5; }
	grep -q "no baseline attached.*$DEAD unreachable" "$WORK/daemon-mirror.log" &&
		pass mirror-down-named || fail mirror-down-named "$(grep img-m -m1 "$WORK/daemon-mirror.log")"
	kill "$DAEMON_PID" && wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
	EVENTS=$WORK/events.jsonl
else
	fail mirror-image
fi

# --- the referrers API path: a stub registry that has it (see the helper's header)
SPORT=$(free_port)
SREG=127.0.0.1:$SPORT
"$PY" "$TOP/tests/integration/helpers/referrers_registry.py" "$SPORT" >"$WORK/stub.log" 2>&1 &
STUB_PID=$!
if wait_http "http://$SREG/v2/" &&
	skopeo copy -q --src-tls-verify=false --dest-tls-verify=false \
		"docker://$IMG_A:1" "docker://$SREG/swrg/api-$$:1"; then
	expect_exit api-push 0 "$SW" push --insecure --baseline "$WORK/a.jsonl" "$SREG/swrg/api-$$:1"
	grep -q "referrers API" "$WORK/.out" && pass api-push-uses-api || fail api-push-uses-api "$(cat "$WORK/.out")"
	code=$(curl -s -o /dev/null -w '%{http_code}' "http://$SREG/v2/swrg/api-$$/manifests/sha256-${DIG_A#sha256:}")
	[ "$code" = 404 ] && pass api-no-tag-index || fail api-no-tag-index "HTTP $code"
	expect_exit api-pull 0 "$SW" pull --insecure --key "$WORK/k.pub" "$SREG/swrg/api-$$@$DIG_A" -o "$WORK/pulled-api"
	cmp -s "$WORK/pulled-api/${IID_A#sha256:}.jsonl" "$WORK/a.jsonl" && pass api-pull-identical || fail api-pull-identical
else
	fail api-stub "stub registry or skopeo copy failed"
	tail -n 5 "$WORK/stub.log"
fi
