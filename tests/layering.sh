#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The one-way rule of docs/architecture.md: a userspace/ room may include the
# headers of rooms of a lower rank only (and its own, and include/). Prints
# every include that points up or sideways, and every file name used twice
# (headers are included by base name), and exits 1 when there is one.
# A folder missing from the ranks below is reported and not judged: give it a
# rank here and in docs/architecture.md.
set -u
cd "$(dirname "$0")/.."
declare -A rank=(
	[lib]=0
	[crypto]=1 [sigstore]=1 [baseline]=1 [container]=1 [kernel]=1
	[image]=2 [profile]=2 [output]=2
	[report]=3 [registry]=3
	[verify]=4
	[config]=5
	[daemon]=6
	[cli]=7
)
declare -A home=()
for f in userspace/*/*.h; do
	home[$(basename "$f")]=$(basename "$(dirname "$f")")
done
bad=0
for f in userspace/*/*.[ch]; do
	room=$(basename "$(dirname "$f")")
	if [ -z "${rank[$room]:-}" ]; then
		echo "note: userspace/$room has no rank yet (tests/layering.sh, docs/architecture.md)"
		continue
	fi
	while read -r h; do
		to=${home[$h]:-}
		[ -n "$to" ] && [ "$to" != "$room" ] || continue
		if [ -z "${rank[$to]:-}" ] || [ "${rank[$to]}" -ge "${rank[$room]}" ]; then
			echo "$f includes $h: $room (rank ${rank[$room]}) may not depend on $to"
			bad=1
		fi
	done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
done | sort -u | tee /tmp/sw-layering.$$
# one name space: headers are included by base name, the archive keeps base names
for f in $(ls userspace/*/*.[ch] | xargs -n1 basename | sort | uniq -d); do
	echo "two files named $f: names must be unique across userspace/"
done | tee -a /tmp/sw-layering.$$
if grep -qv '^note:' /tmp/sw-layering.$$; then bad=1; else bad=0; fi
rm -f /tmp/sw-layering.$$
exit $bad
