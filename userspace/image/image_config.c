// SPDX-License-Identifier: GPL-2.0-only
/*
 * What the OCI and docker-archive planners share (image_plan.h): the image
 * config (config.md: rootfs.diff_ids, platform) and the plan itself.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "errors.h"
#include "hexutil.h"
#include "image.h"
#include "image_plan.h"

#define MAX_LAYERS 1000

void image_platform_of(json_t *p, char *out, size_t n)
{
	const char *os = json_string_value(json_object_get(p, "os"));
	const char *arch = json_string_value(json_object_get(p, "architecture"));
	const char *variant = json_string_value(json_object_get(p, "variant"));

	out[0] = '\0';
	if (os && arch)
		snprintf(out, n, "%s/%s%s%s", os, arch, variant ? "/" : "", variant ? variant : "");
}

bool image_platform_match(const char *want, const char *have)
{
	size_t n = strlen(want);

	if (strncmp(want, have, n))
		return false;
	if (have[n] == '\0')
		return true;
	return have[n] == '/' && strchr(want, '/') == strrchr(want, '/');
}

int image_plan_parse_config(json_t *cfg, size_t n_layers, const char *want_platform,
			    struct image_plan *plan, struct sw_error *err)
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
	image_platform_of(cfg, platform, sizeof(platform));
	if (platform[0]) {
		plan->hdr.platform = strdup(platform);
		if (!plan->hdr.platform)
			return sw_error_set(err, -ENOMEM, "out of memory");
	}
	if (want_platform && plan->hdr.platform &&
	    !image_platform_match(want_platform, plan->hdr.platform))
		return sw_error_set(err, -EBADMSG, "image is %s, not %s", plan->hdr.platform,
				    want_platform);
	return 0;
}

int image_plan_layers(struct image_plan *plan, json_t *layers, image_plan_layer_fn fn,
		      struct store *st, struct sw_error *err)
{
	size_t n = json_array_size(layers), i;
	json_t *l;
	int ret = 0;

	if (n > MAX_LAYERS)
		return sw_error_set(err, -EBADMSG, "image has %zu layers (limit %d)", n,
				    MAX_LAYERS);
	plan->layers = calloc(n ? n : 1, sizeof(*plan->layers));
	if (!plan->layers)
		return sw_error_set(err, -ENOMEM, "out of memory");
	plan->n_layers = n;
	json_array_foreach(layers, i, l) {
		ret = fn(st, i, l, &plan->layers[i], err);
		if (ret)
			break;
	}
	return ret;
}

void image_plan_clear(struct image_plan *plan)
{
	baseline_header_clear(&plan->hdr);
	free(plan->layers);
	memset(plan, 0, sizeof(*plan));
}
