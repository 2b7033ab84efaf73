// SPDX-License-Identifier: GPL-2.0-only
/*
 * Resolve an image to its layers: OCI image layout (image-spec image-layout.md,
 * image-index.md, manifest.md, config.md) and the legacy docker-archive
 * manifest.json. Every blob read here is checked against its descriptor's
 * digest and size; the config binds the layers through rootfs.diff_ids.
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
#include "path.h"
#include "store.h"

#define MAX_JSON (4u << 20)
#define MAX_CONFIG (16u << 20)
#define MAX_LAYERS 1000
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

static void platform_of(json_t *p, char *out, size_t n)
{
	const char *os = json_string_value(json_object_get(p, "os"));
	const char *arch = json_string_value(json_object_get(p, "architecture"));
	const char *variant = json_string_value(json_object_get(p, "variant"));

	out[0] = '\0';
	if (os && arch)
		snprintf(out, n, "%s/%s%s%s", os, arch, variant ? "/" : "", variant ? variant : "");
}

static void default_platform(char *out, size_t n)
{
	struct utsname u;
	const char *arch = "amd64";

	if (!uname(&u) && !strcmp(u.machine, "aarch64"))
		arch = "arm64";
	snprintf(out, n, "linux/%s", arch);
}

/* "linux/arm64" matches "linux/arm64" and, when no variant is asked for, "linux/arm64/v8". */
static bool platform_match(const char *want, const char *have)
{
	size_t n = strlen(want);

	if (strncmp(want, have, n))
		return false;
	if (have[n] == '\0')
		return true;
	return have[n] == '/' && strchr(want, '/') == strrchr(want, '/');
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
			ret = read_json_blob(st, &desc, MAX_JSON, "index", &nested, err);
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
		platform_of(json_object_get(d, "platform"), nc->platform, sizeof(nc->platform));
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
		if (c->v[i].platform[0] && platform_match(platform, c->v[i].platform)) {
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

static char *xstrdup_opt(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Config: platform and rootfs.diff_ids (one per layer, bottom first). */
static int parse_config(json_t *cfg, size_t n_layers, struct image_plan *plan, struct sw_error *err)
{
	json_t *rootfs = json_object_get(cfg, "rootfs"), *ids, *id;
	char platform[64];
	size_t i;

	if (!json_is_object(cfg))
		return sw_error_set(err, -EBADMSG, "config: not a JSON object");
	ids = json_object_get(rootfs, "diff_ids");
	if (!json_is_object(rootfs) || !json_is_string(json_object_get(rootfs, "type")) ||
	    strcmp(json_string_value(json_object_get(rootfs, "type")), "layers") ||
	    !json_is_array(ids))
		return sw_error_set(
			err, -EBADMSG,
			"config: rootfs must be {\"type\":\"layers\",\"diff_ids\":[…]}");
	if (json_array_size(ids) != n_layers)
		return sw_error_set(err, -EBADMSG, "config lists %zu diff_ids for %zu layers",
				    json_array_size(ids), n_layers);
	plan->hdr.diff_ids = calloc(n_layers ? n_layers : 1, sizeof(char *));
	if (!plan->hdr.diff_ids)
		return sw_error_set(err, -ENOMEM, "out of memory");
	json_array_foreach(ids, i, id) {
		struct layer_desc *ld = &plan->layers[i].desc;
		char s[72];

		if (!json_is_string(id) || digest_parse_sha256(json_string_value(id), ld->diff_id))
			return sw_error_set(err, -EBADMSG,
					    "config: diff_ids[%zu] is not a sha256 digest", i);
		ld->check_diff_id = true;
		digest_format_sha256(ld->diff_id, s);
		plan->hdr.diff_ids[i] = strdup(s);
		if (!plan->hdr.diff_ids[i])
			return sw_error_set(err, -ENOMEM, "out of memory");
		plan->hdr.n_diff_ids = i + 1;
	}
	platform_of(cfg, platform, sizeof(platform));
	if (platform[0]) {
		plan->hdr.platform = strdup(platform);
		if (!plan->hdr.platform)
			return sw_error_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

static int alloc_layers(struct image_plan *plan, size_t n, struct sw_error *err)
{
	if (n > MAX_LAYERS)
		return sw_error_set(err, -EBADMSG, "image has %zu layers (limit %d)", n,
				    MAX_LAYERS);
	plan->layers = calloc(n ? n : 1, sizeof(*plan->layers));
	if (!plan->layers)
		return sw_error_set(err, -ENOMEM, "out of memory");
	plan->n_layers = n;
	return 0;
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

int image_plan_oci(struct store *st, const char *ref, const char *platform, struct image_plan *plan,
		   struct sw_error *err)
{
	struct candidates c = { 0 };
	struct candidate *chosen = NULL;
	json_t *index = NULL, *manifest = NULL, *config = NULL, *layers, *l;
	struct descriptor cfg_desc;
	char def_platform[64], *buf = NULL;
	json_error_t jerr;
	size_t len, i;
	int ret;

	memset(plan, 0, sizeof(*plan));
	if (!platform)
		default_platform(def_platform, sizeof(def_platform));
	ret = check_layout_version(st, err);
	if (ret)
		return ret;
	ret = store_read(st, "index.json", MAX_JSON, &buf, &len, err);
	if (ret)
		return ret == -ENOENT ?
			       sw_error_set(err, -EBADMSG, "not an OCI layout: no index.json") :
			       ret;
	index = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	free(buf);
	if (!index) {
		ret = sw_error_set(err, -EBADMSG, "index.json: invalid JSON: %s (line %d)",
				   jerr.text, jerr.line);
		goto cleanup;
	}
	if (!json_is_object(index)) {
		ret = sw_error_set(err, -EBADMSG, "index.json: not a JSON object");
		goto cleanup;
	}
	ret = collect(st, index, ref, 0, &c, err);
	if (ret)
		goto cleanup;
	ret = choose(&c, ref, platform ? platform : def_platform, platform != NULL, &chosen, err);
	if (ret)
		goto cleanup;
	ret = read_json_blob(st, &chosen->d, MAX_JSON, "manifest", &manifest, err);
	if (ret)
		goto cleanup;
	if (!json_is_object(manifest) ||
	    !json_is_integer(json_object_get(manifest, "schemaVersion")) ||
	    json_integer_value(json_object_get(manifest, "schemaVersion")) != 2) {
		ret = sw_error_set(err, -EBADMSG, "manifest %s: schemaVersion must be 2",
				   chosen->d.digest_str);
		goto cleanup;
	}
	if (json_is_string(json_object_get(manifest, "mediaType")) &&
	    strcmp(json_string_value(json_object_get(manifest, "mediaType")),
		   chosen->d.media_type)) {
		ret = sw_error_set(err, -EBADMSG,
				   "manifest %s: mediaType differs from its descriptor",
				   chosen->d.digest_str);
		goto cleanup;
	}
	ret = parse_descriptor(json_object_get(manifest, "config"), "manifest config", &cfg_desc,
			       err);
	if (ret)
		goto cleanup;
	layers = json_object_get(manifest, "layers");
	if (!json_is_array(layers)) {
		ret = sw_error_set(err, -EBADMSG, "manifest %s: no layers array",
				   chosen->d.digest_str);
		goto cleanup;
	}
	ret = alloc_layers(plan, json_array_size(layers), err);
	if (ret)
		goto cleanup;
	json_array_foreach(layers, i, l) {
		struct image_plan_layer *pl = &plan->layers[i];
		struct descriptor ld;

		ret = parse_descriptor(l, "manifest layer", &ld, err);
		if (ret)
			goto cleanup;
		if (layer_compression(ld.media_type, &pl->desc.compression)) {
			ret = sw_error_set(err, -EBADMSG,
					   "layer %zu: unsupported media type %.100s", i + 1,
					   ld.media_type);
			goto cleanup;
		}
		blob_member(&ld, pl->member, sizeof(pl->member));
		snprintf(pl->name, sizeof(pl->name), "layer %zu (%.19s)", i + 1, ld.digest_str);
		pl->desc.name = pl->name;
		pl->desc.check_digest = true;
		memcpy(pl->desc.digest, ld.digest, 32);
		pl->desc.size = ld.size;
		if (!store_has(st, pl->member)) {
			ret = sw_error_set(err, -EBADMSG, "layer %zu: blob %s missing", i + 1,
					   ld.digest_str);
			goto cleanup;
		}
	}
	ret = read_json_blob(st, &cfg_desc, MAX_CONFIG, "config", &config, err);
	if (ret)
		goto cleanup;
	ret = parse_config(config, plan->n_layers, plan, err);
	if (ret)
		goto cleanup;
	if (platform && plan->hdr.platform && !platform_match(platform, plan->hdr.platform)) {
		ret = sw_error_set(err, -EBADMSG, "image is %s, not %s", plan->hdr.platform,
				   platform);
		goto cleanup;
	}
	plan->hdr.config_digest = strdup(cfg_desc.digest_str);
	plan->hdr.manifest_digest = strdup(chosen->d.digest_str);
	plan->hdr.image_name = xstrdup_opt(chosen->name ? chosen->name : ref);
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

int image_plan_docker(struct store *st, const char *ref, const char *platform,
		      struct image_plan *plan, struct sw_error *err)
{
	json_t *mf = NULL, *img = NULL, *cfg = NULL, *layers, *l, *e, *tags;
	unsigned char cfg_digest[32];
	char *buf = NULL, digest_s[72], *norm;
	const char *cfg_member, *name = NULL;
	json_error_t jerr;
	size_t len, i;
	int ret;

	memset(plan, 0, sizeof(*plan));
	ret = store_read(st, "manifest.json", MAX_JSON, &buf, &len, err);
	if (ret)
		return ret == -ENOENT ?
			       sw_error_set(
				       err, -EBADMSG,
				       "not a docker archive: no manifest.json or index.json") :
			       ret;
	mf = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	free(buf);
	buf = NULL;
	if (!json_is_array(mf) || json_array_size(mf) == 0) {
		ret = sw_error_set(err, -EBADMSG, "manifest.json: %s",
				   mf ? "must be a non-empty array" : jerr.text);
		goto cleanup;
	}
	json_array_foreach(mf, i, e) {
		size_t k;
		json_t *t;

		tags = json_object_get(e, "RepoTags");
		if (!ref) {
			if (json_array_size(mf) > 1) {
				ret = sw_error_set(
					err, -EBADMSG,
					"archive holds %zu images; name one with docker-archive:TAR:NAME",
					json_array_size(mf));
				goto cleanup;
			}
			img = e;
		}
		json_array_foreach(tags, k, t) {
			if (json_is_string(t) && ref && !strcmp(json_string_value(t), ref))
				img = e;
			if (img == e && !name && json_is_string(t))
				name = json_string_value(t);
		}
		if (img)
			break;
	}
	if (!img) {
		ret = sw_error_set(err, -EBADMSG, "no image tagged '%s' in the archive", ref);
		goto cleanup;
	}
	cfg_member = json_string_value(json_object_get(img, "Config"));
	layers = json_object_get(img, "Layers");
	if (!cfg_member || !json_is_array(layers)) {
		ret = sw_error_set(err, -EBADMSG, "manifest.json: image needs Config and Layers");
		goto cleanup;
	}
	ret = path_normalize_member(cfg_member, &norm, err);
	if (ret)
		goto cleanup;
	ret = store_read(st, norm + 1, MAX_CONFIG, &buf, &len, err);
	free(norm);
	if (ret) {
		if (ret == -ENOENT)
			ret = sw_error_set(err, -EBADMSG, "config %.100s missing from the archive",
					   cfg_member);
		goto cleanup;
	}
	EVP_Digest(buf, len, cfg_digest, NULL, EVP_sha256(), NULL);
	cfg = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!cfg) {
		ret = sw_error_set(err, -EBADMSG, "config: invalid JSON: %s", jerr.text);
		goto cleanup;
	}
	ret = alloc_layers(plan, json_array_size(layers), err);
	if (ret)
		goto cleanup;
	json_array_foreach(layers, i, l) {
		struct image_plan_layer *pl = &plan->layers[i];
		const char *base;

		if (!json_is_string(l)) {
			ret = sw_error_set(err, -EBADMSG,
					   "manifest.json: Layers[%zu] is not a string", i);
			goto cleanup;
		}
		ret = path_normalize_member(json_string_value(l), &norm, err);
		if (ret)
			goto cleanup;
		if (strlen(norm) >= sizeof(pl->member) || !strcmp(norm, "/")) {
			free(norm);
			ret = sw_error_set(err, -EBADMSG, "manifest.json: bad layer name %.100s",
					   json_string_value(l));
			goto cleanup;
		}
		snprintf(pl->member, sizeof(pl->member), "%s", norm + 1);
		free(norm);
		snprintf(pl->name, sizeof(pl->name), "layer %zu (%.60s)", i + 1, pl->member);
		pl->desc.name = pl->name;
		pl->desc.compression = LAYER_COMPRESSION_ANY;
		pl->desc.size = -1;
		/* content-addressed member names are checked as digests too */
		base = strrchr(pl->member, '/');
		base = base ? base + 1 : pl->member;
		if (!strncmp(pl->member, "blobs/sha256/", 13) &&
		    !hex_decode(pl->member + 13, pl->desc.digest, 32))
			pl->desc.check_digest = true;
		else if (strlen(base) == 68 && !strcmp(base + 64, ".tar")) {
			char hex[65];

			memcpy(hex, base, 64);
			hex[64] = '\0';
			pl->desc.check_digest = !hex_decode(hex, pl->desc.digest, 32);
		}
		if (!store_has(st, pl->member)) {
			ret = sw_error_set(err, -EBADMSG,
					   "layer %zu: %.100s missing from the archive", i + 1,
					   pl->member);
			goto cleanup;
		}
	}
	ret = parse_config(cfg, plan->n_layers, plan, err);
	if (ret)
		goto cleanup;
	if (platform && plan->hdr.platform && !platform_match(platform, plan->hdr.platform)) {
		ret = sw_error_set(err, -EBADMSG, "image is %s, not %s", plan->hdr.platform,
				   platform);
		goto cleanup;
	}
	digest_format_sha256(cfg_digest, digest_s);
	plan->hdr.config_digest = strdup(digest_s);
	plan->hdr.image_name = xstrdup_opt(name);
	if (!plan->hdr.config_digest)
		ret = sw_error_set(err, -ENOMEM, "out of memory");
cleanup:
	free(buf);
	json_decref(cfg);
	json_decref(mf);
	if (ret)
		image_plan_clear(plan);
	return ret;
}

void image_plan_clear(struct image_plan *plan)
{
	baseline_header_clear(&plan->hdr);
	free(plan->layers);
	memset(plan, 0, sizeof(*plan));
}
