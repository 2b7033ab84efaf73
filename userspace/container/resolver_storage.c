// SPDX-License-Identifier: GPL-2.0-only
/*
 * podman and CRI-O: containers-storage (github.com/containers/storage).
 *
 *   <graph>/<driver>-containers/containers.json           [{id, names, image, layer, metadata, …}]
 *   <graph>/<driver>-containers/volatile-containers.json  same, for volatile containers
 *                                                          (CRI-O creates all of its own so)
 *   <run>/<driver>-containers/volatile-containers.json    the same with transient_store = true
 *   <graph>/<driver>-containers/<id>/userdata/config.json the OCI spec (CRI-O also writes
 *   <run>/<driver>-containers/<id>/userdata/config.json   a copy under the run root)
 *   <graph>/<driver>-images/images.json                    [{id, names, …}]
 *   <graph>/overlay/<layer>/merged                         the mounted rootfs (overlay driver)
 *
 * "image" is the image ID (hex of the config digest); "metadata" is a JSON
 * string written by podman/CRI-O ("image-name", "image-id", "name", and for
 * CRI-O "pod-name", "pod-id", …). CRI-O's config.json annotations carry
 * io.kubernetes.cri-o.ImageRef (image ID), io.kubernetes.cri-o.ImageName and
 * the kubelet's labels (io.kubernetes.pod.name, …). Both runtimes set
 * io.container.manager ("libpod" or "cri-o"); older CRI-O did not, so the
 * CRI-O-only annotations decide then. podman also sets a few
 * io.kubernetes.cri-o.* annotations (Created, TTY): those prove nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "errors.h"
#include "resolver.h"
#include "resolver_internal.h"

#define MAX_METADATA (1u << 20)

int rs_storage_init(struct resolver *r, const char *graph, const char *run, const char *driver)
{
	int ret = 0;

	ret |= rs_asprintf(&r->storage_graph_dir, "%s/%s-containers", graph, driver);
	ret |= rs_asprintf(&r->storage_run_dir, "%s/%s-containers", run, driver);
	if (!strcmp(driver, "overlay"))
		ret |= rs_asprintf(&r->storage_layers_dir, "%s/overlay", graph);
	ret |= rs_asprintf(&r->storage[0].path, "%s/containers.json", r->storage_graph_dir);
	ret |= rs_asprintf(&r->storage[1].path, "%s/volatile-containers.json",
			   r->storage_graph_dir);
	ret |= rs_asprintf(&r->storage[2].path, "%s/volatile-containers.json", r->storage_run_dir);
	ret |= rs_asprintf(&r->images.path, "%s/%s-images/images.json", graph, driver);
	return ret ? -ENOMEM : 0;
}

static void index_reset(struct rs_index *ix)
{
	json_decref(ix->by_id);
	ix->by_id = NULL;
	free(ix->errmsg);
	ix->errmsg = NULL;
	ix->error = 0;
}

void rs_storage_free(struct resolver *r)
{
	for (int i = 0; i < 3; i++) {
		index_reset(&r->storage[i]);
		free(r->storage[i].path);
	}
	index_reset(&r->images);
	free(r->images.path);
	free(r->storage_graph_dir);
	free(r->storage_run_dir);
	free(r->storage_layers_dir);
}

/* Parse @path: a JSON array of objects with a 64-hex "id" -> object by id. */
static int index_load(const char *path, size_t max, json_t **ret, struct sw_error *err)
{
	json_t *arr = NULL, *by_id = NULL, *el;
	size_t i;
	int ret_err;

	ret_err = rs_load_json(path, max, &arr, err);
	if (ret_err < 0)
		return ret_err;
	if (!json_is_array(arr)) {
		ret_err = sw_error_set(err, -EBADMSG, "%s: not a JSON array", path);
		goto cleanup;
	}
	by_id = json_object();
	ret_err = -ENOMEM;
	if (!by_id)
		goto cleanup;
	json_array_foreach(arr, i, el) {
		const char *id = json_string_value(json_object_get(el, "id"));

		/* entries we cannot key are not ours to judge: skip them */
		if (!json_is_object(el) || !id || !rs_is_hex_id(id))
			continue;
		if (json_object_set(by_id, id, el) < 0)
			goto cleanup;
	}
	*ret = by_id;
	by_id = NULL;
	ret_err = 0;
cleanup:
	if (ret_err == -ENOMEM)
		sw_error_set(err, ret_err, "%s: out of memory", path);
	json_decref(by_id);
	json_decref(arr);
	return ret_err;
}

static int same_stat(const struct rs_index *ix, const struct stat *st)
{
	return ix->stat_valid && ix->present && ix->dev == st->st_dev && ix->ino == st->st_ino &&
	       ix->size == st->st_size && ix->mtime.tv_sec == st->st_mtim.tv_sec &&
	       ix->mtime.tv_nsec == st->st_mtim.tv_nsec && ix->ctime.tv_sec == st->st_ctim.tv_sec &&
	       ix->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

/*
 * Bring @ix up to date with its file: parse it again only when it changed.
 * A missing file is an empty index. 0, or the (cached) parse error.
 */
static int index_refresh(struct resolver *r, struct rs_index *ix, struct sw_error *err)
{
	struct sw_error lerr = { { 0 } };
	struct stat st;
	int ret;

	/* stat before reading: the parsed content is never older than the stat */
	if (stat(ix->path, &st) < 0) {
		if (errno != ENOENT && errno != ENOTDIR)
			return sw_error_set(err, -errno, "%s: %s", ix->path, strerror(errno));
		index_reset(ix);
		ix->stat_valid = 1;
		ix->present = 0;
		return 0;
	}
	if (same_stat(ix, &st))
		return ix->error ? sw_error_set(err, ix->error, "%s", ix->errmsg) : 0;
	index_reset(ix);
	ix->stat_valid = 1;
	ix->present = 1;
	ix->dev = st.st_dev;
	ix->ino = st.st_ino;
	ix->size = st.st_size;
	ix->mtime = st.st_mtim;
	ix->ctime = st.st_ctim;
	r->stats.index_loads++;
	ret = index_load(ix->path, r->max_index_size, &ix->by_id, &lerr);
	if (ret < 0) {
		ix->error = ret;
		ix->errmsg = strdup(lerr.msg);
		if (!ix->errmsg || ret == -ENOMEM)
			ix->stat_valid = 0; /* retry next time */
		return sw_error_set(err, ret, "%s", lerr.msg);
	}
	return 0;
}

/* The entry for @id in the container indexes; *ret NULL when none has it. */
static int find_container(struct resolver *r, const char *id, json_t **ret, struct sw_error *err)
{
	struct sw_error ierr = { { 0 } };
	int failure = 0;

	*ret = NULL;
	for (int i = 0; i < 3; i++) {
		struct rs_index *ix = &r->storage[i];
		struct sw_error e = { { 0 } };
		int ret_err = index_refresh(r, ix, &e);

		if (ret_err < 0) {
			if (!failure) {
				failure = ret_err;
				ierr = e;
			}
			continue;
		}
		if (ix->by_id && (*ret = json_object_get(ix->by_id, id)))
			return 0;
	}
	return failure ? sw_error_set(err, failure, "%s", ierr.msg) : 0;
}

int rs_storage_exists(struct resolver *r, const char *id)
{
	json_t *obj;

	/* an unreadable index is no proof that the container is gone */
	if (find_container(r, id, &obj, NULL) < 0)
		return 1;
	return obj != NULL;
}

/*
 * images.json names[0] of image @image_hex, NULL when unknown. Only a name is
 * at stake here: an unreadable images.json leaves it NULL rather than failing
 * the whole lookup.
 */
static const char *image_name_from_images(struct resolver *r, const char *image_hex)
{
	json_t *img;

	if (!image_hex || index_refresh(r, &r->images, NULL) < 0 || !r->images.by_id)
		return NULL;
	img = json_object_get(r->images.by_id, image_hex);
	return json_string_value(json_array_get(json_object_get(img, "names"), 0));
}

/* images.json "digest" and "digests" of image @image_hex: the manifests it was pulled by. */
static int digests_from_images(struct resolver *r, const char *image_hex, struct sw_container *c)
{
	json_t *img, *list, *v;
	size_t i;
	int ret;

	if (!image_hex || index_refresh(r, &r->images, NULL) < 0 || !r->images.by_id)
		return 0;
	img = json_object_get(r->images.by_id, image_hex);
	ret = rs_add_image_digest(c, json_string_value(json_object_get(img, "digest")));
	list = json_object_get(img, "digests");
	json_array_foreach(list, i, v) {
		if (ret)
			break;
		ret = rs_add_image_digest(c, json_string_value(v));
	}
	return ret;
}

static int is_image_id(const char *s)
{
	return !strncmp(s, "sha256:", 7) || rs_is_hex_id(s);
}

/* The OCI spec of the container: graph root first, then CRI-O's run-root copy. */
static int load_config(struct resolver *r, const char *id, json_t **ret, struct sw_error *err)
{
	const char *dirs[2] = { r->storage_graph_dir, r->storage_run_dir };
	int ret_err = 0;

	*ret = NULL;
	for (int i = 0; i < 2; i++) {
		char *path;

		if (rs_asprintf(&path, "%s/%s/userdata/config.json", dirs[i], id) < 0)
			return sw_error_set(err, -ENOMEM, "out of memory");
		ret_err = rs_load_json(path, r->max_config_size, ret, err);
		free(path);
		if (ret_err != -ENOENT)
			break;
	}
	if (ret_err == -ENOENT)
		return 0; /* created, never started: what containers.json says is all there is */
	if (ret_err == 0 && !json_is_object(*ret)) {
		json_decref(*ret);
		*ret = NULL;
		return sw_error_set(err, -EBADMSG, "config.json of %.12s: not a JSON object", id);
	}
	return ret_err;
}

static int load_metadata(const json_t *obj, json_t **ret, struct sw_error *err)
{
	const char *s = json_string_value(json_object_get(obj, "metadata"));
	json_error_t jerr;

	*ret = NULL;
	if (!s || !s[0])
		return 0;
	if (strlen(s) > MAX_METADATA)
		return sw_error_set(err, -EFBIG, "metadata larger than %u bytes", MAX_METADATA);
	*ret = json_loads(s, 0, &jerr);
	if (!json_is_object(*ret)) {
		json_decref(*ret);
		*ret = NULL;
		return sw_error_set(err, -EBADMSG, "metadata: malformed JSON: %s", jerr.text);
	}
	return 0;
}

static int is_crio(const json_t *ann)
{
	const char *manager = rs_json_str(ann, "io.container.manager");

	if (manager)
		return !strcmp(manager, "cri-o");
	return rs_json_str(ann, "io.kubernetes.cri-o.ImageRef") ||
	       rs_json_str(ann, "io.kubernetes.cri-o.ContainerType");
}

static int set_rootfs(struct resolver *r, struct sw_container *c, const json_t *config,
		      const json_t *ann, const char *layer)
{
	const char *path = rs_json_str(json_object_get(config, "root"), "path");
	int ret;

	if (!path)
		path = rs_json_str(ann, "io.kubernetes.cri-o.MountPoint");
	ret = rs_host_path(r, NULL, path, &c->rootfs);
	if (ret < 0 || c->rootfs)
		return ret;
	if (r->storage_layers_dir && layer && rs_is_hex_id(layer))
		return rs_asprintf(&c->rootfs, "%s/%s/merged", r->storage_layers_dir, layer);
	return 0;
}

int rs_storage_lookup(struct resolver *r, struct sw_container *c, struct sw_error *err)
{
	json_t *obj = NULL, *config = NULL, *meta = NULL, *ann;
	const char *image_hex, *name = NULL;
	int ret, crio;

	ret = find_container(r, c->id, &obj, err);
	if (ret < 0)
		return ret;
	if (!obj)
		return -ENOENT;
	json_incref(obj);
	ret = load_metadata(obj, &meta, err);
	if (ret < 0)
		goto cleanup;
	ret = load_config(r, c->id, &config, err);
	if (ret < 0)
		goto cleanup;
	ann = json_object_get(config, "annotations");
	image_hex = rs_json_str(obj, "image");

	ret = -ENOMEM;
	crio = is_crio(ann);
	if (crio) {
		c->runtime = RS_RUNTIME_CRIO;
		/* ImageRef: the image ID since CRI-O 1.x; older ones may hold a repo digest */
		if (rs_set_image_id(c, rs_json_str(ann, "io.kubernetes.cri-o.ImageRef")) < 0)
			goto cleanup;
		name = rs_json_str(ann, "io.kubernetes.cri-o.ImageName");
	} else {
		c->runtime = RS_RUNTIME_PODMAN;
	}
	if (rs_set_image_id(c, image_hex) < 0)
		goto cleanup;
	if (!name) {
		const char *md = rs_json_str(meta, "image-name");

		/* CRI-O's is what the user asked for, podman's the resolved name */
		if (!crio && md && !is_image_id(md))
			name = md;
		else if (!(name = image_name_from_images(r, image_hex)) && md && !is_image_id(md))
			name = md;
	}
	ret = rs_dup(&c->image_name, name, "image name", err);
	if (!ret && digests_from_images(r, image_hex, c))
		ret = sw_error_set(err, -ENOMEM, "out of memory");
	if (!ret)
		ret = rs_dup(&c->name,
			     json_string_value(json_array_get(json_object_get(obj, "names"), 0)),
			     "container name", err);
	if (!ret)
		ret = rs_set_k8s(c, ann, err);
	/* a sandbox (infra) container may only carry the pod identity under CRI-O's keys */
	if (!ret && crio && !c->pod_name)
		ret = rs_dup(&c->pod_name, rs_json_str(ann, "io.kubernetes.cri-o.KubeName"),
			     "pod name", err);
	if (!ret && crio && !c->pod_namespace)
		ret = rs_dup(&c->pod_namespace, rs_json_str(ann, "io.kubernetes.cri-o.Namespace"),
			     "pod namespace", err);
	if (!ret)
		ret = set_rootfs(r, c, config, ann, rs_json_str(obj, "layer"));
cleanup:
	if (ret == -ENOMEM)
		sw_error_set(err, ret, "out of memory");
	json_decref(meta);
	json_decref(config);
	json_decref(obj);
	return ret;
}

static int storage_lookup(struct resolver *r, struct sw_container *c, char **ret_probe,
			  struct sw_error *err)
{
	(void)ret_probe; /* the index says whether it is still there */
	return rs_storage_lookup(r, c, err);
}

const struct rs_runtime rs_runtime_storage = {
	.hint = NULL, /* podman, CRI-O and anything not named otherwise */
	.lookup = storage_lookup,
	.exists = rs_storage_exists,
};
