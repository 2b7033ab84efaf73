// SPDX-License-Identifier: GPL-2.0-only
/*
 * Resolve a legacy docker-archive (`docker save` before OCI layouts): its
 * manifest.json names the config and the layer members. The config's digest
 * is computed here (it is the image ID); layers are checked against digests
 * only where their member names are content addresses.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "errors.h"
#include "hexutil.h"
#include "image.h"
#include "image_plan.h"
#include "path.h"
#include "store.h"
#include "strutil.h"

/* The image of manifest.json that @ref names (NULL: the only one), and its first tag. */
static int pick_image(json_t *mf, const char *ref, json_t **ret_img, const char **ret_name,
		      struct sw_error *err)
{
	json_t *img = NULL, *e, *tags, *t;
	size_t i, k;

	*ret_name = NULL;
	json_array_foreach(mf, i, e) {
		tags = json_object_get(e, "RepoTags");
		if (!ref) {
			if (json_array_size(mf) > 1)
				return sw_error_set(
					err, -EBADMSG,
					"archive holds %zu images; name one with docker-archive:TAR:NAME",
					json_array_size(mf));
			img = e;
		}
		json_array_foreach(tags, k, t) {
			if (json_is_string(t) && ref && !strcmp(json_string_value(t), ref))
				img = e;
			if (img == e && !*ret_name && json_is_string(t))
				*ret_name = json_string_value(t);
		}
		if (img)
			break;
	}
	if (!img)
		return sw_error_set(err, -EBADMSG, "no image tagged '%s' in the archive", ref);
	*ret_img = img;
	return 0;
}

/* The config member: its sha256 (the image ID) and its JSON. */
static int read_config(struct store *st, const char *member, unsigned char digest[32],
		       json_t **ret_cfg, struct sw_error *err)
{
	json_error_t jerr;
	char *buf = NULL, *norm;
	size_t len;
	int ret;

	ret = path_normalize_member(member, &norm, err);
	if (ret)
		return ret;
	ret = store_read(st, norm + 1, IMAGE_CONFIG_MAX, &buf, &len, err);
	free(norm);
	if (ret)
		return ret == -ENOENT ?
			       sw_error_set(err, -EBADMSG, "config %.100s missing from the archive",
					    member) :
			       ret;
	EVP_Digest(buf, len, digest, NULL, EVP_sha256(), NULL);
	*ret_cfg = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	free(buf);
	if (!*ret_cfg)
		return sw_error_set(err, -EBADMSG, "config: invalid JSON: %s", jerr.text);
	return 0;
}

/* Layer @i (member name @l of Layers): its member, name, and digest when the name is one. */
static int plan_layer(struct store *st, size_t i, json_t *l, struct image_plan_layer *pl,
		      struct sw_error *err)
{
	const char *base;
	char *norm;
	int ret;

	if (!json_is_string(l))
		return sw_error_set(err, -EBADMSG, "manifest.json: Layers[%zu] is not a string", i);
	ret = path_normalize_member(json_string_value(l), &norm, err);
	if (ret)
		return ret;
	if (strlen(norm) >= sizeof(pl->member) || !strcmp(norm, "/")) {
		free(norm);
		return sw_error_set(err, -EBADMSG, "manifest.json: bad layer name %.100s",
				    json_string_value(l));
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
	if (!store_has(st, pl->member))
		return sw_error_set(err, -EBADMSG, "layer %zu: %.100s missing from the archive",
				    i + 1, pl->member);
	return 0;
}

int image_plan_docker(struct store *st, const char *ref, const char *platform,
		      struct image_plan *plan, struct sw_error *err)
{
	json_t *mf = NULL, *img = NULL, *cfg = NULL, *layers;
	unsigned char cfg_digest[32];
	char *buf = NULL, digest_s[72];
	const char *cfg_member, *name = NULL;
	json_error_t jerr;
	size_t len;
	int ret;

	memset(plan, 0, sizeof(*plan));
	ret = store_read(st, "manifest.json", IMAGE_JSON_MAX, &buf, &len, err);
	if (ret)
		return ret == -ENOENT ?
			       sw_error_set(
				       err, -EBADMSG,
				       "not a docker archive: no manifest.json or index.json") :
			       ret;
	mf = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	free(buf);
	if (!json_is_array(mf) || json_array_size(mf) == 0) {
		ret = sw_error_set(err, -EBADMSG, "manifest.json: %s",
				   mf ? "must be a non-empty array" : jerr.text);
		goto cleanup;
	}
	ret = pick_image(mf, ref, &img, &name, err);
	if (ret)
		goto cleanup;
	cfg_member = json_string_value(json_object_get(img, "Config"));
	layers = json_object_get(img, "Layers");
	if (!cfg_member || !json_is_array(layers)) {
		ret = sw_error_set(err, -EBADMSG, "manifest.json: image needs Config and Layers");
		goto cleanup;
	}
	ret = read_config(st, cfg_member, cfg_digest, &cfg, err);
	if (!ret)
		ret = image_plan_layers(plan, layers, plan_layer, st, err);
	if (!ret)
		ret = image_plan_parse_config(cfg, plan->n_layers, platform, plan, err);
	if (ret)
		goto cleanup;
	digest_format_sha256(cfg_digest, digest_s);
	plan->hdr.config_digest = strdup(digest_s);
	strdup_opt(&plan->hdr.image_name, name);
	if (!plan->hdr.config_digest)
		ret = sw_error_set(err, -ENOMEM, "out of memory");
cleanup:
	json_decref(cfg);
	json_decref(mf);
	if (ret)
		image_plan_clear(plan);
	return ret;
}
