/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * On-demand baseline fetcher (docs/registry.md, "The daemon"): when a
 * container of an image without a local baseline runs, the daemon asks for
 * that image's baseline; one worker thread looks for it in the configured
 * registries (mirrors in order) by the image's manifest digest, verifies the
 * signature with the trusted keys (or its Sigstore bundle with the trusted
 * root and identities, whose image patterns must cover the image) and the
 * image ID against the baseline's header, and writes it to a bounded on-disk cache (LRU by use) that the
 * daemon's baseline store loads. The event loop never waits: fetcher_want()
 * only looks at a table and queues work; results come back through
 * fetcher_drain() when fetcher_fd() is readable.
 *
 * Backoff: a registry that cannot be reached is retried after retry_min_s,
 * doubling up to retry_max_s (the image stays pending meanwhile, as long as
 * no registry answers); "no baseline attached" and "refused" are kept for
 * negative_s, then asked again. Mirrors are tried in turn: one that is down
 * is passed over, and "none attached" from another settles the image (asked
 * again after retry_max_s when one was down).
 *
 * Library module: never logs; results carry one-line messages.
 */
#ifndef SW_FETCHER_H
#define SW_FETCHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "registry.h"

struct sw_error;
struct fetcher;
struct sigstore_policy;

struct fetcher_opts {
	char *const *registries; /* "HOST[:PORT]", in order of preference */
	size_t n_registries;
	struct reg_opts reg;
	const char *cache_dir; /* created when missing */
	unsigned int cache_max; /* baselines kept on disk; 0 = 256 */
	char *const *key_paths; /* trusted public keys (loaded by the fetcher) */
	size_t n_keys;
	/*
	 * Keyless (Sigstore bundles, docs/signing.md): the trusted_root.json,
	 * read at every fetch, and the trusted identities (copied). NULL: a
	 * fetched bundle is refused.
	 */
	const char *trusted_root;
	const struct sigstore_policy *identities;
	size_t n_identities;
	unsigned int retry_min_s, retry_max_s; /* 0 = 1 s, 300 s */
	unsigned int negative_s; /* 0 = 600 s */
};

enum fetch_state {
	FETCH_PENDING, /* asked, not known yet (or the registries are unreachable) */
	FETCH_READY, /* verified and in the cache: the store has it after a reload */
	FETCH_ABSENT, /* no baseline attached in any registry */
	FETCH_REFUSED, /* attached, but not verified (signature, image mismatch, malformed) */
};

struct fetch_result {
	char image_id[72];
	enum fetch_state state;
	bool transient; /* PENDING: the registries could not be reached; retried */
	bool partial; /* ABSENT, but some registry could not be reached: asked again sooner */
	unsigned int retry_in_s; /* when it is asked again (not READY) */
	char source[512]; /* "registry://HOST/REPO@DIGEST" where it was found or refused */
	char check[32]; /* REFUSED by a Sigstore bundle: the check that failed, else "" */
	char path[4096]; /* READY: the cached baseline */
	char msg[512];
};

int fetcher_new(const struct fetcher_opts *o, struct fetcher **ret, struct sw_error *err);
/* Stops the worker (an HTTP transfer in flight ends at its timeout at worst). */
void fetcher_free(struct fetcher *f);

/* An eventfd, readable when results wait for fetcher_drain(). */
int fetcher_fd(const struct fetcher *f);

/*
 * The state of image @image_id's baseline; queues a fetch when it is not
 * known (or a negative result expired). @image_name ("HOST/REPO:TAG") gives the
 * repository; @digests the manifest digests the runtime recorded. Never
 * blocks on the network.
 */
enum fetch_state fetcher_want(struct fetcher *f, const char *image_id, const char *image_name,
			      char *const *digests, size_t n_digests);

/* A cached baseline was used: keep it from eviction (cheap; rate-limited). */
void fetcher_touch(struct fetcher *f, const char *path);

/* Hand each finished fetch to @cb (on the caller's thread); returns how many. */
size_t fetcher_drain(struct fetcher *f, void (*cb)(void *ctx, const struct fetch_result *r),
		     void *ctx);

struct fetcher_stats {
	uint64_t fetched, absent, refused, unreachable, evicted;
	uint64_t images, pending;
};
void fetcher_get_stats(struct fetcher *f, struct fetcher_stats *out);

/* "HOST/REPO[:TAG|@DIGEST]" → REPO and HOST; false when @name has no repository. */
bool fetcher_split_name(const char *name, char *host, size_t host_size, char *repo,
			size_t repo_size);

#endif
