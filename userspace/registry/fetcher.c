// SPDX-License-Identifier: GPL-2.0-only
/*
 * On-demand baseline fetcher (fetcher.h). One mutex guards the image table
 * and the result queue; the worker drops it while it talks to registries.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "baseline.h"
#include "crypto.h"
#include "errors.h"
#include "fetcher.h"
#include "fetcher_internal.h"
#include "fileio.h"
#include "registry.h"
#include "sigstore.h"

static time_t now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

bool fetcher_split_name(const char *name, char *host, size_t host_size, char *repo,
			size_t repo_size)
{
	const char *slash = strchr(name, '/'), *path = name, *end;
	size_t n;

	host[0] = repo[0] = '\0';
	/* docker's rule: the first component is a registry when it has '.' or ':' or is localhost */
	if (slash && (memchr(name, '.', slash - name) || memchr(name, ':', slash - name) ||
		      (slash - name == 9 && !strncmp(name, "localhost", 9)))) {
		snprintf(host, host_size, "%.*s", (int)(slash - name), name);
		path = slash + 1;
	}
	end = strchr(path, '@');
	n = end ? (size_t)(end - path) : strlen(path);
	/* a ':' after the last '/' starts the tag */
	for (size_t i = n; i-- > 0;) {
		if (path[i] == '/')
			break;
		if (path[i] == ':') {
			n = i;
			break;
		}
	}
	if (!n || n >= repo_size)
		return false;
	memcpy(repo, path, n);
	repo[n] = '\0';
	return true;
}

/* ---- the cache directory ---- */

struct cached {
	char name[NAME_MAX + 1];
	struct timespec mtime;
};

static int cmp_mtime(const void *a, const void *b)
{
	const struct cached *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Keep at most cache_max baselines: drop the least recently used (oldest mtime). */
static void evict(struct fetcher *f)
{
	struct cached *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d = opendir(f->cache_dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		struct stat st;

		if (len < 7 || strcmp(de->d_name + len - 6, ".jsonl"))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
			continue;
		if (n == cap) {
			struct cached *nv = realloc(v, (cap ? cap * 2 : 64) * sizeof(*v));

			if (!nv)
				break;
			v = nv;
			cap = cap ? cap * 2 : 64;
		}
		snprintf(v[n].name, sizeof(v[n].name), "%s", de->d_name);
		v[n].mtime = st.st_mtim;
		n++;
	}
	if (n > f->o.cache_max) {
		qsort(v, n, sizeof(*v), cmp_mtime);
		for (size_t i = 0; i < n - f->o.cache_max; i++) {
			char sig[NAME_MAX + 32];

			unlinkat(dirfd(d), v[i].name, 0);
			snprintf(sig, sizeof(sig), "%s.sig", v[i].name);
			unlinkat(dirfd(d), sig, 0);
			snprintf(sig, sizeof(sig), "%s.sigstore.json", v[i].name);
			unlinkat(dirfd(d), sig, 0);
			pthread_mutex_lock(&f->lock);
			f->stats.evicted++;
			pthread_mutex_unlock(&f->lock);
		}
	}
	free(v);
	closedir(d);
}

void fetcher_touch(struct fetcher *f, const char *path)
{
	size_t len = strlen(f->cache_dir);
	time_t now = now_s();
	bool due = false;

	if (strncmp(path, f->cache_dir, len) || path[len] != '/')
		return; /* not ours: a local baseline */
	pthread_mutex_lock(&f->lock);
	for (size_t i = 0; i < f->n_images; i++)
		if (!strcmp(f->images[i].path, path)) {
			due = now - f->images[i].last_touch >= TOUCH_EVERY_S;
			if (due)
				f->images[i].last_touch = now;
			break;
		}
	pthread_mutex_unlock(&f->lock);
	/* not in the table (cached by an earlier run): touched by its next fetch */
	if (due)
		utimensat(AT_FDCWD, path, NULL, 0);
}

/* ---- the worker ---- */

/* The next image due, copied into @j (marked in flight); false when none. */
static bool next_job(struct fetcher *f, struct fetch_job *j, time_t *ret_wait)
{
	time_t now = now_s(), wait = -1;

	for (size_t i = 0; i < f->n_images; i++) {
		struct image *im = &f->images[i];

		if (!im->queued || im->in_flight)
			continue;
		if (im->next_try > now) {
			if (wait < 0 || im->next_try - now < wait)
				wait = im->next_try - now;
			continue;
		}
		im->in_flight = true;
		memcpy(j->id, im->id, sizeof(j->id));
		memcpy(j->name, im->name, sizeof(j->name));
		memcpy(j->digests, im->digests, sizeof(j->digests));
		j->n_digests = im->n_digests;
		return true;
	}
	*ret_wait = wait;
	return false;
}

static struct image *find(struct fetcher *f, const char *id)
{
	for (size_t i = 0; i < f->n_images; i++)
		if (!strcmp(f->images[i].id, id))
			return &f->images[i];
	return NULL;
}

static void apply(struct fetcher *f, struct fetch_result *res)
{
	struct image *im = find(f, res->image_id);
	time_t now = now_s();
	struct done *d;

	if (!im)
		return;
	im->in_flight = false;
	im->queued = false;
	switch (res->state) {
	case FETCH_READY:
		im->state = FETCH_READY;
		im->backoff_s = 0;
		im->last_touch = now;
		snprintf(im->path, sizeof(im->path), "%s", res->path);
		f->stats.fetched++;
		break;
	case FETCH_PENDING: /* unreachable: retry with backoff, keep what we knew */
		im->backoff_s = im->backoff_s ? im->backoff_s * 2 : f->o.retry_min_s;
		if (im->backoff_s > f->o.retry_max_s)
			im->backoff_s = f->o.retry_max_s;
		im->queued = true;
		im->next_try = now + im->backoff_s;
		res->retry_in_s = im->backoff_s;
		f->stats.unreachable++;
		break;
	case FETCH_ABSENT:
	case FETCH_REFUSED:
		im->state = res->state;
		im->backoff_s = 0;
		res->retry_in_s = res->partial && f->o.retry_max_s < f->o.negative_s ?
					  f->o.retry_max_s :
					  f->o.negative_s;
		im->next_try = now + res->retry_in_s;
		if (res->state == FETCH_ABSENT)
			f->stats.absent++;
		else
			f->stats.refused++;
		break;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return;
	d->r = *res;
	*f->done_tail = d;
	f->done_tail = &d->next;
}

static void *worker(void *arg)
{
	struct fetcher *f = arg;
	struct fetch_result *res = malloc(sizeof(*res));
	uint64_t one = 1;

	if (!res)
		return NULL;
	pthread_mutex_lock(&f->lock);
	while (!f->stop) {
		struct fetch_job j;
		time_t wait;

		if (!next_job(f, &j, &wait)) {
			if (wait < 0) {
				pthread_cond_wait(&f->cond, &f->lock);
			} else {
				struct timespec ts;

				clock_gettime(CLOCK_MONOTONIC, &ts);
				ts.tv_sec += wait;
				pthread_cond_timedwait(&f->cond, &f->lock, &ts);
			}
			continue;
		}
		pthread_mutex_unlock(&f->lock);
		fetcher_fetch_one(f, &j, res);
		if (res->state == FETCH_READY)
			evict(f);
		pthread_mutex_lock(&f->lock);
		apply(f, res);
		if (write(f->efd, &one, sizeof(one)) < 0) {
			/* the counter cannot overflow in practice; the loop drains anyway */
		}
	}
	pthread_mutex_unlock(&f->lock);
	free(res);
	return NULL;
}

/* ---- the daemon's side ---- */

enum fetch_state fetcher_want(struct fetcher *f, const char *image_id, const char *image_name,
			      char *const *digests, size_t n_digests)
{
	time_t now = now_s();
	enum fetch_state st;
	struct image *im;
	bool wake = false;

	if (!image_id)
		return FETCH_ABSENT;
	pthread_mutex_lock(&f->lock);
	im = find(f, image_id);
	if (!im) {
		if (f->n_images == MAX_IMAGES) {
			/* full: forget a settled image (not in flight); all busy: absent */
			size_t i;

			for (i = 0;
			     i < f->n_images && (f->images[i].in_flight || f->images[i].queued);
			     i++)
				;
			if (i == f->n_images) {
				pthread_mutex_unlock(&f->lock);
				return FETCH_ABSENT;
			}
			f->images[i] = f->images[--f->n_images];
		}
		im = &f->images[f->n_images++];
		memset(im, 0, sizeof(*im));
		snprintf(im->id, sizeof(im->id), "%s", image_id);
		im->state = FETCH_PENDING;
		im->queued = true;
		im->next_try = now;
		wake = true;
	}
	/* learn what the runtime tells (a later container may say more) */
	if (image_name && !im->name[0])
		snprintf(im->name, sizeof(im->name), "%s", image_name);
	for (size_t i = 0; i < n_digests && im->n_digests < MAX_DIGESTS; i++) {
		bool have = false;

		for (size_t k = 0; k < im->n_digests; k++)
			have |= !strcmp(im->digests[k], digests[i]);
		if (!have)
			snprintf(im->digests[im->n_digests++], sizeof(im->digests[0]), "%s",
				 digests[i]);
	}
	if (im->state == FETCH_READY && access(im->path, F_OK)) {
		/* evicted since: fetch again */
		im->state = FETCH_PENDING;
		im->queued = true;
		im->next_try = now;
		wake = true;
	}
	if ((im->state == FETCH_ABSENT || im->state == FETCH_REFUSED) && !im->queued &&
	    now >= im->next_try) {
		im->queued = true; /* ask again, in the background */
		wake = true;
	}
	st = im->state;
	if (wake)
		pthread_cond_signal(&f->cond);
	pthread_mutex_unlock(&f->lock);
	return st;
}

size_t fetcher_drain(struct fetcher *f, void (*cb)(void *ctx, const struct fetch_result *r),
		     void *ctx)
{
	struct done *list, *next;
	uint64_t v;
	size_t n = 0;

	if (read(f->efd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing signalled; the list may still hold results */
	}
	pthread_mutex_lock(&f->lock);
	list = f->done_head;
	f->done_head = NULL;
	f->done_tail = &f->done_head;
	pthread_mutex_unlock(&f->lock);
	for (; list; list = next, n++) {
		next = list->next;
		cb(ctx, &list->r);
		free(list);
	}
	return n;
}

int fetcher_fd(const struct fetcher *f)
{
	return f->efd;
}

void fetcher_get_stats(struct fetcher *f, struct fetcher_stats *out)
{
	pthread_mutex_lock(&f->lock);
	*out = f->stats;
	out->images = f->n_images;
	out->pending = 0;
	for (size_t i = 0; i < f->n_images; i++)
		out->pending += f->images[i].state == FETCH_PENDING;
	pthread_mutex_unlock(&f->lock);
}

static void free_identities(struct fetcher *f)
{
	for (size_t i = 0; f->ids && i < f->n_ids; i++) {
		free((char *)f->ids[i].identity);
		free((char *)f->ids[i].identity_regexp);
		free((char *)f->ids[i].issuer);
		for (size_t k = 0; k < f->ids[i].n_images; k++)
			free((char *)f->ids[i].images[k]);
		free((char **)f->ids[i].images);
	}
	free(f->ids);
	free(f->trusted_root);
}

static char *dup_or_null(const char *s, bool *failed)
{
	char *d = s ? strdup(s) : NULL;

	*failed |= s && !d;
	return d;
}

/* The trusted root's path and the identities, deep copies (the config may be reloaded). */
static int copy_identities(struct fetcher *f, const struct fetcher_opts *o)
{
	bool failed = false;

	f->trusted_root = dup_or_null(o->trusted_root, &failed);
	if (o->n_identities && !(f->ids = calloc(o->n_identities, sizeof(*f->ids))))
		return -ENOMEM;
	for (; f->n_ids < o->n_identities; f->n_ids++) {
		const struct sigstore_policy *p = &o->identities[f->n_ids];
		struct sigstore_policy *q = &f->ids[f->n_ids];
		const char **images = NULL;

		q->identity = dup_or_null(p->identity, &failed);
		q->identity_regexp = dup_or_null(p->identity_regexp, &failed);
		q->issuer = dup_or_null(p->issuer, &failed);
		if (p->n_images && !(images = calloc(p->n_images, sizeof(*images))))
			return -ENOMEM;
		q->images = images;
		for (; q->n_images < p->n_images; q->n_images++)
			images[q->n_images] = dup_or_null(p->images[q->n_images], &failed);
	}
	return failed ? -ENOMEM : 0;
}

/* Defaults for the options left 0. */
static void apply_defaults(struct fetcher_opts *o)
{
	if (!o->cache_max)
		o->cache_max = 256;
	if (!o->retry_min_s)
		o->retry_min_s = 1;
	if (!o->retry_max_s)
		o->retry_max_s = 300;
	if (o->retry_max_s < o->retry_min_s)
		o->retry_max_s = o->retry_min_s;
	if (!o->negative_s)
		o->negative_s = 600;
}

/* Deep copies of the caller's strings (@f->o points at them after); -ENOMEM. */
static int copy_strings(struct fetcher *f, const struct fetcher_opts *o)
{
	bool failed = false;
	int r;

	f->o.trusted_root = NULL;
	f->o.identities = NULL;
	r = copy_identities(f, o);
	if (r)
		return r;
	f->cache_dir = dup_or_null(o->cache_dir, &failed);
	f->ca_file = dup_or_null(o->reg.ca_file, &failed);
	f->auth_file = dup_or_null(o->reg.auth_file, &failed);
	f->token_file = dup_or_null(o->reg.token_file, &failed);
	f->registries = calloc(o->n_registries, sizeof(char *));
	f->clients = calloc(o->n_registries, sizeof(*f->clients));
	f->images = calloc(MAX_IMAGES, sizeof(*f->images));
	if (failed || !f->registries || !f->clients || !f->images)
		return -ENOMEM;
	for (size_t i = 0; i < o->n_registries; i++)
		f->registries[i] = dup_or_null(o->registries[i], &failed);
	f->o.reg.ca_file = f->ca_file;
	f->o.reg.auth_file = f->auth_file;
	f->o.reg.token_file = f->token_file;
	f->o.registries = NULL;
	f->o.key_paths = NULL;
	f->o.cache_dir = f->cache_dir;
	return failed ? -ENOMEM : 0;
}

/* The keys, the cache directory, the eventfd and the worker. */
static int start(struct fetcher *f, const struct fetcher_opts *o, struct sw_error *err)
{
	int r;

	for (; f->n_keys < o->n_keys; f->n_keys++) {
		r = crypto_pubkey_load(o->key_paths[f->n_keys], &f->keys[f->n_keys], err);
		if (r)
			return r;
	}
	if (mkdir(f->cache_dir, 0700) && errno != EEXIST)
		return sw_error_set(err, -errno, "%s: %s", f->cache_dir, strerror(errno));
	f->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (f->efd < 0)
		return sw_error_set(err, -errno, "eventfd: %s", strerror(errno));
	if (pthread_create(&f->thread, NULL, worker, f))
		return sw_error_set(err, -EAGAIN, "cannot start the fetch worker");
	f->started = true;
	return 0;
}

int fetcher_new(const struct fetcher_opts *o, struct fetcher **ret, struct sw_error *err)
{
	struct fetcher *f = calloc(1, sizeof(*f));
	pthread_condattr_t ca;
	int r;

	if (!f)
		return sw_error_set(err, -ENOMEM, "out of memory");
	f->o = *o;
	f->efd = -1;
	f->done_tail = &f->done_head;
	pthread_mutex_init(&f->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&f->cond, &ca);
	pthread_condattr_destroy(&ca);
	apply_defaults(&f->o);
	if (!o->n_registries || !o->cache_dir || (!o->n_keys && !o->trusted_root) ||
	    o->n_keys > 16 || o->n_identities > 32) {
		r = sw_error_set(
			err, -EINVAL,
			"registries need a cache directory and 1-16 keys or a trusted root");
		goto fail;
	}
	r = copy_strings(f, o);
	if (r) {
		sw_error_set(err, r, "out of memory");
		goto fail;
	}
	r = start(f, o, err);
	if (r)
		goto fail;
	*ret = f;
	return 0;
fail:
	fetcher_free(f);
	return r;
}

void fetcher_free(struct fetcher *f)
{
	struct done *d, *next;

	if (!f)
		return;
	if (f->started) {
		pthread_mutex_lock(&f->lock);
		f->stop = true;
		pthread_cond_signal(&f->cond);
		pthread_mutex_unlock(&f->lock);
		pthread_join(f->thread, NULL);
	}
	for (size_t i = 0; f->clients && i < f->o.n_registries; i++)
		reg_client_free(f->clients[i]);
	for (size_t i = 0; f->registries && i < f->o.n_registries; i++)
		free(f->registries[i]);
	for (size_t i = 0; i < f->n_keys; i++)
		crypto_pubkey_free(f->keys[i]);
	free_identities(f);
	for (d = f->done_head; d; d = next) {
		next = d->next;
		free(d);
	}
	if (f->efd >= 0)
		close(f->efd);
	free(f->clients);
	free(f->registries);
	free(f->images);
	free(f->cache_dir);
	free(f->ca_file);
	free(f->auth_file);
	free(f->token_file);
	pthread_cond_destroy(&f->cond);
	pthread_mutex_destroy(&f->lock);
	free(f);
}
