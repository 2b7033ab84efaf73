// SPDX-License-Identifier: GPL-2.0-only
/*
 * kcache.c: the in-kernel verdict cache (map kcache, include/events.h):
 * files verified ok that the BPF programs then keep from userspace.
 */
#include <errno.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "events.h"
#include "loader_internal.h"

bool bpf_loader_kcache_enabled(const struct bpf_loader *l)
{
	return l->use_kcache;
}

int bpf_loader_kcache_set(struct bpf_loader *l, bool on)
{
	if (!l->kcache_switch || l->doors_failed)
		return on ? -ENOTSUP : 0;
	if (l->use_kcache == on)
		return 0;
	/* the programs read it on every event (the .data section is mmap'ed) */
	__atomic_store_n(l->kcache_switch, on, __ATOMIC_RELEASE);
	l->use_kcache = on;
	/* off: nothing may be skipped any more; on: start from an empty cache */
	return bpf_loader_kcache_flush(l) < 0 ? -EIO : 0;
}

int bpf_loader_kcache_put(struct bpf_loader *l, const struct sw_file_id *id, __u64 scope)
{
	struct sw_kcache_key key = { .ino = id->ino, .dev = id->dev };
	struct sw_kcache_val v = { 0 };
	struct bpf_map *map;
	int r;

	if (!l->use_kcache || id->nlink != 1 || !id->ino)
		return 0; /* another name of the inode may be outside the baseline */
	map = l->kcache_map;
	r = bpf_map__lookup_elem(map, &key, sizeof(key), &v, sizeof(v), 0);
	if (r || v.ctime_sec != id->ctime_sec || v.ctime_nsec != id->ctime_nsec ||
	    v.size != id->size || v.n_scopes > SW_KCACHE_SCOPES) {
		memset(&v, 0, sizeof(v));
		v.ctime_sec = id->ctime_sec;
		v.ctime_nsec = id->ctime_nsec;
		v.size = id->size;
	}
	for (__u32 i = 0; i < v.n_scopes; i++)
		if (v.scopes[i] == scope)
			return 0;
	if (v.n_scopes == SW_KCACHE_SCOPES) /* full: the oldest scope goes */
		memmove(v.scopes, v.scopes + 1, sizeof(v.scopes[0]) * --v.n_scopes);
	v.scopes[v.n_scopes++] = scope;
	/*
	 * Racing with a write-open that deletes the entry in the kernel is
	 * harmless: a write changes ctime, so the re-inserted value never matches.
	 */
	return bpf_map__update_elem(map, &key, sizeof(key), &v, sizeof(v), BPF_ANY);
}

int bpf_loader_kcache_flush(struct bpf_loader *l)
{
	struct bpf_map *map;
	struct sw_kcache_key key, next;
	int n = 0;

	map = l->kcache_map;
	if (!map || l->doors_failed) /* without the doors: no cache */
		return 0;

	/* always restart from the first key: the one just deleted has no successor */
	while (!bpf_map__get_next_key(map, NULL, &next, sizeof(next))) {
		key = next;
		if (bpf_map__delete_elem(map, &key, sizeof(key), 0))
			return -errno;
		n++;
	}
	return n;
}
