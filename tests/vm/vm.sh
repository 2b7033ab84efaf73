# SPDX-License-Identifier: GPL-2.0-only
# The qemu harness for tests that need another kernel (STYLE.md tier
# tests/vm): Debian's own 6.1 kernel, which runs BPF LSM programs, booted
# under TCG with a busybox initramfs (tests/vm/init). Source it, then:
#
#   vm_prepare || { skip NAME "$VM_SKIP"; exit 0; }   # qemu, kernel, initramfs
#   vm_run ROOT OUTDIR SCRIPT [TIMEOUT]                # 0 when the guest ran SCRIPT
#
# ROOT is a host directory shared read-only over 9p: the guest chroots into
# it and runs SCRIPT (a path inside ROOT) with /bin/sh; ROOT needs /bin/sh,
# the mount points proc sys dev tmp out, sys's subdirectories come from sysfs.
# OUTDIR (host) is shared read-write on ROOT/out. The serial console goes to
# OUTDIR/console.log; VM_RC is the script's exit code, VM_SECONDS the time
# from qemu's start to its end, VM_ERROR why vm_run failed.
#
# The kernel package is fetched with apt-get download (never installed, /boot
# untouched) and kept with its extracted kernel, the modules the initramfs
# needs and the initramfs itself under
# SW_VM_CACHE (default /var/cache/sealwatch-vm), so reruns need no network.
#   SW_VM_KERNEL_PKG   package to use (default: newest linux-image-6.1.0-*-amd64)
#   SW_VM_LSM          lsm= of the guest (default lockdown,capability,integrity,bpf)
#   SW_VM_QEMU         qemu binary (default qemu-system-x86_64)
#   SW_VM_ACCEL        auto (default): KVM only when /dev/kvm is writable AND a
#                      short probe boot under KVM succeeds, else TCG;
#                      try-kvm: probe KVM even without a writable /dev/kvm
#                      (shows the fallback path on any machine); tcg: no probe
#
# The accelerator is probed, never assumed: some machines of this kind have a
# writable /dev/kvm that qemu cannot use (nested KVM refuses the guest with
# "failed to set MSR 0x10a", then an abort). vm_accel decides once per shell;
# VM_ACCEL and VM_ACCEL_WHY say what was chosen and why (tests print them).

SW_VM_CACHE=${SW_VM_CACHE:-/var/cache/sealwatch-vm}
SW_VM_LSM=${SW_VM_LSM:-lockdown,capability,integrity,bpf}
SW_VM_QEMU=${SW_VM_QEMU:-qemu-system-x86_64}
VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM_SKIP=
VM_KERNEL=
VM_MODDIR=
VM_INITRD=
VM_RC=
VM_ERROR=
VM_SECONDS=
VM_ACCEL=
VM_ACCEL_WHY=
VM_CPU=

# the 9p chain, in load order (tests/vm/init)
VM_MODULES="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
	9pnet 9pnet_virtio netfs fscache 9p"

# vm_kernel: VM_KERNEL (vmlinuz) and VM_MODDIR from the cache, else download
vm_kernel() {
	local pkg=${SW_VM_KERNEL_PKG:-} dir deb
	if [ -z "$pkg" ]; then
		# newest cached tree first: no network needed on reruns
		dir=$(ls -d "$SW_VM_CACHE"/linux-image-6.1.0-*-amd64 2>/dev/null | sort -V | tail -n 1)
		if [ -n "$dir" ] && ls "$dir"/boot/vmlinuz-* >/dev/null 2>&1; then
			pkg=$(basename "$dir")
		else
			pkg=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64$' 2>/dev/null |
				awk '{ print $1 }' | sort -V | tail -n 1)
		fi
	fi
	if [ -z "$pkg" ]; then
		VM_SKIP="no linux-image-6.1.0-*-amd64 package in apt's lists (apt-get update?)"
		return 1
	fi
	dir=$SW_VM_CACHE/$pkg
	if ! ls "$dir"/boot/vmlinuz-* >/dev/null 2>&1; then
		mkdir -p "$SW_VM_CACHE" || { VM_SKIP="cannot create $SW_VM_CACHE"; return 1; }
		deb=$(ls "$SW_VM_CACHE/${pkg}_"*.deb 2>/dev/null | tail -n 1)
		if [ -z "$deb" ]; then
			(cd "$SW_VM_CACHE" && apt-get download "$pkg") >"$SW_VM_CACHE/download.log" 2>&1
			deb=$(ls "$SW_VM_CACHE/${pkg}_"*.deb 2>/dev/null | tail -n 1)
			if [ -z "$deb" ]; then
				VM_SKIP="apt-get download $pkg failed: $(grep -m1 '^E:' "$SW_VM_CACHE/download.log")"
				return 1
			fi
		fi
		# private temporaries: two tests may fill the cache at once
		if ! dpkg -x "$deb" "$dir.tmp.$$"; then
			rm -rf "$dir.tmp.$$"
			VM_SKIP="dpkg -x $deb failed"
			return 1
		fi
		# keep boot/ and the modules the initramfs takes (~400 MB less)
		find "$dir.tmp.$$/lib/modules" -name '*.ko*' |
			grep -Ev '/(drivers/virtio|net/9p|fs/9p|fs/netfs|fs/fscache)/' |
			xargs -r rm -f
		mv -T "$dir.tmp.$$" "$dir" 2>/dev/null || rm -rf "$dir.tmp.$$"
	fi
	VM_KERNEL=$(ls "$dir"/boot/vmlinuz-* | head -n 1)
	VM_MODDIR=$(ls -d "$dir"/lib/modules/* | head -n 1)
	grep -q '^CONFIG_BPF_LSM=y' "$dir"/boot/config-* || {
		VM_SKIP="$pkg lacks CONFIG_BPF_LSM"
		return 1
	}
}

# vm_initrd: busybox + the 9p modules + init, cached per kernel and init version
vm_initrd() {
	local bb tag tmp m ko
	bb=$(command -v busybox)
	if [ -z "$bb" ] || ! file -L "$bb" | grep -q 'statically linked'; then
		VM_SKIP="no statically linked busybox (package busybox-static)"
		return 1
	fi
	command -v cpio >/dev/null || { VM_SKIP="cpio not installed"; return 1; }
	tag=$(cat "$VM_DIR/init" "$bb" | sha256sum | cut -c1-12)
	VM_INITRD=$SW_VM_CACHE/initrd-$(basename "$VM_MODDIR")-$tag.gz
	[ -s "$VM_INITRD" ] && return 0
	tmp=$(mktemp -d /tmp/sw-vm-initrd.XXXXXX)
	mkdir -p "$tmp/bin" "$tmp/lib/modules"
	cp "$bb" "$tmp/bin/busybox"
	cp "$VM_DIR/init" "$tmp/init"
	chmod 0755 "$tmp/init" "$tmp/bin/busybox"
	for m in $VM_MODULES; do
		ko=$(find "$VM_MODDIR/kernel" -name "$m.ko*" | head -n 1)
		case "$ko" in
		*.ko) cp "$ko" "$tmp/lib/modules/" ;;
		*.ko.xz) xz -dc "$ko" >"$tmp/lib/modules/$m.ko" ;;
		*)
			rm -rf "$tmp"
			VM_SKIP="module $m not in $VM_MODDIR"
			return 1
			;;
		esac
	done
	(cd "$tmp" && find . | cpio -o -H newc --quiet | gzip -1) >"$VM_INITRD.$$" &&
		mv "$VM_INITRD.$$" "$VM_INITRD"
	rm -rf "$tmp"
	[ -s "$VM_INITRD" ] || { VM_SKIP="could not build the initramfs"; return 1; }
}

# vm_prepare: everything a vm_run needs, or VM_SKIP says why not
vm_prepare() {
	command -v "$SW_VM_QEMU" >/dev/null || {
		VM_SKIP="$SW_VM_QEMU not installed (package qemu-system-x86)"
		return 1
	}
	[ "$(id -u)" = 0 ] || { VM_SKIP="needs root (apt cache, 9p export of the test tree)"; return 1; }
	vm_kernel && vm_initrd
}

# vm_probe_kvm OUTDIR: 0 when qemu boots VM_KERNEL under KVM: no initramfs, so
# the kernel starts, finds no root, panics, and panic=-1 + -no-reboot end qemu
# with status 0. A guest that cannot start under KVM aborts or hangs instead
# (seen: a nested KVM that spins with no console output): 20 s is a hang guard
# for a boot that takes about 1 s under KVM; missing it only means TCG.
vm_probe_kvm() {
	local out=$1 rc why
	# a subshell: the shell's own "Aborted" line stays out of the test output
	(timeout -k 5 20 "$SW_VM_QEMU" -machine q35,accel=kvm -cpu host -m 256M -smp 1 \
		-display none -monitor none -serial "file:$out/kvm-probe.log" -no-reboot \
		-kernel "$VM_KERNEL" -append "console=ttyS0 panic=-1" \
		</dev/null >"$out/kvm-probe.qemu.log" 2>&1) 2>/dev/null
	rc=$?
	if [ "$rc" = 0 ] && grep -q 'Linux version' "$out/kvm-probe.log" 2>/dev/null; then
		return 0
	fi
	case $rc in
	124 | 137) why="no boot within 20 s" ;;
	*) why="qemu exit $rc: $(grep -m1 -iE 'error|fail|abort' "$out/kvm-probe.qemu.log" 2>/dev/null | cut -c1-120)" ;;
	esac
	VM_ACCEL_WHY="kvm probe boot failed ($why)"
	return 1
}

# vm_accel OUTDIR: set VM_ACCEL (kvm|tcg), VM_CPU and VM_ACCEL_WHY, once per shell
vm_accel() {
	[ -n "$VM_ACCEL" ] && return 0
	case "${SW_VM_ACCEL:-auto}" in
	tcg)
		VM_ACCEL_WHY="SW_VM_ACCEL=tcg"
		;;
	try-kvm)
		vm_probe_kvm "$1" && VM_ACCEL=kvm VM_ACCEL_WHY="kvm probe boot succeeded (SW_VM_ACCEL=try-kvm)"
		;;
	auto)
		if [ ! -w /dev/kvm ]; then
			VM_ACCEL_WHY="no writable /dev/kvm"
		elif vm_probe_kvm "$1"; then
			VM_ACCEL=kvm VM_ACCEL_WHY="kvm probe boot succeeded"
		fi
		;;
	*)
		VM_ACCEL_WHY="unknown SW_VM_ACCEL=${SW_VM_ACCEL} (auto, try-kvm or tcg): using tcg"
		;;
	esac
	if [ "$VM_ACCEL" = kvm ]; then
		VM_CPU=host
	else
		VM_ACCEL=tcg VM_CPU=max
	fi
	return 0
}

# vm_run ROOT OUTDIR SCRIPT [TIMEOUT]
vm_run() {
	local root=$1 out=$2 script=$3 limit=${4:-300} start rc
	vm_accel "$out"
	start=$(date +%s.%N)
	timeout -k 5 "$limit" "$SW_VM_QEMU" -machine "q35,accel=$VM_ACCEL" -cpu "$VM_CPU" -m 1G -smp 2 \
		-display none -monitor none -serial "file:$out/console.log" -no-reboot \
		-kernel "$VM_KERNEL" -initrd "$VM_INITRD" \
		-virtfs "local,path=/,mount_tag=host,security_model=none,readonly=on,id=host" \
		-virtfs "local,path=$out,mount_tag=out,security_model=none,id=out" \
		-append "console=ttyS0 lsm=$SW_VM_LSM panic=-1 quiet SWROOT=$root SWOUT=/out SWSCRIPT=$script" \
		</dev/null >"$out/qemu.log" 2>&1
	rc=$?
	VM_SECONDS=$(echo "$(date +%s.%N) $start" | awk '{ printf "%.1f", $1 - $2 }')
	VM_RC=$(tr -d '\r' <"$out/console.log" 2>/dev/null | sed -n 's/.*SWVM-EXIT \([0-9]*\).*/\1/p' | tail -n 1)
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		VM_ERROR="guest timed out after ${limit}s (accel $VM_ACCEL)"
		return 1
	fi
	[ -n "$VM_RC" ] || {
		VM_ERROR="guest ended without SWVM-EXIT (qemu exit $rc, accel $VM_ACCEL)"
		return 1
	}
	return 0
}
