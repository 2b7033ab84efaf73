#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Benchmark `sealwatch baseline` beside other tools hashing the same tree in
# the same run: files/s, MB/s and peak RSS.
#
#   bench/baseline.sh [TREE]        default TREE=/usr
#   SW=path/to/sealwatch            default .output/sealwatch
#   IMAGE_TREE=DIR                  tree packed into the OCI image (default /usr/share)
#   SKIP_IMAGE=1                    skip the multi-layer OCI image part
#
# Every tool hashes with SHA-256. The page cache is warmed first so that all
# tools read from memory; numbers are wall-clock, one run each.
set -euo pipefail
cd "$(dirname "$0")/.."
TREE=${1:-/usr}
SW=${SW:-.output/sealwatch}
NPROC=$(nproc)
TMP=$(mktemp -d /tmp/sw-bench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

[ -x "$SW" ] || { echo "build first: make" >&2; exit 1; }
for t in hashdeep aide; do
	command -v $t >/dev/null || echo "note: $t not installed (make deps installs it)" >&2
done

read -r FILES BYTES < <(find "$TREE" -xdev -type f -printf '%s\n' |
	awk '{n++; s+=$1} END {printf "%.0f %.0f\n", n, s}')
echo "tree: $TREE — $FILES regular files, $((BYTES / 1048576)) MiB, $NPROC CPUs"
echo "warming the page cache…"
find "$TREE" -xdev -type f -print0 | xargs -0 -P "$NPROC" -n 256 cat >/dev/null 2>&1 || true

printf '\n%-34s %9s %10s %9s %11s %8s\n' tool seconds files/s MB/s "peak RSS" speedup
REF_SECONDS=
row() { # row LABEL FILES BYTES CMD… — run once, print a row
	local label=$1 files=$2 bytes=$3 out
	shift 3
	/usr/bin/time -f '%e %M' -o "$TMP/time" "$@" >/dev/null 2>&1 || true
	out=$(tail -n 1 "$TMP/time")
	local secs=${out% *} rss=${out#* }
	awk -v l="$label" -v s="$secs" -v f="$files" -v b="$bytes" -v r="$rss" -v ref="${REF_SECONDS:-}" \
		'BEGIN { if (s <= 0) s = 0.01;
		  sp = ref == "" ? "" : sprintf("%.2fx", ref / s);
		  printf "%-34s %9.2f %10.0f %9.0f %8.1f MiB %8s\n", l, s, f / s, b / 1048576 / s, r / 1024, sp }'
	LAST_SECONDS=$secs
}

# hashdeep is the reference of the target (sealwatch >= 3x faster)
row "hashdeep -c sha256 -r -o f" "$FILES" "$BYTES" hashdeep -c sha256 -r -o f "$TREE"
REF_SECONDS=$LAST_SECONDS
row "sealwatch baseline dir: (${NPROC} thr)" "$FILES" "$BYTES" "$SW" baseline "dir:$TREE" -o "$TMP/b.jsonl"
row "sealwatch baseline dir: (1 thr)" "$FILES" "$BYTES" "$SW" baseline -j 1 "dir:$TREE" -o "$TMP/b1.jsonl"
row "xargs sha256sum (1 proc)" "$FILES" "$BYTES" \
	sh -c "find '$TREE' -xdev -type f -print0 | xargs -0 sha256sum"
row "xargs -P$NPROC sha256sum" "$FILES" "$BYTES" \
	sh -c "find '$TREE' -xdev -type f -print0 | xargs -0 -P $NPROC -n 512 sha256sum"
if command -v aide >/dev/null; then
	cat >"$TMP/aide.conf" <<EOC
database_out=file:$TMP/aide.db
gzip_dbout=no
report_url=stdout
S = p+i+n+u+g+s+sha256
$TREE S
EOC
	row "aide --init (sha256 only)" "$FILES" "$BYTES" aide --init -c "$TMP/aide.conf"
fi
cmp -s "$TMP/b.jsonl" "$TMP/b1.jsonl" && echo "(1-thread and ${NPROC}-thread baselines are byte-identical)"
echo "openssl speed -evp sha256 (one core, 16 KiB blocks):"
openssl speed -evp sha256 -bytes 16384 -seconds 2 2>/dev/null | awk '/^sha256/ || /^SHA256/ {print "  " $0}'

[ "${SKIP_IMAGE:-0}" = 1 ] && exit 0

# A multi-layer OCI image made from a tree: three gzip layers and one zstd layer.
ITREE=${IMAGE_TREE:-/usr/share}
read -r FILES BYTES < <(find "$ITREE" -xdev -type f -printf '%s\n' |
	awk '{n++; s+=$1} END {printf "%.0f %.0f\n", n, s}')
echo
echo "multi-layer OCI image from $ITREE — $FILES files, $((BYTES / 1048576)) MiB (4 layers: 3 gzip, 1 zstd)…"
OCI=$TMP/oci
mkdir -p "$OCI/blobs/sha256" "$TMP/parts"
mapfile -t TOP < <(find "$ITREE" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort)
n=${#TOP[@]}
layers_json= diffs_json= i=0
for part in 0 1 2 3; do
	sel=()
	for ((k = part; k < n; k += 4)); do sel+=("${TOP[k]}"); done
	[ ${#sel[@]} -gt 0 ] || continue
	tar -C "$ITREE" --one-file-system -cf "$TMP/parts/$part.tar" "${sel[@]}" 2>/dev/null || true
	diff=$(sha256sum "$TMP/parts/$part.tar" | cut -d' ' -f1)
	if [ $part = 3 ]; then
		zstd -q -T0 -3 --rm "$TMP/parts/$part.tar" -o "$TMP/parts/$part.blob"
		mt=application/vnd.oci.image.layer.v1.tar+zstd
	else
		gzip -1 -c "$TMP/parts/$part.tar" >"$TMP/parts/$part.blob" && rm "$TMP/parts/$part.tar"
		mt=application/vnd.oci.image.layer.v1.tar+gzip
	fi
	dg=$(sha256sum "$TMP/parts/$part.blob" | cut -d' ' -f1)
	sz=$(stat -c %s "$TMP/parts/$part.blob")
	mv "$TMP/parts/$part.blob" "$OCI/blobs/sha256/$dg"
	layers_json+="${i:+,}{\"mediaType\":\"$mt\",\"digest\":\"sha256:$dg\",\"size\":$sz}"
	diffs_json+="${i:+,}\"sha256:$diff\""
	i=1
done
layers_json=${layers_json#,}
diffs_json=${diffs_json#,}
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[%s]}}' "$diffs_json" >"$TMP/config.json"
cdg=$(sha256sum "$TMP/config.json" | cut -d' ' -f1)
cp "$TMP/config.json" "$OCI/blobs/sha256/$cdg"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s]}' \
	"$cdg" "$(stat -c %s "$TMP/config.json")" "$layers_json" >"$TMP/manifest.json"
mdg=$(sha256sum "$TMP/manifest.json" | cut -d' ' -f1)
cp "$TMP/manifest.json" "$OCI/blobs/sha256/$mdg"
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s}]}' \
	"$mdg" "$(stat -c %s "$TMP/manifest.json")" >"$OCI/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$OCI/oci-layout"
CBYTES=$(du -sb "$OCI/blobs" | cut -f1)
echo "image: $((CBYTES / 1048576)) MiB compressed"
printf '\n%-34s %9s %10s %9s %11s\n' tool seconds files/s MB/s "peak RSS"
REF_SECONDS=
row "sealwatch baseline oci: (${NPROC} thr)" "$FILES" "$BYTES" "$SW" baseline "oci:$OCI" -o "$TMP/oci.jsonl"
row "sealwatch baseline oci: (1 thr)" "$FILES" "$BYTES" "$SW" baseline -j 1 "oci:$OCI" -o "$TMP/oci1.jsonl"
row "decompress layers | sha256sum" "$FILES" "$BYTES" sh -c \
	"for b in '$OCI'/blobs/sha256/*; do case \$(head -c4 \$b | od -An -tx1 | tr -d ' ') in 28b52ffd) zstd -dc \$b;; 1f8b*) gzip -dc \$b;; esac | sha256sum; done"
row "extract all + xargs sha256sum" "$FILES" "$BYTES" sh -c \
	"mkdir -p '$TMP/x' && for b in '$OCI'/blobs/sha256/*; do tar -C '$TMP/x' -xf \$b 2>/dev/null; done; find '$TMP/x' -type f -print0 | xargs -0 -P $NPROC -n 512 sha256sum; rm -rf '$TMP/x'"
