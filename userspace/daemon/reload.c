// SPDX-License-Identifier: GPL-2.0-only
/* reload.c: the baseline store, its swaps, and the SIGHUP reload of the config (daemon.h). */
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <jansson.h>

#include "bpf_loader.h"
#include "bstore.h"
#include "config.h"
#include "crypto.h"
#include "daemon.h"
#include "enforce.h"
#include "errors.h"
#include "log.h"
#include "report.h"
#include "sigstore.h"
#include "sink.h"
#include "vcache.h"
#include "verifier.h"

static void report_baseline(void *ctx, const char *path, int err, const char *msg)
{
	struct daemon *d = ctx;

	if (err) {
		char check[32];
		json_t *extra = json_pack("{s:{s:s},s:s}", "baseline", "path", path, "reason", msg);

		/* a keyless refusal names the Sigstore check that failed */
		if (extra && bstore_refusal_check(msg, check, sizeof(check)))
			json_object_set_new(json_object_get(extra, "baseline"), "check",
					    json_string(check));
		log_warn("baseline %s refused: %s", path, msg);
		/* (from the loader thread: the event loop counts too, see on_fetch.c) */
		__atomic_add_fetch(&d->stats.baselines_refused, 1, __ATOMIC_RELAXED);
		report_daemon(d->report, "alert", "baseline_refused", SW_SEVERITY_HIGH, extra,
			      "baseline %s refused: %s", path, msg);
	} else {
		log_info("baseline %s loaded", path);
	}
}

void emit_loaded(struct daemon *d)
{
	report_daemon(
		d->report, "event", "baselines_loaded", SW_SEVERITY_INFO,
		json_pack("{s:{s:I}}", "baselines", "count", (json_int_t)bstore_count(d->store)),
		"%zu verified baselines loaded", bstore_count(d->store));
}

size_t identity_policies(const struct sw_config *cfg, struct sigstore_policy *out)
{
	for (size_t i = 0; i < cfg->n_trusted_identities; i++)
		out[i] = (struct sigstore_policy){
			.issuer = cfg->trusted_identities[i].issuer,
			.identity = cfg->trusted_identities[i].identity,
			.identity_regexp = cfg->trusted_identities[i].identity_regexp,
			.images = (const char *const *)cfg->trusted_identities[i].images,
			.n_images = cfg->trusted_identities[i].n_images,
		};
	return cfg->n_trusted_identities;
}

/* A new store snapshot from @cfg's baselines verified with @keys. */
static int build_store(struct daemon *d, const struct sw_config *cfg, struct sw_pubkey *const *keys,
		       size_t n_keys, struct sw_bstore **ret, struct sw_error *err)
{
	struct sigstore_policy ids[SW_CONFIG_MAX_LIST];
	struct bstore_keyless keyless = { .identities = ids };
	struct sigstore_trusted_root *root = NULL;
	struct bstore_opts o = {
		.dir = cfg->baseline_dir,
		/* the fetcher's cache (started with the daemon: its running dir) */
		.cache_dir = d->fetcher ? d->cfg.baseline_cache : NULL,
		.host_baseline = cfg->host_baseline,
		.keys = keys,
		.n_keys = n_keys,
		.max_size = cfg->baseline_max_size,
		.keyless = &keyless,
		.report = report_baseline,
		.ctx = d,
	};
	int r;

	if (cfg->trusted_root) {
		/* read at every (re)load: the user updates it like any package file */
		r = sigstore_trusted_root_load(cfg->trusted_root, &root, err);
		if (r)
			return r;
		keyless.root = root;
		keyless.n_identities = identity_policies(cfg, ids);
	}
	r = bstore_load(&o, ret, err);
	sigstore_trusted_root_free(root);
	return r;
}

static void swap_store(struct daemon *d, struct sw_bstore *s)
{
	/* cache entries point into the old snapshot: reset before it can be freed */
	vcache_reset(d->cache);
	if (d->bpf) {
		int n = bpf_loader_kcache_flush(d->bpf);

		if (n < 0)
			log_warn("in-kernel cache flush failed: %s", strerror(-n));
	}
	bstore_unref(d->store);
	d->store = s;
	/*
	 * the old store was built by the loader thread, in its malloc arena:
	 * give what it freed back to the kernel, or every reload adds to RSS
	 */
	malloc_trim(0);
	enforce_set_store(d->enforce, s);
	if (d->bpf) /* at start-up, announced once the programs are attached */
		emit_loaded(d);
}

int load_store(struct daemon *d, struct sw_error *err)
{
	struct sw_bstore *s;
	int r = build_store(d, &d->cfg, d->keys, d->n_keys, &s, err);

	if (r)
		return r;
	swap_store(d, s);
	return 0;
}

void schedule_reload(struct daemon *d, int delay_ms)
{
	clock_gettime(CLOCK_MONOTONIC, &d->reload_at);
	d->reload_at.tv_nsec += (long)delay_ms * 1000000L;
	d->reload_at.tv_sec += d->reload_at.tv_nsec / 1000000000L;
	d->reload_at.tv_nsec %= 1000000000L;
	d->reload_pending = true;
}

/* Reload when a baseline or signature in @dir is written, renamed or deleted. */
static void watch_dir(struct daemon *d, const char *dir)
{
	if (!dir || d->inofd < 0)
		return;
	if (inotify_add_watch(d->inofd, dir,
			      IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE) < 0)
		log_warn("cannot watch %s (%s): reload with SIGHUP", dir, strerror(errno));
}

/* Watch the baseline dir and the host baseline's dir (adding a watch twice is harmless). */
void watch_baselines(struct daemon *d, const struct sw_config *cfg)
{
	watch_dir(d, cfg->baseline_dir);
	if (cfg->host_baseline) {
		char dir[PATH_MAX], *slash;

		snprintf(dir, sizeof(dir), "%s", cfg->host_baseline);
		slash = strrchr(dir, '/');
		if (slash)
			*(slash == dir ? slash + 1 : slash) = '\0';
		watch_dir(d, slash ? dir : ".");
	}
}

static void config_failed(struct daemon *d, const char *key, const char *msg)
{
	json_t *c =
		json_pack("{s:s,s:s}", "path", d->config_file ? d->config_file : "", "error", msg);

	if (key && *key)
		json_object_set_new(c, "key", json_string(key));
	log_error("reload failed, keeping the running config: %s", msg);
	d->stats.reloads_failed++;
	report_daemon(d->report, "alert", "config_error", SW_SEVERITY_MEDIUM,
		      json_pack("{s:o}", "config", c),
		      "config reload failed, running config kept: %s", msg);
}

static bool str_differs(const char *a, const char *b)
{
	return (a == NULL) != (b == NULL) || (a && strcmp(a, b));
}

static bool list_differs(char *const *a, size_t na, char *const *b, size_t nb)
{
	if (na != nb)
		return true;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]))
			return true;
	return false;
}

/* A list key keeps its running value: @old's strings move into @nc. */
static void keep_list(char **dst, size_t *n_dst, char **src, size_t *n_src, size_t size)
{
	for (size_t i = 0; i < *n_dst; i++)
		free(dst[i]);
	memcpy(dst, src, size);
	*n_dst = *n_src;
	*n_src = 0;
}

#define KEEP_LIST(f) keep_list(nc->f, &nc->n_##f, old->f, &old->n_##f, sizeof(old->f))
#define KEEP_STR(f)             \
	do {                    \
		free(nc->f);    \
		nc->f = old->f; \
		old->f = NULL;  \
	} while (0)
#define NOTE(k) json_array_append_new(keys, json_string(k))

/* The fetcher runs with the registry settings it started with. */
static void keep_registry_keys(struct sw_config *old, struct sw_config *nc, json_t *keys)
{
	if (list_differs(old->registries, old->n_registries, nc->registries, nc->n_registries) ||
	    str_differs(nc->baseline_cache, old->baseline_cache) ||
	    str_differs(nc->registry_ca_file, old->registry_ca_file) ||
	    str_differs(nc->registry_auth_file, old->registry_auth_file) ||
	    str_differs(nc->registry_token_file, old->registry_token_file) ||
	    nc->registry_insecure != old->registry_insecure ||
	    nc->baseline_cache_max != old->baseline_cache_max ||
	    nc->registry_retry_max != old->registry_retry_max ||
	    nc->registry_negative_ttl != old->registry_negative_ttl)
		NOTE("registries");
	KEEP_LIST(registries);
	KEEP_STR(baseline_cache);
	KEEP_STR(registry_ca_file);
	KEEP_STR(registry_auth_file);
	KEEP_STR(registry_token_file);
	nc->registry_insecure = old->registry_insecure;
	nc->baseline_cache_max = old->baseline_cache_max;
	nc->registry_retry_max = old->registry_retry_max;
	nc->registry_negative_ttl = old->registry_negative_ttl;
}

/*
 * Keys that shape threads, sockets, the BPF programs or the sinks set at
 * start: a reload keeps their running values (moved into @nc) and says which
 * changed. Returns the number of such keys, their names in @keys.
 */
static size_t keep_restart_keys(struct daemon *d, struct sw_config *nc, json_t *keys)
{
	struct sw_config *old = &d->cfg;

	if (list_differs(old->outputs, old->n_outputs, nc->outputs, nc->n_outputs))
		NOTE("outputs");
	if (nc->hash_workers != old->hash_workers)
		NOTE("hash_workers");
	if (nc->queue_size != old->queue_size)
		NOTE("queue_size");
	if (nc->cache_size != old->cache_size)
		NOTE("cache_size");
	if (nc->force_tracepoint != old->force_tracepoint)
		NOTE("force_tracepoint");
	if (nc->attach != old->attach)
		NOTE("attach");
	if (str_differs(nc->metrics_listen, old->metrics_listen))
		NOTE("metrics_listen");
	/* compiled into the BPF programs' read-only data at load */
	if (list_differs(old->interpreters, old->n_interpreters, nc->interpreters,
			 nc->n_interpreters))
		NOTE("interpreters");
	if (list_differs(old->verify_read_paths, old->n_verify_read_paths, nc->verify_read_paths,
			 nc->n_verify_read_paths))
		NOTE("verify_read_paths");
	keep_registry_keys(old, nc, keys);
	KEEP_LIST(outputs);
	KEEP_LIST(interpreters);
	nc->interpreters_set = old->interpreters_set;
	KEEP_LIST(verify_read_paths);
	KEEP_STR(metrics_listen);
	nc->hash_workers = old->hash_workers;
	nc->queue_size = old->queue_size;
	nc->cache_size = old->cache_size;
	nc->force_tracepoint = old->force_tracepoint;
	nc->attach = old->attach;
	return json_array_size(keys);
}

#undef NOTE
#undef KEEP_STR
#undef KEEP_LIST

/*
 * SIGHUP: read the config file and command line again and validate all of
 * it — config, trusted keys, baseline store — before anything changes; on
 * any error the running config stays and a config_error alert names the key.
 * Runs on the event loop thread between two ring buffer polls: events wait in
 * the ring buffer meanwhile, none is dropped.
 */
/* A reload's new state, checked in full before any of it is applied. */
struct reload {
	struct sw_config cfg;
	struct sw_pubkey *keys[SW_CONFIG_MAX_LIST];
	size_t n_keys;
	struct sw_bstore *store;
};

/*
 * Read and check everything but the baselines (the loader thread reads
 * those); on an error a config_error alert names the key.
 */
static int reload_prepare(struct daemon *d, struct reload *n)
{
	struct sw_error err = { { 0 } };
	const char *config_file;
	char key[64];
	int r;

	r = config_from_args(&n->cfg, d->argc, d->argv, &config_file, &err);
	if (r) {
		config_error_key(err.msg, key, sizeof(key));
		config_failed(d, key, err.msg);
		return r;
	}
	/* as at start: compared with the running list */
	if (config_default_interpreters(&n->cfg) || config_default_layer_stores(&n->cfg)) {
		config_failed(d, "interpreters", "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < n->cfg.n_trusted_keys; i++, n->n_keys++) {
		r = crypto_pubkey_load(n->cfg.trusted_keys[i], &n->keys[i], &err);
		if (r) {
			config_failed(d, "trusted_keys", err.msg);
			return r;
		}
	}
	/* the outputs as a start would check them, though they apply at the next start */
	r = sinks_check(n->cfg.outputs, n->cfg.n_outputs, &err);
	if (r) {
		config_failed(d, "outputs", err.msg);
		return r;
	}
	return 0;
}

/* Keys that need a restart keep their running values: say which changed. */
static void report_restart_keys(struct daemon *d, struct sw_config *nc)
{
	json_t *restart = json_array();

	if (keep_restart_keys(d, nc, restart)) {
		char *names = json_dumps(restart, JSON_COMPACT);

		log_warn("reload: %s changed; they take effect at the next restart",
			 names ? names : "some keys");
		report_daemon(d->report, "event", "config_restart_needed", SW_SEVERITY_LOW,
			      json_pack("{s:{s:s,s:O}}", "config", "path", d->config_file,
					"restart_keys", restart),
			      "config keys %s changed: they take effect at the next restart",
			      names ? names : "");
		free(names);
	}
	json_decref(restart);
}

/* All checked: the new config, keys and store replace the running ones. */
static void reload_apply(struct daemon *d, struct reload *n)
{
	report_restart_keys(d, &n->cfg);
	for (size_t i = 0; i < d->n_keys; i++)
		crypto_pubkey_free(d->keys[i]);
	memcpy(d->keys, n->keys, sizeof(n->keys));
	d->n_keys = n->n_keys;
	n->n_keys = 0;
	config_clear(&d->cfg);
	d->cfg = n->cfg;
	config_init(&n->cfg);
	log_set_level(d->cfg.verbose ? SW_LOG_DEBUG : SW_LOG_INFO);
	report_set_all_events(d->report, d->cfg.all_events);
	verifier_set_hash_max_size(d->verifier, d->cfg.hash_max_size);
	report_set_fold_window(d->report, d->cfg.fold_window);
	/* all events must reach userspace: no in-kernel skipping then */
	d->kcache = !d->cfg.no_kernel_cache && !d->cfg.all_events;
	if (d->bpf && bpf_loader_kcache_set(d->bpf, d->kcache)) {
		log_warn("reload: the in-kernel cache cannot be switched %s",
			 d->kcache ? "on" : "off");
		d->kcache = bpf_loader_kcache_enabled(d->bpf);
	}
	watch_baselines(d, &d->cfg);
	d->stats.reloads_ok++;
	report_daemon(d->report, "event", "config_reloaded", SW_SEVERITY_INFO,
		      json_pack("{s:{s:s}}", "config", "path", d->config_file),
		      "config %s reloaded", d->config_file);
	swap_store(d, n->store);
	n->store = NULL;
	enforce_set_policy(d->enforce, &d->cfg.policy);
	if (!d->enforce) { /* a scope decides now: the backend starts */
		struct sw_error err = { { 0 } };

		if (enforce_start(d, &err)) {
			log_error("reload: enforce backend: %s", err.msg);
			enforce_stop(d->enforce);
			d->enforce = NULL;
		}
	}
	log_info("config %s reloaded, %zu baselines", d->config_file, bstore_count(d->store));
}

/*
 * Baselines are read and verified off the event loop: one load at a time,
 * in a thread; the event loop swaps the finished store in (applying the
 * config reload that waited for it), so a large baseline never stops the
 * ring buffer from being read. A reload asked for meanwhile runs next.
 */
struct loader {
	pthread_t thread;
	struct daemon *d;
	bool config; /* a config reload (n), or the baselines only (d->cfg, d->keys) */
	struct reload n;
	struct sw_bstore *store;
	struct sw_error err;
	int r;
	bool done; /* set by the thread (atomic) */
	struct timespec started;
};

static void *load_thread(void *arg)
{
	struct loader *l = arg;
	struct daemon *d = l->d;

	pthread_setname_np(pthread_self(), "sw-loader");
	l->r = l->config ? build_store(d, &l->n.cfg, l->n.keys, l->n.n_keys, &l->store, &l->err) :
			   build_store(d, &d->cfg, d->keys, d->n_keys, &l->store, &l->err);
	__atomic_store_n(&l->done, true, __ATOMIC_RELEASE);
	return NULL;
}

static void loader_free(struct loader *l)
{
	for (size_t i = 0; i < l->n.n_keys; i++)
		crypto_pubkey_free(l->n.keys[i]);
	config_clear(&l->n.cfg);
	bstore_unref(l->store);
	free(l);
}

static void loader_start(struct daemon *d, struct loader *l)
{
	l->d = d;
	clock_gettime(CLOCK_MONOTONIC, &l->started);
	d->loader = l;
	if (pthread_create(&l->thread, NULL, load_thread, l)) {
		log_warn("no thread for the baseline loader: loading on the event loop");
		load_thread(l);
		l->thread = pthread_self(); /* (not joined) */
	}
}

bool reload_busy(struct daemon *d, long long *seconds)
{
	struct timespec now;

	if (!d->loader)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (seconds)
		*seconds = now.tv_sec - d->loader->started.tv_sec;
	return true;
}

/* The finished load applied, or dropped (@apply false: at exit). */
static void loader_finish(struct daemon *d, bool apply)
{
	struct loader *l = d->loader;

	if (!pthread_equal(l->thread, pthread_self()))
		pthread_join(l->thread, NULL);
	d->loader = NULL;
	if (apply && l->r) {
		if (l->config) { /* only system errors: an unreadable baseline_dir */
			const char *dir = l->n.cfg.baseline_dir;

			config_failed(d,
				      dir && !strncmp(l->err.msg, dir, strlen(dir)) ?
					      "baseline_dir" :
					      NULL,
				      l->err.msg);
		} else {
			log_error("reload failed, keeping the previous baselines: %s", l->err.msg);
		}
	} else if (apply && l->config) {
		l->n.store = l->store;
		l->store = NULL;
		reload_apply(d, &l->n);
	} else if (apply) {
		swap_store(d, l->store);
		l->store = NULL;
	}
	loader_free(l);
}

void reload_poll(struct daemon *d)
{
	if (d->loader && __atomic_load_n(&d->loader->done, __ATOMIC_ACQUIRE))
		loader_finish(d, true);
}

void reload_stop(struct daemon *d)
{
	if (d->loader)
		loader_finish(d, false);
}

void reload_baselines(struct daemon *d)
{
	struct loader *l;

	if (d->loader)
		return;
	l = calloc(1, sizeof(*l));
	if (!l) {
		log_error("reload failed, keeping the previous baselines: out of memory");
		return;
	}
	config_init(&l->n.cfg);
	loader_start(d, l);
}

void reload_config(struct daemon *d)
{
	struct loader *l;

	if (d->loader)
		return;
	if (!d->config_file) { /* nothing to re-read: the baselines only */
		reload_baselines(d);
		return;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		config_failed(d, NULL, "out of memory");
		return;
	}
	l->config = true;
	config_init(&l->n.cfg);
	if (reload_prepare(d, &l->n)) {
		loader_free(l);
		return;
	}
	loader_start(d, l);
}
