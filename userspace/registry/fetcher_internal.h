/* SPDX-License-Identifier: GPL-2.0-only */
/* Private to userspace/registry/: the fetcher's state (fetcher.c) and one fetch (fetch_one.c). */
#ifndef SW_FETCHER_INTERNAL_H
#define SW_FETCHER_INTERNAL_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "fetcher.h"

#define MAX_IMAGES 4096
#define MAX_DIGESTS 4
#define MAX_CANDIDATES 8
#define TOUCH_EVERY_S 60

struct image {
	char id[72];
	char name[512];
	char digests[MAX_DIGESTS][72];
	size_t n_digests;
	enum fetch_state state;
	bool in_flight, queued;
	unsigned int backoff_s;
	time_t next_try; /* CLOCK_MONOTONIC seconds */
	time_t last_touch;
	char path[PATH_MAX];
};

struct done {
	struct fetch_result r;
	struct done *next;
};

struct fetcher {
	struct fetcher_opts o;
	char **registries;
	char *cache_dir;
	char *ca_file, *auth_file, *token_file; /* f->o.reg points here */
	struct sw_pubkey *keys[16];
	size_t n_keys;
	char *trusted_root;
	struct sigstore_policy *ids; /* strings owned here */
	size_t n_ids;
	struct reg_client **clients; /* worker only, one per registry */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	bool started, stop;
	int efd;
	struct image *images;
	size_t n_images;
	struct done *done_head, **done_tail;
	struct fetcher_stats stats;
};

/* What the worker fetches, copied out of the image table (the lock is dropped meanwhile). */
struct fetch_job {
	char id[72], name[512], digests[MAX_DIGESTS][72];
	size_t n_digests;
};

/*
 * Ask the registries, the image's own first, for a baseline of @j; verify
 * each candidate (key or Sigstore bundle, image ID, signer's images) and
 * cache the first accepted one. @res says what came of it. Worker only.
 */
void fetcher_fetch_one(struct fetcher *f, const struct fetch_job *j, struct fetch_result *res);

#endif
