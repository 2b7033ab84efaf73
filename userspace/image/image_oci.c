// SPDX-License-Identifier: GPL-2.0-only
/*
 * Resolve an OCI image layout to its layers (image-spec image-layout.md,
 * image-index.md, manifest.md, config.md). Every blob read here is checked
 * against its descriptor's digest and size; the config binds the layers
 * through rootfs.diff_ids. The legacy docker-archive is image_docker.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "errors.h"
#include "hexutil.h"
#include "image.h"
#include "image_plan.h"
#include "store.h"
#include "strutil.h"

#define MAX_INDEX_DEPTH 4

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"

struct descriptor {
	const char *media_type;
	unsigned char digest[32];
	char digest_str[72];
	int64_t size;
	json_t *json; /* borrowed */
};

struct candidate {
	struct descriptor d;
	char platform[64]; /* from the descriptor, "" when absent */
	const char *name; /* borrowed from index.json */
};

static int parse_descriptor(json_t *j, const char *what, struct descriptor *d, struct sw_error *err)
{
	json_t *mt = json_object_get(j, "mediaType"), *dg = json_object_get(j, "digest"),
	       *sz = json_object_get(j, "size");
	int ret;

	if (!json_is_object(j))
		return sw_error_set(err, -EBADMSG, "%s: descriptor is not an object", what);
	if (!json_is_string(mt) || !json_is_string(dg) || !json_is_integer(sz))
		return sw_error_set(err, -EBADMSG,
				    "%s: descriptor needs mediaType, digest and size", what);
	d->media_type = json_string_value(mt);
	ret = digest_parse_sha256(json_string_value(dg), d->digest);
	if (ret == -ENOTSUP)
		return sw_error_set(err, -EBADMSG, "%s: unsupported digest algorithm in %.80s",
				    what, json_string_value(dg));
	if (ret)
		return sw_error_set(err, -EBADMSG, "%s: malformed digest %.80s", what,
				    json_string_value(dg));
	digest_format_sha256(d->digest, d->digest_str);
	d->size = json_integer_value(sz);
	if (d->size < 0)
		return sw_error_set(err, -EBADMSG, "%s: negative size", what);
	d->json = j;
	return 0;
}

static void blob_member(const struct descriptor *d, char *out, size_t n)
{
	snprintf(out, n, "blobs/sha256/%s", d->digest_str + 7);
}

/* Read a blob named by @d, checking size and digest; parse it as JSON. */
static int read_json_blob(struct store *st, const struct descriptor *d, size_t max,
			  const char *what, json_t **ret, struct sw_error *err)
{
	unsigned char got[32];
	char member[80], *buf = NULL;
	json_error_t jerr;
	size_t len;
	int ret_err;

	if (d->size > (int64_t)max)
		return sw_error_set(err, -EBADMSG, "%s %s: size %lld is too large", what,
				    d->digest_str, (long long)d->size);
	blob_member(d, member, sizeof(member));
	ret_err = store_read(st, member, max, &buf, &len, err);
	if (ret_err)
		return ret_err == -ENOENT ? sw_error_set(err, -EBADMSG, "%s %s: blob missing", what,
							 d->digest_str) :
					    ret_err;
	if ((int64_t)len != d->size) {
		ret_err = sw_error_set(err, -EBADMSG,
				       "%s %s: blob is %zu bytes, descriptor says %lld", what,
				       d->digest_str, len, (long long)d->size);
		goto cleanup;
	}
	EVP_Digest(buf, len, got, NULL, EVP_sha256(), NULL);
	if (memcmp(got, d->digest, 32)) {
		ret_err =
			sw_error_set(err, -EBADMSG, "%s %s: digest mismatch", what, d->digest_str);
		goto cleanup;
	}
	*ret = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	ret_err = *ret ? 0 :
			 sw_error_set(err, -EBADMSG, "%s %s: invalid JSON: %s", what, d->digest_str,
				      jerr.text);
cleanup:
	free(buf);
	return ret_err;
}

static void default_platform(char *out, size_t n)
{
	struct utsname u;
	const char *arch = "amd64";

	if (!uname(&u) && !strcmp(u.machine, "aarch64"))
		arch = "arm64";
	snprintf(out, n, "linux/%s", arch);
}

static bool is_index_type(const char *mt)
{
	return !strcmp(mt, MT_OCI_INDEX) || !strcmp(mt, MT_DOCKER_LIST);
}

static bool is_manifest_type(const char *mt)
{
	return !strcmp(mt, MT_OCI_MANIFEST) || !strcmp(mt, MT_DOCKER_MANIFEST);
}

struct candidates {
	struct candidate *v;
	size_t n;
	json_t *held[MAX_INDEX_DEPTH + 1]; /* nested indexes kept alive */
	size_t n_held;
};

static const char *ref_name(json_t *desc)
{
	json_t *ann = json_object_get(desc, "annotations");
	const char *name = json_string_value(json_object_get(ann, "io.containerd.image.name"));

	return name ? name :
		      json_string_value(json_object_get(ann, "org.opencontainers.image.ref.name"));
}

static bool ref_matches(json_t *desc, const char *ref)
{
	json_t *ann = json_object_get(desc, "annotations");
	const char *keys[] = { "org.opencontainers.image.ref.name", "io.containerd.image.name" };

	for (size_t i = 0; i < 2; i++) {
		const char *v = json_string_value(json_object_get(ann, keys[i]));

		if (v && !strcmp(v, ref))
			return true;
	}
	return false;
}

static int collect(struct store *st, json_t *index, const char *ref, int depth,
		   struct candidates *c, struct sw_error *err)
{
	json_t *manifests = json_object_get(index, "manifests"), *sv, *d;
	size_t i;
	int ret;

	sv = json_object_get(index, "schemaVersion");
	if (!json_is_integer(sv) || json_integer_value(sv) != 2)
		return sw_error_set(err, -EBADMSG, "index: schemaVersion must be 2");
	if (!json_is_array(manifests) || json_array_size(manifests) == 0)
		return sw_error_set(err, -EBADMSG, "index: no manifests");
	json_array_foreach(manifests, i, d) {
		struct descriptor desc;
		struct candidate *nc;

		ret = parse_descriptor(d, "index", &desc, err);
		if (ret)
			return ret;
		if (ref && !ref_matches(d, ref))
			continue;
		if (is_index_type(desc.media_type)) {
			json_t *nested;

			if (depth >= MAX_INDEX_DEPTH)
				return sw_error_set(err, -EBADMSG, "index: nested too deeply");
			ret = read_json_blob(st, &desc, IMAGE_JSON_MAX, "index", &nested, err);
			if (ret)
				return ret;
			c->held[c->n_held++] = nested;
			ret = collect(st, nested, NULL, depth + 1, c, err);
			if (ret)
				return ret;
			continue;
		}
		if (!is_manifest_type(desc.media_type))
			continue; /* attestations, artifacts: not images */
		if (c->n >= 4096)
			return sw_error_set(err, -EBADMSG, "index: too many manifests");
		nc = realloc(c->v, (c->n + 1) * sizeof(*nc));
		if (!nc)
			return sw_error_set(err, -ENOMEM, "out of memory");
		c->v = nc;
		nc = &c->v[c->n++];
		nc->d = desc;
		nc->name = ref_name(d);
		image_platform_of(json_object_get(d, "platform"), nc->platform,
				  sizeof(nc->platform));
	}
	return 0;
}

static int choose(struct candidates *c, const char *ref, const char *platform,
		  bool explicit_platform, struct candidate **ret, struct sw_error *err)
{
	struct candidate *found = NULL;
	size_t matches = 0;

	if (c->n == 0)
		return sw_error_set(err, -EBADMSG,
				    ref ? "no image named '%s' in index.json" :
					  "index.json lists no image manifest%s",
				    ref ? ref : "");
	if (c->n == 1 && (!explicit_platform || !c->v[0].platform[0])) {
		*ret = &c->v[0];
		return 0;
	}
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].platform[0] && image_platform_match(platform, c->v[i].platform)) {
			found = &c->v[i];
			matches++;
		}
	if (matches == 1) {
		*ret = found;
		return 0;
	}
	if (matches > 1)
		return sw_error_set(err, -EBADMSG,
				    "several images for %s; name one with oci:DIR:REF", platform);
	return sw_error_set(err, -EBADMSG,
			    "no image for platform %s among %zu manifests (see --platform)",
			    platform, c->n);
}

static int layer_compression(const char *mt, enum layer_compression *ret)
{
	static const struct {
		const char *mt;
		enum layer_compression c;
	} types[] = {
		{ "application/vnd.oci.image.layer.v1.tar", LAYER_COMPRESSION_NONE },
		{ "application/vnd.oci.image.layer.v1.tar+gzip", LAYER_COMPRESSION_GZIP },
		{ "application/vnd.oci.image.layer.v1.tar+zstd", LAYER_COMPRESSION_ZSTD },
		{ "application/vnd.oci.image.layer.nondistributable.v1.tar",
		  LAYER_COMPRESSION_NONE },
		{ "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
		  LAYER_COMPRESSION_GZIP },
		{ "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
		  LAYER_COMPRESSION_ZSTD },
		{ "application/vnd.docker.image.rootfs.diff.tar.gzip", LAYER_COMPRESSION_GZIP },
		{ "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
		  LAYER_COMPRESSION_GZIP },
	};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(mt, types[i].mt)) {
			*ret = types[i].c;
			return 0;
		}
	return -ENOTSUP;
}

/* image-layout.md: an "oci-layout" file MUST exist; we read layout version 1.x. */
static int check_layout_version(struct store *st, struct sw_error *err)
{
	const char *v;
	json_t *j;
	char *buf;
	size_t len;
	int ret = store_read(st, "oci-layout", 4096, &buf, &len, err);

	if (ret)
		return ret == -ENOENT ? sw_error_set(err, -EBADMSG,
						     "not an OCI layout: no oci-layout file") :
					ret;
	j = json_loadb(buf, len, 0, NULL);
	free(buf);
	v = json_string_value(json_object_get(j, "imageLayoutVersion"));
	ret = v && !strncmp(v, "1.", 2) ?
		      0 :
		      sw_error_set(err, -EBADMSG,
				   "oci-layout: unsupported imageLayoutVersion %.40s",
				   v ? v : "(missing)");
	json_decref(j);
	return ret;
}

/* index.json, parsed. */
static int read_index(struct store *st, json_t **ret_index, struct sw_error *err)
{
	json_error_t jerr;
	char *buf = NULL;
	size_t len;
	int ret;

	ret = store_read(st, "index.json", IMAGE_JSON_MAX, &buf, &len, err);
	if (ret)
		return ret == -ENOENT ?
			       sw_error_set(err, -EBADMSG, "not an OCI layout: no index.json") :
			       ret;
	*ret_index = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	free(buf);
	if (!*ret_index)
		return sw_error_set(err, -EBADMSG, "index.json: invalid JSON: %s (line %d)",
				    jerr.text, jerr.line);
	if (!json_is_object(*ret_index))
		return sw_error_set(err, -EBADMSG, "index.json: not a JSON object");
	return 0;
}

/* The chosen image manifest: schema 2, its mediaType its descriptor's; its config descriptor. */
static int read_manifest(struct store *st, const struct candidate *chosen, json_t **ret_manifest,
			 struct descriptor *cfg_desc, struct sw_error *err)
{
	json_t *manifest;
	int ret;

	ret = read_json_blob(st, &chosen->d, IMAGE_JSON_MAX, "manifest", ret_manifest, err);
	if (ret)
		return ret;
	manifest = *ret_manifest;
	if (!json_is_object(manifest) ||
	    !json_is_integer(json_object_get(manifest, "schemaVersion")) ||
	    json_integer_value(json_object_get(manifest, "schemaVersion")) != 2)
		return sw_error_set(err, -EBADMSG, "manifest %s: schemaVersion must be 2",
				    chosen->d.digest_str);
	if (json_is_string(json_object_get(manifest, "mediaType")) &&
	    strcmp(json_string_value(json_object_get(manifest, "mediaType")), chosen->d.media_type))
		return sw_error_set(err, -EBADMSG,
				    "manifest %s: mediaType differs from its descriptor",
				    chosen->d.digest_str);
	return parse_descriptor(json_object_get(manifest, "config"), "manifest config", cfg_desc,
				err);
}

/* Layer @i of the manifest: its blob, compression, size and digest. */
static int plan_layer(struct store *st, size_t i, json_t *l, struct image_plan_layer *pl,
		      struct sw_error *err)
{
	struct descriptor ld;
	int ret;

	ret = parse_descriptor(l, "manifest layer", &ld, err);
	if (ret)
		return ret;
	if (layer_compression(ld.media_type, &pl->desc.compression))
		return sw_error_set(err, -EBADMSG, "layer %zu: unsupported media type %.100s",
				    i + 1, ld.media_type);
	blob_member(&ld, pl->member, sizeof(pl->member));
	snprintf(pl->name, sizeof(pl->name), "layer %zu (%.19s)", i + 1, ld.digest_str);
	pl->desc.name = pl->name;
	pl->desc.check_digest = true;
	memcpy(pl->desc.digest, ld.digest, 32);
	pl->desc.size = ld.size;
	if (!store_has(st, pl->member))
		return sw_error_set(err, -EBADMSG, "layer %zu: blob %s missing", i + 1,
				    ld.digest_str);
	return 0;
}

int image_plan_oci(struct store *st, const char *ref, const char *platform, struct image_plan *plan,
		   struct sw_error *err)
{
	struct candidates c = { 0 };
	struct candidate *chosen = NULL;
	json_t *index = NULL, *manifest = NULL, *config = NULL, *layers;
	struct descriptor cfg_desc;
	char def_platform[64];
	int ret;

	memset(plan, 0, sizeof(*plan));
	if (!platform)
		default_platform(def_platform, sizeof(def_platform));
	ret = check_layout_version(st, err);
	if (ret)
		return ret;
	ret = read_index(st, &index, err);
	if (!ret)
		ret = collect(st, index, ref, 0, &c, err);
	if (!ret)
		ret = choose(&c, ref, platform ? platform : def_platform, platform != NULL, &chosen,
			     err);
	if (!ret)
		ret = read_manifest(st, chosen, &manifest, &cfg_desc, err);
	if (ret)
		goto cleanup;
	layers = json_object_get(manifest, "layers");
	if (!json_is_array(layers)) {
		ret = sw_error_set(err, -EBADMSG, "manifest %s: no layers array",
				   chosen->d.digest_str);
		goto cleanup;
	}
	ret = image_plan_layers(plan, layers, plan_layer, st, err);
	if (!ret)
		ret = read_json_blob(st, &cfg_desc, IMAGE_CONFIG_MAX, "config", &config, err);
	if (!ret)
		ret = image_plan_parse_config(config, plan->n_layers, platform, plan, err);
	if (ret)
		goto cleanup;
	plan->hdr.config_digest = strdup(cfg_desc.digest_str);
	plan->hdr.manifest_digest = strdup(chosen->d.digest_str);
	strdup_opt(&plan->hdr.image_name, chosen->name ? chosen->name : ref);
	if (!plan->hdr.config_digest || !plan->hdr.manifest_digest)
		ret = sw_error_set(err, -ENOMEM, "out of memory");
cleanup:
	for (size_t k = 0; k < c.n_held; k++)
		json_decref(c.held[k]);
	free(c.v);
	json_decref(config);
	json_decref(manifest);
	json_decref(index);
	if (ret)
		image_plan_clear(plan);
	return ret;
}
