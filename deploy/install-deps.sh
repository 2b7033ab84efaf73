#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Install what sealwatch needs to build, test and benchmark on Debian 12, and
# configure podman for this kind of host (docs: /work/shared/ENVIRONMENT.md).
# Idempotent; does nothing but a few dpkg-query calls when all is in place.
# Not root: prints what is missing and exits 1 (0 when nothing is missing).
#   SW_DEPS_CONF   containers.conf to manage (default /etc/containers/containers.conf)
set -euo pipefail

BUILD_PKGS=(clang llvm bpftool libbpf-dev libelf-dev libssl-dev libjansson-dev libarchive-dev
	libzstd-dev zlib1g-dev pkg-config make gcc clang-format libclang-rt-14-dev libcurl4-openssl-dev
	libmicrohttpd-dev)
TEST_PKGS=(podman runc buildah skopeo conmon uidmap fuse-overlayfs slirp4netns netavark
	aardvark-dns catatonit busybox-static jq openssl python3 zstd gzip file xxd
	libcap2-bin attr tar iptables python3-jsonschema qemu-system-x86 cpio curl python3-yaml
	groff-base systemd strace)
# libcap2-bin (setcap) and attr (getfattr) build and check the xattr fixtures;
# qemu-system-x86, cpio (+ busybox-static): tests/vm boots Debian's 6.1 kernel (fetched by
# the test with apt-get download into /var/cache/sealwatch-vm) for the BPF LSM path;
# iptables: netavark 1.4 needs it for podman's default bridge network
# ("netavark: No such file or directory" without it; --network none works anyway).
# curl reads /metrics, python3-yaml checks the DaemonSet, groff-base renders the man
# page, systemd brings systemd-analyze and strace lists the daemon's syscalls (unit
# checks in tests/integration/test_ops_deploy.sh).
BENCH_PKGS=(hashdeep aide)
# rsyslog + rsyslog-openssl: tests/integration/test_sinks.sh runs a real rsyslogd (TLS via lmnsd_ossl)
TEST_PKGS+=(rsyslog rsyslog-openssl)
# containerd (+ ctr): tests/integration/test_containerd_id.sh runs its own containerd
TEST_PKGS+=(containerd)
# docker-registry (distribution 2.8): tests/integration/test_registry.sh runs a real OCI
# registry on 127.0.0.1 (its systemd unit is not needed: the test starts its own)
TEST_PKGS+=(docker-registry)
# docker.io (20.10): tests/integration/test_docker_live.sh starts its own dockerd
# (--iptables=false --bridge=none, own data root and socket); its unit is not started
TEST_PKGS+=(docker.io)
CONF=${SW_DEPS_CONF:-/etc/containers/containers.conf}

say() { echo "install-deps: $*" >&2; }

ALL_PKGS=("${BUILD_PKGS[@]}" "${TEST_PKGS[@]}" "${BENCH_PKGS[@]}")
# one dpkg-query for all; a package absent from its output (or not fully
# installed) is missing
installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${ALL_PKGS[@]}" 2>/dev/null |
	awk '$NF == "installed" && $(NF-1) == "ok" { print $1 }' || true)
missing=()
for p in "${ALL_PKGS[@]}"; do
	grep -qxF "$p" <<<"$installed" || missing+=("$p")
done

is_root() { [ "$(id -u)" = 0 ]; }

if [ "${#missing[@]}" -gt 0 ]; then
	if ! is_root; then
		say "missing packages (run as root to install): ${missing[*]}"
		exit 1
	fi
	say "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# conf_has SECTION KEY VALUE: true when FILE has KEY = VALUE (uncommented) in [SECTION]
conf_has() {
	awk -v sec="$1" -v key="$2" -v val="$3" '
		/^[[:space:]]*\[/ { s = $0; sub(/#.*/, "", s); gsub(/[][[:space:]]/, "", s); cur = s; next }
		cur == sec {
			line = $0; sub(/#.*/, "", line)
			if (match(line, "^[[:space:]]*" key "[[:space:]]*=")) {
				v = substr(line, RLENGTH + 1); gsub(/^[[:space:]]+|[[:space:]]+$/, "", v)
				found = (v == val)
			}
		}
		END { exit found ? 0 : 1 }' "$CONF"
}

# conf_key_present SECTION KEY: KEY set (to anything) in [SECTION]
conf_key_present() {
	awk -v sec="$1" -v key="$2" '
		/^[[:space:]]*\[/ { s = $0; sub(/#.*/, "", s); gsub(/[][[:space:]]/, "", s); cur = s; next }
		cur == sec && match($0, "^[[:space:]]*" key "[[:space:]]*=") { found = 1 }
		END { exit found ? 0 : 1 }' "$CONF"
}

# conf_set SECTION KEY VALUE: replace KEY's line in [SECTION], else add it at the
# top of the section, else append the section; everything else is kept as is.
conf_set() {
	local tmp
	tmp=$(mktemp "$CONF.XXXXXX")
	if conf_key_present "$1" "$2"; then
		awk -v sec="$1" -v key="$2" -v val="$3" '
			/^[[:space:]]*\[/ { s = $0; sub(/#.*/, "", s); gsub(/[][[:space:]]/, "", s); cur = s }
			cur == sec && match($0, "^[[:space:]]*" key "[[:space:]]*=") {
				print key " = " val; next
			}
			{ print }' "$CONF" >"$tmp"
	elif grep -Eq "^[[:space:]]*\[$1\][[:space:]]*(#.*)?$" "$CONF"; then
		awk -v sec="$1" -v key="$2" -v val="$3" '
			{ print }
			/^[[:space:]]*\[/ {
				s = $0; sub(/#.*/, "", s); gsub(/[][[:space:]]/, "", s)
				if (s == sec && !done) { print key " = " val; done = 1 }
			}' "$CONF" >"$tmp"
	else
		{
			cat "$CONF"
			printf '\n[%s]\n%s = %s\n' "$1" "$2" "$3"
		} >"$tmp"
	fi
	chmod 0644 "$tmp"
	mv -f "$tmp" "$CONF"
}

pid1_is_systemd() { [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]; }

want=("containers default_ulimits []" "engine runtime \"runc\"")
# Without systemd as PID 1 podman can neither use the systemd cgroup manager
# nor journald for events.
extra=("engine cgroup_manager \"cgroupfs\"" "engine events_logger \"file\"")

if [ ! -s "$CONF" ]; then
	if ! is_root; then
		say "$CONF missing (run as root to create it)"
		exit 1
	fi
	mkdir -p "$(dirname "$CONF")"
	{
		echo "# written by sealwatch deploy/install-deps.sh"
		echo "[containers]"
		echo "default_ulimits = []"
		echo
		echo "[engine]"
		echo "runtime = \"runc\""
		echo "cgroup_manager = \"cgroupfs\""
		echo "events_logger = \"file\""
	} >"$CONF"
	say "wrote $CONF"
else
	todo=()
	for kv in "${want[@]}"; do
		read -r sec key val <<<"$kv"
		conf_has "$sec" "$key" "$val" || todo+=("$kv")
	done
	if ! pid1_is_systemd; then
		for kv in "${extra[@]}"; do
			read -r sec key val <<<"$kv"
			conf_key_present "$sec" "$key" || todo+=("$kv")
		done
	fi
	if [ "${#todo[@]}" -gt 0 ]; then
		if ! is_root; then
			say "$CONF needs: ${todo[*]} (run as root)"
			exit 1
		fi
		for kv in "${todo[@]}"; do
			read -r sec key val <<<"$kv"
			conf_set "$sec" "$key" "$val"
			say "$CONF: [$sec] $key = $val"
		done
	fi
fi

if [ "${#missing[@]}" -gt 0 ] && ! is_root; then
	exit 1
fi
exit 0
