#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Deployment files: the DaemonSet checked against the real binary, the
# systemd unit verified by systemd-analyze (and its exposure score printed),
# the Containerfile's runtime packages against the binary's libraries,
# `make install`/`uninstall` into a DESTDIR, the man page rendered by groff.
source "$(dirname "$0")/../lib/common.sh"

UNIT=$TOP/deploy/systemd/sealwatch.service
DS=$TOP/deploy/kubernetes/sealwatch-daemonset.yaml
CF=$TOP/deploy/container/Containerfile

# --- DaemonSet
"$SW" daemon --help >"$WORK/help.txt"
if python3 -c 'import yaml' 2>/dev/null; then
	python3 "$TOP/tests/integration/helpers/check_daemonset.py" "$DS" "$WORK/help.txt" "$UNIT" \
		"$WORK/ds-config.json" | sed -E "s#^(PASS|FAIL): #\1: $GROUP/daemonset-#"
	# the ConfigMap's config.json is valid for this binary (--help after
	# --config loads and checks the file first)
	expect_exit daemonset-config-valid 0 "$SW" daemon --config "$WORK/ds-config.json" --help
else
	skip daemonset "python3-yaml not installed"
fi

# --- example config is valid too
expect_exit example-config-valid 0 "$SW" daemon --config "$TOP/deploy/sealwatch.example.json" --help

# --- systemd unit
if command -v systemd-analyze >/dev/null; then
	make -s -C "$TOP" BUILD="$SW_BUILD" install DESTDIR="$WORK/root" >"$WORK/install.log" 2>&1 ||
		fail make-install "$(tail -n 3 "$WORK/install.log")"
	# ExecStart at the binary under test (verify wants it executable), man page from DESTDIR
	sed "s|/usr/local/sbin/sealwatch|$SW|" "$UNIT" >"$WORK/sealwatch.service"
	if MANPATH=$WORK/root/usr/local/share/man systemd-analyze verify "$WORK/sealwatch.service" \
		>"$WORK/verify.log" 2>&1 && [ ! -s "$WORK/verify.log" ]; then
		pass unit-verify
	else
		fail unit-verify "$(head -n 3 "$WORK/verify.log")"
	fi
	score=$(systemd-analyze security --offline=yes "$WORK/sealwatch.service" 2>/dev/null |
		sed -n 's/.*Overall exposure level for sealwatch.service: \([0-9.]*\).*/\1/p')
	echo "    systemd-analyze security exposure: ${score:-?}"
	if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 3.0) }'; then
		pass unit-exposure
	else
		fail unit-exposure "exposure ${score:-unknown}, want <= 3.0"
	fi
	grep -q '^ExecStart=/usr/local/sbin/sealwatch daemon --config /etc/sealwatch/config.json$' "$UNIT" &&
		pass unit-execstart || fail unit-execstart
else
	skip unit "systemd-analyze not installed"
fi

# --- the unit's SystemCallFilter against the syscalls the daemon really makes
# (strace -f: start, a /metrics scrape, a SIGHUP reload, a verified exec, stop)
if need_root && command -v strace >/dev/null && command -v systemd-analyze >/dev/null; then
	expand() { # @group → its syscalls, nested groups expanded
		systemd-analyze syscall-filter "$1" | awk '/^    [@a-z0-9_]/ { print $1 }' |
			while read -r x; do case $x in @*) expand "$x" ;; *) echo "$x" ;; esac; done
	}
	allow=() deny=()
	for tok in $(sed -n 's/^SystemCallFilter=\([^~].*\)/\1/p' "$UNIT"); do allow+=("$tok"); done
	for tok in $(sed -n 's/^SystemCallFilter=~\(.*\)/\1/p' "$UNIT"); do deny+=("$tok"); done
	for tok in "${allow[@]}"; do case $tok in @*) expand "$tok" ;; *) echo "$tok" ;; esac; done |
		sort -u >"$WORK/allowed.txt"
	for tok in "${deny[@]}"; do case $tok in @*) expand "$tok" ;; *) echo "$tok" ;; esac; done |
		sort -u >"$WORK/denied.txt"
	mkdir -p "$WORK/st/bin" && cp /bin/true "$WORK/st/bin/t" && chmod 755 "$WORK" "$WORK/st" "$WORK/st/bin"
	"$SW" keygen -o "$WORK/st/k" >/dev/null 2>&1
	"$SW" baseline --include "$WORK/st/bin" dir:/ -o "$WORK/st/h.jsonl" 2>/dev/null &&
		"$SW" sign --key "$WORK/st/k.key" "$WORK/st/h.jsonl" >/dev/null 2>&1
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	printf '{"host_baseline":"%s","trusted_keys":["%s"],"outputs":["file:%s"],"all_events":true,"metrics_listen":"127.0.0.1:%s"}' \
		"$WORK/st/h.jsonl" "$WORK/st/k.pub" "$WORK/st/ev.jsonl" "$port" >"$WORK/st/c.json"
	# syscalls the unit denies fail with EPERM (SystemCallErrorNumber=): inject
	# that for the denied ones the daemon may try (the loader mounts securityfs
	# when it is not mounted, to read the active LSMs) and require that it copes
	# (LeakSanitizer cannot run under ptrace: off for this run of a SANITIZE=1 build)
	# the unit relies on the node's tracefs (systemd mounts it at boot); the
	# daemon may not mount it itself under the filter
	if ! mountpoint -q /sys/kernel/tracing; then
		mount -t tracefs tracefs /sys/kernel/tracing && MOUNTED_TRACEFS=1
	fi
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f -qq -c -e inject=mount,umount2:error=EPERM -o "$WORK/strace.txt" \
		"$SW" daemon --config "$WORK/st/c.json" 2>/dev/null &
	spid=$!
	for i in $(seq 600); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
	dpid=$(pgrep -P "$spid" -f 'sealwatch daemon' | head -n 1)
	curl -s "http://127.0.0.1:$port/metrics" >/dev/null
	kill -HUP "$dpid" && sleep 0.5 && "$WORK/st/bin/t"
	for i in $(seq 600); do # the verdict, not a fixed sleep: the machine may be busy
		jq -e -s 'any(.sealwatch.verdict == "ok")' "$WORK/st/ev.jsonl" >/dev/null 2>&1 && break
		sleep 0.1
	done
	kill "$dpid"
	wait "$spid"
	[ -n "${MOUNTED_TRACEFS:-}" ] && umount /sys/kernel/tracing
	awk 'NR > 2 && $NF != "total" && $NF !~ /^-/ { print $NF }' "$WORK/strace.txt" | sort -u >"$WORK/used.txt"
	outside=$(comm -23 "$WORK/used.txt" "$WORK/allowed.txt" | grep -vx 'mount\|umount2' | tr '\n' ' ')
	refused=$(comm -12 "$WORK/used.txt" "$WORK/denied.txt" | grep -vx 'mount\|umount2' | tr '\n' ' ')
	used=$(wc -l <"$WORK/used.txt")
	if [ "$used" -gt 20 ] && grep -qx bpf "$WORK/used.txt" && [ -z "$outside$refused" ] &&
		jq -e -s 'any(.sealwatch.verdict == "ok")' "$WORK/st/ev.jsonl" >/dev/null 2>&1; then
		pass unit-syscall-filter
		echo "    $used distinct syscalls used: all allowed by the unit but mount/umount2, refused (EPERM) and coped with"
	else
		fail unit-syscall-filter "$used used; not allowed: $outside; denied: $refused; bpf used: $(grep -cx bpf "$WORK/used.txt"); verdicts: $(jq -r -s -c '[.[] | .sealwatch.verdict // .event.action]' "$WORK/st/ev.jsonl" 2>&1 | head -c 300)"
	fi
else
	skip unit-syscall-filter "needs root, strace and systemd-analyze"
fi

# --- make install / uninstall
want="etc/sealwatch/config.json lib/systemd/system/sealwatch.service usr/local/sbin/sealwatch usr/local/share/man/man8/sealwatch.8"
rm -rf "$WORK/root"
if make -s -C "$TOP" BUILD="$SW_BUILD" install DESTDIR="$WORK/root" >"$WORK/install.log" 2>&1; then
	got=$(cd "$WORK/root" && find . -type f | sed 's|^\./||' | sort | tr '\n' ' ')
	[ "$got" = "$want " ] && pass install-files || fail install-files "got: $got"
	[ -x "$WORK/root/usr/local/sbin/sealwatch" ] && "$WORK/root/usr/local/sbin/sealwatch" version >/dev/null &&
		pass install-binary-runs || fail install-binary-runs
	echo '{"all_events": true}' >"$WORK/root/etc/sealwatch/config.json"
	make -s -C "$TOP" BUILD="$SW_BUILD" install DESTDIR="$WORK/root" >/dev/null 2>&1
	grep -q all_events "$WORK/root/etc/sealwatch/config.json" && pass install-keeps-config ||
		fail install-keeps-config "an existing config.json was overwritten"
	make -s -C "$TOP" BUILD="$SW_BUILD" install DESTDIR="$WORK/prefix" PREFIX=/opt/sw >/dev/null 2>&1
	grep -q '^ExecStart=/opt/sw/sbin/sealwatch ' "$WORK/prefix/lib/systemd/system/sealwatch.service" &&
		[ -x "$WORK/prefix/opt/sw/sbin/sealwatch" ] && pass install-prefix || fail install-prefix
	make -s -C "$TOP" BUILD="$SW_BUILD" uninstall DESTDIR="$WORK/root" >/dev/null 2>&1
	left=$(cd "$WORK/root" && find . -type f | sed 's|^\./||' | tr '\n' ' ')
	[ "$left" = "etc/sealwatch/config.json " ] && pass uninstall || fail uninstall "left: $left"
else
	fail install-files "$(tail -n 3 "$WORK/install.log")"
fi

# --- man page: no groff warnings, renders
if command -v groff >/dev/null; then
	if groff -ww -man -z "$TOP/docs/sealwatch.8" >"$WORK/groff.log" 2>&1 && [ ! -s "$WORK/groff.log" ]; then
		pass man-groff
	else
		fail man-groff "$(head -n 3 "$WORK/groff.log")"
	fi
	# every daemon flag of --help is documented in the man page
	missing=$(grep -o -- '--[a-z][a-z-]*' "$WORK/help.txt" | sort -u | while read -r f; do
		grep -q -- "${f//-/\\\\-}" "$TOP/docs/sealwatch.8" || echo "$f"; done | tr '\n' ' ')
	[ -z "$missing" ] && pass man-documents-flags || fail man-documents-flags "missing: $missing"
else
	skip man-groff "groff not installed"
fi

# --- Containerfile: multi-stage, Debian 12 base, runtime stage installs the
# package of every library the binary links (static check: no registry here)
[ "$(grep -c '^FROM ' "$CF")" -ge 2 ] && grep -q 'AS build' "$CF" && grep -q 'debian:12' "$CF" &&
	pass containerfile-multistage || fail containerfile-multistage
runtime=$(awk '/^FROM/ { n++ } n == 2' "$CF")
missing=
for lib in $(objdump -p "$SW" | awk '/NEEDED/ { print $2 }'); do
	f=$(ldconfig -p | awk -v l="$lib" '$1 == l { print $NF; exit }')
	[ -n "$f" ] || continue
	pkg=$(dpkg -S "$(readlink -f "$f")" 2>/dev/null | cut -d: -f1 | head -n 1)
	# libc is in every base; sanitizer runtimes only in SANITIZE=1 builds
	case "$pkg" in "" | libc6 | libasan* | libubsan* | liblsan* | libtsan*) continue ;; esac
	grep -qw -- "$pkg" <<<"$runtime" || missing+="$pkg ($lib) "
done
[ -z "$missing" ] && pass containerfile-runtime-libs || fail containerfile-runtime-libs "not installed: $missing"
grep -q -- '--from=build' <<<"$runtime" && ! grep -q -- '-dev' <<<"$runtime" &&
	pass containerfile-runtime-no-dev || fail containerfile-runtime-no-dev
exit 0
