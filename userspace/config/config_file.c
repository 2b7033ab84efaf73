// SPDX-License-Identifier: GPL-2.0-only
/*
 * The daemon's JSON config file (docs/daemon.md): one table, keys[], ties
 * each key to the function that checks its value and the field it fills.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bpf_loader.h"
#include "config.h"
#include "config_internal.h"
#include "errors.h"
#include "fileio.h"
#include "metrics_http.h"

/* One key of the config file: how its value is checked and where it goes. */
struct config_key {
	const char *name;
	int (*set)(struct sw_config *c, const struct config_key *k, json_t *v,
		   const char **problem);
	size_t field; /* offsetof() the value in struct sw_config */
	size_t count; /* lists: offsetof() the item count */
	uint64_t min, max; /* integers and sizes: the range */
	bool invert; /* booleans: store the opposite ("kernel_cache" → no_kernel_cache) */
	/* lists: every item must pass @item_ok, or @problem is the error */
	bool (*item_ok)(const char *item);
	const char *problem;
	size_t given; /* lists: offsetof() a bool set once the key is read, or 0 */
};

/* @given is 0 for "none": no bool can sit at offset 0 */
_Static_assert(offsetof(struct sw_config, baseline_dir) == 0, "config_key.given: 0 is none");

static int set_size(uint64_t *dst, json_t *v, uint64_t min, uint64_t max, const char **problem)
{
	if (json_is_integer(v) && json_integer_value(v) >= 0 &&
	    (uint64_t)json_integer_value(v) >= min && (uint64_t)json_integer_value(v) <= max) {
		*dst = (uint64_t)json_integer_value(v);
		return 0;
	}
	if (json_is_string(v) && !config_parse_size(json_string_value(v), min, max, dst))
		return 0;
	*problem = "must be a size in range (bytes, or a number with K, M, G or T)";
	return -EBADMSG;
}

static int set_string(char **dst, json_t *v)
{
	char *s = strdup(json_string_value(v));

	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

/* "images": [PATTERN, …] of the identity just pushed */
static int set_identity_images(struct sw_config_identity *id, json_t *v, const char **problem)
{
	size_t i;
	json_t *p;

	if (!json_is_array(v) || !json_array_size(v) || json_array_size(v) > SW_CONFIG_MAX_LIST) {
		*problem = "\"images\" must be an array of 1 to 16 image-name patterns";
		return -EBADMSG;
	}
	json_array_foreach(v, i, p) {
		const char *s = json_string_value(p);

		if (!s || !*s || strlen(s) > 1000) {
			*problem = "\"images\" must hold non-empty strings (image-name patterns)";
			return -EBADMSG;
		}
		id->images[id->n_images] = strdup(s);
		if (!id->images[id->n_images])
			return -ENOMEM;
		id->n_images++;
	}
	return 0;
}

/* [{"issuer": URL, "identity": ID | "identity_regexp": RE [, "images": [PATTERN, …]]}, …] */
static int key_identities(struct sw_config *c, const struct config_key *k, json_t *v,
			  const char **problem)
{
	size_t i;
	json_t *item;

	(void)k;
	if (!json_is_array(v)) {
		*problem = "must be an array of objects";
		return -EBADMSG;
	}
	json_array_foreach(v, i, item) {
		const char *iss = json_string_value(json_object_get(item, "issuer"));
		const char *id = json_string_value(json_object_get(item, "identity"));
		const char *re = json_string_value(json_object_get(item, "identity_regexp"));
		json_t *images = json_object_get(item, "images");
		int r;

		if (!json_is_object(item) || !iss || !*iss || !!id == !!re ||
		    json_object_size(item) != (images ? 3 : 2) || (id && !*id) || (re && !*re)) {
			*problem = "must hold objects with \"issuer\" and one of \"identity\", "
				   "\"identity_regexp\" (and optionally \"images\")";
			return -EBADMSG;
		}
		r = config_identity_push(c, iss, id, re);
		if (r == -E2BIG) {
			*problem = "has too many items (limit 16)";
			return -EBADMSG;
		}
		if (!r && images)
			r = set_identity_images(&c->trusted_identities[c->n_trusted_identities - 1],
						images, problem);
		if (r)
			return r;
	}
	return 0;
}

static int set_list(char **list, size_t *n, json_t *v, const char **problem)
{
	size_t i;
	json_t *item;

	if (!json_is_array(v)) {
		*problem = "must be an array of strings";
		return -EBADMSG;
	}
	json_array_foreach(v, i, item) {
		int r;

		if (!json_is_string(item) || !*json_string_value(item)) {
			*problem = "must be an array of non-empty strings";
			return -EBADMSG;
		}
		r = config_list_add(list, n, json_string_value(item));
		if (r == -E2BIG) {
			*problem = "has too many items (limit 16)";
			return -EBADMSG;
		}
		if (r)
			return r;
	}
	return 0;
}

static int set_uint(unsigned int *dst, json_t *v, unsigned int min, unsigned int max,
		    const char **problem)
{
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
		*problem = "must be an integer in range";
		return -EBADMSG;
	}
	*dst = (unsigned int)json_integer_value(v);
	return 0;
}

#define CONFIG_FIELD(c, k, type) ((type *)((char *)(c) + (k)->field))

/* a non-empty string */
static int key_string(struct sw_config *c, const struct config_key *k, json_t *v,
		      const char **problem)
{
	if (!json_is_string(v) || !*json_string_value(v)) {
		*problem = "must be a non-empty string";
		return -EBADMSG;
	}
	return set_string(CONFIG_FIELD(c, k, char *), v);
}

/* an absolute path */
static int key_path(struct sw_config *c, const struct config_key *k, json_t *v,
		    const char **problem)
{
	if (!json_is_string(v) || json_string_value(v)[0] != '/') {
		*problem = "must be an absolute path";
		return -EBADMSG;
	}
	return set_string(CONFIG_FIELD(c, k, char *), v);
}

static int key_bool(struct sw_config *c, const struct config_key *k, json_t *v,
		    const char **problem)
{
	if (!json_is_boolean(v)) {
		*problem = "must be true or false";
		return -EBADMSG;
	}
	*CONFIG_FIELD(c, k, bool) = json_is_true(v) != k->invert;
	return 0;
}

static int key_uint(struct sw_config *c, const struct config_key *k, json_t *v,
		    const char **problem)
{
	return set_uint(CONFIG_FIELD(c, k, unsigned int), v, (unsigned int)k->min,
			(unsigned int)k->max, problem);
}

static int key_size(struct sw_config *c, const struct config_key *k, json_t *v,
		    const char **problem)
{
	return set_size(CONFIG_FIELD(c, k, uint64_t), v, k->min, k->max, problem);
}

static bool path_absolute(const char *item)
{
	return item[0] == '/';
}

/* a list of non-empty strings, each passing k->item_ok if set */
static int key_list(struct sw_config *c, const struct config_key *k, json_t *v,
		    const char **problem)
{
	char **list = CONFIG_FIELD(c, k, char *);
	size_t *n = (size_t *)((char *)c + k->count);
	int r = set_list(list, n, v, problem);

	if (k->given)
		*(bool *)((char *)c + k->given) = true;
	for (size_t i = 0; !r && k->item_ok && i < *n; i++)
		if (!k->item_ok(list[i])) {
			*problem = k->problem;
			r = -EBADMSG;
		}
	return r;
}

/* "metrics_listen": a numeric "ADDR:PORT" or "[IPV6]:PORT" */
static int key_metrics_listen(struct sw_config *c, const struct config_key *k, json_t *v,
			      const char **problem)
{
	struct sockaddr_storage sa;
	struct sw_error aerr;
	socklen_t alen;

	(void)k;
	if (!json_is_string(v) ||
	    metrics_http_parse_addr(json_string_value(v), &sa, &alen, &aerr)) {
		*problem = "must be a numeric \"ADDR:PORT\" or \"[IPV6]:PORT\"";
		return -EBADMSG;
	}
	return set_string(&c->metrics_listen, v);
}

/* "mode": the default prevention mode */
static int key_mode(struct sw_config *c, const struct config_key *k, json_t *v,
		    const char **problem)
{
	(void)k;
	if (!json_is_string(v) || config_mode_from_name(json_string_value(v), &c->policy)) {
		*problem = "must be one of monitor, audit, enforce (\",strict\" may follow)";
		return -EBADMSG;
	}
	return 0;
}

/* "scopes": ["image:PATTERN=MODE", "namespace:PATTERN=MODE", "host=MODE", …] */
static int key_scopes(struct sw_config *c, const struct config_key *k, json_t *v,
		      const char **problem)
{
	size_t i;
	json_t *item;

	(void)k;
	if (!json_is_array(v)) {
		*problem = "must be an array of \"image:PATTERN=MODE\", "
			   "\"namespace:PATTERN=MODE\" or \"host=MODE\" strings";
		return -EBADMSG;
	}
	c->policy.n_scopes = 0;
	json_array_foreach(v, i, item) {
		int e = json_is_string(item) ?
				policy_scope_add(&c->policy, json_string_value(item)) :
				-EINVAL;

		if (e) {
			*problem = e == -E2BIG ? "holds too many scopes" :
						 "holds a scope that is not "
						 "\"image:PATTERN=MODE[,strict]\", "
						 "\"namespace:PATTERN=MODE[,strict]\" or "
						 "\"host=MODE[,strict]\"";
			return -EBADMSG;
		}
	}
	return 0;
}

/* "no_baseline_action": allow or deny */
static int key_no_baseline_action(struct sw_config *c, const struct config_key *k, json_t *v,
				  const char **problem)
{
	const char *a = json_is_string(v) ? json_string_value(v) : "";

	(void)k;
	if (strcmp(a, "allow") && strcmp(a, "deny")) {
		*problem = "must be allow or deny";
		return -EBADMSG;
	}
	c->policy.deny_no_baseline = !strcmp(a, "deny");
	return 0;
}

/* "attach": the BPF flavour */
static int key_attach(struct sw_config *c, const struct config_key *k, json_t *v,
		      const char **problem)
{
	enum bpf_loader_attach a;

	(void)k;
	if (!json_is_string(v) || bpf_loader_attach_parse(json_string_value(v), &a)) {
		*problem = "must be one of auto, lsm, tp_btf, tp";
		return -EBADMSG;
	}
	c->attach = (int)a;
	return 0;
}

/* "no_baseline_severity": an ECS severity name */
static int key_no_baseline_severity(struct sw_config *c, const struct config_key *k, json_t *v,
				    const char **problem)
{
	(void)k;
	if (!json_is_string(v) ||
	    config_severity_from_name(json_string_value(v), &c->no_baseline_severity)) {
		*problem = "must be one of info, low, medium, high, critical";
		return -EBADMSG;
	}
	return 0;
}

/* "log_format": text or json */
static int key_log_format(struct sw_config *c, const struct config_key *k, json_t *v,
			  const char **problem)
{
	const char *f = json_string_value(v);

	(void)k;
	if (!f || (strcmp(f, "text") && strcmp(f, "json"))) {
		*problem = "must be text or json";
		return -EBADMSG;
	}
	c->log_json = !strcmp(f, "json");
	return 0;
}

/*
 * "profiles": {"dir": PATH, "quiet": S, "min_execs": N, "max_learning": S}
 * (docs/profiles.md): profiles on, every member optional ("dir" defaults to
 * SW_DEFAULT_PROFILE_DIR).
 */
static int key_profiles(struct sw_config *c, const struct config_key *k, json_t *v,
			const char **problem)
{
	const char *key;
	json_t *m;
	int r = 0;

	(void)k;
	if (!json_is_object(v)) {
		*problem =
			"must be an object: {\"dir\", \"quiet\", \"min_execs\", \"max_learning\"}";
		return -EBADMSG;
	}
	json_object_foreach(v, key, m) {
		if (!strcmp(key, "dir")) {
			if (!json_is_string(m) || json_string_value(m)[0] != '/') {
				*problem = "dir must be an absolute path";
				return -EBADMSG;
			}
			r = set_string(&c->profile_dir, m);
		} else if (!strcmp(key, "quiet")) {
			r = set_uint(&c->profile_quiet, m, 1, 365 * 86400, problem);
		} else if (!strcmp(key, "min_execs")) {
			r = set_uint(&c->profile_min_execs, m, 1, 1u << 30, problem);
		} else if (!strcmp(key, "max_learning")) {
			r = set_uint(&c->profile_max_learning, m, 1, 365 * 86400, problem);
		} else {
			*problem = "unknown member (dir, quiet, min_execs, max_learning)";
			return -EBADMSG;
		}
		if (r)
			return r;
	}
	if (!c->profile_dir && !(c->profile_dir = strdup(SW_DEFAULT_PROFILE_DIR)))
		return -ENOMEM;
	return 0;
}

#define FIELD(member) offsetof(struct sw_config, member)
#define LIST(member) .field = FIELD(member), .count = FIELD(n_##member)

/*
 * Every key of the config file (docs/daemon.md): its name, the function that
 * checks and stores its value, and what that function needs. A new key of a
 * common kind is one line here.
 */
static const struct config_key keys[] = {
	{ "baseline_dir", key_string, FIELD(baseline_dir) },
	{ "host_baseline", key_string, FIELD(host_baseline) },
	{ "baseline_cache", key_string, FIELD(baseline_cache) },
	{ "registry_ca_file", key_string, FIELD(registry_ca_file) },
	{ "registry_auth_file", key_string, FIELD(registry_auth_file) },
	{ "registry_token_file", key_string, FIELD(registry_token_file) },
	{ "state_file", key_string, FIELD(state_file) },
	{ "trusted_root", key_string, FIELD(trusted_root) },
	{ "trusted_identities", key_identities },
	{ "registries", key_list, LIST(registries), .item_ok = config_registry_ok,
	  .problem = "must hold HOST[:PORT] names (no scheme, no path)" },
	{ "registry_insecure", key_bool, FIELD(registry_insecure) },
	{ "baseline_cache_max", key_uint, FIELD(baseline_cache_max), .min = 1, .max = 1 << 20 },
	{ "registry_retry_max", key_uint, FIELD(registry_retry_max), .min = 1, .max = 86400 },
	{ "registry_negative_ttl", key_uint, FIELD(registry_negative_ttl), .min = 1,
	  .max = 7 * 86400 },
	{ "metrics_listen", key_metrics_listen },
	{ "trusted_keys", key_list, LIST(trusted_keys) },
	{ "outputs", key_list, LIST(outputs) },
	{ "verify_read_paths", key_list, LIST(verify_read_paths), .item_ok = path_absolute,
	  .problem = "must hold absolute paths or globs" },
	{ "layer_stores", key_list, LIST(layer_stores), .item_ok = path_absolute,
	  .problem = "must hold absolute paths", .given = FIELD(layer_stores_set) },
	{ "interpreters", key_list, LIST(interpreters), .given = FIELD(interpreters_set) },
	{ "storage_root", key_path, FIELD(storage_root) },
	{ "docker_root", key_path, FIELD(docker_root) },
	{ "containerd_root", key_path, FIELD(containerd_root) },
	{ "containerd_state", key_path, FIELD(containerd_state) },
	{ "mode", key_mode },
	{ "scopes", key_scopes },
	{ "no_baseline_action", key_no_baseline_action },
	{ "decision_deadline_ms", key_uint, FIELD(policy.deadline_ms), .min = 1,
	  .max = SW_POLICY_DEADLINE_MAX_MS },
	{ "enforce_libraries", key_bool, FIELD(enforce_libraries) },
	{ "fold_window", key_uint, FIELD(fold_window), .min = 0, .max = 86400 },
	{ "image_mismatch", key_bool, FIELD(image_mismatch) },
	{ "all_events", key_bool, FIELD(all_events) },
	{ "verbose", key_bool, FIELD(verbose) },
	{ "log_format", key_log_format },
	{ "profiles", key_profiles },
	{ "force_tracepoint", key_bool, FIELD(force_tracepoint) },
	{ "kernel_cache", key_bool, FIELD(no_kernel_cache), .invert = true },
	{ "attach", key_attach },
	{ "hash_workers", key_uint, FIELD(hash_workers), .min = 1, .max = 64 },
	{ "queue_size", key_uint, FIELD(queue_size), .min = 16, .max = 1 << 20 },
	{ "cache_size", key_uint, FIELD(cache_size), .min = 16, .max = 1 << 24 },
	{ "hash_max_size", key_size, FIELD(hash_max_size), .min = SW_CONFIG_SIZE_MIN,
	  .max = SW_CONFIG_HASH_MAX_LIMIT },
	{ "baseline_max_size", key_size, FIELD(baseline_max_size), .min = SW_CONFIG_SIZE_MIN,
	  .max = SW_CONFIG_BASELINE_MAX_LIMIT },
	{ "no_baseline_severity", key_no_baseline_severity },
};

#undef LIST
#undef FIELD

/* Check and store the value @v of the config file's key @name. */
static int config_set_key(struct sw_config *c, const char *name, json_t *v, const char **problem)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(name, keys[i].name))
			return keys[i].set(c, &keys[i], v, problem);
	*problem = "is not a known key";
	return -EBADMSG;
}

/* Read @path as one JSON object. */
static int config_read_object(const char *path, json_t **ret, struct sw_error *err)
{
	json_error_t jerr;
	json_t *root;
	char *buf;
	size_t len;
	int r = file_read_all(path, 1 << 20, &buf, &len, err);

	if (r)
		return r == -EFBIG ? sw_error_set(err, -EBADMSG, "%s: larger than 1 MiB", path) : r;
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	free(buf);
	if (!root)
		return sw_error_set(err, -EBADMSG, "%s:%d:%d: %s", path, jerr.line, jerr.column,
				    jerr.text);
	if (!json_is_object(root)) {
		json_decref(root);
		return sw_error_set(err, -EBADMSG, "%s: must be a JSON object", path);
	}
	*ret = root;
	return 0;
}

int config_load_file(struct sw_config *c, const char *path, struct sw_error *err)
{
	const char *key, *problem = NULL;
	json_t *root, *v;
	int r = config_read_object(path, &root, err);

	if (r)
		return r;
	json_object_foreach(root, key, v) {
		r = config_set_key(c, key, v, &problem);
		if (r) {
			/* format now: @key lives in @root */
			if (r == -EBADMSG)
				sw_error_set(err, r, "%s: key '%s' %s", path, key, problem);
			else
				sw_error_set(err, r, "%s: %s", path, strerror(-r));
			break;
		}
	}
	json_decref(root);
	return r;
}
