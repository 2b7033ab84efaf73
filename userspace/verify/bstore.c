// SPDX-License-Identifier: GPL-2.0-only
#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "imageref.h"
#include "baseline.h"
#include "bstore.h"
#include "crypto.h"
#include "errors.h"
#include "fileio.h"
#include "hexutil.h"
#include "decide.h"
#include "sigstore.h"

#define MAX_BASELINE (4ULL << 30)
#define MAX_SIGNATURE (64 * 1024)

struct sw_bstore {
	int refs; /* atomic */
	struct bstore_baseline *v;
	size_t n;
	struct bstore_baseline *host;
};

#define BUNDLE_SUFFIX ".sigstore.json"

/*
 * Verify @bundle_path over @buf with every identity; *@ret_matched: those that
 * accepted it (bits of kl->identities).
 */
static int verify_keyless(const char *bundle_path, const char *buf, size_t len,
			  const struct bstore_keyless *kl, uint32_t *ret_matched,
			  struct sw_error *err)
{
	struct sigstore_artifact art = { .data = (const unsigned char *)buf, .len = len };
	struct sigstore_bundle *bundle = NULL;
	struct sw_error e = { { 0 } };
	int r;

	if (!kl->n_identities) /* fail closed: no identity is no trust */
		return sw_error_set(err, -ENOKEY, "%s: no trusted identity to verify it with",
				    bundle_path);
	r = sigstore_bundle_load(bundle_path, &bundle, err);
	if (r == -ENOENT)
		return sw_error_set(err, -ENOKEY, "%s: bundle missing", bundle_path);
	if (r)
		return sw_error_prefix(err, r, "%s", bundle_path);
	EVP_Digest(buf, len, art.sha256, NULL, EVP_sha256(), NULL);
	r = sigstore_verify_any(kl->root, bundle, &art, kl->identities, kl->n_identities,
				(int64_t)time(NULL), ret_matched, NULL, &e);
	sigstore_bundle_free(bundle);
	if (r)
		return sw_error_set(err, r, "%s: %s", bundle_path, e.msg);
	return 0;
}

/*
 * A keyless baseline names an image its signer may sign (the patterns of the
 * identities that accepted the bundle), else it is refused ("image" check).
 */
static int check_signer_image(const char *bundle_path, const struct sw_baseline *b,
			      const struct bstore_keyless *kl, uint32_t matched,
			      struct sw_error *err)
{
	char pats[512];

	if (sigstore_policies_allow_image(kl->identities, kl->n_identities, matched,
					  b->hdr.image_name))
		return 0;
	sigstore_policies_images(kl->identities, kl->n_identities, matched, pats, sizeof(pats));
	return sw_error_set(err, -EKEYREJECTED,
			    "%s: image: the baseline is of image %s, and its signer may sign "
			    "baselines of images %s only",
			    bundle_path, b->hdr.image_name ? b->hdr.image_name : "(none named)",
			    pats);
}

bool bstore_refusal_check(const char *msg, char *out, size_t size)
{
	const char *p = msg ? strstr(msg, BUNDLE_SUFFIX ": ") : NULL;

	if (!p || !size)
		return false;
	sigstore_check_name(p + strlen(BUNDLE_SUFFIX ": "), out, size);
	return true;
}

static int load_verified(const char *path, const char *sig_path, const char *bundle_path,
			 uint64_t max, struct sw_pubkey *const *keys, size_t n_keys,
			 const struct bstore_keyless *keyless, uint32_t *ret_matched,
			 struct sw_baseline **ret, struct sw_error *err);

int baseline_load_verified(const char *path, const char *sig_path, struct sw_pubkey *const *keys,
			   size_t n_keys, struct sw_baseline **ret, struct sw_error *err)
{
	return load_verified(path, sig_path, NULL, MAX_BASELINE, keys, n_keys, NULL, NULL, ret,
			     err);
}

int baseline_load_verified_ex(const char *path, const char *sig_path, const char *bundle_path,
			      struct sw_pubkey *const *keys, size_t n_keys,
			      const struct bstore_keyless *keyless, struct sw_baseline **ret,
			      struct sw_error *err)
{
	return load_verified(path, sig_path, bundle_path, MAX_BASELINE, keys, n_keys, keyless, NULL,
			     ret, err);
}

/*
 * Open @path for reading without ever waiting on it (O_NONBLOCK: a FIFO
 * never holds the loader): a regular file of at most @max bytes, else an
 * error and nothing read.
 */
static int open_body(const char *path, uint64_t max, struct sw_error *err)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY), r;

	if (fd < 0)
		return sw_error_set(err, -errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st))
		r = sw_error_set(err, -errno, "%s: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		r = sw_error_set(err, -EINVAL, "%s: not a regular file", path);
	else if ((uint64_t)st.st_size > max)
		r = sw_error_set(err, -EFBIG, "%s: larger than %llu bytes", path,
				 (unsigned long long)max);
	else
		return fd;
	close(fd);
	return r;
}

/* Where the signature and the bundle of @path are, and which of them decides. */
struct signed_by {
	const char *sig_path, *bundle_path;
	char *def_sig, *def_bundle; /* owned defaults: PATH.sig, PATH.sigstore.json */
	bool use_bundle;
};

static int signed_by_resolve(struct signed_by *sb, const char *path, size_t n_keys,
			     const struct bstore_keyless *keyless, struct sw_error *err)
{
	if (keyless && keyless->root) {
		if (!sb->bundle_path) {
			if (asprintf(&sb->def_bundle, "%s" BUNDLE_SUFFIX, path) < 0) {
				sb->def_bundle = NULL;
				return sw_error_set(err, -ENOMEM, "out of memory");
			}
			sb->bundle_path = sb->def_bundle;
		}
		sb->use_bundle = !access(sb->bundle_path, F_OK) || !n_keys;
	}
	if (!sb->use_bundle && !sb->sig_path) {
		if (asprintf(&sb->def_sig, "%s.sig", path) < 0) {
			sb->def_sig = NULL;
			return sw_error_set(err, -ENOMEM, "out of memory");
		}
		sb->sig_path = sb->def_sig;
	}
	return 0;
}

/* The bytes of @fd, read once the bundle is known to exist, and verified by it. */
static int read_bundled(int fd, const char *path, const char *bundle_path, uint64_t max,
			const struct bstore_keyless *keyless, uint32_t *ret_matched, char **buf,
			size_t *len, struct sw_error *err)
{
	int r;

	if (access(bundle_path, F_OK))
		return sw_error_set(err, -ENOKEY, "%s: bundle missing", bundle_path);
	r = file_read_fd(fd, path, max, buf, len, err);
	if (!r)
		r = verify_keyless(bundle_path, *buf, *len, keyless, ret_matched, err);
	return r;
}

/* The bytes of @fd, read once the (small) signature is, and verified by one of @keys. */
static int read_signed(int fd, const char *path, const char *sig_path, uint64_t max,
		       struct sw_pubkey *const *keys, size_t n_keys, char **buf, size_t *len,
		       struct sw_error *err)
{
	char *sig = NULL;
	size_t sig_len;
	int r;

	r = file_read_all(sig_path, MAX_SIGNATURE, &sig, &sig_len, err);
	if (r)
		return sw_error_set(err,
				    r == -ENOENT		? -ENOKEY :
				    r == -EFBIG || r == -EINVAL ? -EBADMSG :
								  r,
				    "%s: signature missing or unreadable: %s", sig_path,
				    r == -EINVAL ? "not a regular file" : strerror(-r));
	r = file_read_fd(fd, path, max, buf, len, err);
	if (!r) {
		r = crypto_verify_any(keys, n_keys, (const unsigned char *)*buf, *len, sig, sig_len,
				      err);
		if (r)
			sw_error_prefix(err, r, "%s", path);
	}
	free(sig);
	return r;
}

/*
 * The body is opened and checked (regular, at most @max bytes) but read only
 * after its signature or bundle is known to exist (the small signature is
 * read first): an unsigned or oversized file is refused unread. Keyless
 * (@keyless with a trusted root) when the bundle exists or no key is given.
 */
static int load_verified(const char *path, const char *sig_path, const char *bundle_path,
			 uint64_t max, struct sw_pubkey *const *keys, size_t n_keys,
			 const struct bstore_keyless *keyless, uint32_t *ret_matched,
			 struct sw_baseline **ret, struct sw_error *err)
{
	struct signed_by sb = { .sig_path = sig_path, .bundle_path = bundle_path };
	uint32_t matched = 0;
	char *buf = NULL;
	int r, fd = -1;
	size_t len;

	r = signed_by_resolve(&sb, path, n_keys, keyless, err);
	if (!r) {
		fd = open_body(path, max, err);
		r = fd < 0 ? fd : 0;
	}
	if (!r && sb.use_bundle)
		r = read_bundled(fd, path, sb.bundle_path, max, keyless, &matched, &buf, &len, err);
	else if (!r)
		r = read_signed(fd, path, sb.sig_path, max, keys, n_keys, &buf, &len, err);
	/* parse exactly the bytes that were verified */
	if (!r && (r = baseline_parse(buf, len, ret, err)))
		sw_error_prefix(err, r, "%s", path);
	if (!r && sb.use_bundle &&
	    (r = check_signer_image(sb.bundle_path, *ret, keyless, matched, err))) {
		baseline_free(*ret);
		*ret = NULL;
	}
	if (!r && ret_matched)
		*ret_matched = matched;
	if (fd >= 0)
		close(fd);
	free(sb.def_bundle);
	free(sb.def_sig);
	free(buf);
	return r;
}

static void entry_free(struct bstore_baseline *e)
{
	for (size_t i = 0; i < e->n_images; i++)
		free(e->images[i]);
	free(e->images);
	free(e->path);
	free(e->name);
	baseline_free(e->b);
	baseline_index_free(e->idx);
}

/*
 * A keyless baseline whose signer may sign some images only keeps their
 * patterns: a container is judged by it only when its own image name matches
 * too (the image ID alone is no proof that the signer may speak for it).
 */
static int keep_signer_images(const struct bstore_keyless *kl, uint32_t matched,
			      struct bstore_baseline *out)
{
	size_t n = 0;

	for (size_t i = 0; i < kl->n_identities && i < 32; i++) {
		if (!(matched & (1u << i)))
			continue;
		if (!kl->identities[i].n_images)
			return 0; /* one identity that accepted it may sign any image */
		n += kl->identities[i].n_images;
	}
	out->images = calloc(n ? n : 1, sizeof(*out->images));
	if (!out->images)
		return -ENOMEM;
	for (size_t i = 0; i < kl->n_identities && i < 32; i++) {
		if (!(matched & (1u << i)))
			continue;
		for (size_t k = 0; k < kl->identities[i].n_images; k++) {
			out->images[out->n_images] = strdup(kl->identities[i].images[k]);
			if (!out->images[out->n_images])
				return -ENOMEM;
			out->n_images++;
		}
	}
	out->restricted = true;
	return 0;
}

bool bstore_allows_image(const struct bstore_baseline *e, const char *image_name)
{
	struct sigstore_policy p = { .images = (const char *const *)e->images,
				     .n_images = e->n_images };

	return !e->restricted || sigstore_policy_allows_image(&p, image_name);
}

static int load_one(const struct bstore_opts *o, const char *path, struct bstore_baseline *out)
{
	struct sw_error err = { { 0 } };
	uint32_t matched = 0;
	int r;

	memset(out, 0, sizeof(*out));
	r = load_verified(path, NULL, NULL, o->max_size ? o->max_size : MAX_BASELINE, o->keys,
			  o->n_keys, o->keyless, &matched, &out->b, &err);
	if (!r && matched)
		r = keep_signer_images(o->keyless, matched, out);
	/* the store's layout (baseline.h); out of memory, it stays as parsed: as right, larger */
	if (!r)
		baseline_compact(out->b);
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
	if (out->b->hdr.image_name) {
		char norm[1100];

		out->name = strdup(imageref_normalize(out->b->hdr.image_name, norm, sizeof(norm)) ?
					   out->b->hdr.image_name :
					   norm);
	}
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

static bool same_baseline(const struct bstore_baseline *a, const struct bstore_baseline *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a->digest, b->digest) && a->restricted == b->restricted &&
	       a->n_images == b->n_images;
}

bool bstore_same(const struct sw_bstore *a, const struct sw_bstore *b)
{
	if (bstore_count(a) != bstore_count(b) ||
	    !same_baseline(a ? a->host : NULL, b ? b->host : NULL))
		return false;
	for (size_t i = 0; a && i < a->n; i++) {
		bool found = false;

		for (size_t j = 0; j < b->n && !found; j++)
			found = same_baseline(&a->v[i], &b->v[j]);
		if (!found)
			return false;
	}
	return true;
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

			/* a signer limited to some images: only for a container named like them */
			if (cd && !strcmp(cd, image_id) &&
			    bstore_allows_image(&s->v[i], image_name))
				return &s->v[i];
		}
		return NULL; /* an ID is authoritative: never fall back to a (movable) name */
	}
	if (!image_name)
		return NULL;
	*ret_by_name = 1;
	return bstore_find_name(s, image_name);
}

const struct bstore_baseline *bstore_find_name(const struct sw_bstore *s, const char *image_name)
{
	char norm[1100];
	const char *want = image_name;

	if (!s || !image_name)
		return NULL;
	if (!imageref_normalize(image_name, norm, sizeof(norm)))
		want = norm;
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].name && !strcmp(s->v[i].name, want))
			return &s->v[i];
	return NULL;
}

const struct bstore_baseline *bstore_host(const struct sw_bstore *s)
{
	return s ? s->host : NULL;
}
