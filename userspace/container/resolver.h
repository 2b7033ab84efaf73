/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Container resolver: from the cgroup a process runs in to the container and
 * its image, read from the container runtimes' own state on disk. No runtime
 * API, no credentials. Supported:
 *   podman, CRI-O  containers-storage: overlay-containers/{containers.json,
 *                  volatile-containers.json}, <id>/userdata/config.json (OCI
 *                  spec with annotations), overlay-images/images.json
 *   Docker         <docker-root>/containers/<id>/config.v2.json and the
 *                  layer store's mounts/<id>/mount-id
 *   containerd     task bundles <state>/io.containerd.runtime.v2.task/<ns>/<id>/
 *                  config.json with the CRI plugin's annotations
 *
 * Ownership: the resolver owns every struct sw_container it returns. A pointer
 * from resolver_lookup() stays valid until the next resolver_prune() or
 * resolver_free() on that resolver; copy what must live longer.
 *
 * Threads: a resolver is not thread-safe. The daemon uses it from its event
 * loop thread only; callers that share one must serialize every call.
 *
 * Library module: never logs; returns 0 or a negative errno and fills the
 * optional struct sw_error.
 */
#ifndef SW_RESOLVER_H
#define SW_RESOLVER_H

#include <stddef.h>

struct sw_error;
struct resolver;

#define SW_CONTAINER_ID_LEN 64
#define SW_CONTAINER_MAX_DIGESTS 4

struct sw_container {
	char id[SW_CONTAINER_ID_LEN + 1]; /* full 64-hex container id */
	const char *runtime; /* "podman", "cri-o", "docker", "containerd" (static) */
	char *name; /* runtime's container name, may be NULL */
	/*
	 * "sha256:<hex>" config digest, i.e. the image ID podman, CRI-O and
	 * Docker report. NULL when the runtime keeps it nowhere we read:
	 * containerd (only in its bolt metadata DB, which we do not parse) and
	 * Docker with the containerd image store (config.v2.json then holds
	 * the manifest/index digest, not the config digest). Match by
	 * image_name then.
	 */
	char *image_id;
	char *image_name; /* e.g. "docker.io/library/nginx:1.25", may be NULL */
	/*
	 * Manifest digests ("sha256:…") the image was pulled by, as the runtime
	 * records them (containers-storage images.json "digest"/"digests";
	 * Docker's containerd image store "Image"): what a registry attaches
	 * baselines to. Up to SW_CONTAINER_MAX_DIGESTS, may be none.
	 */
	char *image_digests[SW_CONTAINER_MAX_DIGESTS];
	size_t n_image_digests;
	char *pod_name; /* Kubernetes pod, from annotations/labels, may be NULL */
	char *pod_namespace; /* may be NULL */
	char *k8s_container_name; /* container name in the pod spec, may be NULL */
	/*
	 * Path of the container's root filesystem as seen by this process
	 * (resolver_opts.root + the host path), e.g. the overlay merged dir.
	 * May be NULL; may not exist once the container stopped.
	 */
	char *rootfs;
};

/*
 * Every path below is prefixed with @root (a host root mounted elsewhere, a
 * fixture directory in tests). NULL or "" fields take the defaults shown.
 */
struct resolver_opts {
	const char *root; /* "" */
	const char *storage_root; /* graph root: "/var/lib/containers/storage" */
	const char *storage_run_root; /* run root: "/run/containers/storage" */
	const char *storage_driver; /* "overlay" */
	const char *docker_root; /* "/var/lib/docker" */
	const char *containerd_tasks; /* "/run/containerd/io.containerd.runtime.v2.task" */
	/*
	 * containerd's root: its metadata DB (io.containerd.metadata.v1.bolt/
	 * meta.db) and content store, where the image ID is learned:
	 * "/var/lib/containerd" (k3s: /var/lib/rancher/k3s/agent/containerd)
	 */
	const char *containerd_root;
	size_t max_index_size; /* containers.json, images.json: 64 MiB */
	size_t max_config_size; /* config.json, config.v2.json: 4 MiB */
	unsigned max_cache_entries; /* 4096; a miss past it fails with -E2BIG until pruned */
};

struct resolver_stats {
	unsigned long lookups; /* resolver_lookup() calls */
	unsigned long hits; /* ... answered from the cache */
	unsigned long index_loads; /* containers-storage index files (re)parsed */
	unsigned long pruned; /* cache entries dropped by resolver_prune() */
};

/* @o may be NULL (all defaults). */
int resolver_new(const struct resolver_opts *o, struct resolver **ret, struct sw_error *err);
void resolver_free(struct resolver *r);

/*
 * Container id from a cgroup name: a leaf (libpod-<id>, libpod-<id>.scope,
 * docker-<id>.scope, crio-<id>.scope, crio-<id>, cri-containerd-<id>.scope,
 * <id>), a path (/docker/<id>, /kubepods/burstable/pod<uid>/<id>, nested
 * cgroups below a container's) or a whole /proc/PID/cgroup line. Conmon's
 * cgroups (libpod-conmon-<id>, crio-conmon-<id>) are not the container.
 * @runtime_hint (may be NULL) receives "podman", "cri-o", "docker",
 * "containerd" or NULL when the name does not say. 0, or -ENOENT when the
 * name names no container, -EINVAL for NULL.
 */
int resolver_container_id(const char *cgroup_name, char id[SW_CONTAINER_ID_LEN + 1],
			  const char **runtime_hint);

/*
 * The container of process @pid from any level of any hierarchy of its
 * /proc/PID/cgroup (a container that made cgroups of its own). 0, or
 * -ENOENT (none, or the process is gone). Thread-safe.
 */
int resolver_container_of_pid(int pid, char id[SW_CONTAINER_ID_LEN + 1], const char **runtime_hint);

/*
 * Describe container @id (64 lowercase hex). @runtime_hint (may be NULL) says
 * which runtime's state to read first; the others are tried after it. The
 * result is cached: see "Ownership" above. -ENOENT when no runtime knows @id,
 * -EINVAL for a malformed id, -EBADMSG for malformed state, -EFBIG for a state
 * file over its limit, -E2BIG when the cache is full (lookups never prune by
 * themselves, so earlier results stay valid). When a runtime's state is
 * malformed and no other runtime knows @id, that error wins over -ENOENT.
 */
int resolver_lookup(struct resolver *r, const char *id, const char *runtime_hint,
		    const struct sw_container **ret, struct sw_error *err);

/*
 * Drop the cache entries of containers whose state is gone (call it
 * periodically and when a container cgroup is removed). Invalidates the
 * pointers resolver_lookup() returned.
 */
void resolver_prune(struct resolver *r);

size_t resolver_cache_size(const struct resolver *r);
void resolver_get_stats(const struct resolver *r, struct resolver_stats *ret);

/*
 * Normalize a Docker-style image reference the way Docker and the kubelet do
 * ("nginx:1.25" -> "docker.io/library/nginx:1.25", no tag -> ":latest").
 * Sets *ret to a malloc'd string, or NULL when @name is an image ID rather than
 * a name. 0, -EINVAL when malformed, -ENOMEM.
 */
int resolver_normalize_image_name(const char *name, char **ret);

struct json_t;
/*
 * The images (first name, else ID) and containers (first name, else ID)
 * that use layer @layer_id of the containers-storage graph root @graph
 * ("/var/lib/containers/storage"), appended to the JSON arrays @images and
 * @containers. 0, or -ENOENT when the storage's index files cannot be read.
 */
int resolver_layer_users(const char *graph, const char *layer_id, struct json_t *images,
			 struct json_t *containers);

#endif
