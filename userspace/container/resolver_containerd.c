// SPDX-License-Identifier: GPL-2.0-only
/*
 * containerd: every running task has a bundle
 *   /run/containerd/io.containerd.runtime.v2.task/<namespace>/<id>/
 *     config.json   the OCI spec; root.path is usually "rootfs", relative to the bundle
 *     rootfs/       the mounted snapshot
 * Kubernetes' CRI plugin ("k8s.io" namespace) annotates the spec with
 *   io.kubernetes.cri.container-type      "container" or "sandbox"
 *   io.kubernetes.cri.container-name      the container's name in the pod spec
 *   io.kubernetes.cri.image-name          the image as the pod spec names it
 *   io.kubernetes.cri.podsandbox.image-name  (sandboxes: the pause image)
 *   io.kubernetes.cri.sandbox-name, io.kubernetes.cri.sandbox-namespace
 * The image ID (config digest) is learned from containerd's own records, read
 * only (containerd_image.c): the container's image name in its bolt metadata
 * DB, that image's target (manifest or index digest), and the manifest's
 * config digest in the content store. Also for containers made with
 * ctr/nerdctl, which carry no CRI annotations. When that fails, image_id
 * stays NULL and the daemon matches by image name (baseline.match
 * "image_name": the flagged fallback).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "errors.h"
#include "resolver.h"
#include "resolver_internal.h"

#define CRI "io.kubernetes.cri."

/* The bundle directory of task @id in any namespace; -ENOENT when none. */
static int find_bundle(struct resolver *r, const char *id, char **ret, struct sw_error *err)
{
	struct dirent *de;
	DIR *d;
	int ret_err = -ENOENT;

	*ret = NULL;
	d = opendir(r->containerd_tasks);
	if (!d) {
		if (errno == ENOENT || errno == ENOTDIR)
			return -ENOENT;
		return sw_error_set(err, -errno, "%s: %s", r->containerd_tasks, strerror(errno));
	}
	while ((de = readdir(d))) {
		struct stat st;
		char *path;

		if (!rs_safe_name(de->d_name))
			continue;
		if (rs_asprintf(&path, "%s/%s/%s", r->containerd_tasks, de->d_name, id) < 0) {
			ret_err = sw_error_set(err, -ENOMEM, "out of memory");
			break;
		}
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			*ret = path;
			ret_err = 0;
			break;
		}
		free(path);
	}
	closedir(d);
	return ret_err;
}

/* Image name as given (the kubelet passes what the pod spec says), normalized. */
static int set_image_name(struct sw_container *c, const json_t *ann)
{
	const char *s = rs_json_str(ann, CRI "image-name");
	int ret;

	if (!s)
		s = rs_json_str(ann, CRI "podsandbox.image-name");
	if (!s)
		return 0;
	ret = resolver_normalize_image_name(s, &c->image_name);
	return ret == -EINVAL ? 0 : ret;
}

int rs_containerd_lookup(struct resolver *r, struct sw_container *c, char **ret_probe,
			 struct sw_error *err)
{
	char *bundle = NULL, *path = NULL;
	json_t *config = NULL, *ann;
	const char *type;
	int ret;

	ret = find_bundle(r, c->id, &bundle, err);
	if (ret < 0)
		return ret;
	if (rs_asprintf(&path, "%s/config.json", bundle) < 0) {
		ret = -ENOMEM;
		goto cleanup;
	}
	ret = rs_load_json(path, r->max_config_size, &config, err);
	if (ret == -ENOENT) /* the shim is still writing it: no container yet */
		goto cleanup;
	if (ret < 0)
		goto cleanup;
	if (!json_is_object(config)) {
		ret = sw_error_set(err, -EBADMSG, "%s: not a JSON object", path);
		goto cleanup;
	}
	c->runtime = RS_RUNTIME_CONTAINERD;
	ann = json_object_get(config, "annotations");
	type = rs_json_str(ann, CRI "container-type");

	ret = set_image_name(c, ann);
	if (!ret)
		ret = rs_containerd_image(r, bundle, c);
	if (!ret && (!type || strcmp(type, "sandbox")))
		ret = rs_dup(&c->k8s_container_name, rs_json_str(ann, CRI "container-name"),
			     "container name", err);
	if (!ret)
		ret = rs_dup(&c->name, c->k8s_container_name, "container name", err);
	if (!ret)
		ret = rs_dup(&c->pod_name, rs_json_str(ann, CRI "sandbox-name"), "pod name", err);
	if (!ret)
		ret = rs_dup(&c->pod_namespace, rs_json_str(ann, CRI "sandbox-namespace"),
			     "pod namespace", err);
	if (!ret)
		ret = rs_set_k8s(c, ann, err);
	if (!ret)
		ret = rs_host_path(r, bundle, rs_json_str(json_object_get(config, "root"), "path"),
				   &c->rootfs);
	if (ret < 0)
		goto cleanup;
	*ret_probe = path;
	path = NULL;
cleanup:
	if (ret == -ENOMEM)
		sw_error_set(err, ret, "out of memory");
	json_decref(config);
	free(path);
	free(bundle);
	return ret;
}

const struct rs_runtime rs_runtime_containerd = {
	.hint = RS_RUNTIME_CONTAINERD,
	.lookup = rs_containerd_lookup,
};
