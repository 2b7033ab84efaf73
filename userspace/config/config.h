/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Daemon configuration: built-in defaults, then the JSON config file, then
 * command-line flags (docs/daemon.md). Errors name the key.
 */
#ifndef SW_CONFIG_H
#define SW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct sw_error;

#define SW_CONFIG_MAX_LIST 16

struct sw_config {
	char *baseline_dir;
	char *trusted_keys[SW_CONFIG_MAX_LIST];
	size_t n_trusted_keys;
	char *host_baseline;
	char *outputs[SW_CONFIG_MAX_LIST];
	size_t n_outputs;
	bool all_events;
	unsigned int hash_workers; /* threads hashing files */
	unsigned int queue_size; /* pending hash jobs before new ones are reported unverified */
	unsigned int cache_size; /* verdict cache entries */
	int no_baseline_severity; /* ECS severity of no_baseline verdicts */
	bool force_tracepoint; /* skip tp_btf (testing the fallback) */
	int attach; /* enum bpf_loader_attach: auto (0), lsm, tp_btf, tp */
	bool no_kernel_cache; /* never skip verified files in the kernel */
	/* comm names whose read-opens are verified as scripts ("python*": prefix) */
	char *interpreters[SW_CONFIG_MAX_LIST];
	size_t n_interpreters;
	bool interpreters_set; /* given in the file or by flags: no defaults */
	/* absolute globs (a path, or a subtree: a trailing double star) verified on read-open */
	char *verify_read_paths[SW_CONFIG_MAX_LIST];
	size_t n_verify_read_paths;
	bool verbose;
	char *metrics_listen; /* ADDR:PORT of /metrics and /healthz, NULL = off */
	/* registries baselines are fetched from on demand (docs/registry.md) */
	char *registries[SW_CONFIG_MAX_LIST]; /* "HOST[:PORT]", mirrors in order */
	size_t n_registries;
	bool registry_insecure; /* plain HTTP */
	char *registry_ca_file, *registry_auth_file, *registry_token_file;
	char *baseline_cache; /* fetched baselines; default SW_DEFAULT_BASELINE_CACHE */
	unsigned int baseline_cache_max; /* baselines kept on disk */
	unsigned int registry_retry_max; /* seconds: cap of the unreachable-registry backoff */
	unsigned int registry_negative_ttl; /* seconds: "none attached"/refused kept that long */
};

#define SW_DEFAULT_BASELINE_CACHE "/var/cache/sealwatch/baselines"

void config_init(struct sw_config *c);
void config_clear(struct sw_config *c);
/* Merge a JSON config file into @c. -EBADMSG with "FILE: key 'x': problem". */
int config_load_file(struct sw_config *c, const char *path, struct sw_error *err);
/*
 * The key a config_load_file() error message names ("… key 'x' …") into
 * @key; false (and "") when the error is not about one key (syntax, I/O).
 */
bool config_error_key(const char *msg, char *key, size_t size);
/* Append to a list (trusted_keys, outputs); -E2BIG when full. */
int config_list_add(char **list, size_t *n, const char *value);
/* "HOST[:PORT]" (a registry for the registries key): no scheme, no path. */
bool config_registry_ok(const char *s);
/* The default interpreter list when none was configured. */
int config_default_interpreters(struct sw_config *c);
/* "info", "low", "medium", "high", "critical" → ECS severity; -EINVAL. */
int config_severity_from_name(const char *name, int *ret);

#endif
