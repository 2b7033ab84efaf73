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
	ret = store_read(st, "manifest.json", IMAGE_JSON_MAX, &buf, &len, err);
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
	ret = store_read(st, norm + 1, IMAGE_CONFIG_MAX, &buf, &len, err);
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
	ret = image_plan_alloc_layers(plan, json_array_size(layers), err);
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
	ret = image_plan_parse_config(cfg, plan->n_layers, platform, plan, err);
	if (ret)
		goto cleanup;
	digest_format_sha256(cfg_digest, digest_s);
	plan->hdr.config_digest = strdup(digest_s);
	strdup_opt(&plan->hdr.image_name, name);
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
