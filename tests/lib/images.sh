# SPDX-License-Identifier: GPL-2.0-only
# Real container images for integration tests, built offline with podman,
# buildah and skopeo. Source after tests/lib/common.sh (uses $WORK). Needs root.
#
#   img_rootfs DIR [usrmerge]   populate DIR with the layer-1 rootfs
#   img_build NAME [tampered]   3-layer image NAME in containers-storage
#   img_export NAME DEST        every on-disk form of NAME under DEST (see below)
#   img_reference_hashes NAME OUT [TREE]
#                               podman export → TREE; "<hex>  /path" lines → OUT
#   img_escape                  filter: NUL-separated raw paths → baseline-escaped lines
#   img_cleanup                 remove every image/container these helpers made
#
# What ends up in the merged tree of img_build (the tests rely on it):
#   /bin/busybox                 busybox-static, ELF ET_EXEC; /bin/{sh,ls,…} -> busybox
#   /etc/motd                    deleted in layer 2            (whiteout  etc/.wh.motd)
#   /var/lib/app/                replaced in layer 2: only.txt (opaque     var/lib/app/.wh..wh..opq)
#   /etc/issue                   content changed in layer 2
#   /bin/true                    symlink deleted in layer 2    (whiteout  bin/.wh.true)
#   /usr/share/data/{a,b}.txt    hardlink pair in layer 1; layer 2 adds c.txt as a
#                                hardlink of a.txt and appends to a.txt. overlay copies
#                                a.txt up first, so in the merged tree a.txt+c.txt are
#                                one inode (new content) and b.txt keeps the old content
#   /usr/local/bin/tool.sh       0644 in layer 1, chmod 0755 in layer 2
#   /usr/local/bin/hello.sh      "#!/bin/sh" script; hi -> hello.sh
#   /usr/sbin/suid-helper 4755, /usr/sbin/sgid-helper 2755
#   /usr/sbin/netcap             security.capability = cap_net_raw+ep
#   /srv/…                       "with space.txt", "new<LF>line.txt", "bad-<FF><FE>.bin",
#                                "pct%41.txt", empty; /srv/fifo (fifo)
#   /tmp 1777, /home/user 1000:1000 0750
#   /etc/mtab -> /proc/self/mounts (dangling), /usr/lib/applink -> ../../var/lib/app
#   /opt/app/{run.sh,data.bin,current->run.sh}   layer 3 (buildah copy)
#   layer 2 also carries what `buildah run --network none` adds: dev/ proc/ run/ sys/
#   and an empty etc/hostname.
# "tampered": layer 3 additionally replaces /bin/busybox (one byte appended).
#
# img_export NAME DEST writes:
#   DEST/oci          OCI layout, gzip layers, tag "latest"
#   DEST/oci-zstd     zstd layers (skopeo --dest-compress-format zstd)
#   DEST/oci-raw      uncompressed layers (skopeo --dest-oci-accept-uncompressed-layers)
#   DEST/image.tar    docker-archive, RepoTags [NAME]
#   DEST/oci-multi    index with linux/arm64 (listed first; one extra layer holding
#                     /etc/arch = "arm64") and linux/amd64 (the real image)

IMG_TS=1700000000 # mtime of everything in layer 1 (deterministic tar)
IMG_MADE_IMAGES=() # image IDs (a rebuilt NAME leaves the old image untagged)
IMG_MADE_CONTAINERS=()
IMG_SEQ=0
# Debian's python3 (python3 on $PATH may be a slow version-manager shim)
PYTHON=${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}

# the container went away (commit --rm, podman rm): stop tracking it
img__forget() {
	local c keep=()
	for c in "${IMG_MADE_CONTAINERS[@]}"; do
		[ "$c" = "$1" ] || keep+=("$c")
	done
	IMG_MADE_CONTAINERS=("${keep[@]}")
}

# Python for the baseline's %XX escaping: invalid UTF-8 bytes, C0/C1
# controls, DEL and '%' become %XX (uppercase hex); everything else is kept.
IMG_ESC_PY='
def esc(raw):
    out = []
    for ch in raw.decode("utf-8", "surrogateescape"):
        cp = ord(ch)
        if 0xDC80 <= cp <= 0xDCFF:
            out.append("%%%02X" % (cp - 0xDC00))
        elif cp < 0x20 or cp == 0x7F or 0x80 <= cp <= 0x9F or ch == "%":
            out.extend("%%%02X" % b for b in ch.encode())
        else:
            out.append(ch)
    return "".join(out)
'

# img_escape: raw NUL-separated paths on stdin → one escaped path per line
img_escape() {
	"$PYTHON" -c "$IMG_ESC_PY"'
import sys
for p in sys.stdin.buffer.read().split(b"\0"):
    if p:
        print(esc(p))
'
}

# img_rootfs DIR [usrmerge]
img_rootfs() {
	local d=$1 layout=${2:-} bindir
	mkdir -p "$d"
	bindir=$d/bin
	if [ "$layout" = usrmerge ]; then
		mkdir -p "$d/usr/bin" "$d/usr/sbin" "$d/usr/lib"
		ln -s usr/bin "$d/bin"
		ln -s usr/sbin "$d/sbin"
		ln -s usr/lib "$d/lib"
		bindir=$d/usr/bin
	fi
	mkdir -p "$bindir" "$d/etc" "$d/tmp" "$d/home/user" "$d/usr/local/bin" "$d/usr/sbin" \
		"$d/usr/lib" "$d/usr/share/data" "$d/srv" "$d/var/lib/app/sub" "$d/var/log" "$d/opt"
	install -m 0755 /bin/busybox "$bindir/busybox"
	local a
	for a in sh ls cat echo cp rm mkdir chmod ln sha256sum true id touch; do
		ln -s busybox "$bindir/$a"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\n' \
		>"$d/etc/passwd"
	printf 'root:x:0:\nuser:x:1000:\n' >"$d/etc/group"
	printf 'welcome to sealwatch-test\n' >"$d/etc/motd"
	printf 'sealwatch test image\n' >"$d/etc/issue"
	printf 'ID=sealwatch-test\n' >"$d/etc/os-release"
	ln -s /proc/self/mounts "$d/etc/mtab"
	printf 'export PS1=$\n' >"$d/home/user/.profile"
	chown -R 1000:1000 "$d/home/user"
	chmod 0750 "$d/home/user"
	chmod 1777 "$d/tmp"
	printf '#!/bin/sh\necho hello\n' >"$d/usr/local/bin/hello.sh"
	chmod 0755 "$d/usr/local/bin/hello.sh"
	ln -s hello.sh "$d/usr/local/bin/hi"
	printf '#!/bin/sh\necho tool\n' >"$d/usr/local/bin/tool.sh"
	chmod 0644 "$d/usr/local/bin/tool.sh"
	printf '#!/bin/sh\nid\n' >"$d/usr/sbin/suid-helper"
	chmod 4755 "$d/usr/sbin/suid-helper"
	printf '#!/bin/sh\nid -g\n' >"$d/usr/sbin/sgid-helper"
	chmod 2755 "$d/usr/sbin/sgid-helper"
	printf '#!/bin/sh\necho raw sockets\n' >"$d/usr/sbin/netcap"
	chmod 0755 "$d/usr/sbin/netcap"
	setcap cap_net_raw+ep "$d/usr/sbin/netcap"
	printf 'shared data\n' >"$d/usr/share/data/a.txt"
	ln "$d/usr/share/data/a.txt" "$d/usr/share/data/b.txt"
	ln -s ../../var/lib/app "$d/usr/lib/applink"
	printf 'space\n' >"$d/srv/with space.txt"
	printf 'newline\n' >"$d/srv/new"$'\n'"line.txt"
	printf 'not utf-8\n' >"$d/srv/bad-"$'\xff\xfe'".bin"
	printf 'percent\n' >"$d/srv/pct%41.txt"
	: >"$d/srv/empty"
	mkfifo "$d/srv/fifo"
	printf 'old 1\n' >"$d/var/lib/app/old1"
	printf 'old 2\n' >"$d/var/lib/app/sub/deep"
}

# img__tar DIR OUT: deterministic pax tar of DIR (sorted, fixed mtimes, no atime/ctime)
img__tar() {
	tar -C "$1" --sort=name --format=pax --numeric-owner \
		--mtime=@"$IMG_TS" --xattrs --xattrs-include='security.capability' \
		--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
		-cf "$2" .
}

# img_build NAME [tampered]
img_build() {
	local name=$1 variant=${2:-} tmp ctr base l2 id
	tmp=$(mktemp -d "$WORK/img-build.XXXXXX")
	IMG_SEQ=$((IMG_SEQ + 1))
	base=$name-base$$-$IMG_SEQ
	l2=$name-l2$$-$IMG_SEQ
	img_rootfs "$tmp/rootfs" || return 1
	img__tar "$tmp/rootfs" "$tmp/layer1.tar" || return 1
	id=$(podman import -q --change 'CMD ["/bin/sh"]' "$tmp/layer1.tar" "$base") || return 1
	IMG_MADE_IMAGES+=("$id")

	# layer 2: deletions (whiteouts), a directory replaced wholesale (opaque),
	# a content change, a hardlink to a layer-1 file, a chmod
	ctr=$(buildah from -q "$base") || return 1
	IMG_MADE_CONTAINERS+=("$ctr")
	buildah run --runtime runc --network none "$ctr" -- /bin/sh -ec '
		rm /etc/motd /bin/true
		rm -rf /var/lib/app
		mkdir /var/lib/app
		echo new > /var/lib/app/only.txt
		echo "modified in layer 2" >> /etc/issue
		ln /usr/share/data/a.txt /usr/share/data/c.txt
		echo "appended in layer 2" >> /usr/share/data/a.txt
		chmod 0755 /usr/local/bin/tool.sh
	' || return 1
	id=$(buildah commit -q --rm "$ctr" "$l2") || return 1
	IMG_MADE_IMAGES+=("$id")
	img__forget "$ctr"

	# layer 3: more files with buildah copy (no run mounts); a new working
	# container, else the commit would squash layers 2 and 3 into one
	ctr=$(buildah from -q "$l2") || return 1
	IMG_MADE_CONTAINERS+=("$ctr")
	mkdir -p "$tmp/l3"
	printf '#!/bin/sh\nexec /bin/busybox echo app\n' >"$tmp/l3/run.sh"
	chmod 0755 "$tmp/l3/run.sh"
	head -c 4096 /dev/zero | tr '\0' 'z' >"$tmp/l3/data.bin"
	ln -s run.sh "$tmp/l3/current"
	buildah copy -q "$ctr" "$tmp/l3" /opt/app >/dev/null || return 1
	if [ "$variant" = tampered ]; then
		cp /bin/busybox "$tmp/busybox"
		printf '\0' >>"$tmp/busybox"
		chmod 0755 "$tmp/busybox"
		buildah copy -q "$ctr" "$tmp/busybox" /bin/busybox >/dev/null || return 1
	fi
	buildah config --cmd /bin/sh "$ctr" || return 1
	id=$(buildah commit -q --rm "$ctr" "$name") || return 1
	IMG_MADE_IMAGES+=("$id")
	img__forget "$ctr"
	rm -rf "$tmp"
}

# img__digest FILE: "sha256:<hex>"
img__digest() { echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"; }

# img__multi SRC DEST: OCI layout with an index of two platforms (arm64 first)
img__multi() {
	local src=$1 dst=$2 mdig man cfg arm_cfg arm_man ltar lgz ldig lsize diffid tmp
	rm -rf "$dst"
	cp -a "$src" "$dst"
	mdig=$(jq -r '.manifests[0].digest' "$src/index.json")
	man=$dst/blobs/sha256/${mdig#sha256:}
	cfg=$dst/blobs/sha256/$(jq -r '.config.digest' "$man" | cut -d: -f2)
	tmp=$(mktemp -d "$WORK/multi.XXXXXX")
	# extra arm64-only layer: /etc/arch
	mkdir -p "$tmp/l/etc"
	printf 'arm64\n' >"$tmp/l/etc/arch"
	ltar=$tmp/arch.tar
	tar -C "$tmp/l" --sort=name --format=pax --numeric-owner --owner=0 --group=0 \
		--mtime=@"$IMG_TS" --pax-option=delete=atime,delete=ctime -cf "$ltar" etc
	diffid=$(img__digest "$ltar")
	lgz=$tmp/arch.tar.gz
	gzip -n -c "$ltar" >"$lgz"
	ldig=$(img__digest "$lgz")
	lsize=$(stat -c %s "$lgz")
	cp "$lgz" "$dst/blobs/sha256/${ldig#sha256:}"
	jq -c --arg d "$diffid" '.architecture = "arm64" | .variant = "v8" |
		.rootfs.diff_ids += [$d]' "$cfg" >"$tmp/cfg.json"
	arm_cfg=$(img__digest "$tmp/cfg.json")
	cp "$tmp/cfg.json" "$dst/blobs/sha256/${arm_cfg#sha256:}"
	jq -c --arg c "$arm_cfg" --argjson cs "$(stat -c %s "$tmp/cfg.json")" \
		--arg l "$ldig" --argjson ls "$lsize" \
		'.config.digest = $c | .config.size = $cs |
		 .layers += [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
			      "digest": $l, "size": $ls}]' "$man" >"$tmp/man.json"
	arm_man=$(img__digest "$tmp/man.json")
	cp "$tmp/man.json" "$dst/blobs/sha256/${arm_man#sha256:}"
	jq -c --arg a "$arm_man" --argjson msize "$(stat -c %s "$tmp/man.json")" \
		'.mediaType = "application/vnd.oci.image.index.v1+json" |
		 .manifests[0].platform = {"architecture": "amd64", "os": "linux"} |
		 .manifests = [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
				"digest": $a, "size": $msize,
				"platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}}]
			      + .manifests' "$src/index.json" >"$dst/index.json"
	rm -rf "$tmp"
}

# img_export NAME DEST
img_export() {
	local name=$1 dest=$2
	mkdir -p "$dest"
	rm -rf "$dest/oci" "$dest/oci-zstd" "$dest/oci-raw" "$dest/image.tar"
	skopeo copy -q "containers-storage:$name" "oci:$dest/oci:latest" 2>/dev/null &&
		skopeo copy -q --dest-compress-format zstd "containers-storage:$name" \
			"oci:$dest/oci-zstd:latest" 2>/dev/null &&
		skopeo copy -q --dest-oci-accept-uncompressed-layers "containers-storage:$name" \
			"oci:$dest/oci-raw:latest" 2>/dev/null &&
		skopeo copy -q "containers-storage:$name" "docker-archive:$dest/image.tar:$name" \
			2>/dev/null &&
		img__multi "$dest/oci" "$dest/oci-multi"
}

# img_reference_hashes NAME OUT [TREE]: the independent reference — podman
# export of a container of NAME, extracted by GNU tar as root into TREE
# (default OUT.tree, kept for `dir:` scans); OUT gets "<sha256>  /path" lines,
# paths escaped like baseline paths, sorted by path bytes (LC_ALL=C).
img_reference_hashes() {
	local name=$1 out=$2 tree=${3:-$2.tree} cid
	cid=$(podman create -q "$name" /bin/sh) || return 1
	IMG_MADE_CONTAINERS+=("$cid")
	podman export -o "$out.export.tar" "$cid" || return 1
	podman rm -f "$cid" >/dev/null 2>&1 && img__forget "$cid"
	rm -rf "$tree"
	mkdir -p "$tree"
	tar -C "$tree" --xattrs --xattrs-include='*' --numeric-owner -p -xf "$out.export.tar" ||
		return 1
	rm -f "$out.export.tar"
	# sha256sum -z: NUL-terminated records, names not escaped
	(cd "$tree" && find . -type f -print0 | xargs -0 -r sha256sum -z) |
		"$PYTHON" -c "$IMG_ESC_PY"'
import sys
recs = [r.split(b"  ", 1) for r in sys.stdin.buffer.read().split(b"\0") if r]
for h, p in sorted(recs, key=lambda r: r[1]):
    print(h.decode() + "  " + esc(p[1:]))  # "./etc/x" -> "/etc/x"
' >"$out"
}

img_cleanup() {
	local c i
	for c in "${IMG_MADE_CONTAINERS[@]}"; do
		podman rm -f "$c" >/dev/null 2>&1
		buildah rm "$c" >/dev/null 2>&1
	done
	for ((i = ${#IMG_MADE_IMAGES[@]} - 1; i >= 0; i--)); do
		podman rmi -f "${IMG_MADE_IMAGES[i]}" >/dev/null 2>&1
	done
	IMG_MADE_CONTAINERS=()
	IMG_MADE_IMAGES=()
}
