// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bpf_loader.h"
#include "config.h"
#include "errors.h"
#include "fileio.h"
#include "metrics_http.h"
#include "verdict.h"

void config_init(struct sw_config *c)
{
	memset(c, 0, sizeof(*c));
	c->hash_workers = 2;
	c->queue_size = 4096;
	c->cache_size = 65536;
	c->no_baseline_severity = SW_SEVERITY_MEDIUM;
	c->fold_window = 10;
	c->image_mismatch = true;
	c->hash_max_size = SW_CONFIG_HASH_MAX_DEFAULT;
	c->baseline_max_size = SW_CONFIG_BASELINE_MAX_DEFAULT;
	c->baseline_cache_max = 256;
	c->registry_retry_max = 300;
	c->registry_negative_ttl = 600;
	policy_init(&c->policy);
}

int config_mode_from_name(const char *text, struct sw_policy *p)
{
	char mode[32];
	size_t n = text ? strlen(text) : 0;
	bool strict = false;

	if (!n || n >= sizeof(mode))
		return -EINVAL;
	memcpy(mode, text, n + 1);
	if (n > 7 && !strcmp(mode + n - 7, ",strict")) {
		strict = true;
		mode[n - 7] = '\0';
	}
	if (policy_mode_from_name(mode, &p->default_mode))
		return -EINVAL;
	p->default_strict = strict;
	return 0;
}

int config_parse_size(const char *text, uint64_t min, uint64_t max, uint64_t *ret)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!text || *text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	case 'T':
		shift = 40;
		break;
	case '\0':
		break;
	default:
		return -EINVAL;
	}
	if (shift && end[1])
		return -EINVAL;
	if (shift && v > (max >> shift))
		return -EINVAL;
	v <<= shift;
	if (v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

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

void config_clear(struct sw_config *c)
{
	free(c->baseline_dir);
	free(c->host_baseline);
	free(c->metrics_listen);
	free(c->state_file);
	free(c->storage_root);
	free(c->docker_root);
	free(c->containerd_root);
	free(c->containerd_state);
	free(c->registry_ca_file);
	free(c->registry_auth_file);
	free(c->registry_token_file);
	free(c->baseline_cache);
	free(c->profile_dir);
	for (size_t i = 0; i < c->n_registries; i++)
		free(c->registries[i]);
	for (size_t i = 0; i < c->n_trusted_keys; i++)
		free(c->trusted_keys[i]);
	free(c->trusted_root);
	for (size_t i = 0; i < c->n_trusted_identities; i++)
		config_identity_clear(&c->trusted_identities[i]);
	for (size_t i = 0; i < c->n_outputs; i++)
		free(c->outputs[i]);
	for (size_t i = 0; i < c->n_interpreters; i++)
		free(c->interpreters[i]);
	for (size_t i = 0; i < c->n_verify_read_paths; i++)
		free(c->verify_read_paths[i]);
	for (size_t i = 0; i < c->n_layer_stores; i++)
		free(c->layer_stores[i]);
	memset(c, 0, sizeof(*c));
}

int config_list_add(char **list, size_t *n, const char *value)
{
	if (*n >= SW_CONFIG_MAX_LIST)
		return -E2BIG;
	list[*n] = strdup(value);
	if (!list[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

int config_default_interpreters(struct sw_config *c)
{
	static const char *const names[] = {
		"sh",	 "bash",  "dash", "ash",  "zsh",  "ksh*",   "busybox", "python*",
		"perl*", "ruby*", "node", "php*", "lua*", "tclsh*", "Rscript", "pwsh",
	};
	int r = 0;

	if (c->interpreters_set)
		return 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && !r; i++)
		r = config_list_add(c->interpreters, &c->n_interpreters, names[i]);
	return r;
}

int config_default_layer_stores(struct sw_config *c)
{
	static const char *const dirs[] = {
		"/var/lib/containers/storage/overlay",
		"/var/lib/docker/overlay2",
		"/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots",
		"/var/lib/rancher/k3s/agent/containerd/io.containerd.snapshotter.v1.overlayfs/"
		"snapshots",
		"/var/lib/rancher/rke2/agent/containerd/io.containerd.snapshotter.v1.overlayfs/"
		"snapshots",
	};
	int r = 0;

	if (c->layer_stores_set)
		return 0;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && !r; i++)
		r = config_list_add(c->layer_stores, &c->n_layer_stores, dirs[i]);
	return r;
}

int config_severity_from_name(const char *name, int *ret)
{
	static const struct {
		const char *name;
		int value;
	} names[] = {
		{ "info", SW_SEVERITY_INFO },	      { "low", SW_SEVERITY_LOW },
		{ "medium", SW_SEVERITY_MEDIUM },     { "high", SW_SEVERITY_HIGH },
		{ "critical", SW_SEVERITY_CRITICAL },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i].name)) {
			*ret = names[i].value;
			return 0;
		}
	return -EINVAL;
}

bool config_registry_ok(const char *s)
{
	if (!*s || strlen(s) > 253)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr(".-:[]", *s)))
			return false;
	return true;
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

void config_identity_clear(struct sw_config_identity *id)
{
	free(id->issuer);
	free(id->identity);
	free(id->identity_regexp);
	for (size_t i = 0; i < id->n_images; i++)
		free(id->images[i]);
	memset(id, 0, sizeof(*id));
}

static int identity_push(struct sw_config *c, const char *issuer, const char *identity,
			 const char *identity_regexp)
{
	struct sw_config_identity *id;

	if (c->n_trusted_identities >= SW_CONFIG_MAX_LIST)
		return -E2BIG;
	id = &c->trusted_identities[c->n_trusted_identities];
	id->issuer = strdup(issuer);
	id->identity = identity ? strdup(identity) : NULL;
	id->identity_regexp = identity_regexp ? strdup(identity_regexp) : NULL;
	c->n_trusted_identities++;
	if (!id->issuer || (identity && !id->identity) || (identity_regexp && !id->identity_regexp))
		return -ENOMEM;
	return 0;
}

int config_identity_add(struct sw_config *c, const char *spec)
{
	const char *eq = strchr(spec, '=');
	char *issuer;
	int r;

	if (!eq || eq == spec || !eq[1])
		return -EINVAL;
	issuer = strndup(spec, (size_t)(eq - spec));
	if (!issuer)
		return -ENOMEM;
	r = identity_push(c, issuer, eq + 1, NULL);
	free(issuer);
	return r;
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
static int set_identities(struct sw_config *c, json_t *v, const char **problem)
{
	size_t i;
	json_t *item;

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
		r = identity_push(c, iss, id, re);
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

bool config_error_key(const char *msg, char *key, size_t size)
{
	const char *p = msg ? strstr(msg, ": key '") : NULL, *end;

	if (size)
		*key = '\0';
	if (!p || !size)
		return false;
	p += strlen(": key '");
	end = strchr(p, '\'');
	if (!end || (size_t)(end - p) >= size)
		return false;
	memcpy(key, p, (size_t)(end - p));
	key[end - p] = '\0';
	return true;
}

/*
 * "profiles": {"dir": PATH, "quiet": S, "min_execs": N, "max_learning": S}
 * (docs/profiles.md): profiles on, every member optional ("dir" defaults to
 * SW_DEFAULT_PROFILE_DIR).
 */
static int set_profiles(struct sw_config *c, json_t *v, const char **problem)
{
	const char *key;
	json_t *m;
	int r = 0;

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

int config_load_file(struct sw_config *c, const char *path, struct sw_error *err)
{
	const char *key, *problem = NULL;
	json_error_t jerr;
	json_t *root, *v;
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
	json_object_foreach(root, key, v) {
		char **str_key = !strcmp(key, "baseline_dir")	     ? &c->baseline_dir :
				 !strcmp(key, "host_baseline")	     ? &c->host_baseline :
				 !strcmp(key, "baseline_cache")	     ? &c->baseline_cache :
				 !strcmp(key, "registry_ca_file")    ? &c->registry_ca_file :
				 !strcmp(key, "registry_auth_file")  ? &c->registry_auth_file :
				 !strcmp(key, "registry_token_file") ? &c->registry_token_file :
				 !strcmp(key, "state_file")	     ? &c->state_file :
				 !strcmp(key, "trusted_root")	     ? &c->trusted_root :
								       NULL;

		if (str_key) {
			if (!json_is_string(v) || !*json_string_value(v)) {
				problem = "must be a non-empty string";
				r = -EBADMSG;
			} else {
				r = set_string(str_key, v);
			}
		} else if (!strcmp(key, "trusted_identities")) {
			r = set_identities(c, v, &problem);
		} else if (!strcmp(key, "profiles")) {
			r = set_profiles(c, v, &problem);
		} else if (!strcmp(key, "registries")) {
			r = set_list(c->registries, &c->n_registries, v, &problem);
			for (size_t i = 0; !r && i < c->n_registries; i++)
				if (!config_registry_ok(c->registries[i])) {
					problem =
						"must hold HOST[:PORT] names (no scheme, no path)";
					r = -EBADMSG;
				}
		} else if (!strcmp(key, "registry_insecure")) {
			if (!json_is_boolean(v)) {
				problem = "must be true or false";
				r = -EBADMSG;
			} else {
				c->registry_insecure = json_is_true(v);
			}
		} else if (!strcmp(key, "baseline_cache_max")) {
			r = set_uint(&c->baseline_cache_max, v, 1, 1 << 20, &problem);
		} else if (!strcmp(key, "registry_retry_max")) {
			r = set_uint(&c->registry_retry_max, v, 1, 86400, &problem);
		} else if (!strcmp(key, "registry_negative_ttl")) {
			r = set_uint(&c->registry_negative_ttl, v, 1, 7 * 86400, &problem);
		} else if (!strcmp(key, "metrics_listen")) {
			struct sockaddr_storage sa;
			struct sw_error aerr;
			socklen_t alen;

			if (!json_is_string(v) ||
			    metrics_http_parse_addr(json_string_value(v), &sa, &alen, &aerr)) {
				problem = "must be a numeric \"ADDR:PORT\" or \"[IPV6]:PORT\"";
				r = -EBADMSG;
			} else {
				r = set_string(&c->metrics_listen, v);
			}
		} else if (!strcmp(key, "trusted_keys")) {
			r = set_list(c->trusted_keys, &c->n_trusted_keys, v, &problem);
		} else if (!strcmp(key, "outputs")) {
			r = set_list(c->outputs, &c->n_outputs, v, &problem);
		} else if (!strcmp(key, "verify_read_paths")) {
			r = set_list(c->verify_read_paths, &c->n_verify_read_paths, v, &problem);
			for (size_t i = 0; !r && i < c->n_verify_read_paths; i++)
				if (c->verify_read_paths[i][0] != '/') {
					problem = "must hold absolute paths or globs";
					r = -EBADMSG;
				}
		} else if (!strcmp(key, "layer_stores")) {
			r = set_list(c->layer_stores, &c->n_layer_stores, v, &problem);
			c->layer_stores_set = true;
			for (size_t i = 0; !r && i < c->n_layer_stores; i++)
				if (c->layer_stores[i][0] != '/') {
					problem = "must hold absolute paths";
					r = -EBADMSG;
				}
		} else if (!strcmp(key, "interpreters")) {
			r = set_list(c->interpreters, &c->n_interpreters, v, &problem);
			c->interpreters_set = true;
		} else if (!strcmp(key, "storage_root") || !strcmp(key, "docker_root") ||
			   !strcmp(key, "containerd_root") || !strcmp(key, "containerd_state")) {
			char **dst = !strcmp(key, "storage_root")    ? &c->storage_root :
				     !strcmp(key, "docker_root")     ? &c->docker_root :
				     !strcmp(key, "containerd_root") ? &c->containerd_root :
								       &c->containerd_state;

			if (!json_is_string(v) || json_string_value(v)[0] != '/') {
				problem = "must be an absolute path";
				r = -EBADMSG;
			} else {
				r = set_string(dst, v);
			}
		} else if (!strcmp(key, "mode")) {
			if (!json_is_string(v) ||
			    config_mode_from_name(json_string_value(v), &c->policy)) {
				problem =
					"must be one of monitor, audit, enforce (\",strict\" may follow)";
				r = -EBADMSG;
			}
		} else if (!strcmp(key, "scopes")) {
			size_t i;
			json_t *item;

			if (!json_is_array(v)) {
				problem = "must be an array of \"image:PATTERN=MODE\", "
					  "\"namespace:PATTERN=MODE\" or \"host=MODE\" strings";
				r = -EBADMSG;
			} else {
				c->policy.n_scopes = 0;
				json_array_foreach(v, i, item) {
					int e = json_is_string(item) ?
							policy_scope_add(&c->policy,
									 json_string_value(item)) :
							-EINVAL;

					if (e) {
						problem =
							e == -E2BIG ?
								"holds too many scopes" :
								"holds a scope that is not "
								"\"image:PATTERN=MODE[,strict]\", "
								"\"namespace:PATTERN=MODE[,strict]\" or "
								"\"host=MODE[,strict]\"";
						r = -EBADMSG;
						break;
					}
				}
			}
		} else if (!strcmp(key, "no_baseline_action")) {
			const char *a = json_is_string(v) ? json_string_value(v) : "";

			if (strcmp(a, "allow") && strcmp(a, "deny")) {
				problem = "must be allow or deny";
				r = -EBADMSG;
			} else {
				c->policy.deny_no_baseline = !strcmp(a, "deny");
			}
		} else if (!strcmp(key, "decision_deadline_ms")) {
			r = set_uint(&c->policy.deadline_ms, v, 1, SW_POLICY_DEADLINE_MAX_MS,
				     &problem);
		} else if (!strcmp(key, "enforce_libraries")) {
			if (!json_is_boolean(v)) {
				problem = "must be true or false";
				r = -EBADMSG;
			} else {
				c->enforce_libraries = json_is_true(v);
			}
		} else if (!strcmp(key, "fold_window")) {
			r = set_uint(&c->fold_window, v, 0, 86400, &problem);
		} else if (!strcmp(key, "image_mismatch")) {
			if (!json_is_boolean(v)) {
				problem = "must be true or false";
				r = -EBADMSG;
			} else {
				c->image_mismatch = json_is_true(v);
			}
		} else if (!strcmp(key, "all_events") || !strcmp(key, "verbose") ||
			   !strcmp(key, "force_tracepoint") || !strcmp(key, "kernel_cache")) {
			if (!json_is_boolean(v)) {
				problem = "must be true or false";
				r = -EBADMSG;
			} else if (!strcmp(key, "all_events")) {
				c->all_events = json_is_true(v);
			} else if (!strcmp(key, "verbose")) {
				c->verbose = json_is_true(v);
			} else if (!strcmp(key, "kernel_cache")) {
				c->no_kernel_cache = !json_is_true(v);
			} else {
				c->force_tracepoint = json_is_true(v);
			}
		} else if (!strcmp(key, "attach")) {
			enum bpf_loader_attach a;

			if (!json_is_string(v) ||
			    bpf_loader_attach_parse(json_string_value(v), &a)) {
				problem = "must be one of auto, lsm, tp_btf, tp";
				r = -EBADMSG;
			} else {
				c->attach = (int)a;
			}
		} else if (!strcmp(key, "hash_workers")) {
			r = set_uint(&c->hash_workers, v, 1, 64, &problem);
		} else if (!strcmp(key, "queue_size")) {
			r = set_uint(&c->queue_size, v, 16, 1 << 20, &problem);
		} else if (!strcmp(key, "cache_size")) {
			r = set_uint(&c->cache_size, v, 16, 1 << 24, &problem);
		} else if (!strcmp(key, "hash_max_size")) {
			r = set_size(&c->hash_max_size, v, SW_CONFIG_SIZE_MIN,
				     SW_CONFIG_HASH_MAX_LIMIT, &problem);
		} else if (!strcmp(key, "baseline_max_size")) {
			r = set_size(&c->baseline_max_size, v, SW_CONFIG_SIZE_MIN,
				     SW_CONFIG_BASELINE_MAX_LIMIT, &problem);
		} else if (!strcmp(key, "no_baseline_severity")) {
			if (!json_is_string(v) ||
			    config_severity_from_name(json_string_value(v),
						      &c->no_baseline_severity)) {
				problem = "must be one of info, low, medium, high, critical";
				r = -EBADMSG;
			}
		} else {
			problem = "is not a known key";
			r = -EBADMSG;
		}
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
