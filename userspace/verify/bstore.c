// SPDX-License-Identifier: GPL-2.0-only
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "bstore.h"
#include "crypto.h"
#include "errors.h"
#include "fileio.h"
#include "hexutil.h"
#include "decide.h"

#define MAX_BASELINE (4ULL << 30)
#define MAX_SIGNATURE (64 * 1024)

struct sw_bstore {
	int refs; /* atomic */
	struct bstore_baseline *v;
	size_t n;
	struct bstore_baseline *host;
};

int baseline_load_verified(const char *path, const char *sig_path, struct sw_pubkey *const *keys,
			   size_t n_keys, struct sw_baseline **ret, struct sw_error *err)
{
	char *buf = NULL, *sig = NULL, *def_sig = NULL;
	size_t len, sig_len;
	int r;

	r = file_read_all(path, MAX_BASELINE, &buf, &len, err);
	if (r)
		goto cleanup;
	if (!sig_path) {
		if (asprintf(&def_sig, "%s.sig", path) < 0) {
			r = sw_error_set(err, -ENOMEM, "out of memory");
			goto cleanup;
		}
		sig_path = def_sig;
	}
	r = file_read_all(sig_path, MAX_SIGNATURE, &sig, &sig_len, err);
	if (r) {
		r = sw_error_set(err,
				 r == -ENOENT ? -ENOKEY :
				 r == -EFBIG  ? -EBADMSG :
						r,
				 "%s: signature missing or unreadable: %s", sig_path, strerror(-r));
		goto cleanup;
	}
	r = crypto_verify_any(keys, n_keys, (const unsigned char *)buf, len, sig, sig_len, err);
	if (r) {
		sw_error_prefix(err, r, "%s", path);
		goto cleanup;
	}
	/* parse exactly the bytes that were verified */
	r = baseline_parse(buf, len, ret, err);
	if (r)
		sw_error_prefix(err, r, "%s", path);
cleanup:
	free(def_sig);
	free(sig);
	free(buf);
	return r;
}

static void entry_free(struct bstore_baseline *e)
{
	free(e->path);
	baseline_free(e->b);
	baseline_index_free(e->idx);
}

static int load_one(const struct bstore_opts *o, const char *path, struct bstore_baseline *out)
{
	struct sw_error err = { { 0 } };
	int r;

	memset(out, 0, sizeof(*out));
	r = baseline_load_verified(path, NULL, o->keys, o->n_keys, &out->b, &err);
	if (!r)
		r = baseline_index_build(out->b, &out->idx);
	if (!r) {
		out->path = strdup(path);
		r = out->path ? 0 : -ENOMEM;
	}
	if (r) {
		if (o->report)
			o->report(o->ctx, path, r, err.msg[0] ? err.msg : strerror(-r));
		entry_free(out);
		return r;
	}
	digest_format_sha256(out->b->digest, out->digest);
	if (o->report)
		o->report(o->ctx, path, 0, NULL);
	return 0;
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && !strcmp(s + n - m, suffix);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Append the verified NAME.jsonl of @dir to @s (in name order). */
static int load_dir(const struct bstore_opts *o, const char *dir, struct sw_bstore *s,
		    struct sw_error *err)
{
	struct bstore_baseline *nv;
	char **names = NULL;
	size_t n_names = 0;
	struct dirent *de;
	DIR *d;
	int r = 0;

	d = opendir(dir);
	if (!d)
		return sw_error_set(err, -errno, "%s: %s", dir, strerror(errno));
	while ((de = readdir(d))) {
		char **nn;

		if (!has_suffix(de->d_name, ".jsonl"))
			continue;
		nn = realloc(names, (n_names + 1) * sizeof(*names));
		if (!nn || !(nn[n_names] = strdup(de->d_name))) {
			names = nn ? nn : names;
			r = sw_error_set(err, -ENOMEM, "out of memory");
			goto out;
		}
		names = nn;
		n_names++;
	}
	if (n_names) /* qsort(NULL, 0, …) is undefined */
		qsort(names, n_names, sizeof(*names), cmp_names);
	nv = realloc(s->v, (s->n + n_names + 1) * sizeof(*s->v));
	if (!nv) {
		r = sw_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	s->v = nv;
	for (size_t i = 0; i < n_names; i++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (!load_one(o, path, &s->v[s->n]))
			s->n++;
	}
out:
	for (size_t i = 0; i < n_names; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return r;
}

int bstore_load(const struct bstore_opts *o, struct sw_bstore **ret, struct sw_error *err)
{
	struct sw_bstore *s = calloc(1, sizeof(*s));
	int r = 0;

	if (!s)
		return sw_error_set(err, -ENOMEM, "out of memory");
	s->refs = 1;
	/* the local directory first: its baselines win over fetched ones */
	if (o->dir && (r = load_dir(o, o->dir, s, err)))
		goto fail;
	if (o->cache_dir && (r = load_dir(o, o->cache_dir, s, err)))
		goto fail;
	if (o->host_baseline) {
		s->host = calloc(1, sizeof(*s->host));
		if (!s->host) {
			r = sw_error_set(err, -ENOMEM, "out of memory");
			goto fail;
		}
		if (load_one(o, o->host_baseline, s->host)) {
			free(s->host);
			s->host = NULL;
		}
	}
	*ret = s;
	s = NULL;
fail:
	bstore_unref(s);
	return r;
}

struct sw_bstore *bstore_ref(struct sw_bstore *s)
{
	if (s)
		__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
	return s;
}

void bstore_unref(struct sw_bstore *s)
{
	if (!s || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	for (size_t i = 0; i < s->n; i++)
		entry_free(&s->v[i]);
	free(s->v);
	if (s->host) {
		entry_free(s->host);
		free(s->host);
	}
	free(s);
}

size_t bstore_count(const struct sw_bstore *s)
{
	return s ? s->n + (s->host ? 1 : 0) : 0;
}

const struct bstore_baseline *bstore_find_image(const struct sw_bstore *s, const char *image_id,
						const char *image_name, int *ret_by_name)
{
	*ret_by_name = 0;
	if (!s)
		return NULL;
	if (image_id) {
		for (size_t i = 0; i < s->n; i++) {
			const char *cd = s->v[i].b->hdr.config_digest;

			if (cd && !strcmp(cd, image_id))
				return &s->v[i];
		}
		return NULL; /* an ID is authoritative: never fall back to a (movable) name */
	}
	if (!image_name)
		return NULL;
	for (size_t i = 0; i < s->n; i++) {
		const char *name = s->v[i].b->hdr.image_name;

		if (name && !strcmp(name, image_name)) {
			*ret_by_name = 1;
			return &s->v[i];
		}
	}
	return NULL;
}

const struct bstore_baseline *bstore_host(const struct sw_bstore *s)
{
	return s ? s->host : NULL;
}
