// SPDX-License-Identifier: GPL-2.0-only
/*
 * kenforce.c: prevention in the kernel, the BPF LSM backend's maps and
 * switches (include/events.h "Prevention in the kernel", bpf/enforce.bpf.h).
 * The daemon decides; this file only writes what the LSM object reads.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>

#include "events.h"
#include "loader_internal.h"
#include "lsm.skel.h"

bool bpf_loader_enforce_possible(const struct bpf_loader *l)
{
	return l && l->lsm && !l->doors_failed && l->lsm->progs.sw_lsm_enforce_exec &&
	       bpf_program__autoload(l->lsm->progs.sw_lsm_enforce_exec);
}

/* The loaded object has the switches and the maps (either object: memfd kills in tp modes). */
static bool kernel_part(const struct bpf_loader *l)
{
	return l && l->enforce_on && l->enforce_scopes && l->enforce_files;
}

static __u64 boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts); /* bpf_ktime_get_boot_ns()'s clock */
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

void bpf_loader_enforce_heartbeat(struct bpf_loader *l)
{
	if (kernel_part(l))
		__atomic_store_n(l->enforce_heartbeat_ns, boot_ns(), __ATOMIC_RELEASE);
}

int bpf_loader_enforce_switch(struct bpf_loader *l, bool on, __u32 tgid, __u64 deadline_ns)
{
	if (!kernel_part(l))
		return on ? -ENOTSUP : 0;
	__atomic_store_n(l->enforce_tgid, tgid, __ATOMIC_RELEASE);
	__atomic_store_n(l->enforce_deadline_ns, deadline_ns, __ATOMIC_RELEASE);
	bpf_loader_enforce_heartbeat(l);
	__atomic_store_n(l->enforce_on, on, __ATOMIC_RELEASE);
	return 0;
}

int bpf_loader_enforce_scope(struct bpf_loader *l, __u64 scope, enum sw_kmode mode, bool strict)
{
	struct sw_enforce_scope v = { .mode = mode, .strict = strict };
	struct sw_enforce_scope old;
	struct bpf_map *map;

	if (!kernel_part(l))
		return -ENOTSUP;
	map = l->enforce_scopes;
	if (!bpf_map__lookup_elem(map, &scope, sizeof(scope), &old, sizeof(old), 0) &&
	    !memcmp(&old, &v, sizeof(v)))
		return 0;
	return bpf_map__update_elem(map, &scope, sizeof(scope), &v, sizeof(v), BPF_ANY);
}

int bpf_loader_enforce_file(struct bpf_loader *l, const struct sw_file_id *id, __u64 scope,
			    enum sw_kdecision decision)
{
	struct sw_enforce_key key = { .ino = id->ino, .scope = scope, .dev = id->dev };
	struct sw_enforce_val v = {
		.ctime_sec = id->ctime_sec,
		.size = id->size,
		.ctime_nsec = id->ctime_nsec,
		.decision = decision,
	};

	if (!kernel_part(l))
		return -ENOTSUP;
	if (!id->ino || !scope)
		return 0;
	/*
	 * A write racing with this insert is harmless: it changes ctime, so
	 * the value never matches again (a miss, the scope's fallback).
	 */
	return bpf_map__update_elem(l->enforce_files, &key, sizeof(key), &v, sizeof(v), BPF_ANY);
}

/* Empty @map; the number of entries removed or -errno. */
static int map_clear(struct bpf_map *map, size_t key_size)
{
	char key[64];
	int n = 0;

	if (key_size > sizeof(key))
		return -EINVAL;
	/* always restart from the first key: the one just deleted has no successor */
	while (!bpf_map__get_next_key(map, NULL, key, key_size)) {
		if (bpf_map__delete_elem(map, key, key_size, 0))
			return -errno;
		n++;
	}
	return n;
}

int bpf_loader_enforce_flush_scopes(struct bpf_loader *l)
{
	return kernel_part(l) ? map_clear(l->enforce_scopes, sizeof(__u64)) : 0;
}

int bpf_loader_enforce_flush(struct bpf_loader *l, bool scopes_too)
{
	int n, m = 0;

	if (!kernel_part(l))
		return 0;
	n = map_clear(l->enforce_files, sizeof(struct sw_enforce_key));
	if (n >= 0 && scopes_too)
		m = map_clear(l->enforce_scopes, sizeof(__u64));
	return n < 0 ? n : m < 0 ? m : n + m;
}
