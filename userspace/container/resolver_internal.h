/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared between resolver.c (cache, cgroup names), the per-runtime readers
 * resolver_storage.c, resolver_docker.c, resolver_containerd.c and their
 * helpers in runtime_state.c. Not a public interface.
 */
#ifndef SW_RESOLVER_INTERNAL_H
#define SW_RESOLVER_INTERNAL_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include <jansson.h>

#include "resolver.h"

struct sw_error;

#define RS_RUNTIME_PODMAN "podman"
#define RS_RUNTIME_CRIO "cri-o"
#define RS_RUNTIME_DOCKER "docker"
#define RS_RUNTIME_CONTAINERD "containerd"

/* Longest string we copy out of runtime state (names, labels, paths). */
#define RS_MAX_FIELD 4096

enum rs_backend {
	RS_BACKEND_STORAGE,
	RS_BACKEND_DOCKER,
	RS_BACKEND_CONTAINERD,
	RS_BACKEND__MAX,
};

/*
 * A JSON index file parsed once per change: (dev, ino, size, mtime, ctime)
 * of the last parse. containers-storage replaces its files by rename, so any
 * write changes the inode.
 */
struct rs_index {
	char *path;
	int stat_valid; /* the fields below describe the file as last seen */
	int present;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
	json_t *by_id; /* object: id -> entry object (NULL when absent/failed) */
	int error; /* negative errno of the last parse, 0 when fine */
	char *errmsg; /* its message */
};

struct rs_entry {
	struct sw_container c;
	enum rs_backend backend;
	char *probe; /* docker/containerd: the file whose existence means "still there" */
	struct rs_entry *next;
};

struct resolver {
	char *root; /* prefix for host paths found inside state files */
	/* containers-storage */
	char *storage_graph_dir; /* <graph>/<driver>-containers */
	char *storage_run_dir; /* <run>/<driver>-containers */
	char *storage_layers_dir; /* <graph>/<driver>, NULL unless overlay */
	struct rs_index storage[3]; /* containers.json, 2x volatile-containers.json */
	struct rs_index images; /* <graph>/<driver>-images/images.json */
	/* Docker, containerd */
	char *docker_root;
	char *containerd_tasks;
	char *containerd_root;

	size_t max_index_size, max_config_size;
	unsigned max_cache_entries;

	struct rs_entry **buckets;
	size_t nbuckets, count;
	struct resolver_stats stats;
};

/* runtime_state.c: helpers of the readers */
int rs_asprintf(char **ret, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int rs_is_hex_id(const char *s);
int rs_safe_name(const char *s);
int rs_load_json(const char *path, size_t max, json_t **ret, struct sw_error *err);
const char *rs_json_str(const json_t *obj, const char *key);
int rs_dup(char **dst, const char *src, const char *what, struct sw_error *err);
int rs_set_image_id(struct sw_container *c, const char *ref);
/* Add a manifest digest ("sha256:<hex>", others ignored) to c->image_digests; -ENOMEM. */
int rs_add_image_digest(struct sw_container *c, const char *digest);
int rs_host_path(const struct resolver *r, const char *bundle, const char *path, char **ret);
int rs_set_k8s(struct sw_container *c, const json_t *kv, struct sw_error *err);
void rs_container_clear(struct sw_container *c);

/*
 * Per-runtime readers. lookup fills @c (id already set) and, for the
 * existence check of prune, *ret_probe; 0, -ENOENT when unknown, other
 * negative errno when the state is unreadable. exists: 1 when the container
 * is (or may still be) there, 0 when it is gone.
 */
int rs_storage_init(struct resolver *r, const char *graph, const char *run, const char *driver);
void rs_storage_free(struct resolver *r);
int rs_storage_lookup(struct resolver *r, struct sw_container *c, struct sw_error *err);
int rs_storage_exists(struct resolver *r, const char *id);

int rs_docker_lookup(struct resolver *r, struct sw_container *c, char **ret_probe,
		     struct sw_error *err);
/*
 * containerd_image.c: the image ID (and, when the spec has none, the image
 * name) of the task in @bundle (<tasks>/<namespace>/<id>) from containerd's
 * metadata DB and content store. 0 (also when it cannot be told: image_id
 * then stays NULL) or -ENOMEM.
 */
int rs_containerd_image(struct resolver *r, const char *bundle, struct sw_container *c);
int rs_containerd_lookup(struct resolver *r, struct sw_container *c, char **ret_probe,
			 struct sw_error *err);

/* A runtime reader, as resolver.c sees it (the shape of the sink drivers). */
struct rs_runtime {
	const char *hint; /* the cgroup name's runtime that asks this reader first */
	int (*lookup)(struct resolver *r, struct sw_container *c, char **ret_probe,
		      struct sw_error *err);
	/* NULL: the container is there while *ret_probe of lookup exists */
	int (*exists)(struct resolver *r, const char *id);
};

extern const struct rs_runtime rs_runtime_storage, rs_runtime_docker, rs_runtime_containerd;

#endif
