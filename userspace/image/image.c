// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "version.h"
#include "errors.h"
#include "image.h"
#include "layer.h"
#include "store.h"
#include "tree.h"

void image_opts_init(struct sw_image_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->limits.max_bytes = 64ULL << 30;
	o->limits.max_entries = 4000000;
	o->limits.max_ratio = 1000;
}

void image_free(struct sw_image *img)
{
	if (!img)
		return;
	baseline_header_clear(&img->hdr);
	free(img->entries);
	tree_free(img->tree);
	for (size_t i = 0; i < img->n_flat; i++)
		entry_clear(&img->flat[i]);
	free(img->flat);
	free(img);
}

/*
 * "PATH[:REF]" where PATH may itself hold ':' — the longest prefix that
 * names an existing file (or directory) is the path.
 */
static int split_ref(const char *spec, bool want_dir, char **ret_path, char **ret_ref)
{
	struct stat st;
	const char *colon;
	char *path;

	*ret_ref = NULL;
	if (!stat(spec, &st) || !strchr(spec, ':')) {
		*ret_path = strdup(spec);
		return *ret_path ? 0 : -ENOMEM;
	}
	for (colon = strrchr(spec, ':'); colon; colon = memrchr(spec, ':', colon - spec)) {
		path = strndup(spec, colon - spec);
		if (!path)
			return -ENOMEM;
		if (!stat(path, &st) && !!S_ISDIR(st.st_mode) == want_dir && colon[1]) {
			*ret_path = path;
			*ret_ref = strdup(colon + 1);
			return *ret_ref ? 0 : -ENOMEM;
		}
		free(path);
		if (colon == spec)
			break;
	}
	*ret_path = strdup(spec);
	return *ret_path ? 0 : -ENOMEM;
}

struct layer_jobs {
	struct store *st;
	struct image_plan *plan;
	const struct sw_image_opts *opts;
	struct layer_counters counters;
	struct layer_result *results;
	int *rets;
	struct sw_error *errs;
	size_t next;
	int failed;
};

static void read_one_layer(struct layer_jobs *j, size_t i)
{
	struct image_plan_layer *pl = &j->plan->layers[i];
	struct byte_source src = { 0 };

	j->rets[i] = store_stream_open(j->st, pl->member, &src, &j->errs[i]);
	if (!j->rets[i])
		j->rets[i] = layer_read(&src, &pl->desc, &j->opts->limits, &j->counters,
					&j->results[i], &j->errs[i]);
	store_stream_close(&src);
	if (j->rets[i])
		__atomic_store_n(&j->failed, 1, __ATOMIC_RELAXED);
}

static void *layer_worker(void *arg)
{
	struct layer_jobs *j = arg;
	size_t i;

	while ((i = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED)) < j->plan->n_layers) {
		if (__atomic_load_n(&j->failed, __ATOMIC_RELAXED)) {
			j->rets[i] = -ECANCELED;
			continue;
		}
		read_one_layer(j, i);
	}
	return NULL;
}

static unsigned int worker_count(const struct sw_image_opts *opts, size_t work)
{
	long cpus = opts->jobs ? (long)opts->jobs : sysconf(_SC_NPROCESSORS_ONLN);

	if (cpus < 1)
		cpus = 1;
	if ((size_t)cpus > work)
		cpus = (long)work;
	return cpus > 64 ? 64 : (unsigned int)(cpus ? cpus : 1);
}

/* Read every layer (in parallel), then merge them bottom-up into one tree. */
static int load_layers(struct store *st, struct image_plan *plan, const struct sw_image_opts *opts,
		       struct sw_tree **ret_tree, struct sw_error *err)
{
	size_t n = plan->n_layers;
	struct layer_jobs j = { .st = st, .plan = plan, .opts = opts };
	unsigned int nthreads = worker_count(opts, n);
	pthread_t threads[64];
	unsigned int started = 0;
	struct sw_tree *tree = NULL;
	int ret;

	j.results = calloc(n + 1, sizeof(*j.results));
	j.rets = calloc(n + 1, sizeof(*j.rets));
	j.errs = calloc(n + 1, sizeof(*j.errs));
	if (!j.results || !j.rets || !j.errs) {
		ret = sw_error_set(err, -ENOMEM, "out of memory");
		goto cleanup;
	}
	for (unsigned int t = 1; t < nthreads; t++)
		if (!pthread_create(&threads[started], NULL, layer_worker, &j))
			started++;
	layer_worker(&j);
	for (unsigned int t = 0; t < started; t++)
		pthread_join(threads[t], NULL);

	/* report the lowest failing layer, as a sequential reader would */
	for (size_t i = 0; i < n; i++)
		if (j.rets[i] && j.rets[i] != -ECANCELED) {
			ret = j.rets[i];
			if (err)
				*err = j.errs[i];
			goto cleanup;
		}
	ret = tree_new(&tree);
	if (ret) {
		sw_error_set(err, ret, "out of memory");
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++) {
		ret = layer_apply(tree, &j.results[i], err);
		if (ret) {
			sw_error_prefix(err, ret, "%s", plan->layers[i].name);
			goto cleanup;
		}
	}
	*ret_tree = tree;
	tree = NULL;
cleanup:
	for (size_t i = 0; j.results && i < n; i++)
		layer_result_free(&j.results[i]);
	free(j.results);
	free(j.rets);
	free(j.errs);
	tree_free(tree);
	return ret;
}

/* Plan and read the image in @st (an OCI layout unless @docker) into @img. */
static int load_from_store(struct store *st, const char *ref, bool docker,
			   const struct sw_image_opts *opts, struct sw_image *img,
			   struct sw_error *err)
{
	struct image_plan plan = { 0 };
	int ret;

	if (docker)
		ret = image_plan_docker(st, ref, opts->platform, &plan, err);
	else
		ret = image_plan_oci(st, ref, opts->platform, &plan, err);
	if (ret)
		goto cleanup;
	ret = load_layers(st, &plan, opts, &img->tree, err);
	if (ret)
		goto cleanup;
	img->hdr = plan.hdr;
	memset(&plan.hdr, 0, sizeof(plan.hdr));
	ret = tree_sorted(img->tree, &img->entries, &img->n);
	if (ret)
		sw_error_set(err, ret, "out of memory");
cleanup:
	image_plan_clear(&plan);
	return ret;
}

static int load_image(const char *kind, const char *spec, const struct sw_image_opts *opts,
		      struct sw_image *img, struct sw_error *err)
{
	bool is_oci = !strcmp(kind, "oci");
	char *path = NULL, *ref = NULL;
	struct store *st = NULL;
	int ret;

	ret = split_ref(spec, is_oci, &path, &ref);
	if (ret) {
		sw_error_set(err, ret, "out of memory");
		goto cleanup;
	}
	ret = is_oci ? store_open_dir(path, &st, err) : store_open_tar(path, &st, err);
	if (ret)
		goto cleanup;
	ret = load_from_store(st, ref, !is_oci && !store_has(st, "index.json"), opts, img, err);
	if (ret)
		sw_error_prefix(err, ret, "%s", path);
cleanup:
	store_free(st);
	free(path);
	free(ref);
	return ret;
}

static int load_dir(const char *root, const struct sw_image_opts *opts, struct sw_image *img,
		    struct sw_error *err)
{
	int ret = dirwalk_load(root, opts, &img->flat, &img->n_flat, err);

	if (ret)
		return ret;
	img->entries = malloc((img->n_flat ? img->n_flat : 1) * sizeof(*img->entries));
	if (!img->entries)
		return sw_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < img->n_flat; i++)
		img->entries[i] = &img->flat[i];
	img->n = img->n_flat;
	img->hdr.image_name = strdup(root);
	return img->hdr.image_name ? 0 : sw_error_set(err, -ENOMEM, "out of memory");
}

static int finish_header(struct sw_image *img, const char *kind, const struct sw_image_opts *opts,
			 struct sw_error *err)
{
	img->hdr.source = strdup(kind);
	img->hdr.generator = strdup("sealwatch " SW_VERSION);
	if (opts->name) {
		free(img->hdr.image_name);
		img->hdr.image_name = strdup(opts->name);
	}
	img->hdr.entries = img->n;
	if (!img->hdr.source || !img->hdr.generator)
		return sw_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

int image_load(const char *ref, const struct sw_image_opts *opts, struct sw_image **ret,
	       struct sw_error *err)
{
	static const char *const kinds[] = { "oci", "docker-archive", "dir" };
	struct sw_image *img;
	const char *kind = NULL, *spec = NULL;
	int r;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t n = strlen(kinds[i]);

		if (!strncmp(ref, kinds[i], n) && ref[n] == ':') {
			kind = kinds[i];
			spec = ref + n + 1;
		}
	}
	if (!kind || !*spec)
		return sw_error_set(err, -EINVAL,
				    "%s: not an image reference (use oci:DIR[:REF], "
				    "docker-archive:TAR[:REF] or dir:ROOTFS)",
				    ref);
	img = calloc(1, sizeof(*img));
	if (!img)
		return sw_error_set(err, -ENOMEM, "out of memory");
	if (!strcmp(kind, "dir"))
		r = load_dir(spec, opts, img, err);
	else
		r = load_image(kind, spec, opts, img, err);
	if (!r)
		r = finish_header(img, kind, opts, err);
	if (r) {
		image_free(img);
		return r;
	}
	*ret = img;
	return 0;
}

int image_load_store(struct store *st, const char *source, const struct sw_image_opts *opts,
		     struct sw_image **ret, struct sw_error *err)
{
	struct sw_image *img = calloc(1, sizeof(*img));
	int r;

	if (!img)
		return sw_error_set(err, -ENOMEM, "out of memory");
	r = load_from_store(st, NULL, false, opts, img, err);
	if (!r)
		r = finish_header(img, source, opts, err);
	if (r) {
		image_free(img);
		return r;
	}
	*ret = img;
	return 0;
}
