// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>

#include "events.h"
#include "vcache.h"

#define PROBE 8

/*
 * A slot holds the key's path as a string of its own length, not the hit's
 * 512-byte buffer: ~200 bytes a slot instead of ~720 (65,536 slots: 13 MB of
 * address space instead of 47, resident only as slots are used).
 */
struct slot {
	struct sw_file_id id;
	const void *baseline;
	uint64_t stamp; /* 0: empty */
	char *path; /* owned; the path it was verified under (the key) */
	enum sw_verdict verdict;
	unsigned int fields;
	const struct sw_entry *expected;
	const char *same_content_as;
	const char *reason;
	unsigned char sha256[SW_SHA256_LEN];
	struct sw_file_meta meta;
};

struct vcache {
	pthread_mutex_t lock;
	struct slot *slots;
	size_t mask;
	uint64_t clock, hits, misses;
};

int vcache_new(unsigned int capacity, struct vcache **ret)
{
	struct vcache *c = calloc(1, sizeof(*c));
	size_t n = 16;

	if (!c)
		return -ENOMEM;
	while (n < (size_t)capacity)
		n <<= 1;
	c->slots = calloc(n, sizeof(*c->slots));
	if (!c->slots) {
		free(c);
		return -ENOMEM;
	}
	c->mask = n - 1;
	pthread_mutex_init(&c->lock, NULL);
	*ret = c;
	return 0;
}

static void free_slots(struct slot *slots, size_t n)
{
	if (!slots)
		return;
	for (size_t i = 0; i < n; i++)
		free(slots[i].path);
	free(slots);
}

void vcache_free(struct vcache *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->lock);
	free_slots(c->slots, c->mask + 1);
	free(c);
}

void vcache_reset(struct vcache *c)
{
	/*
	 * a fresh zeroed array, not a memset of the old one: the kernel's zero
	 * pages cost no memory until a slot is used (65536 slots are ~46 MB
	 * that a memset would make resident at every reload)
	 */
	struct slot *fresh = calloc(c->mask + 1, sizeof(*c->slots)), *old;

	pthread_mutex_lock(&c->lock);
	old = c->slots;
	if (fresh) {
		c->slots = fresh;
	} else { /* no memory for a fresh array: empty this one in place */
		for (size_t i = 0; i <= c->mask; i++) {
			free(old[i].path);
			old[i].path = NULL;
			old[i].stamp = 0;
		}
		old = NULL;
	}
	pthread_mutex_unlock(&c->lock);
	free_slots(old, c->mask + 1);
}

static size_t key_hash(const struct sw_file_id *id, const void *baseline, const char *path)
{
	uint64_t h = id->ino * 0x9e3779b97f4a7c15ULL;

	for (const char *p = path; *p; p++) /* FNV-1a folded in */
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	h ^= ((uint64_t)id->dev << 32 | id->ctime_nsec) * 0xc2b2ae3d27d4eb4fULL;
	h ^= (uint64_t)id->ctime_sec * 0x165667b19e3779f9ULL;
	h ^= (uintptr_t)baseline;
	return (size_t)(h ^ (h >> 29));
}

static bool key_eq(const struct slot *s, const struct sw_file_id *id, const void *baseline,
		   const char *path)
{
	return s->stamp && s->baseline == baseline && s->id.ino == id->ino &&
	       s->id.dev == id->dev && s->id.ctime_sec == id->ctime_sec &&
	       s->id.ctime_nsec == id->ctime_nsec && s->id.size == id->size &&
	       !strcmp(s->path, path);
}

static void slot_to_hit(const struct slot *s, struct vcache_hit *out)
{
	out->verdict = s->verdict;
	memcpy(out->sha256, s->sha256, sizeof(out->sha256));
	out->expected = s->expected;
	out->same_content_as = s->same_content_as;
	out->reason = s->reason;
	out->fields = s->fields;
	out->meta = s->meta;
	snprintf(out->path, sizeof(out->path), "%s", s->path); /* put keeps it < 512 */
}

bool vcache_get(struct vcache *c, const struct sw_file_id *id, const void *baseline,
		const char *path, struct vcache_hit *out)
{
	size_t h = key_hash(id, baseline, path);
	bool found = false;

	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < PROBE; i++) {
		struct slot *s = &c->slots[(h + i) & c->mask];

		if (key_eq(s, id, baseline, path)) {
			slot_to_hit(s, out);
			s->stamp = ++c->clock;
			found = true;
			break;
		}
	}
	if (found)
		c->hits++;
	else
		c->misses++;
	pthread_mutex_unlock(&c->lock);
	return found;
}

static void swap_path(char **a, char **b)
{
	char *t = *a;

	*a = *b;
	*b = t;
}

void vcache_put(struct vcache *c, const struct sw_file_id *id, const void *baseline,
		const char *path, const struct vcache_hit *v)
{
	size_t h = key_hash(id, baseline, path);
	struct slot *victim = NULL;
	char *copy;

	if (strlen(path) >= sizeof(v->path) || strcmp(path, v->path))
		return; /* only entries whose key path is stored whole */
	copy = strdup(path);
	if (!copy)
		return; /* a cache may forget */
	pthread_mutex_lock(&c->lock);
	/* the same key, else an empty slot, else the least recently used of the window */
	for (size_t i = 0; i < PROBE; i++) {
		struct slot *s = &c->slots[(h + i) & c->mask];

		if (key_eq(s, id, baseline, path) || !s->stamp) {
			victim = s;
			break;
		}
		if (!victim || s->stamp < victim->stamp)
			victim = s;
	}
	victim->id = *id;
	victim->baseline = baseline;
	swap_path(&victim->path, &copy);
	victim->verdict = v->verdict;
	memcpy(victim->sha256, v->sha256, sizeof(victim->sha256));
	victim->expected = v->expected;
	victim->same_content_as = v->same_content_as;
	victim->reason = v->reason;
	victim->fields = v->fields;
	victim->meta = v->meta;
	victim->stamp = ++c->clock;
	pthread_mutex_unlock(&c->lock);
	free(copy); /* the evicted key's path */
}

void vcache_stats(struct vcache *c, uint64_t *hits, uint64_t *misses)
{
	pthread_mutex_lock(&c->lock);
	*hits = c->hits;
	*misses = c->misses;
	pthread_mutex_unlock(&c->lock);
}
