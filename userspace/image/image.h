/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Load an image or a host tree as a sorted list of entries plus the header
 * that binds a baseline to it. IMAGE references (docs/cli.md):
 *   oci:DIR[:REF]         OCI image layout (index.json → manifest)
 *   docker-archive:TAR[:REF]  `docker save` / skopeo archive, legacy or OCI
 *   dir:ROOTFS            a directory tree (bare-metal host baseline)
 */
#ifndef SW_IMAGE_H
#define SW_IMAGE_H

#include <stddef.h>

#include "baseline.h"
#include "layer.h"

struct sw_error;
struct sw_tree;
struct store;

struct sw_image_opts {
	const char *platform; /* "os/arch[/variant]"; NULL = linux/<host arch> */
	const char *name; /* header image name override */
	unsigned int jobs; /* worker threads; 0 = online CPUs */
	struct layer_limits limits;
	char **excludes; /* dir: glob patterns of paths to skip (fnmatch) */
	size_t n_excludes;
	char **includes; /* dir: walk only these absolute subtrees (and their parents) */
	size_t n_includes;
};

void image_opts_init(struct sw_image_opts *o);

struct sw_image {
	struct sw_baseline_header hdr;
	struct sw_entry **entries; /* sorted by raw path */
	size_t n;
	struct sw_tree *tree; /* images: owns the entries */
	struct sw_entry *flat; /* dir: owns the entries */
	size_t n_flat;
};

int image_load(const char *ref, const struct sw_image_opts *opts, struct sw_image **ret,
	       struct sw_error *err);
void image_free(struct sw_image *img);
/*
 * The image in an already opened store (an OCI layout's members, e.g. a
 * registry's: registry/regstore.c); @source names it in the header.
 */
int image_load_store(struct store *st, const char *source, const struct sw_image_opts *opts,
		     struct sw_image **ret, struct sw_error *err);

/* What to read: resolved from index/manifest/config (image_oci.c, image_docker.c). */
struct image_plan_layer {
	char member[80]; /* "blobs/sha256/<hex>" or a docker-archive member */
	char name[96]; /* "layer N (sha256:…)" for messages */
	struct layer_desc desc;
};

struct image_plan {
	struct sw_baseline_header hdr;
	struct image_plan_layer *layers;
	size_t n_layers;
};

/* Resolve an OCI layout (a directory or the OCI part of a docker-archive). */
int image_plan_oci(struct store *st, const char *ref, const char *platform, struct image_plan *plan,
		   struct sw_error *err);
/* Resolve a legacy docker-archive (manifest.json). */
int image_plan_docker(struct store *st, const char *ref, const char *platform,
		      struct image_plan *plan, struct sw_error *err);
void image_plan_clear(struct image_plan *plan);

/* Walk a directory tree (dirwalk.c); entries sorted, hashed in parallel. */
int dirwalk_load(const char *root, const struct sw_image_opts *opts, struct sw_entry **ret,
		 size_t *ret_n, struct sw_error *err);

#endif
