/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Private to the image planners: image_oci.c (OCI layout) and image_docker.c
 * (legacy docker-archive) share the image config and plan helpers defined in
 * image_config.c.
 */
#ifndef SW_IMAGE_PLAN_H
#define SW_IMAGE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct json_t;
struct image_plan;
struct sw_error;

#define IMAGE_JSON_MAX (4u << 20) /* index.json, manifests, manifest.json */
#define IMAGE_CONFIG_MAX (16u << 20)

/* "os/arch[/variant]" of a platform object (or config) into @out; "" without os or arch. */
void image_platform_of(struct json_t *p, char *out, size_t n);

/* "linux/arm64" matches "linux/arm64" and, when no variant is asked for, "linux/arm64/v8". */
bool image_platform_match(const char *want, const char *have);

struct image_plan_layer;
struct store;
/* One entry of a manifest's layer list into @pl (a planner's own reader). */
typedef int (*image_plan_layer_fn)(struct store *st, size_t i, struct json_t *l,
				   struct image_plan_layer *pl, struct sw_error *err);
/*
 * plan->layers for the JSON array @layers (at most 1000 entries), each
 * filled by @fn; plan->n_layers = their count. Stops at @fn's first error.
 */
int image_plan_layers(struct image_plan *plan, struct json_t *layers, image_plan_layer_fn fn,
		      struct store *st, struct sw_error *err);

/*
 * Config: rootfs.diff_ids (one per layer, bottom first) into plan->hdr and
 * each layer's expected diff_id; the config's platform into plan->hdr.
 */
int image_plan_parse_config(struct json_t *cfg, size_t n_layers, const char *want_platform,
			    struct image_plan *plan, struct sw_error *err);

#endif
