// SPDX-License-Identifier: GPL-2.0-only
/*
 * layers.c: which images and containers use a layer of containers-storage
 * (podman, CRI-O, buildah), for the alert about a write into a layer file on
 * the node (resolver.h). Read-only, from the storage's own index files:
 *   <graph>/overlay-layers/layers.json          [{id, parent}, …]
 *   <graph>/overlay-images/images.json          [{id, names, layer (top)}, …]
 *   <graph>/overlay-containers/containers.json  [{id, names, image, layer}, …]
 * An image uses every layer of its top layer's parent chain; a container its
 * own layer and its image's.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "errors.h"
#include "resolver.h"
#include "resolver_internal.h"

#define INDEX_MAX (64u << 20)
#define CHAIN_MAX 256

static json_t *load_index(const char *graph, const char *name)
{
	struct sw_error err = { { 0 } };
	char path[4096];
	json_t *j = NULL;

	snprintf(path, sizeof(path), "%s/%s", graph, name);
	if (rs_load_json(path, INDEX_MAX, &j, &err) || !json_is_array(j)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/* Is @layer_id in the parent chain of @top (itself included)? */
static bool chain_has(json_t *layers, const char *top, const char *layer_id)
{
	const char *id = top;

	for (int n = 0; id && n < CHAIN_MAX; n++) {
		const char *parent = NULL;
		size_t i;
		json_t *l;

		if (!strcmp(id, layer_id))
			return true;
		json_array_foreach(layers, i, l) {
			const char *lid = rs_json_str(l, "id");

			if (lid && !strcmp(lid, id)) {
				parent = rs_json_str(l, "parent");
				break;
			}
		}
		id = parent;
	}
	return false;
}

static void add_name(json_t *list, json_t *obj)
{
	const char *name = json_string_value(json_array_get(json_object_get(obj, "names"), 0));
	const char *id = rs_json_str(obj, "id");

	if (name)
		json_array_append_new(list, json_string(name));
	else if (id)
		json_array_append_new(list, json_string(id));
}

int resolver_layer_users(const char *graph, const char *layer_id, json_t *images,
			 json_t *containers)
{
	json_t *layers = load_index(graph, "overlay-layers/layers.json");
	json_t *imgs = load_index(graph, "overlay-images/images.json");
	json_t *ctrs = load_index(graph, "overlay-containers/containers.json");
	json_t *img, *ctr;
	size_t i, j;

	if (!layers || !imgs) {
		json_decref(layers);
		json_decref(imgs);
		json_decref(ctrs);
		return -ENOENT;
	}
	json_array_foreach(imgs, i, img) {
		const char *top = rs_json_str(img, "layer");
		const char *iid = rs_json_str(img, "id");

		if (!top || !chain_has(layers, top, layer_id))
			continue;
		add_name(images, img);
		if (!ctrs)
			continue;
		json_array_foreach(ctrs, j, ctr) {
			const char *cimg = rs_json_str(ctr, "image");

			if (iid && cimg && !strcmp(cimg, iid))
				add_name(containers, ctr);
		}
	}
	/* a container's own (upper) layer */
	if (ctrs)
		json_array_foreach(ctrs, j, ctr) {
			const char *cl = rs_json_str(ctr, "layer");

			if (cl && !strcmp(cl, layer_id))
				add_name(containers, ctr);
		}
	json_decref(layers);
	json_decref(imgs);
	json_decref(ctrs);
	return 0;
}
