/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Daemon configuration: built-in defaults, then the JSON config file, then
 * command-line flags (docs/daemon.md). Errors name the key.
 */
#ifndef SW_CONFIG_H
#define SW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

struct sw_error;

#define SW_CONFIG_MAX_LIST 16

/* A keyless signer baselines may come from (docs/signing.md). */
struct sw_config_identity {
	char *issuer;
	char *identity; /* exact, or NULL */
	char *identity_regexp; /* POSIX extended regex, or NULL */
	/* image-name patterns it may sign baselines of (sigstore.h); none: any image */
	char *images[SW_CONFIG_MAX_LIST];
	size_t n_images;
};

/* Free the strings of @id and zero it. */
void config_identity_clear(struct sw_config_identity *id);

struct sw_config {
	char *baseline_dir;
	char *trusted_keys[SW_CONFIG_MAX_LIST];
	size_t n_trusted_keys;
	char *trusted_root; /* Sigstore trusted_root.json: keyless baselines on */
	struct sw_config_identity trusted_identities[SW_CONFIG_MAX_LIST];
	size_t n_trusted_identities;
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
	/*
	 * the runtimes' image layer stores on the node (containers-storage
	 * "…/overlay", Docker "…/overlay2", containerd/k3s/RKE2 snapshots): a
	 * write into them by a process other than a runtime is tamper
	 */
	char *layer_stores[SW_CONFIG_MAX_LIST];
	size_t n_layer_stores;
	bool layer_stores_set;
	bool verbose;
	bool log_json; /* "log_format": "json": the daemon's log lines as JSON objects */
	/* seconds during which repeats of one finding are folded into a summary (0: off) */
	unsigned int fold_window;
	/* image_mismatch: verify a container whose image ID is not its name's baseline's by name */
	bool image_mismatch;
	char *metrics_listen; /* ADDR:PORT of /metrics and /healthz, NULL = off */
	/*
	 * the runtimes' state roots (NULL: their defaults): containers-storage's
	 * graph root, Docker's root, containerd's root (metadata DB and content
	 * store) and state dir (task bundles); k3s/RKE2 run their own containerd
	 * (root /var/lib/rancher/{k3s,rke2}/agent/containerd, state
	 * /run/k3s/containerd)
	 */
	char *storage_root, *docker_root, *containerd_root, *containerd_state;
	uint64_t hash_max_size; /* larger executed files are decided without hashing */
	uint64_t baseline_max_size; /* larger baseline files are refused unread */
	char *state_file; /* the loss record across crashes (daemon_state.h), NULL = none */
	/* registries baselines are fetched from on demand (docs/registry.md) */
	char *registries[SW_CONFIG_MAX_LIST]; /* "HOST[:PORT]", mirrors in order */
	size_t n_registries;
	bool registry_insecure; /* plain HTTP */
	char *registry_ca_file, *registry_auth_file, *registry_token_file;
	char *baseline_cache; /* fetched baselines; default SW_DEFAULT_BASELINE_CACHE */
	unsigned int baseline_cache_max; /* baselines kept on disk */
	unsigned int registry_retry_max; /* seconds: cap of the unreachable-registry backoff */
	unsigned int registry_negative_ttl; /* seconds: "none attached"/refused kept that long */
	/*
	 * prevention (docs/enforce.md): the default mode ("mode"), the scopes
	 * ("scopes"), no_baseline's decision ("no_baseline_action"), the
	 * decision deadline ("decision_deadline_ms")
	 */
	struct sw_policy policy;
	/* enforce/audit scopes: also ask about every open of a shared object (FAN_OPEN_PERM) */
	bool enforce_libraries;
	/*
	 * learned behaviour per image (docs/profiles.md): on when @profile_dir
	 * is set (--profiles: SW_DEFAULT_PROFILE_DIR); stability: no new element
	 * for @profile_quiet seconds and @profile_min_execs execs, or
	 * @profile_max_learning seconds (0: the defaults of profile.h)
	 */
	char *profile_dir;
	unsigned int profile_quiet, profile_min_execs, profile_max_learning;
};

#define SW_DEFAULT_PROFILE_DIR "/var/lib/sealwatch/profiles"

#define SW_DEFAULT_BASELINE_CACHE "/var/cache/sealwatch/baselines"
#define SW_CONFIG_HASH_MAX_DEFAULT (1ULL << 30)
#define SW_CONFIG_BASELINE_MAX_DEFAULT (256ULL << 20)
#define SW_CONFIG_SIZE_MIN 4096ULL
#define SW_CONFIG_HASH_MAX_LIMIT (1ULL << 40)
#define SW_CONFIG_BASELINE_MAX_LIMIT (4ULL << 30)

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
/* Add "ISSUER=IDENTITY" (the --trusted-identity flag); -EINVAL, -E2BIG. */
int config_identity_add(struct sw_config *c, const char *spec);
/* The default layer stores when none was configured. */
int config_default_layer_stores(struct sw_config *c);
/* "monitor", "audit,strict", "enforce", … → the default mode and strictness; -EINVAL. */
int config_mode_from_name(const char *text, struct sw_policy *p);
/* "info", "low", "medium", "high", "critical" → ECS severity; -EINVAL. */
int config_severity_from_name(const char *name, int *ret);
/*
 * "4096", "64K", "512M", "1G", "1T" (binary units) → bytes in [min, max];
 * -EINVAL otherwise.
 */
int config_parse_size(const char *text, uint64_t min, uint64_t max, uint64_t *ret);

#endif
