// SPDX-License-Identifier: GPL-2.0-only
/*
 * Container resolver: cgroup names and the cache, in front of one reader per
 * runtime (struct rs_runtime: resolver_storage.c, resolver_docker.c,
 * resolver_containerd.c). The readers' helpers are in runtime_state.c: calls
 * go one way, resolver.c → readers → helpers.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "errors.h"
#include "fileio.h"
#include "resolver.h"
#include "resolver_internal.h"

#define DEFAULT_STORAGE_ROOT "/var/lib/containers/storage"
#define DEFAULT_STORAGE_RUN_ROOT "/run/containers/storage"
#define DEFAULT_STORAGE_DRIVER "overlay"
#define DEFAULT_DOCKER_ROOT "/var/lib/docker"
#define DEFAULT_CONTAINERD_TASKS "/run/containerd/io.containerd.runtime.v2.task"
#define DEFAULT_CONTAINERD_ROOT "/var/lib/containerd"
#define DEFAULT_MAX_INDEX (64u << 20)
#define DEFAULT_MAX_CONFIG (4u << 20)
#define DEFAULT_MAX_CACHE 4096u
#define INITIAL_BUCKETS 64u

/* ---- cgroup names ---- */

struct cg_prefix {
	const char *prefix;
	const char *runtime; /* NULL: a conmon cgroup, not the container */
};

static const struct cg_prefix cg_prefixes[] = {
	{ "libpod-conmon-", NULL },
	{ "crio-conmon-", NULL },
	{ "libpod-", RS_RUNTIME_PODMAN },
	{ "crio-", RS_RUNTIME_CRIO },
	{ "cri-containerd-", RS_RUNTIME_CONTAINERD },
	{ "docker-", RS_RUNTIME_DOCKER },
};

/*
 * One path component. 1 with the id and hint set: names a container; 0: names none;
 * -1: names a conmon cgroup (stop: the process is not in the container).
 */
static int cg_component(const char *s, size_t n, const char *parent, size_t plen, char *id,
			const char **hint)
{
	if (n > 6 && !memcmp(s + n - 6, ".scope", 6))
		n -= 6;
	for (size_t i = 0; i < sizeof(cg_prefixes) / sizeof(cg_prefixes[0]); i++) {
		size_t pl = strlen(cg_prefixes[i].prefix);

		if (n != pl + SW_CONTAINER_ID_LEN || memcmp(s, cg_prefixes[i].prefix, pl))
			continue;
		memcpy(id, s + pl, SW_CONTAINER_ID_LEN);
		id[SW_CONTAINER_ID_LEN] = '\0';
		if (!rs_is_hex_id(id))
			return 0;
		if (!cg_prefixes[i].runtime)
			return -1;
		*hint = cg_prefixes[i].runtime;
		return 1;
	}
	if (n != SW_CONTAINER_ID_LEN)
		return 0;
	/* cgroupfs drivers: /docker/<id>, /kubepods/<qos>/pod<uid>/<id>, … */
	memcpy(id, s, SW_CONTAINER_ID_LEN);
	id[SW_CONTAINER_ID_LEN] = '\0';
	if (!rs_is_hex_id(id))
		return 0;
	*hint = plen == 6 && !memcmp(parent, "docker", 6) ? RS_RUNTIME_DOCKER : NULL;
	return 1;
}

int resolver_container_id(const char *cgroup_name, char id[SW_CONTAINER_ID_LEN + 1],
			  const char **runtime_hint)
{
	const char *path = cgroup_name, *end, *hint = NULL;
	char buf[SW_CONTAINER_ID_LEN + 1];

	if (runtime_hint)
		*runtime_hint = NULL;
	if (!cgroup_name || !id)
		return -EINVAL;
	/* a /proc/PID/cgroup line: "hierarchy-ID:controllers:path" */
	if (path[0] >= '0' && path[0] <= '9') {
		const char *p = path + strspn(path, "0123456789");

		if (*p == ':' && (p = strchr(p + 1, ':')))
			path = p + 1;
	}
	end = path + strcspn(path, "\n");
	/* from the leaf up: processes in nested cgroups still belong to the container */
	while (end > path) {
		const char *start = end, *pend, *parent;
		int r;

		while (start > path && start[-1] != '/')
			start--;
		pend = start > path ? start - 1 : path;
		parent = pend;
		while (parent > path && parent[-1] != '/')
			parent--;
		r = cg_component(start, (size_t)(end - start), parent, (size_t)(pend - parent), buf,
				 &hint);
		if (r < 0)
			return -ENOENT;
		if (r > 0) {
			memcpy(id, buf, sizeof(buf));
			if (runtime_hint)
				*runtime_hint = hint;
			return 0;
		}
		end = pend;
	}
	return -ENOENT;
}

int resolver_container_of_pid(int pid, char id[SW_CONTAINER_ID_LEN + 1], const char **runtime_hint)
{
	char path[64], line[1024];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	f = fopen(path, "re");
	if (!f)
		return -ENOENT;
	while (!found && fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':'), *comp, *save = NULL;

		line[strcspn(line, "\n")] = '\0';
		p = p ? strchr(p + 1, ':') : NULL;
		for (comp = p ? strtok_r(p + 1, "/", &save) : NULL; comp && !found;
		     comp = strtok_r(NULL, "/", &save))
			found = !resolver_container_id(comp, id, runtime_hint);
	}
	fclose(f);
	return found ? 0 : -ENOENT;
}

/* ---- the resolver and its cache ---- */

static int opt_path(char **ret, const char *root, const char *val, const char *def)
{
	return rs_asprintf(ret, "%s%s", root, val && val[0] ? val : def);
}

int resolver_new(const struct resolver_opts *o, struct resolver **ret, struct sw_error *err)
{
	static const struct resolver_opts defaults;
	char *graph = NULL, *run = NULL;
	struct resolver *r;
	const char *root;
	int ret_err;

	*ret = NULL;
	if (!o)
		o = &defaults;
	root = o->root ? o->root : "";
	if (strlen(root) > RS_MAX_FIELD)
		return sw_error_set(err, -EINVAL, "resolver root path too long");
	if (o->storage_driver && o->storage_driver[0] && !rs_safe_name(o->storage_driver))
		return sw_error_set(err, -EINVAL, "invalid storage driver name \"%s\"",
				    o->storage_driver);
	r = calloc(1, sizeof(*r));
	if (!r)
		return sw_error_set(err, -ENOMEM, "out of memory");
	r->max_index_size = o->max_index_size ? o->max_index_size : DEFAULT_MAX_INDEX;
	r->max_config_size = o->max_config_size ? o->max_config_size : DEFAULT_MAX_CONFIG;
	r->max_cache_entries = o->max_cache_entries ? o->max_cache_entries : DEFAULT_MAX_CACHE;
	r->nbuckets = INITIAL_BUCKETS;
	r->buckets = calloc(r->nbuckets, sizeof(*r->buckets));
	ret_err = -ENOMEM;
	/* strip one trailing '/' so that root + "/var/…" has no "//" */
	r->root = strdup(root);
	if (!r->buckets || !r->root)
		goto cleanup;
	if (r->root[0] && r->root[strlen(r->root) - 1] == '/')
		r->root[strlen(r->root) - 1] = '\0';
	if (opt_path(&graph, r->root, o->storage_root, DEFAULT_STORAGE_ROOT) < 0 ||
	    opt_path(&run, r->root, o->storage_run_root, DEFAULT_STORAGE_RUN_ROOT) < 0 ||
	    opt_path(&r->docker_root, r->root, o->docker_root, DEFAULT_DOCKER_ROOT) < 0 ||
	    opt_path(&r->containerd_tasks, r->root, o->containerd_tasks, DEFAULT_CONTAINERD_TASKS) <
		    0 ||
	    opt_path(&r->containerd_root, r->root, o->containerd_root, DEFAULT_CONTAINERD_ROOT) < 0)
		goto cleanup;
	ret_err =
		rs_storage_init(r, graph, run,
				o->storage_driver && o->storage_driver[0] ? o->storage_driver :
									    DEFAULT_STORAGE_DRIVER);
	if (ret_err < 0)
		goto cleanup;
	*ret = r;
	r = NULL;
	ret_err = 0;
cleanup:
	free(graph);
	free(run);
	resolver_free(r);
	if (ret_err < 0)
		sw_error_set(err, ret_err, "resolver: %s", strerror(-ret_err));
	return ret_err;
}

static void entry_free(struct rs_entry *e)
{
	if (!e)
		return;
	rs_container_clear(&e->c);
	free(e->probe);
	free(e);
}

void resolver_free(struct resolver *r)
{
	if (!r)
		return;
	for (size_t i = 0; r->buckets && i < r->nbuckets; i++) {
		struct rs_entry *e = r->buckets[i], *next;

		for (; e; e = next) {
			next = e->next;
			entry_free(e);
		}
	}
	free(r->buckets);
	rs_storage_free(r);
	free(r->docker_root);
	free(r->containerd_tasks);
	free(r->containerd_root);
	free(r->root);
	free(r);
}

/* the id is random hex: its first 16 digits are a fine hash */
static size_t bucket_of(const char *id, size_t nbuckets)
{
	uint64_t h = 0;

	for (int i = 0; i < 16; i++)
		h = h << 4 | (uint64_t)(id[i] <= '9' ? id[i] - '0' : id[i] - 'a' + 10);
	return (size_t)h & (nbuckets - 1);
}

static struct rs_entry *cache_find(const struct resolver *r, const char *id)
{
	struct rs_entry *e = r->buckets[bucket_of(id, r->nbuckets)];

	while (e && strcmp(e->c.id, id))
		e = e->next;
	return e;
}

static void cache_grow(struct resolver *r)
{
	size_t n = r->nbuckets * 2;
	struct rs_entry **b = calloc(n, sizeof(*b));

	if (!b)
		return; /* keep the smaller table: slower, still correct */
	for (size_t i = 0; i < r->nbuckets; i++) {
		struct rs_entry *e = r->buckets[i], *next;

		for (; e; e = next) {
			size_t k = bucket_of(e->c.id, n);

			next = e->next;
			e->next = b[k];
			b[k] = e;
		}
	}
	free(r->buckets);
	r->buckets = b;
	r->nbuckets = n;
}

/* Every runtime reader, in the order they are asked (after the hinted one). */
static const struct rs_runtime *const runtimes[RS_BACKEND__MAX] = {
	[RS_BACKEND_STORAGE] = &rs_runtime_storage,
	[RS_BACKEND_DOCKER] = &rs_runtime_docker,
	[RS_BACKEND_CONTAINERD] = &rs_runtime_containerd,
};

/* The reader a runtime hint names first; containers-storage when none does. */
static enum rs_backend hint_backend(const char *hint)
{
	for (int i = 0; hint && i < RS_BACKEND__MAX; i++)
		if (runtimes[i]->hint && !strcmp(hint, runtimes[i]->hint))
			return (enum rs_backend)i;
	return RS_BACKEND_STORAGE;
}

int resolver_lookup(struct resolver *r, const char *id, const char *runtime_hint,
		    const struct sw_container **ret, struct sw_error *err)
{
	struct sw_error first_err = { { 0 } };
	struct rs_entry *e = NULL;
	enum rs_backend first;
	int ret_err = -ENOENT, failure = 0;

	*ret = NULL;
	if (!r || !id || !rs_is_hex_id(id))
		return sw_error_set(err, -EINVAL, "invalid container id \"%.80s\"",
				    id ? id : "(null)");
	r->stats.lookups++;
	e = cache_find(r, id);
	if (e) {
		r->stats.hits++;
		*ret = &e->c;
		return 0;
	}
	/* no implicit prune here: it would free entries the caller may still hold */
	if (r->count >= r->max_cache_entries)
		return sw_error_set(err, -E2BIG, "container cache full (%u entries): prune it",
				    r->max_cache_entries);
	e = calloc(1, sizeof(*e));
	if (!e)
		return sw_error_set(err, -ENOMEM, "out of memory");
	/* the hinted runtime first, then the others: a hint is a guess from a name */
	first = hint_backend(runtime_hint);
	for (int i = 0; i < RS_BACKEND__MAX; i++) {
		enum rs_backend b = i == 0 ? first : (enum rs_backend)(i <= (int)first ? i - 1 : i);
		struct sw_error berr = { { 0 } };

		rs_container_clear(&e->c);
		free(e->probe);
		e->probe = NULL;
		memcpy(e->c.id, id, sizeof(e->c.id));
		ret_err = runtimes[b]->lookup(r, &e->c, &e->probe, &berr);
		if (ret_err == 0) {
			e->backend = b;
			break;
		}
		/* remember the first real failure: it beats a later "unknown" */
		if (ret_err != -ENOENT && !failure) {
			failure = ret_err;
			first_err = berr;
		}
	}
	if (ret_err < 0) {
		ret_err = failure ? failure : -ENOENT;
		if (failure)
			sw_error_set(err, ret_err, "container %.12s: %s", id, first_err.msg);
		else
			sw_error_set(err, ret_err, "container %.12s: unknown to every runtime", id);
		goto cleanup;
	}
	{
		size_t k = bucket_of(id, r->nbuckets);

		e->next = r->buckets[k];
		r->buckets[k] = e;
	}
	r->count++;
	if (r->count > 2 * r->nbuckets)
		cache_grow(r);
	*ret = &e->c;
	e = NULL;
cleanup:
	entry_free(e);
	return ret_err;
}

static int entry_exists(struct resolver *r, const struct rs_entry *e)
{
	struct stat st;

	if (runtimes[e->backend]->exists)
		return runtimes[e->backend]->exists(r, e->c.id);
	if (!e->probe)
		return 0;
	/* only a definite "gone" drops it: EACCES or EIO keep the entry */
	return stat(e->probe, &st) == 0 || (errno != ENOENT && errno != ENOTDIR);
}

void resolver_prune(struct resolver *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nbuckets; i++) {
		struct rs_entry **pp = &r->buckets[i];

		while (*pp) {
			struct rs_entry *e = *pp;

			if (entry_exists(r, e)) {
				pp = &e->next;
				continue;
			}
			*pp = e->next;
			entry_free(e);
			r->count--;
			r->stats.pruned++;
		}
	}
}

size_t resolver_cache_size(const struct resolver *r)
{
	return r ? r->count : 0;
}

void resolver_get_stats(const struct resolver *r, struct resolver_stats *ret)
{
	if (r)
		*ret = r->stats;
	else
		memset(ret, 0, sizeof(*ret));
}
