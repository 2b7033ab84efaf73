// SPDX-License-Identifier: GPL-2.0-only
/*
 * Docker (moby): <docker-root>/containers/<id>/config.v2.json holds
 *   "ID", "Name" ("/web"), "Image" (image ID), "Driver", "ImageManifest",
 *   "Config": {"Image": what the user ran, "Labels": {…}}.
 * With the graph-driver image store "Image" is the config digest
 * ("sha256:…", what `docker inspect` shows as Image) and the rootfs is
 *   <docker-root>/image/<driver>/layerdb/mounts/<id>/mount-id  -> <mount-id>
 *   <docker-root>/overlay2/<mount-id>/merged
 * With the containerd image store (ImageManifest set, Driver a snapshotter)
 * "Image" is the digest of the image's index or manifest, not of its config:
 * we report no image ID then, and the rootfs is
 *   <docker-root>/rootfs/<snapshotter>/<id>.
 * The repo digests of a graph-driver image (the manifests it was pulled by, what
 * registries attach baselines to) are in
 *   <docker-root>/image/<driver>/repositories.json
 *   {"Repositories": {"name": {"name@sha256:<manifest>": "sha256:<image id>", …}}}
 * Containers the kubelet made through cri-dockerd carry the kubelet's labels
 * (io.kubernetes.pod.name, …) in Config.Labels.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "errors.h"
#include "fileio.h"
#include "resolver.h"
#include "resolver_internal.h"

/* The rootfs path of a graph-driver container, NULL when not derivable. */
static int graphdriver_rootfs(struct resolver *r, struct sw_container *c, const char *driver,
			      struct sw_error *err)
{
	char *path = NULL, *mount_id = NULL;
	size_t len;
	int ret;

	if (rs_asprintf(&path, "%s/image/%s/layerdb/mounts/%s/mount-id", r->docker_root, driver,
			c->id) < 0)
		return sw_error_set(err, -ENOMEM, "out of memory");
	ret = file_read_all(path, 256, &mount_id, &len, err);
	if (ret == -ENOENT) {
		ret = 0; /* the container's layer is not mounted/registered: rootfs unknown */
		goto cleanup;
	}
	if (ret < 0)
		goto cleanup;
	mount_id[strcspn(mount_id, "\r\n")] = '\0';
	if (!rs_safe_name(mount_id)) {
		ret = sw_error_set(err, -EBADMSG, "%s: invalid mount id", path);
		goto cleanup;
	}
	if (!strcmp(driver, "overlay2") || !strcmp(driver, "fuse-overlayfs"))
		ret = rs_asprintf(&c->rootfs, "%s/%s/%s/merged", r->docker_root, driver, mount_id);
	else if (!strcmp(driver, "vfs"))
		ret = rs_asprintf(&c->rootfs, "%s/vfs/dir/%s", r->docker_root, mount_id);
	else if (!strcmp(driver, "btrfs"))
		ret = rs_asprintf(&c->rootfs, "%s/btrfs/subvolumes/%s", r->docker_root, mount_id);
	if (ret < 0)
		sw_error_set(err, ret, "out of memory");
cleanup:
	free(mount_id);
	free(path);
	return ret;
}

/* Manifest digests image c->image_id was pulled by (repositories.json); best effort. */
static int graphdriver_repo_digests(struct resolver *r, struct sw_container *c, const char *driver)
{
	json_t *j = NULL, *repos, *tags, *v;
	const char *name, *ref;
	char *path = NULL;
	int ret = 0;

	if (!c->image_id ||
	    rs_asprintf(&path, "%s/image/%s/repositories.json", r->docker_root, driver) < 0)
		return c->image_id ? -ENOMEM : 0;
	if (rs_load_json(path, r->max_index_size, &j, NULL) < 0)
		goto cleanup; /* no digests: the registry is not asked, nothing else changes */
	repos = json_object_get(j, "Repositories");
	json_object_foreach(repos, name, tags) {
		json_object_foreach(tags, ref, v) {
			const char *at = strchr(ref, '@');

			if (at && json_is_string(v) && !strcmp(json_string_value(v), c->image_id))
				ret = rs_add_image_digest(c, at + 1);
			if (ret < 0)
				goto cleanup;
		}
	}
cleanup:
	json_decref(j);
	free(path);
	return ret;
}

int rs_docker_lookup(struct resolver *r, struct sw_container *c, char **ret_probe,
		     struct sw_error *err)
{
	json_t *j = NULL, *config, *manifest;
	const char *s, *driver;
	char *path = NULL;
	int ret;

	if (rs_asprintf(&path, "%s/containers/%s/config.v2.json", r->docker_root, c->id) < 0)
		return sw_error_set(err, -ENOMEM, "out of memory");
	ret = rs_load_json(path, r->max_config_size, &j, err);
	if (ret < 0)
		goto cleanup;
	if (!json_is_object(j)) {
		ret = sw_error_set(err, -EBADMSG, "%s: not a JSON object", path);
		goto cleanup;
	}
	s = rs_json_str(j, "ID");
	if (s && strcmp(s, c->id)) {
		ret = sw_error_set(err, -EBADMSG, "%s: holds container %.12s", path, s);
		goto cleanup;
	}
	c->runtime = RS_RUNTIME_DOCKER;
	config = json_object_get(j, "Config");
	manifest = json_object_get(j, "ImageManifest");
	driver = rs_json_str(j, "Driver");
	if (driver && !rs_safe_name(driver)) {
		ret = sw_error_set(err, -EBADMSG, "%s: invalid Driver", path);
		goto cleanup;
	}

	ret = -ENOMEM;
	/* containerd image store: "Image" is not the config digest (see above) */
	if (!json_is_object(manifest) && rs_set_image_id(c, rs_json_str(j, "Image")) < 0)
		goto cleanup;
	/* containerd image store: "Image" is the manifest (or index) digest baselines attach to */
	if (json_is_object(manifest) && rs_add_image_digest(c, rs_json_str(j, "Image")) < 0)
		goto cleanup;
	s = rs_json_str(j, "Name");
	if (s && s[0] == '/')
		s++;
	ret = rs_dup(&c->name, s && s[0] ? s : NULL, "container name", err);
	if (ret < 0)
		goto cleanup;
	s = rs_json_str(config, "Image");
	if (s) {
		ret = resolver_normalize_image_name(s, &c->image_name);
		if (ret == -EINVAL)
			ret = 0; /* not a reference we understand: no name, still a container */
		if (ret < 0)
			goto cleanup;
	}
	ret = rs_set_k8s(c, json_object_get(config, "Labels"), err);
	if (ret < 0)
		goto cleanup;
	if (json_is_object(manifest) && driver)
		ret = rs_asprintf(&c->rootfs, "%s/rootfs/%s/%s", r->docker_root, driver, c->id);
	else if (driver)
		ret = graphdriver_rootfs(r, c, driver, err);
	if (ret >= 0 && !json_is_object(manifest) && driver)
		ret = graphdriver_repo_digests(r, c, driver);
	if (ret < 0)
		goto cleanup;
	*ret_probe = path;
	path = NULL;
cleanup:
	if (ret == -ENOMEM)
		sw_error_set(err, ret, "out of memory");
	json_decref(j);
	free(path);
	return ret;
}

const struct rs_runtime rs_runtime_docker = {
	.hint = RS_RUNTIME_DOCKER,
	.lookup = rs_docker_lookup,
};
