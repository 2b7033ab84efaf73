/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Verdict cache: file identity (device, inode, ctime, size) + baseline +
 * path → verdict (the path matters: one inode may have a name in the
 * baseline and another outside it). ctime changes on every write, chmod, link or rename of an inode
 * (and cannot be set from userspace), so a changed file never hits a stale
 * entry even when its mtime is restored. Bounded; thread-safe. Entries point
 * into the baseline store snapshot they were made with: reset the cache
 * whenever the store is swapped.
 */
#ifndef SW_VCACHE_H
#define SW_VCACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "entry.h"
#include "verdict.h"

struct sw_file_id;
struct vcache;

struct vcache_hit {
	enum sw_verdict verdict;
	unsigned char sha256[SW_SHA256_LEN];
	const struct sw_entry *expected;
	const char *same_content_as;
	const char *reason;
	unsigned int fields; /* modified: SCAN_F_* bits (decide.h) */
	struct sw_file_meta meta; /* the file's metadata when it was verified */
	char path[512]; /* the path it was verified under; longer paths are not cached */
};

int vcache_new(unsigned int capacity, struct vcache **ret);
void vcache_free(struct vcache *c);
void vcache_reset(struct vcache *c);
bool vcache_get(struct vcache *c, const struct sw_file_id *id, const void *baseline,
		const char *path, struct vcache_hit *out);
void vcache_put(struct vcache *c, const struct sw_file_id *id, const void *baseline,
		const char *path, const struct vcache_hit *v);
void vcache_stats(struct vcache *c, uint64_t *hits, uint64_t *misses);

#endif
