// SPDX-License-Identifier: GPL-2.0-only
/*
 * A registry seen as an OCI layout (store.h): "oci-layout" and "index.json"
 * are made up here (one descriptor: the manifest or index REF resolves to),
 * "blobs/sha256/<hex>" are the registry's blobs, or its manifests for the
 * digests of manifests. The image readers (image_oci.c, layer.c) then do
 * what they do for a layout on disk — platform choice, digest and size
 * checks, layers streamed and never extracted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "errors.h"
#include "registry.h"
#include "store.h"

struct regstore {
	struct reg_client *c;
	char *repo;
	char top_digest[72];
	char *top; /* the manifest or index REF names */
	size_t top_len;
	char *index; /* made-up index.json */
};

static void regstore_free(void *ctx)
{
	struct regstore *rs = ctx;

	if (!rs)
		return;
	reg_client_free(rs->c);
	free(rs->repo);
	free(rs->top);
	free(rs->index);
	free(rs);
}

/* "blobs/sha256/<hex>" → "sha256:<hex>"; false for anything else. */
static bool member_digest(const char *member, char *out, size_t n)
{
	if (strncmp(member, "blobs/sha256/", 13) || strlen(member + 13) != 64)
		return false;
	snprintf(out, n, "sha256:%s", member + 13);
	return true;
}

static bool regstore_has(void *ctx, const char *member)
{
	struct regstore *rs = ctx;
	char digest[80];

	if (!strcmp(member, "oci-layout") || !strcmp(member, "index.json"))
		return true;
	if (!member_digest(member, digest, sizeof(digest)))
		return false;
	return !reg_blob_exists(rs->c, rs->repo, digest, NULL) ||
	       !reg_manifest_exists(rs->c, rs->repo, digest, NULL);
}

static int dup_buf(const char *s, size_t len, char **ret, size_t *ret_len, struct sw_error *err)
{
	char *b = malloc(len + 1);

	if (!b)
		return sw_error_set(err, -ENOMEM, "out of memory");
	memcpy(b, s, len);
	b[len] = '\0';
	*ret = b;
	*ret_len = len;
	return 0;
}

static int regstore_read(void *ctx, const char *member, size_t max, char **ret_buf, size_t *ret_len,
			 struct sw_error *err)
{
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	struct regstore *rs = ctx;
	char digest[80], mt[128], got[72];
	int r;

	if (!strcmp(member, "oci-layout"))
		return dup_buf(layout, sizeof(layout) - 1, ret_buf, ret_len, err);
	if (!strcmp(member, "index.json"))
		return dup_buf(rs->index, strlen(rs->index), ret_buf, ret_len, err);
	if (!member_digest(member, digest, sizeof(digest)))
		return sw_error_set(err, -ENOENT, "%s: no %s", reg_client_host(rs->c), member);
	if (!strcmp(digest, rs->top_digest))
		return dup_buf(rs->top, rs->top_len, ret_buf, ret_len, err);
	r = reg_blob_get(rs->c, rs->repo, digest, max, ret_buf, ret_len, err);
	if (r != -ENOENT)
		return r;
	/* not a blob: manifests of an index live under /manifests/ */
	r = reg_manifest_get(rs->c, rs->repo, digest, ret_buf, ret_len, mt, got, err);
	if (!r && *ret_len > max) {
		free(*ret_buf);
		return sw_error_set(err, -EBADMSG, "%s: larger than %zu bytes", digest, max);
	}
	return r;
}

static int regstore_stream(void *ctx, const char *member, struct byte_source *src,
			   struct sw_error *err)
{
	struct regstore *rs = ctx;
	char digest[80];

	if (!member_digest(member, digest, sizeof(digest)))
		return sw_error_set(err, -EBADMSG, "%s: no %s", reg_client_host(rs->c), member);
	return reg_blob_stream(rs->c, rs->repo, digest, src, err);
}

static const struct store_ops regstore_ops = {
	.has = regstore_has,
	.read = regstore_read,
	.stream = regstore_stream,
	.free = regstore_free,
};

int reg_open_store(const struct reg_opts *o, const struct reg_ref *ref, struct store **ret,
		   char **ret_name, struct sw_error *err)
{
	struct regstore *rs = calloc(1, sizeof(*rs));
	char mt[128], *name = NULL;
	json_t *idx = NULL;
	int r;

	if (!rs)
		return sw_error_set(err, -ENOMEM, "out of memory");
	r = reg_client_new(o, ref->host, &rs->c, err);
	if (r)
		goto fail;
	rs->repo = strdup(ref->repo);
	if (!rs->repo) {
		r = sw_error_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	r = reg_manifest_get(rs->c, ref->repo, reg_ref_reference(ref), &rs->top, &rs->top_len, mt,
			     rs->top_digest, err);
	if (r)
		goto fail;
	if (ref->digest[0] && strcmp(ref->digest, rs->top_digest)) {
		r = sw_error_set(err, -EBADMSG, "%s: the registry's manifest has digest %s",
				 ref->digest, rs->top_digest);
		goto fail;
	}
	if (asprintf(&name, "%s/%s%s%s", ref->host, ref->repo, ref->tag ? ":" : "@",
		     ref->tag ? ref->tag : ref->digest) < 0) {
		name = NULL;
		r = sw_error_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	idx = json_pack("{s:i,s:[{s:s,s:s,s:I,s:{s:s}}]}", "schemaVersion", 2, "manifests",
			"mediaType", mt, "digest", rs->top_digest, "size", (json_int_t)rs->top_len,
			"annotations", "org.opencontainers.image.ref.name", name);
	rs->index = idx ? json_dumps(idx, JSON_COMPACT) : NULL;
	json_decref(idx);
	if (!rs->index) {
		r = sw_error_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	r = store_open_ops(name, &regstore_ops, rs, ret, err);
	if (r)
		goto fail;
	*ret_name = name;
	return 0;
fail:
	free(name);
	regstore_free(rs);
	return r;
}
