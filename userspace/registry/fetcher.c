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
#include "fileio.h"
#include "registry.h"
#include "sigstore.h"

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

struct job {
	char id[72], name[512], digests[MAX_DIGESTS][72];
	size_t n_digests;
};

/*
 * A Sigstore bundle over the baseline's bytes, with the trusted root and
 * identities; *@ret_matched: the identities that accepted it. @check gets
 * the failed check's name.
 */
static int verify_bundle(struct fetcher *f, const struct reg_baseline *b, uint32_t *ret_matched,
			 char *check, size_t check_size, struct sw_error *err)
{
	struct sigstore_artifact art = { .data = (const unsigned char *)b->baseline,
					 .len = b->len };
	struct sigstore_trusted_root *root = NULL;
	struct sigstore_bundle *bundle = NULL;
	int r;

	if (!f->trusted_root) {
		snprintf(check, check_size, "policy");
		return sw_error_set(err, -ENOKEY,
				    "a Sigstore bundle, and this daemon has no trusted root");
	}
	/* read at every fetch: the user updates it like any package file */
	r = sigstore_trusted_root_load(f->trusted_root, &root, err);
	if (r) {
		snprintf(check, check_size, "policy");
		return sw_error_prefix(err, r, "trusted root");
	}
	r = sigstore_bundle_parse(b->sig, b->sig_len, &bundle, err);
	if (r) {
		snprintf(check, check_size, "bundle");
		sw_error_prefix(err, r, "bundle");
		goto out;
	}
	EVP_Digest(b->baseline, b->len, art.sha256, NULL, EVP_sha256(), NULL);
	r = sigstore_verify_any(root, bundle, &art, f->ids, f->n_ids, (int64_t)time(NULL),
				ret_matched, NULL, err);
	if (r)
		sigstore_check_name(err->msg, check, check_size);
out:
	sigstore_bundle_free(bundle);
	sigstore_trusted_root_free(root);
	return r;
}

/*
 * Check one candidate: the signature (or bundle), the image ID, and for a
 * bundle that its signer may sign this image (by the baseline's image name
 * and by the name the runtime gave); write it to the cache.
 */
static int accept_candidate(struct fetcher *f, const struct job *j, const struct reg_baseline *b,
			    struct fetch_result *res, struct sw_error *err)
{
	bool keyless = !strcmp(b->sig_media_type, REG_MT_SIGSTORE_BUNDLE);
	char sig_path[PATH_MAX + 32];
	struct sw_baseline *bl = NULL;
	uint32_t matched = 0;
	int r;

	res->check[0] = '\0';
	if (keyless)
		r = verify_bundle(f, b, &matched, res->check, sizeof(res->check), err);
	else
		r = crypto_verify_any(f->keys, f->n_keys, (const unsigned char *)b->baseline,
				      b->len, b->sig, b->sig_len, err);
	if (r)
		return r;
	r = baseline_parse(b->baseline, b->len, &bl, err);
	if (r)
		return r;
	if (!bl->hdr.config_digest || strcmp(bl->hdr.config_digest, j->id)) {
		r = sw_error_set(err, -EBADMSG, "baseline is for image %s (image_mismatch)",
				 bl->hdr.config_digest ? bl->hdr.config_digest : "(none)");
	} else if (keyless) {
		const char *bad =
			!sigstore_policies_allow_image(f->ids, f->n_ids, matched,
						       bl->hdr.image_name) ?
				(bl->hdr.image_name ? bl->hdr.image_name : "(none named)") :
			!sigstore_policies_allow_image(f->ids, f->n_ids, matched, j->name) ?
				j->name :
				NULL;

		if (bad) {
			char pats[400];

			sigstore_policies_images(f->ids, f->n_ids, matched, pats, sizeof(pats));
			snprintf(res->check, sizeof(res->check), "image");
			r = sw_error_set(err, -EKEYREJECTED,
					 "image: the signer may sign baselines of images %s only, "
					 "not of %s",
					 pats, bad);
		}
	}
	baseline_free(bl);
	if (r)
		return r;
	snprintf(res->path, sizeof(res->path), "%s/%s.jsonl", f->cache_dir, j->id + 7);
	snprintf(sig_path, sizeof(sig_path), "%s%s", res->path,
		 keyless ? ".sigstore.json" : ".sig");
	/* signature first: the store never sees a baseline without it */
	r = file_write_atomic(sig_path, b->sig, b->sig_len, 0644, err);
	if (!r) {
		/* the other kind from an earlier fetch would decide instead (bstore.h) */
		snprintf(sig_path, sizeof(sig_path), "%s%s", res->path,
			 keyless ? ".sig" : ".sigstore.json");
		unlink(sig_path);
		r = file_write_atomic(res->path, b->baseline, b->len, 0644, err);
	}
	return r;
}

static void fetch(struct fetcher *f, const struct job *j, struct fetch_result *res)
{
	char host[256], repo[256];
	struct sw_error err = { { 0 } };
	bool unreachable = false, refused = false, answered = false;
	char refused_check[sizeof(res->check)] = "", down[256] = "", down_msg[256] = "";
	size_t order[16], n_order = 0;

	memset(res, 0, sizeof(*res));
	snprintf(res->image_id, sizeof(res->image_id), "%s", j->id);
	res->state = FETCH_ABSENT;
	if (!j->n_digests || !j->name[0] ||
	    !fetcher_split_name(j->name, host, sizeof(host), repo, sizeof(repo))) {
		snprintf(res->msg, sizeof(res->msg), "%s",
			 j->name[0] ? "the runtime records no manifest digest for this image" :
				      "the runtime records no image name (no repository to ask)");
		return;
	}
	/* the image's own registry first when configured, then the others (mirrors) */
	for (size_t i = 0; i < f->o.n_registries && n_order < 16; i++)
		if (!strcmp(f->registries[i], host))
			order[n_order++] = i;
	for (size_t i = 0; i < f->o.n_registries && n_order < 16; i++)
		if (strcmp(f->registries[i], host))
			order[n_order++] = i;
	snprintf(res->msg, sizeof(res->msg), "no baseline attached to %s in %zu registries",
		 j->digests[0], n_order);
	for (size_t oi = 0; oi < n_order; oi++) {
		size_t ri = order[oi];

		bool reg_down = false;

		if (!f->clients[ri] &&
		    reg_client_new(&f->o.reg, f->registries[ri], &f->clients[ri], &err)) {
			unreachable = true;
			snprintf(down, sizeof(down), "%s", f->registries[ri]);
			snprintf(down_msg, sizeof(down_msg), "%s", err.msg);
			continue;
		}
		for (size_t di = 0; di < j->n_digests; di++) {
			struct reg_baseline got[MAX_CANDIDATES];
			size_t n = 0;
			int r = reg_fetch_baselines(f->clients[ri], repo, j->digests[di], got,
						    MAX_CANDIDATES, &n, &err);

			if (r == -ENOENT)
				continue;
			if (r == -EHOSTUNREACH || r == -EACCES || r == -ENOMEM) {
				unreachable = reg_down = true;
				snprintf(down, sizeof(down), "%s", f->registries[ri]);
				snprintf(down_msg, sizeof(down_msg), "%s", err.msg);
				break; /* this registry: try the next one */
			}
			snprintf(res->source, sizeof(res->source), "registry://%s/%s@%s",
				 f->registries[ri], repo, j->digests[di]);
			if (r) {
				refused = true;
				snprintf(res->msg, sizeof(res->msg), "%s", err.msg);
				continue;
			}
			for (size_t k = 0; k < n; k++) {
				if (res->state != FETCH_READY) {
					r = accept_candidate(f, j, &got[k], res, &err);
					if (!r) {
						res->state = FETCH_READY;
						snprintf(res->msg, sizeof(res->msg),
							 "artifact %s verified",
							 got[k].artifact_digest);
					} else {
						refused = true;
						snprintf(res->msg, sizeof(res->msg),
							 "artifact %s: %s", got[k].artifact_digest,
							 err.msg);
						snprintf(refused_check, sizeof(refused_check), "%s",
							 res->check);
					}
				}
				reg_baseline_clear(&got[k]);
			}
			if (res->state == FETCH_READY)
				return;
		}
		answered |= !reg_down;
	}
	if (refused) {
		res->state = FETCH_REFUSED;
		snprintf(res->check, sizeof(res->check), "%s", refused_check);
	} else if (unreachable && !answered) {
		res->state = FETCH_PENDING;
		res->transient = true;
		snprintf(res->msg, sizeof(res->msg), "%s", down_msg);
	} else if (unreachable) {
		/*
		 * Mirrors hold the same content: one that answered "none
		 * attached" settles it (no_baseline, never pending for ever
		 * behind a mirror that is down); asked again sooner, though.
		 */
		res->partial = true;
		snprintf(res->msg, sizeof(res->msg),
			 "no baseline attached to %s in %zu registries (%s unreachable: %.150s)",
			 j->digests[0], n_order, down, down_msg);
	}
}

/* The next image due, copied into @j (marked in flight); false when none. */
static bool next_job(struct fetcher *f, struct job *j, time_t *ret_wait)
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
		struct job j;
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
		fetch(f, &j, res);
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
	if (!f->o.cache_max)
		f->o.cache_max = 256;
	if (!f->o.retry_min_s)
		f->o.retry_min_s = 1;
	if (!f->o.retry_max_s)
		f->o.retry_max_s = 300;
	if (f->o.retry_max_s < f->o.retry_min_s)
		f->o.retry_max_s = f->o.retry_min_s;
	if (!f->o.negative_s)
		f->o.negative_s = 600;
	if (!o->n_registries || !o->cache_dir || (!o->n_keys && !o->trusted_root) ||
	    o->n_keys > 16 || o->n_identities > 32) {
		r = sw_error_set(
			err, -EINVAL,
			"registries need a cache directory and 1-16 keys or a trusted root");
		goto fail;
	}
	f->o.trusted_root = NULL;
	f->o.identities = NULL;
	r = copy_identities(f, o);
	if (r) {
		sw_error_set(err, r, "out of memory");
		goto fail;
	}
	f->cache_dir = strdup(o->cache_dir);
	f->registries = calloc(o->n_registries, sizeof(char *));
	f->clients = calloc(o->n_registries, sizeof(*f->clients));
	f->images = calloc(MAX_IMAGES, sizeof(*f->images));
	if (!f->cache_dir || !f->registries || !f->clients || !f->images) {
		r = sw_error_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	f->ca_file = o->reg.ca_file ? strdup(o->reg.ca_file) : NULL;
	f->auth_file = o->reg.auth_file ? strdup(o->reg.auth_file) : NULL;
	f->token_file = o->reg.token_file ? strdup(o->reg.token_file) : NULL;
	if ((o->reg.ca_file && !f->ca_file) || (o->reg.auth_file && !f->auth_file) ||
	    (o->reg.token_file && !f->token_file)) {
		r = sw_error_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	f->o.reg.ca_file = f->ca_file;
	f->o.reg.auth_file = f->auth_file;
	f->o.reg.token_file = f->token_file;
	f->o.registries = NULL;
	f->o.key_paths = NULL;
	f->o.cache_dir = f->cache_dir;
	for (size_t i = 0; i < o->n_registries; i++)
		if (!(f->registries[i] = strdup(o->registries[i]))) {
			r = sw_error_set(err, -ENOMEM, "out of memory");
			goto fail;
		}
	for (; f->n_keys < o->n_keys; f->n_keys++) {
		r = crypto_pubkey_load(o->key_paths[f->n_keys], &f->keys[f->n_keys], err);
		if (r)
			goto fail;
	}
	if (mkdir(f->cache_dir, 0700) && errno != EEXIST) {
		r = sw_error_set(err, -errno, "%s: %s", f->cache_dir, strerror(errno));
		goto fail;
	}
	f->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (f->efd < 0) {
		r = sw_error_set(err, -errno, "eventfd: %s", strerror(errno));
		goto fail;
	}
	if (pthread_create(&f->thread, NULL, worker, f)) {
		r = sw_error_set(err, -EAGAIN, "cannot start the fetch worker");
		goto fail;
	}
	f->started = true;
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
